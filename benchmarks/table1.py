"""Benchmark of ``vae-verify reproduce table1``: both training modes on the same settings, in one run.

    python benchmarks/table1.py                 # the whole table, 100k steps, both modes, all cores
    python benchmarks/table1.py --steps 10000   # a quicker look

Nothing is read from or written to the user's cache (a temporary one is used), so every run is
trained.  It prints the wall time of each mode, the time per Adam step, and the ratio.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

from verify.numeric import TrainConfig
from verify.table1 import SEEDS, SETTINGS, run_table


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=100_000)
    p.add_argument("--jobs", type=int, default=os.cpu_count())
    args = p.parse_args()
    times = {}
    with tempfile.TemporaryDirectory() as cache:
        for mode in ("population", "minibatch"):
            t0 = time.perf_counter()
            runs = run_table(TrainConfig(mode=mode, steps=args.steps), jobs=args.jobs, cache_dir=cache, progress=False)
            times[mode] = time.perf_counter() - t0
            per_step = sum(r["seconds"] for r in runs) / len(runs) / args.steps
            print(f"{mode:<10} {len(runs)} runs x {args.steps} steps on {args.jobs} process(es): "
                  f"{times[mode]:.1f} s wall, {per_step * 1e6:.1f} µs per Adam step (one run)")
    print(f"minibatch / population wall-time ratio: {times['minibatch'] / times['population']:.2f} "
          f"({len(SETTINGS)} settings x {len(SEEDS)} seeds)")


if __name__ == "__main__":
    main()
