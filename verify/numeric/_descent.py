"""Plain gradient descent on L1 / L, and how closely it tracks the gradient flow."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._errors import VerifyError
from ._flow import PARAMETERIZATIONS, gradient_flow
from ._objective import objective, objective_for

__all__ = ["gradient_descent", "TrackingResult", "descent_tracks_flow"]


def gradient_descent(A, x0, *, loss: str = "L1", parameterization: str = "eps", eta: float = 1e-3,
                     steps: int = 1000, r: int | None = None) -> np.ndarray:
    """``steps`` steps of size ``eta``; returns the iterates (steps + 1, size) in natural parameters.

    "eps": x <- x - eta ∇L(x) (the discretisation of flow (1)); "log_eps": the same in the
    log-variance coordinates u = log ε (and log D), u <- u - eta ε ∂L/∂ε.  A step that would make
    a variance non-positive raises VerifyError naming eta.
    """
    if parameterization not in PARAMETERIZATIONS:
        raise VerifyError("parameterization", parameterization, f"unknown; choose one of {list(PARAMETERIZATIONS)}")
    if not (np.isfinite(eta) and eta > 0):
        raise VerifyError("eta", eta, "must be a finite positive step size")
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise VerifyError("steps", steps, "must be a nonnegative integer")
    x0 = np.asarray(x0, float)
    obj = objective_for(loss, A, x0) if r is None else objective(loss, A, r)
    if x0.shape != (obj.size,):
        raise VerifyError("x0.shape", x0.shape, f"must be ({obj.size},) for loss {loss!r}")
    pos = obj.positive
    out = np.empty((steps + 1, obj.size))
    x = x0.copy()
    out[0] = x
    for k in range(steps):
        g = obj.gradient(x)
        if parameterization == "eps":
            x = x - eta * g
            if np.any(x[pos] <= 0):
                raise VerifyError("eta", eta, f"step {k + 1} made a variance non-positive; take a smaller step")
        else:
            x = x - eta * g
            x[pos] = out[k, pos] * np.exp(-eta * out[k, pos] * g[pos])
        out[k + 1] = x
    return out


@dataclass(frozen=True)
class TrackingResult:
    etas: tuple
    errors: tuple  # max over the saved times of ||x_GD - x_flow|| / (1 + ||x_flow||)
    order: float  # least-squares slope of log(error) against log(eta)
    T: float


def descent_tracks_flow(A, x0, *, loss: str = "L1", parameterization: str = "eps", T: float = 0.3,
                        etas=(0.004, 0.002, 0.001, 0.0005)) -> TrackingResult:
    """GD with step eta compared with the flow at the times k*eta; the error should be O(eta)."""
    errors = []
    for eta in etas:
        steps = int(round(T / eta))
        gd = gradient_descent(A, x0, loss=loss, parameterization=parameterization, eta=eta, steps=steps)
        times = np.arange(steps + 1) * eta
        flow = gradient_flow(A, x0, loss=loss, parameterization=parameterization, t_end=times[-1] + 1e-12,
                             t_eval=times, eps_floor=1e-12)
        n = min(len(flow.t), len(gd))
        err = np.max(np.linalg.norm(gd[:n] - flow.x[:n], axis=1) / (1 + np.linalg.norm(flow.x[:n], axis=1)))
        errors.append(float(err))
    order = float(np.polyfit(np.log(etas), np.log(errors), 1)[0])
    return TrackingResult(tuple(etas), tuple(errors), order, T)
