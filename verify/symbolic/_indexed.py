"""Index notation with SYMBOLIC dimensions: finite sums whose bounds are symbols (d, r, r*).

Matrices are undefined real functions of their indices (``At(k, j)`` is Ã_kj, k <= d, j <= r) and
a sum over an index is an :class:`ISum` (a SymPy ``Sum`` with integer bounds such as 1..d).  So an
expression like ||A - ÃB̃A||_F² is one SymPy expression valid for every d, r, r*, not one per shape.

Why a subclass of ``Sum``: SymPy 1.14 cannot show that two finite sums are equal when they differ
by the name of a bound index, the order of summation, or a product of sums written as one double
sum (Σ_l a_l)(Σ_m b_m) = Σ_l Σ_m a_l b_m.  :class:`ISum` adds exactly these rules, as the *expand*
and *simplify* of a sum (so the derivation engine's SymPy side, which expands or simplifies
``previous - new``, uses them).  :func:`normal_form` applies them:

1. linearity: a sum of an Add is the Add of the sums; a factor free of the summation index moves out;
2. products and positive integer powers of sums, inside a summand, become one multiple sum over
   fresh indices (distributivity of finite sums);
3. a bound index that no factor uses contributes the factor (hi - lo + 1) where that is provably
   >= 0, else max(0, hi - lo + 1) (an empty sum is 0, as in the paper; not Karr's convention, as
   SymPy's ``Sum``);
4. Kronecker deltas are contracted: Σ_{m=lo}^{hi} δ(l, m) f(m) = f(l) when l is another bound index
   with the same range, or an expression that provably lies in [lo, hi] (e.g. 1 or d in 1..d);
5. the remaining multiple sum factorises into the connected components of its indices (two
   indices are connected when a factor uses both): Σ_{l,m} a_l b_m = (Σ_l a_l)(Σ_m b_m);
6. each component gets canonical index names k1, k2, ... (the lexicographically least renaming of
   all permutations), its limits sorted by name.

Two expressions equal for every dimension and every entry have equal normal forms whenever their
summands are polynomial in the entries and in the non-polynomial subterms (logs, reciprocals),
which the normal form treats as opaque factors after normalising their arguments.  The rules are
the standard identities of finite sums; a wrong normal form would still be caught by the engine's
numeric side, which evaluates both sides of every step (not their normal forms) at random points
with the dimensions drawn as integers 1..10 (:meth:`ISum._eval_evalf` adds the terms), and by
:func:`evaluate`, which evaluates an expression in NumPy at concrete shapes (up to 30 and more) with
concrete random matrices.

Positive quantities (D̃_ii) are written exp(λ_i) with λ an arbitrary real function of the index, so
that the random instances the engine draws stay in the domain of log.
"""
from __future__ import annotations

import functools
import itertools
from typing import Mapping, Optional

import mpmath
import numpy as np
import sympy as sp
from sympy.concrete.expr_with_limits import AddWithLimits
from sympy.core.function import AppliedUndef

from .._errors import VerifyError

__all__ = [
    "DIM_D",
    "DIM_R",
    "DIM_RSTAR",
    "ISum",
    "isum",
    "entry",
    "positive_entry",
    "normal_form",
    "identical",
    "evaluate",
    "random_instance",
    "gaussian_second_moments",
    "agreement_check",
    "OpaqueEntry",
    "direct_value",
]

#: the dimension symbols of the linear VAE: data dimension d, latent r, data rank r*
DIM_D = sp.Symbol("d", integer=True, positive=True)
DIM_R = sp.Symbol("r", integer=True, positive=True)
DIM_RSTAR = sp.Symbol("r_star", integer=True, positive=True)

_CANON_PREFIX = "k"


def _index(name: str) -> sp.Symbol:
    return sp.Symbol(name, integer=True, positive=True)


