"""Statement "displays": the transcription of every display of Sections 2-5 and Appendices A-C is
type-checked; the ill-typed ones are found by the checker (not listed by hand), each has a
corrected typing that checks, the errata come from the failing checks, and mutating a correct
display is caught."""
from dataclasses import replace

import pytest

from proofs.koehler2022 import displays as D
from verify import Status, Verdict
from verify.claims import Role
from verify.shapes import (Call, DiagEntry, Eye, Idx, Norm, Problem, Row, Sum, Sym, analyse,
                           transpose_mutants)


@pytest.fixture(scope="module")
def results():
    return {r.display.key: r for r in D.check_displays()}


def test_every_display_is_transcribed_once():
    keys = [dsp.key for dsp in D.DISPLAYS]
    assert len(keys) == len(set(keys)) >= 70
    numbered = {"eq3", "eq4", "eq5", "eq6", "eq7", "eq8", "eq9_10"}
    assert numbered <= set(keys)
    # (1) and (2) are typed inside Theorem 2 and Theorem 5
    assert "(1)" in D.DISPLAYS[keys.index("s3_theorem2")].where and "(2)" in D.DISPLAYS[keys.index("s3_theorem2")].where
    wheres = " ".join(dsp.where for dsp in D.DISPLAYS)
    for part in ("Section 2", "Section 3", "Section 4", "Section 4.1", "Section 4.2", "Section 5", "Appendix A",
                 "Appendix B.1", "Appendix C"):
        assert part in wheres


def test_the_known_errors_are_found_by_the_checker(results):
    # Lemma 5's proof display sums over i where j (a fresh index) is meant
    assert {p.kind for p in results["s5_lemma5_d4"].problems} == {"binding", "index"}
    # Theorem 5, eq. (7): A is d x r there, the flow (1) is of L1_A with A in R^{d x r*}
    assert any("r = r*" in p.message for p in results["eq7"].problems)
    # the proof of Theorem 5 rotates Ãᵀ by the d x d U: needs d = r
    assert all("d = r" in p.message for p in results["s5_theorem5_proof"].problems)
    # Lemma 4: ∇_{UB̃} of a product (d x d)(r x d)
    assert {"shape", "argument"} <= {p.kind for p in results["s5_lemma4_grad_B"].problems}
    # L1 called with 4 arguments (Section 5) and with D̃ in the place of ε̃ (proof of Theorem 3)
    assert [p.kind for p in results["s5_l1"].problems] == ["arity"]
    assert [p.kind for p in results["s41_theorem3_l1_bound"].problems] == ["argument"]
    # ε where the section writes ε̃, r̃ declared nowhere, Θ for Θ̃
    assert [p.kind for p in results["s42_proof_value"].problems] == ["notation"]
    assert "notation" in {p.kind for p in results["eq9_10"].problems}
    assert "Θ̃" in results["s5_lemma6_proof"].problems[0].message
    # (6) needs r >= r* + s, which Theorem 4 does not assume
    assert "r* + s <= r" in results["eq6"].problems[0].message


def test_the_failing_set_is_stable(results):
    """Regression: the checker's set of ill-typed displays (any change must be looked at)."""
    failing = {key for key, r in results.items() if r.problems}
    assert failing == {
        "s2_generator", "s3_lucas", "s3_l1", "s3_theorem2", "s41_setup", "s41_theorem3_reconstruction",
        "s41_theorem3_l1_bound", "s42_ground_truth", "eq6", "s42_proof_stationary", "s42_proof_value", "s5_l1",
        "eq7", "s5_lemma4_grad_B", "s5_lemma5_d4", "s5_lemma5_d5", "s5_lemma6_proof", "s5_theorem5_basis",
        "s5_theorem5_proof", "s5_theorem5_rows", "eq9_10", "a_lemma8_expectation"}


def test_correct_displays_pass(results):
    for key in ("eq3", "eq4", "eq5", "eq8", "s5_lemma4_loss", "s5_lemma4_grad_A", "s5_lemma5", "s5_lemma5_d1",
                "s5_lemma6", "c_lemma4_loss", "c_lemma4_grad_B", "s42_proof_loss", "a_lemma7_elbo"):
        assert results[key].problems == (), key


def test_every_failing_display_has_a_correction_that_typechecks(results):
    for key, r in results.items():
        if r.problems:
            assert r.display.correction, key
            assert r.corrected_problems == (), (key, r.corrected_problems)


