"""verify.cache: plain-JSON entries, atomic writes that follow no planted symlink, reads that trust
nothing (corrupt, foreign, wrong-shaped or edited entries are reported and recomputed), and cache
directories validated before any work.  Each check is shown to fail on the unsafe variant."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

import verify.cache
from verify import VerifyError
from verify.cache import LOCK_NAME, Cache, checksum, resolve_cache_dir
from verify.runner import DEMO_SCHEMA, Task, demo_task, executor_spec, run_tasks

SCHEMA = {"seed": int, "mean": float, "ok": bool}
TASK = {"seed": 7}
RESULT = {"seed": 7, "mean": 0.25, "ok": True, "counts": [1, 2, 3]}


@pytest.fixture
def reports():
    return []


@pytest.fixture
def cache(tmp_path, reports):
    return Cache(tmp_path / "c", schema=SCHEMA, report=reports.append)


def _entry(cache, key):
    return json.loads(cache.path(key).read_text())


def _write_entry(cache, key, entry):
    cache.path(key).write_text(json.dumps(entry))


# -- where the cache lives -------------------------------------------------------------------------


def test_default_directory_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("VAE_VERIFY_CACHE", str(tmp_path / "a"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert resolve_cache_dir() == tmp_path / "a"
    monkeypatch.delenv("VAE_VERIFY_CACHE")
    assert resolve_cache_dir() == tmp_path / "x" / "vae-verify"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    assert resolve_cache_dir() == tmp_path / "h" / ".cache" / "vae-verify"
    assert resolve_cache_dir(tmp_path / "given") == tmp_path / "given"
    assert (tmp_path / "given").is_dir()


def test_a_file_is_refused_naming_the_option_or_variable_as_given(monkeypatch, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(VerifyError, match="is a file") as exc:
        Cache(str(f))
    assert exc.value.argument == "--cache-dir" and exc.value.value == str(f)
    monkeypatch.setenv("VAE_VERIFY_CACHE", str(f))
    with pytest.raises(VerifyError, match="is a file") as exc:
        Cache()
    assert exc.value.argument == "VAE_VERIFY_CACHE" and exc.value.value == str(f)
    monkeypatch.setenv("VAE_VERIFY_CACHE", str(tmp_path / "fine"))
    assert Cache().directory == tmp_path / "fine"


@pytest.mark.parametrize("path", ["/proc", "/proc/self/cwd/x", "/sys/kernel", "/dev/shm-not/x"])
def test_virtual_file_systems_are_refused(path):
    with pytest.raises(VerifyError, match="virtual file system") as exc:
        resolve_cache_dir(path, argument="--cache-dir")
    assert exc.value.argument == "--cache-dir"


def test_a_path_that_cannot_be_created_or_written_is_refused(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    with pytest.raises(VerifyError, match="cannot be created"):
        resolve_cache_dir(tmp_path / "file" / "sub")
    with pytest.raises(VerifyError, match="must be a directory path"):
        resolve_cache_dir("")

    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("verify.cache.tempfile.mkstemp", refuse)
    with pytest.raises(VerifyError, match="is not writable") as exc:
        resolve_cache_dir(tmp_path / "ro", argument="--cache-dir")
    assert exc.value.argument == "--cache-dir"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_directory_is_refused(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(VerifyError, match="is not writable"):
            resolve_cache_dir(ro)
    finally:
        ro.chmod(0o700)


def test_a_bad_cache_dir_stops_the_command_before_any_work(tmp_path, capsys):
    from verify.runner import _demo_main

    f = tmp_path / "file"
    f.write_text("x")
    assert _demo_main(["--cache-dir", str(f), "--tasks", "2", "--jobs", "1", "--no-progress"]) == 2
    err = capsys.readouterr()
    assert err.err.strip() == f"python -m verify.runner: error: --cache-dir={str(f)!r}: is a file, not a directory"
    assert "tasks" not in err.out


# -- entries ---------------------------------------------------------------------------------------


def test_round_trip_is_plain_json_with_key_version_and_checksum(cache, reports):
    back = cache.put("k1", TASK, RESULT)
    assert back == RESULT and cache.get("k1", TASK) == RESULT and cache.get("k1") == RESULT
    e = _entry(cache, "k1")
    assert e == {"format": "vae-verify-cache", "version": 1, "key": "k1", "task": TASK, "result": RESULT,
                 "checksum": checksum("k1", TASK, RESULT)}
    assert cache.get("absent") is None and reports == []
    assert sorted(os.listdir(cache.directory)) == [LOCK_NAME, "k1.json"]  # no temporaries left


def test_put_normalises_and_refuses_what_it_could_not_read_back(cache):
    assert cache.put("t", TASK, {**RESULT, "counts": (1, 2)})["counts"] == [1, 2]
    with pytest.raises(VerifyError, match="not plain JSON"):
        cache.put("t", TASK, {**RESULT, "x": object()})
    with pytest.raises(VerifyError, match="lacks 'ok'"):
        cache.put("t", TASK, {"seed": 1, "mean": 0.0})
    with pytest.raises(VerifyError, match="key"):
        cache.put("../escape", TASK, RESULT)


def _bad_entries(cache):
    """(name, how to spoil the entry of key 'k') for every way an entry must be refused."""
    good = _entry(cache, "k")

    def edit(**changes):
        return lambda: _write_entry(cache, "k", {**good, **changes})

    def edit_result(**changes):
        return edit(result={**good["result"], **changes})

    return [
        ("not JSON", lambda: cache.path("k").write_text('{"format": "vae-verify-cache", "res')),
        ("empty file", lambda: cache.path("k").write_text("")),
        ("empty object {}", lambda: cache.path("k").write_text("{}")),
        ("empty list []", lambda: cache.path("k").write_text("[]")),
        ("deeply nested", lambda: cache.path("k").write_text("[" * 100_000)),
        ("not UTF-8", lambda: cache.path("k").write_bytes(b"\xff\xfe{}")),
        ("foreign JSON", lambda: _write_entry(cache, "k", {"r_star": 3, "d": 12, "zeros": 3})),
        ("extra envelope field", edit(extra=1)),
        ("other format version", edit(version=2)),
        ("another key's entry", lambda: cache.path("k").write_text(cache.path("other").read_text())),
        ("edited count", edit_result(seed=8)),
        ("edited float", edit_result(mean=0.26)),
        ("edited task", edit(task={"seed": 8})),
        ("edited checksum", edit(checksum="0" * 64)),
        ("missing field, checksum redone", lambda: _write_entry(cache, "k", {
            **good, "result": {"seed": 7, "mean": 0.25}, "checksum": checksum("k", TASK, {"seed": 7, "mean": 0.25})})),
        ("wrong type, checksum redone", lambda: _write_entry(cache, "k", {
            **good, "result": {**RESULT, "seed": "7"}, "checksum": checksum("k", TASK, {**RESULT, "seed": "7"})})),
        ("bool for int, checksum redone", lambda: _write_entry(cache, "k", {
            **good, "result": {**RESULT, "seed": True}, "checksum": checksum("k", TASK, {**RESULT, "seed": True})})),
        ("result is a list, checksum redone", lambda: _write_entry(cache, "k", {
            **good, "result": [1], "checksum": checksum("k", TASK, [1])})),
        ("a directory", lambda: (cache.path("k").unlink(), cache.path("k").mkdir())),
        ("a FIFO", lambda: (cache.path("k").unlink(), os.mkfifo(cache.path("k")))),
        ("a symlink to a valid entry", lambda: (
            os.replace(cache.path("k"), cache.directory.parent / "elsewhere.json"),
            cache.path("k").symlink_to(cache.directory.parent / "elsewhere.json"))),
    ]


def test_every_spoiled_entry_is_reported_by_file_and_not_trusted(cache, reports):
    cache.put("other", {"seed": 9}, {**RESULT, "seed": 9})
    n_cases = len(_bad_entries(_fresh(cache)))
    for i in range(n_cases):
        name, spoil = _bad_entries(_fresh(cache))[i]
        assert cache.get("k", TASK) == RESULT, name  # the unspoiled entry is accepted (the check can pass) ...
        assert reports == [], name
        spoil()
        assert cache.get("k", TASK) is None, name  # ... and fails on the spoiled one
        assert len(reports) == 1 and str(cache.path("k")) in reports[0] and "recomputing" in reports[0], name
        reports.clear()


def _fresh(cache):
    p = cache.path("k")
    if p.is_dir() and not p.is_symlink():
        p.rmdir()
    cache.put("k", TASK, RESULT)
    return cache


def test_the_task_inputs_are_checked_only_when_given(cache, reports):
    cache.put("k", TASK, RESULT)
    assert cache.get("k", {"seed": 8}) is None and "other task inputs" in reports[0]


def test_a_callable_schema(tmp_path, reports):
    c = Cache(tmp_path, schema=lambda r: None if r.get("mean", 1) < 1 else "mean must be < 1", report=reports.append)
    c.put("a", TASK, RESULT)
    assert c.get("a") == RESULT
    with pytest.raises(VerifyError, match="mean must be < 1"):
        c.put("b", TASK, {**RESULT, "mean": 2.0})
    with pytest.raises(VerifyError, match="schema"):
        Cache(tmp_path, schema=42)


def test_spoiled_entries_are_recomputed_and_rewritten_by_the_runner(tmp_path, reports):
    cache = Cache(tmp_path, schema=DEMO_SCHEMA, report=reports.append)
    tasks = [Task.make({"seed": s, "n": 50}, namespace="t", version=1) for s in range(3)]
    spec = executor_spec(jobs=1)
    fresh = run_tasks(demo_task, tasks, cache=cache, executor=spec)
    bad = cache.path(tasks[1].key)
    entry = json.loads(bad.read_text())
    entry["result"]["n"] = 51  # someone edits a count
    bad.write_text(json.dumps(entry))
    again = run_tasks(demo_task, tasks, cache=cache, executor=spec)
    assert again == fresh and again.from_cache == [True, False, True]
    assert len(reports) == 1 and str(bad) in reports[0] and "checksum mismatch" in reports[0]
    assert run_tasks(demo_task, tasks, cache=cache, executor=spec).from_cache == [True, True, True]
    assert len(reports) == 1


# -- planted symlinks ------------------------------------------------------------------------------


def test_a_symlink_planted_at_a_predictable_name_is_not_followed(cache, reports, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    names = [cache.path("k").name, ".k.tmp", ".k.json.tmp", LOCK_NAME]
    for name in names:
        (cache.directory / name).unlink(missing_ok=True)
        (cache.directory / name).symlink_to(victim)
    cache.put("k", TASK, RESULT)
    assert victim.read_text() == "precious"
    assert not cache.path("k").is_symlink() and cache.get("k", TASK) == RESULT
    assert (cache.directory / ".k.tmp").is_symlink() and (cache.directory / LOCK_NAME).is_symlink()
    assert len(reports) == 1 and LOCK_NAME in reports[0] and "writing unlocked" in reports[0]


def test_the_unsafe_writer_would_have_followed_the_symlink(tmp_path):
    """The check above can fail: the old scheme (a fixed temporary name, then rename) writes the victim."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / ".k.tmp").symlink_to(victim)
    (tmp_path / ".k.tmp").write_text("{}")  # what `tmp.write_text(...)` did before os.replace
    assert victim.read_text() != "precious"


