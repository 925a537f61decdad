"""verify.runner: one runner for local processes and Dask clusters, a resumable cache, and prompt
clean interrupts (SIGINT to the group or the parent, SIGTERM) that keep every finished run."""
import json
import logging
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from verify import VerifyError
from verify.cache import Cache
from verify.runner import (DEMO_SCHEMA, SCHEDULER_ENV, ExecutorSpec, Interrupted, Task, demo_task, executor_spec,
                           run_tasks, sigterm_interrupts, task_key)


def _tasks(n=6, size=200, **extra):
    return [Task.make({"seed": s, "n": size, **extra}, namespace="tests.runner", version=1, label=f"seed {s}")
            for s in range(n)]


@pytest.fixture
def cache(tmp_path):
    return Cache(tmp_path / "cache", schema=DEMO_SCHEMA, report=pytest.fail)


# -- specs and keys --------------------------------------------------------------------------------


@pytest.mark.parametrize("jobs", [0, -1, True, 2.0, "2"])
def test_bad_jobs_name_the_option(jobs, monkeypatch):
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    with pytest.raises(VerifyError, match="positive integer") as exc:
        executor_spec(jobs=jobs)
    assert exc.value.argument == "--jobs"


@pytest.mark.parametrize("address", ["localhost:8786", "http://h:8786", "tcp://h", "tcp://:8786", "tcp://h:99999",
                                     "tcp://h:8786/path", "tcp://h:port", "", 8786])
def test_bad_scheduler_addresses_name_their_source(address, monkeypatch):
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    if address == "":
        assert executor_spec(scheduler=None).scheduler is None  # empty means unset only in the environment
        address = "tcp//h:1"
    with pytest.raises(VerifyError, match="Dask scheduler address") as exc:
        executor_spec(scheduler=address)
    assert exc.value.argument == "--scheduler"
    if isinstance(address, str):
        monkeypatch.setenv(SCHEDULER_ENV, address)
        with pytest.raises(VerifyError, match="Dask scheduler address") as exc:
            executor_spec()
        assert exc.value.argument == SCHEDULER_ENV and exc.value.value == address


def test_good_specs(monkeypatch):
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    assert executor_spec(jobs=3) == ExecutorSpec(jobs=3)
    assert executor_spec().jobs >= 1 and executor_spec().scheduler is None
    assert executor_spec(scheduler="tcp://10.0.0.5:8786").scheduler == "tcp://10.0.0.5:8786"
    assert executor_spec(scheduler="tls://[::1]:8786/").scheduler == "tls://[::1]:8786"
    monkeypatch.setenv(SCHEDULER_ENV, "tcp://sched:8786")
    assert executor_spec() == ExecutorSpec(1, "tcp://sched:8786", SCHEDULER_ENV)
    assert executor_spec(scheduler="tcp://other:1").scheduler == "tcp://other:1"  # the option beats the variable
    with pytest.raises(VerifyError, match="cannot be combined with a scheduler") as exc:
        executor_spec(jobs=2)
    assert exc.value.argument == "--jobs" and SCHEDULER_ENV in str(exc.value)


def test_task_keys_are_stable_and_cover_namespace_version_and_payload():
    k = task_key({"a": 1, "b": [1, 2]}, namespace="n", version=1)
    assert k == task_key({"b": [1, 2], "a": 1}, namespace="n", version=1) and len(k) == 32
    assert k != task_key({"a": 1, "b": [1, 2]}, namespace="n", version=2)
    assert k != task_key({"a": 1, "b": [1, 2]}, namespace="m", version=1)
    assert k != task_key({"a": 1, "b": [2, 1]}, namespace="n", version=1)
    with pytest.raises(VerifyError, match="plain JSON"):
        task_key({"a": object()}, namespace="n", version=1)


def test_bad_tasks_are_refused(cache):
    with pytest.raises(VerifyError, match="verify.runner.Task"):
        run_tasks(demo_task, [{"seed": 1}])
    with pytest.raises(VerifyError, match="share this key"):
        run_tasks(demo_task, [Task("k", {"seed": 1, "n": 5}), Task("k", {"seed": 2, "n": 5})])
    with pytest.raises(VerifyError, match="key must match"):
        run_tasks(demo_task, [Task("../k", {"seed": 1, "n": 5})])
    with pytest.raises(VerifyError, match="Cache"):
        run_tasks(demo_task, _tasks(1), cache="/tmp")
    with pytest.raises(VerifyError, match="executor"):
        run_tasks(demo_task, _tasks(1), executor=4)


# -- running ---------------------------------------------------------------------------------------


