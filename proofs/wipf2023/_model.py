"""The sparse multiple-response regression model, the VAE energy on it, the equal-capacity deterministic
autoencoder with a log penalty, the classifier of minima, and the many-start search.

Model.  Y = Φ X* (noiseless), Φ (n x m, m > n) a known dictionary with unit-norm columns in general
position, X* (m x N) with k nonzero rows (row-sparse, one support shared by the N responses).  The
data matrix of the main paper's loss (4) is A = Y/√N (its columns are the N responses, weight 1/N).

VAE.  Latent z in R^m (one code per response), prior N(0, I), decoder p(y|z) = N(Φ diag(w) z, ε² I)
with learned column scales w (the *dictionary-constrained single-layer decoder* Ã = Φ diag(w)) and
learned decoder variance ε², Gaussian encoder q(z|y) = N(B̃y, diag(D)) with learned diagonal
variances D.  Its energy (negative ELBO per response, minus the constant (n/2)log 2π - m/2) is
exactly the main paper's loss (4) at Ã = Φ diag(w):

    L(w, B̃, D, ε) = ||A - Φ diag(w) B̃ A||²/(2ε²) + ½||B̃A||² + n log ε
                     + ½ Σ_j (D_j w_j² ||φ_j||²/ε² + D_j - log D_j),

evaluated (value, gradient, Hessian) by :class:`verify.numeric.LObjective` and the chain rule
Ã = Φ diag(w), D = exp(log D), ε = exp(log ε).  A linear encoder mean loses nothing: for fixed
(w, ε) the optimal codes are the posterior means diag(w)Φᵀ(Φ diag(w)² Φᵀ + ε²I)⁻¹ Y, linear in Y,
and the optimal D is the same for every response.  The decoder is noiseless-capable, so minima are
asymptotic: along a minimum with a active latent dimensions and zero reconstruction error,
L ~ (n - a) log ε -> -∞ as ε -> 0 (fewer active dimensions fall faster).  The search therefore works
on ε >= ε_min (L-BFGS-B bound on log ε) and repeats every minimum it classifies at ε_min/10: a minimum
counts only if its class (active set, error) is the same at both floors.

Deterministic autoencoder (equal capacity: same decoder Φ diag(w), same latent dimension m, a linear
encoder, but deterministic codes and no KL).  Only the product diag(w)B̃ enters its loss, so w is
absorbed into B̃ (the same function class).  Its sparsity-promoting penalty is the log penalty on the
latent rows (the rows of the code matrix X = B̃A):

    E(B̃) = ||A - Φ B̃ A||²/(2η²) + ½ Σ_j log(δ² + ||(B̃A)_j||²),   η, δ fixed and small.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

from verify import VerifyError
from verify.numeric import LObjective

# ---- thresholds (each with the reason for its size) ---------------------------------------------
#: lowest decoder standard deviation of the VAE search (ε >= EPS_FLOOR), and the repeat at EPS_FLOOR/10:
#: at ε = 1e-3 the posterior-mean residual is ~ε²/σ² ~ 1e-6 of the data and inactive codes ~ε, far
#: below ACTIVE_TOL, while the curvature 1/ε² = 1e6 still leaves Newton steps well conditioned in float64.
EPS_FLOOR = 1e-3
#: a latent dimension j is active when its share of the reconstruction ||φ_j w_j (B̃A)_j|| exceeds this
#: fraction of ||A||: inactive dimensions at the floor contribute O(ε²) ~ 1e-6 (VAE) or O(η²δ) (AE), active
#: ones of the instances O(0.1..1) (nonzero rows of X* have norms in [0.5, 2]).
ACTIVE_TOL = 1e-3
#: zero reconstruction error: ||A - ÃB̃A|| <= RESIDUAL_TOL ||A||; a minimum of either loss at the floor has
#: residual O(ε²) = 1e-6 (VAE) or O(η²) (AE), a wrong support leaves an O(1) residual.
RESIDUAL_TOL = 1e-4
#: convergence: the projected gradient (bounds honoured) in the optimised coordinates <= GRAD_TOL times
#: (1 + |L|); Newton polishing reaches ~1e-12, L-BFGS alone stalls near 1e-7 at curvature 1e6.
GRAD_TOL = 1e-7
#: a minimum is strict when the smallest Hessian eigenvalue (free coordinates) exceeds -HESS_TOL times the
#: largest: float64 Hessians at curvature up to 1/ε² = 1e8 carry relative errors ~1e-10 and the problems
#: have no continuous symmetry (Ã = Φ diag(w) admits only sign flips), so true minima are well separated.
HESS_TOL = 1e-8
#: the AE's fixed decoder standard deviation and the log penalty's offset δ (small: the penalty approaches
#: the row count Σ_j log||x_j||², the form under which every basic feasible solution is a local minimum).
AE_ETA = 1e-3
AE_DELTA = 1e-3


# ---- instances ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Instance:
    """Y = Φ X* with X* k-row-sparse; ``support`` the true active rows."""

    Phi: np.ndarray
    X: np.ndarray
    support: tuple
    seed: int

    @property
    def Y(self) -> np.ndarray:
        return self.Phi @ self.X

    @property
    def A(self) -> np.ndarray:
        return self.Y / math.sqrt(self.X.shape[1])

    @property
    def shape(self) -> tuple:
        n, m = self.Phi.shape
        return n, m, len(self.support), self.X.shape[1]

    def describe(self) -> str:
        n, m, k, N = self.shape
        return f"(n, m, k, N) = ({n}, {m}, {k}, {N}), seed {self.seed}, support {list(self.support)}"


def make_instance(n: int, m: int, k: int, N: int, seed: int, orthogonal: bool = True) -> Instance:
    """Φ Gaussian with unit-norm columns; X* with k nonzero rows at a random support, row norms in [0.5, 2],
    and (``orthogonal``) mutually orthogonal nonzero rows (needs N >= k)."""
    if not (1 <= k < n < m):
        raise VerifyError("(n, m, k)", (n, m, k), "need 1 <= k < n < m")
    if orthogonal and N < k:
        raise VerifyError("N", N, f"orthogonal rows need N >= k = {k}")
    rng = np.random.default_rng(seed)
    Phi = rng.standard_normal((n, m))
    Phi /= np.linalg.norm(Phi, axis=0)
    support = tuple(sorted(rng.choice(m, size=k, replace=False).tolist()))
    rows = rng.standard_normal((k, N))
    if orthogonal:
        rows = np.linalg.qr(rows.T)[0].T  # orthonormal rows
    rows = rows / np.linalg.norm(rows, axis=1, keepdims=True) * rng.uniform(0.5, 2.0, size=(k, 1))
    X = np.zeros((m, N))
    X[list(support)] = rows
    return Instance(Phi, X, support, seed)


def data_basis(A) -> np.ndarray:
    """An orthonormal basis U (n x p) of the column space of A: the encoder acts only there (B̃ = C Uᵀ), since
    directions of B̃ orthogonal to it do not change B̃A and would be exactly flat directions of either loss."""
    u, s, _ = np.linalg.svd(A, full_matrices=False)
    return u[:, s > 1e-10 * s[0]]


# ---- the VAE energy: loss (4) at Ã = Φ diag(w), in coordinates θ = (w, B̃, log D, log ε) ------------
@dataclass
class VAEEnergy:
    """Loss (4) of the linear VAE with the dictionary-constrained decoder Ã = Φ diag(w).

    ``kl=False`` is a mutant: the KL terms ½||B̃A||² + ½Σ(D_j - log D_j) are dropped (no marginalisation
    penalty, only the expected reconstruction term and n log ε remain)."""

    inst: Instance
    kl: bool = True
    obj: LObjective = field(init=False)

    def __post_init__(self):
        n, m, _, _ = self.inst.shape
        self.n, self.m = n, m
        self.obj = LObjective(self.inst.A, m)
        self.U = data_basis(self.inst.A)
        self.p = self.U.shape[1]

    @property
    def size(self) -> int:
        return 2 * self.m + self.p * self.m + 1

    def unpack(self, th):
        """(w, B̃ = C Uᵀ, log D, log ε)."""
        p, m = self.p, self.m
        w = th[:m]
        Bt = th[m : m + m * p].reshape(m, p) @ self.U.T
        logD = th[m + m * p : 2 * m + m * p]
        return w, Bt, logD, th[-1]

    def pack(self, w, C, logD, log_eps) -> np.ndarray:
        """θ from w, the encoder on the data's column space C (m x p, B̃ = C Uᵀ), log D, log ε."""
        return np.concatenate([w, np.ravel(C), logD, [log_eps]])

    def point(self, th) -> np.ndarray:
        w, Bt, logD, le = self.unpack(th)
        return np.concatenate([(self.inst.Phi * w).ravel(), Bt.ravel(), np.exp(logD), [math.exp(le)]])

    def _kl(self, th):
        """(value, gradient) of the KL terms ½||B̃A||² + ½Σ(D - log D) in θ."""
        w, Bt, logD, _ = self.unpack(th)
        D = np.exp(logD)
        g = np.zeros_like(th)
        g[self.m : self.m + self.m * self.p] = (Bt @ self.obj.Sigma @ self.U).ravel()
        g[self.m + self.m * self.p : -1] = 0.5 * (D - 1)
        return 0.5 * float(np.sum((Bt @ self.inst.A) ** 2)) + 0.5 * float(np.sum(D - logD)), g

    def value_and_grad(self, th):
        x = self.point(th)
        val = self.obj.value(x)
        gx = self.obj.gradient(x)
        g = self._pull_back(th, gx)
        if not self.kl:
            kv, kg = self._kl(th)
            val, g = val - kv, g - kg
        return val, g

    def value(self, th) -> float:
        return self.value_and_grad(th)[0]

    def _pull_back(self, th, gx):
        n, m, p = self.n, self.m, self.p
        w, Bt, logD, le = self.unpack(th)
        gA = gx[: n * m].reshape(n, m)
        g = np.empty_like(th)
        g[:m] = np.sum(gA * self.inst.Phi, axis=0)
        g[m : m + m * p] = (gx[n * m : 2 * n * m].reshape(m, n) @ self.U).ravel()
        g[m + m * p : -1] = gx[2 * n * m : -1] * np.exp(logD)
        g[-1] = gx[-1] * math.exp(le)
        return g

    def hessian(self, th) -> np.ndarray:
        """Exact Hessian in θ: JᵀHJ + Σ g_x ∂²x/∂θ² (x = (Φ diag(w), B̃, e^{log D}, e^{log ε}))."""
        if not self.kl:
            raise VerifyError("kl", self.kl, "the Hessian is only provided for the true energy")
        n, m, p = self.n, self.m, self.p
        x = self.point(th)
        H = self.obj.hessian(x)
        gx = self.obj.gradient(x)
        J = np.zeros((x.size, th.size))
        for i in range(n):
            for j in range(m):
                J[i * m + j, j] = self.inst.Phi[i, j]
        J[n * m : 2 * n * m, m : m + m * p] = np.kron(np.eye(m), self.U)  # vec B̃ = (I ⊗ U) vec C, row-major
        J[2 * n * m :, m + m * p :] = np.diag(x[2 * n * m :])
        Ht = J.T @ H @ J
        Ht[m + m * p :, m + m * p :] += np.diag(gx[2 * n * m :] * x[2 * n * m :])
        return Ht

    def codes(self, th):
        """(decoder Ã, code matrix B̃A)."""
        w, Bt, _, _ = self.unpack(th)
        return self.inst.Phi * w, Bt @ self.inst.A


