"""Inequality and equality steps are really checked: interval proofs, adversarial search, exact witnesses.

Every false step below holds at the random points of the old check (the numeric result says so) and
is caught by the adversarial search or by SymPy; every true one passes, and is PROVED by SymPy or the
interval enclosure where they can.
"""
import dataclasses

import pytest
import sympy as sp

from verify import Derivation, Domain, Relation, Status
from verify import tolerances as tol
from verify.derivation import RelationCheck, check_relation
from verify.enclosure import prove_sign, support
from verify.search import search
from verify.symbolic import expect

x = sp.Symbol("x", real=True)
p = sp.Symbol("p", positive=True)
q = sp.Symbol("q", positive=True)
e = sp.Symbol("e", positive=True)
f = sp.Function("f")

REL = {"<=": sp.Le, "<": sp.Lt, ">=": sp.Ge, ">": sp.Gt, "=": sp.Eq}


def check(prev, new, rel, **kw) -> RelationCheck:
    return check_relation(sp.sympify(prev), sp.sympify(new), Relation(rel), Domain(**kw))


def holds_exactly(prev, new, rel, witness) -> bool:
    """Independent of the engine: the relation at the witness point, in exact SymPy arithmetic."""
    point = {s: sp.Rational(witness.point[str(s)]) for s in (sp.sympify(prev) - sp.sympify(new)).free_symbols}
    a, b = sp.sympify(prev).xreplace(point), sp.sympify(new).xreplace(point)
    if rel == "=":
        return sp.simplify(a - b) == 0
    return bool(REL[rel](a, b))


# --- false steps: FAILED with an exact witness ------------------------------------------------
FALSE_STEPS = [
    # (previous, new, relation, why the random points in [0.2, 5] / [-2, 2] miss it)
    ((x - sp.Rational(3, 2)) ** 2, sp.Rational(1, 10000), ">=", "false only for |x - 3/2| < 1/100"),
    (e, sp.Rational(1, 10), ">=", "false only for e < 1/10"),
    (1 / e, 10**6, "<=", "false only for tiny e"),
    (x**2 - 10**8, 0, "<=", "false only for huge |x|"),
]


@pytest.mark.parametrize("prev,new,rel,why", FALSE_STEPS, ids=[s[3] for s in FALSE_STEPS])
def test_false_inequality_is_failed_with_an_exact_witness(prev, new, rel, why):
    res = check(prev, new, rel)
    assert res.status is Status.FAILED
    assert res.numeric_result.startswith("holds at"), "the random points alone would have passed it"
    assert res.search is not None and res.search.found
    assert not holds_exactly(prev, new, rel, res.witness)
    assert all(sp.Rational(v).is_rational for v in res.witness.point.values())


def test_the_witnesses_are_where_the_steps_fail():
    assert check((x - sp.Rational(3, 2)) ** 2, sp.Rational(1, 10000), ">=").witness.point == {"x": "3/2"}
    assert sp.Rational(check(1 / e, 10**6, "<=").witness.point["e"]) < sp.Rational(1, 10**6)
    assert abs(sp.Rational(check(x**2 - 10**8, 0, "<=").witness.point["x"])) > 10**4


def test_equality_differing_by_a_nonzero_constant_is_failed():
    res = check(sp.log(2 * p), sp.log(p), "=")
    assert res.status is Status.FAILED and res.witness is not None
    assert res.sympy_result.startswith("fails") and "log(2)" in res.sympy_result
    # a constant far below the numeric tolerance is still a failure: SymPy shows it is not 0
    tiny = check(p + sp.Integer(10) ** -30, p, "=")
    assert tiny.numeric_result.startswith("holds at"), "within IDENTITY_ATOL at every point"
    assert tiny.status is Status.FAILED and "1e-30" in tiny.witness.new_value.replace("1.0e-30", "1e-30")
    # and a difference SymPy shows is positive everywhere
    assert check(p**2 + 1, 0, "=").status is Status.FAILED


