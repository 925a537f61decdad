"""Benchmark of the whole report: `vae-verify report` with an empty cache, per profile and per --jobs.

    python benchmarks/report.py                              # the default profile (ci), --jobs 1 and 2
    python benchmarks/report.py --profiles ci dev thorough   # every profile (thorough trains Table 1's
                                                             # minibatch mode too: many minutes)
    python benchmarks/report.py --baseline 9b7fda4           # also time that commit's report, in the same run

Each run is a fresh process (``verify.cli.main(['report', ...])``) with a fresh, empty cache directory
(``VAE_VERIFY_CACHE``) and output directory, so nothing is reused between runs.  It measures the
wall time, the CPU time of the report process (``resource.getrusage`` of the children: with
``--jobs 1`` that is all the work; with more jobs the statement workers are started by a fork
server and are not counted, so the CPU column is then the parent's alone), and each statement's
time from the report's ``timings.json``.  A ``--baseline`` commit
is checked out with ``git worktree`` into a temporary directory and put first on ``PYTHONPATH``
(its ``verify`` and ``proofs`` packages shadow the installed ones; the papers' entry points are the
same names).  An older commit without ``--jobs`` is run as it was (one process).

It writes ``benchmarks/results/report_profiles.csv`` (one row per run and statement, plus a
``total`` row per run) and ``benchmarks/results/report_profiles.png`` (seconds per statement, one
bar per run), and prints a table.  Machine: the numbers are only comparable within one run of
this script on one machine; ``uptime``'s load is printed with each run so a busy machine shows.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent


def _load() -> float:
    return os.getloadavg()[0]


def run_report(profile: str, jobs, code: Path = None, budget: float = 3600.0) -> dict:
    """One `vae-verify report` in a fresh process with an empty cache: wall, CPU, per-statement times."""
    with tempfile.TemporaryDirectory(prefix="vae-verify-bench-") as tmp:
        env = dict(os.environ, VAE_VERIFY_CACHE=os.path.join(tmp, "cache"), HYPOTHESIS_PROFILE=profile,
                   HYPOTHESIS_STORAGE_DIRECTORY=os.path.join(tmp, "hypothesis"))
        env.pop("VAE_VERIFY_JOBS", None)
        if code is not None:
            env["PYTHONPATH"] = os.pathsep.join([str(code), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        cmd = [sys.executable, "-c", "import sys; from verify.cli import main; sys.exit(main(sys.argv[1:]))",
               "report", "--out", os.path.join(tmp, "report")]
        if jobs is not None:
            cmd += ["--jobs", str(jobs)]
        load = _load()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, env=env, cwd=tmp, capture_output=True, text=True, timeout=budget)
            rc, err = proc.returncode, proc.stderr
        except subprocess.TimeoutExpired:
            rc, err = None, f"stopped after the budget of {budget:g} s"
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        try:
            timings = json.loads(Path(tmp, "report", "timings.json").read_text())["statements"]
            statements = {k: v["elapsed_s"] for k, v in timings.items()}
        except (OSError, ValueError, KeyError):
            statements = {}
        if rc not in (0, 1):
            print(f"  report exited {rc}: {err.strip().splitlines()[-1] if err.strip() else ''}", file=sys.stderr)
        return dict(profile=profile, jobs=jobs or 1, wall_s=wall, cpu_s=cpu, exit=rc, load=load, statements=statements)


def worktree(commit: str, where: Path) -> Path:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), commit], check=True,
                   capture_output=True)
    return where


def write(rows: list) -> tuple:
    RESULTS.mkdir(exist_ok=True)
    csv_path, png_path = RESULTS / "report_profiles.csv", RESULTS / "report_profiles.png"
    with open(csv_path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["code", "profile", "jobs", "statement", "seconds", "cpu_s_parent", "exit", "load"])
        for r in rows:
            w.writerow([r["code"], r["profile"], r["jobs"], "total (wall)", f"{r['wall_s']:.1f}", f"{r['cpu_s']:.1f}",
                        r["exit"], f"{r['load']:.2f}"])
            for k, v in r["statements"].items():
                w.writerow([r["code"], r["profile"], r["jobs"], k, f"{v:.2f}", "", "", ""])
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = sorted({k for r in rows for k in r["statements"]},
                   key=lambda k: -max(r["statements"].get(k, 0.0) for r in rows))
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 0.28 * len(names) + 2.5), gridspec_kw={"width_ratios": [3, 1]})
    y = np.arange(len(names))
    h = 0.8 / max(1, len(rows))
    for i, r in enumerate(rows):
        label = f"{r['code']} {r['profile']} jobs={r['jobs']}"
        ax.barh(y + i * h, [r["statements"].get(k, 0.0) for k in names], height=h, label=label)
        bx.bar(i, r["wall_s"], label=label)
    ax.set_yticks(y + 0.4 - h / 2, [k.replace("koehler2022:", "") for k in names], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("seconds per statement (its own clock, in its worker)")
    ax.legend(fontsize=7)
    bx.set_xticks(range(len(rows)), [f"{r['code']}\n{r['profile']}\nj={r['jobs']}" for r in rows], fontsize=7)
    bx.set_ylabel("report wall time (s), empty cache")
    bx.axhline(60, color="grey", lw=0.8, ls="--")
    fig.tight_layout()
    fig.savefig(png_path, dpi=110)
    return csv_path, png_path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profiles", nargs="+", default=["ci"], choices=["ci", "dev", "thorough"])
    ap.add_argument("--jobs", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--baseline", default=None, help="a commit whose report is timed first, in the same run")
    ap.add_argument("--budget", type=float, default=3600.0, help="seconds allowed per report run")
    args = ap.parse_args(argv)
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip() or "HEAD"
    rows = []
    base_dir = None
    try:
        if args.baseline:
            base_dir = worktree(args.baseline, Path(tempfile.mkdtemp(prefix="vae-verify-base-")) / "tree")
            for profile in args.profiles:
                r = run_report(profile, None, code=base_dir, budget=args.budget)
                rows.append(dict(r, code=args.baseline))
                print(f"{args.baseline:>9} {profile:<8} jobs=1  wall {r['wall_s']:7.1f} s  cpu {r['cpu_s']:7.1f} s  "
                      f"exit {r['exit']}  load {r['load']:.2f}", flush=True)
        for profile in args.profiles:
            for jobs in args.jobs:
                r = run_report(profile, jobs, budget=args.budget)
                rows.append(dict(r, code=head))
                print(f"{head:>9} {profile:<8} jobs={jobs}  wall {r['wall_s']:7.1f} s  cpu {r['cpu_s']:7.1f} s  "
                      f"exit {r['exit']}  load {r['load']:.2f}", flush=True)
    finally:
        if base_dir is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base_dir)],
                           capture_output=True)
            shutil.rmtree(base_dir.parent, ignore_errors=True)
    for r in rows:
        top = sorted(r["statements"].items(), key=lambda kv: -kv[1])[:8]
        print(f"{r['code']} {r['profile']} jobs={r['jobs']}: " + ", ".join(f"{k.split(':')[-1]} {v:.1f}" for k, v in top))
    paths = write(rows)
    print("wrote", *paths)
    return 0


if __name__ == "__main__":
    sys.exit(main())
