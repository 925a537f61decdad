"""The linear VAE's losses in JAX, and the sampler of a minibatch's second moments (Section 6 training).

Parameters are a tuple ``(At, Bt, s, u)``: Ã (d x r), B̃ (r x d), s = log diag D̃ (r,), u = log ε̃² ().
The data matrix ``A`` may carry zero columns: the loss (4) depends on A only through AAᵀ, and the
law of x = Az (z standard normal) is N(0, AAᵀ) too, so padding A (d x r*) with zero columns to any
width w >= r* changes neither (``tests/test_training_jax.py`` checks both).  This lets runs with
different r* but the same d share one compiled, ``vmap``-ed program.

Minibatch loss.  One step of the paper's training draws m samples x_j = Az_j and one
reparameterisation noise z'_j ~ N(0, I_r) per sample, h_j = B̃x_j + D̃^{1/2} z'_j, and takes the
estimate of (3)

    ℓ = Σ_j ||x_j - Ãh_j||²/(2ε̃²m) + Σ_j ||B̃x_j||²/(2m) + d log ε̃ + ½ Σ_i (D̃_ii - log D̃_ii).

With w_j = [z_j; z'_j] (k = w + r entries), x_j - Ãh_j = P w_j with P = [A - ÃB̃A, -ÃD̃^{1/2}] and
B̃x_j = Q w_j with Q = [B̃A, 0], so ℓ depends on the batch only through S = Σ_j w_j w_jᵀ:
Σ_j ||P w_j||² = tr(P S Pᵀ) = ||P G||² for any G with G Gᵀ = S (G = [w_1 ... w_m] itself, or a
Cholesky factor).  S is Wishart_k(m, I), which the Bartlett decomposition samples directly:
S = L Lᵀ with L lower triangular, L_ii² ~ χ²(m - i) (i = 0..k-1) and L_ij ~ N(0, 1) below the
diagonal, all independent (needs m >= k).  The loss and its gradient (a function of S) then have
exactly the law they have on explicit samples, from k(k+1)/2 random numbers instead of k·m.

What this equivalence assumes.  Section 6 says only "the data is generated as Az, z ~ N(0, I_{r*})"
and names no finite training set, so each step's z_j are read as fresh iid draws (as are the
z'_j): then w_j ~ N(0, I_k) iid and S ~ Wishart_k(m, I) exactly.  If the data were a FIXED set of
n points (batches drawn from it), S_zz would be the batch's moments of that set (no Wishart law)
and only the noise part could be drawn this way: given the batch's Z (w x m) with Zᵀ = QR
(Q: m x w, orthonormal columns), the noise Z' (r x m) gives Z Z'ᵀ = Rᵀ(Z'Q)ᵀ with Z'Q iid N(0, 1)
(r x w) and Z'Z'ᵀ = (Z'Q)(Z'Q)ᵀ + W with W ~ Wishart_r(m - w, I) independent of it.  We do not
implement that reading: it is not the paper's setup as printed.
"""
from __future__ import annotations

import os

# Small matrices in a long loop: Eigen's thread pool costs more than it saves (about 1.8x slower
# per step on 2 cores), and so do the YNNPACK library fusions of XLA's CPU backend (about 1.3x
# slower per training step of Table 1, measured by benchmarks/table1.py).  Read when the XLA
# backend starts, so they only act if we are first.
for _flag in ("--xla_cpu_multi_thread_eigen=false", "--xla_cpu_experimental_ynn_fusion_type="):
    if _flag.split("=")[0] not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + _flag).strip()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["population_loss", "batch_loss", "moment_loss", "unflatten", "population_grad", "moment_grad", "chi2",
           "bartlett_factor", "batch_factor"]


def _parts(params):
    At, Bt, s, u = params
    return At, Bt, s, u, jnp.exp(s), jnp.exp(u)


def population_loss(params, A):
    """Eq. (4): ||A - ÃB̃A||²/(2ε̃²) + ½||B̃A||² + d log ε̃ + ½ Σ_i (D̃_ii ||Ã_i||²/ε̃² + D̃_ii - log D̃_ii)."""
    At, Bt, s, u, D, e2 = _parts(params)
    M = Bt @ A
    R = A - At @ M
    c = jnp.sum(At * At, axis=0)
    return (jnp.sum(R * R) / (2 * e2) + jnp.sum(M * M) / 2 + A.shape[0] * u / 2
            + 0.5 * jnp.sum(D * c / e2 + D - s))


def batch_loss(params, A, z, zp):
    """The reparameterised estimate ℓ of (3) on explicit samples x = Az (z: w x m), noise z' (r x m)."""
    At, Bt, s, u, D, e2 = _parts(params)
    m = z.shape[1]
    X = A @ z
    mu = Bt @ X
    H = mu + jnp.exp(s / 2)[:, None] * zp
    E = X - At @ H
    return (jnp.sum(E * E) / (2 * e2 * m) + jnp.sum(mu * mu) / (2 * m) + A.shape[0] * u / 2
            + 0.5 * jnp.sum(D - s))


