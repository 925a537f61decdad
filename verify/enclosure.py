"""Rigorous sign proofs by interval arithmetic: ``gap >= 0`` (or ``> 0``) on a whole domain.

:func:`prove_sign` encloses the range of a SymPy expression on boxes with ``mpmath.iv`` (outward
rounded interval arithmetic) and bisects (branch and bound) until every box is decided or the
budget (:data:`~verify.tolerances.ENCLOSURE_MAX_BOXES` boxes, :data:`~verify.tolerances.ENCLOSURE_MAX_SECONDS`
seconds) runs out.  A box is decided when

* one of several equal forms of the gap (as given, cancelled, factored, expanded, Horner) has an
  enclosure whose lower end is >= 0 (> 0 for a strict inequality);
* or, after the *monotonicity test* (where an enclosure of ∂gap/∂x_i has one sign on the box, the
  minimum lies on the face x_i = its lower or upper end, which replaces the box's side; only at a
  finite end), one of those forms decides the smaller box;
* or the *mean-value form* gap(c) + Σ ∂_i gap(box)(x_i - c_i) (finite boxes) does.

Domains.  Each symbol ranges over what its assumptions allow (positive: (0, ∞); nonnegative:
[0, ∞); negative, nonpositive; real: (-∞, ∞); a positive integer over the reals >= 1, which
contains the integers) or over ``ranges[symbol]``.  Boxes are bisected in a variable t ∈ [0, 1]
mapped monotonically onto the domain:

* [lo, hi]:   x = lo + (hi - lo) τ
* [lo, ∞):    x = lo + τ/(1 - τ)      (τ = 1/2 is lo + 1, τ = 1/4 is lo + 1/3, ...)
* (-∞, hi]:   x = hi - (1 - τ)/τ
* (-∞, ∞):    x = u/(1 - |u|), u = 2τ - 1   (τ = 1/2 is 0, τ = 3/4 is 1, ...)

so a box at τ = 1 has x = +∞ as its end, and the enclosure is computed on the closed box of the
extended reals.  An excluded end (0 for a positive symbol, ±∞) therefore only helps if the gap has
a finite sign-definite limit there; a box touching a singular end encloses to ±∞ and stays
undecided, which (after the budget) means *not proved*, never proved.  Adjacent boxes share the
same computed end point, so the boxes cover the domain whatever the rounding of the map.

The sign is only ever trusted from the intervals: SymPy's rewriting (cancel, factor, expand, horner,
diff) supplies equal forms and derivatives, exactly as SymPy's own sign test does elsewhere.
"""
from __future__ import annotations

import collections
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional, Sequence

import mpmath
import sympy as sp
from mpmath import iv
from mpmath.libmp import fnan, fzero, mpf_ge, mpf_gt, mpf_le, mpf_lt


from . import tolerances as tol
from ._errors import VerifyError

__all__ = ["Support", "support", "EnclosureResult", "prove_sign", "Unsupported"]


# ---------------------------------------------------------------------------------------------
# domains


@dataclass(frozen=True)
class Support:
    """The set a symbol ranges over: an interval with ends in the extended reals.

    ``lo_open``/``hi_open``: whether the end is excluded (an infinite end always is);
    ``integer``: only integers of the interval (the enclosure proves over the whole interval,
    which is stronger).
    """

    lo: sp.Expr
    hi: sp.Expr
    lo_open: bool = False
    hi_open: bool = False
    integer: bool = False

    def __post_init__(self):
        if not self.lo < self.hi:
            raise VerifyError("support", (self.lo, self.hi), "need lo < hi")

    def describe(self) -> str:
        left = "(" if self.lo_open or self.lo == -sp.oo else "["
        right = ")" if self.hi_open or self.hi == sp.oo else "]"
        kind = "integers in " if self.integer else ""
        return f"{kind}{left}{_show(self.lo)}, {_show(self.hi)}{right}"

    def map_text(self, name: str = "x") -> str:
        """How the bisection variable τ ∈ [0, 1] is mapped onto this interval."""
        lo, hi = self.lo, self.hi
        if lo.is_finite and hi.is_finite:
            return f"{name} = {_show(lo)} + {_show(hi - lo)}τ"
        if lo.is_finite:
            return f"{name} = {_show(lo)} + τ/(1-τ)" if lo != 0 else f"{name} = τ/(1-τ)"
        if hi.is_finite:
            return f"{name} = {_show(hi)} - (1-τ)/τ" if hi != 0 else f"{name} = -(1-τ)/τ"
        return f"{name} = u/(1-|u|), u = 2τ-1"


