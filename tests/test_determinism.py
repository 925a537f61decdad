"""The same code, profile and seeds give a byte-identical report.json; wall-clock times and the
timestamp go to timings.json.  The comparison is shown to catch a nondeterministic field."""
from __future__ import annotations

import itertools
import json

import pytest

from proofs.koehler2022 import PAPER as MAIN
from verify import Check, Evidence, Paper, ProofReport, Role, Statement, Status, registry
from verify.cli import main
from verify.report import TIMING_KEYS

_counter = itertools.count()


def _fixture(real=("lemma2",), nondeterministic=False) -> Paper:
    """A small paper whose statements are checked by the main paper's real proofs (``real``), plus a
    check whose text is fixed -- or, with ``nondeterministic``, changes on every run."""
    statements = [Statement(sid, f"{sid} of the main paper", "Section 1", "as in the main paper") for sid in real]
    statements.append(Statement("counter", "a counter", "Section 2", "n >= 0"))
    paper = Paper("determinism2024", "Determinism", "Nobody (2024).", package="tests", sections=(),
                  statements=statements)
    paper._loaded = True
    for sid in real:
        paper.proof(sid)(MAIN.load().proofs[sid])

    @paper.proof("counter")
    def counter() -> ProofReport:
        n = next(_counter) if nondeterministic else 0
        return ProofReport([Evidence(Role.STATEMENT, Check(f"run {n}", Status.PROVED, "count", "n >= 0"))], "counted")

    return paper


def _report(paper, out) -> bytes:
    with registry.only(paper):
        assert main(["report", "--paper", paper.key, "--out", str(out)]) == 0
    return (out / "report.json").read_bytes()


def _keys(x):
    if isinstance(x, dict):
        for k, v in x.items():
            yield k
            yield from _keys(v)
    elif isinstance(x, list):
        for v in x:
            yield from _keys(v)


def test_report_json_is_byte_identical_across_runs(tmp_path):
    paper = _fixture()
    one, two = _report(paper, tmp_path / "a"), _report(paper, tmp_path / "b")
    assert one == two
    doc = json.loads(one)
    assert not set(TIMING_KEYS) & set(_keys(doc))  # no wall-clock field anywhere in report.json
    timings = json.loads((tmp_path / "a" / "timings.json").read_text())
    assert timings["generated"] and timings["statements"]["determinism2024:lemma2"]["elapsed_s"] > 0
    assert (tmp_path / "a" / "timings.json").read_bytes() != (tmp_path / "b" / "timings.json").read_bytes()


def test_a_nondeterministic_field_is_caught(tmp_path):
    paper = _fixture(real=(), nondeterministic=True)
    assert _report(paper, tmp_path / "a") != _report(paper, tmp_path / "b")


@pytest.mark.parametrize("field", ["generated", "elapsed_s"])
def test_a_timing_field_left_in_report_json_is_caught(tmp_path, monkeypatch, field):
    """Were split_timings to leave a wall-clock field in report.json, the bytes would differ."""
    import verify.report as report

    paper = _fixture(real=("lemma2",))
    monkeypatch.setattr(report, "TIMING_KEYS", tuple(k for k in report.TIMING_KEYS if k != field))
    if field == "generated":  # two runs within one second would print the same timestamp: make the clock tick
        import datetime as real_dt
        import itertools
        import types

        ticks = itertools.count()
        start = real_dt.datetime(2024, 1, 1, tzinfo=real_dt.timezone.utc)
        fake = types.SimpleNamespace(timezone=real_dt.timezone, datetime=types.SimpleNamespace(
            now=lambda tz=None: start + real_dt.timedelta(seconds=next(ticks))))
        monkeypatch.setattr(report, "_dt", fake)
    if field == "elapsed_s":  # the per-statement times are popped by name: keep them too
        real = report.split_timings
        monkeypatch.setattr(report, "split_timings", lambda doc: (dict(real(doc)[0], statements=doc["statements"]),
                                                                 real(doc)[1]))
    assert _report(paper, tmp_path / "a") != _report(paper, tmp_path / "b")


def test_item_provenance_and_run_records_are_deterministic(tmp_path):
    """A proof made of named items with a table's run records: report.json is still byte-identical, and
    carries each item's --only command and each run's cache key."""
    from verify.claims import RunRecord

    paper = Paper("determinism2025", "Determinism", "Nobody (2025).", package="tests", sections=(),
                  statements=[Statement("table", "a table", "Section 1", "every run holds")])
    paper._loaded = True
    for k in range(3):
        paper.item("table", f"run-{k}")(
            lambda k=k: Evidence(Role.STATEMENT, Check(f"run {k}", Status.NUMERIC, "count", f"seed {k}", 0.5 * k)))

    @paper.proof("table")
    def table() -> ProofReport:
        runs = [RunRecord("table", f"seed {k}", {"steps": 10, "seed": k}, k, k == 1, f"key{k}",
                          f"vae-verify reproduce table --seed {k}") for k in range(3)]
        return ProofReport.from_items(paper.evaluate("table"), "three runs", runs=runs)

    one, two = _report(paper, tmp_path / "a"), _report(paper, tmp_path / "b")
    assert one == two
    (entry,) = json.loads(one)["statements"]
    assert [ev["provenance"]["command"].rsplit(" --profile ", 1)[0] for ev in entry["evidence"]] == \
        [f"vae-verify check determinism2025:table --only run-{k}" for k in range(3)]
    assert [(r["cached"], r["cache_key"]) for r in entry["runs"]] == [(False, "key0"), (True, "key1"), (False, "key2")]
