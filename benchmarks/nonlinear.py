"""Benchmark of the nonlinear VAE training behind Tables 2-5 (Section 6, Appendix D).

    python benchmarks/nonlinear.py                    # 1000 steps, 1 seed, both architectures
    python benchmarks/nonlinear.py --steps 5000 --seeds 3

For one sphere run (MLP, 3 x 200 ReLU, column 2 of Table 3: r*=2, d=16, latent 8) and one sigmoid
run (affine + sigmoid, column 6 of Table 2: r*=7, d=28, latent 24) it prints the compile time, the
wall time per 1,000 Adam steps per run (seeds trained together by vmap), the FLOPs per step counted
by hand (verify.numeric._nonlinear_vae.count_flops) and the achieved GFLOP/s, and the projected
cost of the paper's scale (150k steps x 3 seeds x every column).
"""
from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np

from proofs.koehler2022 import nonlinear as nl
from verify.numeric._nonlinear_vae import NonlinearConfig, count_flops, train_nonlinear


def bench(kind: str, setting: tuple, steps: int, seeds: int) -> dict:
    rs, d, latent = setting
    data = (nl.sphere_dataset if kind == "sphere" else nl.sigmoid_dataset)(rs, d)
    cfg = NonlinearConfig("mlp" if kind == "sphere" else "affine_sigmoid", d, latent,
                          nl.HIDDEN if kind == "sphere" else (), steps=steps, log_every=steps, dec_logvar_init=-3.0,
                          dec_logvar_rate=3.0, enc_logvar_init=1.0)
    params = np.random.default_rng(0).standard_normal((seeds, rs if kind == "sigmoid" else 0)).astype(np.float32)
    t0 = time.perf_counter()
    train_nonlinear(replace(cfg, steps=1, log_every=1), data, params, range(seeds))
    first = time.perf_counter() - t0  # compiles the 1-step chunk: a proxy for the compile time
    train_nonlinear(cfg, data, params, range(seeds))  # compile the timed chunk length
    t0 = time.perf_counter()
    train_nonlinear(cfg, data, params, range(seeds))
    wall = time.perf_counter() - t0
    flops = count_flops(cfg)
    return {"kind": kind, "setting": setting, "compile_s": first, "ms_per_step_per_run": 1e3 * wall / steps / seeds,
            "s_per_1000_steps_per_run": wall / steps / seeds * 1000, "flops_per_step": flops,
            "gflops": flops * steps * seeds / wall / 1e9}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--seeds", type=int, default=1)
    args = p.parse_args()
    for kind, setting in (("sphere", nl.SPHERE_SETTINGS[1]), ("sigmoid", nl.SIGMOID_SETTINGS[5])):
        r = bench(kind, setting, args.steps, args.seeds)
        columns = nl.SPHERE_SETTINGS if kind == "sphere" else nl.SIGMOID_SETTINGS
        paper_h = r["ms_per_step_per_run"] * 1e-3 * nl.PAPER_STEPS * 3 * len(columns) / 3600
        print(f"{kind:<8} {setting}: compile ~{r['compile_s']:.1f} s; {r['s_per_1000_steps_per_run']:.2f} s per 1,000 "
              f"steps per run ({args.seeds} seed(s) vmapped); {r['flops_per_step'] / 1e6:.1f} MFLOP/step by hand, "
              f"{r['gflops']:.2f} GFLOP/s achieved; paper scale of one table ({len(columns)} columns x 3 seeds x "
              f"150k steps) ~{paper_h:.1f} h at this rate")


if __name__ == "__main__":
    main()