def _show(v) -> str:
    return "∞" if v == sp.oo else "-∞" if v == -sp.oo else sp.sstr(v)


def support(symbol: sp.Symbol, ranges: Mapping = None) -> Support:
    """Where ``symbol`` may range: ``ranges[symbol]`` (closed) if given, else its assumptions."""
    ranges = ranges or {}
    if symbol in ranges:
        lo, hi = ranges[symbol]
        return Support(sp.Rational(lo), sp.Rational(hi), integer=bool(symbol.is_integer))
    integer = bool(symbol.is_integer)
    if symbol.is_positive:
        return Support(sp.Integer(1), sp.oo, integer=True) if integer else Support(sp.Integer(0), sp.oo, lo_open=True)
    if symbol.is_nonnegative:
        return Support(sp.Integer(0), sp.oo, integer=integer)
    if symbol.is_negative:
        return Support(-sp.oo, sp.Integer(-1), integer=True) if integer else Support(-sp.oo, sp.Integer(0), hi_open=True)
    if symbol.is_nonpositive:
        return Support(-sp.oo, sp.Integer(0), integer=integer)
    return Support(-sp.oo, sp.oo, integer=integer)


def _t_map(sup: Support) -> Callable[[mpmath.mpf], mpmath.mpf]:
    """The monotone map τ ∈ [0, 1] -> x of the module docstring (mpmath, deterministic)."""
    inf = mpmath.inf
    lo = None if not sup.lo.is_finite else mpmath.mpf(sp.Rational(sup.lo).p) / sp.Rational(sup.lo).q
    hi = None if not sup.hi.is_finite else mpmath.mpf(sp.Rational(sup.hi).p) / sp.Rational(sup.hi).q
    if lo is not None and hi is not None:
        return lambda t: lo + (hi - lo) * t if t < 1 else hi
    if lo is not None:
        return lambda t: inf if t >= 1 else lo + t / (1 - t)
    if hi is not None:
        return lambda t: -inf if t <= 0 else hi - (1 - t) / t

    def whole(t):
        if t <= 0:
            return -inf
        if t >= 1:
            return inf
        u = 2 * t - 1
        return u / (1 - abs(u))

    return whole


# ---------------------------------------------------------------------------------------------
# compiling a SymPy expression to an interval function


class Unsupported(Exception):
    """The expression has a part interval arithmetic here cannot enclose."""


_UNARY = {
    sp.exp: lambda a: iv.exp(a),
    sp.log: lambda a: iv.log(a),
    sp.sin: lambda a: iv.sin(a),
    sp.cos: lambda a: iv.cos(a),
    sp.Abs: lambda a: abs(a),
}


def _const(value: sp.Expr):
    if value.is_Integer:
        return iv.mpf(int(value))
    if value.is_Rational:
        return iv.mpf(int(value.p)) / int(value.q)
    if value.is_Float:
        return iv.mpf(mpmath.mpf(value._mpf_))
    if value is sp.pi:
        return iv.pi
    if value is sp.E:
        return iv.e
    raise Unsupported(f"constant {value}")


