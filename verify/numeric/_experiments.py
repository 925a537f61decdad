"""Runs of the gradient flow on random instances, shared by the proofs of Lemma 6 and Theorem 5."""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ._flow import gradient_flow
from ._instances import random_instance

__all__ = ["FlowCase", "flow_cases", "DEFAULT_CASES", "PROPERTY_FLOW", "property_flow"]

#: (d, r, r*, rank, rotate): rank-deficient data, r > d, r < d and r = d, in general position
#: (rotated) and with zero rows (not rotated, as Lemma 6 assumes).
DEFAULT_CASES = (
    (3, 2, 2, 1, True),
    (4, 4, 2, 1, False),
    (5, 3, 3, 2, False),
    (3, 5, 2, 2, False),
    (6, 6, 3, 2, True),
    (5, 8, 4, 3, True),
    (8, 5, 2, 2, True),
)


@dataclass(frozen=True)
class FlowCase:
    d: int
    r: int
    r_star: int
    rank: int
    rotated: bool
    seed: int
    A: np.ndarray
    runs: dict  # parameterization -> FlowResult

    @property
    def label(self) -> str:
        kind = "rotated (general position)" if self.rotated else "zero rows"
        return f"d={self.d}, r={self.r}, r*={self.r_star}, rank {self.rank}, {kind}, seed {self.seed}"


@functools.lru_cache(maxsize=4)
def flow_cases(cases: tuple = DEFAULT_CASES, seed: int = 5, t_end: float = 60.0, eps_floor: float = 1e-6) -> tuple:
    """Integrate both parameterizations on each case (cached: Lemma 6 and Theorem 5 share them)."""
    out = []
    for k, (d, r, rs, rank, rotate) in enumerate(cases):
        inst = random_instance(d, r, rs, seed + k, rank=rank, rotate=rotate)
        runs = {p: gradient_flow(inst.A, inst.x0, parameterization=p, t_end=t_end, eps_floor=eps_floor)
                for p in ("eps", "log_eps")}
        out.append(FlowCase(d, r, rs, rank, rotate, seed + k, inst.A, runs))
    return tuple(out)


#: The short runs behind the Hypothesis properties of Lemmas 4, 6 and Theorem 5: many instances,
#: each cheap.  LSODA (with the exact Jacobian) is ~10x faster than Radau on these small problems
#: (benchmarks/flow.py); ε stops at 1e-3, well before the stiff finite-time singularity.
PROPERTY_FLOW = dict(method="LSODA", t_end=2.0, eps_floor=1e-3, max_seconds=2.0)


def property_flow(A, x0, loss: str = "L1", t_end: float = PROPERTY_FLOW["t_end"], saved: int = 41):
    """A short run of the flow (1) of ``loss`` for property checks (see PROPERTY_FLOW), saved at ``saved`` times."""
    settings = {**PROPERTY_FLOW, "t_end": t_end}
    return gradient_flow(A, x0, loss=loss, t_eval=np.linspace(0.0, t_end, saved), **settings)