class ISum(AddWithLimits):
    """A finite sum with symbolic integer bounds: expands/simplifies to its :func:`normal_form` and
    evaluates numerically (term by term) once its bounds are integers.

    It derives from SymPy's ``AddWithLimits`` (the parent of ``Sum``), not from ``Sum``, so that
    SymPy's own sum heuristics (``sum_simplify``, delta summation into Piecewise) never see it; it
    prints as a ``Sum`` and differentiates like one (term by term)."""

    def __new__(cls, function, *symbols, **assumptions):
        fast = _fast_isum(cls, function, symbols, assumptions)
        if fast is not None:
            return fast
        obj = AddWithLimits.__new__(cls, function, *symbols, **assumptions)
        if hasattr(obj, "limits") and any(len(lim) != 3 or None in lim for lim in obj.limits):
            raise VerifyError("limits", symbols, "every limit of a finite sum needs (index, lo, hi)")
        return obj

    @property
    def free_symbols(self):
        """As ``ExprWithLimits.free_symbols`` (the summand's symbols less each index, innermost first, plus
        its bounds' symbols), computed once per (immutable) sum: SymPy's version rebuilds the whole summand
        on every call (an identity ``xreplace``), which made rebuilding nested sums quadratic."""
        cached = self.__dict__.get("_free_cache")
        if cached is None:
            if not all(lim[0].is_Symbol for lim in self.limits):
                return super().free_symbols
            syms = set(self.function.free_symbols)
            for x, *bounds in self.limits:
                syms.discard(x)
                for b in bounds:
                    syms |= b.free_symbols
            cached = self.__dict__["_free_cache"] = frozenset(syms)
        return set(cached)

    _eval_derivative = sp.Sum._eval_derivative

    def _eval_is_extended_real(self):
        return self.function.is_extended_real

    def _eval_is_finite(self):
        if all(b.is_finite for lim in self.limits for b in lim[1:]) and self.function.is_finite:
            return True
        return None

    def _nonempty(self) -> bool:
        """Every limit has hi - lo + 1 >= 0 (so Karr's convention adds, not subtracts, the terms)."""
        return all(bool((hi - lo + 1).is_nonnegative) for _, lo, hi in self.limits)

    def _eval_is_extended_nonnegative(self):
        if self.function.is_extended_nonnegative and self._nonempty():
            return True
        return None

    def _eval_is_extended_nonpositive(self):
        if self.function.is_extended_nonpositive and self._nonempty():
            return True
        return None

    def as_sum(self) -> sp.Sum:
        """The same sum as a plain ``sympy.Sum`` (printing)."""
        return sp.Sum(self.function, *self.limits)

    def _sympystr(self, printer, **kwargs):
        return printer._print(self.as_sum())

    def _latex(self, printer, **kwargs):
        return printer._print(self.as_sum())

    def _pretty(self, printer, **kwargs):
        return printer._print(self.as_sum())

    def _eval_expand_basic(self, **hints):
        return normal_form(self)

    def _eval_expand_log(self, **hints):
        return normal_form(self)

    def _eval_simplify(self, **kwargs):
        return normal_form(self)

    def _eval_evalf(self, prec):
        if not all(b.is_Integer for lim in self.limits for b in lim[1:]):
            return None
        if self.free_symbols:
            return None
        with mpmath.workprec(prec):
            value = _mp_value(self)
        return sp.Float(value, mpmath.libmp.prec_to_dps(prec))

    def doit(self, **hints):
        return self  # a finite sum with symbolic bounds stays as it is; evalf adds the terms


def _fast_isum(cls, function, symbols, assumptions):
    """``AddWithLimits.__new__`` without its generic work, for the calls SymPy makes when it rebuilds a
    sum (``xreplace``, ``replace``, ``diff``): every limit already a ``Tuple(index, lo, hi)`` with a
    Symbol index, a summand with no Piecewise (nothing to fold) and no assumptions.  Nested sums are
    denested as ``_common_new`` does (the same object results); None: take the generic path."""
    if assumptions or not symbols or not isinstance(function, sp.Expr) or function is sp.S.NaN:
        return None
    for lim in symbols:
        if not (isinstance(lim, sp.Tuple) and len(lim) == 3 and lim[0].is_Symbol):
            return None
    limits = list(symbols)
    while type(function) is cls:
        limits = list(function.limits) + limits
        function = function.function
    if function.has(sp.Piecewise):
        return None
    obj = sp.Expr.__new__(cls)
    obj._args = (function, *limits)
    obj.is_commutative = function.is_commutative
    return obj