# ---- the deterministic autoencoder with the log penalty --------------------------------------------
@dataclass
class AEEnergy:
    """E(B̃) = ||A - ΦB̃A||²/(2η²) + ½ Σ_j log(δ² + ||(B̃A)_j||²)."""

    inst: Instance
    eta: float = AE_ETA
    delta: float = AE_DELTA

    def __post_init__(self):
        n, m, _, _ = self.inst.shape
        self.n, self.m = n, m
        self.U = data_basis(self.inst.A)
        self.p = self.U.shape[1]
        self.UA = self.U.T @ self.inst.A  # p x N: the data in the basis of its column space
        self.Sigma = self.UA @ self.UA.T
        self.G = self.inst.Phi.T @ self.inst.Phi

    @property
    def size(self) -> int:
        return self.m * self.p

    def value_and_grad(self, th):
        """θ = C (m x p), B̃ = C Uᵀ, codes X = C UᵀA."""
        A, Phi, UA = self.inst.A, self.inst.Phi, self.UA
        X = th.reshape(self.m, self.p) @ UA
        R = A - Phi @ X
        s = np.sum(X * X, axis=1) + self.delta**2
        val = float(np.sum(R * R)) / (2 * self.eta**2) + 0.5 * float(np.sum(np.log(s)))
        g = -(Phi.T @ R @ UA.T) / self.eta**2 + (X / s[:, None]) @ UA.T
        return val, g.ravel()

    def value(self, th) -> float:
        return self.value_and_grad(th)[0]

    def hessian(self, th) -> np.ndarray:
        UA = self.UA
        X = th.reshape(self.m, self.p) @ UA
        s = np.sum(X * X, axis=1) + self.delta**2
        H = np.kron(self.G, self.Sigma) / self.eta**2
        for j in range(self.m):
            inner = np.eye(UA.shape[1]) / s[j] - 2 * np.outer(X[j], X[j]) / s[j] ** 2
            sl = slice(j * self.p, (j + 1) * self.p)
            H[sl, sl] += UA @ inner @ UA.T
        return H

    def codes(self, th):
        return self.inst.Phi, th.reshape(self.m, self.p) @ self.UA


