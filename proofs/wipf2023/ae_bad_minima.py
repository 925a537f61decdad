"""The equal-capacity deterministic autoencoder with a log penalty on the latent rows has bad local minima.

Method: random starts; damped Newton with the exact gradient and Hessian of
E(B̃) = ||A - ΦB̃A||²/(2η²) + ½Σ_j log(δ² + ||(B̃A)_j||²) (B̃ = C Uᵀ on the data's column space); a run counts
as a minimum when the gradient is below GRAD_TOL (1 + |E|) and the Hessian is positive definite.  A bad
minimum found (more than k active latent rows, or nonzero error) is the witness the claim asks for.
"""
from __future__ import annotations

from proofs.wipf2023 import PAPER
from proofs.wipf2023._model import AE_DELTA, AE_ETA, default_instances, search
from verify import Check, Evidence, Finding, FindingKind, ProofReport, Role, Status

STATEMENT = PAPER.statement("ae_bad_minima")
INSTANCES, STARTS, SEED = 6, 4, 1


def existence_check(result) -> Check:
    """NUMERIC with the first bad minimum as witness when one is found; UNDECIDED otherwise (not finding one in a
    finite search does not refute an existence claim)."""
    shapes = sorted({i.shape for i in result.instances})
    scope = (f"{len(result.instances)} instances with (n, m, k, N) in {shapes}, seeds "
             f"{[i.seed for i in result.instances]}, {result.starts} starts each, η = {AE_ETA:g}, δ = {AE_DELTA:g}")
    method = "damped Newton with the exact gradient and Hessian of the AE loss from random starts"
    details = (f"{result.runs} runs: {len(result.minima)} minima ({len(result.bad)} bad), {result.inconclusive} "
               f"inconclusive")
    if result.bad:
        return Check("the deterministic AE has a bad local minimum", Status.NUMERIC, method, scope,
                     float(len(result.bad)), result.witness(), details)
    return Check("the deterministic AE has a bad local minimum", Status.UNDECIDED, method, scope, None, None, details)


def report(instances: int = INSTANCES, starts: int = STARTS, seed: int = SEED) -> ProofReport:
    result = search("ae", default_instances(instances), starts, seed=seed)
    check = existence_check(result)
    groups = result.distinct()
    finding = Finding(
        FindingKind.OTHER, "Distinct deterministic-AE minima and their basins",
        f"{len(groups)} distinct minima on {len(result.instances)} instances ({sum(not g[1].startswith('optimally') for g in groups)} "
        "bad); basin = number of starts reaching it.",
        "; ".join(f"seed {g[0].seed} {g[0].shape[:3]}: {g[1]} at {list(g[2])}, E = {g[3]:.4g}, basin {g[4]}/{starts}"
                  for g in groups) or "no minimum found",
        f"many-start damped Newton, {starts} starts per instance, seed {seed}")
    summary = (f"Many-start search on {len(result.instances)} instances, {starts} starts each: "
               f"{len(result.minima)} AE local minima found, {len(result.bad)} of them bad"
               + (" (witness in the check)." if result.bad else "; no bad minimum found, so the claim is not decided."))
    return ProofReport([Evidence(Role.STATEMENT, check, scope=check.scope)], summary, findings=[finding])


@PAPER.proof("ae_bad_minima")
def check() -> ProofReport:
    return report()
