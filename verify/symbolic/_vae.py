"""The VAE in SymPy: Gaussian log-densities (Lemma 7) and the linear VAE (Section 4.1, Lemma 8).

Paper notation -> code names (one place):
    Ã (decoder, d x r)  -> ``At``      B̃ (encoder, r x d) -> ``Bt``
    D̃ (encoder var.)    -> ``D``       ε̃ (decoder std.)   -> ``eps``
    A (data, d x r*)    -> ``A``       z ~ N(0, I_{r*})    -> ``z``;  z' ~ N(0, I_r) -> ``zp``
    Ã_i (column i of Ã) -> ``At[:, i]``
Matrices are explicit with one symbol per entry (DESIGN "known traps": no MatrixSymbol calculus).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Sequence

import sympy as sp

from .._errors import VerifyError
from ..validate import check_positive_int
from ._expectation import expect

__all__ = [
    "gaussian_log_density",
    "LinearVAE",
    "linear_vae",
    "frobenius_sq",
    "column_norm_sq",
]

EPS = sp.Symbol("eps", positive=True)


def gaussian_log_density(x: Sequence, mean: Sequence, variances: Sequence) -> sp.Expr:
    """log N(x; mean, diag(variances)), written out with its normalising constant.

    = -sum_k (x_k - mean_k)^2 / (2 var_k) - (1/2) sum_k log var_k - (n/2) log(2 pi)
    """
    if not (len(x) == len(mean) == len(variances)):
        raise VerifyError("x/mean/variances", (len(x), len(mean), len(variances)), "lengths must agree")
    n = len(x)
    quad = sum((xi - mi) ** 2 / (2 * vi) for xi, mi, vi in zip(x, mean, variances))
    logdet = sum(sp.log(v) for v in variances) / 2
    return -quad - logdet - sp.Rational(n, 2) * sp.log(2 * sp.pi)


def frobenius_sq(M: sp.Matrix) -> sp.Expr:
    """||M||_F^2 as the sum of squared entries."""
    return sum(x**2 for x in M)


def column_norm_sq(M: sp.Matrix, i: int) -> sp.Expr:
    """||M_i||^2 for column i (the paper's Ã_i is column i of Ã)."""
    return sum(M[k, i] ** 2 for k in range(M.rows))


def _matrix(name: str, rows: int, cols: int) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}_{i + 1}{j + 1}", real=True))


@dataclass(frozen=True)
class LinearVAE:
    """Symbols of the linear VAE of Section 4.1 for fixed (d, r, r*)."""

    d: int
    r: int
    r_star: int
    A: sp.Matrix
    At: sp.Matrix
    Bt: sp.Matrix
    D: tuple
    eps: sp.Symbol
    z: tuple
    zp: tuple

    def __post_init__(self):
        if self.A.shape != (self.d, self.r_star) or self.At.shape != (self.d, self.r) or self.Bt.shape != (self.r, self.d):
            raise VerifyError("shapes", (self.A.shape, self.At.shape, self.Bt.shape), "inconsistent with (d, r, r*)")

    @property
    def parameters(self) -> frozenset:
        """Every symbol the loss depends on (for 'up to an additive constant')."""
        return frozenset(set(self.A) | set(self.At) | set(self.Bt) | set(self.D) | {self.eps})

    def column_sq(self, i: int) -> sp.Expr:
        return column_norm_sq(self.At, i)

    # ---- the loss, in the forms the paper writes -------------------------------------------
    def regulariser(self) -> sp.Expr:
        """d log ε + Tr(D)/2 - (1/2) sum_i log D_ii, the terms (10) outside the expectation."""
        return self.d * sp.log(self.eps) + sum(self.D) / 2 - sum(sp.log(x) for x in self.D) / 2

    def integrand_9(self) -> sp.Expr:
        """(1/(2ε²))||Az - Ã(B̃Az + D^{1/2}z')||² + ||B̃Az||²/2, the integrand of (9) with x = Az."""
        z = sp.Matrix(self.z)
        zp = sp.Matrix(self.zp)
        Dh = sp.diag(*[sp.sqrt(x) for x in self.D])
        x = self.A * z
        residual = x - self.At * (self.Bt * x + Dh * zp)
        return frobenius_sq(residual) / (2 * self.eps**2) + frobenius_sq(self.Bt * x) / 2

    def loss_expectation_form(self) -> sp.Expr:
        """Eq. (9)-(10): the loss as a Gaussian expectation over z ~ N(0, I_{r*}), z' ~ N(0, I_r)."""
        return expect(self.integrand_9(), self.z + self.zp) + self.regulariser()

    def loss_closed_form(self) -> sp.Expr:
        """Eq. (4) = (8): the closed form of the linear VAE loss."""
        e = self.eps
        return (
            frobenius_sq(self.A - self.At * self.Bt * self.A) / (2 * e**2)
            + frobenius_sq(self.Bt * self.A) / 2
            + self.d * sp.log(e)
            + sum(self.D[i] * self.column_sq(i) / e**2 + self.D[i] - sp.log(self.D[i]) for i in range(self.r)) / 2
        )

    def optimal_D(self) -> tuple:
        """Lemma 3: D_ii = ε² / (||Ã_i||² + ε²)."""
        e2 = self.eps**2
        return tuple(e2 / (self.column_sq(i) + e2) for i in range(self.r))

    def loss_L1(self) -> sp.Expr:
        """Eq. (5): L1 = (1/(2ε²))||A - ÃB̃A||² + ||B̃A||²/2 + (d-r) log ε + sum_i (1 + log(||Ã_i||² + ε²))/2."""
        e = self.eps
        return (
            frobenius_sq(self.A - self.At * self.Bt * self.A) / (2 * e**2)
            + frobenius_sq(self.Bt * self.A) / 2
            + (self.d - self.r) * sp.log(e)
            + sum((1 + sp.log(self.column_sq(i) + e**2)) / 2 for i in range(self.r))
        )


@functools.lru_cache(maxsize=None)
def linear_vae(d: int, r: int, r_star: int) -> LinearVAE:
    """The symbols of the linear VAE with data dimension d, latent r and data rank r*."""
    d, r, r_star = (check_positive_int(name, v) for name, v in (("d", d), ("r", r), ("r_star", r_star)))
    return LinearVAE(
        d=d,
        r=r,
        r_star=r_star,
        A=_matrix("A", d, r_star),
        At=_matrix("At", d, r),
        Bt=_matrix("Bt", r, d),
        D=tuple(sp.Symbol(f"D_{i + 1}", positive=True) for i in range(r)),
        eps=EPS,
        z=tuple(sp.Symbol(f"z_{i + 1}", real=True) for i in range(r_star)),
        zp=tuple(sp.Symbol(f"zp_{i + 1}", real=True) for i in range(r)),
    )