def isum(summand, *limits) -> ISum:
    """Σ over ``limits`` ((index, lo, hi), ...), the first limit innermost (as ``sympy.Sum``)."""
    return ISum(summand, *limits)


def entry(name: str):
    """A matrix (or vector) with symbolic shape: an undefined real function of its indices."""
    return sp.Function(name, real=True)


def positive_entry(name: str):
    """A positive vector v_i = exp(λ_i), λ = ``log_<name>`` an arbitrary real function of i."""
    lam = sp.Function(f"log_{name}", real=True)
    return lambda *idx: sp.exp(lam(*idx))


# ---------------------------------------------------------------------------------------------
# normal form

_fresh_counter = itertools.count()


def _fresh() -> sp.Symbol:
    return sp.Dummy(f"i{next(_fresh_counter)}", integer=True)


def _has_isum(expr) -> bool:
    return isinstance(expr, sp.Basic) and expr.has(ISum)


class _Term:
    __slots__ = ("coeff", "limits", "factors")

    def __init__(self, coeff, limits, factors):
        self.coeff = coeff
        self.limits = limits  # list of (symbol, lo, hi)
        self.factors = factors

    def times(self, other: "_Term") -> "_Term":
        return _Term(self.coeff * other.coeff, self.limits + other.limits, self.factors + other.factors)


def _rename_bound(s: ISum):
    """The summand and limits of ``s`` with every bound index renamed to a fresh one."""
    body = s.function
    limits = []
    for lim in s.limits:
        x, lo, hi = lim
        for prev, _, _ in limits:
            if lo.has(prev) or hi.has(prev):
                raise VerifyError("limits", s.limits, "bounds may not depend on other bound indices")
        y = _fresh()
        body = body.xreplace({x: y})
        limits.append((y, lo, hi))
    return body, limits


def _flat(expr) -> list:
    """``expr`` as a list of flat terms coeff * Σ_limits Π factors."""
    if isinstance(expr, ISum):
        body, limits = _rename_bound(expr)
        return [_Term(t.coeff, limits + t.limits, t.factors) for t in _flat(body)]
    if expr.is_Number:
        return [_Term(expr, [], [])]
    if expr.is_Add:
        return [t for a in expr.args for t in _flat(a)]
    if expr.is_Mul:
        terms = [_Term(sp.Integer(1), [], [])]
        for a in expr.args:
            sub = _flat(a)
            terms = [t.times(u) for t in terms for u in sub]
        return terms
    if expr.is_Pow and expr.exp.is_Integer and expr.exp > 1 and (expr.base.is_Add or _has_isum(expr.base)):
        terms = [_Term(sp.Integer(1), [], [])]
        for _ in range(int(expr.exp)):
            sub = _flat(expr.base)  # fresh indices for every copy
            terms = [t.times(u) for t in terms for u in sub]
        return terms
    if isinstance(expr, sp.KroneckerDelta) or isinstance(expr, AppliedUndef) or expr.is_Atom:
        return [_Term(sp.Integer(1), [], [expr])]
    if expr.is_Pow and isinstance(expr.base, sp.KroneckerDelta) and expr.exp.is_Integer and expr.exp > 0:
        return [_Term(sp.Integer(1), [], [expr.base])]
    if isinstance(expr, sp.log):
        # log of a quotient/product of positive factors: one log per factor, over a common denominator
        arg = sp.together(normal_form(expr.args[0]))
        split = sp.expand_log(sp.log(arg))
        if not isinstance(split, sp.log):
            return _flat(split)
        return [_Term(sp.Integer(1), [], [sp.log(arg)])]
    # an opaque factor (exp, a reciprocal ...): normalise its arguments
    return [_Term(sp.Integer(1), [], [expr.func(*[normal_form(a) for a in expr.args])])]


