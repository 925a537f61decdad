"""L (eq. 4) and L1 (eq. 5) with exact gradients and Hessians, vectorised, for any d, r, r*.

The parameters are packed in one flat vector x (row-major):

    L1: x = (vec Ã [d*r], vec B̃ [r*d], ε)
    L : x = (vec Ã [d*r], vec B̃ [r*d], diag D [r], ε)

Notation (paper -> code): Ã -> At, B̃ -> Bt, D̃ -> D, ε̃ -> eps; M = B̃A (r x r*), R = A - ÃB̃A
(d x r*), c_i = ||Ã_i||² (column norms), Σ = AAᵀ.

Derivation of the second derivatives (checked against SymPy and mpmath in the tests):
f = ||R||²; the change of R under (dÃ, dB̃) is -(lin + dÃ dB̃ A) with lin = dÃ M + Ã dB̃ A, so the
quadratic form of ∇²f is 2||lin||² - 4<R, dÃ dB̃ A>, and <R, dÃ dB̃ A> = Σ dÃ_ij dB̃_jk (RAᵀ)_ik.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._errors import VerifyError
from ..validate import check_array, check_choice, check_positive_int
from ._validate import D_MIN, D_WHY, EPS_MIN, EPS_WHY, as_D, as_eps, as_matrix

__all__ = ["LOSSES", "Objective", "L1Objective", "LObjective", "objective", "objective_for"]

#: The two losses: "L1" (eq. 5) and "L" (eq. 4).
LOSSES = ("L1", "L")


@dataclass(frozen=True)
class Objective:
    """Shared packing and the fit term f = ||A - ÃB̃A||² for the losses of the linear VAE."""

    A: np.ndarray
    r: int

    def __post_init__(self):
        A = as_matrix("A", self.A)
        object.__setattr__(self, "A", A)
        object.__setattr__(self, "r", check_positive_int("r", self.r))
        object.__setattr__(self, "Sigma", A @ A.T)
        object.__setattr__(self, "_shape", (self.size,))  # cached for the per-step check_point
        object.__setattr__(self, "_m", self.n_matrix)

    @property
    def d(self) -> int:
        return self.A.shape[0]

    @property
    def n_matrix(self) -> int:
        return 2 * self.d * self.r

    # ---- packing ------------------------------------------------------------------------
    def check_point(self, x, name: str = "x") -> np.ndarray:
        """``x`` as a packed parameter vector of this objective: float64 of length ``size``, finite,
        ε >= EPS_MIN and (for L) every D_ii >= D_MIN (see :mod:`._validate`); else VerifyError.

        Cheap when x is already a float64 vector (one ``isfinite`` and a comparison on the variance
        slots), since value/gradient/hessian call it at every step of an integrator.
        """
        if type(x) is not np.ndarray or x.dtype != np.float64 or x.shape != self._shape:
            x = check_array(name, x, ndim=1)
            if x.shape != (self.size,):
                raise VerifyError(f"{name}.shape", x.shape, f"must be ({self.size},) for d={self.d}, r={self.r}")
        if not self._point_ok(x):
            raise VerifyError(name, x, self._point_problem(x))
        return x

    def _point_ok(self, x) -> bool:
        """Cheap test of a float64 vector of the right length: finite, with variances in range.

        A finite x·x means every entry is finite (an inf or NaN entry makes it inf or NaN); only
        if x·x overflows (entries above ~1e154) are the entries tested one by one.  The variance slots (D and ε,
        the last r + 1 or 1 entries) are few, so they are compared as Python floats.
        """
        if not (math.isfinite(x @ x) or np.isfinite(x).all()):
            return False
        variances = x[self._m :].tolist()
        return variances[-1] >= EPS_MIN and min(variances) >= D_MIN  # D_MIN < EPS_MIN

    def _point_problem(self, x) -> str | None:
        """What is wrong with the packed vector x (of the right length), or None."""
        bad = np.nonzero(~np.isfinite(x))[0]
        if bad.size:
            return f"has non-finite entries (NaN or ±inf) at positions {bad.tolist()[:10]}"
        m = self.n_matrix
        D = x[m:-1]
        if D.size and not D.min() >= D_MIN:
            i = int(np.argmin(D))
            return (f"D_{i + 1} (entry {m + i}) = {D[i]:.6g}: the variances D must be "
                    + ("> 0" if D[i] <= 0 else f">= {D_MIN:.3g} ({D_WHY})"))
        if not x[-1] >= EPS_MIN:
            return f"ε (the last entry) = {x[-1]:.6g} must be " + ("> 0" if x[-1] <= 0 else f">= {EPS_MIN:.3g} ({EPS_WHY})")
        return None

    def split(self, x):
        """(Ã, B̃, rest) of a packed vector (checked by :meth:`check_point`)."""
        return self._split(self.check_point(x))

    def _split(self, x):
        d, r = self.d, self.r
        At = x[: d * r].reshape(d, r)
        Bt = x[d * r : 2 * d * r].reshape(r, d)
        return At, Bt, x[2 * d * r :]

    def _fit(self, At, Bt):
        M = Bt @ self.A
        R = self.A - At @ M
        return M, R, float(np.sum(R * R))

    def _fit_hessian(self, At, M, R) -> np.ndarray:
        """∇²f over (vec Ã, vec B̃): 2 JᵀJ + the bilinear Ã-B̃ term."""
        d, r, A = self.d, self.r, self.A
        rs = A.shape[1]
        # lin_{il} = Σ_j dÃ_ij M_jl + Σ_jk Ã_ij dB̃_jk A_kl
        JA = np.einsum("ia,jl->ilaj", np.eye(d), M).reshape(d * rs, d * r)
        JB = np.einsum("ij,kl->iljk", At, A).reshape(d * rs, r * d)
        J = np.hstack([JA, JB])
        H = 2.0 * J.T @ J
        RAt = R @ A.T  # (d, d): (RAᵀ)_ik
        # cross term: H[Ã_ij, B̃_jk] = -2 (RAᵀ)_ik
        cross = -2.0 * np.einsum("ik,jm->ijmk", RAt, np.eye(r)).reshape(d * r, r * d)
        H[: d * r, d * r :] += cross
        H[d * r :, : d * r] += cross.T
        return H

    @staticmethod
    def _col_log_gradient(At, eps):
        """Gradient of ½ Σ_i log(||Ã_i||² + ε²) over (Ã, ε)."""
        s = np.sum(At * At, axis=0) + eps**2  # (r,)
        return At / s, float(np.sum(eps / s))

    def _col_log_hessian(self, At, eps):
        """Hessian of ½ Σ_i log(||Ã_i||² + ε²) over (vec Ã, ε): (HA, HAe, Hee)."""
        d, r = self.d, self.r
        s = np.sum(At * At, axis=0) + eps**2  # (r,)
        # Hessian over vec Ã (row-major index a*r + i): block-diagonal per column i
        HA = np.zeros((d, r, d, r))
        idx = np.arange(r)
        HA[:, idx, :, idx] = (np.eye(d)[None, :, :] / s[:, None, None]
                              - 2.0 * np.einsum("ai,bi->iab", At, At) / (s**2)[:, None, None])
        HA = HA.reshape(d * r, d * r)
        HAe = (-2.0 * eps * At / s**2).ravel()
        Hee = float(np.sum(1.0 / s - 2.0 * eps**2 / s**2))
        return HA, HAe, Hee


class L1Objective(Objective):
    """Eq. (5): L1 = f/(2ε²) + ½||B̃A||² + (d - r) log ε + Σ_i (1 + log(||Ã_i||² + ε²))/2."""

    @property
    def size(self) -> int:
        return self.n_matrix + 1

    positive = property(lambda self: np.array([self.size - 1]))  # ε is positive

    def pack(self, At, Bt, eps) -> np.ndarray:
        At = as_matrix("At", At, (self.d, self.r))
        Bt = as_matrix("Bt", Bt, (self.r, self.d))
        eps = as_eps("eps", eps)
        return np.concatenate([At.ravel(), Bt.ravel(), [eps]])

    def value(self, x) -> float:
        At, Bt, (eps,) = self.split(x)
        _, _, f = self._fit(At, Bt)
        c = np.sum(At * At, axis=0)
        code = float(np.sum((Bt @ self.A) ** 2))
        return f / (2 * eps**2) + code / 2 + (self.d - self.r) * np.log(eps) + 0.5 * float(np.sum(1 + np.log(c + eps**2)))

    def gradient(self, x) -> np.ndarray:
        At, Bt, (eps,) = self.split(x)
        M, R, f = self._fit(At, Bt)
        gA_log, ge_log = self._col_log_gradient(At, eps)
        gA = -(R @ M.T) / eps**2 + gA_log
        gB = -(At.T @ R @ self.A.T) / eps**2 + Bt @ self.Sigma
        ge = -f / eps**3 + (self.d - self.r) / eps + ge_log
        return np.concatenate([gA.ravel(), gB.ravel(), [ge]])

    def hessian(self, x) -> np.ndarray:
        At, Bt, (eps,) = self.split(x)
        d, r, n = self.d, self.r, self.size
        M, R, f = self._fit(At, Bt)
        H = np.zeros((n, n))
        m = self.n_matrix
        H[:m, :m] = self._fit_hessian(At, M, R) / (2 * eps**2)
        H[d * r : m, d * r : m] += np.kron(np.eye(r), self.Sigma)  # ½||B̃A||²
        gf = np.concatenate([(-2 * R @ M.T).ravel(), (-2 * At.T @ R @ self.A.T).ravel()])
        H[:m, -1] = H[-1, :m] = -gf / eps**3
        HA, HAe, Hee = self._col_log_hessian(At, eps)
        H[: d * r, : d * r] += HA
        H[: d * r, -1] += HAe
        H[-1, : d * r] += HAe
        H[-1, -1] = 3 * f / eps**4 - (d - r) / eps**2 + Hee
        return H


class LObjective(Objective):
    """Eq. (4): L = f/(2ε²) + ½||B̃A||² + d log ε + ½ Σ_i (D_ii ||Ã_i||²/ε² + D_ii - log D_ii)."""

    @property
    def size(self) -> int:
        return self.n_matrix + self.r + 1

    positive = property(lambda self: np.arange(self.n_matrix, self.size))  # D and ε

    def pack(self, At, Bt, D, eps) -> np.ndarray:
        At = as_matrix("At", At, (self.d, self.r))
        Bt = as_matrix("Bt", Bt, (self.r, self.d))
        D = as_D("D", D, self.r)
        eps = as_eps("eps", eps)
        return np.concatenate([At.ravel(), Bt.ravel(), D, [eps]])

    def _unpack(self, x):
        At, Bt, rest = self.split(x)
        return At, Bt, rest[:-1], float(rest[-1])

    def value(self, x) -> float:
        At, Bt, D, eps = self._unpack(x)
        _, _, f = self._fit(At, Bt)
        c = np.sum(At * At, axis=0)
        code = float(np.sum((Bt @ self.A) ** 2))
        return f / (2 * eps**2) + code / 2 + self.d * np.log(eps) + 0.5 * float(np.sum(D * c / eps**2 + D - np.log(D)))

    def gradient(self, x) -> np.ndarray:
        At, Bt, D, eps = self._unpack(x)
        M, R, f = self._fit(At, Bt)
        c = np.sum(At * At, axis=0)
        gA = -(R @ M.T) / eps**2 + At * D / eps**2
        gB = -(At.T @ R @ self.A.T) / eps**2 + Bt @ self.Sigma
        gD = 0.5 * (c / eps**2 + 1 - 1 / D)
        ge = -f / eps**3 + self.d / eps - float(D @ c) / eps**3
        return np.concatenate([gA.ravel(), gB.ravel(), gD, [ge]])

    def hessian(self, x) -> np.ndarray:
        At, Bt, D, eps = self._unpack(x)
        d, r, n, m = self.d, self.r, self.size, self.n_matrix
        M, R, f = self._fit(At, Bt)
        c = np.sum(At * At, axis=0)
        H = np.zeros((n, n))
        H[:m, :m] = self._fit_hessian(At, M, R) / (2 * eps**2)
        H[d * r : m, d * r : m] += np.kron(np.eye(r), self.Sigma)
        # ½ Σ_i D_i ||Ã_i||² / ε²: vec Ã index a*r + i
        H[: d * r, : d * r] += np.diag(np.tile(D, d)) / eps**2
        iD = np.arange(m, m + r)
        rowsA = np.arange(d * r)
        H[rowsA, m + rowsA % r] = At.ravel() / eps**2
        H[m + rowsA % r, rowsA] = At.ravel() / eps**2
        H[iD, iD] = 0.5 / D**2
        gf = np.concatenate([(-2 * R @ M.T).ravel(), (-2 * At.T @ R @ self.A.T).ravel()])
        colA = np.concatenate([(-2 * At * D / eps**3).ravel(), np.zeros(r * d)])
        H[:m, -1] = H[-1, :m] = -gf / eps**3 + colA
        H[iD, -1] = H[-1, iD] = -c / eps**3
        H[-1, -1] = 3 * (f + float(D @ c)) / eps**4 - d / eps**2
        return H


def objective_for(loss: str, A, x0) -> Objective:
    """The objective whose packed parameter vector x0 is: r read off x0's length.

    L1 packs 2dr + 1 numbers, L packs 2dr + r + 1.
    """
    check_choice("loss", loss, LOSSES)
    A = as_matrix("A", A)
    d = A.shape[0]
    x0 = check_array("x0", x0)
    if x0.ndim != 1:
        raise VerifyError("x0", x0, "must be a flat parameter vector (use Objective.pack)")
    per_r = {"L1": 2 * d, "L": 2 * d + 1}
    if x0.size < 1 + per_r[loss] or (x0.size - 1) % per_r[loss]:
        raise VerifyError("x0.shape", x0.shape, f"does not match loss {loss!r} with d={d}")
    return objective(loss, A, (x0.size - 1) // per_r[loss])


def objective(loss: str, A, r: int) -> Objective:
    """``objective("L1", A, r)`` or ``objective("L", A, r)``."""
    table = {"L1": L1Objective, "L": LObjective}
    return table[check_choice("loss", loss, LOSSES)](A, r)
