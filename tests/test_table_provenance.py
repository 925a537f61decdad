"""Per-run provenance of reproduced tables: each run's parameters, seed, whether it came from the
run cache, its cache key and the command that recomputes it, in report.json, Markdown and HTML."""
import json
import shlex

import pytest

from proofs.koehler2022 import PAPER
from proofs.koehler2022.nonlinear import REDUCED, Scale, _tasks, scale_with
from proofs.koehler2022.table_runs import (nonlinear_command, nonlinear_records, nonlinear_report, table1_records,
                                           with_runs)
from verify import Check, Evidence, ProofReport, Role, Status, VerifyError
from verify.claims import ClaimResult, RunRecord
from verify.cli import _parser
from verify.html import render_html
from verify.report import render_markdown, report_dict, split_timings

TINY = Scale(steps=8, log_every=4, seeds=(0,), columns=(1,), samples=50, jacobian_points=5)


def _parses(command: str):
    argv = shlex.split(command)
    assert argv[0] == "vae-verify"
    return _parser().parse_args(argv[1:])


def _record(cached: bool, key: str = "k1") -> RunRecord:
    return RunRecord("table9", "r*=1, d=2, seed 0", {"steps": 10}, 0, cached, key, "vae-verify reproduce table9 --no-cache")


def _doc(runs) -> dict:
    statement = PAPER.statement("table3")
    report = ProofReport([Evidence(Role.STATEMENT, Check("c", Status.NUMERIC, "m", "s"))], "s", runs=runs)
    res = ClaimResult.from_report(statement, report, 0.0, PAPER.key)
    return report_dict([PAPER], {(PAPER.key, "table3"): res}, 0.0, True, only={(PAPER.key, "table3")})


def test_runs_reach_the_json_markdown_and_html():
    doc = _doc([_record(True, "key-a"), _record(False, "key-b")])
    clean, _ = split_timings(doc)
    (entry,) = clean["statements"]
    assert [r["cached"] for r in entry["runs"]] == [True, False]
    assert set(entry["runs"][0]) == {"table", "label", "parameters", "seed", "cached", "cache_key", "command",
                                     "recomputes"}
    md, html = render_markdown(doc), render_html(doc, {})
    for text in (md, html):
        assert "1 of the 2 runs of this table were read from the run cache" in text
        assert "key-a" in text and "key-b" in text and "vae-verify reproduce table9 --no-cache" in text
    assert "<details><summary>the 2 runs" in html
    doc = _doc([_record(True, "key-a")])
    assert "All 1 runs of this table were read from the run cache" in render_markdown(doc)
    doc = _doc([_record(False)])
    assert "computed for this report (none came from the run cache)" in render_markdown(doc)
    assert "Provenance of the table" not in render_markdown(_doc([]))  # a statement without runs: nothing


def test_a_run_record_needs_its_key_and_command():
    with pytest.raises(VerifyError, match="cache key"):
        RunRecord("t", "l", {}, 0, True, "", "cmd")
    with pytest.raises(VerifyError, match="parameters"):
        RunRecord("t", "l", [], 0, True, "k", "cmd")
    with pytest.raises(VerifyError, match="one flag per task"):
        nonlinear_records("table3", TINY, [True, False])


def test_nonlinear_records_name_each_run_its_group_key_and_a_command_that_parses():
    scale = scale_with(REDUCED["table4"], seeds=(0, 1))
    tasks = _tasks("table4", scale, False)
    recs = nonlinear_records("table4", scale, [True] * len(tasks))
    assert len(recs) == len(scale.seeds) * len(scale.floors) * len(scale.columns)
    assert {r.cache_key for r in recs} == {t.key for t in tasks} and all(r.cached for r in recs)
    assert {(r.seed, r.parameters["floor"]) for r in recs} == {(s, f) for s in (0, 1) for f in scale.floors}
    assert not any(r.cached for r in nonlinear_records("table4", scale, [False] * len(tasks)))  # the flag is read
    args = _parses(recs[0].command)
    assert (args.experiment, args.scale, args.seeds, args.no_cache) == ("table4", "reduced", "2", True)
    command, what = nonlinear_command("table3", REDUCED["table3"])
    assert command == "vae-verify reproduce table3 --scale reduced --no-cache" and "NOTE" not in what
    assert "NOTE" in nonlinear_command("table3", TINY)[1]  # columns/samples the options cannot name


def test_table1_records_recompute_one_run():
    cfg = {"mode": "population", "steps": 100, "lr": 0.001, "batch": 100, "latent": 20}
    runs = [{"mode": "population", "r_star": 3, "d": 12, "seed": s, "config": cfg, "samples": 500,
             "cached": s == 1, "cache_key": f"key{s}"} for s in (0, 1)]
    recs = table1_records(runs)
    assert [r.cached for r in recs] == [False, True] and [r.cache_key for r in recs] == ["key0", "key1"]
    args = _parses(recs[1].command)
    assert (args.experiment, args.mode, args.settings, args.seeds, args.steps, args.lr, args.no_cache) == \
        ("table1", "population", "3,12", "2", "100", "0.001", True)
    assert recs[1].parameters["r_star"] == 3 and recs[1].parameters["steps"] == 100
    report = ProofReport([Evidence(Role.STATEMENT, Check("c", Status.NUMERIC, "m", "s"))], "s")
    assert with_runs(report, runs).runs == recs
    assert "NOTE" not in recs[0].recomputes
    runs[0]["config"] = dict(cfg, beta1=0.5)  # a setting the command cannot name is flagged
    assert "NOTE: beta1" in table1_records(runs)[0].recomputes


def test_a_table_run_twice_is_computed_then_read_from_the_cache(tmp_path):
    """Table 3 at a tiny scale, in a fresh cache: computed the first time, read back the second, same key."""
    first = nonlinear_report("table3", TINY, cache_dir=tmp_path)
    second = nonlinear_report("table3", TINY, cache_dir=tmp_path)
    assert [r.cached for r in first.runs] == [False] and [r.cached for r in second.runs] == [True]
    assert first.runs[0].cache_key == second.runs[0].cache_key
    assert (tmp_path / f"{first.runs[0].cache_key}.json").is_file()
    assert json.loads((tmp_path / f"{first.runs[0].cache_key}.json").read_text())["task"]["steps"] == TINY.steps


def test_table1_records_of_real_runs_computed_then_cached(tmp_path):
    """table1.run_table marks each run cached or not with its cache key; the records carry both."""
    from proofs.koehler2022.table1 import run_table
    from verify.numeric import TrainConfig

    cfg = TrainConfig(mode="population", steps=20, history=4)
    kw = dict(settings=((1, 3),), seeds=(0, 1), samples=10, jobs=1, cache_dir=tmp_path, progress=False)
    first, second = table1_records(run_table(cfg, **kw)), table1_records(run_table(cfg, **kw))
    assert [r.cached for r in first] == [False, False] and [r.cached for r in second] == [True, True]
    assert [r.cache_key for r in first] == [r.cache_key for r in second]
    assert all((tmp_path / f"{r.cache_key}.json").is_file() for r in first)
    assert "NOTE: history" in first[0].recomputes  # history=4 is not an option of reproduce table1
    args = _parses(first[1].command)
    assert (args.settings, args.seeds, args.steps) == ("1,3", "2", "20")
