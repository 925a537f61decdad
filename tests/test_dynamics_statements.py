"""Lemmas 4, 6 and Theorem 5: verdicts from the checks, and mutations that the checks catch."""


from verify import Status, Verdict



def test_theorem5_as_printed_fails_and_the_corrected_form_holds(checked):
    r = checked("theorem5")
    assert r.verdict is Verdict.HOLDS_AS_CORRECTED
    assert r.errata and "W = span of the columns of A" in r.errata[0].correction
    assert r.figures and r.figures[0].png.startswith(b"\x89PNG")


def test_lemma6_holds_numerically_with_the_proof_display(checked):
    r = checked("lemma6")
    assert r.verdict is Verdict.VERIFIED_NUMERICALLY
    assert all(e.status is Status.NUMERIC for e in r.evidence)


def test_lemma4_is_proved_symbolically_with_a_notation_erratum(checked):
    r = checked("lemma4")
    assert r.verdict is Verdict.VERIFIED
    assert any("UB̃" in e.printed for e in r.errata)


def test_lemma4_symbolic_check_catches_a_wrong_rotation(monkeypatch):
    import sympy as sp
    from proofs.koehler2022 import lemma4_rotation_invariance as l4

    # not orthogonal: the second column has the wrong sign convention and scale
    monkeypatch.setattr(l4, "rotation", lambda s=l4.S: sp.Matrix([[1 - s**2, -s], [2 * s, 1 - s**2]]) / (1 + s**2))
    assert any(d.status is Status.FAILED for d in l4.symbolic_derivations(1, "L1"))


def test_lemma6_catches_a_wrong_rate():
    from proofs.koehler2022 import lemma6_row_decay as l6
    from verify.numeric import flow_cases

    cases = [c for c in flow_cases() if not c.rotated]
    assert l6.decay_check(cases, 1.0).status is Status.NUMERIC
    assert l6.decay_check(cases, 50.0).status is Status.FAILED


def test_theorem5_catches_a_wrong_rate():
    from proofs.koehler2022 import theorem5_implicit_bias as t5
    from verify.numeric import flow_cases

    assert t5.trajectory_checks(flow_cases(), "eps", 50.0).status is Status.FAILED


def test_existence_record_detects_a_finite_time_end_and_follows_the_run():
    import dataclasses

    import numpy as np

    from verify.numeric import gradient_flow, random_instance
    from verify.numeric._experiments import existence_record, existence_summary

    inst = random_instance(4, 3, 2, seed=2, rank=1)
    ends = gradient_flow(inst.A, inst.x0, t_end=1e3, eps_floor=1e-3)
    rec = existence_record(ends, inst.A, "case")
    assert rec.ends and rec.end_time >= rec.t_stop and rec.q_end > 0
    short = gradient_flow(inst.A, inst.x0, t_end=0.05)  # stops at t_end: no end is claimed
    assert not existence_record(short, inst.A, "case").ends
    text, _ = existence_summary([rec], "flow (1)")
    mutated = dataclasses.replace(ends, mass_outside=ends.mass_outside * np.linspace(1, 0.5, len(ends.t)))
    text2, _ = existence_summary([existence_record(mutated, inst.A, "case")], "flow (1)")
    assert text != text2  # the finding's numbers come from the run


def test_rate_witness_follows_the_run():
    import dataclasses

    from verify.numeric import gradient_flow, random_instance
    from verify.numeric._experiments import rate_witness

    inst = random_instance(4, 3, 2, seed=2, rank=1)
    res = gradient_flow(inst.A, inst.x0, t_end=1e3, eps_floor=1e-3)
    w = rate_witness(res, res.mass_outside, "x")
    assert w.c >= 1.0
    slower = dataclasses.replace(res, mass_outside=res.mass_outside ** 0.5 * res.mass_outside[0] ** 0.5)
    assert rate_witness(slower, slower.mass_outside, "x").c < w.c