def test_results_in_task_order_cache_hits_and_duplicates(cache):
    calls = []

    def fn(payload):  # in-process (one job), so a closure may count the calls
        calls.append(payload["seed"])
        return demo_task(payload)

    tasks = _tasks(4)
    first = run_tasks(fn, tasks + [tasks[1]], cache=cache, executor=executor_spec(jobs=1))
    assert [r["seed"] for r in first] == [0, 1, 2, 3, 1] and sorted(calls) == [0, 1, 2, 3]
    assert first.from_cache == [False] * 5
    calls.clear()
    again = run_tasks(fn, list(reversed(tasks)), cache=cache, executor=executor_spec(jobs=1))
    assert calls == [] and again == list(reversed(first[:4])) and again.from_cache == [True] * 4
    redo = run_tasks(fn, tasks, cache=cache, executor=executor_spec(jobs=1), recompute=True)
    assert sorted(calls) == [0, 1, 2, 3] and redo == first[:4] and redo.from_cache == [False] * 4
    assert run_tasks(fn, tasks, executor=executor_spec(jobs=1)) == first[:4]  # no cache at all


def test_an_interrupted_table_resumes_where_it_stopped(cache):
    state = {"fail_at": 3, "calls": []}

    def fn(payload):
        if payload["seed"] == state["fail_at"]:
            raise RuntimeError("boom")
        state["calls"].append(payload["seed"])
        return demo_task(payload)

    tasks = _tasks(6)
    with pytest.raises(RuntimeError, match="boom") as exc:
        run_tasks(fn, tasks, cache=cache, executor=executor_spec(jobs=1))
    notes = "\n".join(getattr(exc.value, "__notes__", []))
    assert "while running task seed 3" in notes and "3 of 6 runs are kept" in notes
    assert sorted(p.name for p in cache.directory.glob("*.json")) == sorted(f"{t.key}.json" for t in tasks[:3])
    state.update(fail_at=None, calls=[])
    res = run_tasks(fn, tasks, cache=cache, executor=executor_spec(jobs=1))
    assert state["calls"] == [3, 4, 5] and res.from_cache == [True] * 3 + [False] * 3


def test_a_cache_that_cannot_be_written_is_reported_and_the_run_goes_on(tmp_path, monkeypatch):
    lines = []
    cache = Cache(tmp_path, schema=DEMO_SCHEMA, report=lines.append)

    def full(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache, "_write", full)
    res = run_tasks(demo_task, _tasks(2), cache=cache, executor=executor_spec(jobs=1))
    assert res == run_tasks(demo_task, _tasks(2), executor=executor_spec(jobs=1))
    assert len(lines) == 2 and all("No space left on device" in line and "is not kept" in line for line in lines)


def test_a_result_that_is_not_json_is_refused(cache):
    with pytest.raises(VerifyError, match="not plain JSON"):
        run_tasks(lambda p: {"x": object()}, _tasks(1), executor=executor_spec(jobs=1))
    with pytest.raises(VerifyError, match="cache schema"):
        run_tasks(lambda p: {"x": 1}, _tasks(1), cache=cache, executor=executor_spec(jobs=1))


def test_local_processes_and_caller_executors_give_the_same_results(tmp_path, cache, capsys):
    tasks = _tasks(6)
    inline = run_tasks(demo_task, tasks, executor=executor_spec(jobs=1))
    assert capsys.readouterr().err == ""  # no progress bar unless asked for
    pool = run_tasks(demo_task, tasks, cache=cache, executor=executor_spec(jobs=2), progress="pool")
    assert pool == inline and pool.from_cache == [False] * 6
    err = capsys.readouterr().err
    assert "pool: 100%" in err and "6/6" in err
    with ThreadPoolExecutor(2) as ex:
        assert run_tasks(demo_task, tasks, executor=ex) == inline
    assert inline[0] == demo_task(tasks[0].payload)
    # the check can fail: another seed gives other numbers
    assert run_tasks(demo_task, _tasks(6, size=201), executor=executor_spec(jobs=1)) != inline


def test_a_failing_task_in_a_pool_stops_the_run_and_keeps_the_rest(cache):
    tasks = _tasks(3) + [Task.make({"seed": 99, "n": 5, "fail": True, "sleep": 0.5}, namespace="t", version=1)]
    with pytest.raises(RuntimeError, match="failed on purpose"):
        run_tasks(demo_task, tasks, cache=cache, executor=executor_spec(jobs=2))
    assert len(list(cache.directory.glob("*.json"))) == 3


