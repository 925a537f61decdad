"""The paper as a dependency graph: declared uses == what the code uses (ast), derived verdicts of
informal claims, the drawings; each check shown to fail on a wrong declaration or premise."""
from __future__ import annotations

import pytest

from verify import Statement, VerifyError, registry
from verify.claims import Verdict
from verify.graph import (build_graph, closure, code_uses, declaration_problems, derived_verdict, mermaid, svg)
from verify.paper import Informal, Paper


@pytest.fixture(scope="module")
def paper():
    return registry.paper("koehler2022").load()


def test_the_main_paper_declares_what_its_code_uses(paper):
    assert declaration_problems(paper) == []


def test_every_registered_paper_has_a_graph_that_matches_its_code():
    for p in registry.papers.values():
        g = build_graph(p)
        assert set(s.id for s in p.statements) <= set(g.nodes), p.key
        assert declaration_problems(p) == [], p.key  # the companion papers are checked like the main one


def test_a_companion_papers_wrong_declarations_are_caught(monkeypatch):
    rz = registry.paper("reizinger2022").load()
    # gap_ima takes the optimal encoder from self_consistency's result (optimal_encoder, named by establishes)
    assert code_uses(rz)["gap_ima"] == ("self_consistency",)
    monkeypatch.setitem(rz.establishes, "self_consistency", ())
    assert declaration_problems(rz) == ["reizinger2022:gap_ima declares self_consistency but its code does not use it"]
    dai = registry.paper("dai2017").load()
    monkeypatch.setitem(dai.uses, "ppca_encoder", ())
    assert declaration_problems(dai) == ["dai2017:ppca_encoder uses ppca_optimum in its code but does not declare it"]
    wipf = registry.paper("wipf2023").load()
    monkeypatch.setitem(wipf.uses, "vae_no_bad_minima", ("ae_bad_minima",))
    assert declaration_problems(wipf) == ["wipf2023:vae_no_bad_minima declares ae_bad_minima but its code does not use it"]


def test_theorem5_uses_lemmas_4_and_6_in_its_code(paper):
    assert code_uses(paper)["theorem5"] == ("lemma4", "lemma6")
    assert code_uses(paper)["lemma6"] == ("lemma3", "lemma5", "lemma8")
    assert "theorem3" not in code_uses(paper)["lemma1"]  # instances come from the neutral module


def test_an_undeclared_use_is_caught(paper, monkeypatch):
    monkeypatch.setitem(paper.uses, "theorem5", ("lemma4",))
    assert declaration_problems(paper) == ["koehler2022:theorem5 uses lemma6 in its code but does not declare it"]


def test_an_unused_declaration_is_caught(paper, monkeypatch):
    monkeypatch.setitem(paper.uses, "lemma2", ("lemma8", "lemma5"))
    assert declaration_problems(paper) == ["koehler2022:lemma2 declares lemma5 but its code does not use it"]


def test_a_library_object_that_establishes_a_result_counts_as_a_use(paper, monkeypatch):
    # without loss_L1/optimal_D/objective named as Lemma 3's, theorem3's import of them goes unseen
    monkeypatch.setitem(paper.establishes, "lemma3", ())
    problems = declaration_problems(paper)
    assert "koehler2022:theorem3 declares lemma3 but its code does not use it" in problems


def test_an_unknown_establishing_name_is_an_error(paper, monkeypatch):
    monkeypatch.setitem(paper.establishes, "lemma3", ("verify.numeric.no_such_thing",))
    with pytest.raises(VerifyError, match="names no importable object"):
        code_uses(paper)


def test_derived_verdict_rules():
    V = Verdict
    assert derived_verdict({"a": V.VERIFIED, "b": V.VERIFIED_BOUNDED}) == (V.VERIFIED_BOUNDED,
                                                                           "the weakest premise is verified_bounded")
    assert derived_verdict({"a": V.VERIFIED, "b": V.VERIFIED_NUMERICALLY})[0] is V.VERIFIED_NUMERICALLY
    assert derived_verdict({"a": V.VERIFIED})[0] is V.VERIFIED
    v, why = derived_verdict({"a": V.VERIFIED, "b": V.HOLDS_AS_CORRECTED})
    assert v is V.HOLDS_AS_CORRECTED and why == "rests on b, which holds only as corrected"
    v, why = derived_verdict({"a": V.REFUTED, "b": V.HOLDS_AS_CORRECTED})
    assert v is V.INCONCLUSIVE and why == "rests on a refuted premise: a"
    assert derived_verdict({"a": None, "b": V.VERIFIED})[0] is V.INCONCLUSIVE
    assert derived_verdict({"a": V.INCONCLUSIVE})[0] is V.INCONCLUSIVE
    assert derived_verdict({})[0] is V.INCONCLUSIVE