# ---- classification ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Classified:
    active: tuple  # active latent dimensions
    residual: float  # ||A - ÃB̃A|| / ||A||
    k: int  # the minimal number of active dimensions (true support size)

    @property
    def optimal(self) -> bool:
        return len(self.active) == self.k and self.residual <= RESIDUAL_TOL

    @property
    def label(self) -> str:
        if self.optimal:
            return "optimally sparse"
        err = "zero error" if self.residual <= RESIDUAL_TOL else f"error {self.residual:.2g}"
        return f"bad ({len(self.active)} active, {err})"


def classify(At, X, A, k: int) -> Classified:
    """Active dimensions (share ||Ã_j|| ||X_j|| > ACTIVE_TOL ||A||) and relative residual of Ã X against A."""
    At, X, A = np.asarray(At, float), np.asarray(X, float), np.asarray(A, float)
    scale = float(np.linalg.norm(A))
    if not scale > 0:
        raise VerifyError("A", A, "the data must not be zero")
    share = np.linalg.norm(At, axis=0) * np.linalg.norm(X, axis=1)
    active = tuple(int(j) for j in np.nonzero(share > ACTIVE_TOL * scale)[0])
    return Classified(active, float(np.linalg.norm(A - At @ X)) / scale, k)


# ---- local minimisation with exact gradients, Newton polish and a second-order test ------------------
@dataclass(frozen=True)
class Minimum:
    theta: np.ndarray
    value: float
    grad_norm: float
    min_eig: float  # smallest Hessian eigenvalue / largest (free coordinates)
    at_floor: bool
    cls: Classified
    converged: bool


