"""Adam on the linear VAE with log-variance parameters, as in the experiments of Section 6 (JAX).

Parameters, packed in one flat vector θ (row-major) on the NumPy side:

    θ = (vec Ã [d*r], vec B̃ [r*d], s = log diag D̃ [r], u = log ε̃² [1])

Training runs in float32 (as the paper's did) as a ``jax.jit``-compiled ``lax.scan`` over the steps
between two recorded losses (``steps // history``; compiled once and called ``history`` times, which
compiles in about half the time of a scan nested in a scan), ``vmap``-ed over the runs of a group
(same d; A padded with zero columns to the group's largest r*, which changes neither the loss (4)
nor the law of the data: see :mod:`._jax_vae`).  The gradients are ``jax.grad`` of the losses on
the flat θ (:func:`._jax_vae.population_grad`, :func:`._jax_vae.moment_grad`; tests check them
against the exact NumPy gradient) and the optimiser is ``optax.adam`` on that one flat array (one
fused update instead of one per parameter array; a test checks the trainer against Adam computed
by hand from its formulas).  Everything measured
afterwards (the loss history, the final gradient norm, the metrics of Table 1) is float64 NumPy,
on the unpadded A.

Two objectives, both the VAE loss (3) of the linear model x = Az, z ~ N(0, I_{r*}):

* ``population``: the exact loss (4) (Lemma 8);
* ``minibatch``: the reparameterised estimate of (3) on ``batch`` fresh samples x = Az per step, one
  z' ~ N(0, I_r) per sample (the paper's training).  It depends on the batch only through the
  Wishart-distributed second moments of [z; z'], which are drawn directly (Bartlett decomposition),
  so every step has exactly the law of a step on explicit samples.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Optional, Sequence

import numpy as np

from .._errors import VerifyError
from ._objective import LObjective
from ._validate import as_matrix

__all__ = ["MODES", "TrainConfig", "TrainResult", "LogVarianceVAE", "pad_columns", "train_group", "train",
           "TAIL_FRACTION"]

MODES = ("population", "minibatch")


@dataclass(frozen=True)
class TrainConfig:
    """How to train: the defaults are those of the issue (100k Adam steps at learning rate 1e-3).

    ``init_scale`` None is PyTorch's default for a bias-free ``nn.Linear``: entries uniform in
    ±1/sqrt(fan_in) (fan_in = r for Ã, d for B̃); log D̃ and log ε̃² start at 0 (D̃ = I, ε̃ = 1).
    """

    mode: str = "population"
    steps: int = 100_000
    lr: float = 1e-3
    batch: int = 100
    latent: int = 20
    beta1: float = 0.9
    beta2: float = 0.999
    adam_eps: float = 1e-8
    history: int = 200  # number of loss values kept along the run

    def __post_init__(self):
        if self.mode not in MODES:
            raise VerifyError("mode", self.mode, f"unknown; choose one of {', '.join(MODES)}")
        for name in ("steps", "batch", "latent", "history"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise VerifyError(name, v, "must be a positive integer")
        for name in ("lr", "adam_eps"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and np.isfinite(v) and v > 0):
                raise VerifyError(name, v, "must be a finite number > 0")
        for name in ("beta1", "beta2"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and 0 <= v < 1):
                raise VerifyError(name, v, "must be in [0, 1)")

    def with_(self, **changes) -> "TrainConfig":
        return replace(self, **changes)


class LogVarianceVAE:
    """The linear VAE of data matrix A (d x r*) with latent dimension r, in log-variance parameters."""

    def __init__(self, A, r: int):
        self.A = as_matrix("A", A)
        self.objective = LObjective(self.A, r)
        self.d, self.r = self.objective.d, self.objective.r
        self.size = self.objective.size

    def natural(self, theta) -> np.ndarray:
        """θ -> (vec Ã, vec B̃, diag D, ε), the packing of :class:`LObjective`."""
        m = self.objective.n_matrix
        return np.concatenate([theta[:m], np.exp(theta[m:-1]), [np.exp(theta[-1] / 2)]])

    def unpack(self, theta):
        """(Ã, B̃, D, ε) from θ."""
        At, Bt, rest = self.objective.split(self.natural(theta))
        return At, Bt, rest[:-1], float(rest[-1])

    def pack(self, At, Bt, D, eps) -> np.ndarray:
        x = self.objective.pack(At, Bt, D, eps)
        m = self.objective.n_matrix
        return np.concatenate([x[:m], np.log(x[m:-1]), [2 * np.log(x[-1])]])

    def initial(self, rng: np.random.Generator) -> np.ndarray:
        """PyTorch's default ``nn.Linear`` initialisation; D̃ = I, ε̃ = 1 (see :class:`TrainConfig`)."""
        d, r = self.d, self.r
        At = rng.uniform(-1, 1, (d, r)) / np.sqrt(r)
        Bt = rng.uniform(-1, 1, (r, d)) / np.sqrt(d)
        return self.pack(At, Bt, np.ones(r), 1.0)

    def loss(self, theta) -> float:
        """The population loss (4) at θ."""
        return self.objective.value(self.natural(theta))

    def population_gradient(self, theta) -> np.ndarray:
        """∇_θ (4): the gradient of :class:`LObjective` by the chain rule into log D and log ε²."""
        x = self.natural(theta)
        g = self.objective.gradient(x)
        m = self.objective.n_matrix
        g[m:-1] *= x[m:-1]  # ∂/∂ log D_ii = D_ii ∂/∂D_ii
        g[-1] *= x[-1] / 2  # ∂/∂ log ε² = (ε/2) ∂/∂ε
        return g


