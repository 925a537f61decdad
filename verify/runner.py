"""One experiment runner for every table: local processes or a Dask cluster, a safe cache, clean interrupts.

API (everything a caller needs)::

    from verify.cache import Cache
    from verify.runner import Interrupted, Task, executor_spec, run_tasks

    spec = executor_spec(jobs=args.jobs, scheduler=args.scheduler)      # VerifyError before any work
    cache = Cache(args.cache_dir, schema={"loss": float, "zeros": int})  # VerifyError before any work
    tasks = [Task.make(payload, namespace="koehler2022.table1", version=CODE_VERSION, label="r*=3 d=12 seed 0")
             for payload in payloads]                  # payload: a plain JSON dict of the run's inputs
    results = run_tasks(run_payload, tasks, cache=cache, executor=spec, progress="table1 (minibatch)")
    results[i]               # the JSON dict run_payload(tasks[i].payload) returned (or the cached copy)
    results.from_cache[i]    # True if it was read from the cache

* ``fn`` (``run_payload`` above) is a top-level function of an importable module (it is pickled by
  reference), takes one task payload and returns a JSON dict.  Results are normalised through JSON,
  so a fresh result and a cached one are the same object graph (lists, not tuples or arrays).
* A :class:`Task` is ``(key, payload, label)``; :meth:`Task.make` keys it by the sha256 of the
  canonical JSON of ``(namespace, version, payload)``: bump ``version`` when the code that computes
  the results changes, and cached results of older code are not reused.
* Cached results are returned without running; every run is stored the moment it finishes, so an
  interrupted table keeps what it finished and the same call resumes it.  ``recompute=True`` ignores
  the cache on reading (and rewrites it).  ``cache=None`` runs without a cache.
* ``progress="label"`` draws a tqdm bar on stderr; ``None`` draws nothing.
* Executors: :func:`executor_spec` (``jobs``: local worker processes, default one per core;
  ``scheduler``: a Dask scheduler address, default ``$VAE_VERIFY_SCHEDULER``).  With one job or one
  task to run, tasks run in this process.  Otherwise a :class:`concurrent.futures.ProcessPoolExecutor`
  (forkserver start method, workers ignore SIGINT) or a :class:`distributed.Client` runs them: the
  loop that submits and stores is the same for all (``submit`` and ``as_completed`` on futures, as
  concurrent.futures and dask.distributed share them); a cluster is a different client, not a
  different code path.  An executor object (a ``concurrent.futures.Executor`` or a
  ``distributed.Client``) may be passed instead of a spec; it stays the caller's (it is not shut
  down, and on an interrupt only its queued futures are cancelled).
* Interrupts: Ctrl-C (SIGINT to the process group or to this process alone) and SIGTERM stop the run
  promptly: queued futures are cancelled, local workers are terminated, every finished run is kept in
  the cache, and :class:`Interrupted` is raised (a ``KeyboardInterrupt``, so ``except Exception``
  does not swallow it) with ``kept``, ``total``, ``signal`` and ``exit_code`` (130 / 143).  A command
  line prints ``str(exc)`` as one line and exits with ``exc.exit_code``.  :func:`sigterm_interrupts`
  maps SIGTERM to :class:`Interrupted` for a whole command (run_tasks installs it for its own run).
* A task that raises stops the run the same way (finished runs kept) and its exception propagates,
  with a note naming the task.

Running on a cluster
--------------------
Every machine needs the same Python environment with vae-verify installed (the workers import the
task function); the workers need no shared file system, because results travel back to the client,
which alone writes the cache.  Start a scheduler and workers (one thread per worker process: the
tasks are NumPy/JAX code that holds the GIL)::

    dask scheduler --port 8786                                   # on the scheduler host (dask-scheduler in old versions)
    dask worker tcp://SCHEDULER:8786 --nworkers 4 --nthreads 1   # on each worker host (dask-worker in old versions)

then point the run at it, by option or environment::

    vae-verify reproduce table1 --scheduler tcp://SCHEDULER:8786
    VAE_VERIFY_SCHEDULER=tcp://SCHEDULER:8786 vae-verify reproduce table1
    python -m verify.runner --scheduler tcp://SCHEDULER:8786      # smoke test: a small demo table

On an interrupt the client cancels the cluster's queued tasks; a task already running on a worker
finishes there and its result is discarded (Dask cannot stop a running task).
"""
from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional, Union
from urllib.parse import urlsplit