def _projected_grad(th, g, lo, hi):
    pg = g.copy()
    pg[(th <= lo) & (g > 0)] = 0.0
    pg[(th >= hi) & (g < 0)] = 0.0
    return pg


def local_minimum(energy, th0, lo=None, hi=None, maxiter: int = 0, newton: int = 300) -> Minimum:
    """L-BFGS-B with the exact gradient from θ0 (a few iterations, to enter a basin), then damped Newton
    (Levenberg: H + μI, μ adapted) with the exact Hessian on the coordinates not held at a bound; converged
    when the projected gradient <= GRAD_TOL (1 + |E|) and the Hessian on the free coordinates is positive
    definite (relative smallest eigenvalue > -HESS_TOL)."""
    lo = np.full(energy.size, -np.inf) if lo is None else lo
    hi = np.full(energy.size, np.inf) if hi is None else hi
    bounds = list(zip(np.where(np.isfinite(lo), lo, None), np.where(np.isfinite(hi), hi, None)))
    th = np.clip(np.asarray(th0, float), lo, hi)
    if maxiter:
        res = minimize(energy.value_and_grad, th, jac=True, method="L-BFGS-B", bounds=bounds,
                       options={"maxiter": maxiter, "ftol": 0.0, "gtol": 1e-12})
        th = np.clip(res.x, lo, hi)
    val, g = energy.value_and_grad(th)
    mu = 1e-3
    for _ in range(newton):
        pg = _projected_grad(th, g, lo, hi)
        if np.linalg.norm(pg) <= 1e-3 * GRAD_TOL * (1 + abs(val)):
            break
        free = ~(((th <= lo) & (g > 0)) | ((th >= hi) & (g < 0)))
        H = energy.hessian(th)[np.ix_(free, free)]
        scale = max(float(np.max(np.abs(np.diag(H)))), 1.0)
        accepted = False
        while mu < 1e12:
            try:
                step = -np.linalg.solve(H + mu * scale * np.eye(H.shape[0]), g[free])
            except np.linalg.LinAlgError:
                mu *= 10
                continue
            cand = th.copy()
            cand[free] = np.clip(th[free] + step, lo[free], hi[free])
            cv, cg = energy.value_and_grad(cand)
            if np.isfinite(cv) and cv < val:
                th, val, g, accepted = cand, cv, cg, True
                mu = max(mu / 10, 1e-12)
                break
            mu *= 10
        if not accepted:
            break
    pg = _projected_grad(th, g, lo, hi)
    free = ~(((th <= lo) & (g > 0)) | ((th >= hi) & (g < 0)))
    ev = np.linalg.eigvalsh(energy.hessian(th)[np.ix_(free, free)])
    rel = float(ev[0] / max(abs(ev[-1]), 1e-300))
    gn = float(np.linalg.norm(pg))
    at, X = energy.codes(th)
    cls = classify(at, X, energy.inst.A, len(energy.inst.support))
    converged = gn <= GRAD_TOL * (1 + abs(val)) and rel > -HESS_TOL
    return Minimum(th, float(val), gn, rel, bool(th[-1] <= lo[-1]), cls, converged)


