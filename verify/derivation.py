"""Checked derivations: a chain of expressions, each step checked when it is added.

A step relates the previous expression to a new one by ``=``, ``<=``, ``>=``, ``<``, ``>`` or
``= up to an additive constant`` (constant = free of the given parameters).  Each step is decided
by independent methods:

1. **SymPy** tries to reduce ``previous - new`` (after computing any Gaussian expectations) to 0,
   or, for an inequality, to an expression SymPy knows the sign of under the symbols' assumptions.
   An equality whose difference SymPy reduces to a nonzero constant (or to an expression it shows
   is nonzero) is *failed*, whatever the tolerance of the numeric points would say.
2. **Interval enclosure** (:mod:`verify.enclosure`, inequalities SymPy could not settle): branch
   and bound with ``mpmath.iv`` over the whole domain the assumptions (and ``Domain.ranges``) allow,
   unbounded sides mapped onto [0, 1]; proves the sign on every box or says why not (budget).
3. **mpmath** evaluates both sides at :data:`~verify.tolerances.RANDOM_POINTS` random points of
   the domain (positive symbols log-uniform in :data:`~verify.tolerances.POINT_POSITIVE_RANGE`,
   real ones uniform in :data:`~verify.tolerances.POINT_REAL_RANGE`), at the all-ones point and at
   the boundary point, at :data:`~verify.tolerances.MP_DPS` significant digits.  Gaussian
   expectations are evaluated by Gauss-Hermite quadrature (not by the moment rule SymPy uses) and
   undefined functions (an arbitrary decoder f) by random quadratic (non-affine) instances.  Each
   side is evaluated on its expression tree as it stands (:func:`verify.symbolic._indexed.direct_value`:
   the random maps applied to the evaluated arguments, finite sums vectorised, MP_DPS + 30 digits);
   where that evaluator declines (a node it does not know, a complex or undefined value), the point
   and the maps are substituted into the SymPy expression and SymPy's ``evalf`` decides.
4. **Adversarial search** (:mod:`verify.search`; inequalities, and equalities SymPy could not
   decide): boundary, tiny and huge values, thousands of random points and local minimisation of
   the gap over the whole domain, undefined functions as affine maps whose coefficients are
   searched too; candidates are re-evaluated at an exact rational point at MP_DPS digits.

A step is *proved* if SymPy or the enclosure proves it and no point or search contradicts it;
*numerically verified* if neither proved it and the points and the search found no counterexample
(an inequality whose search cannot run, e.g. a function float64 cannot evaluate, is *undecided*);
*failed* if any point or the search found one (the exact witness point and both values are kept),
whatever SymPy said.  :func:`check_relation` returns a :class:`RelationCheck`.  When a printed step
fails and the proof module supplied a correction, the correction is checked the same way, the chain
continues from it, and an :class:`Erratum` is recorded.
"""
from __future__ import annotations

import dataclasses
import enum
import random
import time
import weakref
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef

from . import tolerances as tol
from ._errors import VerifyError
from .enclosure import EnclosureResult, Support, prove_sign, support
from .outcome import Check, Status
from .search import SearchRecord, confirm_point, search
from .symbolic._expectation import GaussianExpectation, quadrature_value
from .symbolic._indexed import direct_value

__all__ = [
    "Relation",
    "Status",
    "Domain",
    "Witness",
    "RelationCheck",
    "StepRecord",
    "Erratum",
    "Derivation",
    "check_relation",
    "check_derivative",
    "check_finite_limit",
]


class Relation(str, enum.Enum):
    """How a step's new expression relates to the previous one: ``previous REL new``."""

    EQ = "="
    LE = "<="
    GE = ">="
    LT = "<"
    GT = ">"
    EQ_UP_TO_CONSTANT = "= (+ constant)"


_FUNCTION_DEGREE = 2  # undefined functions are instantiated as random quadratic maps (affine + squares):
# an affine instance would let a step that only holds for affine f (f(2x) = 2f(x) - f(0), Jensen's
# inequality) pass as numerically verified; a quadratic keeps the Gaussian quadrature exact (degree <= 5)


