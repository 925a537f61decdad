"""Section 6, linear VAEs: Table 1 and the eigenvalue example, rerun and set beside the paper.

The setup, as the paper prints it: A is an r*×r* matrix of iid N(0, 1) entries padded with d - r*
zero rows; the data are x = Az, z ~ N(0, I_{r*}); the VAE has latent dimension 20; every entry of
Table 1 is the mean over three seeds.  Training (Adam, log-variance parameters, 100k steps at
learning rate 1e-3, batch 100) is :func:`verify.numeric.train_group` (JAX: jax.grad and optax.adam
on one flat parameter vector, tested against the exact NumPy gradient and Adam by hand): the runs of one
ambient dimension d share one compiled program, and :func:`run_group` (one group of runs) is the
unit of work that :func:`run_table` maps over its workers.

Readings of what the paper leaves open are listed in :data:`READINGS`; the report and the README
print them.  Each run is cached under a key made from everything that determines it.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Optional, Sequence

import numpy as np

from verify import VerifyError
from verify import tolerances as tol
from verify.cache import Cache
from verify.runner import Task, executor_spec, run_tasks
from verify.validate import check_int

from . import thresholds as th
from verify.numeric._training import LogVarianceVAE, TrainConfig, train_group

__all__ = ["SETTINGS", "SEEDS", "PAPER_TABLE1", "PAPER_EIGENVALUES", "READINGS", "EIG_SAMPLES", "Job", "data_matrix",
           "metrics", "eigenvalue_error", "run_job", "run_group", "groups", "run_table", "GROUP_SIZE", "summarize", "table1_markdown", "MODES_RUN",
           "COMPARED", "example_run", "side_by_side", "named_differences", "parse_settings", "run_group_payload", "group_payload", "table_is_cached"]

#: (r*, d) of the columns of Table 1.
SETTINGS = ((3, 12), (3, 20), (6, 12), (6, 20), (9, 12), (9, 20), (12, 20))
SEEDS = (0, 1, 2)

#: Table 1 as printed: (r*, d) -> (mean #0's in encoder variance, mean #nonzero decoder rows,
#: mean normalized eigenvalue error).
PAPER_TABLE1 = {
    (3, 12): (3.3, 3, 0.44), (3, 20): (3.7, 3, 0.71), (6, 12): (6, 6, 0.49), (6, 20): (6, 6, 0.47),
    (9, 12): (9.3, 9, 0.30), (9, 20): (9, 9, 0.45), (12, 20): (12, 12, 0.42),
}

#: The eigenvalue example of Section 6 (r* = 6): ground truth λ and the trained VAE's λ̂.
PAPER_EIGENVALUES = ((0.001, 0.156, 1.54, 5.06, 9.55, 16.4), (0.035, 0.166, 1.49, 4.24, 5.97, 7.85))

#: The number of generator samples n behind the sampled eigenvalue error (the paper does not say).
EIG_SAMPLES = 10_000

#: The training modes of the report's entry, the paper's own (minibatch) last.
MODES_RUN = ("population", "minibatch")

#: Bump when training or metrics change, so that cached runs of older code are not reused.
#: 2: JAX + optax training in float32 (Bartlett-sampled minibatch moments), convergence diagnostics.
#: 3: A padded to its group's largest r* (not to d): the same training, a different float32
#:    round-off and minibatch stream.  4: jax.grad and optax.adam on one flat θ.
CODE_VERSION = 4

#: At most this many runs share one compiled (vmapped) program; a larger set of runs of one d is cut
#: into equal parts.  Table 1 then has one group of 9 runs at d = 12 and two of 6 at d = 20: two
#: compiled shapes, and work (~ runs x d²) of 1296, 2400 and 2400 that two workers share better
#: than 1296 and 4800.
GROUP_SIZE = 9

READINGS = (
    ("Optimiser and schedule", "The paper says only 'gradient descent'. We use Adam (β = 0.9, 0.999), 100k steps, "
     "learning rate 1e-3, as the issue specifies; all are options of `vae-verify reproduce table1`."),
    ("Loss", "Both the exact population loss (4) and minibatches of 100 fresh samples with one reparameterised "
     "draw z' per sample. The paper trained on samples; (4) is the same objective without sampling noise."),
    ("Variances", "D̃ and ε̃² are learned as log D̃ and log ε̃² (the issue's log-variance parameters); ε̃ is a "
     "single decoder standard deviation shared by all coordinates, as in (3)."),
    ("Initialisation", "Not given in the paper. Ã and B̃ use PyTorch's default for a bias-free nn.Linear (uniform "
     "in ±1/sqrt(fan_in)); D̃ = I and ε̃ = 1 (log-variances 0)."),
    ("Seeds", "Seed s draws A, the initialisation and the minibatches from numpy's default_rng((s, r*, d)); the "
     "paper's 'different random seed' is read as a new A as well as a new initialisation."),
    ("Zeros of the encoder variance", f"D̃_ii < {th.TABLE1_ZERO_VARIANCE:g}, the threshold the paper states for "
     "its nonlinear experiments; none is stated for Table 1."),
    ("Nonzero decoder rows", f"||Ã^(i)|| > {th.TABLE1_ROW_NONZERO:g}; the paper gives no threshold. Each run "
     f"checks that no row norm lies within a factor {th.TABLE1_CLEARANCE:g} of it (the gap)."),
    ("Eigenvalue error", "λ: all d eigenvalues of AAᵀ (the ground-truth covariance), λ̂: all d eigenvalues of the "
     "generator's covariance, both sorted; computed exactly from ÃÃᵀ + ε̃²I (the generator x = Ãz + ε̃ξ) and "
     f"from (1/n)X̂ᵀX̂ with n = {EIG_SAMPLES} samples, as printed. The paper's example lists r* = 6 eigenvalues; "
     "the d - r* zeros of AAᵀ add ε̃⁴ each to ||λ̂ - λ||², which is negligible."),
    ("Loss reported", "The population loss (4) at the final parameters (without the constants the paper drops), "
     "in both modes."),
)


def parse_settings(text: str) -> tuple:
    """``"3,12 6,20"`` -> ((3, 12), (6, 20)); every r* must satisfy 1 <= r* < d."""
    out = []
    for item in text.replace(";", " ").split():
        try:
            rs, d = (int(v) for v in item.split(","))
        except ValueError:
            raise VerifyError("--settings", item, "each setting must be 'r*,d', e.g. 3,12") from None
        if not 1 <= rs < d:
            raise VerifyError("--settings", item, "needs 1 <= r* < d")
        out.append((rs, d))
    if not out:
        raise VerifyError("--settings", text, "no setting given")
    return tuple(out)


def data_matrix(r_star: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """Section 6: an r*×r* standard Gaussian matrix on top of a (d - r*)×r* zero matrix."""
    A = np.zeros((d, r_star))
    A[:r_star] = rng.standard_normal((r_star, r_star))
    return A


def _eigs(cov) -> np.ndarray:
    return np.sort(np.linalg.eigvalsh(cov))[::-1]


def eigenvalue_error(lam, lam_hat) -> float:
    """The normalized eigenvalue error ||λ̂ - λ|| / ||λ|| of Section 6 (both sorted the same way)."""
    lam, lam_hat = np.asarray(lam, float), np.asarray(lam_hat, float)
    return float(np.linalg.norm(lam_hat - lam) / np.linalg.norm(lam))


def metrics(A, At, D, eps: float, samples: int, rng: np.random.Generator) -> dict:
    """The quantities of Table 1 for a trained VAE (Ã, D̃, ε̃) of data matrix A."""
    d, r = At.shape
    lam = _eigs(A @ A.T)
    lam_exact = _eigs(At @ At.T + eps**2 * np.eye(d))
    X = (At @ rng.standard_normal((r, samples)) + eps * rng.standard_normal((d, samples))).T
    lam_sampled = _eigs(X.T @ X / samples)
    rows = np.linalg.norm(At, axis=1)
    cols = np.linalg.norm(At, axis=0)
    return {
        "zeros": int(np.sum(D < th.TABLE1_ZERO_VARIANCE)),
        "nonzero_rows": int(np.sum(rows > th.TABLE1_ROW_NONZERO)),
        "nonzero_cols": int(np.sum(cols > th.TABLE1_ROW_NONZERO)),
        "row_norms": rows.tolist(),
        "col_norms": cols.tolist(),
        "sigma_A": np.linalg.svd(A, compute_uv=False).tolist(),
        "D": np.asarray(D).tolist(),
        "eig_err_exact": eigenvalue_error(lam, lam_exact),
        "eig_err_sampled": eigenvalue_error(lam, lam_sampled),
        "lambda": lam.tolist(),
        "lambda_hat": lam_exact.tolist(),
        "eps": float(eps),
    }


@dataclass(frozen=True)
class Job:
    """One training run: a setting, a seed, how to train and how many samples for the eigenvalues."""

    r_star: int
    d: int
    seed: int
    config: TrainConfig
    samples: int = EIG_SAMPLES


def _counts(A, theta, latent: int) -> dict:
    vae = LogVarianceVAE(A, latent)
    At, _Bt, D, _eps = vae.unpack(theta)
    return {"zeros": int(np.sum(D < th.TABLE1_ZERO_VARIANCE)),
            "nonzero_rows": int(np.sum(np.linalg.norm(At, axis=1) > th.TABLE1_ROW_NONZERO)),
            "nonzero_cols": int(np.sum(np.linalg.norm(At, axis=0) > th.TABLE1_ROW_NONZERO))}


def run_group(group: Sequence[Job]) -> list:
    """Train runs of one ambient dimension d and one config together (one vmapped program); measure each.

    Each result is a JSON-ready dict: the metrics of Table 1, the loss history, and the convergence
    diagnostics: ``grad_norm`` (||∇(4)|| at the end), ``loss_change`` (relative change of (4) over
    the last 10% of steps, from ``change_from``) and ``tail`` (the counts at ``change_from``).
    """
    if not group:
        return []
    config, d = group[0].config, group[0].d
    if any(j.config != config or j.d != d for j in group):
        raise VerifyError("group", [(j.d, j.config.mode) for j in group], "needs one d and one config")
    t0 = time.perf_counter()
    rngs = [np.random.default_rng((j.seed, j.r_star, j.d)) for j in group]
    As = [data_matrix(j.r_star, j.d, g) for j, g in zip(group, rngs)]
    results = train_group(As, config, rngs)
    seconds = (time.perf_counter() - t0) / len(group)
    out = []
    for job, A, res in zip(group, As, results):
        vae = LogVarianceVAE(A, config.latent)
        At, _Bt, D, eps = vae.unpack(res.theta)
        run = {"r_star": job.r_star, "d": job.d, "seed": job.seed, "mode": config.mode, "config": asdict(config),
               "samples": job.samples, "finite": res.finite, "loss": float(vae.loss(res.theta)),
               "loss_steps": res.steps.tolist(), "loss_history": res.losses.tolist(),
               "grad_norm": res.grad_norm, "loss_change": res.loss_change, "change_from": res.change_from,
               "tail": _counts(A, res.theta_tail, config.latent) if res.theta_tail is not None else None}
        run.update(metrics(A, At, D, eps, job.samples, np.random.default_rng((job.seed, job.r_star, job.d, 1))))
        run["seconds"] = seconds
        out.append(run)
    return out


def run_job(job: Job) -> dict:
    """Train one VAE and measure it (a group of one)."""
    return run_group([job])[0]


def groups(jobs: Sequence[Job], size: int = GROUP_SIZE) -> list:
    """The jobs cut into groups of one (d, config): the fewest near-equal parts of at most ``size`` runs."""
    by: dict = {}
    for j in jobs:
        by.setdefault((j.d, j.config), []).append(j)
    out = []
    for g in by.values():
        parts = -(-len(g) // size)
        step = -(-len(g) // parts)
        out += [g[i:i + step] for i in range(0, len(g), step)]
    return out


#: What a cached group result must hold (verify.cache validates every entry against it).
GROUP_SCHEMA = {"runs": list}
_RUN_KEYS = ("r_star", "d", "seed", "mode", "config", "samples", "finite", "loss", "zeros", "nonzero_rows",
             "nonzero_cols", "row_norms", "D", "eig_err_exact", "eig_err_sampled", "lambda", "lambda_hat", "eps",
             "sigma_A", "seconds")


def _group_schema(result):
    """A cached group: a list of runs, each with every key the checks read (None, or what is wrong)."""
    runs = result.get("runs") if isinstance(result, dict) else None
    if not isinstance(runs, list) or not runs:
        return "'runs' must be a non-empty list"
    for i, r in enumerate(runs):
        missing = [k for k in _RUN_KEYS if not isinstance(r, dict) or k not in r]
        if missing:
            return f"run {i} lacks {', '.join(missing)}"
    return None


def group_payload(group: Sequence[Job]) -> dict:
    """Everything that determines a group's results, as plain JSON (the cache key is made from it)."""
    return {"config": asdict(group[0].config), "samples": group[0].samples,
            "runs": [[j.r_star, j.d, j.seed] for j in group]}


