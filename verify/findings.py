"""Searches behind findings: what the checks reveal beyond the paper (sharp constants, converses,
competing minimisers), each computed by a search the tool runs, never written in by hand.

:func:`minimise_from_starts` minimises a function from many starts (SciPy), and says how hard it
looked; :func:`log_slope` fits the rate of a quantity in log ε.  The proof modules turn their
results into :class:`verify.Finding` objects.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from scipy.optimize import minimize

from ._errors import VerifyError

__all__ = ["MinimumSearch", "minimise_from_starts", "log_slope"]


@dataclass(frozen=True)
class MinimumSearch:
    """The smallest value a search found, where, and how hard it looked."""

    value: float
    x: np.ndarray
    starts: int
    evaluations: int
    method: str

    def describe(self) -> str:
        return (f"{self.method} from {self.starts} random starts, {self.evaluations} evaluations; smallest value "
                f"{self.value:.3g}")


def minimise_from_starts(f: Callable[[np.ndarray], float], starts: Sequence[np.ndarray], *,
                         method: str = "L-BFGS-B", maxiter: int = 2000) -> MinimumSearch:
    """Minimise ``f`` from each start; the best local minimum found and the work done."""
    if not len(starts):
        raise VerifyError("starts", starts, "need at least one start")
    best, evaluations = None, 0
    for x0 in starts:
        res = minimize(f, np.asarray(x0, float), method=method, options={"maxiter": maxiter})
        evaluations += int(res.nfev)
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
            best = res
    if best is None:
        raise VerifyError("f", f, "was not finite at any local minimum found")
    return MinimumSearch(float(best.fun), np.asarray(best.x), len(starts), evaluations, f"SciPy {method}")


def log_slope(values: Sequence[float], eps: Sequence[float]) -> float:
    """The least-squares slope of ``values`` against log ε: the rate of a loss in log ε."""
    eps = np.asarray(eps, float)
    if eps.size < 2 or np.any(eps <= 0):
        raise VerifyError("eps", eps, "need at least two positive values")
    return float(np.polyfit(np.log(eps), np.asarray(values, float), 1)[0])
