"""Runs of the gradient flow on random instances, shared by the proofs of Lemma 6 and Theorem 5."""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .. import tolerances as tol
from .._errors import VerifyError
from ._flow import StopReason, gradient_flow
from ._instances import random_instance
from ._objective import objective

__all__ = ["FlowCase", "flow_cases", "DEFAULT_CASES", "PROPERTY_FLOW", "property_flow", "ExistenceRecord",
           "existence_record", "existence_summary", "RateWitness", "rate_witness", "rate_search"]

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


# ---- existence of the flows (does the solution live for all time?) --------------------------------

@dataclass(frozen=True)
class ExistenceRecord:
    """How one run ended, from its last saved state (the numbers behind an EXISTENCE finding).

    With q = ε ∂L/∂ε at the end: along flow (1) ("eps") d(ε²)/dt = -2q, so while q stays put ε²
    reaches 0 at the finite time ``end_time`` = t + ε²/(2q) (``q_before`` is q where ε was
    10x larger, to see that it does stay put); along the log-ε flow d(log ε)/dt = -q, so ε > 0 for
    all time and ``end_time`` is inf.  A run that reached t_end ends nowhere (``end_time`` inf).
    """

    label: str
    parameterization: str
    stop: str  # StopReason name
    t_stop: float
    eps_stop: float
    q_end: float
    q_before: float
    end_time: float
    mass_ratio: float  # ||P_W⊥Ã||² at the stop over its start (nan if it started at 0)
    collapsed_columns: int  # columns j of Ã with ||Ã_j||² <= COLLAPSED_FACTOR ε²
    r: int
    K: float

    @property
    def ends(self) -> bool:
        return bool(np.isfinite(self.end_time))


def existence_record(res, A, label: str) -> ExistenceRecord:
    """An :class:`ExistenceRecord` of ``res`` (a FlowResult of L1 or L for data A)."""
    obj = objective(res.loss, A, res.r)

    def q_at(k):
        x = res.x[k]
        return float(x[-1] * obj.gradient(x)[-1])

    q = q_at(-1)
    eps = float(res.eps[-1])
    far = np.nonzero(res.eps >= 10 * eps)[0]
    q_before = q_at(int(far[-1])) if far.size else float("nan")
    end = float("inf")
    if res.stop is StopReason.EPS_FLOOR and res.parameterization == "eps" and q > 0:
        end = res.t_reached + eps**2 / (2 * q)
    m0 = res.mass_outside[0]
    col = np.sum(res.At(-1) ** 2, axis=0)
    return ExistenceRecord(label, res.parameterization, res.stop.name, res.t_reached, eps, q, q_before, end,
                           float(res.mass_outside[-1] / m0) if m0 > 0 else float("nan"),
                           int(np.sum(col <= tol.COLLAPSED_FACTOR * eps**2)), res.r, res.K)


