"""Benchmark of the numeric layer (issue: gradient and flow timings).  Run:

    python benchmarks/flow.py            # all cases
    python benchmarks/flow.py --quick    # the small shape only
    python benchmarks/flow.py --sweep [--budget 30]   # growth with d = r (writes benchmarks/results/)

``--sweep`` times both flows of L1 at d = r in 5, 10, 20, 40, 70, 100 (r* = 3, seed 0; the
defaults of gradient_flow: flow (1) in reduced coordinates, clock τ; the log-ε flow in reduced
coordinates, BDF): flow (1) until ε reaches 1e-6, the log-ε flow until ||P_W⊥Ã||² < 1e-6 of its
start, each with a wall-clock budget (a case that runs out says so and where it got).  It fits
k in time ~ d^k by least squares on log-log over the cases that ended on their own (the target, or
t_end for a flow (1) whose ε never reaches the floor), not on the budget, and writes
benchmarks/results/flow_sweep.csv and flow_sweep.png.

It prints one line per measurement.  At d=200, r=100 the flow has 40,001 unknowns: its dense
Hessian would need 12.8 GB, so the stiff solvers cannot be given a Jacobian there and the run uses
the explicit RK45 with the ε floor at 1e-2 (explicit steps shrink like ε²); the line says how far
it got and why it stopped.  Each long flow gets a wall-clock budget (--budget, default 120 s).
"""
from __future__ import annotations

import argparse
import sys
import time
import timeit

import numpy as np

from verify.numeric import gradient_flow, objective, random_instance


def time_gradient(d, r, rs, repeat=20):
    inst = random_instance(d, r, rs, seed=0)
    obj = objective("L1", inst.A, r)
    n = max(1, int(0.2 / max(1e-6, timeit.timeit(lambda: obj.gradient(inst.x0), number=1))))
    best = min(timeit.repeat(lambda: obj.gradient(inst.x0), number=n, repeat=5)) / n
    return best


def run_flow(d, r, rs, **kw):
    inst = random_instance(d, r, rs, seed=0)
    t0 = time.perf_counter()
    res = gradient_flow(inst.A, inst.x0, **kw)
    wall = time.perf_counter() - t0
    ratio = res.mass_outside[-1] / res.mass_outside[0]
    return wall, res, ratio


def big_only(budget):
    wall, res, ratio = run_flow(200, 100, 10, parameterization="eps", method="RK45", t_end=5.0, eps_floor=1e-2,
                                max_seconds=budget, t_eval=np.linspace(0, 5.0, 51))
    return wall, res, ratio


SWEEP_D = (5, 10, 20, 40, 70, 100)
FLOWS = {
    "flow (1) to eps = 1e-6": dict(parameterization="eps", t_end=100.0, eps_floor=1e-6),
    "log-eps flow to mass 1e-6": dict(parameterization="log_eps", t_end=1e4, mass_target=1e-6, eps_floor=1e-300),
}


