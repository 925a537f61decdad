"""The NumPy losses agree with the derived symbolic forms; bad input gets a clear error."""
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from verify import VerifyError
from verify import tolerances as tol
from verify.numeric import loss_L, loss_L1, monte_carlo_loss, optimal_D
from verify.symbolic import checked_lambdify, linear_vae

ENTRY = st.floats(-2, 2, allow_nan=False, allow_infinity=False)


@st.composite
def instances(draw):
    d, r, rs = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    A = draw(arrays(float, (d, rs), elements=ENTRY))
    At = draw(arrays(float, (d, r), elements=ENTRY))
    Bt = draw(arrays(float, (r, d), elements=ENTRY))
    D = draw(arrays(float, (r,), elements=st.floats(1e-3, 10)))
    eps = draw(st.floats(1e-3, 10))
    return (d, r, rs), A, At, Bt, D, eps


def _symbols(m):
    return list(m.A) + list(m.At) + list(m.Bt) + list(m.D) + [m.eps]


def _values(A, At, Bt, D, eps):
    return list(A.ravel()) + list(At.ravel()) + list(Bt.ravel()) + list(D) + [eps]


def _evalf(expr, syms, vals):
    return float(expr.subs(dict(zip(syms, [sp.Float(v, 30) for v in vals]))).evalf(30))


@given(instances())
def test_numpy_L_and_L1_agree_with_lambdified_and_evalf_forms(inst):
    shape, A, At, Bt, D, eps = inst
    m = linear_vae(*shape)
    syms, vals = _symbols(m), _values(A, At, Bt, D, eps)
    L_sym = m.loss_closed_form()
    L1_sym = m.loss_L1()
    for sym_expr, numeric in ((L_sym, loss_L(A, At, Bt, D, eps)), (L1_sym, loss_L1(A, At, Bt, eps))):
        fast = float(checked_lambdify(syms, sym_expr)(*vals))
        slow = _evalf(sym_expr, syms, vals)
        # float64 with terms up to ||.||²/eps² ~ 1e7: compare relative to the largest term's size
        scale = 1 + abs(slow) + float(np.sum(A**2) + np.sum(At**2) * np.max(D)) / eps**2
        assert abs(fast - slow) <= tol.LAMBDIFY_RTOL * scale
        assert abs(numeric - slow) <= tol.LAMBDIFY_RTOL * scale


@given(instances())
def test_L1_is_L_at_the_optimal_D_and_below_L_elsewhere(inst):
    _, A, At, Bt, D, eps = inst
    Dstar = optimal_D(At, eps)
    L1 = loss_L1(A, At, Bt, eps)
    scale = 1 + abs(L1) + float(np.sum(A**2)) / eps**2
    assert abs(loss_L(A, At, Bt, Dstar, eps) - L1) <= tol.LAMBDIFY_RTOL * scale
    assert loss_L(A, At, Bt, D, eps) >= L1 - tol.LAMBDIFY_RTOL * scale


def test_checked_lambdify_rejects_a_wrong_translation(monkeypatch):
    x = sp.Symbol("x", positive=True)
    real = sp.lambdify
    monkeypatch.setattr(sp, "lambdify", lambda s, e, modules=None: real(s, 2 * e, modules=modules))
    with pytest.raises(VerifyError, match="lambdify"):
        checked_lambdify([x], x**2 + 1)


def test_monte_carlo_matches_the_closed_form():
    rng = np.random.default_rng(1)
    A, At, Bt = rng.standard_normal((4, 2)), rng.standard_normal((4, 3)), rng.standard_normal((3, 4))
    D, eps = np.array([0.3, 1.0, 2.0]), 0.7
    est, se = monte_carlo_loss(A, At, Bt, D, eps, 100_000, rng)
    assert abs(est - loss_L(A, At, Bt, D, eps)) <= tol.MC_SIGMAS * se


GOOD = dict(A=np.ones((3, 2)), At=np.ones((3, 2)), Bt=np.ones((2, 3)), D=np.ones(2), eps=0.5)
BAD_INPUTS = [
    ("eps-zero", dict(eps=0.0), "eps=0.0"),
    ("eps-negative", dict(eps=-1.0), "eps=-1.0"),
    ("eps-nan", dict(eps=float("nan")), "eps=nan"),
    ("eps-string", dict(eps="small"), "eps='small'"),
    ("A-inf", dict(A=np.array([[1.0, np.inf], [0, 0], [0, 0]])), "non-finite"),
    ("A-1d", dict(A=np.ones(3)), "2-D"),
    ("At-wrong-rows", dict(At=np.ones((4, 2))), "At.shape"),
    ("Bt-wrong-shape", dict(Bt=np.ones((3, 3))), "Bt.shape"),
    ("D-wrong-length", dict(D=np.ones(3)), "D.shape"),
    ("D-nonpositive", dict(D=np.array([1.0, 0.0])), "> 0"),
    ("D-not-diagonal", dict(D=np.ones((2, 2))), "diagonal"),
]


@pytest.mark.parametrize("bad,match", [(b, m) for _, b, m in BAD_INPUTS], ids=[i for i, _, _ in BAD_INPUTS])
def test_bad_input_names_the_argument_and_value(bad, match):
    args = {**GOOD, **bad}
    with pytest.raises(VerifyError, match=match.replace("(", r"\(").replace(".", r"\.")) as info:
        loss_L(**args)
    assert isinstance(info.value, ValueError)


def test_dimension_arguments_are_checked():
    with pytest.raises(VerifyError, match="r_star=0"):
        linear_vae(2, 2, 0)
    with pytest.raises(VerifyError, match="n=1"):
        monte_carlo_loss(**{k: v for k, v in GOOD.items()}, n=1, rng=np.random.default_rng(0))
