"""Training of Section 6 in JAX (Table 1): every shortcut the trainer takes is checked here, and each check
is shown able to fail.

* padding A with zero columns changes neither the loss (4) nor the law of the data;
* JAX's gradient of (4) = the library's exact NumPy gradient (LObjective, chain rule into log-variances);
* a minibatch loss from explicit samples = the loss from that batch's own second-moment matrix;
* the loss gradient from Bartlett-sampled moments has the law of the gradient on explicit samples;
* the trainer's gradients (``jax.grad`` on the flat θ) = the exact NumPy gradient of (4);
* the Adam inside the compiled trainer (``optax.adam``) = Adam computed by hand from its formulas.
"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from verify import VerifyError
from verify import tolerances as tol
from verify.numeric import LogVarianceVAE, TrainConfig, pad_columns, train, train_group
from verify.numeric._jax_vae import (batch_factor, batch_loss, bartlett_factor, chi2, moment_grad, moment_loss,
                                     population_grad, population_loss, unflatten)


def _point(d=5, r=3, rs=2, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((d, rs))
    params = (rng.standard_normal((d, r)), rng.standard_normal((r, d)), rng.uniform(-1, 0.5, r), np.float64(-0.6))
    return A, params, rng


def _theta(params) -> np.ndarray:
    return np.concatenate([np.asarray(x, float).ravel() for x in params])


def _grad_vec(g) -> np.ndarray:
    return np.concatenate([np.asarray(x, float).ravel() for x in g])


def test_zero_padding_of_A_changes_neither_the_loss_nor_the_data_law():
    with jax.enable_x64(True):
        for seed in range(4):
            A, params, _ = _point(seed=seed)
            ref = float(population_loss(params, jnp.asarray(A)))
            # the library's float64 NumPy loss (4) on the unpadded A
            assert ref == pytest.approx(LogVarianceVAE(A, 3).loss(_theta(params)), rel=tol.FLOAT_RTOL)
            for width in (2, 3, 5, 9):
                Ap = pad_columns(A, width)
                assert np.array_equal(Ap @ Ap.T, A @ A.T)  # x = Ap z ~ N(0, AAᵀ), the law of x = Az
                assert float(population_loss(params, jnp.asarray(Ap))) == pytest.approx(ref, rel=tol.FLOAT_RTOL)
            # the check can fail: a padded column that is not zero changes the loss
            bad = pad_columns(A, 4)
            bad[0, 3] = 0.1
            assert abs(float(population_loss(params, jnp.asarray(bad))) - ref) > 1e3 * tol.FLOAT_RTOL * abs(ref)
    with pytest.raises(VerifyError, match="width"):
        pad_columns(np.ones((3, 2)), 1)


def test_jax_gradient_of_the_population_loss_is_the_exact_numpy_gradient():
    with jax.enable_x64(True):
        worst, worst_mut, worst_chain = 0.0, np.inf, np.inf
        for seed in range(tol.RANDOM_POINTS):
            A, params, _ = _point(d=6, r=4, rs=3, seed=seed)
            vae = LogVarianceVAE(A, 4)
            exact = vae.population_gradient(_theta(params))
            g = _grad_vec(jax.grad(population_loss)(params, jnp.asarray(pad_columns(A, 6))))
            scale = np.sum(np.abs(exact)) + np.sum(np.abs(g))
            worst = max(worst, np.max(np.abs(g - exact)) / scale)
            # mutations: a gradient 10% too large, and the chain rule into log D̃ dropped
            worst_mut = min(worst_mut, np.max(np.abs(1.1 * g - exact)) / scale)
            m = vae.objective.n_matrix
            no_chain = vae.objective.gradient(vae.natural(_theta(params)))
            no_chain[-1] *= vae.natural(_theta(params))[-1] / 2
            worst_chain = min(worst_chain, np.max(np.abs(g - no_chain)) / scale)
            assert np.max(np.abs(g[m:-1] - no_chain[m:-1])) > 0
        assert worst < tol.FLOAT_RTOL
        assert worst_mut > 1e3 * tol.FLOAT_RTOL and worst_chain > 1e3 * tol.FLOAT_RTOL


def test_the_trainers_gradients_are_the_exact_numpy_gradient():
    """The trainer's gradient (jax.grad on the flat θ) = the exact NumPy gradient of (4); its minibatch
    gradient at the batch's own moments = jax.grad of the explicit-sample loss.  A wrong ∂B̃ (without the
    ½||B̃A||² term) and a wrong stacking of the moments are told apart."""
    with jax.enable_x64(True):
        d, r, w = 6, 4, 3
        worst, worst_mut = 0.0, np.inf
        for seed in range(tol.RANDOM_POINTS):
            A, params, rng = _point(d=d, r=r, rs=w, seed=seed)
            theta = jnp.asarray(_theta(params))
            Aj = jnp.asarray(A)
            g = np.asarray(population_grad(theta, Aj, r))
            exact = LogVarianceVAE(A, r).population_gradient(_theta(params))  # float64 NumPy, eq. (4)
            scale = np.sum(np.abs(exact))
            worst = max(worst, np.max(np.abs(g - exact)) / scale)
            z, zp = rng.standard_normal((w, 9)), rng.standard_normal((r, 9))
            G = jnp.asarray(np.vstack([z, zp]))
            mg = np.asarray(moment_grad(theta, Aj, G, 9, r))
            explicit = np.asarray(jax.grad(lambda t: batch_loss(unflatten(t, d, r), Aj, jnp.asarray(z),
                                                               jnp.asarray(zp)))(theta))
            worst = max(worst, np.max(np.abs(mg - explicit)) / np.sum(np.abs(explicit)))
            At, Bt, s, u = params
            R = A - At @ (Bt @ A)
            bad = exact.copy()
            bad[d * r:2 * d * r] = (-(At.T @ R) * np.exp(-u) @ A.T).ravel()
            swapped = np.asarray(moment_grad(theta, Aj, jnp.asarray(np.roll(np.asarray(G), r, axis=0)), 9, r))
            worst_mut = min(worst_mut, np.max(np.abs(g - bad)) / scale,
                            np.max(np.abs(swapped - explicit)) / np.sum(np.abs(explicit)))
        assert worst < tol.FLOAT_RTOL
        assert worst_mut > 1e3 * tol.FLOAT_RTOL


def test_minibatch_loss_from_samples_equals_the_loss_from_their_second_moments():
    with jax.enable_x64(True):
        for seed in range(tol.RANDOM_POINTS):
            A, params, rng = _point(d=6, r=4, rs=3, seed=seed)
            Ap = jnp.asarray(pad_columns(A, 6))
            m = 7 + seed
            z, zp = rng.standard_normal((6, m)), rng.standard_normal((4, m))
            w = np.vstack([z, zp])
            S = w @ w.T  # the batch's own second-moment matrix of [z; z']
            explicit = float(batch_loss(params, Ap, jnp.asarray(z), jnp.asarray(zp)))
            lam, V = np.linalg.eigh(S)
            root = V * np.sqrt(np.clip(lam, 0, None))  # root @ root.T = S, for any batch size m
            assert float(moment_loss(params, Ap, jnp.asarray(root), m)) == pytest.approx(explicit, rel=tol.FLOAT_RTOL)
            assert float(moment_loss(params, Ap, jnp.asarray(w), m)) == pytest.approx(explicit, rel=tol.FLOAT_RTOL)
            # the identity can fail: the moments of [z'; z] (stacked the wrong way round)
            wrong = float(moment_loss(params, Ap, jnp.asarray(np.roll(w, 4, axis=0)), m))
            assert abs(wrong - explicit) > 1e3 * tol.FLOAT_RTOL * abs(explicit)


def _grads(params, Ap, factors, m):
    """The trainer's minibatch gradient (moment_grad, flat) for each factor."""
    theta = jnp.asarray(_theta(params))
    r = params[0].shape[1]
    g = jax.vmap(lambda G: moment_grad(theta, Ap, G, m, r))(factors)
    return np.asarray(g)