def run_group_payload(payload: dict) -> dict:
    """The runner's task function (top level, so worker processes can import it)."""
    config = TrainConfig(**payload["config"])
    group = [Job(rs, d, seed, config, payload["samples"]) for rs, d, seed in payload["runs"]]
    return {"runs": run_group(group)}


def _tasks(config: TrainConfig, settings, seeds, samples) -> tuple:
    all_jobs = [Job(rs, d, s, config, samples) for rs, d in settings for s in seeds]
    work = groups(all_jobs)
    tasks = [Task.make(group_payload(g), namespace="koehler2022.table1", version=CODE_VERSION,
                       label=f"d={g[0].d}, {len(g)} runs") for g in work]
    return all_jobs, work, tasks


def table_is_cached(config: TrainConfig, settings: Sequence = SETTINGS, seeds: Sequence = SEEDS,
                    samples: int = EIG_SAMPLES, cache_dir=None) -> bool:
    """Whether every run of the table is in the cache (valid entries only)."""
    cache = Cache(cache_dir, schema=_group_schema, report=lambda message: None)
    return all(cache.get(t.key, t.payload) is not None for t in _tasks(config, settings, seeds, samples)[2])


def run_table(config: TrainConfig, settings: Sequence = SETTINGS, seeds: Sequence = SEEDS, samples: int = EIG_SAMPLES,
              jobs: Optional[int] = None, scheduler: Optional[str] = None, cache_dir=None, use_cache: bool = True,
              progress: bool = True) -> list:
    """Every (setting, seed) run, in (setting, seed) order, trained in groups of one d (one vmapped
    program each) by the experiment runner (:func:`verify.runner.run_tasks`: local processes or a Dask
    cluster), each group cached as plain JSON the moment it finishes (an interrupted table keeps what
    it finished; ``use_cache=False`` recomputes and rewrites)."""
    samples = check_int("samples", samples, minimum=2)
    spec = executor_spec(jobs, scheduler)
    cache = Cache(cache_dir, schema=_group_schema)
    all_jobs, work, tasks = _tasks(config, settings, seeds, samples)
    results = run_tasks(run_group_payload, tasks, cache=cache, executor=spec, recompute=not use_cache,
                        progress=f"table1 ({config.mode})" if progress else None)
    by_job = {}
    for g, task, res, cached in zip(work, tasks, results, results.from_cache):
        for job, run in zip(g, res["runs"]):
            by_job[job] = dict(run, cached=cached, cache_key=task.key)
    return [by_job[j] for j in all_jobs]


