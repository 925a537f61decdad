"""Reference derivatives that share no code with :mod:`verify.numeric._objective`.

``mpmath_gradient`` differentiates the *symbolic* loss (eq. 4 or 5, from :mod:`verify.symbolic`)
by central differences in mpmath at high precision; ``sympy_gradient`` differentiates it with
SymPy and evaluates with ``subs().evalf()``.  Both are slow and meant for small shapes.
"""
from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from .._errors import VerifyError
from ..symbolic import linear_vae

__all__ = ["symbolic_loss", "mpmath_gradient", "sympy_gradient"]


def symbolic_loss(loss: str, A: np.ndarray, r: int):
    """The symbolic loss with A's entries substituted (exactly, as rationals of the floats), and
    the ordered parameter symbols matching the packing of :mod:`._objective`."""
    d, rs = A.shape
    m = linear_vae(d, r, rs)
    if loss == "L1":
        expr, syms = m.loss_L1(), list(m.At) + list(m.Bt) + [m.eps]
    elif loss == "L":
        expr, syms = m.loss_closed_form(), list(m.At) + list(m.Bt) + list(m.D) + [m.eps]
    else:
        raise VerifyError("loss", loss, "unknown loss; choose 'L' or 'L1'")
    expr = expr.xreplace({s: sp.Rational(float(v)) for s, v in zip(m.A, A.ravel())})
    return expr, syms


def mpmath_gradient(loss: str, A, r: int, x, dps: int = 40) -> np.ndarray:
    """Central differences (mpmath.diff) of the symbolic loss at x, at ``dps`` digits."""
    expr, syms = symbolic_loss(loss, np.asarray(A, float), r)
    fn = sp.lambdify(syms, expr, modules="mpmath")
    out = []
    with mpmath.workdps(dps):
        point = [mpmath.mpf(float(v)) for v in x]
        for k in range(len(syms)):
            def partial(t, k=k):
                args = list(point)
                args[k] = t
                return fn(*args)
            out.append(float(mpmath.diff(partial, point[k])))
    return np.array(out)


def sympy_gradient(loss: str, A, r: int, x) -> np.ndarray:
    """SymPy's derivative of the symbolic loss, evaluated by ``subs().evalf()``."""
    expr, syms = symbolic_loss(loss, np.asarray(A, float), r)
    at = {s: sp.Float(float(v), 30) for s, v in zip(syms, x)}
    return np.array([float(sp.diff(expr, s).subs(at).evalf(30)) for s in syms])