from ._errors import VerifyError
from .cache import KEY_PATTERN, Cache, canonical_json
from .validate import check_positive_int

__all__ = ["Task", "Results", "ExecutorSpec", "Interrupted", "executor_spec", "run_tasks", "run_calls",
           "sigterm_interrupts", "task_key", "demo_task", "SCHEDULER_ENV", "JOBS_ENV", "CONNECT_TIMEOUT_S"]

#: The environment variable naming a Dask scheduler (used when no ``scheduler`` is given).
SCHEDULER_ENV = "VAE_VERIFY_SCHEDULER"
#: The environment variable giving the number of local worker processes when no ``jobs`` is given
#: (default: one per core).  The report's statement workers set it to 1, so an experiment run inside
#: a statement runs in that worker instead of starting a pool of its own on cores already busy.
JOBS_ENV = "VAE_VERIFY_JOBS"
#: How long to wait for a Dask scheduler to answer before giving up (seconds).
CONNECT_TIMEOUT_S = 20.0
#: How long terminated local workers get to exit before they are killed (seconds).
WORKER_EXIT_S = 3.0
_SCHEMES = ("tcp", "tls", "ws", "wss")
_SIGNAL_NAMES = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}


def task_key(payload: Any, *, namespace: str, version: Union[int, str]) -> str:
    """sha256 (first 32 hex digits) of the canonical JSON of ``[namespace, version, payload]``."""
    try:
        blob = canonical_json([namespace, version, payload])
    except (TypeError, ValueError) as exc:
        raise VerifyError("payload", payload, f"is not plain JSON data ({exc})") from None
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Task:
    """One run: a stable ``key`` (a file name: letters, digits, ``_``, ``-``), the JSON ``payload``
    given to the task function, and a ``label`` shown by the progress bar and in errors."""

    key: str
    payload: dict
    label: str = ""

    @classmethod
    def make(cls, payload: dict, *, namespace: str, version: Union[int, str], label: str = "") -> "Task":
        """A task keyed by :func:`task_key` (namespace, code version and payload)."""
        return cls(task_key(payload, namespace=namespace, version=version), payload, label)

    @property
    def name(self) -> str:
        return self.label or self.key


class Results(list):
    """The results in task order; ``from_cache[i]`` is True when result ``i`` came from the cache."""

    def __init__(self, values: Iterable = (), from_cache: Iterable = ()):
        super().__init__(values)
        self.from_cache = list(from_cache)


class Interrupted(KeyboardInterrupt):
    """A run stopped by SIGINT or SIGTERM; ``kept`` of ``total`` runs are in the cache."""

    def __init__(self, kept: Optional[int] = None, total: Optional[int] = None, signal: str = "SIGINT",
                 new: Optional[int] = None, cache: Optional[str] = None):
        self.kept, self.total, self.signal, self.new, self.cache = kept, total, signal, new, cache
        super().__init__(self._message())

    @property
    def exit_code(self) -> int:
        """128 + the signal number: 130 for SIGINT, 143 for SIGTERM."""
        return 128 + int(getattr(signal, self.signal, signal.SIGINT))

    def _message(self) -> str:
        if self.total is None:
            return f"interrupted by {self.signal}"
        if self.cache is None:
            return f"interrupted by {self.signal}: no cache, so none of the {self.total} runs is kept"
        fresh = f", {self.new} of them finished in this run" if self.new is not None else ""
        return (f"interrupted by {self.signal}: kept {self.kept} of {self.total} runs in the cache {self.cache}"
                f"{fresh}; run the same command again to resume")

    def __str__(self) -> str:
        return self._message()

    def __reduce__(self):
        return (Interrupted, (self.kept, self.total, self.signal, self.new, self.cache))


@contextmanager
def sigterm_interrupts():
    """Within the block, SIGTERM raises :class:`Interrupted` (signal ``"SIGTERM"``) in the main thread.

    (SIGINT already raises ``KeyboardInterrupt``.)  Outside the main thread this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Interrupted(signal="SIGTERM")

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


@contextmanager
def _signals_deferred():
    """Record (and otherwise ignore) SIGINT/SIGTERM while cleaning up after the first one."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.signal(s, lambda signum, frame: None) for s in _SIGNAL_NAMES}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