@dataclass(frozen=True)
class Domain:
    """Where a step is checked.

    The random points draw each free symbol by its assumptions (positive: log-uniform in
    POINT_POSITIVE_RANGE; nonnegative: uniform in [0, POINT_NONNEGATIVE_MAX]; otherwise uniform in
    POINT_REAL_RANGE) unless ``ranges`` names an interval for it; the enclosure and the adversarial
    search cover everything the assumptions (or ``ranges``, as closed intervals) allow.
    ``parameters`` are the symbols an additive constant may not depend on.  ``seed`` makes the
    points and the search reproducible.
    """

    ranges: Mapping[sp.Symbol, tuple] = field(default_factory=dict)
    parameters: frozenset = frozenset()
    seed: int = 20221122
    points: int = tol.RANDOM_POINTS

    def __post_init__(self):
        if self.points < 5:
            raise VerifyError("points", self.points, "at least 5 random points are required")
        for s, (lo, hi) in self.ranges.items():
            if not lo < hi:
                raise VerifyError(f"ranges[{s}]", (lo, hi), "need lo < hi")
            # SymPy decides a step under the symbol's assumptions (sqrt(p**2) is p for positive p before
            # any check runs): a range reaching outside them would be claimed without being checked
            if (s.is_nonnegative and lo < 0) or (s.is_nonpositive and hi > 0):
                raise VerifyError(f"ranges[{s}]", (lo, hi), "the range leaves the values the symbol's "
                                  "assumptions allow (SymPy would decide the step for those values only)")

    def draw(self, symbols: Sequence[sp.Symbol], rng: random.Random) -> dict:
        """One random point: exact rationals with 4 decimals, so substitution is exact."""
        point = {}
        den = tol.POINT_DENOMINATOR
        for s in sorted(symbols, key=sp.default_sort_key):
            if s in self.ranges:
                lo, hi = self.ranges[s]
                value = rng.uniform(lo, hi)
            elif s.is_integer and s.is_positive:
                point[s] = sp.Integer(rng.randint(*tol.POINT_INTEGER_RANGE))
                continue
            elif s.is_positive:
                lo, hi = tol.POINT_POSITIVE_RANGE
                value = lo * (hi / lo) ** rng.random()
            elif s.is_nonnegative:
                value = tol.POINT_NONNEGATIVE_MAX * rng.random()
            else:
                value = rng.uniform(*tol.POINT_REAL_RANGE)
            point[s] = sp.Rational(round(value * den), den) or sp.Rational(1, den)
        return point

    def supports(self, symbols: Sequence[sp.Symbol]) -> dict:
        """The whole domain of each symbol (:func:`verify.enclosure.support`): what the enclosure
        and the adversarial search cover."""
        return {s: support(s, self.ranges) for s in symbols}

    def boundary(self, symbols: Sequence[sp.Symbol]) -> Optional[dict]:
        """Nonnegative (not positive) symbols at 0, the rest at 1: where a missing hypothesis shows.

        None when no symbol has a boundary value in its domain.
        """
        point = self.ones(symbols)
        edge = [s for s in symbols if s.is_nonnegative and not s.is_positive and s not in self.ranges]
        if not edge:
            return None
        for s in edge:
            point[s] = sp.Integer(0)
        return point

    def ones(self, symbols: Sequence[sp.Symbol]) -> dict:
        """The simplest point: every symbol 1 (or the midpoint of its range if 1 is outside)."""
        point = {}
        for s in symbols:
            lo, hi = self.ranges.get(s, (-sp.oo, sp.oo))
            point[s] = sp.Integer(1) if lo < 1 < hi else sp.Rational(lo + hi, 2)
        return point