@functools.lru_cache(maxsize=4096)
def _in_range(value, lo, hi) -> bool:
    """lo <= value <= hi provably (SymPy's assumptions, after simplify if the plain difference is not
    decided); memoised: the same deltas are contracted again and again in one normal form."""
    return all(bool(gap.is_nonnegative or sp.simplify(gap).is_nonnegative) for gap in (value - lo, hi - value))


def _contract(limits: list, factors: list) -> tuple:
    """Contract Kronecker deltas against bound indices (rule 4)."""
    changed = True
    while changed:
        changed = False
        bound = {x: (lo, hi) for x, lo, hi in limits}
        for n, f in enumerate(factors):
            if not isinstance(f, sp.KroneckerDelta):
                continue
            a, b = f.args
            for x, y in ((a, b), (b, a)):
                if x not in bound:
                    continue
                lo, hi = bound[x]
                ok = (y in bound and bound[y] == (lo, hi)) or (
                    not (y.free_symbols & set(bound)) and _in_range(y, lo, hi))
                if ok:
                    rest = factors[:n] + factors[n + 1:]
                    factors = [g.xreplace({x: y}) for g in rest]
                    limits = [lim for lim in limits if lim[0] != x]
                    changed = True
                    break
            if changed:
                break
            # δ(x, y) δ(x', y) with x, x' bound over the same range: the second is δ(x', x)
            for x, y in ((a, b), (b, a)):
                if x not in bound:
                    continue
                for n2, g in enumerate(factors):
                    if n2 == n or not isinstance(g, sp.KroneckerDelta):
                        continue
                    for x2, y2 in (g.args, g.args[::-1]):
                        if y2 == y and x2 in bound and x2 != x and bound[x2] == bound[x]:
                            rest = [h for m_, h in enumerate(factors) if m_ != n2]
                            factors = [h.xreplace({x2: x}) for h in rest]
                            limits = [lim for lim in limits if lim[0] != x2]
                            changed = True
                            break
                    if changed:
                        break
                if changed:
                    break
            if changed:
                break
    # deltas may have become numbers (δ(k, k) = 1, δ(1, 2) = 0) or products of the same
    coeff = sp.Integer(1)
    kept = []
    for f in factors:
        if f.is_Number:
            coeff *= f
        else:
            kept.append(f)
    return limits, kept, coeff


def _max_canon(expr) -> int:
    """The largest canonical index number bound anywhere inside ``expr``."""
    best = 0
    for s in expr.atoms(ISum):
        for lim in s.limits:
            name = lim[0].name
            if name.startswith(_CANON_PREFIX) and name[len(_CANON_PREFIX):].isdigit():
                best = max(best, int(name[len(_CANON_PREFIX):]))
    return best


def _component_sum(limits: list, factors: list) -> sp.Expr:
    """One connected component as an ISum with canonical index names (rule 6)."""
    body = sp.Mul(*factors)
    base = _max_canon(body)
    names = [_index(f"{_CANON_PREFIX}{base + n + 1}") for n in range(len(limits))]
    # order the indices by a name-free signature (how each factor uses them, and their range); only
    # indices with equal signatures need to be tried in every order
    xs = [x for x, _, _ in limits]
    mark, other = sp.Symbol("_X"), sp.Symbol("_Y")
    rng = {x: (lo, hi) for x, lo, hi in limits}
    sig = {}
    for x in xs:
        sub = {y: (mark if y == x else other) for y in xs}
        sig[x] = (str(rng[x]), tuple(sorted(sp.srepr(f.xreplace(sub)) for f in factors if x in f.free_symbols)))
    ordered = sorted(xs, key=lambda x: sig[x])
    groups = [list(g) for _, g in itertools.groupby(ordered, key=lambda x: sig[x])]
    orders = [list(itertools.chain.from_iterable(choice))
              for choice in itertools.product(*[itertools.permutations(g) for g in groups])]
    best = None
    for order in orders:
        mapping = {x: names[n] for n, x in enumerate(order)}
        renamed = body.xreplace(mapping)
        lims = sorted(((mapping[x], lo, hi) for x, lo, hi in limits), key=lambda t: t[0].name)
        key = (sp.srepr(renamed), str(lims))
        if best is None or key < best[0]:
            best = (key, renamed, lims)
    _, renamed, lims = best
    return ISum(renamed, *lims)