def _two_sample_z(a, b) -> float:
    """Largest |mean(a) - mean(b)| / standard error over columns (a, b: samples x coordinates)."""
    se = np.sqrt(a.var(axis=0, ddof=1) / len(a) + b.var(axis=0, ddof=1) / len(b))
    return float(np.max(np.abs(a.mean(axis=0) - b.mean(axis=0)) / np.maximum(se, 1e-300)))


def _law_distance(ga, gb) -> tuple:
    """(z of the means, z of the covariances): two-sample tests on the gradients and their centred products."""
    iu = np.triu_indices(ga.shape[1])

    def products(g):
        c = g - g.mean(axis=0)
        return (c[:, :, None] * c[:, None, :])[:, iu[0], iu[1]]

    return _two_sample_z(ga, gb), _two_sample_z(products(ga), products(gb))


def test_bartlett_moments_give_the_gradient_law_of_explicit_samples():
    n, m = 20_000, 12
    with jax.enable_x64(True):
        A, params, _ = _point(d=3, r=2, rs=2, seed=5)
        Ap = jnp.asarray(pad_columns(A, 3))
        k = 5
        keys = jax.random.split(jax.random.PRNGKey(7), 2 * n)
        samples = jax.vmap(lambda q: jax.random.normal(q, (k, m), jnp.float64))(keys[:n])
        bartlett = jax.vmap(lambda q: bartlett_factor(q, k, m, jnp.float64))(keys[n:])
        g_explicit, g_bartlett = _grads(params, Ap, samples, m), _grads(params, Ap, bartlett, m)
        z_mean, z_cov = _law_distance(g_explicit, g_bartlett)
        assert z_mean < tol.MC_SIGMAS and z_cov < tol.MC_SIGMAS
        # both are unbiased for the exact gradient of (4)
        exact = LogVarianceVAE(A, 2).population_gradient(_theta(params))
        se = g_bartlett.std(axis=0, ddof=1) / np.sqrt(n)
        assert np.max(np.abs(g_bartlett.mean(axis=0) - exact) / se) < tol.MC_SIGMAS
        # the test can fail: Bartlett with one degree of freedom too many (a wrong law of S) ...
        plus = jax.vmap(lambda q: bartlett_factor(q, k, m + 1, jnp.float64))(keys[n:])
        assert _law_distance(g_explicit, _grads(params, Ap, plus, m))[0] > tol.MC_SIGMAS
        # ... and the right mean with no noise (S = mI, the population loss) has the wrong covariance
        fixed = jnp.broadcast_to(np.sqrt(m) * np.eye(k), (n, k, k))
        assert _law_distance(g_explicit, _grads(params, Ap, fixed, m))[1] > tol.MC_SIGMAS