# -- two writers -----------------------------------------------------------------------------------

_STRESS = textwrap.dedent("""
    import json, os, sys, time, types
    # verify.cache alone, without the package's __init__ (SymPy and friends): cheap writer processes
    pkg = types.ModuleType("verify")
    pkg.__path__ = [sys.argv[6]]
    sys.modules["verify"] = pkg
    from verify.cache import Cache
    directory, writer, rounds, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    reports = []
    cache = Cache(directory, schema={"writer": int, "round": int, "blob": list}, report=reports.append)
    if mode != "safe":   # the unsafe writers the safe one replaces, to show the test can fail
        def unsafe(path, data):
            if mode == "fixed-temp":
                tmp = path.with_name("." + path.stem + ".tmp")
                tmp.write_bytes(data)
                os.replace(tmp, path)
            else:        # "in-place": write the entry where it lives
                path.write_bytes(data)
        cache._write = unsafe
        import verify.cache
        verify.cache.FileLock = lambda *a, **k: type("L", (), {"acquire": lambda s: None, "release": lambda s: None})()
    keys = [f"key{i}" for i in range(4)]
    counts = {"writes": 0, "reads": 0, "hits": 0, "FileNotFoundError": 0, "bad_reads": 0, "misses": 0}
    barrier = sys.argv[5]
    open(f"{barrier}.{writer}", "w").close()      # start together, once both have imported
    while not all(os.path.exists(f"{barrier}.{w}") for w in (1, 2)):
        time.sleep(0.001)
    for r in range(rounds):
        for k, key in enumerate(keys):
            blob = list(range((r * 7 + writer * 13 + k) % 400))
            try:
                cache.put(key, {"key": key}, {"writer": writer, "round": r, "blob": blob})
                counts["writes"] += 1
            except FileNotFoundError:
                counts["FileNotFoundError"] += 1
            try:
                hit = cache.get(keys[(k + 1) % len(keys)], {"key": keys[(k + 1) % len(keys)]})
            except FileNotFoundError:
                counts["FileNotFoundError"] += 1
                continue
            counts["reads"] += 1
            counts["hits" if hit is not None else "misses"] += 1
    counts["bad_reads"] = len(reports)
    print(json.dumps(counts))
""")