def vae_bounds(energy: VAEEnergy, eps_floor: float, fixed: bool = False):
    """Bounds on θ: log D in [-60, 5], log ε in [log eps_floor, 5] (``fixed``: ε = eps_floor)."""
    lo = np.full(energy.size, -np.inf)
    hi = np.full(energy.size, np.inf)
    m = energy.m
    lo[-m - 1 : -1], hi[-m - 1 : -1] = -60.0, 5.0  # log D: D in [1e-26, 148]
    lo[-1], hi[-1] = math.log(eps_floor), (math.log(eps_floor) if fixed else 5.0)
    return lo, hi


def vae_start(energy: VAEEnergy, rng) -> np.ndarray:
    """A random start: scales of w and B̃ from {0.1, 1, 3}, log D in [-4, 0], ε in [0.03, 1]."""
    n, m = energy.n, energy.m
    s = rng.choice([0.1, 1.0, 3.0])
    return energy.pack(s * rng.standard_normal(m), s * rng.standard_normal((m, energy.p)) / math.sqrt(n),
                       rng.uniform(-4, 0, m), math.log(rng.uniform(0.03, 1.0)))


def vae_minimum(energy: VAEEnergy, th0, eps_floor: float = EPS_FLOOR, fixed: bool = False) -> tuple:
    """(minimum at ε >= eps_floor, the same continued at eps_floor/10, stable?); ``fixed``: ε = the floor
    (more Newton steps: from a random start at curvature 1/ε² = 1e6 the damped steps are short)."""
    lo, hi = vae_bounds(energy, eps_floor, fixed)
    th0 = np.clip(th0, lo, hi)
    newton = 2000 if fixed else 300
    first = local_minimum(energy, th0, lo, hi, newton=newton)
    lo2, hi2 = vae_bounds(energy, eps_floor / 10, fixed)
    th = first.theta.copy()
    if first.at_floor:  # the energy still falls as ε decreases: continue from the lower floor
        th[-1] = lo2[-1]
    second = local_minimum(energy, th, lo2, hi2, maxiter=0, newton=newton)
    stable = (first.converged and second.converged and first.cls.active == second.cls.active
              and first.cls.optimal == second.cls.optimal)
    return first, second, stable


def ae_start(energy: AEEnergy, rng) -> np.ndarray:
    s = rng.choice([0.1, 1.0, 3.0])
    return s * rng.standard_normal(energy.size) / math.sqrt(energy.n)


