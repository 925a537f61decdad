"""The thresholds of the experiments of Section 6, each with the reason for its size.

They belong to this paper (the engine's tolerances are in :mod:`verify.tolerances`).
"""
from __future__ import annotations

__all__ = ["TABLE1_ZERO_VARIANCE", "TABLE1_ROW_NONZERO", "TABLE1_CLEARANCE", "TABLE1_EIG_CLOSE", "TABLE1_LOSS_CHANGE",
           "TABLE1_LONGER_FACTOR"]

#: Table 1 (Section 6): an entry of the encoder variance D̃ counts as a "zero" below this value.
#: The paper states 0.1 for its nonlinear experiments ("We consider a coordinate to be 0 if it's
#: less than 0.1 ... the smaller coordinates tend to be smaller than 0.1 and the larger ... bigger
#: than 0.5") and gives no other value for Table 1, so we use the same; the report prints the
#: largest entry counted as zero and the smallest counted as nonzero, over every run.
TABLE1_ZERO_VARIANCE = 0.1

#: Table 1: a row (or column) of the decoder Ã counts as nonzero when its norm exceeds this value.
#: The paper gives no threshold.  Rows that Theorem 5 makes decay are held by Adam near the scale
#: of its step (learning rate 1e-3): their norms were 3e-8 to 2.2e-3 in the 42 default runs, while
#: rows that carry the data had norms 0.36 to 3.3; 1e-2 sits in that gap, and the report checks,
#: run by run, that no norm lies within a factor TABLE1_CLEARANCE of it.
TABLE1_ROW_NONZERO = 1e-2

#: A count against a threshold (rows of Ã, zeros of D̃) is unambiguous when no value lies within
#: this factor of the threshold: then every threshold within that factor gives the same count.  2
#: because the paper's own description of its encoder variances ("smaller than 0.1 ... bigger than
#: 0.5") promises no more than a factor of 5 between the two groups; the smallest nonzero D̃_ii
#: we measured was 0.26, a factor 2.6 above 0.1.
TABLE1_CLEARANCE = 2.0

#: Table 1: "in no case does the density of the learned distribution come close to the ground
#: truth" is read as a normalized eigenvalue error ||λ̂ - λ||/||λ|| of at least 0.1 in every run.
#: The paper's smallest entry is 0.30; the error's sampling noise at n = 10^4 is ~0.01 (the report
#: compares the sampled and exact errors), so 0.1 is resolvable and a spectrum within 10% of the
#: truth would count as close.
TABLE1_EIG_CLOSE = 0.1

# ---- convergence of a run (Table 1): a run that fails a claim refutes it only if it converged ----
#
# The loss (4) has no minimiser for low-dimensional data (Lemma 1: it tends to -inf as ε̃ -> 0), so a
# run never reaches a critical point: Adam drives ε̃ down until float32 round-off and Adam's own
# steps (~ the learning rate) hold it, near 1e-4 to 1e-3 after 100k steps.  The final gradient norm
# ||∇(4)|| is recorded for every run but gets no threshold: it is dominated by the fit term's
# 1/ε̃² ~ 1e6-1e8 times float32 residuals (we measured 1e2 to 2e5 over the default runs), so it says
# how small ε̃ got, not how far the run is from settled.  What a claim of Table 1 needs is that its
# counts (zeros of D̃, nonzero rows and columns of Ã) are settled; a run is taken as converged when

#: (1) its loss (4) changed by at most this fraction, |L(T) - L(0.9T)| / max(|L(T)|, 1), over the last
#: 10% of its steps, and its counts did not change over them.  The loss still falls like
#: (d/2)·log ε̃² while ε̃ shrinks and jitters with Adam's steps: over the last 10% of the default
#: population runs the change was 0.3% to 94% (median ~5%; the large ones are runs whose |L| is
#: small, where the jitter of the fit term, O(1), is a large fraction).  0.1 accepts a loss that
#: moves by a tenth of itself and no more; a run still learning a direction of A (which lowers
#: (4) by ~log(σ²/ε̃²) ~ 10 per direction) fails it unless |L| is large.
TABLE1_LOSS_CHANGE = 0.1

#: (2) where a claim's verdict hinges on a run (the run fails the claim), a run this many times longer
#: from the same seed (same A, initialisation and minibatch stream for the first T steps) gives the
#: same counts, settled over its own last 10%: then the failure is not an artefact of stopping
#: early.  4 (400k steps by default): Theorem 5's row decay and the learning of a weak direction σ
#: of A both proceed at rates ~ lr·(1/ε̃²) that grow as ε̃ falls, so a direction that is learnt at
#: all is learnt within a few multiples of the first 100k steps; the longer run costs one run of
#: 4x the steps per failing run only.
TABLE1_LONGER_FACTOR = 4

