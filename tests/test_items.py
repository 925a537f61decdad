"""Proofs made of named items: ``vae-verify check ID --only NAME`` evaluates only the named item's
builder (counted here), recomputes the same numbers as the full check, and computes its verdict
from that item alone; a proof without items says in its provenance that --only reruns it whole."""
import json
import shlex

import pytest
import sympy as sp

from proofs.koehler2022 import PAPER as MAIN
from verify import Check, Coverage, Derivation, Domain, Evidence, Paper, ProofReport, Role, Statement, Status, \
    VerifyError, registry
from verify.claims import Items
from verify.cli import main
from verify.html import render_html
from verify.report import render_markdown, report_dict, split_timings

X = sp.Symbol("x", positive=True)


def _fixture(calls: dict, wrong: str = "") -> Paper:
    """Statement ``itemized`` (items ``double``, ``square``, ``search``), statement ``whole`` (no items)."""
    paper = Paper("items2024", "Items", "Nobody (2024). Items.", package="tests", sections=(),
                  statements=[Statement("itemized", "two identities", "Lemma 1", "x + x = 2x and x·x = x²"),
                              Statement("whole", "one identity", "Lemma 2", "x + x = 2x")])
    paper._loaded = True

    def count(name):
        calls[name] = calls.get(name, 0) + 1

    @paper.item("itemized", "double")
    def double():
        count("double")
        der = Derivation("x + x", X + X, "definition", Domain())
        der.step(3 * X if wrong == "double" else 2 * X, "collect")
        return Evidence(Role.STATEMENT, der, scope="every x > 0", coverage=Coverage.ALL)

    @paper.item("itemized", "square")
    def square():
        count("square")
        der = Derivation("x·x", X * X, "definition", Domain())
        der.step(X**2, "power")
        return [Evidence(Role.STATEMENT, der, scope="every x > 0", coverage=Coverage.ALL),
                Evidence(Role.SUPPORT, Check("x·x at x = 3", Status.NUMERIC, "float", "x = 3", 0.0))]

    @paper.item("itemized", "search")
    def search():
        count("search")
        return Evidence(Role.SUPPORT, Check("no counterexample", Status.NUMERIC, "grid", "x in 1..9", 1e-16))

    @paper.proof("itemized")
    def itemized() -> ProofReport:
        count("proof")
        return ProofReport.from_items(paper.evaluate("itemized"), "both identities")

    @paper.proof("whole")
    def whole() -> ProofReport:
        count("whole")
        der = Derivation("x + x", X + X, "definition", Domain())
        der.step(2 * X, "collect")
        return ProofReport([Evidence(Role.STATEMENT, der, scope="every x > 0", coverage=Coverage.ALL),
                            Evidence(Role.SUPPORT, Check("x = 1", Status.NUMERIC, "float", "x = 1", 0.0))], "fine")

    return paper


def test_a_whole_check_evaluates_every_item_once_and_names_them():
    calls = {}
    res = _fixture(calls).check("itemized")
    assert calls == {"proof": 1, "double": 1, "square": 1, "search": 1}
    assert res.items == ("double", "square", "square", "search") and res.verdict.value == "verified"
    assert res.only == () and res.recomputed == ""


def test_only_evaluates_the_named_item_and_nothing_else():
    calls = {}
    res = _fixture(calls).check("itemized", only=["square"])
    assert calls == {"square": 1}  # neither the proof function nor the other builders ran
    assert res.recomputed == "items" and res.only == ("square",) and res.items == ("square", "square")
    assert res.verdict.value == "verified"


def test_the_verdict_of_an_item_alone_can_fail():
    calls = {}
    paper = _fixture(calls, wrong="double")
    assert paper.check("itemized", only=["double"]).verdict.value == "refuted"  # x + x = 3x is false
    assert paper.check("itemized", only=["square"]).verdict.value == "verified"  # not touched by the mutation
    assert paper.check("itemized", only=["search"]).verdict.value == "inconclusive"  # no statement item alone


def test_unknown_items_and_bad_names_are_errors():
    paper = _fixture({})
    with pytest.raises(VerifyError, match="known: double, square, search"):
        paper.check("itemized", only=["cube"])
    for bad in ("3", "a b", "", "x:y"):
        with pytest.raises(VerifyError, match="item name"):
            paper.item("itemized", bad)
    with pytest.raises(VerifyError, match="one item name per evidence item"):
        ProofReport([Evidence(Role.STATEMENT, Check("c", Status.NUMERIC, "m", "s"))], "s", items=("a", "b"))
    with pytest.raises(VerifyError, match="must be the Items"):
        ProofReport.from_items({"a": ()}, "s")
    with pytest.raises(VerifyError, match="has no registered items"):
        paper.evaluate("whole")

    @paper.item("whole", "nothing")
    def nothing():
        return []

    with pytest.raises(VerifyError, match="non-empty sequence"):
        paper.evaluate("whole")