# -- a Dask cluster --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_cluster():
    """A two-process LocalCluster (no dashboard: its port may be taken, which dask warns about).

    distributed logs (not warns) its shutdown chatter; it is raised to ERROR so the test output
    stays readable.  Nothing here filters Python warnings: pytest turns any into an error.
    """
    distributed = pytest.importorskip("distributed")
    log = logging.getLogger("distributed")
    level = log.level
    log.setLevel(logging.ERROR)
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None)
    try:
        yield cluster
    finally:
        cluster.close()
        log.setLevel(level)


def test_a_dask_cluster_gives_the_local_results(dask_cluster, tmp_path, monkeypatch):
    import distributed

    tasks = _tasks(6)
    local = run_tasks(demo_task, tasks, executor=executor_spec(jobs=2))
    monkeypatch.setenv(SCHEDULER_ENV, dask_cluster.scheduler_address)
    cache = Cache(tmp_path, schema=DEMO_SCHEMA, report=pytest.fail)
    remote = run_tasks(demo_task, tasks, cache=cache, executor=executor_spec(), progress="dask")
    assert remote == local and remote.from_cache == [False] * 6
    assert run_tasks(demo_task, tasks, cache=cache, executor=executor_spec()).from_cache == [True] * 6
    with distributed.Client(dask_cluster, set_as_default=False) as client:  # a client of the caller's
        assert run_tasks(demo_task, tasks, executor=client) == local
        assert client.status == "running"  # not closed by the runner


def test_a_failing_task_on_dask_propagates(dask_cluster):
    tasks = [Task.make({"seed": 1, "n": 5, "fail": True}, namespace="t", version=1)]
    with pytest.raises(RuntimeError, match="failed on purpose"):
        run_tasks(demo_task, tasks, executor=executor_spec(scheduler=dask_cluster.scheduler_address))


def test_an_interrupt_on_dask_cancels_the_queue_and_keeps_what_finished(dask_cluster, tmp_path):
    import threading

    cache = Cache(tmp_path, schema=DEMO_SCHEMA, report=pytest.fail)
    tasks = _tasks(2) + _tasks(6, sleep=4.0)[2:]  # two quick runs, then four that take a while
    sent = []

    def interrupt_when_two_are_kept():
        while len(list(tmp_path.glob("*.json"))) < 2:
            time.sleep(0.05)
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_when_two_are_kept, daemon=True).start()
    with pytest.raises(Interrupted) as exc:
        run_tasks(demo_task, tasks, cache=cache, executor=executor_spec(scheduler=dask_cluster.scheduler_address))
    elapsed = time.monotonic() - sent[0]
    print(f"dask run interrupted: {exc.value} after {elapsed:.2f} s")
    assert (exc.value.kept, exc.value.total, exc.value.signal) == (2, 6, "SIGINT") and elapsed < 5
    assert run_tasks(demo_task, tasks[:2], cache=cache).from_cache == [True, True]


def test_an_absent_scheduler_is_a_verify_error(monkeypatch):
    import socket

    monkeypatch.setattr("verify.runner.CONNECT_TIMEOUT_S", 1.0)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(VerifyError, match="no Dask scheduler answered") as exc:
        run_tasks(demo_task, _tasks(2), executor=executor_spec(scheduler=f"tcp://127.0.0.1:{port}"))
    assert exc.value.argument == "--scheduler"


# -- interrupts ------------------------------------------------------------------------------------


def test_interrupted_carries_counts_and_exit_codes():
    e = Interrupted(3, 8, "SIGTERM", 2, "/c")
    assert isinstance(e, KeyboardInterrupt) and not isinstance(e, Exception) and e.exit_code == 143
    assert str(e) == ("interrupted by SIGTERM: kept 3 of 8 runs in the cache /c, 2 of them finished in this run; "
                      "run the same command again to resume")
    assert Interrupted(0, 8, "SIGINT").exit_code == 130 and "no cache" in str(Interrupted(0, 8, cache=None))


def test_sigterm_interrupts_maps_sigterm_and_restores_the_handler():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Interrupted) as exc:
        with sigterm_interrupts():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
    assert exc.value.signal == "SIGTERM" and signal.getsignal(signal.SIGTERM) is before


def test_an_interrupt_in_process_keeps_the_finished_runs(cache):
    def fn(payload):
        if payload["seed"] == 2:
            raise KeyboardInterrupt
        return demo_task(payload)

    with pytest.raises(Interrupted) as exc:
        run_tasks(fn, _tasks(5), cache=cache, executor=executor_spec(jobs=1))
    assert (exc.value.kept, exc.value.total, exc.value.signal, exc.value.new) == (2, 5, "SIGINT", 2)
    assert len(list(cache.directory.glob("*.json"))) == 2