#: The quantities of Table 1, in its row order: (name, key in a run / summary, decimals shown).
COMPARED = (("#0's in encoder variance", "zeros", 1), ("#nonzero decoder rows", "nonzero_rows", 1),
            ("normalized eigenvalue error", "eig_err_exact", 2))
_MEANS = ("zeros", "nonzero_rows", "eig_err_exact", "eig_err_sampled", "eps", "loss")


def summarize(runs: Sequence[dict]) -> list:
    """Per setting, in order of first appearance: means over seeds of the Table 1 quantities."""
    groups: dict = {}
    for run in runs:
        groups.setdefault((run["r_star"], run["d"]), []).append(run)
    rows = []
    for (rs, d), group in groups.items():
        rows.append({"r_star": rs, "d": d, "seeds": len(group), "paper": PAPER_TABLE1.get((rs, d)),
                     **{key: float(np.mean([g[key] for g in group])) for key in _MEANS}})
    return rows


def _diff(ours: float, paper: Optional[float], digits: int) -> str:
    if paper is None:
        return "(not in the paper)"
    delta = ours - paper
    return "same" if round(abs(delta), digits) == 0 else f"{delta:+.{digits}f}"


def side_by_side(summary: Sequence[dict]) -> list:
    """Markdown lines: Table 1 as printed beside ours, row by row, with every difference named."""
    head = ["quantity"] + [f"r*={s['r_star']}, d={s['d']}" for s in summary]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def row(label, values):
        lines.append("| " + " | ".join([label] + list(values)) + " |")

    for idx, (name, key, digits) in enumerate(COMPARED):
        paper = [s["paper"][idx] if s["paper"] else None for s in summary]
        row(f"{name}: paper", ["-" if p is None else f"{p:g}" for p in paper])
        row(f"{name}: ours", [f"{s[key]:.{digits}f}" for s in summary])
        row(f"{name}: ours - paper", [_diff(s[key], p, digits) for s, p in zip(summary, paper)])
    row("eigenvalue error from samples (ours)", [f"{s['eig_err_sampled']:.2f}" for s in summary])
    row("final ε̃ (ours, mean)", [f"{s['eps']:.2g}" for s in summary])
    row("final loss (4) (ours, mean)", [f"{s['loss']:.1f}" for s in summary])
    return lines


