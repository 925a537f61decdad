"""The linear VAE losses in NumPy: L (eq. 4), L1 (eq. 5), the optimal D (Lemma 3) and a
Monte-Carlo estimate of the expectation form (9).

Code names follow the paper (``At`` for Ã, ``Bt`` for B̃, ``D`` for diag D̃, ``eps`` for ε̃).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._errors import VerifyError
from ..validate import check_array, check_callable, check_int, check_positive_int, check_rng
from ._objective import LObjective, L1Objective
from ._validate import D_MIN, as_D, as_eps, as_matrix

__all__ = ["LinearProblem", "loss_L", "loss_L1", "optimal_D", "reconstruction_error", "monte_carlo_loss", "monte_carlo_loss_3"]


@dataclass(frozen=True)
class LinearProblem:
    """Validated (A, Ã, B̃): data matrix d x r*, decoder d x r, encoder r x d (finite, real, non-empty)."""

    A: np.ndarray
    At: np.ndarray
    Bt: np.ndarray

    def __post_init__(self):
        A = as_matrix("A", self.A)
        At = as_matrix("At", self.At, (A.shape[0], None))
        object.__setattr__(self, "A", A)
        object.__setattr__(self, "At", At)
        object.__setattr__(self, "Bt", as_matrix("Bt", self.Bt, (At.shape[1], A.shape[0])))

    @classmethod
    def of(cls, A, At, Bt) -> "LinearProblem":
        return cls(A, At, Bt)

    @property
    def d(self) -> int:
        return self.A.shape[0]

    @property
    def r(self) -> int:
        return self.At.shape[1]


def reconstruction_error(A, At, Bt, D) -> float:
    """E||x - Ã(B̃x + D^{1/2}z')||² = ||A - ÃB̃A||_F² + sum_i D_ii ||Ã_i||² (proof of Lemma 8)."""
    p = LinearProblem.of(A, At, Bt)
    D = as_D("D", D, p.r)
    with np.errstate(over="ignore", invalid="ignore"):
        fit = float(np.sum((p.A - p.At @ (p.Bt @ p.A)) ** 2))
        value = fit + float(D @ np.sum(p.At**2, axis=0))
    return _finite(value, p, None)


def _finite(value: float, p: "LinearProblem", eps) -> float:
    """``value`` if it is a finite float64; else a VerifyError naming the argument that overflowed:
    the matrix with the largest entry m if m > 1/ε (its square outweighs the 1/ε² factor), else ε."""
    if np.isfinite(value):
        return float(value)
    name, arr = max((("A", p.A), ("At", p.At), ("Bt", p.Bt)), key=lambda kv: float(np.max(np.abs(kv[1]))))
    if eps is None or np.log(np.max(np.abs(arr))) + np.log(eps) > 0:
        raise VerifyError(name, arr, f"the loss overflows float64 at these entries (value {value})")
    raise VerifyError("eps", eps, f"the loss overflows float64 at this ε (value {value}): the 1/ε² terms are too large")


def loss_L(A, At, Bt, D, eps) -> float:
    """Eq. (4): (1/2ε²)||A-ÃB̃A||² + ½||B̃A||² + d log ε + ½ Σ_i (D_ii||Ã_i||²/ε² + D_ii - log D_ii)."""
    p = LinearProblem.of(A, At, Bt)
    obj = LObjective(p.A, p.r)
    x = obj.pack(p.At, p.Bt, D, eps)
    with np.errstate(over="ignore", invalid="ignore"):
        value = obj.value(x)
    return _finite(value, p, x[-1])


def optimal_D(At, eps) -> np.ndarray:
    """Lemma 3: D_ii = ε² / (||Ã_i||² + ε²)."""
    At = as_matrix("At", At)
    eps = as_eps("eps", eps)
    with np.errstate(over="ignore"):
        D = eps**2 / (np.sum(At**2, axis=0) + eps**2)
    if not D.min() >= D_MIN:
        raise VerifyError("eps", eps, f"the optimal D_ii = ε²/(||Ã_i||² + ε²) = {D.min():.3g} underflow "
                                      f"below {D_MIN:.3g}: ||Ã_i||²/ε² is too large for float64")
    return D


def loss_L1(A, At, Bt, eps) -> float:
    """Eq. (5): (1/2ε²)||A-ÃB̃A||² + ½||B̃A||² + (d-r) log ε + Σ_i (1 + log(||Ã_i||² + ε²))/2."""
    p = LinearProblem.of(A, At, Bt)
    obj = L1Objective(p.A, p.r)
    x = obj.pack(p.At, p.Bt, eps)
    with np.errstate(over="ignore", invalid="ignore"):
        value = obj.value(x)
    return _finite(value, p, x[-1])


def monte_carlo_loss(A, At, Bt, D, eps, n: int, rng: np.random.Generator, batch: int = 50_000):
    """Estimate the expectation form (9)-(10) from n samples x = Az, z' ~ N(0, I).

    Returns ``(estimate, standard_error)``; the standard error is that of the sample mean of the
    integrand of (9) (the terms (10) are exact).
    """
    p = LinearProblem.of(A, At, Bt)
    D = as_D("D", D, p.r)
    eps = as_eps("eps", eps)
    n = check_int("n", n, minimum=2)
    rng = check_rng("rng", rng)
    batch = check_positive_int("batch", batch)
    total = 0.0
    total_sq = 0.0
    done = 0
    sqrtD = np.sqrt(D)
    while done < n:
        m = min(batch, n - done)
        z = rng.standard_normal((p.A.shape[1], m))
        zp = rng.standard_normal((p.r, m))
        x = p.A @ z
        code = p.Bt @ x
        h = _integrand_3(x.T, code.T, (p.At @ (code + sqrtD[:, None] * zp)).T, eps)
        total += float(np.sum(h))
        total_sq += float(np.sum(h**2))
        done += m
    mean = total / n
    var = max(total_sq / n - mean**2, 0.0) * n / (n - 1)
    return mean + _regulariser(p.d, D, eps), float(np.sqrt(var / n))


def _integrand_3(x, code, out, eps) -> np.ndarray:
    """Per sample (rows): (1/2ε²)||x - f(g(x) + D^{1/2}z')||² + ||g(x)||²/2, the integrand of (3)."""
    return np.sum((x - out) ** 2, axis=1) / (2 * eps**2) + np.sum(code**2, axis=1) / 2


def _regulariser(d: int, D, eps) -> float:
    """d log ε + Tr(D)/2 - ½ Σ log D_ii, the terms of (3) outside the expectation."""
    return d * np.log(eps) + 0.5 * float(np.sum(D - np.log(D)))


def monte_carlo_loss_3(x, f, g, D, eps, rng: np.random.Generator):
    """Estimate the general VAE loss (3) for any decoder f and encoder g from data samples x (n x d).

    (3) = E_x E_z'[ (1/2ε²)||x - f(g(x) + D^{1/2}z')||² + ||g(x)||²/2 ] + d log ε + Tr(D)/2 - ½ Σ log D_ii,
    with one z' ~ N(0, I_r) per sample.  ``f`` maps an (n x r) array of codes to (n x d) outputs,
    ``g`` maps (n x d) data to (n x r) codes.  Returns ``(estimate, standard_error)``.
    """
    x = as_matrix("x", x)
    n, d = x.shape
    if n < 2:
        raise VerifyError("x.shape", x.shape, "need at least 2 samples (rows)")
    f = check_callable("f", f)
    g = check_callable("g", g)
    eps = as_eps("eps", eps)
    rng = check_rng("rng", rng)
    code = check_array("g(x)", g(x), shape=(n, None))
    D = as_D("D", D, code.shape[1])
    out = check_array("f(code)", f(code + np.sqrt(D) * rng.standard_normal(code.shape)), shape=x.shape)
    h = _integrand_3(x, code, out, eps)
    return float(np.mean(h)) + _regulariser(d, D, eps), float(np.std(h, ddof=1) / np.sqrt(n))
