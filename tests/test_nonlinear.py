"""Section 6 (nonlinear experiments) and Appendix D: the JAX VAE against the exact linear loss (4),
one Adam step by hand, the metrics, the intrinsic-dimension measurement and every check, each
shown able to fail."""
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from proofs.koehler2022 import nonlinear as nl
from verify import Status
from verify.claims import Evidence, Role, verdict_of
from verify.numeric import LObjective
from verify.numeric._nonlinear_vae import (Dataset, NonlinearConfig, decoder_jacobian, decoder_mean, decoder_singular_values,
                                           init_params, make_step, negative_elbo)

# ---- the model ---------------------------------------------------------------------------------


def _linear_case(d=4, r=3, rs=2, seed=0):
    """An affine VAE (MLP without hidden layers, zero biases) on x = Az and its loss (4) objective."""
    rng = np.random.default_rng(seed)
    A = np.zeros((d, rs))
    A[:rs] = rng.standard_normal((rs, rs))
    At, Bt = rng.standard_normal((d, r)), rng.standard_normal((r, d))
    D, eps = rng.uniform(0.3, 1.2, r), 0.7
    cfg = NonlinearConfig("mlp", d, r, dec_logvar_rate=3.0)
    params = {"enc": [{"w": Bt.T, "b": np.zeros(r)}], "dec": [{"w": At.T, "b": np.zeros(d)}],
              "enc_logvar": np.log(D), "dec_theta": np.asarray(np.log(eps**2) / 3.0)}
    obj = LObjective(A, r)
    return cfg, params, A, obj, obj.pack(At, Bt, D, eps), (At, Bt, D, eps)


def _sigma_points(A, r):
    """The 2n points ±sqrt(n) e_k of R^n, n = r* + r: their average of a quadratic in (z, z') is
    its expectation under N(0, I) exactly.  Returns the data rows x = Az and the z' rows."""
    rs = A.shape[1]
    n = rs + r
    w = np.sqrt(n) * np.concatenate([np.eye(n), -np.eye(n)])
    return w[:, :rs] @ A.T, w[:, rs:]


def _jax_gradient(cfg, params, x, zp):
    with jax.enable_x64(True):
        p = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float64), params)
        g = jax.grad(negative_elbo)(p, jnp.asarray(x), jnp.asarray(zp), jnp.zeros((len(x), cfg.ambient)), cfg)
        return jax.tree_util.tree_map(np.asarray, g)


def test_jax_gradient_of_the_linear_case_is_the_exact_gradient_of_loss_4():
    cfg, params, A, obj, x0, (At, Bt, D, eps) = _linear_case()
    x, zp = _sigma_points(A, cfg.latent)
    g = _jax_gradient(cfg, params, x, zp)
    gA, gB, gD, ge = obj.gradient(x0)[: At.size].reshape(At.shape), obj.gradient(x0)[At.size: 2 * At.size].reshape(
        Bt.shape), obj.gradient(x0)[2 * At.size: -1], obj.gradient(x0)[-1]
    # float64 on O(1) numbers: the two computations differ by round-off only
    assert np.allclose(g["dec"][0]["w"], gA.T, rtol=1e-10, atol=1e-10)
    assert np.allclose(g["enc"][0]["w"], gB.T, rtol=1e-10, atol=1e-10)
    assert np.allclose(g["enc_logvar"], D * gD, rtol=1e-10, atol=1e-10)  # ∂/∂log D = D ∂/∂D
    assert np.allclose(g["dec_theta"], 3.0 * (eps / 2) * ge, rtol=1e-10, atol=1e-10)  # log ε² = 3θ
    assert np.allclose(g["dec"][0]["b"], 0, atol=1e-10) and np.allclose(g["enc"][0]["b"], 0, atol=1e-10)
    # mutation: the encoder's noise scaled by D̃ instead of D̃^{1/2} (log D̃ read as a log std)
    wrong = {**params, "enc_logvar": 2 * params["enc_logvar"]}
    gw = _jax_gradient(cfg, wrong, x, zp)
    assert not np.allclose(gw["dec"][0]["w"], gA.T, rtol=1e-3, atol=1e-3)


