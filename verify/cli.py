"""The ``vae-verify`` command: ``list``, ``check ID... [--json]``, ``report [--out DIR]``,
``reproduce table1 [--mode ...] [--steps N] ...``; ``report`` and ``reproduce`` take
``--format md|html``; ``check``
and ``report`` take ``--profile ci|dev|thorough`` (the Hypothesis profile of the property checks).

Exit status: 0 when every statement checked has a verdict that is verified, verified_numerically or
holds_as_corrected; 1 otherwise (refuted, inconclusive, or not checked yet); 2 for a usage error
(unknown id, unwritable --out, bad arguments).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Optional, Sequence

from ._errors import VerifyError
from .report import FORMATS, ensure_writable, report_dict, write_report
from .strategies import PROFILES

__all__ = ["main"]

DEFAULT_OUT = "vae-verify-report"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vae-verify", description="Machine checks of the statements of Koehler et al., "
                                "'Variational autoencoders in the presence of low-dimensional data'.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the statements, their ids and whether they are checked")
    c = sub.add_parser("check", help="check some statements")
    c.add_argument("ids", nargs="+", metavar="ID", help="statement ids, e.g. lemma3 (see 'vae-verify list')")
    c.add_argument("--json", action="store_true", help="print the report JSON instead of a summary")
    r = sub.add_parser("report", help="check every statement and write report.md and report.json")
    r.add_argument("--out", default=DEFAULT_OUT, help=f"output directory (default: {DEFAULT_OUT})")
    x = sub.add_parser("reproduce", help="rerun an experiment of Section 6 and set it beside the paper")
    x.add_argument("experiment", choices=["table1"], help="table1: the linear VAEs of Table 1")
    x.add_argument("--mode", choices=["population", "minibatch", "both"], default="both",
                   help="train on the exact loss (4), on minibatches of fresh samples (the paper), or both (default)")
    x.add_argument("--steps", type=int, default=100_000, help="Adam steps per run (default 100000)")
    x.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    x.add_argument("--batch", type=int, default=100, help="minibatch size (default 100)")
    x.add_argument("--latent", type=int, default=20, help="latent dimension r (default 20)")
    x.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 per setting (default 3)")
    x.add_argument("--settings", default=None, help="'r*,d' pairs, e.g. '3,12 6,20' (default: Table 1's seven)")
    x.add_argument("--samples", type=int, default=10_000, help="generator samples for the sampled eigenvalue error")
    x.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per core)")
    x.add_argument("--no-cache", action="store_true", help="recompute every run (the cache is rewritten)")
    x.add_argument("--cache-dir", default=None, help="cache directory (default: $VAE_VERIFY_CACHE or ~/.cache/vae-verify)")
    x.add_argument("--out", default="vae-verify-table1", help="output directory (default: vae-verify-table1)")
    for q in (r, x):
        q.add_argument("--format", choices=FORMATS, default="md",
                       help="md: report.md with figures/ (default); html: one self-contained report.html "
                            "(figures embedded, math as MathML, no network); report.json is always written")
    for q in (c, r):
        q.add_argument("--profile", choices=sorted(PROFILES), default=None,
                       help="Hypothesis settings profile for the property checks (default: $HYPOTHESIS_PROFILE "
                            "or 'ci'; 'thorough' draws 1000 instances per property)")
    return p


def _progress(i: int, n: int, sid: str, verdict: str, elapsed: float) -> None:
    print(f"[{i}/{n}] {sid:<9} {verdict} ({elapsed:.1f} s)", file=sys.stderr, flush=True)


def _run(ids: Sequence[str], out_dir=None, fmt: str = "md"):
    """Check ``ids`` in order; after each, rewrite the report (so a stopped run keeps its work)."""
    import proofs

    t0 = time.perf_counter()
    results = {}
    statements = list(proofs.STATEMENTS.values())
    selected = [proofs.STATEMENTS[i] for i in ids]
    try:
        for k, sid in enumerate(ids, 1):
            print(f"[{k}/{len(ids)}] {sid:<9} checking ...", file=sys.stderr, flush=True)
            results[sid] = proofs.check(sid)
            _progress(k, len(ids), sid, results[sid].verdict.value, results[sid].elapsed_s)
            if out_dir is not None:
                write_report(out_dir, report_dict(statements, results, time.perf_counter() - t0, complete=False),
                             results, fmt)
    except KeyboardInterrupt:
        if out_dir is not None:
            write_report(out_dir, report_dict(statements, results, time.perf_counter() - t0, complete=False),
                         results, fmt)
        print(f"interrupted; the report in {out_dir} holds the {len(results)} statement(s) finished", file=sys.stderr)
        raise SystemExit(130)
    shown = statements if out_dir is not None else selected
    doc = report_dict(shown, results, time.perf_counter() - t0, complete=True)
    return results, doc


def _reproduce(args) -> int:
    """``vae-verify reproduce table1``: the runs, the checks of the table1 entry and the side-by-side table."""
    from proofs.koehler2022 import table1_linear_experiment as t1

    from .claims import run_check
    from .numeric import TrainConfig
    from .table1 import MODES_RUN, SETTINGS, parse_settings

    modes = MODES_RUN if args.mode == "both" else (args.mode,)
    configs = [TrainConfig(mode=m, steps=args.steps, lr=args.lr, batch=args.batch, latent=args.latent) for m in modes]
    settings = parse_settings(args.settings) if args.settings is not None else SETTINGS
    for name, value, low in (("--seeds", args.seeds, 1), ("--samples", args.samples, 2), ("--jobs", args.jobs, 1)):
        if value is not None and value < low:
            raise VerifyError(name, value, f"must be at least {low}")
    out = ensure_writable(args.out)
    result = run_check(t1.STATEMENT, lambda: t1.build(
        configs, settings=settings, seeds=tuple(range(args.seeds)), samples=args.samples, jobs=args.jobs,
        cache_dir=args.cache_dir, use_cache=not args.no_cache))
    results = {"table1": result}
    paths = write_report(out, report_dict([t1.STATEMENT], results, result.elapsed_s, complete=True), results, args.format)
    for note in result.notes:
        print(note)
    print(f"table1: {result.verdict.value} - {result.summary}")
    if result.error:
        print(f"error: {result.error}", file=sys.stderr)
    print(f"wrote {paths[0]} and {paths[1]} in {result.elapsed_s:.1f} s")
    return 0 if result.verdict.acceptable else 1


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    import proofs

    if getattr(args, "profile", None):
        os.environ["HYPOTHESIS_PROFILE"] = args.profile

    try:
        if args.command == "list":
            for s in proofs.STATEMENTS.values():
                state = "checked" if s.module else "not yet checked"
                print(f"{s.id:<9} {state:<16} {s.reference}: {s.title}")
            return 0
        if args.command == "check":
            for sid in args.ids:
                proofs.statement(sid)
            unbuilt = [sid for sid in args.ids if proofs.STATEMENTS[sid].module is None]
            ready = [sid for sid in dict.fromkeys(args.ids) if sid not in unbuilt]
            results, doc = _run(ready)
            if args.json:
                doc = report_dict([proofs.STATEMENTS[s] for s in dict.fromkeys(args.ids)], results,
                                  doc["elapsed_s"], complete=True)
                print(json.dumps(doc, indent=2, ensure_ascii=False))
            else:
                for sid in dict.fromkeys(args.ids):
                    if sid in results:
                        r = results[sid]
                        print(f"{sid}: {r.verdict.value} ({r.elapsed_s:.1f} s) - {r.summary}")
                        for e in r.errata:
                            print(f"  erratum at {e.where}: {e.witness}; correction: {e.correction}")
                    else:
                        print(f"{sid}: not yet checked (no proof module)")
            ok = not unbuilt and all(r.verdict.acceptable for r in results.values())
            return 0 if ok else 1
        if args.command == "reproduce":
            return _reproduce(args)
        if args.command == "report":
            out = ensure_writable(args.out)
            results, doc = _run(proofs.checkable_ids(), out, args.format)
            paths = write_report(out, doc, results, args.format)
            print(f"wrote {paths[0]} and {paths[1]} in {doc['elapsed_s']:.1f} s")
            return 0 if all(r.verdict.acceptable for r in results.values()) else 1
    except VerifyError as exc:
        print(f"vae-verify: error: {exc}", file=sys.stderr)
        return 2
    return 2  # pragma: no cover - argparse requires a command


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
