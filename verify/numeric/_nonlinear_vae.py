"""A nonlinear Gaussian VAE trained with JAX + optax: one jit-compiled ``lax.scan`` over the Adam
steps, ``vmap`` over seeds; evaluation (and the decoder's Jacobian) in float64.

The model is the VAE of the loss (3): encoder q(z|x) = N(g(x), D̃) with a mean network g and a
learned diagonal D̃ that does not depend on x; decoder p(x|z) = N(f(z), ε̃² I) with a mean network
f and one learned scalar ε̃²; prior N(0, I).  Two architectures (:data:`ARCHITECTURES`):

* ``"mlp"``: g and f are multilayer perceptrons with ReLU hidden layers of the sizes ``hidden``
  and an affine output layer (``hidden=()`` is the affine VAE g(x) = B̃x + b, f(z) = Ãz + a);
* ``"affine_sigmoid"``: g(x) = B̃x + b and f(z) = Ãz + a + σ(C̃z + c), σ the logistic function
  (the decoder family of Theorem 4's construction (6), with biases).

Weights start from LeCun-normal draws (the default of a flax ``Dense`` layer), biases at 0;
log D̃ starts at ``enc_logvar_init`` for every entry.  The decoder log-variance is
``dec_logvar_rate * θ`` for a scalar parameter θ started at ``dec_logvar_init / dec_logvar_rate``:
a rate k > 1 lets Adam (whose step is about ``lr`` per parameter) move log ε̃² k times faster.
``dec_logvar_floor`` clips log ε̃² from below after every step (a projection).

The per-sample loss is the negative ELBO (3) in nats (with the Gaussian constants):

    ½||x - f(z)||²/ε̃² + (d/2) log(2πε̃²) + ½ Σ_i (g_i(x)² + D̃_ii - log D̃_ii - 1),
    z = g(x) + D̃^{1/2} z',  z' ~ N(0, I)

(with ``noisy_reconstruction``, f(z) + ε̃ ξ replaces f(z): same expectation, more variance).
The data are drawn fresh every step as a transform of standard normal draws (:class:`Dataset`),
written once for both ``jax.numpy`` and ``numpy``, so training is compiled and the float64
evaluation is plain NumPy (no compilation).
"""
from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, replace
from typing import Callable, Optional

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .._errors import VerifyError

__all__ = ["ARCHITECTURES", "Dataset", "NonlinearConfig", "NonlinearRun", "init_params", "encoder_mean",
           "decoder_mean", "decoder_logvar", "negative_elbo", "decoder_jacobian", "make_step", "train_nonlinear",
           "evaluate_nonlinear", "decoder_singular_values", "local_ranks", "count_flops"]

ARCHITECTURES = ("mlp", "affine_sigmoid")
_LOG_2PI = float(np.log(2 * np.pi))


