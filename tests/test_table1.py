"""Section 6 / Table 1: the metrics, the cache, the convergence diagnostics and the checks, each shown
able to fail (the JAX training itself is checked in tests/test_training_jax.py)."""
import copy
import json

import numpy as np
import pytest

from proofs.koehler2022 import table1_linear_experiment as t1
from verify import Status, VerifyError
from verify import tolerances as tol
from proofs.koehler2022 import thresholds as th
from verify.numeric import LogVarianceVAE, TrainConfig
from proofs.koehler2022.table1 import (PAPER_EIGENVALUES, PAPER_TABLE1, data_matrix, eigenvalue_error, metrics,
                           named_differences, parse_settings, run_table, side_by_side, summarize)


def _vae(d=4, r=3, rs=2, seed=0):
    rng = np.random.default_rng(seed)
    A = data_matrix(rs, d, rng)
    vae = LogVarianceVAE(A, r)
    At, Bt = rng.standard_normal((d, r)), rng.standard_normal((r, d))
    theta = vae.pack(At, Bt, rng.uniform(0.3, 1.2, r), 0.7)
    return vae, theta, rng


def _fd(f, theta, h=1e-6):
    g = np.zeros_like(theta)
    for k in range(theta.size):
        e = np.zeros_like(theta)
        e[k] = h
        g[k] = (f(theta + e) - f(theta - e)) / (2 * h)
    return g


def test_population_gradient_in_log_variances_matches_finite_differences():
    vae, theta, _ = _vae()
    g, fd = vae.population_gradient(theta), _fd(vae.loss, theta)
    # central differences at h = 1e-6 on O(10) values: truncation ~1e-12, round-off ~1e-9
    assert np.max(np.abs(g - fd)) < 1e-6 * (1 + np.max(np.abs(fd)))
    wrong = g.copy()
    m = vae.objective.n_matrix
    wrong[m:-1] /= np.exp(theta[m:-1])  # forget the chain rule into log D
    assert np.max(np.abs(wrong - fd)) > 1e-3


def test_metrics_of_a_perfect_generator_and_of_the_papers_example():
    rng = np.random.default_rng(3)
    A = data_matrix(3, 6, rng)
    At = np.hstack([A, np.zeros((6, 2))])
    m = metrics(A, At, np.array([1e-6, 1e-6, 1e-6, 1.0, 1.0]), 1e-6, 20_000, rng)
    assert m["zeros"] == 3 and m["nonzero_rows"] == 3 and m["nonzero_cols"] == 3
    assert m["eig_err_exact"] < 1e-9 and m["eig_err_sampled"] < 0.1
    assert eigenvalue_error(*PAPER_EIGENVALUES) == pytest.approx(0.4726, abs=1e-3)
    # a generator with the right support and the wrong spread is caught
    assert metrics(A, 2 * At, np.ones(5), 1e-6, 100, rng)["eig_err_exact"] == pytest.approx(3.0)


def test_bad_settings_and_configs_name_the_argument():
    assert parse_settings("3,12 6,20") == ((3, 12), (6, 20))
    for text in ("3;12", "12,3", "x", ""):
        with pytest.raises(VerifyError, match="--settings"):
            parse_settings(text)
    with pytest.raises(VerifyError, match="steps"):
        TrainConfig(steps=0)
    with pytest.raises(VerifyError, match="mode"):
        TrainConfig(mode="full")
    with pytest.raises(VerifyError, match="lr"):
        TrainConfig(lr=float("nan"))


SMALL = dict(settings=((2, 4), (2, 5)), seeds=(0, 1), samples=500, progress=False)


def test_runs_are_cached_by_their_settings_and_identical_across_worker_counts(tmp_path):
    cfg = TrainConfig(steps=300)
    first = run_table(cfg, jobs=2, cache_dir=tmp_path, **SMALL)
    # one cache entry per group of runs of one d (each group is one vmapped program)
    assert not any(r["cached"] for r in first) and len(list(tmp_path.glob("*.json"))) == 2
    again = run_table(cfg, jobs=1, cache_dir=tmp_path, **SMALL)
    assert all(r["cached"] for r in again)
    fresh = run_table(cfg, jobs=1, cache_dir=tmp_path, use_cache=False, **SMALL)
    assert not any(r["cached"] for r in fresh)
    for a, b in zip(first, fresh):  # two workers and one give the same numbers
        assert a["loss"] == b["loss"] and a["row_norms"] == b["row_norms"]
    other = run_table(cfg.with_(lr=2e-3), jobs=1, cache_dir=tmp_path, **SMALL)
    assert not any(r["cached"] for r in other)
    with pytest.raises(VerifyError, match="jobs"):
        run_table(cfg, jobs=0, cache_dir=tmp_path, **SMALL)