def _compile(expr: sp.Expr, index: Mapping[sp.Symbol, int]) -> Callable:
    """A function of a list of intervals (one per symbol of ``index``) enclosing ``expr``."""
    if expr.is_Symbol:
        if expr not in index:
            raise Unsupported(f"symbol {expr} without a domain")
        k = index[expr]
        return lambda X: X[k]
    if expr.is_Number or expr in (sp.pi, sp.E):
        if expr.is_infinite or expr is sp.nan or not expr.is_real:
            raise Unsupported(f"constant {expr}")
        c = _const(expr)
        return lambda X: c
    if expr.is_Add or expr.is_Mul:
        parts = [_compile(a, index) for a in expr.args]
        if expr.is_Add:
            def add(X):
                total = parts[0](X)
                for p in parts[1:]:
                    total = total + p(X)
                return total
            return add

        def mul(X):
            total = parts[0](X)
            for p in parts[1:]:
                total = total * p(X)
            return total
        return mul
    if expr.is_Pow:
        base = _compile(expr.base, index)
        e = expr.exp
        if e.is_Integer:
            n = int(e)
            return lambda X: base(X) ** n
        if e == sp.Rational(1, 2):
            return lambda X: iv.sqrt(base(X))
        if e == -sp.Rational(1, 2):
            return lambda X: 1 / iv.sqrt(base(X))
        if e.is_Rational:
            c = _const(e)
            return lambda X: base(X) ** c
        expo = _compile(e, index)
        return lambda X: iv.exp(expo(X) * iv.log(base(X)))
    fn = _UNARY.get(type(expr)) if not isinstance(type(expr), sp.core.function.UndefinedFunction) else None
    if fn is not None and len(expr.args) == 1:
        arg = _compile(expr.args[0], index)
        return lambda X: fn(arg(X))
    raise Unsupported(f"{type(expr).__name__} ({sp.sstr(expr)[:60]})")


def _mpf_max(a, b):
    return a if mpf_ge(a, b) else b


def _mpf_min(a, b):
    return a if mpf_le(a, b) else b


def _bounds(value) -> tuple:
    """(lower, upper) raw mpf tuples of an interval, or None when it is not a real interval."""
    raw = getattr(value, "_mpi_", None)
    if raw is None:
        return None
    lo, hi = raw
    if lo == fnan or hi == fnan:
        return None
    return lo, hi


# ---------------------------------------------------------------------------------------------
# branch and bound


@dataclass(frozen=True)
class EnclosureResult:
    """What the interval enclosure established about ``gap >= 0`` (``> 0`` if strict)."""

    proved: bool
    applicable: bool  # False: not attempted (what is unsupported is in ``reason``)
    reason: str
    boxes: int = 0  # boxes evaluated
    undecided: int = 0  # boxes left when the budget ran out
    seconds: float = 0.0
    maps: Mapping[str, str] = field(default_factory=dict)  # symbol -> domain and change of variables
    refuted_at: Optional[Mapping[sp.Symbol, mpmath.mpf]] = None  # a box centre where gap < 0 (> 0 fails)

    def describe(self) -> str:
        if not self.applicable:
            return f"not attempted ({self.reason})"
        maps = "; ".join(f"{k} ∈ {v}" for k, v in self.maps.items()) or "no variables"
        head = "proved" if self.proved else "not proved"
        return f"{head}: {self.reason} ({self.boxes} boxes; {maps})"


def _forms(gap: sp.Expr, symbols: Sequence[sp.Symbol], polynomial_forms: bool = True) -> list:
    """Equal forms of ``gap`` whose enclosures differ (the dependency problem differs)."""
    forms = [gap]
    if sp.count_ops(gap) <= tol.ENCLOSURE_MAX_OPS:
        candidates = [lambda e: sp.cancel(sp.together(e)), sp.factor]
        if polynomial_forms:
            candidates.append(sp.expand)
        if polynomial_forms and gap.is_polynomial(*symbols):
            candidates.append(lambda e: sp.horner(sp.expand(e), *symbols) if symbols else e)
        for make in candidates:
            try:
                f = make(gap)
            except (sp.PolynomialError, NotImplementedError, TypeError, ValueError):
                continue
            if all(f != g for g in forms):
                forms.append(f)
    return forms