def test_informal_verdicts_follow_their_premises(paper):
    good = {s.id: "verified" for s in paper.statements}
    g = build_graph(paper, good)
    assert g.nodes["theorem2"]["verdict"] == "verified"
    g = build_graph(paper, {**good, "theorem5": "holds_as_corrected"})
    assert g.nodes["theorem2"]["verdict"] == "holds_as_corrected"
    assert g.nodes["conclusion_linear"]["verdict"] == "holds_as_corrected"  # through theorem2
    g = build_graph(paper, {**good, "theorem3": "refuted"})
    assert g.nodes["theorem1"]["verdict"] == "inconclusive"
    assert g.nodes["theorem1"]["reason"] == "rests on a refuted premise: theorem3"
    g = build_graph(paper, {**good, "table1": "verified_numerically"})
    assert g.nodes["abstract_linear"]["verdict"] == "verified_numerically"


def test_closure_is_transitive_and_ordered(paper):
    g = build_graph(paper)
    below = closure(g, "theorem5")
    assert set(below) == {"lemma3", "lemma4", "lemma5", "lemma6", "lemma8"}
    assert below.index("lemma8") < below.index("lemma3") < below.index("lemma5") < below.index("lemma6")
    assert set(closure(g, "conclusion_linear")) >= {"theorem1", "theorem2", "theorem5", "lemma1", "lemma7"}


def _fixture_paper(uses=()):
    statements = [Statement("a", "A", "Lemma A", "a holds"), Statement("b", "B", "Lemma B", "b holds")]
    p = Paper("graphfixture", "Fixture", "Fixture (2024)", package="tests", sections=(), statements=statements)
    p._loaded = True
    p.uses.update({"b": tuple(uses)})
    return p


def test_a_paper_without_uses_or_informal_claims_has_a_graph():
    g = build_graph(_fixture_paper())
    assert sorted(g.nodes) == ["a", "b"] and not g.edges
    assert "graph BT" in mermaid(g) and svg(g).startswith("<svg")


def test_a_cycle_and_an_unknown_premise_are_errors():
    p = _fixture_paper(("a",))
    p.uses["a"] = ("b",)
    with pytest.raises(VerifyError, match="cycle"):
        build_graph(p)
    p = _fixture_paper(("zzz",))
    with pytest.raises(VerifyError, match="names no statement"):
        build_graph(p)
    with pytest.raises(VerifyError, match="names no formal premise"):
        Informal("x", "X", "Intro", "x", ())


def test_drawings_are_deterministic_and_link_each_node(paper):
    g = build_graph(paper, {"theorem5": "holds_as_corrected", "lemma6": "verified_numerically"})
    m = mermaid(g)
    assert "lemma6 --> theorem5" in m
    assert any(line.startswith("  class ") and "theorem5" in line and line.endswith(" holds_as_corrected")
               for line in m.splitlines())
    one, two = svg(g, lambda n: f"#koehler2022-{n}"), svg(g, lambda n: f"#koehler2022-{n}")
    assert one == two
    assert 'href="#koehler2022-theorem5"' in one
    assert "<script" not in one and 'href="http' not in one and 'src=' not in one  # offline: no script, no fetch


def test_why_reads_a_report_and_flags_corrected_and_refuted_premises(paper, tmp_path, capsys):
    import json

    from verify.cli import main

    verdicts = {s.id: "verified" for s in paper.statements} | {"lemma6": "holds_as_corrected"}
    doc = {"statements": [{"paper": paper.key, "id": k, "verdict": v} for k, v in verdicts.items()]}
    (tmp_path / "report.json").write_text(json.dumps(doc))
    assert main(["why", "theorem5", "--report", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "rests on lemma6, which holds only as corrected" in out and "lemma8" in out
    doc["statements"][0]["verdict"] = "refuted"  # lemma1, below theorem3 and theorem1
    (tmp_path / "report.json").write_text(json.dumps(doc))
    assert main(["why", "theorem1", "--report", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "theorem1" in out and "rests on lemma1, which is refuted" in out  # transitively, via theorem3
    assert main(["why", "lemma7", "--report", str(tmp_path)]) == 0
    assert "rests on nothing else in the paper" in capsys.readouterr().out
