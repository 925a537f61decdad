"""A new paper is a plug-in: a tiny fixture paper (statements, a proof, an experiment with an
option) works with ``list``, ``check``, ``report`` and ``reproduce`` without any edit in verify/."""
import json

import pytest
import sympy as sp

from proofs.koehler2022 import PAPER as MAIN
from verify import (Check, Coverage, Derivation, Domain, Evidence, Option, Paper, ProofReport, Role, Statement,
                    Status, registry)
from verify.cli import main

X = sp.Symbol("x", positive=True)


def _tiny() -> Paper:
    paper = Paper("tiny2024", "A tiny paper", "Nobody (2024). A tiny paper.", package="tests",
                  sections=(("Section 1", "Intro"),),
                  statements=[Statement("lemma1", "doubling", "Lemma 1, Section 1", "x + x = 2x", formula="x+x=2x",
                                        scope="every x > 0"),
                              Statement("lemma2", "unchecked", "Lemma 2, Section 1", "later")])
    paper._loaded = True  # its proofs are registered right here, not in modules of a package

    @paper.proof("lemma1")
    def lemma1() -> ProofReport:
        der = Derivation("x + x", X + X, "definition", Domain())
        der.step(2 * X, "collect")
        return ProofReport([Evidence(Role.STATEMENT, der, scope="every x > 0", coverage=Coverage.ALL)], "fine")

    @paper.experiment("count", statement="lemma1", description="counts to N",
                      options=(Option("--n", int, 3, "how far", minimum=1, maximum=100),))
    def count(options) -> ProofReport:
        ok = sum(range(options["n"] + 1)) == options["n"] * (options["n"] + 1) // 2
        return ProofReport([Evidence(Role.STATEMENT, Check(f"Gauss for n={options['n']}",
                                                           Status.PROVED if ok else Status.FAILED, "sum",
                                                           "n", witness=None if ok else "n"))], "counted")

    return paper


@pytest.fixture
def tiny():
    paper = _tiny()
    with registry.only(MAIN, paper):
        yield paper


def test_list_check_and_report_take_a_new_paper(tiny, tmp_path, capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "tiny2024:lemma1" in out and "tiny2024:lemma2" in out and "not yet checked" in out
    assert main(["check", "tiny2024:lemma1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (entry,) = doc["statements"]
    assert entry["paper"] == "tiny2024" and entry["verdict"] == "verified"
    assert main(["check", "tiny2024:lemma2"]) == 1  # not checked yet
    assert main(["report", "--paper", "tiny2024", "--out", str(tmp_path / "r")]) == 0
    doc = json.loads((tmp_path / "r" / "report.json").read_text())
    assert [e["id"] for e in doc["statements"]] == ["lemma1", "lemma2"]
    assert doc["papers"][0]["key"] == "tiny2024"
    assert not (tmp_path / "r" / "partial").exists()


def test_reproduce_takes_a_new_experiment_and_its_declared_option(tiny, tmp_path, capsys):
    assert main(["reproduce", "tiny2024:count", "--n", "5", "--out", str(tmp_path / "x")]) == 0
    assert "Gauss for n=5" in (tmp_path / "x" / "report.md").read_text()
    capsys.readouterr()
    assert main(["reproduce", "tiny2024:count", "--n", "1000", "--out", str(tmp_path / "y")]) == 2
    assert "--n" in capsys.readouterr().err and not (tmp_path / "y").exists()


def test_short_ids_resolve_in_the_main_paper_and_qualified_ids_anywhere(tiny):
    assert registry.resolve("lemma1")[0] is MAIN
    assert registry.resolve("tiny2024:lemma1")[0] is tiny
    with pytest.raises(ValueError, match="unknown"):
        registry.resolve("tiny2024:lemma9")


def test_a_proof_registers_once_per_statement(tiny):
    with pytest.raises(ValueError, match="already has a proof"):
        tiny.proof("lemma1")(lambda: None)
    with pytest.raises(ValueError, match="unknown"):
        tiny.proof("lemma7")


def test_the_main_paper_owns_short_ids_whatever_the_order():
    tiny = _tiny()
    with registry.only(tiny, MAIN):
        assert registry.main is MAIN and registry.resolve("lemma1")[0] is MAIN
    with registry.only(tiny):
        assert registry.main is tiny  # no paper marked main: the first one


def test_html_escapes_notes_and_a_format_switch_leaves_no_stale_report(tmp_path, capsys):
    paper = _tiny()
    original = paper.proofs["lemma1"]

    def with_html_note():
        rep = original()
        return ProofReport(rep.evidence, rep.summary + " <b>bold</b>", notes=("<script>alert(1)</script> | a | b |",))

    paper.proofs["lemma1"] = with_html_note
    with registry.only(MAIN, paper):
        out = tmp_path / "r"
        assert main(["report", "--paper", "tiny2024", "--out", str(out)]) == 0
        assert (out / "report.md").exists()
        assert main(["report", "--paper", "tiny2024", "--out", str(out), "--format", "html"]) == 0
    page = (out / "report.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page and "<b>bold</b>" not in page
    assert not (out / "report.md").exists()  # the md report of the earlier run is not left beside the new json
