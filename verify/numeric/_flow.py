"""The gradient flow dΘ/dt = -∇L1(Θ) (eq. 1), and of L with D trained, via scipy.integrate.solve_ivp.

Two dynamics, named apart (DESIGN "known traps"):

* ``parameterization="eps"`` -- **the paper's flow (1)**: the gradient flow of the loss in its
  natural parameters (Ã, B̃, [D,] ε).  It is integrated in the coordinate u = log ε (and log D),
  du/dt = -(1/ε) ∂L/∂ε, which is the *same trajectory* (a change of variables that keeps ε > 0 and
  helps the solver).  ε can reach 0 in finite time; an event stops the run at a floor.
* ``parameterization="log_eps"`` -- **the gradient flow in log-variance parameters**, u = log ε
  (and log D), du/dt = -ε ∂L/∂ε: the dynamics that practical log-variance training follows.  A
  different trajectory from (1).

The Jacobian given to the stiff solvers (Radau, BDF, LSODA) is exact: with x = (free, e^u),
P = dx/dy = diag(1, e^u), the right-hand side F = -S ∇L(x) has Jacobian
-S ∇²L P + diag(∂S/∂u ∇L), with S = diag(1, 1/ε) for "eps" and S = diag(1, ε) for "log_eps".
"""
from __future__ import annotations

import enum
import time
from dataclasses import dataclass
from typing import Optional

import numpy as np
from scipy.integrate import solve_ivp

from .. import tolerances as tol
from .._errors import VerifyError
from ._objective import Objective, objective, objective_for

__all__ = ["StopReason", "FlowResult", "gradient_flow", "vector_field", "column_space_projector",
           "PARAMETERIZATIONS", "METHODS"]

PARAMETERIZATIONS = ("eps", "log_eps")
METHODS = ("RK45", "RK23", "DOP853", "Radau", "BDF", "LSODA")
DEFAULT_METHOD = {"eps": "Radau", "log_eps": "BDF"}


class StopReason(str, enum.Enum):
    """Why the integration stopped; ``explain`` turns it into a sentence with the numbers."""

    T_END = "reached the requested end time"
    EPS_FLOOR = "ε reached the floor"
    BLOWUP = "a parameter's magnitude reached the blow-up limit"
    MASS_TARGET = "‖P_W⊥ Ã‖² fell below the target fraction of its start"
    BUDGET = "the wall-clock budget (seconds) ran out"
    SOLVER_FAILED = "the solver failed"

    def explain(self, t: float, detail: str = "") -> str:
        return f"integration stopped: {self.value}{(' ' + detail) if detail else ''} at t={t:.6g}"


def column_space_projector(A: np.ndarray) -> tuple:
    """(P_W⊥, dim W) for W = span of the columns of A (the data subspace in R^d)."""
    U, s, _ = np.linalg.svd(A, full_matrices=True)
    rank = int(np.sum(s > tol.RANK_RTOL * (s[0] if s.size else 0.0))) if s.size and s[0] > 0 else 0
    Q = U[:, :rank]
    return np.eye(A.shape[0]) - Q @ Q.T, rank


def vector_field(obj: Objective, parameterization: str):
    """(rhs, jac, to_x) of the flow in the coordinates y = (free parameters, log of the positive ones).

    rhs(t, y) is dy/dt; jac(t, y) its exact Jacobian; to_x(y) the natural parameters.
    """
    _check_choice("parameterization", parameterization, PARAMETERIZATIONS)
    pos = obj.positive
    log_mode = parameterization == "log_eps"

    def to_x(y):
        x = np.array(y, dtype=float)
        x[pos] = np.exp(x[pos])
        return x

    def rhs(t, y):
        x = to_x(y)
        g = obj.gradient(x)
        out = -g
        out[pos] = -g[pos] * (x[pos] if log_mode else 1.0 / x[pos])
        return out

    def jac(t, y):
        x = to_x(y)
        g = obj.gradient(x)
        H = obj.hessian(x)
        p = x[pos]
        H[:, pos] *= p  # H P, with P = dx/dy
        s = np.ones(obj.size)
        s[pos] = p if log_mode else 1.0 / p
        J = -(s[:, None] * H)
        J[pos, pos] += -(p * g[pos]) if log_mode else g[pos] / p
        return J

    return rhs, jac, to_x