def test_chi2_sampler_has_the_mean_and_variance_of_chi2():
    df = jnp.asarray([2.0, 7.0, 61.0, 100.0])
    x = np.asarray(jax.vmap(lambda q: chi2(q, df))(jax.random.split(jax.random.PRNGKey(3), 40_000)), float)
    n = len(x)
    dfn = np.asarray(df)
    assert np.max(np.abs(x.mean(0) - dfn) / np.sqrt(2 * dfn / n)) < tol.MC_SIGMAS
    # Var(χ²) = 2 df; the variance of the sample variance is (μ4 - σ⁴)/n with μ4 = 12 df (df + 4)
    se_var = np.sqrt((12 * dfn * (dfn + 4) - 4 * dfn**2) / n)
    assert np.max(np.abs(x.var(0, ddof=1) - 2 * dfn) / se_var) < tol.MC_SIGMAS
    assert x.min() > 0
    # fewer samples than dimensions: the samples themselves
    assert batch_factor(jax.random.PRNGKey(0), 5, 3).shape == (5, 3)


def _adam_by_hand(theta, grads_of, steps, lr, b1, b2, eps):
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    for t in range(1, steps + 1):
        g = grads_of(theta)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        theta = theta - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return theta


def test_adam_in_the_compiled_trainer_is_adam_by_hand():
    rng = np.random.default_rng(11)
    A = rng.standard_normal((4, 2))
    cfg = TrainConfig(steps=4, history=4, latent=3, lr=1e-2)
    res = train(A, cfg, np.random.default_rng(1))
    vae = LogVarianceVAE(A, 3)
    theta0 = vae.initial(np.random.default_rng(1))
    by_hand = _adam_by_hand(theta0, vae.population_gradient, 4, 1e-2, 0.9, 0.999, 1e-8)
    # float32 training against float64 by hand: Adam's steps m̂/sqrt(v̂) are O(1) ratios computed to
    # float32 round-off (~1e-7) of the learning rate, the parameters are O(1): 1e-5 leaves a factor 100
    assert np.max(np.abs(res.theta - by_hand)) < tol.FLOAT32_STEP_ATOL
    assert list(res.steps) == [1, 2, 3, 4] and res.finite
    # the check can fail: Adam without bias correction moves each coordinate by a different amount
    def no_bias_correction(theta, grads_of, steps, lr, b1, b2, eps):
        m, v = np.zeros_like(theta), np.zeros_like(theta)
        for _ in range(steps):
            g = grads_of(theta)
            m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
            theta = theta - lr * m / (np.sqrt(v) + eps)
        return theta
    wrong = no_bias_correction(theta0, vae.population_gradient, 4, 1e-2, 0.9, 0.999, 1e-8)
    assert np.max(np.abs(res.theta - wrong)) > 100 * tol.FLOAT32_STEP_ATOL
    # and a learning rate off by 10% is a distance of 4 x 1e-3 after four steps
    off = _adam_by_hand(theta0, vae.population_gradient, 4, 1.1e-2, 0.9, 0.999, 1e-8)
    assert np.max(np.abs(res.theta - off)) > 100 * tol.FLOAT32_STEP_ATOL


def test_a_run_gives_the_same_result_alone_and_in_a_group_to_round_off():
    rng = np.random.default_rng(4)
    As = [np.vstack([rng.standard_normal((rs, rs)), np.zeros((6 - rs, rs))]) for rs in (2, 4, 3)]
    for mode in ("population", "minibatch"):
        cfg = TrainConfig(mode=mode, steps=300, latent=4, history=10)
        group = train_group(As, cfg, [np.random.default_rng(s) for s in range(3)])
        alone = train(As[1], cfg, np.random.default_rng(1))
        # vmap batches the matrix products, which may sum in another order: float32 round-off only
        assert np.max(np.abs(group[1].theta - alone.theta)) < tol.FLOAT32_STEP_ATOL
        assert len(alone.losses) == 10 and alone.finite
        assert np.isfinite(alone.grad_norm) and alone.change_from == 270 and alone.theta_tail is not None
    with pytest.raises(VerifyError, match="same d"):
        train_group([np.ones((3, 1)), np.ones((4, 1))], cfg, [rng, rng])
    with pytest.raises(VerifyError, match="rngs"):
        train_group(As, cfg, [rng])