def sweep(budget, out_dir):
    """Time both flows at each d = r in SWEEP_D; write the csv and the log-log plot; return the exponents."""
    import csv
    import os

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from verify.numeric._reduced import ReducedL1

    rows = []
    for d in SWEEP_D:
        inst = random_instance(d, d, 3, seed=0)
        for name, kw in FLOWS.items():
            c0, w0 = time.process_time(), time.perf_counter()
            res = gradient_flow(inst.A, inst.x0, max_seconds=budget, **kw)
            cpu, wall = time.process_time() - c0, time.perf_counter() - w0
            unknowns = ReducedL1(inst.A, d, inst.x0).size
            row = dict(flow=name, d=d, r=d, r_star=3, unknowns=unknowns, method=res.method, clock=res.clock,
                       cpu_s=round(cpu, 3), wall_s=round(wall, 3), reached=res.stop.name not in ("BUDGET", "SOLVER_FAILED"),
                       stop=res.stop.name, t_reached=f"{res.t_reached:.6g}", eps_end=f"{res.eps[-1]:.3e}",
                       mass_ratio=f"{res.mass_outside[-1] / res.mass_outside[0]:.3e}", nfev=res.nfev, njev=res.njev,
                       message=res.message)
            rows.append(row)
            print(f"{name}, d=r={d} ({unknowns} unknowns, {res.method}, clock {res.clock}): {cpu:.2f} s CPU, "
                  f"{wall:.2f} s wall; {res.message}; ||P_W⊥Ã||² ratio {row['mass_ratio']}", flush=True)
    exps = {}
    fig, ax = plt.subplots(figsize=(6, 4))
    for name in FLOWS:
        done = [r for r in rows if r["flow"] == name and r["reached"]]
        cut = [r for r in rows if r["flow"] == name and not r["reached"]]
        if len(done) >= 2:
            k, c = np.polyfit(np.log([r["d"] for r in done]), np.log([r["cpu_s"] for r in done]), 1)
            exps[name] = (float(k), len(done))
        line = ax.loglog([r["d"] for r in done], [r["cpu_s"] for r in done], "o-",
                         label=f"{name}" + (f" (k = {exps[name][0]:.2f})" if name in exps else ""))
        if cut:
            ax.loglog([r["d"] for r in cut], [r["cpu_s"] for r in cut], "x", color=line[0].get_color(),
                      label=f"{name}: budget ran out / stopped early")
    ax.set_xlabel("d = r (r* = 3)")
    ax.set_ylabel("CPU seconds")
    ax.set_title(f"Flows of L1: time vs d (budget {budget:g} s wall per run)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    os.makedirs(out_dir, exist_ok=True)
    fig.savefig(os.path.join(out_dir, "flow_sweep.png"), dpi=120)
    with open(os.path.join(out_dir, "flow_sweep.csv"), "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    for name in FLOWS:
        if name in exps:
            print(f"{name}: time ~ d^k with k = {exps[name][0]:.2f} (least squares on log-log over "
                  f"{exps[name][1]} cases that ended on their own, not on the budget)")
        else:
            print(f"{name}: fewer than 2 cases ended within the budget; no exponent")
    return exps


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    p.add_argument("--budget", type=float, default=120.0, help="wall-clock seconds per long flow (default 120)")
    p.add_argument("--sweep", action="store_true", help="growth with d = r; writes benchmarks/results/flow_sweep.*")
    args = p.parse_args(argv)
    if args.sweep:
        import os

        sweep(args.budget, os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
        return 0
    shapes = [(20, 20, 3)] + ([] if args.quick else [(200, 100, 10)])
    for d, r, rs in shapes:
        print(f"gradient of L1 at d={d}, r={r}, r*={rs}: {time_gradient(d, r, rs) * 1e3:.3f} ms", flush=True)
    wall, res, ratio = run_flow(20, 20, 3, parameterization="eps", t_end=100.0, eps_floor=1e-6)
    print(f"flow (1), d=20, r=20, r*=3 ({res.method}, {res.coordinates} coordinates, clock {res.clock}): {wall:.2f} s; {res.message}; "
          f"{res.nfev} gradients, {res.njev} Jacobians; ||P_W⊥Ã||² ratio {ratio:.2e}", flush=True)
    wall, res, ratio = run_flow(20, 20, 3, parameterization="log_eps", t_end=1e4, mass_target=1e-6, eps_floor=1e-300,
                                max_seconds=args.budget)
    print(f"log-ε flow, d=20, r=20, r*=3 until ||P_W⊥Ã||² < 1e-6 of its start ({res.method}, {res.coordinates}): "
          f"{wall:.2f} s; {res.message}; {res.nfev} gradients, {res.njev} Jacobians; ε(end)={res.eps[-1]:.2e}; "
          f"||P_W⊥Ã||² ratio {ratio:.2e}", flush=True)
    if not args.quick:
        # save 51 states only: storing every RK45 step of 40,001 unknowns would exhaust memory
        wall, res, ratio = run_flow(200, 100, 10, parameterization="eps", method="RK45", t_end=5.0, eps_floor=1e-2,
                                    max_seconds=args.budget, t_eval=np.linspace(0, 5.0, 51))
        print(f"flow (1), d=200, r=100, r*=10 (RK45, no Jacobian): {wall:.2f} s; {res.message}; "
              f"{res.nfev} gradients; ||P_W⊥Ã||² ratio {ratio:.2e}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
