"""The quantities of Lemma 6 and Theorem 5 along a trajectory, and the checks of eq. (7)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import tolerances as tol
from ._flow import FlowResult

__all__ = ["BoundCheck", "check_decay", "largest_rate", "tail_singular_mass", "minmax_gap"]


@dataclass(frozen=True)
class BoundCheck:
    """lhs(t) <= rhs(t) at every saved time, within BOUND_RTOL * scale."""

    name: str
    holds: bool
    worst_excess: float  # max (lhs - rhs) / scale; <= BOUND_RTOL passes
    first_violation_t: float | None
    times: int


def _check(name, t, lhs, rhs, scale) -> BoundCheck:
    scale = max(float(scale), tol.BOUND_ATOL)
    excess = (np.asarray(lhs) - np.asarray(rhs)) / scale
    bad = np.nonzero(excess > tol.BOUND_RTOL)[0]
    return BoundCheck(name, bad.size == 0, float(np.max(excess)), float(t[bad[0]]) if bad.size else None, len(t))


def tail_singular_mass(res: FlowResult) -> np.ndarray:
    """Σ_{k > dim W} σ_k²(Ã(t))."""
    return np.sum(res.singular_values[:, res.dim_W :] ** 2, axis=1)


def check_decay(res: FlowResult, masses: np.ndarray, rate: float = 1.0, K: float | None = None,
                name: str = "") -> BoundCheck:
    """masses(t) <= exp(-rate * t / K) * masses(0), with K the trajectory's maximum by default."""
    K = res.K if K is None else K
    rhs = np.exp(-rate * res.t / K) * masses[0]
    return _check(name or f"decay at rate {rate}/K", res.t, masses, rhs, masses[0])


def minmax_gap(res: FlowResult) -> BoundCheck:
    """The first inequality of (7): Σ_{k > dim W} σ_k²(Ã) <= ||P_W⊥ Ã||_F²."""
    return _check("Σ_{k>dim W} σ_k² <= ||P_W⊥ Ã||²", res.t, tail_singular_mass(res), res.mass_outside,
                  max(res.mass_outside[0], 1.0))


def largest_rate(t: np.ndarray, masses: np.ndarray, K: float) -> float:
    """The largest c with masses(t) <= exp(-c t / K) masses(0) at every saved t > 0 (inf if none bind)."""
    t = np.asarray(t)
    m = np.asarray(masses)
    keep = (t > 0) & (m > 0)
    if m[0] <= 0 or not np.any(keep):
        return float("inf")
    return float(np.min(-K * np.log(m[keep] / m[0]) / t[keep]))
