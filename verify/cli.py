"""The ``vae-verify`` command.

- ``list``: every registered paper's statements, their ids and whether each is checked;
- ``check ID... [--json]``: check some statements (``lemma5``, or qualified: ``koehler2022:lemma5``);
- ``report [--out DIR] [--format md|html] [--paper KEY]``: check every statement and write the report;
- ``why ID [--report DIR]``: what a statement rests on, transitively, with each verdict (from
  DIR/report.json, else by checking the closure), flagging premises refuted or holding only as corrected;
- ``reproduce EXPERIMENT [options]``: rerun an experiment; its options are the ones it declares
  (:class:`verify.paper.Option`), plus ``--jobs``, ``--scheduler``, ``--no-cache``, ``--cache-dir``,
  ``--out`` and ``--format``.

``check`` and ``report`` take ``--profile ci|dev|thorough`` (the Hypothesis profile).

Exit status: 0 when every statement checked has an acceptable verdict (verified, verified_bounded,
verified_numerically, holds_as_corrected); 1 otherwise (refuted, inconclusive, or not checked yet);
2 for a usage error, named in one line before any work; 130 after Ctrl-C and 143 after SIGTERM,
with one line saying what was kept.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from typing import Optional, Sequence

from ._errors import VerifyError
from .paper import Option, registry
from .report import FORMATS, ensure_writable, report_dict, write_report
from .runner import Interrupted, executor_spec, run_calls, sigterm_interrupts
from .strategies import PROFILES, active_profile
from .validate import check_int, check_real_in

__all__ = ["main"]

DEFAULT_OUT = "vae-verify-report"
PARTIAL = "partial"  # the sub-directory of --out that holds the report while a run is under way


def _exit_code(exc: BaseException) -> int:
    """130 after SIGINT (Ctrl-C), 143 after SIGTERM (:class:`verify.runner.Interrupted` knows which)."""
    return getattr(exc, "exit_code", 130)


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors on one line (exit 2)."""

    def error(self, message):
        self.exit(2, f"vae-verify: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="vae-verify", description="Machine checks of the statements of papers on variational "
                "autoencoders (Koehler et al. 2022 and the papers it builds on).")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="list the statements, their ids and whether they are checked")
    c = sub.add_parser("check", help="check some statements")
    c.add_argument("ids", nargs="+", metavar="ID", help="statement ids, e.g. lemma3 or koehler2022:lemma3")
    c.add_argument("--json", action="store_true", help="print the report JSON instead of a summary")
    c.add_argument("--only", action="append", default=None, metavar="ITEM",
                   help="recompute only these evidence items (the item names of the report's provenance): a proof "
                        "made of named items evaluates only those; for any other proof, the whole proof runs and "
                        "only these items (an index, a check's name or a derivation's title) are reported. The "
                        "verdict is computed from them")
    w = sub.add_parser("why", help="what a statement rests on, transitively, with each verdict")
    w.add_argument("id", metavar="ID", help="a statement or informal claim id, e.g. theorem5 or koehler2022:theorem2")
    w.add_argument("--report", default=None, metavar="DIR", help="take the verdicts from DIR/report.json "
                   "(default: check every statement of the closure now)")
    r = sub.add_parser("report", help="check every statement and write report.json with report.md or report.html")
    r.add_argument("--out", default=DEFAULT_OUT, help=f"output directory (default: {DEFAULT_OUT})")
    r.add_argument("--paper", action="append", default=None, metavar="KEY",
                   help="only this paper (repeatable; default: every registered paper)")
    r.add_argument("--format", choices=FORMATS, default="md",
                   help="md: report.md with figures/ (default); html: one self-contained report.html")
    r.add_argument(_JOBS.flag, type=str, default=_JOBS.default,
                   help="statements checked at once, each in its own process (default: one per core, or $VAE_VERIFY_JOBS)")
    for q in (c, r):
        q.add_argument("--profile", choices=sorted(PROFILES), default=None,
                       help="Hypothesis settings profile for the property checks (default: $HYPOTHESIS_PROFILE "
                            "or 'ci'; 'thorough' draws 1000 instances per property)")
    x = sub.add_parser("reproduce", help="rerun an experiment and set it beside the paper")
    xs = x.add_subparsers(dest="experiment", required=True, metavar="EXPERIMENT", parser_class=_Parser)
    for paper in registry.papers.values():
        for exp in paper.load().experiments.values():
            names = [exp.name] if paper is registry.main else []
            for name in names + [f"{paper.key}:{exp.name}"]:
                e = xs.add_parser(name, help=exp.description if name == (names or [None])[0] or not names else
                                  argparse.SUPPRESS)
                _experiment_options(e, exp)
    return p


