"""Exact gradients and Hessians of L (eq. 4) and L1 (eq. 5), checked three ways, near ε -> 0 too."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from verify import VerifyError
from verify.numeric import objective
from verify.numeric._reference import mpmath_gradient, sympy_gradient

ENTRY = st.floats(-2, 2, allow_nan=False, allow_infinity=False, width=32)


@st.composite
def points(draw, loss):
    d, r, rs = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    A = draw(arrays(float, (d, rs), elements=ENTRY))
    obj = objective(loss, A, r)
    x = draw(arrays(float, (obj.size,), elements=ENTRY))
    pos = obj.positive
    x[pos] = draw(arrays(float, (len(pos),), elements=st.floats(0.0625, 3, width=32)))
    # the decoder std: anywhere down to 1e-3, where the 1/ε² terms dominate
    x[-1] = draw(st.sampled_from([1e-3, 1e-2, 0.1]) | st.floats(0.0625, 3, width=32))
    return obj, A, r, x


def _scaled(g, ref):
    # float64 gradients of terms of size up to ||.||²/ε³: relative to the largest entry
    return np.max(np.abs(g - ref)) / (1e-300 + 1e-8 * (1 + np.max(np.abs(ref))))


@pytest.mark.parametrize("loss", ["L1", "L"])
@settings(max_examples=15)
@given(data=st.data())
def test_gradient_matches_sympy_evalf_and_mpmath_central_differences(loss, data):
    obj, A, r, x = data.draw(points(loss))
    g = obj.gradient(x)
    assert _scaled(g, sympy_gradient(loss, A, r, x)) <= 1
    assert _scaled(g, mpmath_gradient(loss, A, r, x)) <= 1


@pytest.mark.parametrize("loss", ["L1", "L"])
@given(data=st.data())
def test_hessian_is_the_derivative_of_the_gradient(loss, data):
    obj, A, r, x = data.draw(points(loss))
    x[-1] = max(x[-1], 0.05)  # central differences of 1/ε⁴ terms need ε not tiny in float64
    H = obj.hessian(x)
    assert np.array_equal(H, H.T)
    h = 1e-6 * (1 + np.abs(x))
    fd = np.array([(obj.gradient(x + h[k] * e) - obj.gradient(x - h[k] * e)) / (2 * h[k])
                   for k, e in enumerate(np.eye(obj.size))])
    assert np.max(np.abs(H - fd)) <= 1e-5 * (1 + np.max(np.abs(H)))


def test_one_wrong_sign_in_the_gradient_is_caught(monkeypatch):
    A = np.array([[1.0], [0.5]])
    obj = objective("L1", A, 2)
    x = obj.pack(np.array([[0.3, -0.2], [0.1, 0.4]]), np.array([[0.5, 0.1], [-0.3, 0.2]]), 0.4)
    honest = obj.gradient(x)
    flipped = honest.copy()
    flipped[3] *= -1  # one wrong sign
    ref = mpmath_gradient("L1", A, 2, x)
    assert _scaled(honest, ref) <= 1
    assert _scaled(flipped, ref) > 1


def test_objective_rejects_bad_input():
    with pytest.raises(VerifyError, match="loss='L2'"):
        objective("L2", np.ones((2, 1)), 2)
    obj = objective("L1", np.ones((2, 1)), 2)
    with pytest.raises(VerifyError, match=r"x.shape"):
        obj.gradient(np.ones(3))
    with pytest.raises(VerifyError, match="eps=0"):
        obj.pack(np.ones((2, 2)), np.ones((2, 2)), 0)