@dataclass(frozen=True)
class FlowResult:
    """A trajectory and the quantities of Lemma 6 / Theorem 5 along it (at the saved times)."""

    loss: str
    parameterization: str
    method: str
    t: np.ndarray  # (n,)
    x: np.ndarray  # (n, size): natural parameters (vec Ã, vec B̃, [D,] ε)
    d: int
    r: int
    dim_W: int
    stop: StopReason
    message: str
    loss_values: np.ndarray
    eps: np.ndarray
    K_t: np.ndarray  # max_j ||Ã_j(t)||² + ε(t)²
    singular_values: np.ndarray  # (n, min(d, r)), descending
    mass_outside: np.ndarray  # ||P_W⊥ Ã(t)||_F²
    nfev: int
    njev: int
    elapsed_s: float

    def __post_init__(self):
        n = self.t.shape[0]
        if n < 1 or np.any(np.diff(self.t) < 0):
            raise ValueError("times must be a non-empty nondecreasing array")
        for name in ("x", "loss_values", "eps", "K_t", "singular_values", "mass_outside"):
            if getattr(self, name).shape[0] != n:
                raise ValueError(f"{name} does not have one row per saved time")
        if np.any(self.eps <= 0):
            raise ValueError("ε must stay positive along a stored trajectory")

    @property
    def t_reached(self) -> float:
        return float(self.t[-1])

    @property
    def K(self) -> float:
        """The K of Theorem 5 for the interval reached: max over the saved times."""
        return float(np.max(self.K_t))

    def At(self, k: int = -1) -> np.ndarray:
        return self.x[k, : self.d * self.r].reshape(self.d, self.r)

    def Bt(self, k: int = -1) -> np.ndarray:
        return self.x[k, self.d * self.r : 2 * self.d * self.r].reshape(self.r, self.d)


def _check_choice(name, value, options):
    if value not in options:
        raise VerifyError(name, value, f"unknown; choose one of {list(options)}")