#: Rounds per writer (each: 4 writes and 4 reads).  A safe write costs ~15 ms here (its fsync, under
#: the lock); the unsafe writers are fast, so they get more rounds to collide in.
#: (In 1000 rounds the fixed temporary name gave 19-127 FileNotFoundErrors and 6-17 bad reads; in
#: 100 rounds the in-place writer gave 50-317 truncated reads.)
ROUNDS, UNSAFE_ROUNDS = 100, {"fixed-temp": 500, "in-place": 100}


def _stress(tmp_path, mode, rounds):
    directory = tmp_path / mode
    seed = Cache(directory)
    for i in range(4):  # every key exists before the writers start, so a read may never miss
        seed.put(f"key{i}", {"key": f"key{i}"}, {"writer": 0, "round": -1, "blob": []})
    barrier = tmp_path / f"{mode}-ready"
    procs = [subprocess.Popen([sys.executable, "-c", _STRESS, str(directory), str(w), str(rounds), mode, str(barrier),
                               os.path.dirname(verify.cache.__file__)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for w in (1, 2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    counts = [json.loads(out) for out, _ in outs]
    return {k: sum(c[k] for c in counts) for k in counts[0]}


def test_two_writers_never_see_a_missing_or_truncated_entry(tmp_path):
    counts = _stress(tmp_path, "safe", rounds=ROUNDS)
    print("two-writer stress (safe):", counts)
    assert counts["FileNotFoundError"] == 0 and counts["bad_reads"] == 0 and counts["misses"] == 0
    assert counts["writes"] == 2 * ROUNDS * 4 and counts["hits"] == 2 * ROUNDS * 4


@pytest.mark.parametrize("mode", ["fixed-temp", "in-place"])
def test_the_stress_test_catches_unsafe_writers(tmp_path, mode):
    counts = _stress(tmp_path, mode, rounds=UNSAFE_ROUNDS[mode])
    print(f"two-writer stress ({mode}):", counts)
    assert counts["FileNotFoundError"] + counts["bad_reads"] + counts["misses"] > 0