@dataclass(frozen=True)
class NonlinearConfig:
    """Everything that determines a training run except the data and the seeds."""

    architecture: str
    ambient: int
    latent: int
    hidden: tuple = ()
    steps: int = 1000
    log_every: int = 100
    lr: float = 1e-4
    batch: int = 100
    enc_logvar_init: float = 0.0
    dec_logvar_init: float = 0.0
    dec_logvar_rate: float = 1.0
    dec_logvar_floor: Optional[float] = None
    noisy_reconstruction: bool = False

    def __post_init__(self):
        if self.architecture not in ARCHITECTURES:
            raise VerifyError("architecture", self.architecture, f"unknown; choose one of {', '.join(ARCHITECTURES)}")
        object.__setattr__(self, "hidden", tuple(self.hidden))
        for name in ("ambient", "latent", "steps", "log_every", "batch"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise VerifyError(name, v, "must be a positive integer")
        if any(not isinstance(h, (int, np.integer)) or h < 1 for h in self.hidden):
            raise VerifyError("hidden", self.hidden, "hidden layer sizes must be positive integers")
        if self.architecture == "affine_sigmoid" and self.hidden:
            raise VerifyError("hidden", self.hidden, "the affine_sigmoid architecture has no hidden layers")
        if self.steps % self.log_every:
            raise VerifyError("log_every", self.log_every, f"must divide steps={self.steps}")
        for name in ("lr", "dec_logvar_rate"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and np.isfinite(v) and v > 0):
                raise VerifyError(name, v, "must be a positive number")
        if self.dec_logvar_floor is not None and not np.isfinite(self.dec_logvar_floor):
            raise VerifyError("dec_logvar_floor", self.dec_logvar_floor, "must be a finite number or None")

    @property
    def logs(self) -> int:
        """Number of logged points, the initial one included."""
        return self.steps // self.log_every + 1

    def to_dict(self) -> dict:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        return d


@dataclass(frozen=True)
class Dataset:
    """Data as a transform of standard normal draws: x = ``transform(param, g, xp)`` for a
    per-member parameter pytree ``param`` and g ~ N(0, I) of shape (n, ``noise_dim``), written for
    either array module ``xp`` (``jax.numpy`` in training, ``numpy`` in the float64 evaluation).
    ``transform`` should be a module-level function (it is part of the compilation cache key)."""

    name: str
    transform: Callable
    noise_dim: int


# ---- the model --------------------------------------------------------------------------------
def _lecun_normal(rng: np.random.Generator, shape) -> np.ndarray:
    """LeCun normal (flax's default kernel init): a normal truncated at ±2 standard deviations,
    rescaled so that the variance is 1/fan_in."""
    x = rng.standard_normal(shape)
    bad = np.abs(x) > 2
    while bad.any():
        x[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(x) > 2
    return (x * np.sqrt(1.0 / shape[0]) / 0.8796256610342398).astype(np.float32)


def _layers(rng, sizes):
    return [{"w": _lecun_normal(rng, (m, n)), "b": np.zeros((n,), np.float32)} for m, n in zip(sizes[:-1], sizes[1:])]


def init_params(cfg: NonlinearConfig, rng: np.random.Generator) -> dict:
    """The initial parameters (float32 NumPy arrays, drawn from ``rng``): LeCun-normal weights,
    zero biases, log D̃ = ``enc_logvar_init`` and θ = ``dec_logvar_init / dec_logvar_rate``."""
    params = {
        "enc": _layers(rng, (cfg.ambient, *cfg.hidden, cfg.latent)),
        "dec": _layers(rng, (cfg.latent, *cfg.hidden, cfg.ambient)),
        "enc_logvar": np.full((cfg.latent,), cfg.enc_logvar_init, np.float32),
        "dec_theta": np.asarray(cfg.dec_logvar_init / cfg.dec_logvar_rate, np.float32),
    }
    if cfg.architecture == "affine_sigmoid":
        params["dec_sig"] = _layers(rng, (cfg.latent, cfg.ambient))
    return params


def _sigmoid(u, xp):
    return 1.0 / (1.0 + xp.exp(-u))


def _mlp(layers, x, xp):
    for layer in layers[:-1]:
        x = xp.maximum(x @ layer["w"] + layer["b"], 0.0)
    return x @ layers[-1]["w"] + layers[-1]["b"]


def encoder_mean(params, x, xp=jnp):
    """g(x), for one point or a batch (rows); ``xp`` is ``jax.numpy`` or ``numpy``."""
    return _mlp(params["enc"], x, xp)


def decoder_mean(params, z, xp=jnp):
    """f(z), for one point or a batch (rows): the MLP, plus σ(C̃z + c) when the parameters have
    the sigmoid branch; ``xp`` is ``jax.numpy`` or ``numpy``."""
    out = _mlp(params["dec"], z, xp)
    if "dec_sig" in params:
        out = out + _sigmoid(_mlp(params["dec_sig"], z, xp), xp)
    return out


def decoder_logvar(params, cfg: NonlinearConfig):
    """log ε̃² = rate * θ."""
    return cfg.dec_logvar_rate * params["dec_theta"]


def negative_elbo(params, x, noise, noise_x, cfg: NonlinearConfig, xp=jnp):
    """The mean over the rows of x of the per-sample loss (module docstring), with the given
    standard normal draws ``noise`` (n, latent) for z' and ``noise_x`` (n, ambient) for ξ."""
    mu = encoder_mean(params, x, xp)
    logv = params["enc_logvar"]
    z = mu + xp.exp(0.5 * logv) * noise
    f = decoder_mean(params, z, xp)
    s = decoder_logvar(params, cfg)
    if cfg.noisy_reconstruction:
        f = f + xp.exp(0.5 * s) * noise_x
    rec = 0.5 * xp.sum((x - f) ** 2, axis=-1) * xp.exp(-s) + 0.5 * x.shape[-1] * (_LOG_2PI + s)
    kl = 0.5 * xp.sum(mu**2 + xp.exp(logv) - logv - 1.0, axis=-1)
    return xp.mean(rec + kl)


def decoder_jacobian(params, z) -> np.ndarray:
    """∂f/∂z at each row of ``z`` (NumPy, forward mode by hand): shape (m, ambient, latent)."""
    z = np.asarray(z, dtype=np.float64)

    def forward(layers, h):
        tangent = np.broadcast_to(np.eye(z.shape[1]), (len(z), z.shape[1], z.shape[1]))  # (m, latent, width)
        for i, layer in enumerate(layers):
            h = h @ layer["w"] + layer["b"]
            tangent = tangent @ layer["w"]
            if i < len(layers) - 1:
                active = (h > 0).astype(np.float64)
                h, tangent = h * active, tangent * active[:, None, :]
        return h, tangent

    _, jac = forward(params["dec"], z)
    if "dec_sig" in params:
        u, tu = forward(params["dec_sig"], z)
        s = _sigmoid(u, np)
        jac = jac + tu * (s * (1 - s))[:, None, :]
    return np.swapaxes(jac, 1, 2)


def _project(params, cfg: NonlinearConfig, floor):
    """Clip log ε̃² = rate θ from below at ``floor`` (-inf: no clipping)."""
    return {**params, "dec_theta": jnp.maximum(params["dec_theta"], floor / cfg.dec_logvar_rate)}


def make_step(cfg: NonlinearConfig, data: "Dataset"):
    """``(opt, step)``: ``step((params, opt_state, key), (data_param, floor))`` is one Adam step
    (optax defaults: β = (0.9, 0.999), eps 1e-8) on a fresh minibatch, then the clipping of
    log ε̃² at ``floor``; it returns the new carry and the minibatch loss."""
    opt = optax.adam(cfg.lr)

    def step(carry, member):
        data_param, floor = member
        params, state, key = carry
        key, kx, kz, kn = jax.random.split(key, 4)
        x = data.transform(data_param, jax.random.normal(kx, (cfg.batch, data.noise_dim)), jnp)
        noise = jax.random.normal(kz, (cfg.batch, cfg.latent), x.dtype)
        noise_x = jax.random.normal(kn, (cfg.batch, cfg.ambient), x.dtype)
        loss, grads = jax.value_and_grad(negative_elbo)(params, x, noise, noise_x, cfg)
        updates, state = opt.update(grads, state, params)
        params = _project(optax.apply_updates(params, updates), cfg, floor)
        return (params, state, key), loss

    return opt, step


@dataclass(frozen=True)
class NonlinearRun:
    """A trained group of members (seeds, or seeds x clipping floors): parameter snapshots with
    leading axes (member, log), the logged steps, and the mean training (minibatch) loss over each
    logging interval, shape (member, log - 1)."""

    config: NonlinearConfig
    snapshots: dict
    steps: np.ndarray
    batch_loss: np.ndarray
    seconds: float = 0.0

    def at(self, member: int, log: int = -1) -> dict:
        return jax.tree_util.tree_map(lambda a: a[member, log], self.snapshots)


def _static(cfg: NonlinearConfig) -> NonlinearConfig:
    """The part of the configuration a compiled function depends on (floor and length are not)."""
    return replace(cfg, steps=cfg.log_every, dec_logvar_floor=None)


@functools.lru_cache(maxsize=32)
def _compiled_chunk(cfg: NonlinearConfig, data: "Dataset"):
    opt, step = make_step(cfg, data)

    def chunk(carry, data_param, floor):
        carry, losses = jax.lax.scan(lambda c, _: step(c, (data_param, floor)), carry, None, length=cfg.log_every)
        return carry, jnp.mean(losses)

    def start(params, seeds):  # the carry of every member, in one compiled call
        return params, jax.vmap(opt.init)(params), jax.vmap(jax.random.PRNGKey)(seeds)

    return jax.jit(start), jax.jit(jax.vmap(chunk))


def train_nonlinear(cfg: NonlinearConfig, data: "Dataset", data_params, seeds, floors=None) -> NonlinearRun:
    """Train one VAE per member, all members at once (``vmap``), in float32.

    Member m starts from ``init_params(cfg, default_rng([seeds[m], 0]))`` and draws its minibatches
    and noise from ``PRNGKey(seeds[m])``; ``data_params`` is a pytree whose leaves have the member
    axis first; ``floors`` (one per member, default ``cfg.dec_logvar_floor`` or none) clip log ε̃².
    The steps run as one compiled ``lax.scan`` of ``log_every`` steps, called ``steps/log_every``
    times (the parameters are kept after each call); a compiled chunk is reused by every call
    with the same architecture, shapes, learning rate and ``log_every``.
    """
    import time

    seeds = [int(s) for s in seeds]
    if not seeds or min(seeds) < 0 or max(seeds) >= 2**32:
        raise VerifyError("seeds", seeds, "must be a non-empty list of integers in [0, 2**32)")
    default = -np.inf if cfg.dec_logvar_floor is None else cfg.dec_logvar_floor
    floors = np.full(len(seeds), default) if floors is None else np.asarray(floors, dtype=float)
    if floors.shape != (len(seeds),):
        raise VerifyError("floors", floors, f"must have one entry per seed ({len(seeds)})")
    t0 = time.perf_counter()
    start, chunk = _compiled_chunk(_static(cfg), data)
    inits = [init_params(cfg, np.random.default_rng([s, 0])) for s in seeds]
    params = jax.tree_util.tree_map(lambda *a: np.stack(a), *inits)
    carry = start(params, np.asarray(seeds, dtype=np.uint32))
    floors = np.asarray(floors, np.float32)
    snaps, losses = [params], []
    for _ in range(cfg.steps // cfg.log_every):
        carry, loss = chunk(carry, data_params, floors)
        snaps.append(jax.tree_util.tree_map(np.asarray, carry[0]))
        losses.append(np.asarray(loss, dtype=np.float64))
    snapshots = jax.tree_util.tree_map(lambda *a: np.stack(a, axis=1), *snaps)
    return NonlinearRun(cfg, snapshots, np.arange(cfg.logs) * cfg.log_every, np.stack(losses, axis=1),
                        time.perf_counter() - t0)


# ---- evaluation in float64 (NumPy: no compilation) ---------------------------------------------
def _np64(tree):
    return jax.tree_util.tree_map(lambda a: np.asarray(a, dtype=np.float64), tree)


def evaluate_nonlinear(run: NonlinearRun, data: "Dataset", data_params, seeds, n: int) -> dict:
    """At every snapshot, in float64 NumPy: ``loss`` (the mean loss on ``n`` fresh data samples,
    one z' each), ``dec_logvar`` (log ε̃²), ``enc_logvar`` (log D̃), ``generated`` (``n`` samples
    f(z) + ε̃ξ, z ~ N(0, I), ξ ~ N(0, I)), ``generated_mean`` (their f(z)) and ``latents`` (z),
    with leading axes (member, log); ``data``: the ``n`` data samples per member.  Member m draws
    from ``default_rng([seeds[m], 1])``, the same draws at every log (common random numbers)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise VerifyError("n", n, "must be a positive integer")
    cfg = run.config
    out: dict = {k: [] for k in ("loss", "dec_logvar", "enc_logvar", "generated", "generated_mean", "latents", "data")}
    snaps = _np64(run.snapshots)
    for m, seed in enumerate(seeds):
        rng = np.random.default_rng([int(seed), 1])
        param = jax.tree_util.tree_map(lambda a: np.asarray(a, dtype=np.float64)[m], data_params)
        x = data.transform(param, rng.standard_normal((n, data.noise_dim)), np)
        noise, noise_x = rng.standard_normal((n, cfg.latent)), rng.standard_normal((n, cfg.ambient))
        z, xi = rng.standard_normal((n, cfg.latent)), rng.standard_normal((n, cfg.ambient))
        rows = {k: [] for k in ("loss", "dec_logvar", "enc_logvar", "generated", "generated_mean")}
        for log in range(run.steps.size):
            p = jax.tree_util.tree_map(lambda a: a[m, log], snaps)
            s = float(decoder_logvar(p, cfg))
            mean = decoder_mean(p, z, np)
            rows["loss"].append(float(negative_elbo(p, x, noise, noise_x, cfg, np)))
            rows["dec_logvar"].append(s)
            rows["enc_logvar"].append(p["enc_logvar"])
            rows["generated"].append(mean + np.exp(0.5 * s) * xi)
            rows["generated_mean"].append(mean)
        for k, v in rows.items():
            out[k].append(np.asarray(v))
        out["latents"].append(z)
        out["data"].append(x)
    return {k: np.stack(v) for k, v in out.items()}


def decoder_singular_values(params, z) -> np.ndarray:
    """Singular values (descending) of ∂f/∂z at each row of ``z``, in float64: shape
    (m, min(ambient, latent))."""
    return np.linalg.svd(decoder_jacobian(_np64(params), z), compute_uv=False)


def local_ranks(singular_values, floor, relative: float) -> np.ndarray:
    """Local rank of a map at each point from the singular values s_1 >= s_2 >= ... of its
    Jacobian there: #{k : s_k > max(relative * s_1, floor)}, the number of directions whose image
    is both a fraction ``relative`` of the largest and above the absolute ``floor`` (for a
    generator with noise of standard deviation ε̃, ε̃: a direction below the noise is not seen)."""
    s = np.asarray(singular_values, dtype=float)
    if not 0 <= relative < 1:
        raise VerifyError("relative", relative, "must be in [0, 1)")
    t = np.maximum(relative * s[..., :1], np.asarray(floor, dtype=float)[..., None])
    return np.sum(s > t, axis=-1)


def count_flops(cfg: NonlinearConfig) -> int:
    """Floating-point operations of one training step, counted by hand: 2 per multiply-add of each
    matrix product in the forward pass over a batch, times 3 for forward + backward (the backward
    pass of a product costs two products); elementwise work is ignored."""
    enc = (cfg.ambient, *cfg.hidden, cfg.latent)
    dec = (cfg.latent, *cfg.hidden, cfg.ambient)
    macs = sum(a * b for a, b in zip(enc[:-1], enc[1:])) + sum(a * b for a, b in zip(dec[:-1], dec[1:]))
    if cfg.architecture == "affine_sigmoid":
        macs += cfg.latent * cfg.ambient
    return 3 * 2 * macs * cfg.batch
