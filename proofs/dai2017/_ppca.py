"""Probabilistic PCA in closed form (Tipping & Bishop 1999) and the linear VAE (4) around it.

NumPy: :func:`ppca_solution` (W, σ², the posterior mean map and covariance), :func:`optimal_value`
(min (4)), :func:`ppca_nll` (the PPCA expected negative log-likelihood, computed independently of
(4)), :func:`many_start_minimum` (many-start L-BFGS on (4) with the library's exact gradient, D̃ and
ε̃ in log coordinates).

SymPy (q = 1, Σ = diag(λ_1, ..., λ_d) with λ_d = ``lam`` > 0 and λ_j = λ_{j+1} + δ_j, δ_j > 0): the
loss (4) from :func:`verify.symbolic.linear_vae` with A = diag(√λ_j), the closed-form optimum and the
decomposition of L - L* into nonnegative terms used by ``ppca_optimum``.  A diagonal Σ loses no
generality: (4) depends on the data only through Σ = AAᵀ and is invariant under Ã -> UÃ, B̃ -> B̃Uᵀ
for orthogonal U (Lemma 4 of the main paper), which diagonalises Σ.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy.optimize import minimize

from verify import VerifyError
from verify.numeric import objective, optimal_D
from verify.symbolic import linear_vae

__all__ = ["PPCA", "ppca_solution", "optimal_value", "ppca_nll", "data_matrix", "random_covariance",
           "many_start_minimum", "runs", "SymbolicPPCA", "symbolic_ppca", "phi"]


# ---- NumPy -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PPCA:
    W: np.ndarray  # d x q decoder U_q(Λ_q - σ²I)^{1/2}R
    sigma2: float  # mean of the discarded eigenvalues
    B: np.ndarray  # posterior mean map M⁻¹Wᵀ
    cov: np.ndarray  # posterior covariance σ²M⁻¹
    eigenvalues: np.ndarray  # λ_1 >= ... >= λ_d


def _covariance(Sigma) -> np.ndarray:
    S = np.asarray(Sigma, float)
    if S.ndim != 2 or S.shape[0] != S.shape[1] or not np.all(np.isfinite(S)) or not np.allclose(S, S.T):
        raise VerifyError("Sigma", Sigma, "must be a finite symmetric square matrix")
    if np.linalg.eigvalsh(S)[0] <= 0:
        raise VerifyError("Sigma", Sigma, "must be positive definite (full rank)")
    return S


def ppca_solution(Sigma, q: int, R=None) -> PPCA:
    """Tipping & Bishop's maximum-likelihood PPCA with q latent dimensions (R = I by default)."""
    S = _covariance(Sigma)
    d = S.shape[0]
    if not (isinstance(q, int) and 1 <= q < d):
        raise VerifyError("q", q, f"must be an integer with 1 <= q < d = {d}")
    lam, U = np.linalg.eigh(S)
    lam, U = lam[::-1], U[:, ::-1]
    sigma2 = float(np.mean(lam[q:]))
    R = np.eye(q) if R is None else np.asarray(R, float)
    W = U[:, :q] * np.sqrt(lam[:q] - sigma2) @ R
    M = W.T @ W + sigma2 * np.eye(q)
    return PPCA(W, sigma2, np.linalg.solve(M, W.T), sigma2 * np.linalg.inv(M), lam)


def optimal_value(Sigma, q: int) -> float:
    """min (4) = ½[Σ_{j<=q} log λ_j + (d - q) log σ² + d + q]."""
    p = ppca_solution(Sigma, q)
    d = p.eigenvalues.size
    return float(0.5 * (np.sum(np.log(p.eigenvalues[:q])) + (d - q) * np.log(p.sigma2) + d + q))


def ppca_nll(Sigma, W, sigma2: float) -> float:
    """E_x -log N(x; 0, WWᵀ + σ²I) for Cov x = Σ: ½[d log 2π + log det C + tr(C⁻¹Σ)]."""
    S = _covariance(Sigma)
    d = S.shape[0]
    C = W @ W.T + sigma2 * np.eye(d)
    return float(0.5 * (d * np.log(2 * np.pi) + np.linalg.slogdet(C)[1] + np.trace(np.linalg.solve(C, S))))


def data_matrix(Sigma) -> np.ndarray:
    """A with AAᵀ = Σ (the symmetric square root)."""
    lam, U = np.linalg.eigh(_covariance(Sigma))
    return U * np.sqrt(lam) @ U.T


def random_covariance(d: int, rng: np.random.Generator, spread: float = 3.0) -> np.ndarray:
    """UΛUᵀ with a Haar-random U and log-uniform eigenvalues in [1/spread, spread]·(distinct a.s.)."""
    Q, Rm = np.linalg.qr(rng.standard_normal((d, d)))
    Q = Q * np.sign(np.diag(Rm))
    lam = np.exp(rng.uniform(-np.log(spread), np.log(spread), d))
    return Q * lam @ Q.T


def _log_objective(obj):
    """(4) in y = (vec Ã, vec B̃, log D̃, log ε̃): value and exact gradient (chain rule on the library's)."""
    m = obj.n_matrix

    def f(y):
        x = y.copy()
        x[m:] = np.exp(y[m:])
        try:
            x = obj.check_point(x)
        except VerifyError:
            return np.inf, np.zeros_like(y)
        g = obj.gradient(x)
        g[m:] *= x[m:]
        return obj.value(x), g
    return f


