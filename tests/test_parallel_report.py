"""The report checks statements in worker processes (``--jobs``, default one per core): the same
report.json as one process, byte for byte; statements in paper order; longest first by the last
report's timings; bad ``--jobs`` refused before any work."""
from __future__ import annotations

import json

import pytest

from verify import registry
from verify.cli import _units, main

PAPERS = ["--paper", "wipf2023", "--paper", "dai2017"]  # five quick statements, two entry-point papers


def test_worker_processes_give_the_one_process_report_byte_for_byte(tmp_path, capsys):
    assert main(["report", *PAPERS, "--jobs", "1", "--out", str(tmp_path / "one")]) in (0, 1)
    assert "in 1 process(es)" in capsys.readouterr().err
    assert main(["report", *PAPERS, "--jobs", "2", "--out", str(tmp_path / "two")]) in (0, 1)
    assert "in 2 process(es)" in capsys.readouterr().err
    one, two = (tmp_path / "one" / "report.json").read_bytes(), (tmp_path / "two" / "report.json").read_bytes()
    assert one == two
    ids = [e["id"] for e in json.loads(two)["statements"]]
    expected = [s.id for k in ("dai2017", "wipf2023") for s in registry.paper(k).statements]
    assert sorted(ids) == sorted(expected) and len(ids) == len(set(ids))  # every statement, once
    # in the order asked for and paper order within a paper, not the order they finished in
    asked = [(k, s.id) for k in ("wipf2023", "dai2017") for s in registry.paper(k).statements]
    assert [(e["paper"], e["id"]) for e in json.loads(two)["statements"]] == asked
    # the second run in the same directory starts the longest statement of the last one first
    timings = json.loads((tmp_path / "two" / "timings.json").read_text())["statements"]
    targets = [(registry.paper(k), s.id) for k in ("dai2017", "wipf2023") for s in registry.paper(k).statements]
    units = _units(targets, tmp_path / "two")
    assert all(len(u) == 1 for u in units)  # these proofs share nothing
    times = [timings[f"{p.key}:{sid}"]["elapsed_s"] for (p, sid), in units]
    assert times == sorted(times, reverse=True) and {u[0] for u in units} == set(targets)
    assert _units(targets, tmp_path / "nowhere") == [[t] for t in targets]  # no timings: paper order


def test_statements_that_share_a_computation_are_one_unit_in_paper_order():
    main_paper = registry.main
    targets = [(main_paper, sid) for sid in main_paper.checkable_ids()]
    units = _units(targets, None)
    shared = [u for u in units if len(u) > 1]
    assert [[sid for _, sid in u] for u in shared] == [["lemma6", "theorem5"]]  # both share flow_cases()
    assert sum(len(u) for u in units) == len(targets)
    assert main_paper.shares == {"lemma6": "flow_cases", "theorem5": "flow_cases"}


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_bad_jobs_is_refused_before_any_work(tmp_path, capsys, value):
    out = tmp_path / "report"
    assert main(["report", "--jobs", value, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--jobs=" in err and value in err and "Traceback" not in err
    assert not out.exists()


def test_a_bad_jobs_variable_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("VAE_VERIFY_JOBS", "many")
    out = tmp_path / "report"
    assert main(["report", "--out", str(out)]) == 2
    assert "VAE_VERIFY_JOBS='many'" in capsys.readouterr().err and not out.exists()


@pytest.mark.parametrize("bad", ["two words", "", 3])
def test_a_bad_shared_computation_name_is_refused(bad):
    from verify import VerifyError

    with pytest.raises(VerifyError, match="shared computation"):
        registry.main.proof("lemma2", shares=bad)
