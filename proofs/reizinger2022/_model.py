"""The linear-Gaussian model x = Ãz + εξ with a diagonal-covariance Gaussian encoder: the closed forms
the statements use, in SymPy (explicit small shapes) and NumPy (any shape).

The expected negative ELBO over self-consistent data x ~ N(0, ÃÃᵀ + ε²I) is the main paper's loss (4)
with data matrix A = [Ã | εI] (d x (r + d), AAᵀ = ÃÃᵀ + ε²I), plus the constant d/2 log 2π - r/2:
(4) is E_x[-ELBO] written out for q(z|x) = N(B̃x, diag D̃) and p(x|z) = N(Ãz, ε²I).  The SymPy
form comes from :func:`verify.symbolic.linear_vae` and the NumPy form from :func:`verify.numeric.loss_L`;
E_x log p(x) = -(entropy of N(0, ÃÃᵀ + ε²I)) is taken from ``scipy.stats`` (numeric) and written
as -½(log det C + d + d log 2π) (symbolic).
"""
from __future__ import annotations

import numpy as np
import sympy as sp
from scipy.stats import multivariate_normal

from verify import VerifyError
from verify.numeric import loss_L, optimal_D
from verify.symbolic import linear_vae

__all__ = ["SymbolicModel", "symbolic_model", "c_ima_sym", "optimal_encoder", "data_matrix", "gap_numeric",
           "gap_closed_form", "c_ima", "pinv_map", "cholesky_factor"]


# ---- SymPy, explicit shapes ----------------------------------------------------------------------
class SymbolicModel:
    """Ã (d x r symbols At_ij), ε, the loss (4) with A = [Ã | εI], the optimal encoder and the gap."""

    def __init__(self, d: int, r: int):
        if not (isinstance(d, int) and isinstance(r, int) and d >= r >= 1):
            raise VerifyError("(d, r)", (d, r), "need integers d >= r >= 1")
        self.d, self.r = d, r
        self.vae = linear_vae(d, r, r + d)
        self.Bt, self.D, self.eps = self.vae.Bt, self.vae.D, self.vae.eps
        # Ã = (At_ij) + 2·I_{d x r}: a shift of the entries (a bijection of all d x r matrices) so that the
        # engine's all-ones test point is a full-rank Ã (the all-ones matrix has rank 1)
        self.At = self.vae.At + 2 * sp.eye(d, r)
        self.A = self.At.row_join(self.eps * sp.eye(d))  # the data matrix: x = [Ã | εI] (z; ξ)
        self.loss = self.vae.loss_closed_form().xreplace(
            {**dict(zip(self.vae.A, self.A)), **{s: s + (2 if i == j else 0) for (i, j), s in
                                                  ((divmod(k, r), s) for k, s in enumerate(self.vae.At))}})
        self.G = self.At.T * self.At
        self.M = self.G + self.eps**2 * sp.eye(r)

    def col_sq(self, i: int) -> sp.Expr:
        return sum(self.At[k, i] ** 2 for k in range(self.d))

    def optimal_Bt(self) -> sp.Matrix:
        """(ÃᵀÃ + ε²I)⁻¹Ãᵀ: the posterior mean map."""
        return self.M.inv() * self.At.T

    def optimal_D(self) -> tuple:
        """Lemma 3 of the main paper: ε²/(||Ã_i||² + ε²)."""
        e2 = self.eps**2
        return tuple(e2 / (self.col_sq(i) + e2) for i in range(self.r))

    def pinv(self) -> sp.Matrix:
        return self.G.inv() * self.At.T

    def at_optimum(self, expr, Bt=None, D=None):
        Bt = self.optimal_Bt() if Bt is None else Bt
        D = self.optimal_D() if D is None else D
        return expr.xreplace({**dict(zip(self.Bt, Bt)), **dict(zip(self.D, D))})

    def expected_log_likelihood(self) -> sp.Expr:
        """E_x log N(x; 0, C), x ~ N(0, C), C = ÃÃᵀ + ε²I: -½(log det C + d + d log 2π)."""
        C = self.At * self.At.T + self.eps**2 * sp.eye(self.d)
        return -(sp.log(C.det()) + self.d + self.d * sp.log(2 * sp.pi)) / 2

    def expected_elbo(self, Bt=None, D=None) -> sp.Expr:
        """E_x ELBO = -(loss (4) + d/2 log 2π - r/2), at the optimal encoder by default."""
        return -(self.at_optimum(self.loss, Bt, D) + self.d * sp.log(2 * sp.pi) / 2 - sp.Rational(self.r, 2))

    def gap_closed_form(self, eps=None) -> sp.Expr:
        """½Σ log(||Ã_i||² + ε²) - ½ log det(ÃᵀÃ + ε²I)."""
        e = self.eps if eps is None else eps
        M = self.G + e**2 * sp.eye(self.r)
        return sum(sp.log(self.col_sq(i) + e**2) for i in range(self.r)) / 2 - sp.log(M.det()) / 2

    def c_ima(self, plus: bool = False, half: bool = True) -> sp.Expr:
        """C_IMA(Ã) = Σ log||Ã_i|| - ½ log det ÃᵀÃ (``plus``/``half``: mutants for the tests)."""
        return c_ima_sym(self.At, plus=plus, half=half)