def test_equality_sympy_cannot_decide_is_searched():
    true = check(sp.atan(p) + sp.atan(1 / p), sp.pi / 2, "=")
    assert true.status is Status.NUMERIC and true.search.ran and not true.search.found
    # wrong by 10^-40 p^4: invisible at the points (p <= 5), visible at p = 10^12
    wrong = check(sp.atan(p) + sp.atan(1 / p) + sp.Integer(10) ** -40 * p**4, sp.pi / 2, "=")
    assert wrong.sympy_result.startswith("undecided") and wrong.numeric_result.startswith("holds at")
    assert wrong.status is Status.FAILED and sp.Rational(wrong.witness.point["p"]) > 10**9


def test_inequality_with_an_arbitrary_function_searches_its_coefficients():
    res = check(f(p) ** 2, f(p), ">=")  # false when 0 < f(p) < 1
    assert res.status is Status.FAILED and res.witness.functions
    assert check(f(p) ** 2 + 1, 2 * f(p), ">=").status.holds  # (f - 1)² >= 0 for real f


def test_expectation_of_a_nonnegative_integrand_is_nonnegative_only_for_a_real_function():
    z = sp.Symbol("z", real=True)
    g = sp.Function("g", real=True)
    fit = expect((x - g(z)) ** 2, [z]) / (2 * e**2)
    assert check(fit + sp.log(e), sp.log(e), ">=").status is Status.PROVED
    # with f possibly complex SymPy cannot sign (x - f)², so only the search vouches for it
    assert check(expect((x - f(z)) ** 2, [z]), 0, ">=").status is Status.NUMERIC
    # not sign-definite: E[z g(z)] = slope of g, negative for a decreasing g
    wrong = check(expect(z * g(z), [z]), 0, ">=")
    assert wrong.status is Status.FAILED and "g" in wrong.witness.functions
    assert check(expect(g(z) ** 2, [z]), 0, ">").status is Status.FAILED  # g = 0


# --- true steps: pass, PROVED where SymPy or the enclosure can ------------------------------------
@pytest.mark.parametrize("prev,new,rel,prover", [
    (x**2 + 1, 2 * x, ">=", "SymPy"),
    (sp.log(p), p - 1, "<=", "enclosure"),
    (p / (1 + p), 1, "<", "SymPy"),
    ((p + q) ** 2, 4 * p * q, ">=", "SymPy"),  # AM-GM, squared
    ((x**2 + p**2) / 2, x * p, ">=", "SymPy"),  # AM-GM for x real
    (p * sp.exp(-p), sp.Rational(2, 5), "<=", "enclosure"),  # max 1/e = 0.3679 at p = 1
    (sp.log(p) + 1 / p, 1, ">=", "enclosure"),  # log p >= 1 - 1/p; singular at p = 0
    (x**4 - 3 * x + 3, 0, ">", "enclosure"),  # min 3 - (9/4)(3/4)^(1/3) = 0.956 at x = (3/4)^(1/3)
])
def test_true_inequality_is_proved(prev, new, rel, prover):
    res = check(prev, new, rel)
    assert res.status is Status.PROVED, res.method
    assert res.search is not None and res.search.ran and not res.search.found
    if prover == "enclosure":
        assert res.sympy_result.startswith("undecided")
        assert res.enclosure.proved and ("τ/(1-τ)" in res.method or "2τ-1" in res.method)  # the change of variables
    else:
        assert not res.sympy_result.startswith("undecided")


def test_enclosure_out_of_budget_falls_back_to_numeric_with_the_search_record(monkeypatch):
    monkeypatch.setattr(tol, "ENCLOSURE_MAX_BOXES", 200)  # the test stays fast
    res = check(p + q, 2 * sp.sqrt(p * q), ">=")  # touches 0 on the whole diagonal p = q
    assert res.status is Status.NUMERIC
    assert not res.enclosure.proved and "box budget" in res.enclosure.reason
    rec = res.search
    assert rec.ran and not rec.found and rec.samples >= tol.SEARCH_RANDOM_POINTS and rec.starts >= 1
    assert rec.evaluations > rec.samples and rec.smallest_gap is not None and rec.where
    assert "no counterexample" in res.method and "not proved" in res.note


def test_inequality_nothing_can_test_is_undecided_not_numeric():
    # zeta(p + 1) > 1 is true, but SymPy cannot sign it, mpmath.iv has no zeta and float64 NumPy neither
    res = check(sp.zeta(p + 1), 1, ">")
    assert res.status is Status.UNDECIDED and not res.search.ran and "no adversarial search" in res.note
    d = Derivation("demo", sp.zeta(p + 1), "start", Domain())
    d.step(1, "zeta(s) > 1 for s > 1", Relation.GT)
    d.step(sp.Integer(1), "equal")
    assert d.status is Status.UNDECIDED  # an undecided step is not silently dropped