# ---- the search -----------------------------------------------------------------------------------
@dataclass
class SearchResult:
    """Per model: the minima found (converged, stable), distinct classes with basin sizes, witnesses."""

    model: str
    instances: list
    starts: int
    runs: int = 0
    inconclusive: int = 0  # not converged, a saddle (indefinite Hessian), or a class that changed between floors
    minima: list = field(default_factory=list)  # (instance, Minimum)
    seconds: float = 0.0

    @property
    def bad(self) -> list:
        return [(i, mn) for i, mn in self.minima if not mn.cls.optimal]

    def distinct(self) -> list:
        """Distinct minima per instance: same active set and energy within 1e-6 relative (sign flips of a
        latent dimension give the same energy and active set); (instance, label, active, energy, count)."""
        groups = []
        for inst, mn in self.minima:
            for grp in groups:
                if grp[0] is inst and grp[2] == mn.cls.active and abs(grp[3] - mn.value) <= 1e-6 * (1 + abs(mn.value)):
                    grp[4] += 1
                    break
            else:
                groups.append([inst, mn.cls.label, mn.cls.active, mn.value, 1])
        return groups

    def witness(self) -> str | None:
        if not self.bad:
            return None
        inst, mn = min(self.bad, key=lambda x: x[1].cls.residual)  # the cleanest: smallest reconstruction error
        at, rows = _codes_of(self.model, inst, mn.theta)
        extra = ""
        if self.model == "vae":
            w, _, logD, le = VAEEnergy(inst).unpack(mn.theta)
            extra = (f"ε = {math.exp(le):.4g}, w = {np.round(w, 4).tolist()}, D = {np.round(np.exp(logD), 4).tolist()}; ")
        return (f"{inst.describe()}: {mn.cls.label}, {extra}active latent dimensions {list(mn.cls.active)} "
                f"(true support {list(inst.support)}), energy {mn.value:.6g}, relative residual {mn.cls.residual:.2g}, projected gradient {mn.grad_norm:.1e}, "
                f"smallest/largest Hessian eigenvalue {mn.min_eig:.2e}; codes B̃A on the active rows "
                f"{np.round(rows[list(mn.cls.active)], 4).tolist()}; Φ = {np.round(inst.Phi, 4).tolist()}, "
                f"X* rows {np.round(inst.X[list(inst.support)], 4).tolist()}")


def _codes_of(model, inst, th):
    energy = VAEEnergy(inst) if model == "vae" else AEEnergy(inst)
    return energy.codes(th)


def default_instances(count: int, seed: int = 0, orthogonal: bool = True, N: int = 3) -> list:
    """``count`` instances cycling through (n, m, k) in SHAPES, seeds seed, seed+1, ..."""
    out = []
    for i in range(count):
        n, m, k = SHAPES[i % len(SHAPES)]
        out.append(make_instance(n, m, k, N if orthogonal else N, seed + i, orthogonal=orthogonal))
    return out


#: the (n, m, k) cycled through by :func:`default_instances`
SHAPES = ((3, 5, 1), (4, 6, 2), (4, 7, 1), (5, 8, 2), (3, 6, 1), (5, 7, 2))


def search(model: str, instances, starts: int, seed: int = 1, energy_kwargs=None, fixed: bool = False) -> SearchResult:
    """Many-start local minimisation of the VAE (``model="vae"``) or the AE (``"ae"``) energy on each instance.

    VAE: a run counts as a minimum when it converged at ε >= EPS_FLOOR and again at EPS_FLOOR/10 with the
    same class; AE: when it converged.  Other runs are inconclusive."""
    import time

    if model not in ("vae", "ae"):
        raise VerifyError("model", model, "must be 'vae' or 'ae'")
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    out = SearchResult(model, list(instances), starts)
    for inst in out.instances:
        for _ in range(starts):
            out.runs += 1
            if model == "vae":
                energy = VAEEnergy(inst, **(energy_kwargs or {}))
                first, second, stable = vae_minimum(energy, vae_start(energy, rng), fixed=fixed)
                if stable:
                    out.minima.append((inst, second))
                else:
                    out.inconclusive += 1
            else:
                energy = AEEnergy(inst, **(energy_kwargs or {}))
                mn = local_minimum(energy, ae_start(energy, rng))
                if mn.converged:
                    out.minima.append((inst, mn))
                else:
                    out.inconclusive += 1
    out.seconds = time.perf_counter() - t0
    return out