def _rebuild(term: _Term) -> sp.Expr:
    limits, factors, c = _contract(list(term.limits), list(term.factors))
    coeff = term.coeff * c
    bound = {x for x, _, _ in limits}
    inner = []
    for f in factors:
        if f.free_symbols & bound:
            inner.append(f)
        else:
            coeff *= f
    if coeff == 0:
        return sp.Integer(0)
    used = set().union(*(f.free_symbols for f in inner)) if inner else set()
    for x, lo, hi in limits:
        if x not in used:
            # the number of terms: hi - lo + 1 where that is provably >= 0, else max(0, hi - lo + 1)
            # (the paper's empty sums are 0; Karr's convention would count a negative number of terms)
            count = hi - lo + 1
            coeff *= count if count.is_nonnegative else sp.Max(0, count)
    limits = [lim for lim in limits if lim[0] in used]
    # connected components (rule 5)
    parent = {x: x for x, _, _ in limits}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for f in inner:
        xs = [x for x in f.free_symbols if x in parent]
        for x in xs[1:]:
            parent[find(x)] = find(xs[0])
    groups: dict = {}
    for f in inner:
        root = find(next(x for x in f.free_symbols if x in parent))
        groups.setdefault(root, [[], []])[1].append(f)
    for lim in limits:
        groups[find(lim[0])][0].append(lim)
    out = coeff
    for lims, fs in groups.values():
        out *= _component_sum(lims, fs)
    return out


def normal_form(expr) -> sp.Expr:
    """The canonical form of ``expr`` under rules 1-6 of the module docstring."""
    expr = sp.sympify(expr)
    if not _has_isum(expr):
        return expr
    return sp.Add(*[_rebuild(t) for t in _flat(expr)])


def identical(a, b) -> bool:
    """Whether ``a - b`` has normal form 0 (after SymPy's expand of the coefficients)."""
    return sp.expand(normal_form(sp.sympify(a) - sp.sympify(b))) == 0


# ---------------------------------------------------------------------------------------------
# numeric evaluation


def _mp_value(expr) -> mpmath.mpf:
    """An ISum with integer bounds and numeric summand (indices aside), in mpmath."""
    value = _eval(expr, {}, 0, _MP)
    return mpmath.mpf(value.item() if isinstance(value, np.ndarray) else value)


class _Backend:
    def __init__(self, number, log, exp, sqrt, dtype):
        self.number, self.log, self.exp, self.sqrt, self.dtype = number, log, exp, sqrt, dtype


def _mp_number(x) -> mpmath.mpf:
    """A SymPy number in mpmath: a Rational exactly, a Float from its binary value, anything else (π, ...) at
    the working precision."""
    if x.is_Rational:
        return mpmath.mpf(x.p) / x.q
    if isinstance(x, sp.Float):
        return mpmath.mpf(x._mpf_)
    return mpmath.mpf(str(sp.N(x, mpmath.mp.dps)))


_MP = _Backend(_mp_number,
               np.frompyfunc(mpmath.log, 1, 1), np.frompyfunc(mpmath.exp, 1, 1), np.frompyfunc(mpmath.sqrt, 1, 1),
               object)
_NP = _Backend(lambda x: float(x), np.log, np.exp, np.sqrt, float)
#: mpmath for :func:`direct_value`: like _MP, but stricter (plain SymPy Sums and non-integral bounds declined)
_MPD = _Backend(_MP.number, _MP.log, _MP.exp, _MP.sqrt, object)