def test_derivation_records_the_typed_check():
    d = Derivation("demo", sp.log(p), "start", Domain())
    step = d.step(p - 1, "log p <= p - 1", Relation.LE)
    assert step.status is Status.PROVED and step.enclosure.proved and step.search.ran
    assert "interval enclosure: proved" in step.method and "adversarial search" in step.method
    res = check(p, p, "=")
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.status = Status.FAILED


# --- the enclosure and the search on their own --------------------------------------------------
def sup(*symbols):
    return {s: support(s) for s in symbols}


def test_enclosure_never_proves_a_false_or_merely_touching_strict_inequality():
    assert prove_sign(p - 1 - sp.log(p), sup(p)).proved
    assert not prove_sign(p - 1 - sp.log(p), sup(p), strict=True).proved  # = 0 at p = 1
    bad = prove_sign((x - sp.Rational(3, 2)) ** 2 - sp.Rational(1, 10000), sup(x))
    assert not bad.proved and abs(float(bad.refuted_at[x]) - 1.5) < 0.01
    # 1 - p/(1+p) > 0 everywhere, but its infimum 0 is at the excluded end p = ∞: honestly undecided
    tail = prove_sign(1 - p / (1 + p), sup(p), strict=True)
    assert not tail.proved and "inf" in tail.reason
    # a singular end: log p -> -∞ as p -> 0, so log(p) + 5 >= 0 is false near 0 and never proved
    assert not prove_sign(sp.log(p) + 5, sup(p)).proved


def test_enclosure_respects_ranges_and_budget():
    rng = {x: (0, 2)}
    assert prove_sign(3 - x, {x: support(x, rng)}).proved  # false for x > 3, true on [0, 2]
    assert not prove_sign(3 - x, sup(x)).proved
    amgm = prove_sign(p + q - 2 * sp.sqrt(p * q), sup(p, q), max_boxes=50)
    assert not amgm.proved and "box budget" in amgm.reason and amgm.undecided > 0
    assert not prove_sign(sp.atan(p), sup(p)).applicable  # no interval atan in mpmath.iv


def test_search_confirms_exactly_before_declaring_a_failure():
    one = sp.Integer(1)
    exact_calls = []

    def confirm(point):
        exact_calls.append(point)
        return not (one + sp.Integer(10) ** -20 * p > one).xreplace(point)

    # float64 sees 1 + 1e-20 p = 1 (a violation of <) everywhere below p = 1e4; the exact value does not.
    # At 150 digits it holds by 1e-20 p, far above SEARCH_SCREEN_MARGIN: the screen clears the candidates
    rec = search(one, one + sp.Integer(10) ** -20 * p, "lt", sup(p), confirm, seed=1)
    assert rec.ran and not rec.found and rec.screened > 0 and rec.confirmed == len(exact_calls) == 0
    assert "candidates cleared by the 150/300-digit screen" in rec.describe()
    # 1e-80 p is below the screen's margin: every candidate goes to the exact evaluation
    rec = search(one, one + sp.Integer(10) ** -80 * p, "lt", sup(p), confirm, seed=1)
    assert rec.ran and not rec.found and rec.screened == 0 and exact_calls and rec.confirmed == len(exact_calls)
    rec = search(-one, p * (p - 2), "le", sup(p), lambda pt: (p * (p - 2)).xreplace(pt) < -1, seed=1)
    assert not rec.found and rec.smallest_gap < 1e-12  # -1 <= p(p-2) touches at p = 1; no false alarm
    rec = search(p * (p - 2), -one, "le", sup(p), lambda pt: (p * (p - 2)).xreplace(pt) > -1, seed=1)
    assert rec.found  # the reverse is false (for every p != 1)


