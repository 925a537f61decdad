"""The ``vae-verify`` command, run as a subprocess (and ``report`` in-process), including its bad inputs."""
import json
import re
import subprocess
import sys

import pytest

from proofs.koehler2022 import PAPER

CMD = [sys.executable, "-m", "verify.cli"]
ACCEPTABLE = {"verified", "verified_bounded", "verified_numerically", "holds_as_corrected"}
#: experiments whose default report runs a reduced scale: unconverged runs decide nothing (inconclusive)
REDUCED_SCALE = {"table2", "table3", "table4", "table5"}


def run(*args, cwd=None):
    return subprocess.run(CMD + list(args), capture_output=True, text=True, cwd=cwd, timeout=900)


def test_list_shows_every_statement_and_what_is_checked():
    out = run("list")
    assert out.returncode == 0
    for sid in ["lemma1", "lemma2", "lemma3", "lemma4", "lemma5", "lemma6", "lemma7", "lemma8",
                "theorem3", "theorem4", "theorem5", "table1"]:
        assert sid in out.stdout
    assert re.search(r"^lemma3 +checked", out.stdout, re.M)


def test_check_json_matches_the_report_schema():
    out = run("check", "lemma2", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["schema_version"] == 3 and doc["complete"] is True
    (entry,) = doc["statements"]
    assert entry["id"] == "lemma2" and entry["verdict"] == "holds_as_corrected"
    assert entry["errata"] and entry["errata"][0]["correction_status"] == "proved"
    step = entry["evidence"][0]["steps"][0]
    assert {"reason", "method", "worst_error", "status", "relation"} <= step.keys()


@pytest.mark.parametrize("args,code,needle", [
    (("check", "lemma9"), 2, "lemma9"),
    (("check", "lemma2", "nonsense"), 2, "nonsense"),
    (("check",), 2, "ID"),
    (("frobnicate",), 2, "frobnicate"),
    (("check", "lemma2", "--profile", "fast"), 2, "fast"),
], ids=["unknown-id", "unknown-second-id", "no-ids", "unknown-command", "unknown-profile"])
def test_bad_usage_gets_one_clear_line(args, code, needle):
    out = run(*args)
    assert out.returncode == code
    assert needle in out.stdout + out.stderr
    assert "Traceback" not in out.stderr


def test_unwritable_out_is_named(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    out = run("report", "--out", str(blocker / "sub"))
    assert out.returncode == 2
    assert str(blocker / "sub") in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_report_writes_every_statement_in_both_formats(fmt, tmp_path, checked, monkeypatch, capsys):
    """``vae-verify report`` in-process, with each statement's check taken from the session (the
    checks themselves are tested in test_proofs; this tests what the command writes)."""
    from verify.cli import main

    monkeypatch.setattr(PAPER, "check", checked)
    code = main(["report", "--paper", PAPER.key, "--out", str(tmp_path), "--format", fmt])
    err = capsys.readouterr().err
    doc = json.loads((tmp_path / "report.json").read_text())
    timings = json.loads((tmp_path / "timings.json").read_text())["statements"]
    page = (tmp_path / f"report.{fmt}").read_text()
    assert doc["hypothesis_profile"] == "ci"
    ids = [e["id"] for e in doc["statements"] if e["paper"] == PAPER.key]
    assert ids == [s.id for s in PAPER.statements]
    checked_ids = set(PAPER.checkable_ids())
    for e in doc["statements"]:
        assert e["id"] in page
        if e["id"] in checked_ids:
            allowed = ACCEPTABLE | ({"inconclusive"} if e["id"] in REDUCED_SCALE else set())
            assert e["verdict"] in allowed, (e["id"], e["verdict"])
            assert timings[f"{e['paper']}:{e['id']}"]["elapsed_s"] > 0 and e["statement_scope"] and e["proof_scope"]
            assert "elapsed_s" not in e and e["provenance"]["command"].startswith("vae-verify check ")
        else:
            assert e["verdict"] is None
    n = len(PAPER.checkable_ids())
    assert f"[{n}/{n}]" in err  # progress lines
    # the documented exit status: 0 exactly when every verdict is acceptable
    assert code == (0 if all(e["verdict"] in ACCEPTABLE for e in doc["statements"] if e["checked"]) else 1)
    figures = [fig for e in doc["statements"] for fig in e["figures"]]
    assert figures
    for fig in figures:
        if fmt == "md":
            assert (tmp_path / fig["path"]).read_bytes().startswith(b"\x89PNG")
            assert fig["path"] in page
    if fmt == "html":
        assert not (tmp_path / "figures").exists() and not (tmp_path / "report.md").exists()
        assert page.count("data:image/png;base64,") == len(figures)


def test_only_names_an_unknown_item_in_one_line_before_any_work(capsys):
    """A proof made of items: an unknown --only name is a usage error listing the item names (no item built)."""
    from proofs.reizinger2022 import PAPER as RZ
    from verify.cli import main

    calls = []
    saved = dict(RZ.load().items["gap_ima"])
    RZ.items["gap_ima"] = {k: (lambda k=k: calls.append(k)) for k in saved}
    try:
        assert main(["check", "reizinger2022:gap_ima", "--only", "no-such-item"]) == 2
    finally:
        RZ.items["gap_ima"] = saved
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no-such-item" in err[0] and "exact-gap-2x1" in err[0] and calls == []
