"""The gradient flow: the right dynamics in each parameterization, an exact Jacobian, events that
say why the run stopped, and clear errors for bad input."""
import functools

import numpy as np
import pytest

from verify import VerifyError
from verify import tolerances as tol
from verify.numeric import (StopReason, check_decay, descent_tracks_flow, gradient_descent, gradient_flow,
                            largest_rate, minmax_gap, objective, random_instance, vector_field)

INST = random_instance(4, 3, 2, seed=2, rank=1)


@pytest.mark.parametrize("loss", ["L1", "L"])
@pytest.mark.parametrize("parameterization", ["eps", "log_eps"])
def test_analytic_jacobian_matches_finite_differences(loss, parameterization):
    obj = objective(loss, INST.A, INST.r)
    rng = np.random.default_rng(0)
    y = rng.standard_normal(obj.size) * 0.5
    rhs, jac, _ = vector_field(obj, parameterization)
    J = jac(0.0, y)
    h = 1e-6
    fd = np.array([(rhs(0, y + h * e) - rhs(0, y - h * e)) / (2 * h) for e in np.eye(obj.size)]).T
    assert np.max(np.abs(J - fd)) <= 1e-5 * (1 + np.max(np.abs(J)))


def _time_derivative(res, k):
    return (res.x[k + 1] - res.x[k - 1]) / (res.t[k + 1] - res.t[k - 1])


def test_eps_parameterization_is_the_paper_flow_and_log_eps_is_a_different_one():
    obj = objective("L1", INST.A, INST.r)
    times = np.linspace(0, 0.2, 2001)
    paper = gradient_flow(INST.A, INST.x0, parameterization="eps", t_end=0.2, t_eval=times)
    logf = gradient_flow(INST.A, INST.x0, parameterization="log_eps", t_end=0.2, t_eval=times)
    k = 1000
    g = obj.gradient(paper.x[k])
    assert np.allclose(_time_derivative(paper, k), -g, rtol=1e-4, atol=1e-6)  # dΘ/dt = -∇L1 (eq. 1)
    gl = obj.gradient(logf.x[k])
    eps = logf.x[k, -1]
    dlog = _time_derivative(logf, k)
    assert np.allclose(dlog[:-1], -gl[:-1], rtol=1e-4, atol=1e-6)
    assert np.isclose(dlog[-1], -eps**2 * gl[-1], rtol=1e-4)  # dε/dt = -ε² ∂L1/∂ε
    assert not np.isclose(dlog[-1], -gl[-1], rtol=1e-2)


def test_stops_at_the_eps_floor_and_says_so():
    res = gradient_flow(INST.A, INST.x0, t_end=1e3, eps_floor=1e-3)
    assert res.stop is StopReason.EPS_FLOOR
    assert res.message.startswith("integration stopped: ε reached the floor 0.001 at t=")
    assert res.eps[-1] == pytest.approx(1e-3, rel=1e-3)


def test_other_stop_reasons():
    assert gradient_flow(INST.A, INST.x0, t_end=0.05).stop is StopReason.T_END
    A = np.array([[10.0]])  # ε must grow to explain data of variance 100 with a tiny decoder
    grow = gradient_flow(A, objective("L1", A, 1).pack([[0.1]], [[0.1]], 1.0), t_end=50, blowup=5.0)
    assert grow.stop is StopReason.BLOWUP and "blow-up limit 5 at t=" in grow.message
    res = gradient_flow(INST.A, INST.x0, parameterization="log_eps", t_end=1e3, mass_target=1e-6, eps_floor=1e-12)
    assert res.stop is StopReason.MASS_TARGET
    assert res.mass_outside[-1] == pytest.approx(1e-6 * res.mass_outside[0], rel=1e-3)
    budget = gradient_flow(INST.A, INST.x0, t_end=1e6, eps_floor=1e-300, parameterization="log_eps", max_seconds=0.05)
    assert budget.stop is StopReason.BUDGET and "budget" in budget.message


def test_flow_of_L_with_D_trained_runs_in_both_parameterizations():
    obj = objective("L", INST.A, INST.r)
    x0 = obj.pack(INST.x0[: -1].reshape(-1)[: INST.d * INST.r].reshape(INST.d, INST.r),
                  INST.x0[INST.d * INST.r : 2 * INST.d * INST.r].reshape(INST.r, INST.d), np.full(INST.r, 0.5), 1.0)
    for p in ("eps", "log_eps"):
        res = gradient_flow(INST.A, x0, loss="L", parameterization=p, t_end=2.0)
        assert res.loss_values[-1] < res.loss_values[0]
        assert np.all(np.diff(res.loss_values) <= 1e-9 * (1 + np.abs(res.loss_values[:-1])))  # a gradient flow descends


