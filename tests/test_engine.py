"""The derivation engine decides steps with two methods, and catches deliberately wrong steps."""
import pytest
import sympy as sp

from verify import Derivation, Domain, Relation, Status, VerifyError
from verify.derivation import check_relation, check_derivative
from verify.symbolic import expect, linear_vae, quadrature_value

x = sp.Symbol("x", positive=True)
y = sp.Symbol("y", positive=True)
t = sp.Symbol("t", real=True)
w = sp.Symbol("w", nonnegative=True)


def status(prev, new, rel=Relation.EQ, **kw):
    return check_relation(prev, new, rel, Domain(**kw)).status


# --- each kind of step: the right step passes, each kind of mistake is caught ----------------
GOOD_AND_BAD = [
    # (relation, previous, correct new, {mistake: wrong new})
    (Relation.EQ, (x + y) ** 2, x**2 + 2 * x * y + y**2,
     {"constant": x**2 + 3 * x * y + y**2, "sign": x**2 - 2 * x * y + y**2, "exponent": x**2 + 2 * x * y + y**3}),
    (Relation.EQ, sp.log(x**2 * y), 2 * sp.log(x) + sp.log(y),
     {"constant": 3 * sp.log(x) + sp.log(y), "sign": 2 * sp.log(x) - sp.log(y), "index": 2 * sp.log(y) + sp.log(x)}),
    (Relation.LE, x**2 + y**2, (x + y) ** 2,
     {"sign": (x - y) ** 2 - 4 * x * y + x * y, "constant": (x + y) ** 2 - 3 * x * y}),
    (Relation.GE, (x + y) ** 2, 4 * x * y,
     {"constant": 5 * x * y, "exponent": 4 * x**2 * y**2 + 4}),
    (Relation.GT, 1 / (2 * x**2), 0, {"sign": 1 / x**2}),
    (Relation.EQ_UP_TO_CONSTANT, sp.log(2 * sp.pi * x), sp.log(x),
     {"index": sp.log(y), "exponent": sp.log(x**2)}),
]


@pytest.mark.parametrize("rel,prev,good,bad", GOOD_AND_BAD, ids=[f"{g[0].name}-{i}" for i, g in enumerate(GOOD_AND_BAD)])
def test_each_relation_accepts_the_right_step_and_catches_mistakes(rel, prev, good, bad):
    params = frozenset({x, y})
    assert status(prev, good, rel, parameters=params) is Status.PROVED
    for mistake, wrong in bad.items():
        res = check_relation(prev, wrong, rel, Domain(parameters=params))
        assert res.status is Status.FAILED, mistake
        assert res.witness is not None and res.witness.point


def test_gaussian_expectation_step_catches_a_wrong_moment():
    z = sp.Symbol("z", real=True)
    start = expect(z**4 + t * z**2, [z])
    assert status(start, 3 + t) is Status.PROVED
    assert status(start, 1 + t) is Status.FAILED  # E z^4 = 3, not 1
    assert status(start, 3 - t) is Status.FAILED  # wrong sign of E z^2 term


def test_linear_loss_with_a_wrong_index_is_caught():
    m = linear_vae(2, 2, 1)
    # swap the columns: D_1 pairs with ||Ã_2||² instead of ||Ã_1||²
    wrong = m.loss_closed_form() - m.D[0] * m.column_sq(0) / (2 * m.eps**2) + m.D[0] * m.column_sq(1) / (2 * m.eps**2)
    assert status(m.loss_expectation_form(), wrong, parameters=m.parameters) is Status.FAILED


def test_undecided_by_sympy_but_true_is_numeric_not_proved():
    res = check_relation(sp.atan(x) + sp.atan(1 / x), sp.pi / 2, Relation.EQ, Domain())
    assert res.status is Status.NUMERIC
    assert res.sympy_result.startswith("undecided")


def test_a_wrong_sympy_answer_is_overruled_by_the_numeric_witness(monkeypatch):
    import verify.derivation as der

    monkeypatch.setattr(der, "_sympy_zero", lambda e: (True, "pretend"))
    res = check_relation(x**2, x**3, Relation.EQ, Domain())
    assert res.status is Status.FAILED
    assert "contradicts" in res.note


def test_boundary_point_exposes_a_missing_hypothesis():
    # sqrt(w) > 0 is false at w = 0, a point random sampling would never hit
    assert status(sp.sqrt(w), 0, Relation.GT) is Status.FAILED
    assert status(sp.sqrt(x), 0, Relation.GT) is Status.PROVED


def test_undefined_value_is_a_failure_with_witness():
    res = check_relation(1 / w, 1 / w, Relation.EQ, Domain())
    assert res.status is Status.FAILED
    assert "undefined" in res.witness.new_value


def test_correction_records_an_erratum_and_the_chain_continues():
    d = Derivation("demo", (x + 1) ** 2, "start", Domain())
    d.step(x**2 + x + 1, "printed with a typo", correction=x**2 + 2 * x + 1, correction_reason="2x, not x")
    d.step(x * (x + 2) + 1, "next")
    assert d.status is Status.PROVED
    assert len(d.errata) == 1 and d.errata[0].correction_status is Status.PROVED
    assert [s.status for s in d.steps] == [Status.FAILED, Status.PROVED, Status.PROVED]


def test_uncorrected_failure_breaks_the_chain():
    d = Derivation("demo", (x + 1) ** 2, "start", Domain())
    d.step(x**2 + 1, "wrong")
    assert d.status is Status.FAILED
    assert d.errata[0].correction == "none supplied"


def test_derivative_check_catches_a_wrong_derivative():
    assert check_derivative(x**3 * sp.log(x), x, 3 * x**2 * sp.log(x) + x**2, Domain()).status is Status.PROVED
    assert check_derivative(x**3 * sp.log(x), x, 3 * x**2 * sp.log(x), Domain()).status is Status.FAILED


def test_quadrature_refuses_what_it_cannot_integrate_exactly():
    z = sp.Symbol("z", real=True)
    with pytest.raises(VerifyError, match="integrand"):
        quadrature_value(expect(sp.exp(z), [z]), {}, 30)
    with pytest.raises(VerifyError, match="degree"):
        quadrature_value(expect(z**6, [z]), {}, 30)
    assert abs(quadrature_value(expect(z**4, [z]), {}, 30) - 3) < 1e-25


def test_domain_rejects_too_few_points():
    with pytest.raises(VerifyError, match="points"):
        Domain(points=3)


def test_finite_limit_check_fails_on_a_jump_and_reports_sub_precision_noise_as_zero():
    import sympy as sp

    from verify import Status
    from verify.derivation import check_finite_limit

    v, a = sp.symbols("v a", positive=True)
    smooth = check_finite_limit(a + v**2, v, "smooth")
    assert smooth.status is Status.PROVED and smooth.worst_error == 0.0  # 1e-60 is below 50 digits of a
    assert check_finite_limit(a + 1 / v, v, "pole").status is Status.FAILED
    assert check_finite_limit(a + v ** sp.Rational(1, 3), v, "slow").status is Status.FAILED  # 1e-10 > LIMIT_ATOL