def prove_sign(gap, supports: Mapping[sp.Symbol, Support], *, strict: bool = False,
               max_boxes: int = None, max_seconds: float = None) -> EnclosureResult:
    """Try to prove ``gap >= 0`` (``> 0`` if ``strict``) for every point of the product of ``supports``.

    Every free symbol of ``gap`` needs a support.  Returns an :class:`EnclosureResult`; ``proved`` is
    True only if every box of a cover of the domain was decided.
    """
    max_boxes = tol.ENCLOSURE_MAX_BOXES if max_boxes is None else max_boxes
    max_seconds = tol.ENCLOSURE_MAX_SECONDS if max_seconds is None else max_seconds
    gap = sp.sympify(gap)
    t0 = time.perf_counter()
    symbols = sorted(gap.free_symbols, key=sp.default_sort_key)
    missing = [s for s in symbols if s not in supports]
    if missing:
        raise VerifyError("supports", missing, "every free symbol of the gap needs a support")
    if len(symbols) > tol.ENCLOSURE_MAX_SYMBOLS:
        return EnclosureResult(False, False, f"{len(symbols)} variables, more than ENCLOSURE_MAX_SYMBOLS = "
                                             f"{tol.ENCLOSURE_MAX_SYMBOLS}")
    index = {s: k for k, s in enumerate(symbols)}
    maps = {str(s): f"{supports[s].describe()} as {supports[s].map_text(str(s))}" for s in symbols}
    old_prec = iv.prec
    iv.prec = tol.ENCLOSURE_PREC
    try:
        try:
            forms = [_compile(gap, index)]
        except Unsupported as exc:
            return EnclosureResult(False, False, f"unsupported: {exc}", maps=maps)
        forms += _compiled(_forms(gap, symbols)[1:], index)
        derivs = None
        if symbols and sp.count_ops(gap) <= tol.ENCLOSURE_MAX_OPS:
            derivs = [_compiled(_forms(sp.diff(gap, s), symbols, polynomial_forms=False), index) for s in symbols]
        result = _branch_and_bound(symbols, supports, forms, derivs, strict, max_boxes, max_seconds, t0)
    finally:
        iv.prec = old_prec
    proved, reason, boxes, left, refuted = result
    return EnclosureResult(proved, True, reason, boxes, left, time.perf_counter() - t0, maps, refuted)


def _compiled(exprs, index) -> list:
    """The interval functions of those ``exprs`` that can be compiled (the rest are skipped)."""
    out = []
    for expr in exprs:
        try:
            out.append(_compile(expr, index))
        except Unsupported:
            continue
    return out