BAD = [
    ("method", dict(method="Euler"), "method='Euler'"),
    ("parameterization", dict(parameterization="sqrt_eps"), "parameterization='sqrt_eps'"),
    ("eps_floor", dict(eps_floor=-1.0), "eps_floor=-1.0"),
    ("eps_floor-above-start", dict(eps_floor=5.0), "eps_floor=5.0"),
    ("t_end", dict(t_end=float("inf")), "t_end=inf"),
    ("mass_target", dict(mass_target=2.0), "mass_target=2.0"),
    ("loss", dict(loss="L3"), "loss='L3'"),
    ("max_seconds", dict(max_seconds=0), "max_seconds=0"),
]


@pytest.mark.parametrize("kwargs,match", [(k, m) for _, k, m in BAD], ids=[i for i, _, _ in BAD])
def test_bad_arguments_name_themselves(kwargs, match):
    with pytest.raises(VerifyError, match=match.replace("(", r"\(")):
        gradient_flow(INST.A, INST.x0, **kwargs)


def test_bad_initial_points():
    x = INST.x0.copy()
    x[-1] = -0.1
    with pytest.raises(VerifyError, match="must be > 0"):
        gradient_flow(INST.A, x)
    x[-1] = np.nan
    with pytest.raises(VerifyError, match="x0"):
        gradient_flow(INST.A, x)
    with pytest.raises(VerifyError, match="x0.shape"):
        gradient_flow(INST.A, INST.x0[:-2])
    with pytest.raises(VerifyError, match="A"):
        gradient_flow(np.ones(3), INST.x0)


def test_decay_bound_with_a_wrong_constant_is_caught():
    res = gradient_flow(INST.A, INST.x0, t_end=30, eps_floor=1e-6)
    assert check_decay(res, res.mass_outside, rate=1.0).holds
    c = largest_rate(res.t, res.mass_outside, res.K)
    assert not check_decay(res, res.mass_outside, rate=1.5 * c).holds
    assert minmax_gap(res).holds


def test_gradient_descent_tracks_the_flow_at_first_order():
    for p in ("eps", "log_eps"):
        tr = descent_tracks_flow(INST.A, INST.x0, parameterization=p)
        lo, hi = tol.GD_ORDER_BAND
        assert lo <= tr.order <= hi
        assert tr.errors[-1] < 1e-3


def test_a_misaligned_descent_is_caught(monkeypatch):
    import verify.numeric._descent as desc

    real = desc.gradient_descent
    monkeypatch.setattr(desc, "gradient_descent", lambda *a, eta, **k: real(*a, eta=1.1 * eta, **k))
    tr = desc.descent_tracks_flow(INST.A, INST.x0)
    assert not (tol.GD_ORDER_BAND[0] <= tr.order <= tol.GD_ORDER_BAND[1])


def test_gradient_descent_rejects_a_step_that_breaks_positivity():
    with pytest.raises(VerifyError, match="eta=100"):
        gradient_descent(INST.A, INST.x0, eta=100.0, steps=5)


# ---- the fast paths keep the trajectory ------------------------------------------------------------

SHAPES = [(4, 3, 2, 1, True), (3, 5, 2, 2, False), (5, 5, 3, 2, True)]


@functools.lru_cache(maxsize=None)
def _reference(shape, parameterization):
    """The slow reference: natural coordinates, real time, exact Hessian as Jacobian, tight tolerances."""
    d, r, rs, rank, rot = shape
    inst = random_instance(d, r, rs, seed=4, rank=rank, rotate=rot)
    times = np.linspace(0.0, 0.8, 17)
    ref = gradient_flow(inst.A, inst.x0, parameterization=parameterization, coordinates="full", t_end=0.8,
                        t_eval=times, rtol=1e-10, atol=1e-13, eps_floor=1e-4)
    return inst, times, ref


@pytest.mark.parametrize("shape", SHAPES, ids=[f"d{s[0]}r{s[1]}" for s in SHAPES])
@pytest.mark.parametrize("parameterization,kw", [("eps", dict(clock="tau", method="RK45")),
                                                 ("eps", dict(clock="tau", method="LSODA")),
                                                 ("eps", dict(clock="t", method="Radau")),
                                                 ("log_eps", dict(coordinates="reduced", clock="t", method="BDF"))])
def test_reduced_coordinates_and_tau_clock_follow_the_reference_trajectory(shape, parameterization, kw):
    inst, times, ref = _reference(shape, parameterization)
    fast = gradient_flow(inst.A, inst.x0, parameterization=parameterization, t_end=0.8, t_eval=times,
                         eps_floor=1e-4, **kw)
    assert fast.coordinates == "reduced" and ref.coordinates == "full"
    assert fast.t.shape == ref.t.shape and np.allclose(fast.t, ref.t, rtol=0, atol=1e-8)
    scale = 1 + np.max(np.abs(ref.x))
    assert np.max(np.abs(fast.x - ref.x)) <= 1e-6 * scale
    assert np.allclose(fast.mass_outside, ref.mass_outside, rtol=1e-6, atol=1e-12)
    assert np.allclose(fast.loss_values, ref.loss_values, rtol=1e-7, atol=1e-7)


