"""Per-run provenance of the reproduced tables (:class:`verify.claims.RunRecord`): for every run (a
cell's seed of Table 1, a member of a group of Tables 2-5) its parameters, seed, whether the report
read it from the run cache, its cache key, and the ``vae-verify reproduce`` command that recomputes it.

A neutral helper of the table modules (it proves nothing; :mod:`verify.graph` ignores it).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Optional, Sequence

from verify.cache import Cache
from verify.claims import ProofReport, RunRecord, run_records

__all__ = ["nonlinear_records", "nonlinear_report", "nonlinear_command", "table1_records", "table1_command"]


# ---- Tables 2-5 (proofs.koehler2022.nonlinear) ------------------------------------------------------------
def _members(payload: dict) -> list:
    """The runs of one cached group: its seeds x floors (the order of nonlinear.run_group)."""
    common = {k: v for k, v in payload.items() if k not in ("seeds", "floors")}
    out = []
    for floor in payload["floors"]:
        for seed in payload["seeds"]:
            clip = "" if floor is None else f", floor e^{floor:g}"
            label = f"r*={payload['r_star']}, d={payload['ambient']}, latent {payload['latent']}, seed {seed}{clip}"
            out.append((label, dict(common, floor=floor), seed))
    return out


def nonlinear_command(table: str, scale) -> tuple:
    """(command, what it recomputes): ``vae-verify reproduce TABLE`` at ``scale`` (its options name a
    scale, steps and seeds 0..N-1, not single columns, so it reruns the whole table at that scale)."""
    from proofs.koehler2022.nonlinear import PAPER_SCALE, REDUCED

    paper = PAPER_SCALE(table)
    base_name, base = ("paper", paper) if (scale.columns, scale.floors) == (paper.columns, paper.floors) \
        else ("reduced", REDUCED[table])
    parts = [f"vae-verify reproduce {table} --scale {base_name}"]
    exact = (scale.columns, scale.floors, scale.samples, scale.jacobian_points) == \
        (base.columns, base.floors, base.samples, base.jacobian_points)
    if scale.steps != base.steps:
        parts.append(f"--steps {scale.steps}")
        exact &= scale.log_every == max(1, min(base.log_every, scale.steps // 4))
    else:
        exact &= scale.log_every == base.log_every
    if scale.seeds != base.seeds:
        parts.append(f"--seeds {len(scale.seeds)}")
        exact &= tuple(scale.seeds) == tuple(range(len(scale.seeds)))
    what = (f"every run of {table} at this scale (this run's group among them), with --no-cache recomputed "
            "instead of read from the cache")
    if not exact:
        what += "; NOTE: this report's scale is not one the command's options can name exactly"
    return " ".join(parts + ["--no-cache"]), what


def nonlinear_records(table: str, scale, from_cache: Sequence[bool], noisy_reconstruction: bool = False) -> tuple:
    """A RunRecord per run of ``table`` at ``scale``; ``from_cache[i]``: whether group i was read from the cache."""
    from proofs.koehler2022.nonlinear import _tasks

    command, what = nonlinear_command(table, scale)
    if noisy_reconstruction:
        command = command.replace(" --no-cache", " --noisy-reconstruction --no-cache")
    return run_records(table, _tasks(table, scale, noisy_reconstruction), from_cache, _members,
                       lambda payload, params, seed: (command, what))


def nonlinear_report(table: str, scale=None, cache_dir=None) -> ProofReport:
    """``nonlinear.build(table, scale)`` with a RunRecord per run.  Whether a group came from the
    cache is read just before the build (``nonlinear.run_table`` keeps ``Results.from_cache`` to itself;
    a group another process caches in between is then reported as computed here)."""
    from proofs.koehler2022.nonlinear import _group_schema, _tasks, build, default_scale

    scale = scale or default_scale(table, cache_dir)
    cache = Cache(cache_dir, schema=_group_schema, report=lambda message: None)
    before = [cache.get(t.key, t.payload) is not None for t in _tasks(table, scale, False)]
    report = build(table, scale, cache_dir=cache_dir)
    return replace(report, runs=nonlinear_records(table, scale, before))


# ---- Table 1 (proofs.koehler2022.table1) ------------------------------------------------------------------
def table1_command(run: dict) -> tuple:
    """(command, what it recomputes) for one run of Table 1 (a dict of ``table1.run_table``)."""
    cfg = run["config"]
    command = (f"vae-verify reproduce table1 --mode {run['mode']} --settings {run['r_star']},{run['d']} "
               f"--seeds {run['seed'] + 1} --steps {cfg['steps']} --lr {cfg['lr']!r} --batch {cfg['batch']} "
               f"--latent {cfg['latent']} --samples {run['samples']} --no-cache")
    what = (f"this run with seeds 0..{run['seed']} of its setting, trained together in one vmapped group (the report's "
            "group may have held other runs of the same d; the runs of a group are independent, so float32 "
            "round-off of the batched program is all that can differ)")
    from verify.numeric import TrainConfig

    fixed = {k: v for k, v in TrainConfig().__dict__.items() if k not in ("mode", "steps", "lr", "batch", "latent")}
    other = sorted(k for k, v in fixed.items() if cfg.get(k, v) != v)
    if other:
        what += f"; NOTE: {', '.join(other)} differ from the defaults and are not options of the command"
    return command, what


def table1_records(runs: Sequence[dict], table: str = "table1") -> tuple:
    """A RunRecord per run of Table 1 (``table1.run_table`` marks each run ``cached`` and ``cache_key``)."""
    out = []
    for run in runs:
        if "cache_key" not in run:
            continue
        params = {"mode": run["mode"], "r_star": run["r_star"], "d": run["d"], "samples": run["samples"],
                  **{k: v for k, v in run["config"].items() if k != "mode"}}
        label = f"{run['mode']}, r*={run['r_star']}, d={run['d']}, seed {run['seed']}"
        command, what = table1_command(run)
        out.append(RunRecord(table, label, params, run["seed"], run.get("cached", False), run["cache_key"], command,
                             what))
    return tuple(out)


def with_runs(report: ProofReport, runs: Optional[Sequence[dict]]) -> ProofReport:
    """``report`` with Table 1's run records (for the one-line change of table1_linear_experiment.build)."""
    return replace(report, runs=table1_records(runs or ()))