#: Three quick tasks, then slow ones that would take a minute each: the signal comes while two slow
#: tasks run in the two workers and the rest wait in the queue.
_SLOW_TABLE = ["--tasks", "8", "--sleep", "0.1", "--slow-after", "3", "--slow-sleep", "120", "--jobs", "2",
               "--no-progress"]


@pytest.mark.slow  # ~20 s each on a loaded 2-core machine: mostly the subprocess importing vae-verify twice
@pytest.mark.parametrize("sig,to_group", [(signal.SIGINT, True), (signal.SIGINT, False), (signal.SIGTERM, False),
                                          (signal.SIGTERM, True)],
                         ids=["SIGINT-group", "SIGINT-parent", "SIGTERM-parent", "SIGTERM-group"])
def test_a_signal_stops_a_table_promptly_and_keeps_what_finished(tmp_path, sig, to_group):
    cache_dir = tmp_path / "cache"
    env = {**os.environ, "VAE_VERIFY_CACHE": str(cache_dir)}
    env.pop(SCHEDULER_ENV, None)
    proc = subprocess.Popen([sys.executable, "-m", "verify.runner", *_SLOW_TABLE], env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while len(list(cache_dir.glob("*.json"))) < 3:
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.1)
        time.sleep(0.5)  # the slow tasks are running
        t0 = time.monotonic()
        if to_group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
        elapsed = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    name = signal.Signals(sig).name
    print(f"{name} to the {'group' if to_group else 'parent'}: exit {proc.returncode} after {elapsed:.2f} s")
    assert elapsed < 10
    assert proc.returncode == 128 + sig
    assert "Traceback" not in err and err.strip().splitlines() == [
        f"python -m verify.runner: interrupted by {name}: kept 3 of 8 runs in the cache {cache_dir}, 3 of them "
        f"finished in this run; run the same command again to resume"]
    assert out == ""
    cache = Cache(cache_dir, schema=DEMO_SCHEMA, report=pytest.fail)
    entries = [json.loads(p.read_text()) for p in cache_dir.glob("*.json")]
    assert sorted(e["task"]["seed"] for e in entries) == [0, 1, 2]
    assert all(cache.get(e["key"], e["task"]) == e["result"] for e in entries)
    # no worker outlives the run
    for _ in range(50):
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("processes of the run are still alive")


# -- run_calls: whole computations (the report's statements) in worker processes ---------------------


def _where(x):
    """A call that says where it ran: (x squared, its process id, the jobs a nested run would get)."""
    from verify.runner import JOBS_ENV

    if x < 0:
        raise ValueError(f"negative {x}")
    return x * x, os.getpid(), os.environ.get(JOBS_ENV)


def test_run_calls_in_processes_gives_the_in_process_results_in_order(monkeypatch):
    from verify.runner import JOBS_ENV, run_calls

    monkeypatch.delenv(JOBS_ENV, raising=False)
    seen = []
    pooled = run_calls(_where, range(6), jobs=2, on_done=lambda i, v: seen.append(i))
    inline = run_calls(_where, range(6), jobs=1)
    assert [v[0] for v in pooled] == [v[0] for v in inline] == [x * x for x in range(6)]
    assert sorted(seen) == list(range(6))
    assert {v[1] for v in inline} == {os.getpid()} and os.getpid() not in {v[1] for v in pooled}
    # inside a worker a nested run gets one job (no pool on cores the workers already use)
    assert {v[2] for v in pooled} == {"1"} and {v[2] for v in inline} == {None}


def test_run_calls_propagates_a_failing_call():
    from verify.runner import run_calls

    with pytest.raises(ValueError, match="negative -3"):
        run_calls(_where, [1, 2, -3, 4], jobs=2)


@pytest.mark.parametrize("raw", ["0", "x", "-2", "1.5"])
def test_a_bad_jobs_variable_is_named(raw, monkeypatch):
    from verify.runner import JOBS_ENV

    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    monkeypatch.setenv(JOBS_ENV, raw)
    with pytest.raises(VerifyError, match="positive integer") as exc:
        executor_spec()
    assert exc.value.argument == JOBS_ENV
    assert executor_spec(jobs=3).jobs == 3  # the option wins over the variable


def _blas_threads(_):
    from threadpoolctl import threadpool_info

    import numpy  # noqa: F401 - BLAS is loaded with NumPy

    return max((i["num_threads"] for i in threadpool_info()), default=1)


def test_run_calls_workers_keep_to_one_blas_thread():
    from verify.runner import run_calls

    assert run_calls(_blas_threads, range(2), jobs=2) == [1, 1]
