"""Plain gradient descent on L1 / L, and how closely it tracks the gradient flow."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._errors import VerifyError
from ..validate import check_array, check_choice, check_nonnegative_int, check_positive_int, check_positive_real
from ._flow import PARAMETERIZATIONS, gradient_flow
from ._objective import LOSSES, objective, objective_for

__all__ = ["gradient_descent", "TrackingResult", "descent_tracks_flow"]


def gradient_descent(A, x0, *, loss: str = "L1", parameterization: str = "eps", eta: float = 1e-3,
                     steps: int = 1000, r: int | None = None) -> np.ndarray:
    """``steps`` steps of size ``eta``; returns the iterates (steps + 1, size) in natural parameters.

    "eps": x <- x - eta ∇L(x) (the discretisation of flow (1)); "log_eps": the same in the
    log-variance coordinates u = log ε (and log D), u <- u - eta ε ∂L/∂ε.  A step that would make
    a variance non-positive (or an iterate overflow) raises VerifyError naming eta.
    """
    check_choice("loss", loss, LOSSES)
    check_choice("parameterization", parameterization, PARAMETERIZATIONS)
    eta = check_positive_real("eta", eta)
    steps = check_nonnegative_int("steps", steps)
    if r is None:
        obj = objective_for(loss, A, x0)
    else:
        obj = objective(loss, A, check_positive_int("r", r))
    x0 = obj.check_point(x0, "x0")
    pos = obj.positive
    out = np.empty((steps + 1, obj.size))
    x = x0.copy()
    out[0] = x
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for k in range(steps):
            try:
                g = obj.gradient(x)
                x = x - eta * g
                if parameterization == "log_eps":
                    x[pos] = out[k, pos] * np.exp(-eta * out[k, pos] * g[pos])
            except FloatingPointError as exc:
                raise VerifyError("eta", eta, f"step {k + 1} overflowed ({exc}); take a smaller step") from None
            if not obj._point_ok(x):
                raise VerifyError("eta", eta, f"step {k + 1} left the domain of the loss: the iterate "
                                              f"{obj._point_problem(x)}; take a smaller step")
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
    """GD with step eta compared with the flow at the times k*eta; the error should be O(eta).

    ``etas``: at least two distinct step sizes in (0, T] (the order is a fitted slope).
    """
    check_choice("loss", loss, LOSSES)
    check_choice("parameterization", parameterization, PARAMETERIZATIONS)
    T = check_positive_real("T", T)
    etas = check_array("etas", etas, ndim=1, positive=True)
    if np.unique(etas).size < 2:
        raise VerifyError("etas", etas, "needs at least two distinct step sizes to fit an order")
    if etas.max() > T:
        raise VerifyError("etas", etas, f"every step size must be at most T={T:g}")
    objective_for(loss, A, x0).check_point(x0, "x0")
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
    return TrackingResult(tuple(float(e) for e in etas), tuple(errors), order, T)