#: The convergence diagnostics compare the loss at the end with the loss this fraction of the run
#: earlier ("the relative loss change over the last 10% of steps").
TAIL_FRACTION = 0.1

#: The random-number generator of the minibatch stream (jax.random key implementation; "rbg" measured
#: 1.6x slower per minibatch step here).
PRNG_IMPL = "threefry2x32"


@dataclass(frozen=True)
class TrainResult:
    """The trained parameters, the population loss (4) along the run and convergence diagnostics.

    ``grad_norm`` is ||∇_θ (4)|| at the final θ (float64, exact: :meth:`LogVarianceVAE.population_gradient`);
    ``loss_change`` is |L(T) - L(T₀)| / max(|L(T)|, 1) with T the last step and T₀ the recorded step
    nearest (1 - TAIL_FRACTION)·T (``change_from``).
    """

    theta: np.ndarray
    steps: np.ndarray  # the steps at which ``losses`` was recorded
    losses: np.ndarray  # the population loss (4) at those steps (float64)
    finite: bool  # False when the run diverged (an update went non-finite); θ is then the last finite one
    grad_norm: float = float("nan")
    loss_change: float = float("nan")
    change_from: int = 0
    theta_tail: Optional[np.ndarray] = None  # θ at step ``change_from``


def pad_columns(A, width: int) -> np.ndarray:
    """A (d x r*) with zero columns appended up to ``width``: the same AAᵀ, hence the same (4) and data law."""
    A = as_matrix("A", A)
    if not isinstance(width, (int, np.integer)) or width < A.shape[1]:
        raise VerifyError("width", width, f"must be an integer >= the {A.shape[1]} columns of A")
    return np.hstack([A, np.zeros((A.shape[0], width - A.shape[1]))])


@functools.lru_cache(maxsize=None)
def _program(mode: str, n: int, d: int, r: int, lr: float, b1: float, b2: float, adam_eps: float, batch: int):
    """The compiled trainer of one group for n steps: (carry, A, key, first step) batched over runs -> carry.

    carry = (θ flat, optax's Adam state, finite so far, last finite step).  The gradient is
    ``jax.grad`` of the loss on the flat θ (:func:`._jax_vae.population_grad` / ``moment_grad``,
    checked against the exact NumPy gradient) and the update is ``optax.adam`` on that one array.
    The caller loops over chunks of the run in Python (one compiled scan, reused for every chunk;
    a scan nested in a scan compiles about twice as long).
    """
    import jax
    import jax.numpy as jnp
    import optax

    from ._jax_vae import batch_factor, moment_grad, population_grad

    opt = optax.adam(lr, b1=b1, b2=b2, eps=adam_eps)

    def one(carry, A, key, first):
        k = A.shape[1] + r

        def step(carry, x):
            i, G = x
            theta, state, ok, last = carry
            g = population_grad(theta, A, r) if mode == "population" else moment_grad(theta, A, G, batch, r)
            updates, new_state = opt.update(g, state, theta)
            new = optax.apply_updates(theta, updates)
            good = ok & jnp.all(jnp.isfinite(new))
            keep = functools.partial(jax.tree_util.tree_map, lambda a, b: jnp.where(good, a, b))
            return (keep(new, theta), keep(new_state, state), good, jnp.where(good, i + 1, last)), None

        # the minibatch moments of the n steps, drawn in one vectorised call; step i's from its own
        # key fold_in(key, i), so the stream does not depend on how the steps are chunked
        idx = first + jnp.arange(n)
        G = (jnp.zeros((n,)) if mode == "population" else
             jax.vmap(lambda i: batch_factor(jax.random.fold_in(key, i), k, batch, A.dtype))(idx))
        return jax.lax.scan(step, carry, (idx, G))[0]

    return jax.jit(jax.vmap(opt.init)), jax.jit(jax.vmap(one, in_axes=(0, 0, 0, None)))


