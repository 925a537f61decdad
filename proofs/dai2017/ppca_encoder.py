"""The optimal encoder is the PPCA posterior; the diagonal encoder covariance selects the rotation.

1. **Symbolically** (explicit entries of Ã, A and ε̃ > 0; ``SHAPES``): for EVERY decoder Ã and ε̃, the
   encoder mean map B̃ = M⁻¹Ãᵀ (M = ÃᵀÃ + ε̃²I) makes every ∂(4)/∂B̃_ij vanish (any invertible Σ = AAᵀ:
   ∇_B̃ L = [ε̃²B̃ - Ãᵀ(I - ÃB̃)]Σ/ε̃²); (4) is a convex quadratic in B̃, so this is the optimal mean map,
   the PPCA posterior mean.  Lemma 3 of the main paper gives the optimal diagonal D̃_ii = ε̃²/(||Ã_i||² +
   ε̃²) = ε̃²/M_ii, which equals the posterior covariance ε̃²M⁻¹ exactly when M (i.e. ÃᵀÃ) is diagonal.
2. **The rotation** (symbolically at q = 2, numerically beyond): at Ã = WR (W the PPCA decoder with
   WᵀW diagonal, R a rotation), ε̃² = σ² and the optimal B̃, D̃, the excess of (4) over its minimum is
   ½[Σ_i log M_ii - log det M] (the Hadamard gap of M = RᵀWᵀWR + σ²I), > 0 unless M is diagonal.
   So with a diagonal D̃ the rotation is not free: every optimum has ÃᵀÃ diagonal (Lucas et al. 2019).
3. **At the optima found** by many-start L-BFGS on (4) (the runs of ``ppca_optimum``): B̃ = M⁻¹Ãᵀ,
   D̃ = ε̃² diag(M⁻¹) and ÃᵀÃ diagonal, to the optimiser's accuracy.
"""
from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from proofs.dai2017 import PAPER
from proofs.dai2017._ppca import data_matrix, optimal_value, ppca_solution, runs
from proofs.dai2017.ppca_optimum import NUMERIC_SHAPES, STARTS, VALUE_TOL
from verify import Check, Derivation, Domain, Evidence, Finding, FindingKind, ProofReport, Role, Status
from verify.numeric import loss_L, optimal_D
from verify.symbolic import linear_vae

STATEMENT = PAPER.statement("ppca_encoder")
SHAPES = ((2, 1), (2, 2))
#: L-BFGS stops with |∇(4)| ~ 1e-6 .. 1e-9 (gtol 1e-9 in log coordinates); the encoder then matches the
#: posterior to ~1e-5 relative (error ~ gradient / smallest Hessian eigenvalue, O(0.1) here).  A wrong
#: map (Ãᵀ/||Ã||², a missing σ²) or a rotated decoder is off by O(0.1 .. 1).
ENCODER_TOL = 1e-4
ROTATIONS = 20


def mean_map_stationarity(d: int, q: int, mean_map=None) -> list:
    """∂(4)/∂B̃_ij at B̃ = M⁻¹Ãᵀ -> 0 for every Ã, ε̃ and A (explicit entries)."""
    m = linear_vae(d, q, d)
    M = m.At.T * m.At + m.eps**2 * sp.eye(q)
    B = M.inv() * m.At.T if mean_map is None else mean_map(m)
    at = dict(zip(m.Bt, B))
    out = []
    for v in m.Bt:
        der = Derivation(f"∂L/∂{v} at B̃ = M⁻¹Ãᵀ (d={d}, q={q})", sp.diff(m.loss_closed_form(), v).xreplace(at),
                         "SymPy derivative of (4) (every Ã, A, D̃, ε̃) at the PPCA posterior mean map", Domain())
        der.step(sp.Integer(0), "stationary in B̃: (ÃᵀÃ + ε̃²I)B̃ = Ãᵀ")
        out.append(der)
    return out


def rotation_excess(Sigma, q: int, R) -> tuple:
    """((4) at Ã = WR with optimal B̃, D̃ and ε̃ = σ) - min (4), and the Hadamard gap of M."""
    p = ppca_solution(Sigma, q)
    At = p.W @ R
    eps = np.sqrt(p.sigma2)
    M = At.T @ At + p.sigma2 * np.eye(q)
    Bt = np.linalg.solve(M, At.T)
    excess = loss_L(data_matrix(Sigma), At, Bt, optimal_D(At, eps), eps) - optimal_value(Sigma, q)
    hadamard = 0.5 * (np.sum(np.log(np.diag(M))) - np.linalg.slogdet(M)[1])
    return float(excess), float(hadamard)


def rotation_search(seed: int = 23, shapes=((3, 2), (5, 2), (6, 3), (10, 4))) -> tuple:
    from proofs.dai2017._ppca import random_covariance
    rng = np.random.default_rng(seed)
    worst, rows = 0.0, []
    for d, q in shapes:
        S = random_covariance(d, rng)
        smallest = np.inf
        for _ in range(ROTATIONS):
            R, _ = np.linalg.qr(rng.standard_normal((q, q)))
            excess, had = rotation_excess(S, q, R)
            worst = max(worst, abs(excess - had) / (1 + abs(had)))
            smallest = min(smallest, excess)
        rows.append((d, q, smallest))
    return worst, rows