# -- executors -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExecutorSpec:
    """Where tasks run: ``jobs`` local processes, or the Dask scheduler at ``scheduler`` (named by
    ``source``: ``--scheduler`` or ``VAE_VERIFY_SCHEDULER``)."""

    jobs: int = 1
    scheduler: Optional[str] = None
    source: str = "--scheduler"

    def describe(self) -> str:
        return f"Dask scheduler {self.scheduler}" if self.scheduler else f"{self.jobs} local process(es)"


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def executor_spec(jobs: Optional[int] = None, scheduler: Optional[str] = None, *, jobs_argument: str = "--jobs",
                  scheduler_argument: str = "--scheduler") -> ExecutorSpec:
    """Validate ``jobs`` / ``scheduler`` (before any work); VerifyError names the option or variable.

    ``scheduler`` None falls back to ``$VAE_VERIFY_SCHEDULER``; it must look like ``tcp://host:port``
    (or tls://, ws://, wss://).  ``jobs`` None means one per core; it cannot be combined with a scheduler.
    """
    source = scheduler_argument
    if scheduler is None and os.environ.get(SCHEDULER_ENV, "").strip():
        scheduler, source = os.environ[SCHEDULER_ENV].strip(), SCHEDULER_ENV
    if jobs is not None:
        jobs = check_positive_int(jobs_argument, jobs)
    if scheduler is None:
        if jobs is None and os.environ.get(JOBS_ENV, "").strip():
            raw = os.environ[JOBS_ENV].strip()
            if not raw.isdigit():
                raise VerifyError(JOBS_ENV, raw, "must be a positive integer")
            jobs = check_positive_int(JOBS_ENV, int(raw))
        return ExecutorSpec(jobs=jobs or _cores())
    if not isinstance(scheduler, str):
        raise VerifyError(source, scheduler, "must be a Dask scheduler address such as tcp://host:8786")
    try:
        parts = urlsplit(scheduler)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if (parts is None or parts.scheme not in _SCHEMES or not parts.hostname or port is None
            or parts.path not in ("", "/") or parts.query or parts.fragment):
        raise VerifyError(source, scheduler, "must be a Dask scheduler address such as tcp://host:8786 "
                          f"(scheme {', '.join(_SCHEMES)}, a host and a port)")
    if jobs is not None:
        raise VerifyError(jobs_argument, jobs, f"cannot be combined with a scheduler ({source}={scheduler}): "
                          "the cluster's workers run the tasks; drop one of them")
    return ExecutorSpec(jobs=1, scheduler=scheduler.rstrip("/"), source=source)