def _eval(expr, env: dict, depth: int, be: _Backend, arrays: Optional[Mapping] = None):
    """Vectorised evaluation: the index bound at depth s lives on axis -(s + 1)."""
    if expr.is_Number or isinstance(expr, sp.NumberSymbol):
        return be.number(expr)
    if expr.is_Symbol:
        if expr in env:
            return env[expr]
        raise VerifyError("expression", str(expr), "has a symbol without a value")
    if isinstance(expr, (ISum, sp.Sum)):
        body = expr.function
        limits = list(expr.limits)
        x, lo, hi = limits[0]
        rest = ISum(body, *limits[1:]) if len(limits) > 1 else body
        lo_r, hi_r = _eval(lo, env, depth, _NP, arrays), _eval(hi, env, depth, _NP, arrays)
        lo_v, hi_v = int(lo_r), int(hi_r)
        if be is _MPD and (not isinstance(expr, ISum) or lo_r != lo_v or hi_r != hi_v):
            # SymPy's own Sum follows Karr's convention for hi < lo; a non-integral bound is SymPy's to judge
            raise VerifyError("expression", sp.sstr(expr)[:120], "a SymPy Sum or a non-integral bound")
        sign = 1  # the paper's convention: a sum over an empty range (hi < lo) is 0
        n = hi_v - lo_v + 1
        if n <= 0:
            return be.number(sp.Integer(0))
        inner = dict(env)
        index = np.arange(lo_v, hi_v + 1) if be is _NP else np.array([mpmath.mpf(i) for i in range(lo_v, hi_v + 1)], dtype=object)
        inner[x] = index.reshape((n,) + (1,) * depth)
        val = np.asarray(_eval(rest, inner, depth + 1, be, arrays), dtype=be.dtype if be is not _NP else None)
        if val.ndim < depth + 1:
            total = val * n
        else:
            axis = val.ndim - depth - 1
            total = val.sum(axis=axis) * (n if val.shape[axis] == 1 else 1)
        return total * sign if sign < 0 else total
    if expr.is_Add or expr.is_Mul:
        # through the NumPy ufunc, never ``mpf * ndarray``: mpmath would first try (and fail) to convert the
        # whole array, printing it, before NumPy takes over
        op = np.add if expr.is_Add else np.multiply
        out = None
        for a in expr.args:
            value = _eval(a, env, depth, be, arrays)
            out = value if out is None else op(out, value)
        return out
    if expr.is_Pow:
        base = _eval(expr.base, env, depth, be, arrays)
        if expr.exp == sp.Rational(1, 2):
            return be.sqrt(base)
        if expr.exp.is_Integer:
            e = int(expr.exp)
            if e < 0 and be is _NP:
                base = np.asarray(base, dtype=float)
            return base**e
        return base ** _eval(expr.exp, env, depth, be, arrays)
    if isinstance(expr, OpaqueEntry):  # exp(w) - 2c, without building the SymPy expression
        w, c = (_eval(a, env, depth, be, arrays) for a in expr.args)
        return np.subtract(be.exp(w), np.multiply(c, 2))
    if isinstance(expr, sp.log):
        return be.log(_eval(expr.args[0], env, depth, be, arrays))
    if isinstance(expr, sp.exp):
        return be.exp(_eval(expr.args[0], env, depth, be, arrays))
    if isinstance(expr, sp.KroneckerDelta):
        a, b = (_eval(x, env, depth, _NP, arrays) for x in expr.args)
        equal = np.asarray(a) == np.asarray(b)
        return equal.astype(int) if be is _NP else np.where(equal, mpmath.mpf(1), mpmath.mpf(0))
    if be is _MPD and type(expr).__name__ == "GaussianExpectation":
        from ._expectation import expectation_in_env
        if depth:
            raise VerifyError("expression", sp.sstr(expr)[:120], "an expectation inside a sum")
        return expectation_in_env(expr, env, lambda e, en: _eval(e, en, 0, _MPD, arrays),
                                  functions={k: v for k, v in (arrays or {}).items() if isinstance(v, sp.Lambda)})
    if isinstance(expr, AppliedUndef):
        if arrays is not None and expr.func in arrays:  # a function given as a SymPy Lambda (direct_value)
            lam = arrays[expr.func]
            if len(lam.variables) != len(expr.args):
                raise VerifyError("expression", str(expr), "wrong number of arguments for its function")
            args = [_eval(a, env, depth, be, arrays) for a in expr.args]
            return _eval(lam.expr, {**env, **dict(zip(lam.variables, args))}, depth, be, arrays)
        if arrays is None or expr.func.__name__ not in arrays:
            raise VerifyError("expression", str(expr), "has an undefined function without a value")
        idx = [np.asarray(_eval(a, env, depth, _NP, arrays)).astype(int) - 1 for a in expr.args]
        arr = arrays[expr.func.__name__]
        if len(idx) != arr.ndim or any(np.any(ix < 0) or np.any(ix >= n) for ix, n in zip(idx, arr.shape)):
            raise VerifyError("expression", str(expr), f"indices outside the shape {arr.shape} of {expr.func.__name__}")
        return arr[tuple(idx)]
    raise VerifyError("expression", sp.sstr(expr)[:120], "cannot be evaluated by the index evaluator")