@pytest.fixture(scope="module")
def small_runs(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    return run_table(TrainConfig(steps=20_000), jobs=2, cache_dir=cache, **SMALL)


def _settled(run) -> dict:
    """The run made to look converged: counts unchanged over the last 10%, loss (4) flat there."""
    run = copy.deepcopy(run)
    run["tail"] = {k: run[k] for k in ("zeros", "nonzero_rows", "nonzero_cols")}
    run["loss_change"] = 0.0
    return run


def test_the_checks_hold_on_real_runs_and_each_can_fail(small_runs):
    runs = small_runs
    assert all(r["finite"] and np.isfinite(r["grad_norm"]) and r["tail"] is not None for r in runs)
    assert all(r["change_from"] == 18_000 for r in runs)
    assert t1.rows_check(runs).status is Status.NUMERIC
    assert t1.zeros_check(runs).status is Status.NUMERIC
    assert t1.sampling_check(runs).status is Status.NUMERIC
    settled = [_settled(r) for r in runs]
    wrong = t1.rows_check(settled, expected=lambda r: r["r_star"] + 1)
    assert wrong.status is Status.FAILED and "expected 3" in wrong.witness
    fewer = copy.deepcopy(runs)
    fewer[1]["zeros"] -= 1
    bad = t1.zeros_check([_settled(r) for r in fewer])
    assert bad.status is Status.FAILED and "seed 1" in bad.witness
    close = copy.deepcopy(settled)
    close[0]["eig_err_exact"] = 0.05
    assert t1.density_check(close).status is Status.FAILED
    ambiguous = copy.deepcopy(runs)
    ambiguous[2]["row_norms"][0] = 1.5 * th.TABLE1_ROW_NONZERO
    assert t1.gap_check(ambiguous).status is Status.UNDECIDED
    shifted = copy.deepcopy(runs)
    shifted[3]["eig_err_sampled"] += 0.5
    assert t1.sampling_check(shifted).status is Status.FAILED


def test_a_failing_run_refutes_only_if_it_converged(small_runs):
    runs = copy.deepcopy(small_runs)
    runs[1]["zeros"] -= 1  # the caption fails on run 1 ...
    runs = [_settled(r) for r in runs]  # ... which converged
    assert t1.convergence(runs[1])[0]
    assert t1.zeros_check(runs).status is Status.FAILED
    # not converged, three ways: its counts moved over the last 10%, its loss still moved, it diverged
    for mutate, reason in ((lambda r: r["tail"].update(zeros=r["zeros"] + 1), "counts changed"),
                           (lambda r: r.update(loss_change=2 * th.TABLE1_LOSS_CHANGE), "loss (4) changed"),
                           (lambda r: r.update(finite=False), "diverged")):
        moving = copy.deepcopy(runs)
        mutate(moving[1])
        check = t1.zeros_check(moving)
        assert check.status is Status.UNDECIDED and check.witness is None, reason
        assert reason in check.details and "not converged" in check.details and "seed 1" in check.details
    # one converged failing run refutes, whatever the others
    both = copy.deepcopy(runs)
    both[2]["zeros"] -= 1  # run 2 fails too but has not converged (its counts moved)
    assert t1.zeros_check(both).status is Status.FAILED
    # a longer run decides: the same counts -> converged (even with a moving loss); other counts -> not
    longer = _settled(runs[1])
    longer["config"] = {**longer["config"], "steps": 4 * longer["config"]["steps"]}
    same = copy.deepcopy(runs)
    same[1]["loss_change"] = 1.0
    same[1]["longer"] = longer
    assert t1.zeros_check(same).status is Status.FAILED and "4x longer gives the same" in t1.zeros_check(same).witness
    learnt = copy.deepcopy(same)
    learnt[1]["longer"]["zeros"] += 1
    undecided = t1.zeros_check(learnt)
    assert undecided.status is Status.UNDECIDED and "4x longer gives" in undecided.details
    assert "#### Convergence of the runs" in t1.convergence_markdown(same)


def test_side_by_side_names_each_difference_from_the_paper(small_runs):
    summ = [{"r_star": rs, "d": d, "zeros": z, "nonzero_rows": n, "eig_err_exact": e, "eig_err_sampled": e,
             "eps": 1e-3, "loss": -1.0, "paper": (z, n, e), "seeds": 3} for (rs, d), (z, n, e) in PAPER_TABLE1.items()]
    assert all("matches the paper in all 7" in s for s in named_differences(summ))
    summ[2] = {**summ[2], "nonzero_rows": 7.0}
    text = named_differences(summ)
    assert "differs in 1 of 7 settings (r*=6, d=12: 7.0 vs 6)" in text[1]
    lines = side_by_side(summ)
    assert any(line.startswith("| #nonzero decoder rows: ours - paper") and "+1.0" in line for line in lines)
    ours = summarize(small_runs)
    assert [(s["r_star"], s["d"], s["seeds"]) for s in ours] == [(2, 4, 2), (2, 5, 2)]
    assert all(s["paper"] is None for s in ours) and "(not in the paper)" in " ".join(side_by_side(ours))


def test_reproduce_command_writes_the_table_and_names_bad_arguments(tmp_path):
    from verify.cli import main

    out = tmp_path / "out"
    code = main(["reproduce", "table1", "--mode", "population", "--steps", "20000", "--settings", "2,4", "--seeds", "2",
                 "--samples", "500", "--jobs", "1", "--cache-dir", str(tmp_path / "c"), "--out", str(out)])
    doc = json.loads((out / "report.json").read_text())
    assert code == 0 and [e["id"] for e in doc["statements"]] == ["table1"]
    assert "r*=2, d=4" in doc["statements"][0]["notes"][0]
    assert (out / "figures" / "koehler2022-table1-rows-population.png").read_bytes().startswith(b"\x89PNG")
    for args, needle in ((["--settings", "4,2"], "--settings"), (["--steps", "0"], "steps"),
                         (["--seeds", "0"], "--seeds"), (["--jobs", "0"], "--jobs")):
        assert main(["reproduce", "table1", "--out", str(out)] + args) == 2, needle