def optimum_check(shapes=NUMERIC_SHAPES, starts: int = STARTS, seed: int = 3) -> tuple:
    """At every start that reached min (4): the encoder is the posterior and ÃᵀÃ is diagonal."""
    worst, witness, n = 0.0, None, 0
    for S, q, found in runs(tuple(shapes), starts, seed):
        L_star = optimal_value(S, q)
        for value, At, Bt, D, eps, _ in found:
            if value > L_star + VALUE_TOL:
                continue
            n += 1
            M = At.T @ At + eps**2 * np.eye(q)
            G = At.T @ At
            errs = {"B̃ vs M⁻¹Ãᵀ": np.max(np.abs(Bt - np.linalg.solve(M, At.T))) / np.max(np.abs(Bt)),
                    "D̃ vs ε̃² diag(M⁻¹)": np.max(np.abs(D - eps**2 * np.diag(np.linalg.inv(M))) / D),
                    "offdiag(ÃᵀÃ)": np.max(np.abs(G - np.diag(np.diag(G)))) / np.max(np.diag(G))}
            for k, e in errs.items():
                worst = max(worst, float(e))
                if e > ENCODER_TOL and witness is None:
                    witness = f"(d, q)=({S.shape[0]}, {q}), an optimum with (4) = {value:.10g}: {k} relative error {e:.3g}"
    check = Check("at the optima of (4): B̃ = M⁻¹Ãᵀ, D̃ = ε̃² diag(M⁻¹), ÃᵀÃ diagonal",
                  Status.FAILED if witness or n == 0 else Status.NUMERIC,
                  f"the many-start L-BFGS runs of ppca_optimum ({starts} starts per Σ); relative errors (ENCODER_TOL)",
                  f"{n} optima on random Σ at (d, q) in {list(shapes)}, seed {seed}", worst,
                  witness or (None if n else "no start reached the minimum"))
    return check, n


@functools.lru_cache(maxsize=None)
def _optimum_default() -> tuple:
    """optimum_check() at its defaults, once per process (item ``optima``; its count feeds the summary)."""
    return optimum_check()


@functools.lru_cache(maxsize=None)
def _rotation_default() -> tuple:
    """rotation_search() at its defaults, once per process (item ``rotations``; its rows feed the finding)."""
    return rotation_search()


# ---- the proof, as named items (``vae-verify check dai2017:ppca_encoder --only NAME``) --------------------------
def _mean_map_item(d, q):
    return lambda: [Evidence(Role.STATEMENT, x, scope=f"d={d}, q={q}, every Ã, A, ε̃: the posterior mean map is "
                             "the optimal B̃") for x in mean_map_stationarity(d, q)]


for _d, _q in SHAPES:
    PAPER.item("ppca_encoder", f"mean-map-{_d}x{_q}")(_mean_map_item(_d, _q))


@PAPER.item("ppca_encoder", "optima")
def _optima_item():
    opt, n = _optimum_default()
    return Evidence(Role.STATEMENT, opt, scope=f"numerically at {n} optima, (d, q) in {list(NUMERIC_SHAPES)}")


@PAPER.item("ppca_encoder", "rotations")
def _rotations_item():
    worst, rows = _rotation_default()
    rot = Check("excess of (4) at a rotated PPCA decoder = ½[Σ log M_ii - log det M]",
                Status.NUMERIC if worst < 1e-9 else Status.FAILED,
                "verify.numeric.loss_L at Ã = WR, B̃ = M⁻¹Ãᵀ, Lemma 3's D̃, ε̃ = σ, minus min (4); float64",
                f"{ROTATIONS} Haar rotations R per random Σ at (d, q) in {[r[:2] for r in rows]}, seed 23", worst,
                None if worst < 1e-9 else f"largest relative mismatch {worst:.3g}")
    return Evidence(Role.SUPPORT, rot, scope="rotated PPCA decoders")


@PAPER.proof("ppca_encoder", uses=("ppca_optimum",))
def check() -> ProofReport:
    items = PAPER.evaluate("ppca_encoder")
    opt, n = _optimum_default()
    worst, rows = _rotation_default()
    findings = [Finding(
        FindingKind.OTHER, "The diagonal encoder covariance pays the Hadamard gap for a rotated decoder",
        "At Ã = WR (ε̃² = σ², optimal B̃ and diagonal D̃) the loss exceeds its minimum by exactly "
        "½[Σ_i log M_ii - log det M], M = ÃᵀÃ + σ²I: the same Hadamard-type contrast as the IMA contrast of "
        "Reizinger et al. 2022 (there for ÃᵀÃ + ε²I). It is > 0 unless ÃᵀÃ is diagonal, so the PPCA rotation is "
        "fixed up to signed permutations (Lucas et al. 2019).",
        "; ".join(f"(d={d}, q={q}): smallest excess over {ROTATIONS} random rotations {s:.3g}" for d, q, s in rows)
        + f"; largest |excess - Hadamard gap| (relative) {worst:.2g}",
        f"{ROTATIONS} Haar rotations per random Σ (seed 23), loss from verify.numeric.loss_L")]
    summary = (
        f"Proved with SymPy at (d, q) in {list(SHAPES)} for every Ã, A and ε̃ (explicit entries): B̃ = M⁻¹Ãᵀ zeroes "
        "∂(4)/∂B̃ (the PPCA posterior mean; (4) is convex in B̃). With Lemma 3's diagonal D̃_ii = ε̃²/M_ii this equals "
        "the posterior covariance ε̃²M⁻¹ exactly when ÃᵀÃ is diagonal, and a rotated PPCA decoder costs the Hadamard "
        f"gap (numerically, {ROTATIONS} rotations per shape). At all {n} optima found by many-start L-BFGS on (4): "
        "B̃ = M⁻¹Ãᵀ, D̃ = ε̃² diag(M⁻¹) and ÃᵀÃ diagonal (relative error <= 1e-4)."
    )
    return ProofReport.from_items(items, summary, findings=findings)
