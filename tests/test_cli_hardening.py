"""The command under hostile input: usage errors before any work (exit 2, the flag named as the
user wrote it), nothing written outside --out, no existing report clobbered, SIGTERM kept short."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

CMD = [sys.executable, "-m", "verify.cli"]


def run(*args, cwd=None, env=None, timeout=900):
    return subprocess.run(CMD + list(args), capture_output=True, text=True, cwd=cwd, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def existing(tmp_path):
    """An --out directory holding a report the user already has."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.json").write_text('{"mine": true}')
    return out


@pytest.mark.parametrize("args,flag", [
    (("--steps", "1e20"), "--steps"),
    (("--steps", "100000000000"), "--steps"),
    (("--lr", "1e300"), "--lr"),
    (("--lr", "nan"), "--lr"),
    (("--batch", "1000000000"), "--batch"),
    (("--seeds", "1000000000"), "--seeds"),
    (("--samples", "10000000000"), "--samples"),
    (("--latent", "1000000"), "--latent"),
    (("--settings", "3,100000"), "--settings"),
    (("--settings", "3,12 3,12"), "--settings"),
    (("--settings", "4,2"), "--settings"),
    (("--jobs", "0"), "--jobs"),
    (("--mode", "fast"), "--mode"),
], ids=lambda v: " ".join(v) if isinstance(v, tuple) else v)
def test_reproduce_refuses_values_that_cannot_work_before_any_work(args, flag, existing, capsys, monkeypatch):
    """In-process (the parser and the papers load once); the subprocess test below covers the exit path."""
    from proofs.koehler2022 import table1_linear_experiment as t1
    from verify.cli import main

    monkeypatch.setattr(t1, "build", lambda *a, **k: pytest.fail("work started before the arguments were checked"))
    assert main(["reproduce", "table1", *args, "--out", str(existing)]) == 2
    err = capsys.readouterr().err
    assert flag in err and len(err.strip().splitlines()) == 1
    assert json.loads((existing / "report.json").read_text()) == {"mine": True}


def test_a_refused_value_exits_2_in_a_subprocess_without_traceback(existing):
    out = run("reproduce", "table1", "--lr", "1e300", "--out", str(existing))
    assert out.returncode == 2 and "--lr" in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args,needle", [
    (("report", "--out", ""), "--out"),
    (("report", "--out", "/proc/vae-verify-report"), "--out"),
], ids=["empty-out", "out-under-proc"])
def test_report_out_is_checked_before_work(args, needle):
    out = run(*args)
    assert out.returncode == 2 and needle in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("env_value", ["file", "/proc/vae-verify-cache"])
def test_an_unusable_cache_is_a_usage_error_before_work(env_value, tmp_path):
    if env_value == "file":
        env_value = str(tmp_path / "a-file")
        (tmp_path / "a-file").write_text("not a directory")
    out = run("report", "--out", str(tmp_path / "r"), env={"VAE_VERIFY_CACHE": env_value})
    assert out.returncode == 2 and "VAE_VERIFY_CACHE" in out.stderr and "checking" not in out.stderr
    out = run("reproduce", "table1", "--cache-dir", env_value, "--out", str(tmp_path / "x"))
    assert out.returncode == 2 and "--cache-dir" in out.stderr and "Traceback" not in out.stderr


def test_hypothesis_profile_is_checked_before_work_and_empty_means_unset(tmp_path):
    t0 = time.perf_counter()
    out = run("check", "lemma2", env={"HYPOTHESIS_PROFILE": "nonsense"})
    assert out.returncode == 2 and "HYPOTHESIS_PROFILE" in out.stderr and "nonsense" in out.stderr
    assert "checking" not in out.stderr and time.perf_counter() - t0 < 60
    ok = run("check", "lemma2", env={"HYPOTHESIS_PROFILE": ""})
    assert ok.returncode == 0, ok.stderr


def test_check_writes_nothing_in_the_current_directory(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_STORAGE_DIRECTORY"}
    out = subprocess.run(CMD + ["check", "theorem4"], capture_output=True, text=True, cwd=tmp_path, env=env,
                         timeout=900)
    assert out.returncode == 0, out.stderr
    assert list(tmp_path.iterdir()) == []


def test_sigterm_stops_report_keeps_what_finished_and_leaves_the_old_report(existing):
    proc = subprocess.Popen(CMD + ["report", "--out", str(existing)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stderr:  # wait until the first statement is finished
        lines.append(line)
        if line.startswith("[1/") and "checking" not in line:
            break
    proc.send_signal(signal.SIGTERM)
    t0 = time.perf_counter()
    _, err = proc.communicate(timeout=120)
    assert time.perf_counter() - t0 < 60
    assert proc.returncode == 143
    assert "SIGTERM" in err and "Traceback" not in err and "unchanged" in err
    assert json.loads((existing / "report.json").read_text()) == {"mine": True}
    partial = json.loads((existing / "partial" / "report.json").read_text())
    assert partial["complete"] is False and any(e["checked"] for e in partial["statements"])