def many_start_minimum(Sigma, q: int, starts: int, rng: np.random.Generator, maxiter: int = 2000) -> list:
    """Local minima of (4) from ``starts`` random starts: a list of (value, Ã, B̃, D̃, ε̃, gradient norm)."""
    S = _covariance(Sigma)
    obj = objective("L", data_matrix(S), q)
    d, m = S.shape[0], obj.n_matrix
    f = _log_objective(obj)
    out = []
    for _ in range(starts):
        scale = rng.choice([0.3, 1.0, 3.0])
        y0 = np.concatenate([rng.standard_normal(m) * scale / np.sqrt(d), rng.uniform(-2, 0, q), [rng.uniform(-1, 1)]])
        res = minimize(f, y0, jac=True, method="L-BFGS-B", options={"maxiter": maxiter, "gtol": 1e-9, "ftol": 1e-15})
        x = res.x.copy()
        x[m:] = np.exp(x[m:])
        At, Bt, rest = obj.split(x)
        out.append((float(res.fun), At, Bt, rest[:-1], float(rest[-1]), float(np.linalg.norm(obj.gradient(x)))))
    return out


@functools.lru_cache(maxsize=8)
def runs(shapes: tuple, starts: int, seed: int) -> tuple:
    """One random full-rank Σ per (d, q) in ``shapes`` and the many-start minima of (4) on it:
    ((Σ, q, [(value, Ã, B̃, D̃, ε̃, |gradient|), ...]), ...).  Cached: ``ppca_optimum`` and
    ``ppca_encoder`` read the same runs."""
    rng = np.random.default_rng(seed)
    out = []
    for d, q in shapes:
        S = random_covariance(d, rng)
        out.append((S, q, many_start_minimum(S, q, starts, rng)))
    return tuple(out)


# ---- SymPy, q = 1, diagonal Σ -----------------------------------------------------------------------
def phi(x):
    """φ(x) = x - 1 - log x >= 0 on x > 0 (0 only at x = 1)."""
    return x - 1 - sp.log(x)


class SymbolicPPCA:
    """(4) at q = 1 with A = diag(√λ_1, ..., √λ_d), the optimum, and the pieces of L - L*."""

    def __init__(self, d: int):
        if not (isinstance(d, int) and d >= 2):
            raise VerifyError("d", d, "need an integer d >= 2")
        self.d = d
        self.vae = linear_vae(d, 1, d)
        self.lam_min = sp.Symbol("lam", positive=True)
        self.delta = [sp.Symbol(f"delta_{j + 1}", positive=True) for j in range(d - 1)]
        # λ_d = lam, λ_j = λ_{j+1} + δ_j: strictly decreasing eigenvalues
        lam = [self.lam_min]
        for j in reversed(range(d - 1)):
            lam.insert(0, lam[0] + self.delta[j])
        self.lam = lam
        A = sp.diag(*[sp.sqrt(x) for x in lam])
        self.a = list(self.vae.At[:, 0])
        self.b = list(self.vae.Bt[0, :])
        self.D = self.vae.D[0]
        self.eps = self.vae.eps
        self.loss = self.vae.loss_closed_form().xreplace(dict(zip(self.vae.A, A)))
        self.sigma2 = sum(lam[1:]) / (d - 1)
        self.value = (sp.log(lam[0]) + (d - 1) * sp.log(self.sigma2) + d + 1) / 2  # L* = ½[log λ_1 + (d-1)log σ² + d + 1]

    @property
    def parameters(self) -> list:
        return self.a + self.b + [self.D, self.eps]

    def optimum(self, sigma2=None) -> dict:
        """a = (√(λ_1 - σ²), 0, ...), ε = σ, b = a/λ_1, D = σ²/λ_1."""
        s2 = self.sigma2 if sigma2 is None else sigma2
        a = [sp.sqrt(self.lam[0] - s2)] + [sp.Integer(0)] * (self.d - 1)
        M = self.lam[0] - s2 + s2
        point = dict(zip(self.a, a))
        point.update(dict(zip(self.b, [x / M for x in a])))
        point.update({self.D: s2 / M, self.eps: sp.sqrt(s2)})
        return point

    def pieces(self) -> dict:
        """The terms of L - L* = Q + P + ½φ(t) + (d-1)/2 φ(u) + ½φ(w), each with its log terms expanded
        (``*_expanded``) and as φ of its argument."""
        s = sum(x**2 for x in self.a)
        M = s + self.eps**2
        e2 = self.eps**2
        Q = M * sum(l * (b - a / M) ** 2 for l, a, b in zip(self.lam, self.a, self.b)) / (2 * e2)
        P = sum((self.lam[0] - l) * a**2 for l, a in zip(self.lam[1:], self.a[1:])) / (2 * e2 * M)
        t, u, w = self.D * M / e2, self.sigma2 / e2, self.lam[0] / M
        return {
            "Q": Q, "P": P, "t": t, "u": u, "w": w, "M": M,
            "t_expanded": (t - 1) / 2 - sp.log(self.D) / 2 - sp.log(M) / 2 + sp.log(self.eps),
            "u_expanded": (self.d - 1) * ((u - 1) - sp.log(self.sigma2) + 2 * sp.log(self.eps)) / 2,
            "w_expanded": ((w - 1) - sp.log(self.lam[0]) + sp.log(M)) / 2,
            "t_phi": phi(t) / 2, "u_phi": (self.d - 1) * phi(u) / 2, "w_phi": phi(w) / 2,
        }


_CACHE: dict = {}


def symbolic_ppca(d: int) -> SymbolicPPCA:
    if d not in _CACHE:
        _CACHE[d] = SymbolicPPCA(d)
    return _CACHE[d]