def gradient_flow(
    A,
    x0,
    *,
    loss: str = "L1",
    parameterization: str = "eps",
    method: Optional[str] = None,
    t_end: float = 10.0,
    eps_floor: float = 1e-8,
    blowup: float = 1e6,
    mass_target: Optional[float] = None,
    max_seconds: Optional[float] = None,
    t_eval=None,
    rtol: float = tol.FLOW_RTOL,
    atol: float = tol.FLOW_ATOL,
    r: Optional[int] = None,
) -> FlowResult:
    """Integrate the gradient flow of ``loss`` ("L1", eq. 5, or "L", eq. 4) from ``x0``.

    ``x0`` is the packed natural parameter vector (see :meth:`Objective.pack`); ``r`` is read from
    its length when not given.  The run stops at ``t_end``, when ε reaches ``eps_floor``, when a
    parameter's magnitude reaches ``blowup``, or (if given) when ||P_W⊥ Ã||² falls below
    ``mass_target`` times its initial value, or when ``max_seconds`` of wall-clock time have
    passed.  The result says which.

    ``method=None`` picks the stiff solver that works best for the parameterization (measured in
    benchmarks/flow.py): Radau for "eps" (BDF tends to fail just before the finite-time
    singularity at ε = 0), BDF for "log_eps" (Radau's Newton iterations need ~50x more gradients).
    """
    _check_choice("parameterization", parameterization, PARAMETERIZATIONS)
    _check_choice("loss", loss, ("L1", "L"))
    if method is None:
        method = DEFAULT_METHOD[parameterization]
    _check_choice("method", method, METHODS)
    obj: Objective = objective_for(loss, A, x0) if r is None else objective(loss, A, r)
    A = obj.A
    x0 = np.asarray(x0, dtype=float)
    d, r = obj.d, obj.r
    if x0.shape != (obj.size,):
        raise VerifyError("x0.shape", x0.shape, f"must be ({obj.size},) for loss {loss!r}, d={d}, r={r}")
    if not np.all(np.isfinite(x0)):
        raise VerifyError("x0", x0, "has non-finite entries")
    pos = obj.positive
    if np.any(x0[pos] <= 0):
        raise VerifyError("x0 (variances)", x0[pos], "ε (and D) must be > 0")
    for name, v in (("t_end", t_end), ("eps_floor", eps_floor), ("blowup", blowup), ("rtol", rtol), ("atol", atol)):
        if not (np.isfinite(v) and v > 0):
            raise VerifyError(name, v, "must be a finite positive number")
    if eps_floor >= x0[-1]:
        raise VerifyError("eps_floor", eps_floor, f"must be below the initial ε={x0[-1]}")

    rhs, jac, to_x = vector_field(obj, parameterization)
    P_perp, dim_W = column_space_projector(A)
    dr = d * r

    y0 = x0.copy()
    y0[pos] = np.log(x0[pos])
    log_floor = np.log(eps_floor)
    mass0 = float(np.sum((P_perp @ x0[:dr].reshape(d, r)) ** 2))

    def ev_floor(t, y):
        return y[-1] - log_floor

    def ev_blowup(t, y):
        return np.log(blowup) - np.log(np.max(np.abs(to_x(y))) + 1e-300)

    events = [ev_floor, ev_blowup]
    if mass_target is not None:
        if not (0 < mass_target < 1):
            raise VerifyError("mass_target", mass_target, "must be a fraction in (0, 1)")
        if mass0 == 0:
            raise VerifyError("mass_target", mass_target, "||P_W⊥ Ã(0)||² is 0 already")

        def ev_mass(t, y):
            return np.log(np.sum((P_perp @ y[:dr].reshape(d, r)) ** 2) + 1e-300) - np.log(mass_target * mass0)

        events.append(ev_mass)
    if max_seconds is not None:
        if not (np.isfinite(max_seconds) and max_seconds > 0):
            raise VerifyError("max_seconds", max_seconds, "must be a finite positive number")
        deadline = time.perf_counter() + max_seconds
        cut = []

        def ev_budget(t, y):
            # solve_ivp root-finds events on the dense output, so the event must be a function of t:
            # once the clock has run out, freeze that time t_cut and return t_cut - t.
            if not cut:
                if time.perf_counter() < deadline:
                    return 1.0
                cut.append(t)
            return cut[0] - t

        events.append(ev_budget)
    for ev in events:
        ev.terminal = True
        ev.direction = -1

    kwargs = dict(method=method, rtol=rtol, atol=atol, events=events, t_eval=t_eval, dense_output=False)
    if method in ("Radau", "BDF", "LSODA"):
        kwargs["jac"] = jac
    t0 = time.perf_counter()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            sol = solve_ivp(rhs, (0.0, float(t_end)), y0, **kwargs)
        except FloatingPointError as exc:
            raise VerifyError("x0", "trajectory", f"floating-point failure during integration ({exc})") from None
    elapsed = time.perf_counter() - t0

    if sol.status == -1:
        stop, detail = StopReason.SOLVER_FAILED, f"({sol.message})"
    elif sol.status == 1:
        hit = [k for k, te in enumerate(sol.t_events) if len(te)]
        kinds = [StopReason.EPS_FLOOR, StopReason.BLOWUP]
        kinds += [StopReason.MASS_TARGET] if mass_target is not None else []
        kinds += [StopReason.BUDGET] if max_seconds is not None else []
        stop = kinds[hit[0]]
        detail = {StopReason.EPS_FLOOR: eps_floor, StopReason.BLOWUP: blowup,
                  StopReason.MASS_TARGET: mass_target, StopReason.BUDGET: max_seconds}[stop]
        detail = f"{detail:g}"
    else:
        stop, detail = StopReason.T_END, f"{t_end:g}"
    ts = sol.t
    ys = sol.y.T
    if sol.status == 1 and (t_eval is not None):
        # keep the event point as the last saved state, so the run's end is on record
        te = [te[0] for te in sol.t_events if len(te)][0]
        ye = [ye[0] for ye in sol.y_events if len(ye)][0]
        if ts.size == 0 or te > ts[-1]:
            ts = np.append(ts, te)
            ys = np.vstack([ys, ye])
    xs = np.array([to_x(y) for y in ys])
    At = xs[:, :dr].reshape(-1, d, r)
    eps = xs[:, -1]
    col = np.sum(At**2, axis=1)
    return FlowResult(
        loss=loss,
        parameterization=parameterization,
        method=method,
        t=ts,
        x=xs,
        d=d,
        r=r,
        dim_W=dim_W,
        stop=stop,
        message=stop.explain(float(ts[-1]) if ts.size else 0.0, detail),
        loss_values=np.array([obj.value(x) for x in xs]),
        eps=eps,
        K_t=np.max(col, axis=1) + eps**2,
        singular_values=np.linalg.svd(At, compute_uv=False),
        mass_outside=np.einsum("ij,tjk->tik", P_perp, At).__pow__(2).sum(axis=(1, 2)),
        nfev=int(sol.nfev),
        njev=int(sol.njev),
        elapsed_s=elapsed,
    )