@dataclass(frozen=True)
class Witness:
    """A point where a step failed, with both sides' values there."""

    point: Mapping[str, str]
    previous_value: str
    new_value: str
    functions: Mapping[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        pts = ", ".join(f"{k}={v}" for k, v in self.point.items())
        fns = "; ".join(f"{k}={v}" for k, v in self.functions.items())
        text = f"{'at ' + pts if pts else 'with no free symbols'}: previous = {self.previous_value}, new = {self.new_value}"
        return text + (f" (with {fns})" if fns else "")


def _method_text(sympy_result: str, numeric_result: str, enclosure, search_record) -> str:
    parts = [f"SymPy: {sympy_result}"]
    if enclosure is not None:
        parts.append(f"interval enclosure: {enclosure.describe()}")
    parts.append(f"mpmath: {numeric_result}")
    if search_record is not None:
        parts.append(f"adversarial search: {search_record.describe()}")
    return "; ".join(parts)


@dataclass(frozen=True)
class RelationCheck:
    """The decision on ``previous RELATION new`` (:func:`check_relation`).

    ``sympy_result``/``numeric_result``: what SymPy and the mpmath points said; ``enclosure``: the
    interval proof attempt (inequalities SymPy could not settle); ``search``: the adversarial search
    (how hard it looked, smallest gap and where); ``witness``: the exact point where the step fails,
    with both sides' values; ``worst_error``: for an equality the worst relative difference at the
    points, for an inequality the worst excess of the side that should be smaller.
    """

    status: Status
    sympy_result: str
    numeric_result: str
    worst_error: Optional[float]
    witness: Optional[Witness] = None
    constant: Optional[str] = None
    note: str = ""
    search: Optional[SearchRecord] = None
    enclosure: Optional[EnclosureResult] = None

    def __post_init__(self):
        if self.status is Status.FAILED and self.witness is None:
            raise ValueError("a failed relation must carry its witness")

    @property
    def method(self) -> str:
        return _method_text(self.sympy_result, self.numeric_result, self.enclosure, self.search)


@dataclass(frozen=True)
class StepRecord:
    """One checked step of a derivation (the fields of its :class:`RelationCheck` and where it sits)."""

    index: int
    relation: Relation
    expression: str
    latex: str
    reason: str
    source: str  # "paper" (a displayed step of the paper) or "inserted" (added by vae-verify)
    status: Status
    sympy_result: str
    numeric_result: str
    worst_error: Optional[float]
    witness: Optional[Witness] = None
    constant: Optional[str] = None
    note: str = ""
    search: Optional[SearchRecord] = None
    enclosure: Optional[EnclosureResult] = None

    def __post_init__(self):
        if self.status is Status.FAILED and self.witness is None:
            raise ValueError("a failed step must carry its witness")
        if self.source not in ("paper", "inserted", "correction"):
            raise ValueError(f"unknown step source {self.source!r}")

    @property
    def method(self) -> str:
        return _method_text(self.sympy_result, self.numeric_result, self.enclosure, self.search)


@dataclass(frozen=True)
class Erratum:
    """A printed statement or proof step that failed, with its witness and the checked correction."""

    where: str
    printed: str
    witness: str
    correction: str
    correction_status: Status

    def __post_init__(self):
        if not self.witness:
            raise ValueError("an erratum needs a witness")


#: Errata made by a check (Derivation.step, verify.claims.erratum_from): ProofReport accepts only these, so a
#: correction status is never typed in by hand.
_ISSUED = weakref.WeakSet()


def _issue(erratum: Erratum) -> Erratum:
    _ISSUED.add(erratum)
    return erratum


def issued(erratum: Erratum) -> bool:
    """Whether ``erratum`` (or one equal to it) was made by a check rather than written by hand."""
    return erratum in _ISSUED


# ---------------------------------------------------------------------------------------------
# numeric evaluation


def _instantiate_functions(expr, rng: random.Random):
    """Replace each undefined function by a random quadratic map c0 + Σ c_i u_i + Σ q_i u_i² with
    rational coefficients, each q_i nonzero (not affine: a step true only for affine f must fail)."""
    chosen = _choose_functions(expr, rng)
    if not chosen:
        return expr, {}
    out = _apply_functions(expr, chosen)
    return out, {str(fn): str(lam) for fn, lam in chosen.items()}


def _choose_functions(expr, rng: random.Random) -> dict:
    """The random quadratic map (a SymPy Lambda) of each undefined function of ``expr``, drawn in sorted order."""
    chosen = {}
    for app in sorted(expr.atoms(AppliedUndef), key=sp.default_sort_key):
        fn = app.func
        if fn in chosen:
            continue
        nargs = len(app.args)
        xs = sp.symbols(f"u0:{nargs}")
        coeffs = [sp.Rational(rng.randint(*tol.FUNCTION_COEFFICIENT_RANGE), tol.FUNCTION_COEFFICIENT_DENOMINATOR)
                  for _ in range(nargs + 1)]
        quad = [sp.Rational(rng.randint(1, tol.FUNCTION_COEFFICIENT_RANGE[1]) * rng.choice((-1, 1)),
                            tol.FUNCTION_COEFFICIENT_DENOMINATOR) for _ in range(nargs)]
        chosen[fn] = sp.Lambda(xs, coeffs[0] + sum(c * x for c, x in zip(coeffs[1:], xs))
                               + sum(q * x**2 for q, x in zip(quad, xs)))
    return chosen


def _apply_functions(expr, chosen: dict):
    """Every application f(args) with f in ``chosen`` replaced by chosen[f](args), innermost first (as
    ``replace(f, lam)`` for each f), in one ``xreplace`` pass over the expression."""
    memo = {}

    def inst(app):
        if app not in memo:
            args = [a.xreplace({b: inst(b) for b in a.atoms(AppliedUndef) if b.func in chosen}) for a in app.args]
            memo[app] = chosen[app.func](*args)
        return memo[app]

    return expr.xreplace({app: inst(app) for app in expr.atoms(AppliedUndef) if app.func in chosen})


class _Instantiated:
    """``expr`` with its undefined functions to be replaced by the random maps ``chosen``: evaluated directly
    (the maps applied inside the mpmath evaluation), the SymPy substitution made only if that declines."""

    __slots__ = ("expr", "chosen", "_sympy")

    def __init__(self, expr, chosen: dict):
        self.expr, self.chosen, self._sympy = expr, chosen, None

    def sympy(self):
        if self._sympy is None:
            self._sympy = _apply_functions(self.expr, self.chosen) if self.chosen else self.expr
        return self._sympy


def _evaluate(expr, point: dict, dps: int) -> mpmath.mpf:
    if isinstance(expr, _Instantiated):
        direct = direct_value(expr.expr, point, dps, functions=expr.chosen)
        expr = expr.sympy() if direct is None else expr
    else:
        direct = direct_value(expr, point, dps)  # the tree as it stands, in mpmath (None: SymPy's evalf decides)
    if direct is not None:
        return direct
    expr = expr.xreplace(point)
    expectations = sorted(expr.atoms(GaussianExpectation), key=lambda e: -sp.count_ops(e))
    for node in expectations:
        value = quadrature_value(node, {}, dps)
        expr = expr.xreplace({node: sp.Float(value, dps)})
    value = sp.N(expr, dps)
    if not (value.is_number and value.is_real and value.is_finite):
        raise VerifyError("expression", sp.sstr(expr)[:200], f"did not evaluate to a finite real number ({value})")
    with mpmath.workdps(dps):
        return mpmath.mpf(value)


def _free(expr):
    return set(expr.free_symbols)


def _difference(a, b):
    """a - b with the top-level terms of both sides combined, so equal terms cancel without expanding
    (``x + R - (y + R)`` is ``x - y``: SymPy keeps ``-(y + R)`` unexpanded)."""
    return sp.Add(*sp.Add.make_args(a), *(-t for t in sp.Add.make_args(b)))


# ---------------------------------------------------------------------------------------------
# symbolic decision


def _sympy_zero(expr) -> tuple:
    """Try to decide expr == 0.

    Returns (True, how) if SymPy reduces it to 0; (False, what it is) if SymPy reduces it to a
    nonzero constant (confirmed at MP_DPS digits) or to an expression it shows is nonzero under the
    assumptions (positive or negative); (None, what was left) otherwise.
    """
    had_expectations = expr.has(GaussianExpectation)
    if had_expectations:
        expr = expr.doit()
    if expr == 0:
        return True, "previous - new is 0 once the expectations are computed" if had_expectations \
            else "previous - new is identically 0"
    def cancel_all(e):
        e = e.replace(sp.log, lambda a: sp.log(sp.cancel(a)))
        return sp.cancel(sp.together(sp.expand_log(e)))

    attempts = [
        ("expand", sp.expand),
        ("expand_log + expand", lambda e: sp.expand(sp.expand_log(e))),
        ("cancel inside logs, then together + cancel", cancel_all),
    ]
    # expanding a rational function with sums in its denominators never reaches 0 and is slow:
    # go straight to cancelling
    if any(p.exp.is_negative and p.base.is_Add for p in expr.atoms(sp.Pow)):
        attempts = attempts[2:]
    reduced_forms = [("as is", expr)]
    for name, fn in attempts:
        reduced = fn(expr)
        if reduced == 0:
            return True, f"{name} reduces previous - new to 0"
        reduced_forms.append((name, reduced))
    left = None
    if sp.count_ops(expr) < tol.SIMPLIFY_MAX_OPS:
        reduced = sp.simplify(expr)
        if reduced == 0:
            return True, "simplify reduces previous - new to 0"
        reduced_forms.append(("simplify", reduced))
        left = f"could not reduce previous - new (left: {sp.sstr(reduced)[:200]})"
    for name, reduced in reduced_forms:
        nonzero = _nonzero(reduced)
        if nonzero:
            return False, f"{name}: previous - new = {sp.sstr(reduced)[:200]}, {nonzero}"
    return None, left or "could not reduce previous - new (expression too large for simplify)"


def _nonzero(reduced) -> str:
    """Why ``reduced`` is certainly not 0 (empty string if SymPy cannot tell)."""
    if reduced.has(GaussianExpectation) or reduced.atoms(AppliedUndef) or \
            sp.count_ops(reduced) >= tol.SIMPLIFY_MAX_OPS:
        return ""
    if not reduced.free_symbols:
        if reduced.is_zero is False or reduced.is_nonzero:
            value = sp.N(reduced, tol.MP_DPS)
            if value.is_number and value != 0:
                return f"a nonzero constant ({sp.sstr(value, full_prec=False)[:30]})"
        return ""
    if reduced.is_positive:
        return "positive under the assumptions"
    if reduced.is_negative:
        return "negative under the assumptions"
    return ""


def _signed_expectations(expr):
    """Each expectation left after ``doit`` (an arbitrary function inside) replaced by a symbol with the
    sign of its integrand: E[h] >= 0 if h >= 0 everywhere, E[h] > 0 if h > 0 (Gaussian density > 0)."""
    subs = {}
    for node in expr.atoms(GaussianExpectation):
        h = node.integrand
        if h.is_positive:
            subs[node] = sp.Dummy("E", positive=True)
        elif h.is_nonnegative:
            subs[node] = sp.Dummy("E", nonnegative=True)
    return expr.xreplace(subs)


def _sympy_sign(expr, strict: bool) -> tuple:
    """Try to show expr >= 0 (or > 0 when strict) from the symbols' assumptions."""
    word = "positive" if strict else "nonnegative"
    if expr.has(GaussianExpectation):
        signed = _signed_expectations(expr)  # before doit, which expands the integrands
        if signed.is_positive if strict else signed.is_nonnegative:
            return True, f"the gap {sp.sstr(expr)[:120]} is {word}: expectations of nonnegative integrands are nonnegative"
        expr = _signed_expectations(expr.doit())
    for name, fn in (("as is", lambda e: e), ("expand", sp.expand), ("factor", sp.factor), ("simplify", sp.simplify)):
        if name == "simplify" and sp.count_ops(expr) >= tol.SIMPLIFY_MAX_OPS:
            continue
        reduced = fn(expr)
        if (reduced.is_positive if strict else reduced.is_nonnegative):
            return True, f"{name}: the gap {sp.sstr(reduced)[:120]} is {word} under the assumptions"
    return None, f"could not show the gap is {word}"


def _sympy_constant(expr, parameters) -> tuple:
    if expr.has(GaussianExpectation):
        expr = expr.doit()
    for name, fn in (("expand", sp.expand), ("expand_log", lambda e: sp.expand(sp.expand_log(e))), ("simplify", sp.simplify)):
        reduced = fn(expr)
        if not (reduced.free_symbols & set(parameters)) and not reduced.atoms(AppliedUndef):
            return True, f"{name}: previous - new = {sp.sstr(reduced)}", reduced
    return None, "previous - new still depends on the parameters", None


_KIND = {Relation.LE: "le", Relation.LT: "lt", Relation.GE: "le", Relation.GT: "lt", Relation.EQ: "eq"}


def _violation(relation: Relation, a, b, slack: float = None) -> tuple:
    """(whether previous = a, new = b violate ``a RELATION b``, the error it contributes to worst_error).

    ``slack`` (relative) replaces IDENTITY_ATOL/RTOL and INEQUALITY_SLACK (the high-precision re-check)."""
    scale = max(abs(a), abs(b))
    if relation is Relation.EQ:
        tol_eq = tol.IDENTITY_ATOL + tol.IDENTITY_RTOL * scale if slack is None else slack * (1 + scale)
        bad = abs(a - b) > tol_eq
        return bad, float(abs(a - b) / (1 + scale))
    excess = (a - b) if relation in (Relation.LE, Relation.LT) else (b - a)
    if relation in (Relation.LT, Relation.GT):
        bad = excess >= 0
    else:
        bad = excess > (tol.INEQUALITY_SLACK if slack is None else slack) * (1 + abs(a) + abs(b))
    return bad, float(excess / (1 + scale))


def _fails_at(relation: Relation, previous, new, point) -> bool:
    """Whether the step fails at an exact candidate ``point``, decided at CONFIRM_DPS digits within
    CONFIRM_SLACK: a step false by less than the MP_DPS slack, e.g. (x - 1/3)² >= 10^-30 near 1/3, is
    still false, and p/(1 + p) < 1 at p = 10^100 (equal at 50 digits) still holds.  Undefined at a point
    of the domain counts as failing."""
    try:
        dps = tol.CONFIRM_DPS
        with mpmath.workdps(dps):
            a, b = _evaluate(previous, point, dps), _evaluate(new, point, dps)
            bad = bool(_violation(relation, a, b, tol.CONFIRM_SLACK)[0])
            tie = abs(a - b) <= tol.CONFIRM_SLACK * (1 + abs(a) + abs(b))
    except (VerifyError, ZeroDivisionError):
        return True
    if bad and tie and relation in (Relation.LT, Relation.GT):
        # a strict inequality tied at CONFIRM_DPS digits (e.g. log(1 + 10^-200) > 0 evaluates to 0 there):
        # only an exact sign decides; a gap SymPy cannot sign exactly is no counterexample
        gap = (sp.sympify(new) - sp.sympify(previous)) if relation is Relation.LT else \
            (sp.sympify(previous) - sp.sympify(new))
        exact = gap.xreplace(point)
        exact = exact.doit() if exact.has(GaussianExpectation) else exact
        return exact.is_positive is False
    return bad


def check_relation(previous, new, relation: Relation, domain: Domain, *, rng_salt: str = "") -> RelationCheck:
    """Decide ``previous RELATION new`` with every method of the module docstring."""
    relation = Relation(relation)
    if relation is Relation.EQ_UP_TO_CONSTANT and not domain.parameters:
        # with no parameters everything is "a constant": x**2 = 0 (+ constant) would be proved
        raise VerifyError("domain.parameters", domain.parameters, "an '= (+ constant)' step needs the "
                          "parameters its constant may not depend on")
    previous = sp.sympify(previous)
    new = sp.sympify(new)
    gap = previous - new
    constant = None
    inequality = relation in (Relation.LE, Relation.LT, Relation.GE, Relation.GT)
    strict = relation in (Relation.LT, Relation.GT)
    # the claim as lower <= upper (< if strict); sign_expr = upper - lower must be >= 0 (> 0)
    lower, upper = (previous, new) if relation in (Relation.LE, Relation.LT) else (new, previous)
    if relation is Relation.EQ:
        sym_ok, sym_text = _sympy_zero(gap)
    elif inequality:
        sym_ok, sym_text = _sympy_sign(_difference(upper, lower), strict=strict)
    elif relation is Relation.EQ_UP_TO_CONSTANT:
        sym_ok, sym_text, constant = _sympy_constant(gap, domain.parameters)
    else:  # pragma: no cover - enum is closed
        raise VerifyError("relation", relation, "unknown relation")

    symbols = sorted(_free(previous) | _free(new), key=sp.default_sort_key)
    rng = random.Random(f"{domain.seed}:{rng_salt}:{sp.srepr(gap)[:2000]}")
    candidates = [domain.ones(symbols)] + [domain.draw(symbols, rng) for _ in range(domain.points)]
    edge = domain.boundary(symbols)
    if edge is not None:
        candidates.insert(1, edge)
    worst = -float("inf") if inequality else 0.0
    values = []
    failures = 0
    witness = None
    for point in candidates:
        a = None
        (p_inst, n_inst), fns = _instantiate_pair(previous, new, rng)
        try:
            with mpmath.workdps(tol.MP_DPS):
                a = _evaluate(p_inst, point, tol.MP_DPS)
                b = _evaluate(n_inst, point, tol.MP_DPS)
                if relation is Relation.EQ_UP_TO_CONSTANT:
                    # a twin point: the parameters (and any arbitrary function) redrawn, the rest kept;
                    # previous - new must not change.
                    twin = dict(point)
                    twin.update(domain.draw([s for s in symbols if s in domain.parameters], rng))
                    (p_twin, n_twin), _ = _instantiate_pair(previous, new, rng)
                    a2 = _evaluate(p_twin, twin, tol.MP_DPS)
                    b2 = _evaluate(n_twin, twin, tol.MP_DPS)
        except (VerifyError, ZeroDivisionError) as exc:
            failures += 1
            if witness is None:
                witness = Witness(
                    point={str(k): str(v) for k, v in point.items()},
                    previous_value="undefined" if a is None else mpmath.nstr(a, 15),
                    new_value=f"undefined ({exc})"[:200],
                    functions=fns,
                )
            continue
        with mpmath.workdps(tol.MP_DPS):
            if relation is Relation.EQ_UP_TO_CONSTANT:
                values.append(a - b)
                drift = abs((a - b) - (a2 - b2))
                scale = max(abs(a), abs(b), abs(a2), abs(b2))
                bad = drift > tol.IDENTITY_ATOL + tol.IDENTITY_RTOL * scale
                worst = max(worst, float(drift / (1 + scale)))
            else:
                bad, err = _violation(relation, a, b)
                worst = max(worst, err)
        failures += bool(bad)
        if bad and witness is None:
            extra = ""
            if relation is Relation.EQ_UP_TO_CONSTANT:
                extra = f"; previous - new changes to {mpmath.nstr(a2 - b2, 15)} when the parameters are redrawn"
            witness = Witness(
                point={str(k): str(v) for k, v in point.items()},
                previous_value=mpmath.nstr(a, 15),
                new_value=mpmath.nstr(b, 15) + extra,
                functions=fns,
            )
    n_pts = len(candidates)
    points_failed = witness is not None

    enclosure = None
    search_record = None
    if not points_failed and (inequality or (relation is Relation.EQ and sym_ok is None)):
        search_record, witness = _adversarial(previous, new, relation, symbols, domain, rng)
    if inequality and witness is None and sym_ok is not True:
        enclosure = _enclose(_difference(upper, lower), symbols, domain, strict)
        if enclosure.refuted_at:
            # the gap is negative on a whole box the search missed: confirm its centre exactly
            witness = _confirmed_witness(previous, new, relation, enclosure.refuted_at, domain)
    if relation is Relation.EQ and sym_ok is False and witness is None:
        witness = _difference_witness(previous, new, candidates, rng)

    proved_by = "SymPy" if sym_ok is True else \
        "the interval enclosure" if enclosure is not None and enclosure.proved else None
    note = ""
    if witness is not None:
        status = Status.FAILED
        if points_failed:
            numeric_text = f"fails at {failures} of {n_pts} points ({tol.MP_DPS} digits; first failure kept as witness)"
        else:
            numeric_text = f"holds at {n_pts} points ({tol.MP_DPS} digits)"
        if sym_ok is False:
            note = f"SymPy shows previous - new is not 0 ({sym_text.split(': ', 1)[-1]})"
        elif proved_by:
            note = f"{proved_by} claimed it holds but a numeric point contradicts it"
        elif not points_failed and search_record is not None and search_record.found:
            note = "the random points held; the adversarial search found the counterexample"
        elif not points_failed:
            note = "the random points and the search held; the interval enclosure found the gap negative on a whole box"
    else:
        status = Status.PROVED if proved_by else Status.NUMERIC
        numeric_text = f"holds at {n_pts} points ({tol.MP_DPS} digits; the all-ones point and {n_pts - 1} random ones)"
        if status is Status.NUMERIC and inequality:
            why = enclosure.describe() if enclosure is not None else "not attempted"
            note = f"not proved: SymPy undecided, interval enclosure {why.split(' (')[0]}"
            if search_record is None or not search_record.ran:
                # a few random points are no check of an inequality
                status = Status.UNDECIDED
                note += f"; and no adversarial search could run ({search_record.reason if search_record else 'none'})"
    if relation is Relation.EQ_UP_TO_CONSTANT and constant is None and witness is None and values \
            and set(symbols) <= set(domain.parameters):
        constant = sp.Float(values[0], 20)
    if sym_ok is True:
        sym_result = sym_text
    elif sym_ok is False:
        sym_result = f"fails ({sym_text})"
    else:
        sym_result = f"undecided ({sym_text})"
    return RelationCheck(
        status=status,
        sympy_result=sym_result,
        numeric_result=numeric_text,
        worst_error=worst,
        witness=witness,
        constant=None if constant is None else sp.sstr(constant),
        note=note,
        search=search_record,
        enclosure=enclosure,
    )


def _enclose(sign_expr, symbols, domain: Domain, strict: bool) -> EnclosureResult:
    """The interval enclosure of ``sign_expr >= 0`` (> 0 if strict) over the whole domain."""
    if sign_expr.has(GaussianExpectation):
        sign_expr = sign_expr.doit()
    if sign_expr.has(GaussianExpectation) or sign_expr.atoms(AppliedUndef):
        return EnclosureResult(False, False, "the gap involves an arbitrary function or an expectation "
                                             "without closed form")
    return prove_sign(sign_expr, domain.supports(sorted(sign_expr.free_symbols, key=sp.default_sort_key)),
                      strict=strict)


def _generic_instances(previous, new) -> tuple:
    """Undefined functions replaced by affine maps with symbolic (searched) coefficients.

    Returns the instantiated pair, the coefficient symbols and the lambdas (to describe a witness).
    """
    both = sp.Tuple(previous, new)
    chosen, coefficients = {}, []
    for app in sorted(both.atoms(AppliedUndef), key=sp.default_sort_key):
        fn = app.func
        if fn in chosen:
            continue
        xs = sp.symbols(f"u0:{len(app.args)}")
        cs = sp.symbols(f"{fn}_c0:{len(app.args) + 1}", real=True)
        coefficients += cs
        chosen[fn] = sp.Lambda(xs, cs[0] + sum(c * x for c, x in zip(cs[1:], xs)))
    for fn, lam in chosen.items():
        both = both.replace(fn, lam)
    return both[0], both[1], coefficients, chosen


def _confirmed_witness(previous, new, relation, point, domain: Domain) -> Optional[Witness]:
    """A witness at the shortest rounding of a float ``point`` that fails exactly (None if it holds)."""
    supports = domain.supports(sorted(point, key=sp.default_sort_key))

    def confirm(exact) -> bool:
        return _fails_at(relation, previous, new, exact)

    exact = confirm_point({s: float(v) for s, v in point.items()}, supports, confirm)
    if exact is None:
        return None
    return _witness_at(previous, new, exact, {})


def _witness_at(previous, new, point, functions) -> Witness:
    values = []
    with mpmath.workdps(tol.MP_DPS):
        for side in (previous, new):
            try:
                values.append(mpmath.nstr(_evaluate(side, point, tol.MP_DPS), 15))
            except (VerifyError, ZeroDivisionError) as exc:
                values.append(f"undefined ({exc})"[:200])
    return Witness(point={str(k): str(v) for k, v in point.items()}, previous_value=values[0],
                   new_value=values[1], functions=functions)


def _adversarial(previous, new, relation, symbols, domain: Domain, rng: random.Random) -> tuple:
    """Run :func:`verify.search.search` on the step; (its record, a Witness if it found one)."""
    p_gen, n_gen, coefficients, lambdas = _generic_instances(previous, new)
    supports = domain.supports(symbols)
    supports.update({c: support(c) for c in coefficients})

    def confirm(point) -> bool:
        return _fails_at(relation, p_gen, n_gen, point)  # undefined at a point of the domain: fails

    floats = sp.Tuple(p_gen, n_gen)
    if floats.has(GaussianExpectation):
        floats = floats.replace(lambda e: isinstance(e, GaussianExpectation), lambda e: e.doit())
    if floats.has(GaussianExpectation):
        return SearchRecord(False, "an expectation without closed form"), None
    lower, upper = (floats[0], floats[1]) if relation in (Relation.LE, Relation.LT, Relation.EQ) else (floats[1], floats[0])
    record = search(lower, upper, _KIND[relation], supports, confirm, seed=rng.getrandbits(32))
    if not record.found:
        return record, None
    point = record.counterexample
    fns = {str(fn): str(lam.xreplace({c: point[c] for c in coefficients if c in point}))
           for fn, lam in lambdas.items()}
    return record, _witness_at(p_gen.xreplace({c: point[c] for c in coefficients}),
                               n_gen.xreplace({c: point[c] for c in coefficients}),
                               {k: v for k, v in point.items() if k not in coefficients}, fns)


def _difference_witness(previous, new, candidates, rng) -> Optional[Witness]:
    """Both sides at the first point where they evaluate (SymPy showed they differ everywhere)."""
    for point in candidates:
        (p_inst, n_inst), fns = _instantiate_pair(previous, new, rng)
        try:
            with mpmath.workdps(tol.MP_DPS):
                a = _evaluate(p_inst, point, tol.MP_DPS)
                b = _evaluate(n_inst, point, tol.MP_DPS)
        except (VerifyError, ZeroDivisionError):
            continue
        return Witness(point={str(k): str(v) for k, v in point.items()}, previous_value=mpmath.nstr(a, 30),
                       new_value=mpmath.nstr(b, 30) + f" (previous - new = {mpmath.nstr(a - b, 15)})", functions=fns)
    return None


def _instantiate_pair(previous, new, rng):
    """Instantiate undefined functions identically on both sides (lazily: see :class:`_Instantiated`)."""
    both = sp.Tuple(previous, new)
    chosen = _choose_functions(both, rng)
    fns = {str(fn): str(lam) for fn, lam in chosen.items()}
    return (_Instantiated(previous, chosen), _Instantiated(new, chosen)), fns


# ---------------------------------------------------------------------------------------------


class Derivation:
    """A chain of expressions starting from ``start``; every :meth:`step` is checked on the spot.

    Parameters
    ----------
    title:
        What is derived, e.g. ``"(9) -> (4) for d=2, r=3, r*=1"``.
    start:
        The first expression (a definition; not checked).
    start_reason:
        Where it comes from, e.g. ``"eq. (9): the VAE loss with linear f, g"``.
    domain:
        Where the numeric witness draws its points.
    """

    def __init__(self, title: str, start, start_reason: str, domain: Domain):
        self.title = title
        self.domain = domain
        self.start = sp.sympify(start)
        self.start_reason = start_reason
        self.current = self.start
        self.steps: list[StepRecord] = []
        self._expressions: list = []
        self.errata: list[Erratum] = []
        self.broken = False  # a step failed with no valid correction
        self.elapsed = 0.0

    def step(
        self,
        expr,
        reason: str,
        relation: Relation | str = Relation.EQ,
        *,
        source: str = "paper",
        correction=None,
        correction_reason: str = "",
        where: str = "",
    ) -> StepRecord:
        """Add ``expr`` as the next expression, related to the current one by ``relation``.

        If the step fails and ``correction`` is given, the correction is checked too; if it holds,
        the chain continues from it and an erratum is recorded.
        """
        relation = Relation(relation)
        t0 = time.perf_counter()
        expr = sp.sympify(expr)
        check = check_relation(self.current, expr, relation, self.domain, rng_salt=f"{self.title}:{len(self.steps)}")
        record = self._record(expr, reason, relation, source, check)
        self.steps.append(record)
        self._expressions.append(expr)
        if record.status is Status.FAILED:
            if correction is not None:
                fixed = sp.sympify(correction)
                ccheck = check_relation(self.current, fixed, relation, self.domain, rng_salt=f"{self.title}:{len(self.steps)}c")
                crecord = self._record(fixed, correction_reason or f"corrected: {reason}", relation, "correction", ccheck)
                self.steps.append(crecord)
                self.errata.append(_issue(
                    Erratum(
                        where=where or f"{self.title}, step {record.index}",
                        printed=f"{relation.value} {record.expression}",
                        witness=record.witness.describe() if record.witness else record.note,
                        correction=f"{relation.value} {crecord.expression}" + (f" ({correction_reason})" if correction_reason else ""),
                        correction_status=crecord.status,
                    )
                ))
                if crecord.status.holds:
                    self.current = fixed
                else:
                    self.broken = True
            else:
                self.errata.append(_issue(
                    Erratum(
                        where=where or f"{self.title}, step {record.index}",
                        printed=f"{relation.value} {record.expression}",
                        witness=record.witness.describe() if record.witness else record.note,
                        correction="none supplied",
                        correction_status=Status.UNDECIDED,
                    )
                ))
                self.broken = True
                self.current = expr
        else:
            self.current = expr
        self.elapsed += time.perf_counter() - t0
        return record

    def _record(self, expr, reason, relation, source, check: RelationCheck) -> StepRecord:
        return StepRecord(
            index=len(self.steps) + 1,
            relation=relation,
            expression=_short(sp.sstr(expr)),
            latex=_short(sp.latex(expr), 4000),
            reason=reason,
            source=source,
            **{f.name: getattr(check, f.name) for f in dataclasses.fields(RelationCheck)},
        )

    @property
    def printed_status(self) -> Status:
        """The derivation as printed: FAILED if any step other than a correction failed, whatever the
        corrections say; otherwise :attr:`status`."""
        if any(s.status is Status.FAILED and s.source != "correction" for s in self.steps):
            return Status.FAILED
        return self.status

    @property
    def has_corrections(self) -> bool:
        """Whether a failed step was followed by a checked correction."""
        return any(s.source == "correction" for s in self.steps)

    def free_symbols(self) -> set:
        """Every symbol the chain is written in (dimension symbols included)."""
        return set(self.start.free_symbols).union(*(e.free_symbols for e in self._expressions))

    @property
    def status(self) -> Status:
        """The chain with its checked corrections: proved if every kept step is proved; numeric if some
        only held numerically; undecided if a kept step is undecided (an inequality nothing proved and
        no search could test); failed if a step failed with no correction that holds."""
        if self.broken:
            return Status.FAILED
        kept = [s for s in self.steps if s.status is not Status.FAILED]  # failed steps were replaced by corrections
        if not kept or any(s.status is Status.UNDECIDED for s in kept):
            return Status.UNDECIDED
        return Status.PROVED if all(s.status is Status.PROVED for s in kept) else Status.NUMERIC

    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "start": _short(sp.sstr(self.start)),
            "start_latex": _short(sp.latex(self.start), 4000),
            "start_reason": self.start_reason,
            "status": self.printed_status.value,
            "corrected_status": self.status.value,
            "elapsed_s": round(self.elapsed, 3),
            "steps": [_step_dict(s) for s in self.steps],
        }