def _ignore_sigint() -> None:
    """Worker initializer: Ctrl-C is the parent's to handle (it terminates the workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _Deferred(cf.Future):
    """A future of :class:`_Inline`: the call runs in this process when its turn comes."""

    def __init__(self, fn, payload):
        super().__init__()
        self._call = (fn, payload)

    def run(self) -> None:
        if not self.set_running_or_notify_cancel():
            return
        fn, payload = self._call
        try:
            self.set_result(fn(payload))
        except Exception as exc:  # noqa: BLE001 - handed back through the future like any executor
            self.set_exception(exc)


class _Inline:
    """Runs the tasks in this process, one at a time, as their results are asked for."""

    def submit(self, fn, task: Task):
        return _Deferred(fn, task.payload)

    def as_completed(self, futures):
        for fut in futures:
            fut.run()
            yield fut

    def stop(self, futures) -> None:
        pass

    def close(self) -> None:
        pass


class _Futures:
    """A concurrent.futures executor (ours, a process pool, or the caller's)."""

    def __init__(self, executor: cf.Executor, owned: bool):
        self.executor, self.owned = executor, owned

    def submit(self, fn, task: Task):
        return self.executor.submit(fn, task.payload)

    def as_completed(self, futures):
        return cf.as_completed(futures)

    def stop(self, futures) -> None:
        for fut in futures:
            fut.cancel()
        if not self.owned:
            return
        procs = list((getattr(self.executor, "_processes", None) or {}).values())
        self.executor.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            try:
                p.terminate()
            except (OSError, ValueError, AttributeError):
                pass
        deadline = time.monotonic() + WORKER_EXIT_S
        for p in procs:
            try:
                p.join(max(0.0, deadline - time.monotonic()))
                if p.is_alive():
                    p.kill()
                    p.join(1.0)
            except (OSError, ValueError, AttributeError, AssertionError):
                pass

    def close(self) -> None:
        if self.owned:
            self.executor.shutdown(wait=True)


class _Dask:
    """A dask.distributed client: the same submit / as_completed interface."""

    def __init__(self, client, owned: bool):
        self.client, self.owned = client, owned
        self._nonce = uuid.uuid4().hex[:8]

    @classmethod
    def connect(cls, spec: ExecutorSpec) -> "_Dask":
        import distributed

        try:
            client = distributed.Client(spec.scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise VerifyError(spec.source, spec.scheduler, f"no Dask scheduler answered within "
                              f"{CONNECT_TIMEOUT_S:g} s ({type(exc).__name__}: {exc})") from None
        return cls(client, owned=True)

    def submit(self, fn, task: Task):
        name = getattr(fn, "__name__", "task")
        return self.client.submit(fn, task.payload, key=f"{name}-{task.key}-{self._nonce}", pure=False)

    def as_completed(self, futures):
        import distributed

        return distributed.as_completed(futures, loop=self.client.loop)

    def stop(self, futures) -> None:
        try:
            self.client.cancel(list(futures), force=True)
        except Exception:  # noqa: BLE001 - the client may already be gone; stopping must not fail
            pass
        self.close()

    def close(self) -> None:
        if self.owned:
            self.client.close(timeout=5)


def _single_job_worker() -> None:
    """Worker initializer of :func:`run_calls`: Ctrl-C is the parent's, and the worker keeps to one
    core: nested runs use one job, and the BLAS / OpenMP libraries one thread (with one worker per
    core, their own threads only contend with the other workers: measured on the 2-core machine,
    the report's statements took about 13% less time in total with one BLAS thread each)."""
    _ignore_sigint()
    os.environ[JOBS_ENV] = "1"
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def _backend(executor, fn, n_todo: int, initializer=_ignore_sigint, preload: Iterable[str] = ()):
    if isinstance(executor, ExecutorSpec):
        if executor.scheduler:
            return _Dask.connect(executor)
        if executor.jobs <= 1 or n_todo <= 1:
            return _Inline()
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        ctx = multiprocessing.get_context(method)
        if method == "forkserver":
            # Workers are forked from a server that has already imported the task's module: a fresh
            # interpreter (unlike fork, safe beside threads such as JAX's) without a per-worker import.
            # (Not the main module itself: the workers run it as __mp_main__, which must come first.)
            main = getattr(getattr(sys.modules.get("__main__"), "__spec__", None), "name", None)
            preload = {__name__, getattr(fn, "__module__", None), *preload} - {None, "__main__", main}
            ctx.set_forkserver_preload(sorted(preload))
        pool = cf.ProcessPoolExecutor(max_workers=min(executor.jobs, n_todo), mp_context=ctx,
                                      initializer=initializer)
        return _Futures(pool, owned=True)
    if isinstance(executor, cf.Executor):
        return _Futures(executor, owned=False)
    distributed = sys.modules.get("distributed")
    if distributed is not None and isinstance(executor, distributed.Client):
        return _Dask(executor, owned=False)
    raise VerifyError("executor", executor, "must be an executor_spec(...), a concurrent.futures.Executor "
                      "or a distributed.Client")


# -- the run ---------------------------------------------------------------------------------------


@dataclass
class _State:
    cache: Optional[Cache]
    total: int
    bar: Any
    results: dict = field(default_factory=dict)
    hits: int = 0
    stored: int = 0

    def finish(self, task: Task, value: Any) -> None:
        if self.cache is not None:
            try:
                plain = self.cache.put(task.key, task.payload, value)
                self.stored += 1
            except OSError as exc:  # e.g. a full disk: report it, keep going without this entry
                self.cache.report(f"cache: cannot write {self.cache.path(task.key)} ({exc.strerror or exc}); "
                                  f"the run {task.name} is not kept")
                plain = json.loads(canonical_json(value))
        else:
            try:
                plain = json.loads(canonical_json(value))
            except (TypeError, ValueError) as exc:
                raise VerifyError("result", task.name, f"is not plain JSON data ({exc})") from None
        self.results[task.key] = plain
        if self.bar is not None:
            self.bar.set_postfix_str(task.name, refresh=False)
            self.bar.update(1)

    @property
    def kept(self) -> int:
        return self.hits + self.stored if self.cache is not None else 0


def _check_tasks(fn, tasks) -> dict:
    if not callable(fn):
        raise VerifyError("fn", fn, "must be a function of one task payload")
    unique: dict = {}
    for t in tasks:
        if not isinstance(t, Task):
            raise VerifyError("tasks", t, "each task must be a verify.runner.Task")
        if not isinstance(t.key, str) or not KEY_PATTERN.fullmatch(t.key):
            raise VerifyError("tasks", t.key, f"a task key must match {KEY_PATTERN.pattern}")
        if not isinstance(t.payload, dict):
            raise VerifyError("tasks", t.payload, "a task payload must be a dict")
        seen = unique.setdefault(t.key, t)
        if seen is not t and canonical_json(seen.payload) != canonical_json(t.payload):
            raise VerifyError("tasks", t.key, "two tasks share this key but not their payload")
    return unique


def run_tasks(fn: Callable[[dict], dict], tasks: Iterable[Task], *, cache: Optional[Cache] = None,
              executor: Any = None, progress: Optional[str] = None, recompute: bool = False) -> Results:
    """Run ``fn(task.payload)`` for every task (cached ones excepted); the results in task order.

    ``cache``: a :class:`verify.cache.Cache` or None; ``executor``: an :func:`executor_spec` (default:
    ``executor_spec()``), a ``concurrent.futures.Executor`` or a ``distributed.Client``; ``progress``:
    the progress bar's label, or None; ``recompute``: ignore cached results (they are rewritten).
    Raises :class:`Interrupted` on SIGINT / SIGTERM after keeping every finished run.
    """
    tasks = list(tasks)
    unique = _check_tasks(fn, tasks)
    if cache is not None and not isinstance(cache, Cache):
        raise VerifyError("cache", cache, "must be a verify.cache.Cache or None")
    spec = executor_spec() if executor is None else executor
    state = _State(cache, len(unique), None)
    from_cache: set = set()
    try:
        with sigterm_interrupts():
            if cache is not None and not recompute:
                for key, task in unique.items():
                    hit = cache.get(key, task.payload)
                    if hit is not None:
                        state.results[key] = hit
                        from_cache.add(key)
                state.hits = len(from_cache)
            todo = [t for k, t in unique.items() if k not in state.results]
            if progress is not None:
                from tqdm import tqdm

                state.bar = tqdm(total=len(unique), initial=state.hits, desc=progress, unit="run", file=sys.stderr,
                                 dynamic_ncols=True)
            if todo:
                _drive(_backend(spec, fn, len(todo)), fn, todo, state)
    except KeyboardInterrupt as exc:
        raise Interrupted(state.kept, state.total, getattr(exc, "signal", "SIGINT"), state.stored,
                          str(cache.directory) if cache is not None else None) from None
    finally:
        if state.bar is not None:
            state.bar.close()
    return Results((state.results[t.key] for t in tasks), (t.key in from_cache for t in tasks))


def run_calls(fn: Callable[[Any], Any], args: Iterable, *, jobs: Optional[int] = None,
              on_done: Optional[Callable[[int, Any], None]] = None, preload: Iterable[str] = ()) -> list:
    """``fn(arg)`` for every arg in ``jobs`` local processes (default :func:`executor_spec`'s: one per
    core, or ``$VAE_VERIFY_JOBS``), each result handed to ``on_done(index, value)`` as it finishes;
    the results in argument order.

    Unlike :func:`run_tasks` the values are any picklable objects (not JSON) and nothing is cached:
    this is for whole computations whose result is a Python object, such as checking a statement.
    Inside a worker, :data:`JOBS_ENV` is 1, so a nested :func:`run_tasks` runs in that worker.  With
    one job (or one argument) the calls run in this process, in order.  ``preload`` names modules the
    workers import before their first call (with the forkserver start method, once for all of them).
    SIGINT / SIGTERM stop the
    run (queued calls cancelled, workers terminated) and raise :class:`Interrupted`; a call that
    raises stops the run the same way and its exception propagates.
    """
    args = list(args)
    spec = executor_spec(jobs)
    tasks = [Task(f"{i:08d}", a, repr(a)) for i, a in enumerate(args)]
    results: list = [None] * len(tasks)
    if not tasks:
        return results
    with sigterm_interrupts():
        backend = _backend(spec, fn, len(tasks), initializer=_single_job_worker, preload=preload)
        pending: dict = {}
        try:
            for i, task in enumerate(tasks):
                fut = backend.submit(fn, task)
                pending[id(fut)] = (fut, i)
            for fut in backend.as_completed([f for f, _ in pending.values()]):
                _, i = pending.pop(id(fut))
                results[i] = fut.result()
                if on_done is not None:
                    on_done(i, results[i])
        except BaseException:
            with _signals_deferred():
                backend.stop([f for f, _ in pending.values()])
            raise
        backend.close()
    return results


def _drive(backend, fn, todo: list, state: _State) -> None:
    """Submit every task, then store each result as it completes (the same loop for every backend)."""
    pending: dict = {}
    try:
        for task in todo:
            fut = backend.submit(fn, task)
            pending[id(fut)] = (fut, task)
        for fut in backend.as_completed([f for f, _ in pending.values()]):
            _, task = pending.pop(id(fut))
            try:
                value = fut.result()
            except Exception as exc:
                _note(exc, f"while running task {task.name} (key {task.key})")
                raise
            state.finish(task, value)
    except BaseException as exc:
        with _signals_deferred():
            _harvest(pending, state)
            backend.stop([f for f, _ in pending.values()])
        if not isinstance(exc, KeyboardInterrupt):
            _note(exc, f"{state.kept} of {state.total} runs are kept in the cache")
        raise
    backend.close()


def _harvest(pending: dict, state: _State) -> None:
    """Keep the results of futures that finished but were not collected yet."""
    for key in list(pending):
        fut, task = pending[key]
        try:
            if not fut.done() or fut.cancelled():
                continue
            value = fut.result(timeout=1)
            state.finish(task, value)
        except Exception:  # noqa: BLE001 - a failed or unusable result is simply not kept
            continue
        pending.pop(key)


def _note(exc: BaseException, text: str) -> None:
    if hasattr(exc, "add_note"):
        exc.add_note(text)


# -- a demo table (smoke test for a cluster, and the tests' task) -----------------------------------


def demo_task(payload: dict) -> dict:
    """A cheap deterministic task: statistics of ``n`` seeded normal draws; ``sleep`` seconds first.

    Payload: ``{"seed": int, "n": int, "sleep": float (optional), "fail": bool (optional)}``.
    """
    import numpy as np

    time.sleep(float(payload.get("sleep", 0.0)))
    if payload.get("fail"):
        raise RuntimeError(f"demo task {payload['seed']} failed on purpose")
    x = np.random.default_rng(int(payload["seed"])).standard_normal(int(payload["n"]))
    return {"seed": int(payload["seed"]), "n": int(payload["n"]), "mean": float(x.mean()), "std": float(x.std()),
            "max": float(x.max())}


#: What a demo_task result must hold (for Cache(schema=...)).
DEMO_SCHEMA = {"seed": int, "n": int, "mean": float, "std": float, "max": float}


def _demo_main(argv=None) -> int:
    """``python -m verify.runner [--tasks N] [--sleep S] [--jobs J | --scheduler ADDR] [--cache-dir D]``."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m verify.runner", description="Run a small demo table (a smoke test).")
    p.add_argument("--tasks", type=int, default=8)
    p.add_argument("--sleep", type=float, default=0.5, help="seconds each task sleeps")
    p.add_argument("--slow-after", type=int, default=None, help="tasks from this index on sleep --slow-sleep")
    p.add_argument("--slow-sleep", type=float, default=60.0)
    p.add_argument("--jobs", type=int, default=None)
    p.add_argument("--scheduler", default=None)
    p.add_argument("--cache-dir", default=None)
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    try:
        spec = executor_spec(args.jobs, args.scheduler)
        cache = None if args.no_cache else Cache(args.cache_dir, schema=DEMO_SCHEMA)
        tasks = []
        for i in range(args.tasks):
            slow = args.slow_after is not None and i >= args.slow_after
            payload = {"seed": i, "n": 1000, "sleep": args.slow_sleep if slow else args.sleep}
            tasks.append(Task.make(payload, namespace="verify.runner.demo", version=1, label=f"seed {i}"))
        t0 = time.perf_counter()
        res = run_tasks(demo_task, tasks, cache=cache, executor=spec,
                        progress=None if args.no_progress else "demo")
    except VerifyError as exc:
        print(f"python -m verify.runner: error: {exc}", file=sys.stderr)
        return 2
    except Interrupted as exc:
        print(f"python -m verify.runner: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"{len(res)} tasks on {spec.describe()} in {time.perf_counter() - t0:.1f} s "
          f"({sum(res.from_cache)} from the cache); mean of means {sum(r['mean'] for r in res) / len(res):+.6f}")
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through a subprocess in the tests
    from verify.runner import _demo_main as _main

    sys.exit(_main())