def test_screen_clears_only_a_step_that_holds_by_the_margin():
    from verify.search import _screen

    one = sp.Integer(1)
    at = {p: sp.Rational(1, 3)}
    assert _screen([p], one, one + sp.Integer(10) ** -20 * p, "lt")(at)
    assert not _screen([p], one, one + sp.Integer(10) ** -70 * p, "lt")(at)  # below the margin: confirm decides
    assert not _screen([p], one, one - sp.Integer(10) ** -20 * p, "le")(at)  # false: never cleared
    assert not _screen([p], one, sp.log(p - 1), "le")(at)  # complex there: the exact evaluation decides
    assert _screen([p], one, one, "eq") is None  # '=' candidates are always evaluated exactly
    # 80 digits cancel in (10^80 + p)² - 10^160 - 2·10^80 p = p²: the 300-digit pass sees the truth
    big = sp.Integer(10) ** 80
    assert not _screen([p], p**2 + 1, (big + p) ** 2 - big**2 - 2 * big * p, "le")(at)


@pytest.mark.parametrize("margin, found", [(tol.SEARCH_SCREEN_MARGIN, True), (-1.0, False)])
def test_screen_never_hides_a_violation_below_float_resolution(monkeypatch, margin, found):
    """1 <= 1 - 10^-80 p fails everywhere but float64 sees a tie: the candidates must reach the exact
    evaluation.  Mutation: a screen that clears whatever is within 100% (margin -1) hides the failure."""
    monkeypatch.setattr(tol, "SEARCH_SCREEN_MARGIN", margin)
    one, tiny = sp.Integer(1), sp.Integer(10) ** -80
    rec = search(one, one - tiny * p, "le", sup(p), lambda pt: bool((one - tiny * p).xreplace(pt) < one), seed=1)
    assert rec.found is found


@pytest.mark.parametrize("v", [[0.3, -2.0, 0.0], [5.0 - 1e-9, -5.0 + 1e-12, 1e-3], [-5.0, 5.0, -0.7]])
def test_search_gradient_is_scipys_forward_difference(v):
    """The batched gradient of the search's L-BFGS-B uses exactly SciPy's 2-point steps inside the bounds
    (near and at a bound the step is reversed), so the local minimisation is the one SciPy would run."""
    import numpy as np
    from scipy.optimize._numdiff import approx_derivative
    from verify.search import _forward_steps

    lb, ub = np.full(3, -5.0), np.full(3, 5.0)
    fun = lambda w: float(np.sin(w[0]) * w[1] ** 2 + np.exp(0.3 * w[2]) * w[0])  # noqa: E731
    v = np.array(v)
    h = _forward_steps(v, lb, ub)
    ours = np.array([(fun(v + h[k] * np.eye(3)[k]) - fun(v)) / ((v[k] + h[k]) - v[k]) for k in range(3)])
    theirs = approx_derivative(fun, v, method="2-point", bounds=(lb, ub))
    assert np.array_equal(ours, theirs)
    assert np.all(v + h <= ub) and np.all(v + h >= lb)
    with pytest.raises(AssertionError):  # mutation: a central-difference-sized step is not SciPy's
        assert np.array_equal(ours, np.array([(fun(v + 2 * h[k] * np.eye(3)[k]) - fun(v)) / (2 * h[k]) for k in range(3)]))


def test_search_admits_exactly_the_support():
    """The search's exact candidates are kept inside each symbol's support (ends open or closed as the
    assumptions say, integers only for an integer symbol), compared exactly."""
    from verify.enclosure import Support
    from verify.search import _Coordinate

    half = sp.Rational(1, 2)
    pos = _Coordinate(support(p))  # (0, ∞)
    assert pos.admits(sp.Rational(1, 10**30)) and not pos.admits(sp.Integer(0)) and not pos.admits(-half)
    box = _Coordinate(Support(sp.Integer(0), half))  # [0, 1/2]
    assert box.admits(sp.Integer(0)) and box.admits(half) and not box.admits(half + sp.Rational(1, 10**40))
    opened = _Coordinate(Support(sp.Integer(0), half, lo_open=True, hi_open=True))
    assert not opened.admits(sp.Integer(0)) and not opened.admits(half) and opened.admits(sp.Rational(1, 3))
    n = sp.Symbol("n", integer=True, positive=True)
    ints = _Coordinate(support(n))
    assert ints.admits(sp.Integer(1)) and not ints.admits(sp.Integer(0)) and not ints.admits(sp.Rational(3, 2))
    pi_end = _Coordinate(Support(sp.Integer(0), sp.pi))  # a non-rational end is compared by SymPy
    assert pi_end.admits(sp.Rational(314159, 100000)) and not pi_end.admits(sp.Rational(31416, 10000))


