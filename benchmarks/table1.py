"""Benchmark of Table 1's training (Section 6): the JAX trainer against the versions it replaced.

    python benchmarks/table1.py                     # the whole table, 100k steps, both modes
    python benchmarks/table1.py --steps 10000       # a quicker look
    python benchmarks/table1.py --old-steps 0       # skip the old NumPy trainer
    python benchmarks/table1.py --sweep             # population mode, 1..64 vmapped runs: growth fit,
                                                    # benchmarks/results/table1_sweep.csv and .png

The previous JAX trainer (optax on the tuple (Ã, B̃, s, u), autodiff gradients, A padded to d
columns: commit PREV_COMMIT) is loaded from git too and timed on ``--prev-steps`` steps of each
group of the table (compiled first, compile not counted), so the ratio to it is measured in the
same run.

For each mode, in the same run: the wall time of the whole table (7 settings x 3 seeds, compile
included, ``--jobs`` workers, a temporary cache so everything is trained), run-steps per second,
the achieved FLOP/s against the machine's estimated peak, and the ratio to the NumPy trainer of
commit OLD_COMMIT (hand-written Adam and minibatch backward pass).  The old trainer is loaded from
git (it is not kept in the tree) and timed on ``--old-steps`` steps of one run per d; its table
time is extrapolated to the same steps over the same workers (its process pool ran one run per
core, so total / jobs).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from proofs.koehler2022.table1 import EIG_SAMPLES, SEEDS, SETTINGS, _tasks, data_matrix, groups, run_table
from verify.numeric import TrainConfig

#: The last commit with the NumPy trainer (verify/numeric/_training.py).
OLD_COMMIT = "fad2fc8"
#: The last commit with the optax + autodiff JAX trainer.
PREV_COMMIT = "a75f093"
ROOT = Path(__file__).resolve().parents[1]


def flops_per_step(mode: str, d: int, r: int, batch: int, w: int) -> float:
    """FLOPs of one Adam step of one run, counted by hand (A padded to w = its group's largest r*
    columns, k = w + r): the matrix products of the gradient of (4) / of the moment loss, as
    jax.grad computes them (reverse mode: about the forward products again).

    Population, eq. (4): M = B̃A (2rdw), ÃM (2drw), R Mᵀ (2dwr), ÃᵀR (2rdw), (·)Aᵀ (2rwd), the
    elementwise terms (~3dw + 6rd): 10rdw + 3dw + 6rd.
    Minibatch, from the Bartlett factor G (k x k; X = [AL, 0] has w nonzero columns): AL (2dw²), B̃X (2rdw), ÃH (2drk), E Hᵀ (2dkr), ÃᵀE (2rdk), (·)Xᵀ (2rwd), elementwise
    (~3dk + 3rk + 6rd): 2dw² + 4rdw + 6rdk + 3dk + 3rk + 6rd.  The k(k-1)/2 normal and k χ² draws
    per step are random-number work, not counted.
    Adam: ~12 FLOPs per parameter (two moment updates, bias corrections, sqrt, divide, step),
    2rd + r + 1 parameters.
    """
    adam = 12 * (2 * r * d + r + 1)
    if mode == "population":
        return 10 * r * d * w + 3 * d * w + 6 * r * d + adam
    k = w + r
    return 2 * d * w * w + 4 * r * d * w + 6 * r * d * k + 3 * d * k + 3 * r * k + 6 * r * d + adam


def peak_flops() -> tuple:
    """(FLOP/s, how it was estimated): cores x clock x float32 FLOPs per cycle.

    The clock is BogoMIPS / 2 from /proc/cpuinfo (the TSC rate, the base clock: boost is not counted);
    FLOPs per cycle for float32 from the vector extensions: AVX-512 + FMA 64 (two 16-lane FMA
    pipes), AVX2 + FMA 32 (two 8-lane FMA pipes, as on AMD Zen 2/3 and Intel since Haswell), else 8.
    """
    cores = os.cpu_count() or 1
    ghz, flags = 2.0, ""
    try:
        info = Path("/proc/cpuinfo").read_text()
        ghz = float(next(line.split(":")[1] for line in info.splitlines() if line.lower().startswith("bogomips"))) / 2000
        flags = next(line for line in info.splitlines() if line.startswith("flags"))
    except (OSError, StopIteration, ValueError):
        pass
    per_cycle = 64 if " avx512f" in flags else 32 if (" avx2" in flags and " fma" in flags) else 8
    return cores * ghz * 1e9 * per_cycle, f"{cores} cores x {ghz:.2f} GHz x {per_cycle} float32 FLOPs/cycle"


def old_trainer(commit: str = OLD_COMMIT, name: str = "_training_old"):
    """The trainer of ``commit``, imported from git as verify.numeric.<name> (None if unavailable)."""
    try:
        src = subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:verify/numeric/_training.py"],
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    import verify.numeric

    path = Path(tempfile.mkdtemp()) / f"{name}.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location(f"verify.numeric.{name}", path,
                                                  submodule_search_locations=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "verify.numeric"
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    assert verify.numeric
    return module


def old_seconds_per_step(old, mode: str, d: int, r_star: int, steps: int) -> float:
    rng = np.random.default_rng((0, r_star, d))
    A = data_matrix(r_star, d, rng)
    t0 = time.perf_counter()
    old.train(A, old.TrainConfig(mode=mode, steps=steps), rng)
    return (time.perf_counter() - t0) / steps


def _group_inputs(d: int, n=None):
    """The runs of Table 1 with ambient dimension d (or n runs of r* = 6, d): data matrices and generators."""
    jobs = ([(rs, dd, s) for rs, dd in SETTINGS if dd == d for s in SEEDS] if n is None
            else [(6, d, s) for s in range(n)])
    As = [data_matrix(rs, dd, np.random.default_rng((s, rs, dd))) for rs, dd, s in jobs]
    return As, [np.random.default_rng((s, rs, dd, 2)) for rs, dd, s in jobs]


def group_seconds(module, mode: str, d: int, steps: int, n=None) -> tuple:
    """(CPU seconds, wall seconds) of ``module.train_group`` on Table 1's runs of dimension d (or n
    runs), ``steps`` steps, after a first call that compiles (not counted)."""
    cfg = module.TrainConfig(mode=mode, steps=steps, history=min(200, steps))
    As, rngs = _group_inputs(d, n)
    module.train_group(As, cfg, rngs)
    As, rngs = _group_inputs(d, n)
    c0, t0 = time.process_time(), time.perf_counter()
    module.train_group(As, cfg, rngs)
    return time.process_time() - c0, time.perf_counter() - t0


def sweep(steps: int, out_dir: Path) -> None:
    """Population mode, d = 20, 1..64 vmapped runs at ``steps`` steps: CPU time per step, a fit
    t = a + b·n (fixed cost per step + cost per run-step, least squares in relative error) and the
    log-log slope, the CSV and a plot."""
    import verify.numeric._training as current

    ns = (1, 2, 4, 8, 16, 32, 64)
    rows = []
    for n in ns:
        cpu, wall = min((group_seconds(current, "population", 20, steps, n) for _ in range(2)), key=lambda t: t[0])
        rows.append((n, steps, cpu, wall, cpu / steps * 1e6))
        print(f"sweep: {n:3d} runs x {steps} steps: {cpu:6.2f} s CPU, {wall:6.2f} s wall, "
              f"{cpu / steps * 1e6:7.1f} µs CPU per step, {cpu / steps / n * 1e6:6.2f} µs per run-step", flush=True)
    n_arr, per = np.array([r[0] for r in rows], float), np.array([r[4] for r in rows])
    b, a = np.polyfit(n_arr, per, 1, w=1 / per)  # relative residuals: every size counts alike
    slope, _ = np.polyfit(np.log(n_arr), np.log(per), 1)
    print(f"fit: µs per step = {a:.1f} + {b:.2f}·runs (fixed {a:.1f} µs per step, {b:.2f} µs per run-step); "
          f"log-log slope {slope:.2f} (1 = linear in the runs)")
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "table1_sweep.csv", "w") as f:
        f.write("runs,steps,cpu_seconds,wall_seconds,cpu_us_per_step,fit_us_per_step\n")
        for n, st, cpu, wall, p in rows:
            f.write(f"{n},{st},{cpu:.4f},{wall:.4f},{p:.2f},{a + b * n:.2f}\n")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.loglog(n_arr, per, "o", label="measured (CPU)")
    grid = np.geomspace(1, 64, 50)
    ax.loglog(grid, a + b * grid, "-", label=f"{a:.0f} + {b:.1f}·runs µs")
    ax.set_xlabel("vmapped runs (d = 20, r = 20, r* = 6)")
    ax.set_ylabel("µs per Adam step (all runs)")
    ax.set_title(f"Table 1 population mode, {steps} steps")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_dir / "table1_sweep.png", dpi=100)
    print(f"wrote {out_dir / 'table1_sweep.csv'} and {out_dir / 'table1_sweep.png'}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=100_000)
    p.add_argument("--old-steps", type=int, default=2_000, help="steps of the old NumPy trainer per timed run")
    p.add_argument("--prev-steps", type=int, default=5_000, help="steps of the previous JAX trainer per group")
    p.add_argument("--jobs", type=int, default=os.cpu_count())
    p.add_argument("--sweep", action="store_true", help="only the population sweep over 1..64 vmapped runs")
    p.add_argument("--sweep-steps", type=int, default=5_000)
    args = p.parse_args()
    if args.sweep:
        sweep(args.sweep_steps, ROOT / "benchmarks" / "results")
        return
    peak, how = peak_flops()
    prev = old_trainer(PREV_COMMIT, "_training_prev") if args.prev_steps > 0 else None
    old = old_trainer() if args.old_steps > 0 else None
    n_runs = len(SETTINGS) * len(SEEDS)
    print(f"Table 1: {len(SETTINGS)} settings x {len(SEEDS)} seeds = {n_runs} runs x {args.steps} steps, "
          f"{args.jobs} worker(s); peak estimate {peak / 1e9:.0f} GFLOP/s ({how})")
    with tempfile.TemporaryDirectory() as cache:
        for mode in ("population", "minibatch"):
            cfg = TrainConfig(mode=mode, steps=args.steps)
            t0 = time.perf_counter()
            run_table(cfg, jobs=args.jobs, cache_dir=cache, progress=False)
            wall = time.perf_counter() - t0
            run_steps = n_runs * args.steps
            # the groups of run_table, each padded to its largest r*
            work = groups(_tasks(cfg, SETTINGS, SEEDS, EIG_SAMPLES)[0])
            flops = sum(len(g) * flops_per_step(mode, g[0].d, cfg.latent, cfg.batch, max(j.r_star for j in g))
                        for g in work) * args.steps
            line = (f"{mode:<10} JAX: {wall:7.1f} s wall (compile included), {run_steps / wall:9.0f} run-steps/s, "
                    f"{flops / wall / 1e9:6.2f} GFLOP/s = {100 * flops / wall / peak:.2f}% of peak")
            if old is not None:
                per = {d: old_seconds_per_step(old, mode, d, max(rs for rs, dd in SETTINGS if dd == d), args.old_steps)
                       for d in sorted({d for _rs, d in SETTINGS})}
                old_wall = sum(per[d] for _rs, d in SETTINGS) * len(SEEDS) * args.steps / args.jobs
                line += (f"; NumPy ({OLD_COMMIT}): {', '.join(f'd={d} {s * 1e6:.0f} µs/step' for d, s in per.items())}"
                         f" -> {old_wall:.1f} s for the table; JAX is {old_wall / wall:.2f}x faster")
            if prev is not None:
                import verify.numeric._training as current

                ratios = []
                for d in sorted({d for _rs, d in SETTINGS}):
                    now = group_seconds(current, mode, d, args.prev_steps)[0]
                    before = group_seconds(prev, mode, d, args.prev_steps)[0]
                    ratios.append(f"d={d} {before / args.prev_steps * 1e6:.0f} -> {now / args.prev_steps * 1e6:.0f} µs "
                                  f"CPU per group step ({before / now:.2f}x)")
                line += f"; vs the previous JAX trainer ({PREV_COMMIT}): {', '.join(ratios)}"
            print(line, flush=True)
    try:
        load = os.getloadavg()[0]
        print(f"load average during the run: {load:.1f} on {os.cpu_count()} cores (other processes share the machine)")
    except OSError:
        pass


if __name__ == "__main__":
    main()