#: extra digits of :func:`direct_value` over the requested precision (it does not track its error as evalf does)
DIRECT_GUARD_DPS = 30


def direct_value(expr, point: Mapping, dps: int, functions: Optional[Mapping] = None) -> Optional[mpmath.mpf]:
    """``expr`` at an exact ``point`` (symbol -> number), in mpmath at ``dps`` + DIRECT_GUARD_DPS digits,
    evaluated on the expression tree as it stands (finite sums vectorised over their indices, Gaussian
    expectations by the exact tensor Gauss-Hermite rule), without substituting the point into the SymPy
    expression and without SymPy's evalf; rounded to ``dps`` digits.

    None whenever this evaluator cannot give a finite real number (a node it does not know, an undefined
    function, a division by zero, a complex or infinite value ...): the caller then evaluates as before,
    so every failure is still decided (and reported) by SymPy's evaluation.  ``functions`` maps undefined
    functions to SymPy Lambdas, applied to the evaluated arguments (as substituting them would)."""
    try:
        with mpmath.workdps(dps + DIRECT_GUARD_DPS):
            env = {s: _mp_number(sp.sympify(v)) for s, v in point.items()}
            value = _eval(sp.sympify(expr), env, 0, _MPD, dict(functions) if functions else None)
            if isinstance(value, np.ndarray):
                if value.size != 1:
                    return None
                value = value.reshape(-1)[0]
            if isinstance(value, (int, np.integer)):
                value = mpmath.mpf(int(value))
            if not isinstance(value, mpmath.mpf) or not mpmath.isfinite(value):
                return None
        with mpmath.workdps(dps):
            return +value
    except (VerifyError, ArithmeticError, ValueError, TypeError):
        return None


def evaluate(expr, values: Mapping, arrays: Mapping) -> float:
    """``expr`` in float64 NumPy: ``values`` maps symbols (dimensions d, r, ..., ε, fixed indices)
    to numbers, ``arrays`` maps each matrix/vector name to a NumPy array (1-based in ``expr``)."""
    expr = sp.sympify(expr)
    sub = {s: sp.Integer(v) if float(v).is_integer() and s.is_integer else sp.Float(v, 17) for s, v in values.items()}
    expr = expr.xreplace(sub)
    out = _eval(expr, {}, 0, _NP, arrays)
    return float(np.asarray(out).item())


def random_instance(shapes: Mapping, rng: np.random.Generator, scale: float = 1.0) -> dict:
    """Random Gaussian arrays of the given shapes (name -> shape tuple), entries N(0, scale²)."""
    return {name: scale * rng.standard_normal(shape) for name, shape in shapes.items()}


# ---------------------------------------------------------------------------------------------
# Gaussian second moments over vectors of symbolic length