def named_differences(summary: Sequence[dict]) -> list:
    """One sentence per quantity that differs from the paper, naming the settings where it does."""
    out = []
    for idx, (name, key, digits) in enumerate(COMPARED):
        name = f"mean {name}"
        diffs = [(s, s[key] - s["paper"][idx]) for s in summary if s["paper"]]
        differ = [f"r*={s['r_star']}, d={s['d']}: {s[key]:.{digits}f} vs {s['paper'][idx]:g}"
                  for s, dlt in diffs if round(abs(dlt), digits) != 0]
        if differ:
            out.append(f"{name} differs in {len(differ)} of {len(diffs)} settings ({'; '.join(differ)})")
        else:
            out.append(f"{name} matches the paper in all {len(diffs)} settings")
    return out


def example_run(runs_by_mode: dict) -> dict:
    """The run set beside the paper's eigenvalue example: the first with r* = 6 (else the first run)."""
    runs = [r for rs in runs_by_mode.values() for r in rs]
    return next((r for r in runs if r["r_star"] == 6), runs[0])


def table1_markdown(runs_by_mode: dict) -> str:
    """The side-by-side tables (one per mode), the named differences, the eigenvalue example and the readings."""
    out = []
    for mode, runs in runs_by_mode.items():
        cfg = runs[0]["config"]
        summ = summarize(runs)
        out += [f"#### Table 1 beside ours: {mode} loss", "",
                f"Adam, {cfg['steps']} steps, learning rate {cfg['lr']:g}"
                + (f", batch {cfg['batch']}" if mode == "minibatch" else "")
                + f", latent dimension {cfg['latent']}; means over seeds {sorted({r['seed'] for r in runs})}.", ""]
        out += side_by_side(summ) + [""] + [f"- {line}" for line in named_differences(summ)] + [""]
    r = example_run(runs_by_mode)
    if r["r_star"] == 6:
        lam, lam_hat = r["lambda"][:6][::-1], r["lambda_hat"][:6][::-1]
        out += ["#### The eigenvalue example", "",
                f"Paper (r* = 6): λ = {list(PAPER_EIGENVALUES[0])}, λ̂ = {list(PAPER_EIGENVALUES[1])}, normalized "
                f"error {eigenvalue_error(*PAPER_EIGENVALUES):.3f} (its d - 6 zero eigenvalues are not printed).", "",
                f"Ours ({r['mode']}, r* = 6, d = {r['d']}, seed {r['seed']}): λ = {[float(f'{x:.3g}') for x in lam]}, "
                f"λ̂ = {[float(f'{x:.3g}') for x in lam_hat]}, normalized error {r['eig_err_exact']:.3f}.", ""]
    out += ["#### Readings of what the paper leaves open", ""]
    out += [f"- **{name}.** {text}" for name, text in READINGS]
    return "\n".join(out) + "\n"