def c_ima_sym(At: sp.Matrix, plus: bool = False, half: bool = True) -> sp.Expr:
    """Σ_i log||Ã_i|| - ½ log det(ÃᵀÃ) for a SymPy matrix (``plus``, ``half=False``: mutants)."""
    cols = sum(sp.log(sum(At[k, i] ** 2 for k in range(At.rows))) for i in range(At.cols)) / 2
    logdet = sp.log((At.T * At).det()) * (sp.Rational(1, 2) if half else 1)
    return cols + logdet if plus else cols - logdet


def cholesky_factor(r: int) -> sp.Matrix:
    """R (r x r) upper triangular, R_ii = R_ii symbols > 0, R_ij (i < j) real: every positive definite
    Gram matrix ÃᵀÃ is RᵀR for exactly one such R (Cholesky), for every d >= r."""
    return sp.Matrix(r, r, lambda i, j: sp.Symbol(f"R_{i + 1}{j + 1}", positive=True) if i == j else
                     sp.Symbol(f"R_{i + 1}{j + 1}", real=True) if i < j else sp.Integer(0))


_CACHE: dict = {}


def symbolic_model(d: int, r: int) -> SymbolicModel:
    if (d, r) not in _CACHE:
        _CACHE[(d, r)] = SymbolicModel(d, r)
    return _CACHE[(d, r)]


# ---- NumPy, any shape -----------------------------------------------------------------------------
def _full_column_rank(At) -> np.ndarray:
    At = np.asarray(At, float)
    if At.ndim != 2 or At.shape[0] < At.shape[1] or not np.all(np.isfinite(At)):
        raise VerifyError("At", At, "must be a finite d x r matrix with d >= r")
    s = np.linalg.svd(At, compute_uv=False)
    if s[-1] <= 1e-12 * s[0]:
        raise VerifyError("At", At, "must have full column rank")
    return At


def data_matrix(At, eps: float) -> np.ndarray:
    """A = [Ã | εI]: x = A (z; ξ) has covariance ÃÃᵀ + ε²I."""
    At = _full_column_rank(At)
    return np.hstack([At, eps * np.eye(At.shape[0])])


def optimal_encoder(At, eps: float) -> tuple:
    """(B̃*, D̃*) = ((ÃᵀÃ + ε²I)⁻¹Ãᵀ, ε²/(||Ã_i||² + ε²))."""
    At = _full_column_rank(At)
    r = At.shape[1]
    return np.linalg.solve(At.T @ At + eps**2 * np.eye(r), At.T), optimal_D(At, eps)


def pinv_map(At) -> np.ndarray:
    return np.linalg.pinv(_full_column_rank(At))


def gap_numeric(At, eps: float, Bt=None, D=None) -> float:
    """E_x log p(x) - E_x ELBO from independent pieces: SciPy's Gaussian entropy and the library's (4)."""
    At = _full_column_rank(At)
    d, r = At.shape
    if Bt is None or D is None:
        Bt, D = optimal_encoder(At, eps)
    loglik = -multivariate_normal(mean=np.zeros(d), cov=At @ At.T + eps**2 * np.eye(d)).entropy()
    elbo = -(loss_L(data_matrix(At, eps), At, Bt, D, eps) + d * np.log(2 * np.pi) / 2 - r / 2)
    return float(loglik - elbo)


def gap_closed_form(At, eps: float) -> float:
    At = _full_column_rank(At)
    c = np.sum(At * At, axis=0)
    return float(0.5 * np.sum(np.log(c + eps**2)) - 0.5 * np.linalg.slogdet(At.T @ At + eps**2 * np.eye(At.shape[1]))[1])


def c_ima(At) -> float:
    """Σ_i log||Ã_i|| - ½ log det(ÃᵀÃ) (float64; slogdet for the determinant)."""
    At = _full_column_rank(At)
    return float(np.sum(np.log(np.linalg.norm(At, axis=0))) - 0.5 * np.linalg.slogdet(At.T @ At)[1])