def _step_dict(s: StepRecord) -> dict:
    return {
        "index": s.index,
        "relation": s.relation.value,
        "expression": s.expression,
        "latex": s.latex,
        "reason": s.reason,
        "source": s.source,
        "status": s.status.value,
        "method": s.method,
        "worst_error": s.worst_error,
        "witness": None if s.witness is None else s.witness.describe(),
        "constant": s.constant,
        "note": s.note,
    }


def _short(text: str, limit: int = 600) -> str:
    return text if len(text) <= limit else text[: limit - 25] + f" ... [{len(text)} chars]"


def check_derivative(function, variable: sp.Symbol, claimed, domain: Domain, name: str = "") -> "object":
    """Check ``claimed == d function / d variable`` without SymPy's differentiation.

    The witness is mpmath's numerical derivative (``mpmath.diff``, Richardson-extrapolated central
    differences at MP_DPS digits) of ``function`` at random points; SymPy's own ``diff`` is compared
    symbolically as the first method.  Returns a :class:`verify.claims.Check`.
    """
    function = sp.sympify(function)
    claimed = sp.sympify(claimed)
    sym_ok, sym_text = _sympy_zero(sp.diff(function, variable) - claimed)
    symbols = sorted(_free(function) | _free(claimed) | {variable}, key=sp.default_sort_key)
    rng = random.Random(f"{domain.seed}:derivative:{name}:{sp.srepr(claimed)[:500]}")
    worst = 0.0
    witness = None
    n_pts = domain.points
    for _ in range(n_pts):
        point = domain.draw(symbols, rng)
        at = {k: v for k, v in point.items() if k != variable}
        with mpmath.workdps(tol.MP_DPS):
            g = sp.lambdify(variable, function.xreplace(at), modules="mpmath")
            x0 = mpmath.mpf(sp.N(point[variable], tol.MP_DPS))
            fd = mpmath.diff(g, x0)
            exact = _evaluate(claimed, point, tol.MP_DPS)
            err = float(abs(fd - exact) / (1 + abs(exact)))
        worst = max(worst, err)
        if err > tol.FD_RTOL and witness is None:
            witness = f"at {', '.join(f'{k}={v}' for k, v in point.items())}: finite difference {mpmath.nstr(fd, 15)}, claimed {mpmath.nstr(exact, 15)}"
    if witness is None and sym_ok is False:
        witness = f"SymPy: d/d{variable} function - claimed: {sym_text}"
    if witness:
        status = Status.FAILED
    else:
        status = Status.PROVED if sym_ok else Status.NUMERIC
    sym_word = sym_text if sym_ok is True else "fails" if sym_ok is False else "undecided"
    return Check(
        name=name or f"d/d{variable} = {sp.sstr(claimed)[:80]}",
        status=status,
        method=f"SymPy diff: {sym_word}; mpmath.diff at {n_pts} random points ({tol.MP_DPS} digits)",
        scope="random points of the domain",
        worst_error=worst,
        witness=witness,
    )