def test_a_wrong_reduced_field_is_caught_by_the_reference_comparison(monkeypatch):
    from verify.numeric._reduced import ReducedL1

    real = ReducedL1.rate
    monkeypatch.setattr(ReducedL1, "rate", lambda self, z, p: real(self, z, p) * 1.001)  # time runs 0.1% fast
    times = np.linspace(0.0, 0.8, 17)
    ref = gradient_flow(INST.A, INST.x0, coordinates="full", t_end=0.8, t_eval=times, eps_floor=1e-4)
    fast = gradient_flow(INST.A, INST.x0, t_end=0.8, t_eval=times, eps_floor=1e-4, method="RK45")
    assert np.max(np.abs(fast.x - ref.x)) > 1e-6 * (1 + np.max(np.abs(ref.x)))


def test_tau_clock_stops_at_the_eps_floor_at_the_same_time_as_the_reference():
    ref = gradient_flow(INST.A, INST.x0, coordinates="full", t_end=1e3, eps_floor=1e-3)
    fast = gradient_flow(INST.A, INST.x0, t_end=1e3, eps_floor=1e-3)
    assert fast.clock == "tau" and fast.stop is StopReason.EPS_FLOOR is ref.stop
    assert fast.t_reached == pytest.approx(ref.t_reached, rel=1e-7)
    assert fast.mass_outside[-1] == pytest.approx(ref.mass_outside[-1], rel=1e-6)


def test_bad_coordinates_and_clock_name_themselves():
    with pytest.raises(VerifyError, match="coordinates='polar'"):
        gradient_flow(INST.A, INST.x0, coordinates="polar")
    with pytest.raises(VerifyError, match="clock='tau'"):
        gradient_flow(INST.A, INST.x0, coordinates="full", clock="tau")


# ---- the complex-step Jacobian of the reduced flow ----------------------------------------------------

def _reduced(carry=True):
    from verify.numeric._reduced import ReducedL1

    inst = random_instance(5, 4, 3, seed=7, rank=2, rotate=True)
    return ReducedL1(inst.A, inst.r, inst.x0, carry_residual=carry)


@pytest.mark.parametrize("carry", [True, False])
@pytest.mark.parametrize("parameterization,clock", [("eps", "tau"), ("eps", "t"), ("log_eps", "t")])
def test_complex_step_jacobian_of_the_reduced_field_matches_central_differences(parameterization, clock, carry):
    from verify.numeric._flow import reduced_field

    red = _reduced(carry)
    field, jac = reduced_field(red, parameterization, clock)
    y = red.z0 if clock == "t" else np.append(red.z0, 0.3)
    J = jac(0.0, y)
    h = 1e-6
    fd = np.array([(field(0, y + h * e) - field(0, y - h * e)) / (2 * h) for e in np.eye(y.size)]).T
    assert J.shape == (y.size, y.size) and np.all(np.isfinite(J))
    assert np.max(np.abs(J - fd)) <= 1e-6 * (1 + np.max(np.abs(J)))
    assert np.allclose(field(0, y[:, None])[:, 0], field(0, y), rtol=1e-13, atol=1e-13)  # batched = single


def test_complex_step_jacobian_sees_a_wrong_term(monkeypatch):
    """The comparison above can fail: a field whose du/dt term is off by 1% gives a Jacobian far from the true one."""
    from verify.numeric._flow import reduced_field
    from verify.numeric._reduced import ReducedL1

    red = _reduced()
    _, jac = reduced_field(red, "log_eps", "t")
    J = jac(0.0, red.z0)
    real = ReducedL1.rates

    def wrong(self, z, p):
        out = real(self, z, p)
        out[-1] = out[-1] * 1.01
        return out

    monkeypatch.setattr(ReducedL1, "rates", wrong)
    _, jac_wrong = reduced_field(red, "log_eps", "t")
    assert np.max(np.abs(jac_wrong(0.0, red.z0) - J)) > 1e-4 * (1 + np.max(np.abs(J)))


def test_log_eps_flow_defaults_to_reduced_coordinates_and_follows_the_reference():
    shape = SHAPES[0]
    inst, times, ref = _reference(shape, "log_eps")
    fast = gradient_flow(inst.A, inst.x0, parameterization="log_eps", t_end=0.8, t_eval=times, eps_floor=1e-4)
    assert (fast.coordinates, fast.clock, fast.method) == ("reduced", "t", "BDF")
    assert np.max(np.abs(fast.x - ref.x)) <= 1e-6 * (1 + np.max(np.abs(ref.x)))


def test_reduced_log_eps_flow_runs_to_the_eps_floor_at_the_reference_time():
    """The run that stalled LSODA/BDF with a finite-difference Jacobian (d=8, r=5: ε -> 1e-6 at t ~ 3.25)
    now ends on its event, at the same time as the full-coordinate reference (exact Hessian)."""
    inst = random_instance(8, 5, 2, 11, rank=2, rotate=True)
    fast = gradient_flow(inst.A, inst.x0, parameterization="log_eps", t_end=60.0, eps_floor=1e-6)
    assert fast.coordinates == "reduced" and fast.stop is StopReason.EPS_FLOOR
    assert fast.t_reached == pytest.approx(3.25057, rel=1e-5)  # the full-coordinate BDF run's end (measured)