def existence_summary(records, flow_name: str) -> tuple:
    """(text, witness) of an EXISTENCE finding computed from ``records`` (one dynamics)."""
    n = len(records)
    ends = [x for x in records if x.ends]
    if not n:
        raise VerifyError("records", records, "no runs to summarise")
    if ends:
        worst = max(ends, key=lambda x: x.mass_ratio if np.isfinite(x.mass_ratio) else -1.0)
        masses = [x.mass_ratio for x in ends if np.isfinite(x.mass_ratio)]
        text = (f"{flow_name}: on {len(ends)} of {n} runs the solution ends at a finite time: ε reached the floor at "
                f"t = {min(x.t_stop for x in ends):.3g}..{max(x.t_stop for x in ends):.3g} with ε·∂L/∂ε = q > 0 "
                f"steady (d(ε²)/dt = -2q), so ε² = 0 at T* = {min(x.end_time for x in ends):.4g}.."
                f"{max(x.end_time for x in ends):.4g}; there {min(x.collapsed_columns for x in ends)}.."
                f"{max(x.collapsed_columns for x in ends)} columns of Ã had collapsed to ||Ã_j||² <= "
                f"{tol.COLLAPSED_FACTOR:g}ε². Theorem 5's conclusion had got only so far: ||P_W⊥Ã||² left = "
                + (f"{min(masses):.3g}..{max(masses):.3g} of its start" if masses else "n/a")
                + ". The theorem's hypothesis 'the solution exists on [0, T]' holds only for T < T*.")
        w = worst
        witness = (f"[{w.label}] t = {w.t_stop:.6g}, ε = {w.eps_stop:.3g}, q = {w.q_end:.4g} (q = {w.q_before:.4g} "
                   f"where ε was 10x larger), T* = {w.end_time:.6g}, ||P_W⊥Ã||² at {w.mass_ratio:.3g} of its start, "
                   f"{w.collapsed_columns} of r = {w.r} columns collapsed, K = {w.K:.4g}")
    else:
        w = min(records, key=lambda x: x.eps_stop)
        text = (f"{flow_name}: none of {n} runs ends at a finite time: "
                + "; ".join(f"{x.label}: {x.stop} at t = {x.t_stop:.3g}, ε = {x.eps_stop:.3g}, "
                            f"d(log ε)/dt = {-x.q_end:.3g}" for x in records[:3])
                + ("; ..." if n > 3 else "")
                + ". Where ε went to the floor it did so exponentially (d(log ε)/dt -> -q), so ε > 0 for all time.")
        witness = (f"[{w.label}] {w.stop} at t = {w.t_stop:.6g}, ε = {w.eps_stop:.3g}, d(log ε)/dt = {-w.q_end:.4g}, "
                   f"||P_W⊥Ã||² at {w.mass_ratio:.3g} of its start")
    return text, witness


# ---- the best rate constant of Lemma 6 / Theorem 5 ------------------------------------------------

@dataclass(frozen=True)
class RateWitness:
    """The smallest c with mass(t) <= e^(-ct/K) mass(0) on a trajectory (see largest_rate)."""

    c: float
    label: str
    t_at: float  # the saved time at which the ratio binds
    K: float
    mass0: float


def rate_witness(res, masses, label: str) -> RateWitness:
    t = np.asarray(res.t)
    m = np.asarray(masses)
    keep = (t > 0) & (m > 0)
    if m[0] <= 0 or not np.any(keep):
        return RateWitness(float("inf"), label, float("nan"), res.K, float(m[0]))
    c = -res.K * np.log(m[keep] / m[0]) / t[keep]
    j = int(np.argmin(c))
    return RateWitness(float(c[j]), label, float(t[keep][j]), res.K, float(m[0]))


#: The family searched for the smallest rate: d = 2, r = 1, A = e_1 (row 2 of A is zero; W = span e_1).
RATE_SEARCH_A = np.array([[1.0], [0.0]])
RATE_SEARCH_FLOW = dict(t_end=1.0, eps_floor=1e-3, max_seconds=5.0)


def rate_search(starts: int = 3, maxfev: int = 25, seed: int = 0) -> tuple:
    """Nelder-Mead over starts (Ã, B̃, log ε) of flow (1) on RATE_SEARCH_A minimising the trajectory's c.

    Returns (best RateWitness, its start x0, number of flows integrated)."""
    from scipy.optimize import minimize

    obj = objective("L1", RATE_SEARCH_A, 1)
    times = np.linspace(0.0, RATE_SEARCH_FLOW["t_end"], 101)
    count = [0]
    best = [None, None]

    def start(p):
        return obj.pack(p[0:2].reshape(2, 1), p[2:4].reshape(1, 2), float(np.exp(np.clip(p[4], -3, 2))))

    def c_of(p):
        x0 = start(p)
        if x0[1] == 0:
            return 1e3
        res = gradient_flow(RATE_SEARCH_A, x0, t_eval=times, **RATE_SEARCH_FLOW)
        count[0] += 1
        w = rate_witness(res, res.mass_outside, "rate search: d=2, r=1, A = e_1, start " +
                         ", ".join(f"{v:.4g}" for v in x0))
        if best[0] is None or w.c < best[0].c:
            best[0], best[1] = w, x0
        return w.c if np.isfinite(w.c) else 1e3

    rng = np.random.default_rng(seed)
    for _ in range(starts):
        minimize(c_of, rng.uniform(-1, 1, 5), method="Nelder-Mead", options=dict(maxfev=maxfev, xatol=1e-4))
    return best[0], best[1], count[0]
