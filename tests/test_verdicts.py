"""The verdict logic: labels never claim more than the evidence shows, a failed printed step can
never be verified, errata come from checks, and coverage of the whole scope is checked."""
import pytest
import sympy as sp

from verify import (Check, Coverage, Derivation, Domain, Evidence, ProofReport, Relation, Role, Statement,
                    Status, Verdict, erratum_from)
from verify.claims import ClaimResult, run_check, verdict_of

X = sp.Symbol("x", positive=True)
D = sp.Symbol("d", positive=True, integer=True)
K = sp.Symbol("k", positive=True, integer=True)
#: an expression in the dimension symbol d that equals 2x for every d: Σ_{k=1}^{d} 2x/d
DIMENSIONAL = sp.Sum(2 * X / D, (K, 1, D))
STATEMENT = Statement("thing", "a thing", "Lemma 0", "x + x = 2x", scope="every d", dimensions=("d",))
PLAIN = Statement("plain", "no dimensions", "Lemma 0", "x + x = 2x")


def chain(steps, start=2 * X):
    der = Derivation("test chain", start, "start", Domain())
    for expr, kwargs in steps:
        der.step(expr, "a step", **kwargs)
    return der


def check(status, witness=None):
    return Check("c", status, "test", "here", witness=witness)


def test_a_proof_at_bounded_shapes_is_only_verified_bounded():
    ev = [Evidence(Role.STATEMENT, chain([(X + X, {})]), scope="x only")]
    assert verdict_of(STATEMENT, ev)[0] is Verdict.VERIFIED_BOUNDED


def test_whole_scope_needs_the_dimension_symbols_in_the_derivation():
    free_of_d = Evidence(Role.STATEMENT, chain([(X + X, {})]), coverage=Coverage.ALL)
    with pytest.raises(ValueError, match="dimension symbols"):
        verdict_of(STATEMENT, [free_of_d])
    # run_check turns that into an inconclusive result that shows the error, never "verified"
    res = run_check(STATEMENT, lambda: ProofReport([free_of_d], "claims too much"))
    assert res.verdict is Verdict.INCONCLUSIVE and "dimension symbols" in res.error
    with_d = Evidence(Role.STATEMENT, chain([(2 * X, {})], start=DIMENSIONAL), coverage=Coverage.ALL)
    assert verdict_of(STATEMENT, [with_d])[0] is Verdict.VERIFIED
    # a statement without dimensions is proved for its whole scope by a proof of it
    assert verdict_of(PLAIN, [Evidence(Role.STATEMENT, chain([(X + X, {})]), coverage=Coverage.ALL)])[0] \
        is Verdict.VERIFIED


def test_one_bounded_item_keeps_the_verdict_bounded_and_one_numeric_item_makes_it_numeric():
    full = Evidence(Role.STATEMENT, chain([(2 * X, {})], start=DIMENSIONAL), coverage=Coverage.ALL)
    bounded = Evidence(Role.STATEMENT, chain([(X + X, {})]))
    assert verdict_of(STATEMENT, [full, bounded])[0] is Verdict.VERIFIED_BOUNDED
    numeric = Evidence(Role.STATEMENT, check(Status.NUMERIC))
    assert verdict_of(STATEMENT, [full, numeric])[0] is Verdict.VERIFIED_NUMERICALLY
    # support items corroborate: a numeric one does not downgrade, a failed one refutes
    assert verdict_of(STATEMENT, [full, Evidence(Role.SUPPORT, check(Status.NUMERIC))])[0] is Verdict.VERIFIED
    assert verdict_of(STATEMENT, [full, Evidence(Role.SUPPORT, check(Status.FAILED, "w"))])[0] is Verdict.REFUTED


def test_a_failed_printed_step_is_never_verified_even_when_its_correction_holds():
    der = chain([(3 * X, dict(correction=X + X, correction_reason="fixed"))])
    assert der.status is Status.PROVED  # the corrected chain is fine ...
    assert der.printed_status is Status.FAILED  # ... but the printed one is not
    ev = [Evidence(Role.STATEMENT, der, coverage=Coverage.BOUNDED)]
    assert verdict_of(STATEMENT, ev)[0] is Verdict.HOLDS_AS_CORRECTED
    res = ClaimResult.from_report(STATEMENT, ProofReport(ev, "s"), 0.0)
    (erratum,) = res.errata
    assert erratum.correction_status is Status.PROVED and "x" in erratum.witness


def test_a_failed_printed_step_without_correction_is_refuted():
    der = chain([(3 * X, {})])
    assert verdict_of(STATEMENT, [Evidence(Role.STATEMENT, der)])[0] is Verdict.REFUTED
    # a correction that fails too leaves it refuted
    bad_fix = chain([(3 * X, dict(correction=4 * X))])
    assert verdict_of(STATEMENT, [Evidence(Role.STATEMENT, bad_fix)])[0] is Verdict.REFUTED


def test_a_failed_proof_step_is_reported_but_does_not_decide_the_verdict():
    ok = Evidence(Role.STATEMENT, chain([(X + X, {})]))
    proof = Evidence(Role.PROOF, chain([(3 * X, {})]))
    res = ClaimResult.from_report(STATEMENT, ProofReport([ok, proof], "s"), 0.0)
    assert res.verdict is Verdict.VERIFIED_BOUNDED and len(res.errata) == 1


def test_erratum_from_is_conditional_and_takes_its_status_from_the_correction_check():
    assert erratum_from("w", "p", check(Status.PROVED), "c", check(Status.PROVED)) is None
    e = erratum_from("w", "p", check(Status.FAILED, "at x=1"), "c", check(Status.NUMERIC))
    assert e.correction_status is Status.NUMERIC and e.witness == "at x=1"
    e = erratum_from("w", "p", check(Status.FAILED, "at x=1"), "c", [check(Status.PROVED), check(Status.FAILED, "y")])
    assert e.correction_status is Status.FAILED
    e = erratum_from("w", "p", check(Status.FAILED, "at x=1"), "c", None)
    assert e.correction_status is Status.UNDECIDED


def test_corrections_decide_holds_as_corrected_or_refuted():
    printed = Evidence(Role.STATEMENT, check(Status.FAILED, "w"))
    assert verdict_of(PLAIN, [printed, Evidence(Role.CORRECTION, check(Status.NUMERIC))])[0] \
        is Verdict.HOLDS_AS_CORRECTED
    assert verdict_of(PLAIN, [printed, Evidence(Role.CORRECTION, check(Status.FAILED, "v"))])[0] is Verdict.REFUTED
    assert verdict_of(PLAIN, [printed])[0] is Verdict.REFUTED
    assert verdict_of(PLAIN, [Evidence(Role.STATEMENT, check(Status.UNDECIDED))])[0] is Verdict.INCONCLUSIVE


def test_a_proof_must_return_a_proof_report_with_evidence():
    assert run_check(PLAIN, lambda: ([], "old tuple")).verdict is Verdict.INCONCLUSIVE
    with pytest.raises(ValueError, match="evidence"):
        ProofReport([], "nothing")
    with pytest.raises(ValueError, match="role"):
        Evidence("nonsense", check(Status.PROVED))


def test_derivation_relations_are_checked_in_both_directions():
    assert chain([(X, dict(relation=Relation.GE))]).status is Status.PROVED  # 2x >= x for x > 0
    assert chain([(3 * X, dict(relation=Relation.GE))]).printed_status is Status.FAILED