def test_loss_value_of_the_linear_case_is_loss_4_plus_its_constant():
    cfg, params, A, obj, x0, _ = _linear_case(seed=1)
    x, zp = _sigma_points(A, cfg.latent)
    value = float(negative_elbo(params, x, zp, np.zeros((len(x), cfg.ambient)), cfg, np))
    # (3) with the Gaussian constants = (4) + (d/2) log 2π - r/2
    assert value == pytest.approx(obj.value(x0) + 0.5 * cfg.ambient * np.log(2 * np.pi) - 0.5 * cfg.latent, rel=1e-12)
    assert value != pytest.approx(obj.value(x0), rel=1e-3)


def _toy_transform(param, g, xp):
    return xp.concatenate([g, xp.tanh(g @ param)[:, None], xp.zeros((g.shape[0], 2), g.dtype)], axis=1)


TOY = Dataset("toy", _toy_transform, 2)


def test_one_training_step_is_adam_by_hand_and_the_floor_clips():
    cfg = NonlinearConfig("affine_sigmoid", 5, 3, steps=2, log_every=2, lr=1e-2, batch=7, dec_logvar_rate=3.0,
                          dec_logvar_init=-3.0)
    params = jax.tree_util.tree_map(jnp.asarray, init_params(cfg, np.random.default_rng(0)))
    opt, step = make_step(cfg, TOY)
    a = jnp.asarray([0.5, -1.0], jnp.float32)
    key = jax.random.PRNGKey(3)
    carry = (params, opt.init(params), key)
    for _ in range(2):
        carry, _loss = step(carry, (a, -np.inf))
    got = carry[0]

    def grad_at(p, key):  # the draws of one step, as make_step makes them
        _, kx, kz, kn = jax.random.split(key, 4)
        x = TOY.transform(a, jax.random.normal(kx, (cfg.batch, 2)), jnp)
        return jax.grad(negative_elbo)(p, x, jax.random.normal(kz, (cfg.batch, 3)), jax.random.normal(kn, (cfg.batch, 5)),
                                       cfg)

    def adam_by_hand(b2):
        b1, lr, e = 0.9, cfg.lr, 1e-8
        p, m, v, k = params, None, None, key
        for t in (1, 2):
            g = grad_at(p, k)
            k = jax.random.split(k, 4)[0]
            m = jax.tree_util.tree_map(lambda gi: (1 - b1) * gi, g) if m is None else \
                jax.tree_util.tree_map(lambda mi, gi: b1 * mi + (1 - b1) * gi, m, g)
            v = jax.tree_util.tree_map(lambda gi: (1 - b2) * gi**2, g) if v is None else \
                jax.tree_util.tree_map(lambda vi, gi: b2 * vi + (1 - b2) * gi**2, v, g)
            p = jax.tree_util.tree_map(lambda pi, mi, vi: pi - lr * (mi / (1 - b1**t)) / (jnp.sqrt(vi / (1 - b2**t)) + e),
                                       p, m, v)
        return p

    def close(p, q):
        return all(np.allclose(x, y, rtol=1e-5, atol=1e-6) for x, y in
                   zip(jax.tree_util.tree_leaves(p), jax.tree_util.tree_leaves(q)))

    assert close(got, adam_by_hand(0.999))
    assert not close(got, adam_by_hand(0.99))  # mutation: a wrong second-moment decay
    # the floor: log ε̃² = 3θ is projected up to the floor after the step
    carry2, _ = step((params, opt.init(params), key), (a, jnp.float32(-1.0)))
    assert float(3.0 * carry2[0]["dec_theta"]) == pytest.approx(-1.0, abs=1e-6)