def test_lemma1_bound_is_proved_for_a_real_decoder_and_mutations_fail():
    """Lemma 1's (*) at d = r = 1: every step PROVED (R >= 0 by SymPy since f is real, x - log x >= 1 by
    the enclosure); the same chain with r/2 raised to r, or with R/(2ε²) >= R/ε², fails with a witness."""
    from proofs.koehler2022 import lemma1_loss_to_minus_infinity as l1
    from proofs.koehler2022.lemma7_vae_loss import symbols
    from verify.symbolic import EPS

    der = l1.derivation(1, 1)
    assert [s.status for s in der.steps] == [Status.PROVED] * 3
    assert der.steps[2].sympy_result.startswith("the gap E[") and der.steps[1].enclosure.proved
    x, g, D, z, zp, _ = symbols(1, 1)
    f = sp.Function("f_1", real=True)
    R = expect((x[0] - f(g[0] + sp.sqrt(D[0]) * zp[0])) ** 2, zp)
    base = R / (2 * EPS**2) + g[0] ** 2 / 2 + sp.log(EPS) + (D[0] - sp.log(D[0])) / 2
    for wrong in (R / (2 * EPS**2) + sp.log(EPS) + 1,  # ½(D - log D) >= r, not r/2
                  R / EPS**2 + sp.log(EPS) + sp.Rational(1, 2)):  # the first term doubled
        mutated = Derivation("mutated Lemma 1", base, "start", Domain())
        step = mutated.step(wrong, "mutation", Relation.GE)
        assert step.status is Status.FAILED and step.witness is not None, wrong


def test_lemma1_flow_runs_are_the_reports_flow_1_runs():
    """Lemma 1 integrates only the flow (1) runs when flow_cases() is not cached: the same trajectories
    (cases, seeds, saved states) as the shared flow_cases() runs["eps"], and the same check."""
    import numpy as np
    from proofs.koehler2022 import lemma1_loss_to_minus_infinity as l1
    from verify.numeric import flow_cases

    flow_cases.cache_clear()
    own = l1.flow1_runs()
    own_check = l1.flow_check()
    assert flow_cases.cache_info().currsize == 0  # it did not integrate the log-ε runs
    shared = l1.flow1_runs() if flow_cases() else None  # now from the cache
    assert [c.label for c, _ in own] == [c.label for c, _ in shared]
    for (_, a), (_, b) in zip(own, shared):
        assert np.array_equal(a.t, b.t) and np.array_equal(a.eps, b.eps) and np.array_equal(a.loss_values, b.loss_values)
    assert l1.flow_check() == own_check and own_check.status is Status.NUMERIC
    # mutations: the proof's printed c/ε², or r in place of r/2, fail at the first saved state of a run
    assert l1.flow_check(l1.printed_bound).status is Status.FAILED
    assert l1.flow_check(lambda R, eps, d, r: l1.corrected_bound(R, eps, d, r) + r / 2).status is Status.FAILED


def test_search_vector_map_is_each_coordinates_map():
    """The search's vectorised change of variables equals every coordinate's own map (box, half-lines,
    real line, integers), so the local minimisation moves in the same variables as the pool."""
    import numpy as np
    from verify.enclosure import Support
    from verify.search import _Coordinate, _vector_map

    n = sp.Symbol("n", integer=True, positive=True)
    m = sp.Symbol("m", integer=True, negative=True)
    coords = [_Coordinate(s) for s in (support(p), support(x), support(n), support(m), Support(sp.Integer(-1), sp.Integer(3)),
                                       Support(-sp.oo, sp.Integer(2)), Support(sp.Integer(1), sp.Integer(7), integer=True))]
    V = np.random.default_rng(0).uniform(-14, 14, (len(coords), 50))
    V[:, 0], V[:, 1], V[:, 2] = [c.bounds[0] for c in coords], [c.bounds[1] for c in coords], 0.0
    X = _vector_map(coords)(V)
    each = np.vstack([np.asarray(c.x(V[k]), dtype=float) for k, c in enumerate(coords)])
    assert np.array_equal(X, each)
    assert not np.array_equal(X[1], V[1])  # the real line is asinh-scaled: a map that forgot it differs
