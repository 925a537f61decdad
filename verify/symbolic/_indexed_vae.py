"""The linear VAE of Section 4.1 with SYMBOLIC dimensions d, r, r* (index notation, see ``_indexed``).

Paper notation -> code (entries are undefined real functions of 1-based indices):
    A (d x r*)  -> ``A(k, l)``      Ã (d x r) -> ``At(k, j)``     B̃ (r x d) -> ``Bt(j, k)``
    D̃_jj       -> ``D(j)`` = exp(log_D(j))  (any positive diagonal)      ε̃ -> ``eps``
    z ~ N(0, I_r*) -> ``z(l)``;  z' ~ N(0, I_r) -> ``zp(j)``
Index letters: k, m run over 1..d, j over 1..r, l over 1..r*.

Every expression is written as the paper writes it (nested sums); the derivation engine decides a
step by the normal form of ``previous - new`` (SymPy) and by evaluating both sides at random
points with d, r, r* drawn as integers (mpmath).  :meth:`IndexedLinearVAE.arrays` and
:func:`~verify.symbolic._indexed.evaluate` evaluate them at concrete shapes for the numeric
confirmation against the independent NumPy losses of ``verify.numeric``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy as sp

from ._indexed import DIM_D, DIM_R, DIM_RSTAR, entry, isum, positive_entry
from ._vae import EPS

__all__ = ["IndexedLinearVAE", "indexed_linear_vae", "IDX"]


def _ix(name):
    return sp.Symbol(name, integer=True, positive=True)


#: index symbols: k, m (1..d), j (1..r), l (1..r*); i and n are spare
IDX = {n: _ix(n) for n in ("i", "j", "k", "l", "m", "n", "p")}


@dataclass(frozen=True)
class IndexedLinearVAE:
    """Symbols and the losses (4), (5), (9)-(10) of the linear VAE for symbolic d, r, r*."""

    d: sp.Symbol = DIM_D
    r: sp.Symbol = DIM_R
    r_star: sp.Symbol = DIM_RSTAR
    eps: sp.Symbol = EPS

    # ---- entries -------------------------------------------------------------------------------
    @property
    def A(self):
        return entry("A")

    @property
    def At(self):
        return entry("At")

    @property
    def Bt(self):
        return entry("Bt")

    @property
    def D(self) -> Callable:
        return positive_entry("D")

    @property
    def z(self):
        return entry("z")

    @property
    def zp(self):
        return entry("zp")

    # ---- building blocks ------------------------------------------------------------------------
    def BtA(self, j, l, Bt=None, A=None):
        """(B̃A)_jl = Σ_m B̃_jm A_ml."""
        Bt, A = Bt or self.Bt, A or self.A
        m = IDX["m"]
        return isum(Bt(j, m) * A(m, l), (m, 1, self.d))

    def AtBtA(self, k, l, At=None, A=None, Bt=None):
        """(ÃB̃A)_kl = Σ_j Ã_kj (Σ_m B̃_jm A_ml)."""
        At = At or self.At
        A = A or self.A
        Bt = Bt or self.Bt
        j, m = IDX["j"], IDX["m"]
        return isum(At(k, j) * isum(Bt(j, m) * A(m, l), (m, 1, self.d)), (j, 1, self.r))

    def fit(self, At=None, A=None, Bt=None):
        """||A - ÃB̃A||_F² = Σ_k Σ_l (A_kl - (ÃB̃A)_kl)²."""
        A_ = A or self.A
        k, l = IDX["k"], IDX["l"]
        return isum((A_(k, l) - self.AtBtA(k, l, At, A, Bt)) ** 2, (k, 1, self.d), (l, 1, self.r_star))

    def code(self, A=None, Bt=None):
        """||B̃A||_F² = Σ_j Σ_l (B̃A)_jl²."""
        A_ = A or self.A
        Bt = Bt or self.Bt
        j, l, m = IDX["j"], IDX["l"], IDX["m"]
        return isum(isum(Bt(j, m) * A_(m, l), (m, 1, self.d)) ** 2, (j, 1, self.r), (l, 1, self.r_star))

    def col_sq(self, j, At=None):
        """||Ã_j||² = Σ_k Ã_kj² (column j)."""
        At = At or self.At
        k = IDX["k"]
        return isum(At(k, j) ** 2, (k, 1, self.d))

    def optimal_D(self, j, At=None):
        """Lemma 3: D̃_jj = ε²/(||Ã_j||² + ε²)."""
        return self.eps**2 / (self.col_sq(j, At) + self.eps**2)

    # ---- the losses ---------------------------------------------------------------------------
    def loss_L(self, D=None, At=None, A=None, Bt=None):
        """(4): (1/2ε²)||A - ÃB̃A||² + ½||B̃A||² + d log ε + ½ Σ_j (D_jj||Ã_j||²/ε² + D_jj - log D_jj)."""
        D = D or self.D
        e = self.eps
        j = IDX["j"]
        return (self.fit(At, A, Bt) / (2 * e**2) + self.code(A, Bt) / 2 + self.d * sp.log(e)
                + isum(D(j) * self.col_sq(j, At) / e**2 + D(j) - sp.log(D(j)), (j, 1, self.r)) / 2)

    def loss_L1(self, At=None, A=None, Bt=None):
        """(5): (1/2ε²)||A - ÃB̃A||² + ½||B̃A||² + (d - r) log ε + Σ_j (1 + log(||Ã_j||² + ε²))/2."""
        e = self.eps
        j = IDX["j"]
        return (self.fit(At, A, Bt) / (2 * e**2) + self.code(A, Bt) / 2 + (self.d - self.r) * sp.log(e)
                + isum((1 + sp.log(self.col_sq(j, At) + e**2)) / 2, (j, 1, self.r)))

    def regulariser(self, D=None):
        """(10) outside the expectation: d log ε + Tr(D)/2 - ½ Σ_j log D_jj."""
        D = D or self.D
        j = IDX["j"]
        return self.d * sp.log(self.eps) + isum(D(j), (j, 1, self.r)) / 2 - isum(sp.log(D(j)), (j, 1, self.r)) / 2

    def integrand_9(self, D=None):
        """(1/2ε²)||Az - Ã(B̃Az + D^{1/2}z')||² + ||B̃Az||²/2 with x = Az (the integrand of (9))."""
        D = D or self.D
        k, j, l, m, n = IDX["k"], IDX["j"], IDX["l"], IDX["m"], IDX["n"]
        x = lambda kk: isum(self.A(kk, l) * self.z(l), (l, 1, self.r_star))  # noqa: E731
        code = lambda jj: isum(self.Bt(jj, m) * x(m), (m, 1, self.d))  # noqa: E731  (B̃x)_j
        residual = x(k) - isum(self.At(k, j) * (code(j) + sp.sqrt(D(j)) * self.zp(j)), (j, 1, self.r))
        return (isum(residual**2, (k, 1, self.d)) / (2 * self.eps**2)
                + isum(code(n) ** 2, (n, 1, self.r)) / 2)

    # ---- concrete instances -----------------------------------------------------------------------
    def values(self, d: int, r: int, r_star: int, eps: float) -> dict:
        return {self.d: d, self.r: r, self.r_star: r_star, self.eps: eps}

    @staticmethod
    def arrays(A, At, Bt, D=None, **extra) -> dict:
        """Concrete matrices for :func:`~verify.symbolic._indexed.evaluate` (D positive, as log_D)."""
        out = {"A": np.asarray(A, float), "At": np.asarray(At, float), "Bt": np.asarray(Bt, float)}
        if D is not None:
            out["log_D"] = np.log(np.asarray(D, float))
        out.update({k: np.asarray(v, float) for k, v in extra.items()})
        return out


def indexed_linear_vae() -> IndexedLinearVAE:
    return IndexedLinearVAE()