def _experiment_options(e: argparse.ArgumentParser, exp) -> None:
    for opt in exp.options:
        kwargs = dict(default=opt.default, help=opt.help, dest=opt.dest)
        if opt.type is bool:
            e.add_argument(opt.flag, action="store_true", **kwargs)
            continue
        if opt.choices:
            kwargs["choices"] = opt.choices
        e.add_argument(opt.flag, type=str, **kwargs)
    e.add_argument(_JOBS.flag, type=str, default=_JOBS.default, help=_JOBS.help)
    e.add_argument("--scheduler", default=None,
                   help="a Dask scheduler address (tcp://host:port) to run on a cluster (default: "
                        "$VAE_VERIFY_SCHEDULER, else local processes)")
    e.add_argument("--no-cache", action="store_true", help="recompute every run (the cache is rewritten)")
    e.add_argument("--cache-dir", default=None, help="cache directory (default: $VAE_VERIFY_CACHE or ~/.cache/vae-verify)")
    e.add_argument("--out", default=f"vae-verify-{exp.name}", help=f"output directory (default: vae-verify-{exp.name})")
    e.add_argument("--format", choices=FORMATS, default="md", help="md (default) or html")


#: options every experiment takes besides its own
_JOBS = Option("--jobs", int, None, "worker processes (default: one per core)", minimum=1, maximum=4096)


def _option_value(opt: Option, raw):
    """One option's text parsed and bounded (verify.validate), named as the user wrote it."""
    if opt.type is bool or raw is None or not isinstance(raw, str):
        return raw
    if opt.parse is not None:
        return opt.parse(raw)
    if opt.type is int:
        try:
            value = int(raw)
        except ValueError:
            raise VerifyError(opt.flag, raw, "must be an integer") from None
        return check_int(opt.flag, value, None if opt.minimum is None else int(opt.minimum),
                         None if opt.maximum is None else int(opt.maximum))
    if opt.type is float:
        try:
            value = float(raw)
        except ValueError:
            raise VerifyError(opt.flag, raw, "must be a number") from None
        lo = -float("inf") if opt.minimum is None else opt.minimum
        hi = float("inf") if opt.maximum is None else opt.maximum
        return check_real_in(opt.flag, value, lo, hi)
    return opt.type(raw)


def _option_values(exp, args) -> dict:
    """Each declared option (and --jobs) parsed and bounded, before any work."""
    return {opt.dest: _option_value(opt, getattr(args, opt.dest)) for opt in (*exp.options, _JOBS)}


def _progress(i: int, n: int, label: str, verdict: str, elapsed: float) -> None:
    print(f"[{i}/{n}] {label:<12} {verdict} ({elapsed:.1f} s)", file=sys.stderr, flush=True)


#: the environment a statement worker copies from the command (the profile, the cache, Hypothesis's
#: directory): a worker process may have been started before the command set them
_WORKER_ENV_PREFIXES = ("VAE_VERIFY_", "HYPOTHESIS_", "XDG_CACHE_HOME")


def _worker_env() -> dict:
    return {k: v for k, v in os.environ.items() if k.startswith(_WORKER_ENV_PREFIXES)}


def check_statements(call: tuple) -> list:
    """Statements checked one after the other, in whichever process runs them: ``call`` is
    (((paper key, statement id), ...), environment); the papers are found in this process's
    registry.  Each result is printed to plain data here, in the worker (it travels with it)."""
    targets, env = call
    for k in [k for k in os.environ if k.startswith(_WORKER_ENV_PREFIXES) and k not in env]:
        del os.environ[k]
    os.environ.update(env)
    results = []
    for key, sid in targets:
        result = registry.paper(key).check(sid)
        result.to_dict()
        results.append(result)
    return results


