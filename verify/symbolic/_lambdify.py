"""``lambdify`` that is checked against ``subs().evalf()`` before it is trusted (DESIGN "known traps")."""
from __future__ import annotations

import random
from typing import Callable, Sequence

import numpy as np
import sympy as sp

from .. import tolerances as tol
from .._errors import VerifyError

__all__ = ["checked_lambdify"]


def checked_lambdify(symbols: Sequence[sp.Symbol], expr, points: int = 3, seed: int = 0) -> Callable:
    """A NumPy function of ``symbols`` for ``expr``, verified at ``points`` random points.

    The check draws positive symbols from [0.2, 5] and real ones from [-2, 2] and compares the
    float64 value to ``expr.subs(point).evalf(30)`` within LAMBDIFY_RTOL; a disagreement raises
    VerifyError (it would mean lambdify printed the expression wrongly).
    """
    symbols = list(symbols)
    fn = sp.lambdify(symbols, expr, modules="numpy")
    rng = random.Random(seed)
    for _ in range(points):
        point = {s: (0.2 * 25 ** rng.random()) if s.is_positive else rng.uniform(-2, 2) for s in symbols}
        fast = float(fn(*[point[s] for s in symbols]))
        slow = float(expr.subs(point).evalf(30))
        if not np.isclose(fast, slow, rtol=tol.LAMBDIFY_RTOL, atol=tol.LAMBDIFY_RTOL):
            raise VerifyError("expr", sp.sstr(expr)[:120], f"lambdify gives {fast} but subs().evalf() gives {slow}")
    return fn