def test_theorem5_only_the_column_span_reading_is_well_typed():
    readings = D.readings_of_7()
    assert [bool(problems) for _, problems in readings] == [True, True, True, False]
    assert "r* = r" in readings[1][1][0].message and "d = r" in readings[2][1][0].message


def test_mutating_correct_displays_is_caught():
    """Transposing any one non-square factor of these displays makes them ill typed."""
    fully = ("eq3", "eq4", "eq8", "s5_lemma4_loss", "s5_lemma4_grad_A", "s5_lemma4_descent", "s5_lemma5",
             "s5_lemma5_d1", "s5_lemma5_d2", "s5_lemma5_d3", "c_lemma4_loss", "c_lemma4_grad_A", "c_lemma4_grad_B",
             "s42_proof_loss", "s42_decoder")
    by_key = {dsp.key: dsp for dsp in D.DISPLAYS}
    total = caught = 0
    for key in fully:
        dsp = by_key[key]
        for n, formula in enumerate(dsp.formulas):
            for desc, mutant in transpose_mutants(formula, dsp.notation, dsp.assumptions):
                formulas = list(dsp.formulas)
                formulas[n] = mutant
                total += 1
                problems = analyse(formulas, dsp.notation, dsp.indices, dsp.assumptions).problems
                assert problems, f"{key}: {desc} not caught"
                caught += 1
    assert total >= 100


def test_other_mutations_of_a_correct_display_are_caught():
    by_key = {dsp.key: dsp for dsp in D.DISPLAYS}
    eq4, thm4 = by_key["eq4"], by_key["s42_proof_optimum"]
    i = Idx("i")
    At, Dt = Sym("Ã"), Sym("D̃")
    # (4)'s trace term summed over the rows of Ã instead of its columns
    rows = Sum(i, DiagEntry(Dt, i) * Norm(Row(At, i)) ** 2)
    assert analyse([rows], eq4.notation).problems and not analyse([D.linear_loss()], eq4.notation).problems
    # Theorem 4's sum to r + 1 instead of r* + 1 (outside the diagonal of D̃)
    assert not analyse([Sum(i, DiagEntry(Dt, i), hi=D.rs + 1)], thm4.notation, {}, thm4.assumptions).problems
    out = analyse([Sum(i, DiagEntry(Dt, i), hi=D.r + 1)], thm4.notation, {}, thm4.assumptions).problems
    assert [p.kind for p in out] == ["index"]
    # L's arguments swapped
    assert analyse([Call(Sym("L"), At, Sym("B̃"), Sym("ε̃"), Dt)], eq4.notation).problems


def test_cross_display_definitions_flag_the_minority():
    by_key = {dsp.key: dsp for dsp in D.DISPLAYS}
    problems = D.definition_problems(D.DISPLAYS)
    assert set(problems) == {"s2_generator"}
    assert "ε²I" in problems["s2_generator"][0].message
    # when εI is the majority, the ε²I display is the one flagged
    eps_I = D.eps * Eye()
    altered = [by_key["s2_generator"], replace(by_key["s4_model"], defines={"decoder covariance": eps_I}),
               by_key["s41_setup"]]
    assert set(D.definition_problems(altered)) == {"s41_setup"}


def test_statement_verdict_and_errata(checked):
    result = checked("displays")
    assert result.verdict is Verdict.HOLDS_AS_CORRECTED
    statement = [e for e in result.evidence if e.role is Role.STATEMENT]
    corrections = [e for e in result.evidence if e.role is Role.CORRECTION]
    failed = [e for e in statement if e.status is Status.FAILED]
    assert len(statement) == len(D.DISPLAYS) and len(failed) == 22
    assert len(corrections) == len(failed) and all(e.status is Status.PROVED for e in corrections)
    assert len(result.errata) == len(failed)
    witnesses = {e.item.witness for e in failed}
    for erratum in result.errata:
        assert erratum.witness in witnesses  # made by erratum_from from the failing check
        assert erratum.correction_status is Status.PROVED
    assert f"{len(D.DISPLAYS)} formulas type-checked" in result.summary and "22 with type errors" in result.summary


def test_problem_is_printable():
    assert str(Problem("shape", "XY", "bad")) == "[shape] XY: bad"