def _units(targets: Sequence, out_dir) -> list:
    """``targets`` cut into units of work: statements whose proofs share a computation
    (``Paper.proof(shares=...)``) form one unit, in paper order; every other statement is a unit of
    its own.  Units are ordered longest first by the last report in ``out_dir`` (its timings.json),
    else in paper order."""
    units: dict = {}
    for p, sid in targets:
        name = p.shares.get(sid)
        units.setdefault((p.key, name) if name else (p.key, "", sid), []).append((p, sid))
    units = list(units.values())
    try:
        with open(os.path.join(out_dir, "timings.json"), encoding="utf-8") as fh:
            last = {k: float(v["elapsed_s"]) for k, v in json.load(fh)["statements"].items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return units
    return sorted(units, key=lambda u: -sum(last.get(f"{p.key}:{sid}", float("inf")) for p, sid in u))


def _run(targets: Sequence, papers: Sequence, out_dir=None, fmt: str = "md", jobs: Optional[int] = None):
    """Check ``targets`` ((paper, statement id) pairs), in ``jobs`` worker processes (default one per
    core; in this process when a paper was registered in code, which a worker would not find).
    With ``out_dir``, the report is rewritten after each statement into ``out_dir/partial/`` and moved
    into ``out_dir`` only when complete, so an existing report is never replaced by an interrupted run."""
    t0 = time.perf_counter()
    results = {}
    staging = None if out_dir is None else ensure_writable(os.path.join(out_dir, PARTIAL))
    units = _units(targets, out_dir)
    if not all(registry.announced(p) for p, _ in targets):
        jobs = 1
    spec = executor_spec(jobs)
    n = len(targets)
    print(f"checking {n} statement(s) in {min(spec.jobs, len(units))} process(es)", file=sys.stderr, flush=True)

    def done(i: int, unit_results: list) -> None:
        for (paper, sid), res in zip(units[i], unit_results):
            results[(paper.key, sid)] = res
            _progress(len(results), n, registry.qualified(paper, sid), res.verdict.value, res.elapsed_s)
        if staging is not None:
            write_report(staging, report_dict(papers, results, time.perf_counter() - t0, complete=False),
                         results, fmt)

    try:
        packages = tuple(f"{p.package}." for p, _ in targets) + tuple(p.package for p, _ in targets)
        loaded = sorted(m for m in sys.modules if m.startswith(packages))  # the proof modules, imported once
        calls = [(tuple((p.key, sid) for p, sid in unit), _worker_env()) for unit in units]
        run_calls(check_statements, calls, jobs=spec.jobs, on_done=done, preload=loaded)
    except KeyboardInterrupt as exc:
        if staging is not None:
            write_report(staging, report_dict(papers, results, time.perf_counter() - t0, complete=False), results, fmt)
            where = f"the partial report in {staging} holds the {len(results)} statement(s) finished; {out_dir} is unchanged"
        else:
            where = f"{len(results)} statement(s) finished"
        name = getattr(exc, "signal", "SIGINT")
        kept = f" ({exc})" if isinstance(exc, Interrupted) and exc.total is not None else ""
        print(f"vae-verify: interrupted by {name}: {where}{kept}", file=sys.stderr)
        raise SystemExit(_exit_code(exc))
    results = {(p.key, sid): results[(p.key, sid)] for p, sid in targets}  # paper order
    only = None if out_dir is not None else {(p.key, sid) for p, sid in targets}
    doc = report_dict(papers, results, time.perf_counter() - t0, complete=True, only=only)
    return results, doc, staging


def _finish_report(out_dir, staging, doc, results, fmt) -> tuple:
    paths = write_report(out_dir, doc, results, fmt)
    if staging is not None:
        shutil.rmtree(staging, ignore_errors=True)
    return paths


def _reproduce(args) -> int:
    """``vae-verify reproduce NAME``: the experiment's runs, checks, tables and figures."""
    from .claims import run_check

    paper, exp = registry.experiment(args.experiment)
    options = _option_values(exp, args)
    from .cache import Cache

    executor_spec(options["jobs"], args.scheduler)  # --jobs / --scheduler / VAE_VERIFY_SCHEDULER, before any work
    Cache(args.cache_dir)  # --cache-dir / VAE_VERIFY_CACHE, before any work
    options.update(scheduler=args.scheduler, use_cache=not args.no_cache, cache_dir=args.cache_dir)
    out = ensure_writable(args.out)
    statement = paper.statement(exp.statement)
    result = run_check(statement, lambda: exp.run(options), paper=paper.key)
    results = {(paper.key, statement.id): result}
    doc = report_dict([paper], results, result.elapsed_s, complete=True, only=set(results))
    # a run that raised is never written over the report the user had: it goes to DIR/partial
    target = out if result.error is None else ensure_writable(os.path.join(out, PARTIAL))
    paths = write_report(target, doc, results, args.format)
    if result.error is not None:
        print(f"vae-verify: the run failed; its report is in {target}; {out} is unchanged", file=sys.stderr)
    for note in result.notes:
        print(note)
    print(f"{statement.id}: {result.verdict.value} - {result.summary}")
    if result.error:
        print(f"error: {result.error}", file=sys.stderr)
    print(f"wrote {paths[0]} and {paths[1]} in {result.elapsed_s:.1f} s")
    return 0 if result.verdict.acceptable else 1


def _check_only(targets: Sequence, papers: Sequence, items: Sequence) -> tuple:
    """``check ID --only ITEM``: each statement's named items, recomputed alone when its proof is
    made of registered items (:meth:`verify.paper.Paper.check` with ``only``), in this process."""
    t0 = time.perf_counter()
    for paper, sid in targets:  # names of registered items are known before any work
        names = paper.item_names(sid)
        unknown = [x for x in items if names and x not in names]
        if unknown:
            raise VerifyError("--only", ",".join(unknown), f"names no item of {paper.key}:{sid}; known: {', '.join(names)}")
    results = {}
    for k, (paper, sid) in enumerate(targets, 1):
        label = registry.qualified(paper, sid)
        print(f"[{k}/{len(targets)}] {label:<12} checking {', '.join(items)} ...", file=sys.stderr, flush=True)
        res = paper.check(sid, only=items)
        results[(paper.key, sid)] = res
        _progress(k, len(targets), label, res.verdict.value, res.elapsed_s)
    return results, report_dict(papers, results, time.perf_counter() - t0, complete=True, only=set(results))


def _why(args) -> int:
    """``vae-verify why ID``: the closure of ID in its paper's graph, premises first, with verdicts."""
    from .graph import build_graph, closure

    key, _, sid = args.id.rpartition(":")
    papers = [registry.paper(key)] if key else list(registry.papers.values())
    paper = next((p for p in papers if sid in p.load().informal or sid in p._by_id), None)
    if paper is None:
        registry.resolve(args.id)  # raises the usual "unknown id" error
    g = build_graph(paper)
    below = closure(g, sid)
    if args.report:
        path = os.path.join(args.report, "report.json")
        try:
            with open(path, encoding="utf-8") as fh:
                doc = json.load(fh)
        except (OSError, ValueError) as exc:
            raise VerifyError("--report", args.report, f"has no readable report.json ({exc})") from None
        verdicts = {e["id"]: e["verdict"] for e in doc["statements"] if e["paper"] == paper.key}
    else:
        verdicts = {}
        for n in below + [sid]:
            if n in paper.proofs:
                print(f"checking {registry.qualified(paper, n)} ...", file=sys.stderr, flush=True)
                verdicts[n] = paper.check(n).verdict.value
    g = build_graph(paper, verdicts)
    node = g.nodes[sid]
    print(f"{registry.qualified(paper, sid)} ({node['reference']}): {node['verdict'] or 'not checked'}"
          + (f" - {node['reason']}" if node["reason"] else ""))
    if not below:
        print("  rests on nothing else in the paper")
    flags = []
    for n in below:
        a = g.nodes[n]
        direct = "uses" if g.has_edge(sid, n) else "via " + ", ".join(sorted(m for m in g.predecessors(n) if m in below or m == sid))
        print(f"  {n:<22} {a['verdict'] or 'not checked':<22} {a['reference']} ({direct})")
        if a["verdict"] == "refuted":
            flags.append(f"rests on {n}, which is refuted")
        elif a["verdict"] == "holds_as_corrected":
            flags.append(f"rests on {n}, which holds only as corrected")
        elif a["verdict"] in (None, "inconclusive"):
            flags.append(f"rests on {n}, which is not decided")
    for f in flags:
        print(f"  ! {f}")
    return 1 if any("refuted" in f or "not decided" in f for f in flags) else 0


def _preflight(args) -> None:
    """Inputs that come from the environment, validated before any work."""
    if getattr(args, "profile", None):
        os.environ["HYPOTHESIS_PROFILE"] = args.profile
    active_profile()  # an unknown HYPOTHESIS_PROFILE is a usage error now, not after minutes of work
    if getattr(args, "command", None) == "report":  # the report's experiments read and write the run cache
        from .cache import Cache

        Cache(None)  # a VAE_VERIFY_CACHE (or XDG_CACHE_HOME) that cannot be used is a usage error now
    # Hypothesis keeps a directory of its own; never create it in the user's current directory
    if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = os.path.join(tempfile.gettempdir(), "vae-verify-hypothesis")


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        try:
            args = _parser().parse_args(argv)
        except SystemExit as exc:  # argparse: --help (0) or a usage error (2), already printed
            return int(exc.code or 0)
        _preflight(args)
        with sigterm_interrupts():
            return _main(args)
    except VerifyError as exc:
        print(f"vae-verify: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # outside a report run (which prints its own line): e.g. reproduce
        print(f"vae-verify: {exc}" if str(exc) else "vae-verify: interrupted", file=sys.stderr)
        return _exit_code(exc)


def _main(args) -> int:
    if args.command == "list":
        for paper in registry.papers.values():
            print(f"# {paper.key}: {paper.title}")
            checked = set(paper.checkable_ids())
            for s in paper.statements:
                state = "checked" if s.id in checked else "not yet checked"
                print(f"{registry.qualified(paper, s.id):<24} {state:<16} {s.reference}: {s.title}")
        return 0
    if args.command == "check":
        targets = list(dict.fromkeys(registry.resolve(i) for i in args.ids))
        unbuilt = [(p, s) for p, s in targets if s.id not in p.load().proofs]
        ready = [(p, s.id) for p, s in targets if (p, s) not in unbuilt]
        papers = list(dict.fromkeys(p for p, _ in targets))
        if args.only:
            results, doc = _check_only(ready, papers, args.only)
        else:
            results, doc, _ = _run(ready, papers)
        if args.json:
            doc = report_dict(papers, results, doc["elapsed_s"], complete=True,
                              only={(p.key, s.id) for p, s in targets})
            print(json.dumps(doc, indent=2, ensure_ascii=False))
        else:
            for p, s in targets:
                label = registry.qualified(p, s.id)
                if (p.key, s.id) in results:
                    r = results[(p.key, s.id)]
                    print(f"{label}: {r.verdict.value} ({r.elapsed_s:.1f} s) - {r.summary}")
                    for e in r.errata:
                        print(f"  erratum at {e.where}: {e.witness}; correction: {e.correction}")
                else:
                    print(f"{label}: not yet checked (no proof module)")
        ok = not unbuilt and all(r.verdict.acceptable for r in results.values())
        return 0 if ok else 1
    if args.command == "reproduce":
        return _reproduce(args)
    if args.command == "why":
        return _why(args)
    if args.command == "report":
        papers = [registry.paper(k) for k in args.paper] if args.paper else list(registry.papers.values())
        jobs = _option_value(_JOBS, args.jobs)
        executor_spec(jobs)  # --jobs and $VAE_VERIFY_JOBS, before any work
        out = ensure_writable(args.out)
        targets = [(p, sid) for p in papers for sid in p.checkable_ids()]
        results, doc, staging = _run(targets, papers, out, args.format, jobs=jobs)
        paths = _finish_report(out, staging, doc, results, args.format)
        print(f"wrote {paths[0]} and {paths[1]} in {doc['elapsed_s']:.1f} s")
        return 0 if all(r.verdict.acceptable for r in results.values()) else 1
    return 2  # pragma: no cover - argparse requires a command


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