def gaussian_second_moments(expr, vectors) -> sp.Expr:
    """E[expr] for independent standard Gaussian vectors (undefined functions of their index, e.g.
    ``z(l)``), ``expr`` of degree at most 2 in their entries: by linearity, each term of the normal
    form is replaced using E[v_a] = 0, E[v_a w_b] = 0 (v, w different vectors) and
    E[v_a v_b] = δ(a, b).  (These moments are the Gaussian facts the lemmas use; each is also checked
    as a two-coordinate Gaussian expectation.)"""
    names = {v.__name__ if hasattr(v, "__name__") else str(v) for v in vectors}
    total = []
    for t in _flat(sp.sympify(expr)):
        gauss, other = [], []
        for f in t.factors:
            base, power = (f.base, int(f.exp)) if (f.is_Pow and isinstance(f.base, AppliedUndef)
                                                 and f.exp.is_Integer and f.exp > 0) else (f, 1)
            if isinstance(base, AppliedUndef) and base.func.__name__ in names:
                gauss.extend([base] * power)
            else:
                if _mentions(f, names):
                    raise VerifyError("expr", sp.sstr(f)[:120], "a Gaussian vector inside a nonlinear factor")
                other.append(f)
        if len(gauss) == 0:
            moment = sp.Integer(1)
        elif len(gauss) == 1:
            moment = sp.Integer(0)
        elif len(gauss) == 2:
            a, b = gauss
            moment = sp.KroneckerDelta(a.args[0], b.args[0]) if a.func == b.func else sp.Integer(0)
        else:
            raise VerifyError("expr", sp.sstr(expr)[:120], "degree > 2 in the Gaussian vectors")
        if moment != 0:
            total.append(_rebuild(_Term(t.coeff, t.limits, other + [moment])))
    return sp.Add(*total)


def _mentions(expr, names) -> bool:
    return any(a.func.__name__ in names for a in expr.atoms(AppliedUndef))


# ---------------------------------------------------------------------------------------------
# numeric confirmation at concrete shapes


def agreement_check(name: str, rows, method: str, scope: str, rtol: float = None):
    """A :class:`~verify.outcome.Check` that every ``(label, value, reference)`` row agrees:
    |value - reference| <= rtol * (1 + |value| + |reference|) (rtol: FLOAT_RTOL by default, float64
    evaluations of the same quantity by two routes).  The first disagreement is the witness."""
    from .. import tolerances as tol
    from ..outcome import Check, Status

    rtol = tol.FLOAT_RTOL if rtol is None else rtol
    worst, witness, details = 0.0, None, []
    for label, value, reference in rows:
        err = abs(value - reference) / (1.0 + abs(value) + abs(reference))
        worst = max(worst, err)
        details.append(f"{label}: {value:.12g} vs {reference:.12g}")
        if err > rtol and witness is None:
            witness = f"{label}: {value:.15g} vs {reference:.15g} (relative error {err:.3g} > {rtol:g})"
    return Check(name=name, status=Status.FAILED if witness else Status.NUMERIC,
                 method=f"{method}; agreement within {rtol:g} relative (float64)", scope=scope,
                 worst_error=worst, witness=witness, details="; ".join(details))


class OpaqueEntry(sp.Function):
    """An entry defined by a formula in an undefined function, kept as ONE factor by the normal form
    (its definition would multiply the number of terms).  ``OpaqueEntry(w(a), c)`` is exp(w(a)) - 2c:
    every real vector is one (choose c > max(-u)/2, w = log(u + 2c)), and, unlike an affine random
    instance of w, it never vanishes at a random rational point (exp of a nonzero rational is
    irrational), so a formula divided by ||u||² stays defined at every point the engine draws."""

    nargs = 2

    def definition(self):
        w, c = self.args
        return sp.exp(w) - 2 * c

    def _eval_is_extended_real(self):
        return True if all(a.is_extended_real for a in self.args) else None

    def _eval_evalf(self, prec):
        value = self.definition().evalf(prec)
        return value if value.is_number else None

    def _sympystr(self, printer, **kwargs):
        return f"({printer._print(self.definition())})"

    def _latex(self, printer, exp=None, **kwargs):
        tex = r"\left(%s\right)" % printer._print(self.definition())
        return tex if exp is None else "%s^{%s}" % (tex, exp)
