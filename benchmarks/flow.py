"""Benchmark of the numeric layer (issue: gradient and flow timings).  Run:

    python benchmarks/flow.py            # all cases
    python benchmarks/flow.py --quick    # the small shape only

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


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    p.add_argument("--budget", type=float, default=120.0, help="wall-clock seconds per long flow (default 120)")
    args = p.parse_args(argv)
    shapes = [(20, 20, 3)] + ([] if args.quick else [(200, 100, 10)])
    for d, r, rs in shapes:
        print(f"gradient of L1 at d={d}, r={r}, r*={rs}: {time_gradient(d, r, rs) * 1e3:.3f} ms", flush=True)
    wall, res, ratio = run_flow(20, 20, 3, parameterization="eps", t_end=100.0, eps_floor=1e-6)
    print(f"flow (1), d=20, r=20, r*=3 ({res.method}, exact Jacobian): {wall:.2f} s; {res.message}; "
          f"{res.nfev} gradients, {res.njev} Jacobians; ||P_W⊥Ã||² ratio {ratio:.2e}", flush=True)
    wall, res, ratio = run_flow(20, 20, 3, parameterization="log_eps", t_end=1e4, mass_target=1e-6, eps_floor=1e-300,
                                max_seconds=args.budget)
    print(f"log-ε flow, d=20, r=20, r*=3 until ||P_W⊥Ã||² < 1e-6 of its start ({res.method}, exact Jacobian): "
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