def check_finite_limit(F, variable: sp.Symbol, label: str, seed: int = 0) -> "object":
    """Check that F has a finite limit F(0) as ``variable`` -> 0+ (no singularity there).

    SymPy: F has no negative power of the variable and F(0) is finite.  mpmath: at a random point of
    the other symbols, |F(LIMIT_PROBE) - F(0)| <= LIMIT_ATOL (F(variable) - F(0) is O(variable²) in
    our uses; see :mod:`verify.tolerances`).
    Returns a :class:`verify.claims.Check`.
    """
    F = sp.sympify(F)
    F0 = F.subs(variable, 0)
    singular = F0.has(sp.zoo, sp.oo, -sp.oo, sp.nan) or any(
        p.exp.is_negative and p.base == variable for p in F.atoms(sp.Pow))
    rng = random.Random(f"{seed}:{label}")
    den = tol.FUNCTION_COEFFICIENT_DENOMINATOR
    point = {s: sp.Rational(rng.randint(*tol.FUNCTION_COEFFICIENT_RANGE) or 7, den) for s in F.free_symbols - {variable}}
    probe = sp.Rational(str(tol.LIMIT_PROBE))  # exactly 10^-30, not the nearest float
    val0 = sp.N(F0.xreplace(point), tol.MP_DPS)
    val = sp.N(F.xreplace({**point, variable: probe}), tol.MP_DPS)
    finite = bool(val0.is_finite and val.is_finite)
    err = float(abs(val - val0)) if finite else float("inf")
    if finite and err <= 10.0 ** -tol.MP_DPS * max(1.0, float(abs(val0))):
        # below the working precision no digit of the difference means anything, and its value
        # changed with the form SymPy held the expression in (so report.json changed between runs)
        err = 0.0
    witness = None
    if singular or not finite or err > tol.LIMIT_ATOL:
        witness = f"{label}: F(0) = {sp.sstr(F0)[:120]}, |F({tol.LIMIT_PROBE:g}) - F(0)| = {err:.3g}"
    return Check(f"{label}: F({variable}) -> F(0), finite", Status.FAILED if witness else Status.PROVED,
                 f"SymPy: no negative power of {variable} and F(0) finite; mpmath: |F({tol.LIMIT_PROBE:g}) - F(0)| "
                 f"<= {tol.LIMIT_ATOL:g} at a random point", label, err, witness)