def test_a_proof_without_items_is_rerun_whole_and_says_so():
    calls = {}
    paper = _fixture(calls)
    res = paper.check("whole", only=["1"])
    assert calls == {"whole": 1} and res.recomputed == "whole" and len(res.evidence) == 1
    assert res.verdict.value == "inconclusive"  # the support check alone decides nothing
    assert paper.check("whole", only=["0"]).verdict.value == "verified"
    with pytest.raises(VerifyError, match="names no evidence item"):
        paper.check("whole", only=["7"])


def _commands(doc: dict, sid: str) -> dict:
    (entry,) = [e for e in doc["statements"] if e["id"] == sid]
    return {ev["provenance"]["item"]: ev["provenance"]["command"] for ev in entry["evidence"]}


def _evidence(doc: dict, sid: str) -> list:
    clean, _ = split_timings(doc)
    (entry,) = [e for e in clean["statements"] if e["id"] == sid]
    return [{k: v for k, v in ev.items() if k != "provenance"} for ev in entry["evidence"]]


def test_each_provenance_command_recomputes_its_item_alone(capsys):
    calls = {}
    paper = _fixture(calls)
    with registry.only(MAIN, paper):
        full = report_dict([paper], {(paper.key, s): paper.check(s) for s in ("itemized", "whole")}, 0.0, True)
        (entry,) = [e for e in full["statements"] if e["id"] == "itemized"]
        assert entry["provenance"]["items"] == ["double", "square", "search"]
        assert "named items alone" in entry["provenance"]["only_recomputes"]
        whole = [e for e in full["statements"] if e["id"] == "whole"][0]
        assert "whole proof" in whole["provenance"]["only_recomputes"]
        assert all("whole proof" in ev["provenance"]["recomputes"] for ev in whole["evidence"])
        md, html = render_markdown(full), render_html(full, {})
        for command in list(_commands(full, "itemized").values()) + list(_commands(full, "whole").values()):
            assert f"`{command}`" in md and f"<code>{command}</code>" in html  # shown beside each item
        by_item = {}
        for ev in _evidence(full, "itemized"):
            by_item.setdefault(ev["item"], []).append(ev)
        for name, command in _commands(full, "itemized").items():
            calls.clear()
            argv = shlex.split(command)
            assert argv[:2] == ["vae-verify", "check"] and "--only" in argv
            assert main(argv[1:] + ["--json"]) == 0 or name == "search"
            doc = json.loads(capsys.readouterr().out)
            assert calls == {name: 1}, (name, calls)  # only that builder ran
            assert _evidence(doc, "itemized") == by_item[name]  # the same numbers, statuses and steps
            (e,) = doc["statements"]
            assert e["only"] == [name] and e["recomputed"] == "items"
        calls.clear()
        (command,) = [c for k, c in _commands(full, "whole").items() if k == 1]
        assert main(shlex.split(command)[1:] + ["--json"]) == 1  # the support check alone: inconclusive
        assert calls == {"whole": 1}
        doc = json.loads(capsys.readouterr().out)
        assert _evidence(doc, "whole") == _evidence(full, "whole")[1:]


def test_items_of_a_companion_paper_recompute_alone(monkeypatch, capsys):
    """reizinger2022:gap_ima is made of items: the provenance commands of three of them, taken from a
    report, rebuild only those items (the others' builders are counted and never run) with the same numbers."""
    paper = registry.paper("reizinger2022").load()
    calls = {}

    def counted(name, fn):
        def run():
            calls[name] = calls.get(name, 0) + 1
            return fn()
        return run

    for name, fn in list(paper.items["gap_ima"].items()):
        monkeypatch.setitem(paper.items["gap_ima"], name, counted(name, fn))
    chosen = ["exact-gap-2x1", "limit-2x1", "pointwise"]
    full = {}
    for name in chosen:
        full.update(paper.evaluate("gap_ima", only=[name]))
    assert calls == {n: 1 for n in chosen}
    result = paper.check("gap_ima", only=chosen)
    doc = report_dict([paper], {(paper.key, "gap_ima"): result}, 0.0, True, only={(paper.key, "gap_ima")})
    commands = _commands(doc, "gap_ima")
    assert set(commands) == set(chosen)
    for name in chosen:
        calls.clear()
        assert main(shlex.split(commands[name])[1:] + ["--json"]) in (0, 1)
        out = json.loads(capsys.readouterr().out)
        assert calls == {name: 1}
        assert _evidence(out, "gap_ima") == [dict(e.to_dict(), item=name) for e in full[name]] \
            or _strip(_evidence(out, "gap_ima")) == _strip([dict(e.to_dict(), item=name) for e in full[name]])
    assert isinstance(paper.evaluate("gap_ima", only=["pointwise"]), Items)


def _strip(evs):
    return [{k: v for k, v in ev.items() if k != "elapsed_s"} for ev in evs]