@pytest.mark.parametrize("arch,hidden", [("mlp", (5, 4)), ("affine_sigmoid", ())])
def test_decoder_jacobian_by_hand_matches_jax_jacfwd(arch, hidden):
    cfg = NonlinearConfig(arch, 6, 3, hidden)
    params = jax.tree_util.tree_map(lambda a: np.asarray(a, np.float64), init_params(cfg, np.random.default_rng(2)))
    z = np.random.default_rng(3).standard_normal((4, 3))
    with jax.enable_x64(True):
        ref = np.stack([np.asarray(jax.jacfwd(lambda zz: decoder_mean(params, zz))(jnp.asarray(zi))) for zi in z])
    assert np.allclose(decoder_jacobian(params, z), ref, rtol=1e-12, atol=1e-12)
    assert np.allclose(decoder_mean(params, z, np), np.asarray(decoder_mean(params, jnp.asarray(z))), atol=1e-5)


# ---- metrics --------------------------------------------------------------------------------------

def test_manifold_and_padding_errors_are_zero_on_the_manifold_and_positive_off_it():
    rng = np.random.default_rng(0)
    a = rng.standard_normal(3)
    x = nl.sigmoid_dataset(3, 9).transform(a, rng.standard_normal((500, 3)), np)
    assert nl.manifold_error("sigmoid", x, 3, a) == 0 and nl.padding_error(x, 3) == 0
    y = x + 0.1 * rng.standard_normal(x.shape)
    assert nl.manifold_error("sigmoid", y, 3, a) > 1e-3 and nl.padding_error(y, 3) > 1e-2
    s = nl.sphere_dataset(2, 7).transform(np.zeros(0), rng.standard_normal((500, 3)), np)
    assert nl.manifold_error("sphere", s, 2) < 1e-28 and nl.padding_error(s, 2) == 0
    assert nl.manifold_error("sphere", 0.5 * s, 2) == pytest.approx(0.25)
    # the public code's score is far from 0 even on exact samples (no σ, an n x n broadcast)
    assert nl.public_code_manifold_error(x, 3, a) > 0.5


def test_generated_dimension_of_known_generators():
    rng = np.random.default_rng(1)
    for k in (1, 2, 4):
        M = rng.standard_normal((10, k)) @ rng.standard_normal((k, 6))  # a linear map of rank k
        params = {"enc": [], "dec": [{"w": M.T, "b": np.zeros(10)}], "enc_logvar": np.zeros(6), "dec_theta": np.zeros(())}
        sv = decoder_singular_values(params, rng.standard_normal((50, 6)))
        for scale in ("noise", "data"):
            dim, ratio, agree = nl.generated_dimension(sv, 1e-6, scale)
            assert (dim, agree) == (k, 1.0)
        assert np.sum(sv[0] > 0) != k  # mutation: counting nonzero singular values (round-off) is wrong
    # the sigmoid manifold itself: z -> (z, σ(<a, z>)) has dimension r*
    a = rng.standard_normal(3)
    M = np.vstack([np.eye(3), np.zeros((1, 3))])
    params = {"dec": [{"w": M.T, "b": np.zeros(4)}], "dec_sig": [{"w": np.outer(a, [0, 0, 0, 1]), "b": np.zeros(4)}]}
    dim, _, _ = nl.generated_dimension(decoder_singular_values(params, rng.standard_normal((50, 3))), eps=1e-3)
    assert dim == 3
    # a thin third direction (1% of the largest): part of the support at the noise scale 3ε̃ when
    # ε̃ = 1e-3, not at the data scale (5% of s_1); hidden by the noise when ε̃ = 0.2
    params = {"dec": [{"w": np.diag([1.0, 0.3, 0.01]), "b": np.zeros(3)}]}
    sv = decoder_singular_values(params, rng.standard_normal((5, 3)))
    assert nl.generated_dimension(sv, eps=1e-3)[0] == 3 and nl.generated_dimension(sv, 1e-3, "data")[0] == 2
    assert nl.generated_dimension(sv, eps=0.2)[0] == 1 and nl.generated_dimension(sv, 0.2, "data")[0] == 2
    with pytest.raises(ValueError):
        nl.generated_dimension(sv, 1e-3, "other")


