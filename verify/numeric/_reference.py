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
from ..validate import check_array, check_choice, check_int, check_positive_int
from ._validate import as_matrix

__all__ = ["symbolic_loss", "mpmath_gradient", "sympy_gradient"]


def symbolic_loss(loss: str, A: np.ndarray, r: int):
    """The symbolic loss with A's entries substituted (exactly, as rationals of the floats), and
    the ordered parameter symbols matching the packing of :mod:`._objective`."""
    check_choice("loss", loss, ("L1", "L"))
    A = as_matrix("A", A)
    r = check_positive_int("r", r)
    d, rs = A.shape
    m = linear_vae(d, r, rs)
    if loss == "L1":
        expr, syms = m.loss_L1(), list(m.At) + list(m.Bt) + [m.eps]
    else:
        expr, syms = m.loss_closed_form(), list(m.At) + list(m.Bt) + list(m.D) + [m.eps]
    expr = expr.xreplace({s: sp.Rational(float(v)) for s, v in zip(m.A, A.ravel())})
    return expr, syms


def mpmath_gradient(loss: str, A, r: int, x, dps: int = 40) -> np.ndarray:
    """Central differences (mpmath.diff) of the symbolic loss at x, at ``dps`` (>= 16) digits."""
    dps = check_int("dps", dps, minimum=16)
    expr, syms = symbolic_loss(loss, A, r)
    x = _point(x, len(syms), loss, r)
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
    expr, syms = symbolic_loss(loss, A, r)
    x = _point(x, len(syms), loss, r)
    at = {s: sp.Float(float(v), 30) for s, v in zip(syms, x)}
    return np.array([float(sp.diff(expr, s).subs(at).evalf(30)) for s in syms])


def _point(x, size: int, loss: str, r: int) -> np.ndarray:
    """The packed point: a finite vector of ``size`` entries whose variances (ε, and D for L) are > 0.

    Checked here, independently of :mod:`._objective`; mpmath needs no lower limit on ε.
    """
    x = check_array("x", x, ndim=1)
    if x.shape != (size,):
        raise VerifyError("x.shape", x.shape, f"must be ({size},) for loss {loss!r}, r={r}")
    variances = x[size - (r + 1 if loss == "L" else 1):]
    if not variances.min() > 0:
        which = "D and ε (the last r + 1 entries)" if loss == "L" else "ε (the last entry)"
        raise VerifyError("x", x, f"{which} must be > 0")
    return x