def moment_loss(params, A, G, m):
    """ℓ as a function of the batch's second moments S = G Gᵀ of the stacked [z; z'] ((w + r) x (w + r))."""
    At, Bt, s, u, D, e2 = _parts(params)
    w = A.shape[1]
    M = Bt @ A
    P = jnp.concatenate([A - At @ M, -At * jnp.exp(s / 2)], axis=1)
    PG = P @ G
    QG = M @ G[:w]
    return (jnp.sum(PG * PG) / (2 * e2 * m) + jnp.sum(QG * QG) / (2 * m) + A.shape[0] * u / 2
            + 0.5 * jnp.sum(D - s))


def unflatten(theta, d: int, r: int):
    """The flat θ = (vec Ã, vec B̃, s, u) of :mod:`._training` (row-major) -> (Ã, B̃, s, u)."""
    n = d * r
    return theta[:n].reshape(d, r), theta[n:2 * n].reshape(r, d), theta[2 * n:2 * n + r], theta[2 * n + r]


def population_grad(theta, A, r: int):
    """∇_θ (4) at the flat θ of :mod:`._training`: ``jax.grad`` of :func:`population_loss` (the
    trainer's gradient; ``tests/test_training_jax.py`` checks it against the exact NumPy gradient)."""
    d = A.shape[0]
    return jax.grad(lambda t: population_loss(unflatten(t, d, r), A))(theta)


def moment_grad(theta, A, G, m, r: int):
    """∇_θ of the minibatch loss ℓ of :func:`moment_loss` at the flat θ (``jax.grad``; the trainer's
    minibatch gradient, whose law the tests compare with the gradient on explicit samples)."""
    d = A.shape[0]
    return jax.grad(lambda t: moment_loss(unflatten(t, d, r), A, G, m))(theta)


def chi2(key, df):
    """Exact χ²(df) draws (df >= 2, an array): 2·Gamma(df/2) by Marsaglia and Tsang's rejection method.

    Every entry takes the first accepted candidate of its own iid sequence of candidates, so it is
    exact; for df >= 60 about 99% accept at once, and the loop redraws only while some entry has not.
    """
    df = jnp.asarray(df)
    dd = df / 2 - 1.0 / 3.0
    c = 1.0 / jnp.sqrt(9.0 * dd)

    def draw(k):
        k1, k2 = jax.random.split(k)
        x = jax.random.normal(k1, df.shape, df.dtype)
        v = (1.0 + c * x) ** 3
        logu = jnp.log(jax.random.uniform(k2, df.shape, df.dtype))
        ok = (v > 0) & (logu < 0.5 * x * x + dd - dd * v + dd * jnp.log(jnp.where(v > 0, v, 1.0)))
        return ok, 2.0 * dd * v

    def body(state):
        k, ok, val = state
        k, sub = jax.random.split(k)
        ok2, val2 = draw(sub)
        return k, ok | ok2, jnp.where(ok, val, val2)

    key, sub = jax.random.split(key)
    ok, val = draw(sub)
    return jax.lax.while_loop(lambda st: ~jnp.all(st[1]), body, (key, ok, val))[2]


def bartlett_factor(key, k: int, m: int, dtype=jnp.float32, shape: tuple = ()):
    """L (k x k, lower triangular) with L Lᵀ ~ Wishart_k(m, I): the Bartlett decomposition (m >= k + 1).

    ``shape`` draws that many independent factors at once (``shape + (k, k)``): one call for many
    training steps is several times cheaper than one per step.
    """
    k1, k2 = jax.random.split(key)
    n_below = k * (k - 1) // 2
    below = jax.random.normal(k1, tuple(shape) + (n_below,), dtype)
    df = jnp.broadcast_to((m - jnp.arange(k)).astype(dtype), tuple(shape) + (k,))
    diag = jnp.sqrt(chi2(k2, df))
    # L by a gather from [below, diag, 0] with a fixed index map (a scatter is slow on CPU)
    rows, cols = np.tril_indices(k, -1)
    index = np.full((k, k), n_below + k)
    index[rows, cols] = np.arange(n_below)
    index[np.arange(k), np.arange(k)] = n_below + np.arange(k)
    flat = jnp.concatenate([below, diag, jnp.zeros(tuple(shape) + (1,), dtype)], axis=-1)
    return jnp.take(flat, jnp.asarray(index), axis=-1)


def batch_factor(key, k: int, m: int, dtype=jnp.float32, shape: tuple = ()):
    """G with G Gᵀ distributed as the second moments of m iid N(0, I_k) vectors: Bartlett when m > k,
    else the m samples themselves (k x m)."""
    if m > k:
        return bartlett_factor(key, k, m, dtype, shape)
    return jax.random.normal(key, tuple(shape) + (k, m), dtype)
