"""The gradient flow dΘ/dt = -∇L1(Θ) (eq. 1), and of L with D trained, via scipy.integrate.solve_ivp.

Two dynamics, named apart (DESIGN "known traps"):

* ``parameterization="eps"`` -- **the paper's flow (1)**: the gradient flow of the loss in its
  natural parameters (Ã, B̃, [D,] ε).  It is integrated in the coordinate u = log ε (and log D),
  du/dt = -(1/ε) ∂L/∂ε, which is the *same trajectory* (a change of variables that keeps ε > 0 and
  helps the solver).  ε can reach 0 in finite time; an event stops the run at a floor.
* ``parameterization="log_eps"`` -- **the gradient flow in log-variance parameters**, u = log ε
  (and log D), du/dt = -ε ∂L/∂ε: the dynamics that practical log-variance training follows.  A
  different trajectory from (1).

In full coordinates the Jacobian given to the stiff solvers (Radau, BDF, LSODA) is exact: with x = (free, e^u),
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
from ._reduced import ReducedL1

__all__ = ["StopReason", "FlowResult", "gradient_flow", "vector_field", "reduced_field", "column_space_projector",
           "PARAMETERIZATIONS", "METHODS", "COORDINATES", "CLOCKS"]

PARAMETERIZATIONS = ("eps", "log_eps")
METHODS = ("RK45", "RK23", "DOP853", "Radau", "BDF", "LSODA")
DEFAULT_METHOD = {"eps": "Radau", "log_eps": "BDF"}
COORDINATES = ("reduced", "full")
CLOCKS = ("t", "tau")


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
    coordinates: str = "full"  # "reduced" or "full": how the (same) trajectory was integrated
    clock: str = "t"  # "t" or "tau" (dt = ε² dτ, with t carried as a state variable)

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
    coordinates: Optional[str] = None,
    clock: Optional[str] = None,
) -> FlowResult:
    """Integrate the gradient flow of ``loss`` ("L1", eq. 5, or "L", eq. 4) from ``x0``.

    ``x0`` is the packed natural parameter vector (see :meth:`Objective.pack`); ``r`` is read from
    its length when not given.  The run stops at ``t_end``, when ε reaches ``eps_floor``, when a
    parameter's magnitude reaches ``blowup``, or (if given) when ||P_W⊥ Ã||² falls below
    ``mass_target`` times its initial value, or when ``max_seconds`` of wall-clock time have
    passed.  The result says which.

    ``coordinates``: "reduced" (the default for both flows of L1) integrates the same trajectory in the
    coordinates of :mod:`._reduced` (singular basis of A, B̂2 frozen, Â2 = Q0 R, the residual
    carried as Ê = (I - Â1B̂1)/ε²) and maps every saved state back to (Ã, B̃, ε); "full" (the only
    choice for L) integrates the natural parameters with the exact Hessian as Jacobian (the slow
    reference the tests compare against).

    ``clock``: "tau" integrates in the time τ with dt = ε² dτ, carrying t as a state variable
    (the same path at the same times t: every bound in t is checked on the real t; the 1/ε²
    stiffness of the fit term becomes O(1) in τ, and ε -> 0 in finite t is ε² -> 0
    exponentially in τ); "t" integrates in t.  ``method=None`` and ``clock=None`` pick what
    benchmarks/flow.py measured fastest: flow (1) ("eps") in τ with LSODA while the reduced system
    has at most ``tolerances.LSODA_MAX_SIZE`` unknowns, else RK45; the log-ε flow in t (its fast
    modes stay 1/ε² stiff in any clock) with BDF (LSODA stalls late on some runs); the stiff
    solvers get the complex-step Jacobian of :func:`reduced_field`; L (full coordinates) in t with
    Radau ("eps") or BDF ("log_eps") and the exact Hessian.
    """
    _check_choice("parameterization", parameterization, PARAMETERIZATIONS)
    _check_choice("loss", loss, ("L1", "L"))
    if coordinates is None:
        # both flows of L1 in reduced coordinates: with the complex-step Jacobian BDF's Newton
        # iterations converge on the reduced log-ε flow to the end (the finite-difference Jacobian
        # made them stall); measured in benchmarks/flow.py
        coordinates = "reduced" if loss == "L1" else "full"
    _check_choice("coordinates", coordinates, COORDINATES if loss == "L1" else ("full",))
    if clock is None:
        clock = "tau" if (coordinates == "reduced" and parameterization == "eps") else "t"
    _check_choice("clock", clock, CLOCKS if coordinates == "reduced" else ("t",))
    if method is None and coordinates == "full":
        method = DEFAULT_METHOD[parameterization]
    if method is not None:
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

    if mass_target is not None and not (0 < mass_target < 1):
        raise VerifyError("mass_target", mass_target, "must be a fraction in (0, 1)")
    if max_seconds is not None and not (np.isfinite(max_seconds) and max_seconds > 0):
        raise VerifyError("max_seconds", max_seconds, "must be a finite positive number")
    if coordinates == "reduced":
        return _reduced_flow(obj, x0, parameterization, method, clock, float(t_end), eps_floor, blowup, mass_target,
                             max_seconds, t_eval, rtol, atol)
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
        return np.log(blowup) - np.log(np.max(np.abs(to_x(y))) + tol.LOG_GUARD)

    events = [ev_floor, ev_blowup]
    if mass_target is not None:
        if not (0 < mass_target < 1):
            raise VerifyError("mass_target", mass_target, "must be a fraction in (0, 1)")
        if mass0 == 0:
            raise VerifyError("mass_target", mass_target, "||P_W⊥ Ã(0)||² is 0 already")

        def ev_mass(t, y):
            return np.log(np.sum((P_perp @ y[:dr].reshape(d, r)) ** 2) + tol.LOG_GUARD) - np.log(mass_target * mass0)

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


def _budget_event(max_seconds):
    """A terminal event that fires once ``max_seconds`` of wall-clock time have passed.

    solve_ivp root-finds events on the dense output, so the event must be a function of the
    integration variable s: once the clock has run out, freeze s_cut and return s_cut - s.
    """
    deadline = time.perf_counter() + max_seconds
    cut = []

    def ev_budget(s, y):
        if not cut:
            if time.perf_counter() < deadline:
                return 1.0
            cut.append(s)
        return cut[0] - s

    return ev_budget


def _states_at_times(sol, n, times):
    """States of a τ-clock run at the requested real times t (t is row n of the state, increasing in τ)."""
    from scipy.optimize import brentq

    t_steps = sol.y[n]
    out_s = []
    for target in times:
        j = int(np.searchsorted(t_steps, target))
        if j == 0:
            out_s.append(sol.t[0])
            continue
        if j >= len(t_steps):
            j = len(t_steps) - 1
        lo, hi = sol.t[j - 1], sol.t[j]
        if sol.sol(hi)[n] <= target:
            out_s.append(hi)
            continue
        out_s.append(brentq(lambda s: sol.sol(s)[n] - target, lo, hi, xtol=1e-15 * (1 + abs(hi)), rtol=1e-15))
    ys = sol.sol(np.array(out_s)).T if out_s else np.zeros((0, n + 1))
    ys[:, n] = np.asarray(times)[: len(out_s)]
    return ys


def reduced_field(red: ReducedL1, parameterization: str, clock: str) -> tuple:
    """(field, jac) of the reduced flow: field(s, y) = dy/ds with s = t, or s = τ (dt = ε² dτ, and t
    appended to the state as its last entry); jac(s, y) its Jacobian by the complex-step derivative,
    J e_j = Im field(y + i h e_j)/h, in one batched call: exact to rounding (no subtraction), which
    Newton's iterations need where the fit modes are 1/ε² stiff (central differences made BDF stall
    on the log-ε flow)."""
    _check_choice("parameterization", parameterization, PARAMETERIZATIONS)
    _check_choice("clock", clock, CLOCKS)
    n = red.size
    tau = clock == "tau"

    def field(s, y):
        if y.ndim == 1:
            if not tau:
                return red.rate(y, parameterization)
            out = np.empty_like(y)
            e2 = np.exp(2 * y[n - 1])
            np.multiply(red.rate(y[:n], parameterization), e2, out=out[:n])
            out[n] = e2
            return out
        dz = red.rates(y[:n], parameterization)
        if not tau:
            return dz
        e2 = np.exp(2 * y[n - 1])
        return np.concatenate([dz * e2, e2[None]], axis=0)

    eye = np.eye(n + 1 if tau else n)

    def jac(s, y):
        return field(s, y[:, None] + (1j * tol.COMPLEX_STEP) * eye).imag / tol.COMPLEX_STEP

    return field, jac


def _reduced_flow(obj, x0, parameterization, method, clock, t_end, eps_floor, blowup, mass_target, max_seconds,
                  t_eval, rtol, atol) -> FlowResult:
    """gradient_flow for L1 in the coordinates of :class:`ReducedL1`, in real time t or in τ (dt = ε² dτ)."""
    # carry the residual Ê = (I - Â1B̂1)/ε² as a state variable when ε may go below
    # RESIDUAL_DIGITS_EPS (there the product Â1B̂1 no longer resolves the residual); above it the
    # explicit solvers take half the steps without it
    carry = parameterization == "log_eps" or eps_floor < tol.RESIDUAL_DIGITS_EPS
    red = ReducedL1(obj.A, obj.r, x0, carry_residual=carry)
    d, r, n = obj.d, obj.r, red.size
    if method is None:  # measured in benchmarks/flow.py: LSODA's dense Fortran LU only pays off while small;
        # on the log-ε flow LSODA stalls on some runs late (its Adams/BDF switching), BDF does not
        if parameterization == "log_eps":
            method = "BDF"
        else:
            method = "LSODA" if n <= tol.LSODA_MAX_SIZE else ("RK45" if clock == "tau" else "BDF")
    tau = clock == "tau"
    implicit = method in ("Radau", "BDF", "LSODA")
    field, jac = reduced_field(red, parameterization, clock)

    mass0 = red.mass(red.z0)
    events = [lambda s, y: y[n - 1] - np.log(eps_floor),
              lambda s, y: np.log(blowup) - np.log(red.magnitude(y[:n]) + tol.LOG_GUARD)]
    kinds = [StopReason.EPS_FLOOR, StopReason.BLOWUP]
    if tau:
        events.append(lambda s, y: t_end - y[n])
        kinds.append(StopReason.T_END)
    if mass_target is not None:
        if mass0 == 0:
            raise VerifyError("mass_target", mass_target, "||P_W⊥ Ã(0)||² is 0 already")
        events.append(lambda s, y: np.log(red.mass(y[:n]) + tol.LOG_GUARD) - np.log(mass_target * mass0))
        kinds.append(StopReason.MASS_TARGET)
    if max_seconds is not None:
        events.append(_budget_event(max_seconds))
        kinds.append(StopReason.BUDGET)
    for ev in events:
        ev.terminal = True
        ev.direction = -1
    details = {StopReason.EPS_FLOOR: eps_floor, StopReason.BLOWUP: blowup, StopReason.T_END: t_end,
               StopReason.MASS_TARGET: mass_target, StopReason.BUDGET: max_seconds}

    y0 = np.append(red.z0, 0.0) if tau else red.z0.copy()
    span = (0.0, tol.TAU_SPAN) if tau else (0.0, t_end)
    kwargs = dict(method=method, rtol=rtol, atol=atol, events=events,
                  dense_output=tau and t_eval is not None, t_eval=None if tau else t_eval)
    if implicit:
        kwargs["jac"] = jac
    t0 = time.perf_counter()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            sol = solve_ivp(field, span, y0, **kwargs)
        except FloatingPointError as exc:
            raise VerifyError("x0", "trajectory", f"floating-point failure during integration ({exc})") from None
    elapsed = time.perf_counter() - t0

    hit = [k for k, te in enumerate(sol.t_events) if len(te)] if sol.status == 1 else []
    if sol.status == -1:
        stop, detail = StopReason.SOLVER_FAILED, f"({sol.message})"
    elif hit:
        stop = kinds[hit[0]]
        detail = f"{details[stop]:g}"
    else:
        stop, detail = StopReason.T_END, f"{t_end:g}"
    if tau:
        ys = sol.y.T
        if t_eval is not None:
            reached = ys[-1, n]
            want = np.asarray(t_eval, dtype=float)
            ys_eval = _states_at_times(sol, n, want[want <= reached * (1 + 1e-14)])
            ys = np.vstack([ys_eval, ys[-1:]]) if (stop is not StopReason.T_END and
                                                  (ys_eval.shape[0] == 0 or ys[-1, n] > ys_eval[-1, n])) else ys_eval
        zs, ts = ys[:, :n], ys[:, n]
    else:
        zs, ts = sol.y.T, sol.t
        if hit and t_eval is not None:
            te = sol.t_events[hit[0]][0]
            if ts.size == 0 or te > ts[-1]:
                ts = np.append(ts, te)
                zs = np.vstack([zs, sol.y_events[hit[0]][0]])
    xs = np.array([red.natural(z) for z in zs])
    At = xs[:, : d * r].reshape(-1, d, r)
    eps = xs[:, -1]
    col = np.sum(At**2, axis=1)
    return FlowResult(
        loss="L1",
        parameterization=parameterization,
        method=method,
        t=ts,
        x=xs,
        d=d,
        r=r,
        dim_W=red.k,
        stop=stop,
        message=stop.explain(float(ts[-1]) if ts.size else 0.0, detail),
        loss_values=red.value(zs.T) if len(zs) else np.zeros(0),
        eps=eps,
        K_t=np.max(col, axis=1) + eps**2,
        singular_values=np.linalg.svd(At, compute_uv=False),
        mass_outside=red.mass(zs.T) if len(zs) else np.zeros(0),
        nfev=int(sol.nfev),
        njev=int(sol.njev),
        elapsed_s=elapsed,
        coordinates="reduced",
        clock=clock,
    )