def _branch_and_bound(symbols, supports, forms, derivs, strict, max_boxes, max_seconds, t0):
    tmaps = [_t_map(supports[s]) for s in symbols]
    cache: dict = {}

    def x_of(k, t):
        key = (k, t)
        if key not in cache:
            with mpmath.workprec(tol.ENCLOSURE_PREC + 20):
                cache[key] = tmaps[k](mpmath.mpf(t))
        return cache[key]

    def box_x(box):
        return [iv.mpf([x_of(k, a), x_of(k, b)]) for k, (a, b) in enumerate(box)]

    def decide(X):
        """True: proved on X; False: gap < 0 (<= 0 strict) on all of X; None: undecided."""
        for f in forms:
            try:
                bnd = _bounds(f(X))
            except (ZeroDivisionError, ValueError, ArithmeticError):
                continue
            if bnd is None:
                continue
            lo, hi = bnd
            if (mpf_gt(lo, fzero) if strict else mpf_ge(lo, fzero)):
                return True
            if (mpf_le(hi, fzero) if strict else mpf_lt(hi, fzero)):
                return False
        return None

    def derivative_bounds(X):
        """Per variable: the intersection of the enclosures of the derivative's forms, or None."""
        out = []
        for forms_k in derivs:
            best = None
            for d in forms_k:
                try:
                    bnd = _bounds(d(X))
                except (ZeroDivisionError, ValueError, ArithmeticError):
                    continue
                if bnd is None:
                    continue
                best = bnd if best is None else (_mpf_max(best[0], bnd[0]), _mpf_min(best[1], bnd[1]))
            out.append(best)
        return out

    queue = collections.deque([tuple((0.0, 1.0) for _ in symbols)])
    boxes = 0
    while queue:
        if boxes >= max_boxes or time.perf_counter() - t0 > max_seconds:
            example = queue[0]
            X = box_x(example)
            where = ", ".join(f"{s} ∈ [{mpmath.nstr(mpmath.mpf(x.a), 6)}, {mpmath.nstr(mpmath.mpf(x.b), 6)}]"
                              for s, x in zip(symbols, X))
            why = "box budget" if boxes >= max_boxes else "time budget"
            return (False, f"{why} exhausted with {len(queue)} boxes undecided, e.g. {where or 'the point'}",
                    boxes, len(queue), None)
        box = queue.popleft()
        boxes += 1
        X = box_x(box)
        verdict = decide(X)
        if verdict is None and derivs is not None:
            dbs = derivative_bounds(X)
            reduced, changed = list(X), False
            for k, db in enumerate(dbs):
                if db is None:
                    continue
                lo_x, hi_x = X[k].a, X[k].b
                if mpf_ge(db[0], fzero) and mpmath.isfinite(mpmath.mpf(lo_x)):
                    reduced[k], changed = iv.mpf(lo_x), True
                elif mpf_le(db[1], fzero) and mpmath.isfinite(mpmath.mpf(hi_x)):
                    reduced[k], changed = iv.mpf(hi_x), True
            if changed:
                verdict = decide(reduced)
                if verdict is False:
                    verdict = None  # negative on a face only; the search will look there
            if verdict is None and all(db is not None for db in dbs) and \
                    all(mpmath.isfinite(mpmath.mpf(x.a)) and mpmath.isfinite(mpmath.mpf(x.b)) for x in X):
                verdict = _mean_value(forms[0], X, dbs, strict)
        if verdict is True:
            continue
        if verdict is False:
            centre = {s: x_of(k, (a + b) / 2) for k, (s, (a, b)) in enumerate(zip(symbols, box))}
            return (False, "the gap is negative on a whole box" if not strict else "the gap is <= 0 on a whole box",
                    boxes, len(queue), centre)
        if not symbols:
            return False, "the constant gap's enclosure contains 0", boxes, 0, None
        widths = [b - a for a, b in box]
        k = max(range(len(box)), key=lambda i: widths[i])
        a, b = box[k]
        if widths[k] < tol.ENCLOSURE_MIN_WIDTH:
            return (False, f"box narrower than {tol.ENCLOSURE_MIN_WIDTH} in τ still undecided (the gap may touch 0 "
                           f"there) near " + ", ".join(f"{s} = {mpmath.nstr(mpmath.mpf(x.mid), 8)}"
                                                        for s, x in zip(symbols, X)), boxes, len(queue) + 1, None)
        m = (a + b) / 2
        queue.append(box[:k] + ((a, m),) + box[k + 1:])
        queue.append(box[:k] + ((m, b),) + box[k + 1:])
    return True, "every box decided", boxes, 0, None


def _mean_value(form, X, dbs, strict):
    """gap(X) ⊆ gap(c) + Σ ∂_i gap(X) (X_i - c): the centred form on a finite box."""
    c = [iv.mpf(x.mid) for x in X]
    try:
        value = form(c)
        for x, ci, db in zip(X, c, dbs):
            value = value + iv.mpf([mpmath.mpf(db[0]), mpmath.mpf(db[1])]) * (x - ci)
    except (ZeroDivisionError, ValueError, ArithmeticError):
        return None
    bnd = _bounds(value)
    if bnd is None:
        return None
    lo, hi = bnd
    if mpf_gt(lo, fzero) if strict else mpf_ge(lo, fzero):
        return True
    return None