def test_trend_side():
    steps = np.arange(0, 150_001, 5000)
    assert nl.trend_side(steps, np.full(steps.size, 2.0), 0.0, np.log(2)) == 1
    assert nl.trend_side(steps, np.full(steps.size, -2.0), 0.0, np.log(2)) == -1
    assert nl.trend_side(steps, np.full(steps.size, 0.5), 0.0, np.log(2)) == 0  # within the clearance
    short = np.arange(0, 2001, 250)
    falling = 2.0 - 1e-4 * short  # above now, but its trend reaches 0 long before step 150k
    assert nl.trend_side(short, falling, 0.0, np.log(2)) == 0
    assert nl.trend_side(short, np.full(short.size, np.nan), 0.0, 0.1) == 0


# ---- the checks, on synthetic runs --------------------------------------------------------------

def _run(r_star=2, ambient=16, latent=8, zeros=None, n_steps=150_000, dec_var=1e-5, padding=1e-4, dim=None,
         inside=0.6, converged=True, near=False, floor=None):
    """A synthetic run (the dict run_group makes), settled and converged unless told otherwise."""
    steps = np.arange(0, n_steps + 1, 5000 if n_steps >= 5000 else n_steps // 8)
    T = steps.size
    zeros = r_star + 1 if zeros is None else zeros
    logD = np.zeros((T, latent))
    logD[:, :zeros] = np.log(1e-4)
    if near:
        logD[:, zeros] = np.log(0.12)
    s = np.linspace(-3, np.log(dec_var), T)
    c = 5.0 if converged else 5.0 - 1e-3 * steps
    loss = 0.5 * (ambient - zeros) * s + c
    dim = r_star + 1 if dim is None else dim
    ratio = np.tile(np.where(np.arange(latent) < dim, np.log(3.0), np.log(0.1)), (T, 1))
    return {"data": "sphere", "r_star": r_star, "ambient": ambient, "latent": latent, "seed": 0, "floor": floor,
            "log_every": int(steps[1]), "finite": True, "steps": steps.tolist(), "loss": loss.tolist(),
            "dec_logvar": s.tolist(), "enc_logvar": logD.tolist(), "zeros": [zeros] * T,
            "padding_error": [padding] * T, "padding_error_mean": [padding] * T, "dimension": [dim] * T,
            "dimension_log_ratio": ratio.tolist(), "dimension_agreement": [1.0] * T, "inside_fraction": [inside] * T,
            "norms": [0.9] * 1000, "manifold_error": [0.1] * T}


def _statuses(table, runs):
    return [c.status for c in nl.checks_for(table, runs)]


def _verdict(table, runs):
    from proofs.koehler2022 import PAPER

    return verdict_of(PAPER.statement(table), [Evidence(Role.STATEMENT, c) for c in nl.checks_for(table, runs)])[0].value


def test_every_check_of_table3_holds_on_a_good_run_and_fails_on_a_mutated_one():
    good = _run()
    assert set(_statuses("table3", [good])) == {Status.NUMERIC}
    assert _verdict("table3", [good]) == "verified_numerically"
    # the checks of Table 3 in order: zeros > r*, ε̃² -> 0, padding -> 0, dimension r* + 1, inside > 1/2
    mutations = [_run(zeros=2), _run(dec_var=0.05), _run(padding=0.5), _run(dim=2), _run(inside=0.3)]
    for index, bad in enumerate(mutations):
        st = _statuses("table3", [good, bad])
        assert [i for i, v in enumerate(st) if v is Status.FAILED] == [index], (index, st)
    assert _verdict("table3", [good, _run(zeros=2)]) == "refuted"


def test_unconverged_or_unsettled_runs_are_undecided_never_refuted():
    for bad in (_run(zeros=2, converged=False), _run(zeros=2, near=True), _run(dec_var=0.05, converged=False)):
        st = nl.checks_for("table3", [bad])
        assert not any(c.status is Status.FAILED for c in st)
        assert any(c.status is Status.UNDECIDED for c in st)
        assert _verdict("table3", [bad]) == "inconclusive"
    # a reduced run still moving: undecided
    short = _run(n_steps=2000, dec_var=0.04, converged=False)
    assert all(c.status is Status.UNDECIDED for c in nl.checks_for("table3", [short]))


def test_relations_of_tables_2_4_5():
    sig = dict(r_star=7, ambient=28, latent=24)
    assert nl.zeros_check(nl.TABLES["table2"], [_run(**sig, zeros=7)]).status is Status.NUMERIC  # >= r*
    assert nl.zeros_check(nl.TABLES["table2"], [_run(**sig, zeros=6)]).status is Status.FAILED
    assert nl.zeros_check(nl.TABLES["table4"], [_run(**sig, zeros=7, floor=-4.0)]).status is Status.NUMERIC  # = r*
    assert nl.zeros_check(nl.TABLES["table4"], [_run(**sig, zeros=8, floor=-4.0)]).status is Status.FAILED
    assert nl.zeros_check(nl.TABLES["table5"], [_run(zeros=3, floor=-4.0)]).status is Status.NUMERIC  # = r* + 1
    assert nl.zeros_check(nl.TABLES["table5"], [_run(zeros=4, floor=-4.0)]).status is Status.FAILED
    # Theorem 4's reading for Table 2: the featured column's generated dimension > r*
    assert nl.dimension_check(nl.TABLES["table2"], [_run(**sig, dim=8)], ">", "x").status is Status.NUMERIC
    assert nl.dimension_check(nl.TABLES["table2"], [_run(**sig, dim=7)], ">", "x").status is Status.FAILED
    # no run of the featured column: undecided
    assert nl.dimension_check(nl.TABLES["table2"], [_run()], ">", "x").status is Status.UNDECIDED


# ---- one real group, tiny ---------------------------------------------------------------------------

def test_run_group_is_plain_json_and_deterministic():
    p = nl.payloads("table2", nl.Scale(steps=20, log_every=10, seeds=(0,), columns=(0,), samples=50,
                                       jacobian_points=10))[0]
    p = {**p, "r_star": 2, "ambient": 4, "latent": 3}
    out = nl.run_group(p)
    assert json.loads(json.dumps(out)) == out
    again = nl.run_group(p)
    assert again["members"] == out["members"]
    m = out["members"][0]
    assert m["steps"] == [0, 10, 20] and len(m["zeros"]) == 3 and m["data_manifold_error"] < 1e-12
    with pytest.raises(ValueError):
        nl.run_group({**p, "code_version": -1})


def test_public_code_finding_names_numbers_the_printed_definition_cannot_reach():
    f = nl.public_code_finding()
    pairs = [part.split("public code ")[1] for part in f.witness.split("; ")]
    assert len(pairs) == len(nl.SIGMOID_SETTINGS)
    assert min(float(p) for p in pairs) > max(nl.TABLES["table2"].manifold_error)
    assert all("printed definition 0" in part for part in f.witness.split("; "))


def test_the_table_notes_hold_no_wall_clock_time():
    """report.json is deterministic: a run's seconds stay out of the note it prints."""
    from proofs.koehler2022 import nonlinear as nl

    scale = nl.REDUCED["table2"]
    group = {"seconds": 12.345, "payload": {}, "members": []}
    text = nl.markdown("table2", [group], scale)
    assert "12.3" not in text and "1 group(s) of runs" in text
