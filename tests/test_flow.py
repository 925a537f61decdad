"""The gradient flow: the right dynamics in each parameterization, an exact Jacobian, events that
say why the run stopped, and clear errors for bad input."""
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