#: Tables 2-5 (Section 6, Appendix D): an entry of the encoder variance D̃ is a "zero" below this
#: value: the paper's own threshold ("We consider a coordinate to be 0 if it's less than 0.1").
NL_ZERO_VARIANCE = 0.1

#: Tables 2-5: a value is decided to lie on one side of a threshold only when it (and its trend) is
#: at least this factor away (in log space: log 2 apart).  The paper's own description of its
#: encoder variances ("smaller than 0.1 ... bigger than 0.5") promises a factor 5; 2 is well within
#: it and, as for Table 1, makes every threshold within a factor 2 give the same answer.
NL_CLEARANCE = 2.0

#: Tables 2-5: the window over which a logged quantity's trend is measured: the last 10% of the
#: logged steps (at least the last two logs), the window the issue asks for.  At paper scale
#: (150k steps, a log every 5k) that is the last 4 logs.
NL_SETTLE_FRACTION = 0.1

#: Tables 2-5: a run shorter than the paper's is judged by extrapolating that trend linearly to
#: this step: the paper's training length.  The printed tables describe the state after 150k steps,
#: so a quantity is "settled" (its check decided) only if both its last value and its value
#: extrapolated to 150k steps lie on the same side of the threshold, NL_CLEARANCE away.  A run that
#: is still moving towards a threshold is undecided, never refuted; at paper scale the
#: extrapolation is the last value itself.  (The loss itself never settles without clipping: by
#: Lemma 1 it goes to -inf as ε̃ -> 0, which is what the paper reports; so each checked quantity is
#: tested for settling, not the loss.)
NL_HORIZON_STEPS = 150_000

#: Tables 2, 3: "the decoder variance approaches zero" is read as ε̃² < 1e-3 at the end of
#: training.  Reason: the paper's featured sigmoid model "achieves nearly-perfect reconstruction
#: error, approximately 0.001", and by Lemma 2 the optimal ε̃² is that error divided by d, so its ε̃²
#: is at most 1e-3 whichever way the error is normalised; a larger ε̃² is not "close to zero" in
#: the paper's own sense.  (It is also 18 times below the e^-4 floor of Appendix D.)
NL_DEC_VAR_SMALL = 1e-3

#: Tables 2, 3: "padding error ... reaches zero in all experiments" is read as a mean
#: ||x̃_pad||² < 1e-2 over 1,000 generated samples: 1% of the squared norm of a sphere point and a
#: factor 2-28 below every manifold error the paper prints as nonzero (0.02-0.28).  It includes
#: the decoder noise, (d - r* - 1) ε̃², which goes to 0 with ε̃.
NL_PADDING_ZERO = 1e-2

#: Tables 2-5, the generated data's dimension "at the data scale" (shown beside the checked one):
#: the directions k of the decoder Jacobian with s_k > max(NL_JAC_RELATIVE * s_1, ε̃).  The data's own directions have extent of order 1 (a unit
#: sphere; N(0, 1) coordinates, and the sigmoid coordinate varies by ~0.2-0.5), while a VAE
#: suppresses an unused latent direction to the scale of the noise ε̃ (its contribution to the
#: loss is s_k² D̃_kk / ε̃²); 5% of the largest direction separates the two by an order of magnitude
#: on both sides, and the ε̃ floor drops directions the decoder noise hides.
NL_JAC_RELATIVE = 0.05

#: Tables 2-5: a run has converged when C = L - (d - #zeros)/2 log ε̃² (the loss net of the term
#: that sends it to -inf as ε̃ -> 0) would change by less than 0.3 nats per sample by the paper's
#: step 150k (and over the last 10% of the run).  0.3 < ½ log 2 ≈ 0.35, the change of the loss when
#: the variance of one coordinate (a data coordinate via ε̃², or a latent code's D̃_ii) changes by a
#: factor 2: so no coordinate is still halving its variance.
NL_LOSS_SETTLED = 0.3

#: Tables 2-5: the generated data's dimension (checked) counts the directions k of the decoder
#: Jacobian with s_k > NL_JAC_NOISE * ε̃: the support of x = f(z) + ε̃ξ as ε̃ -> 0 is the image of f,
#: and a direction well above the noise is part of it however thin.  3 because it is the paper's own
#: criterion made rotation-invariant: with Lemma 3's optimal encoder variance
#: D̃_kk = ε̃²/(s_k² + ε̃²) for a decoder direction of singular value s_k, D̃_kk < 0.1 exactly when
#: s_k > 3ε̃.  So this count equals the paper's #zeros when the encoder's axes are the decoder's
#: singular directions, and differs from it exactly when they are not (a diagonal D̃ cannot rotate).
NL_JAC_NOISE = 3.0