def _run(config: TrainConfig, every: int, theta0, A, keys, r: int):
    """All steps of a group, in chunks of ``every``: (final θ, θ after each full chunk, finite, last step)."""
    import jax
    import jax.numpy as jnp

    d = A.shape[1]
    args = (d, r, float(config.lr), float(config.beta1), float(config.beta2), float(config.adam_eps), config.batch)
    init, chunk = _program(config.mode, every, *args)
    carry = (theta0, init(theta0), jnp.ones(theta0.shape[0], bool), jnp.zeros(theta0.shape[0], jnp.int32))
    n_rec, tail = divmod(config.steps, every)
    snaps = []
    for j in range(n_rec):
        carry = chunk(carry, A, keys, jnp.int32(j * every))
        snaps.append(carry[0])
    if tail:
        carry = _program(config.mode, tail, *args)[1](carry, A, keys, jnp.int32(n_rec * every))
    snaps = np.stack(jax.device_get(snaps), axis=1) if snaps else None
    final, _state, finite, last = jax.device_get(carry)
    return final, snaps, finite, last


def _flat(snaps, j) -> np.ndarray:
    """θ after chunk j of one run (float64)."""
    return np.asarray(snaps[j], dtype=float)


def train_group(As: Sequence, config: TrainConfig, rngs: Sequence[np.random.Generator],
                width: Optional[int] = None) -> list:
    """Train one linear VAE per data matrix in ``As`` (all with the same d) in one vmapped program.

    Run i draws its initialisation from ``rngs[i]`` (as :meth:`LogVarianceVAE.initial`) and then the
    seed of its minibatch stream.  A is padded with zero columns to ``width`` (default: the largest
    r* of the group), so runs of every r* share one program; neither the loss nor the law of the
    data changes (a padded column's moments are drawn but multiply zeros).  A run's stream of
    minibatch moments depends only on its seed and width, so it gives the same result alone or in
    any group of the same width, to float32 round-off (pass ``width`` to fix it).  This is the unit
    of work to map over workers.
    """
    from . import _jax_vae  # noqa: F401  (first: it sets XLA_FLAGS before the backend starts)
    import jax
    import jax.numpy as jnp

    As = [as_matrix("A", A) for A in As]
    if not As:
        raise VerifyError("As", As, "needs at least one data matrix")
    if len(rngs) != len(As):
        raise VerifyError("rngs", len(rngs), f"needs one generator per data matrix ({len(As)})")
    d = As[0].shape[0]
    if any(A.shape[0] != d for A in As):
        raise VerifyError("As", [A.shape for A in As], "all data matrices of a group need the same d")
    vaes = [LogVarianceVAE(A, config.latent) for A in As]
    theta0 = [v.initial(g) for v, g in zip(vaes, rngs)]
    seeds = np.array([int(g.integers(2**31)) for g in rngs], dtype=np.uint32)
    keys = jax.vmap(lambda q: jax.random.key(q, impl=PRNG_IMPL))(seeds)
    if width is None:
        width = max(A.shape[1] for A in As)
    Ap = jnp.asarray(np.stack([pad_columns(A, width) for A in As]), jnp.float32)
    r = vaes[0].r
    theta0 = jnp.asarray(np.stack(theta0), jnp.float32)
    every = max(1, config.steps // config.history)
    final, snaps, finite, last = _run(config, every, theta0, Ap, keys, r)
    n_rec = config.steps // every
    out = []
    for i, vae in enumerate(vaes):
        stop = int(last[i])
        rec = [(j + 1) * every for j in range(n_rec) if (j + 1) * every <= stop]
        losses = [vae.loss(_flat(snaps[i], j)) for j in range(len(rec))]
        theta = np.asarray(final[i], dtype=float)
        if stop == config.steps and (not rec or rec[-1] != stop):
            rec.append(stop)
            losses.append(vae.loss(theta))
        steps, losses = np.array(rec, dtype=int), np.array(losses, dtype=float)
        grad_norm, change, frm, tail = float(np.linalg.norm(vae.population_gradient(theta))), float("nan"), 0, None
        if steps.size:
            j = int(np.argmin(np.abs(steps - (1 - TAIL_FRACTION) * steps[-1])))
            frm = int(steps[j])
            change = float(abs(losses[-1] - losses[j]) / max(abs(losses[-1]), 1.0))
            tail = _flat(snaps[i], j) if j < n_rec else theta
        out.append(TrainResult(theta, steps, losses, bool(finite[i]), grad_norm, change, frm, tail))
    return out


def train(A, config: TrainConfig, rng: np.random.Generator) -> TrainResult:
    """Train the linear VAE of A with Adam: ``rng`` draws the initialisation, then the minibatch seed."""
    return train_group([A], config, [rng])[0]
