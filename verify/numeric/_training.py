"""Adam on the linear VAE with log-variance parameters, as in the experiments of Section 6.

Parameters, packed in one flat vector θ (row-major):

    θ = (vec Ã [d*r], vec B̃ [r*d], s = log diag D̃ [r], u = log ε̃² [1])

Two objectives, both the VAE loss (3) of the linear model x = Az, z ~ N(0, I_{r*}):

* ``population``: the exact loss (4) (Lemma 8), its gradient from :class:`LObjective` by the chain
  rule ∂/∂s_i = D_ii ∂/∂D_ii, ∂/∂u = (ε/2) ∂/∂ε;
* ``minibatch``: the reparameterised estimate of (3) on ``batch`` fresh samples x = Az per step, one
  z' ~ N(0, I_r) per sample, h = B̃x + D^{1/2}z'.  Per batch of size m (E = X - ÃH):

      ℓ = ||E||²/(2ε²m) + ||B̃X||²/(2m) + d log ε + ½ Σ_i (D_ii - log D_ii)

  an unbiased estimate of (4) whose gradient is unbiased for ∇(4) (tests check both).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .._errors import VerifyError
from ._objective import LObjective
from ._validate import as_matrix

__all__ = ["MODES", "TrainConfig", "TrainResult", "LogVarianceVAE", "adam", "train"]

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

    def minibatch_loss_and_gradient(self, theta, z, zp):
        """(ℓ, ∇_θ ℓ) of the reparameterised estimate on samples x = Az (z: r* x m) with noise zp (r x m)."""
        At, Bt, D, eps = self.unpack(theta)
        m = z.shape[1]
        X = self.A @ z
        mu = Bt @ X
        sqrtD = np.sqrt(D)
        H = mu + sqrtD[:, None] * zp
        E = X - At @ H
        e2 = float(np.sum(E * E))
        eps2 = eps * eps
        loss = (e2 / (2 * eps2 * m) + float(np.sum(mu * mu)) / (2 * m) + self.d * np.log(eps)
                + 0.5 * float(np.sum(D - np.log(D))))
        dH = -(At.T @ E) / (eps2 * m)  # ∂ℓ/∂H
        gA = -(E @ H.T) / (eps2 * m)
        gB = (dH + mu / m) @ X.T
        gs = 0.5 * sqrtD * np.sum(dH * zp, axis=1) + 0.5 * (D - 1)
        gu = -e2 / (2 * eps2 * m) + self.d / 2
        return loss, np.concatenate([gA.ravel(), gB.ravel(), gs, [gu]])


@dataclass(frozen=True)
class TrainResult:
    """The trained parameters and the population loss (4) along the run."""

    theta: np.ndarray
    steps: np.ndarray  # the steps at which ``losses`` was recorded
    losses: np.ndarray  # the population loss (4) at those steps
    finite: bool  # False when the run diverged (the parameters went non-finite) and stopped early


def adam(grad, theta0, config: TrainConfig, record=None) -> TrainResult:
    """Adam (Kingma & Ba, bias-corrected) for ``config.steps`` steps of ``grad(theta, step)``.

    ``record(theta)`` is evaluated at ``config.history`` evenly spaced steps (and at the end).
    """
    theta = np.array(theta0, dtype=float)
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    b1, b2, lr, tiny = config.beta1, config.beta2, config.lr, config.adam_eps
    every = max(1, config.steps // config.history)
    steps, values = [], []
    finite = True
    for k in range(1, config.steps + 1):
        g = grad(theta, k)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * (g * g)
        step = lr * (m / (1 - b1**k)) / (np.sqrt(v / (1 - b2**k)) + tiny)
        new = theta - step
        if not np.all(np.isfinite(new)):
            finite = False
            break
        theta = new
        if record is not None and (k % every == 0 or k == config.steps):
            steps.append(k)
            values.append(record(theta))
    return TrainResult(theta, np.array(steps), np.array(values), finite)


def train(A, config: TrainConfig, rng: np.random.Generator) -> TrainResult:
    """Train the linear VAE of A with Adam: ``rng`` draws the initialisation, then the minibatches."""
    vae = LogVarianceVAE(A, config.latent)
    theta0 = vae.initial(rng)
    if config.mode == "population":
        def grad(theta, _k):
            return vae.population_gradient(theta)
    else:
        rs, r, b = vae.A.shape[1], vae.r, config.batch

        def grad(theta, _k):
            return vae.minibatch_loss_and_gradient(theta, rng.standard_normal((rs, b)), rng.standard_normal((r, b)))[1]

    return adam(grad, theta0, config, record=vae.loss)
