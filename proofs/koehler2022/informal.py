"""The paper's informal claims: Theorems 1 and 2 of the introduction, the abstract's claims and the
conclusions listed at the end of the introduction (the paper has no separate conclusion section; its
"we make the following conclusions" paragraph of Section 3 plays that part).

None has a proof of its own: each clause is mapped to the formal result that states it precisely, and
the claim's verdict is derived from those results (:func:`verify.graph.derived_verdict`), never
written here.  ``leaves_out`` records what the informal wording leaves out or gets wrong compared
with what the formal checks established.
"""
from __future__ import annotations

from proofs.koehler2022 import PAPER
from verify.paper import Informal

__all__ = ["INFORMAL"]

INFORMAL = tuple(PAPER.informal_claim(c) for c in (
    Informal(
        "theorem1", "Optima of the linear VAE loss (informal Theorem 3)", "Theorem 1, Section 3 (Introduction)",
        "If A = ÃB̃A and #{i : Ã_i = 0} > r - d, there are ε_t -> 0 and D_t with L -> -inf; and these are all "
        "the asymptotic global minima.",
        (("A = ÃB̃A and more than r - d zero columns => L -> -inf (sufficiency)", "theorem3"),
         ("every sequence with L -> -inf ends at such a point (necessity)", "theorem3"),
         ("the loss L is the linear VAE loss (4)", "lemma8")),
        "Says 'these are all of the asymptotic global minima' for convergent sequences with Ã_t -> Ã exactly "
        "zero columns; Theorem 3's necessity only gives #{i : ||(Ã_t)_i||² < δ} > r - d in the liminf, for every "
        "δ > 0. Calls the zero Ã_i 'columns' while Theorem 3 writes them as Ã_i."),
    Informal(
        "theorem2", "Implicit bias of gradient flow (informal Theorem 5)", "Theorem 2, Section 3 (Introduction), eqs. (1)-(2)",
        "A: d x r, W the span of the rows of A; along the flow (1) with max_t max_j ||(Ã_t)_j||² + ε_t² <= K: "
        "Σ_{k > dim W} σ_k²(Ã(t)) <= ||P_W⊥ Ãᵀ(0)||_F² e^{-t/K}.",
        (("the bound (2) on the trailing singular values along the flow (1)", "theorem5"),),
        "Inherits Theorem 5's printing: W is written as the span of the rows of A and A as d x r, and Ãᵀ for Ã; "
        "the formal check corrects these to the column span of A (A: d x r*) and ||P_W⊥ Ã||_F², so the claim "
        "holds only as corrected. It also leaves out the middle term ||P_W⊥ Ã(t)||_F² of (7)."),
    Informal(
        "abstract_linear", "Linear VAEs recover the ground-truth support through implicit bias", "Abstract",
        "For linear encoders/decoders the VAE training recovers a generator with support equal to the ground "
        "truth manifold, and does so due to an implicit bias of gradient descent rather than the VAE loss itself.",
        (("the loss alone admits minima with a larger support", "theorem3"),
         ("gradient flow shrinks every direction outside the support", "theorem5"),
         ("experiments: trained linear VAEs have exactly r* nonzero decoder rows", "table1")),
        "'Gradient descent' is proved for gradient flow (1) on the simplified loss L1 (5), under the assumption "
        "that the flow exists and stays bounded (K); 'recovers the support' is the limit of the exponential decay, "
        "not a statement about a finite run."),
    Informal(
        "abstract_nonlinear", "Nonlinear VAEs frequently learn a higher-dimensional manifold", "Abstract",
        "In the nonlinear case, VAE training frequently learns a higher-dimensional manifold which is a superset "
        "of the ground truth manifold.",
        (("a bad asymptotic minimum with r* + s dimensions exists", "theorem4"),
         ("sigmoid data: zeros of the encoder variance >= r*", "table2"),
         ("sphere data: zeros of the encoder variance > r*", "table3")),
        "'Frequently' is an empirical frequency over the paper's settings; the existence of a superset solution "
        "(Theorem 4) is proved only for the construction (6)."),
    Informal(
        "conclusion_contains", "Training recovers manifolds approximately containing the data", "Section 3, conclusion (1) of the experiments",
        "Gradient descent training recovers manifolds approximately containing the data.",
        (("reconstruction error -> 0 whenever the loss -> -inf", "lemma1"),
         ("sigmoid data: padding error and decoder variance -> 0", "table2"),
         ("sphere data: padding error and decoder variance -> 0", "table3")),
        "'Approximately containing' is read as vanishing reconstruction error (Lemma 1) and the experiments' "
        "padding error; the nonlinear experiments are run at a reduced scale in the default report."),
    Informal(
        "conclusion_larger", "Learned manifolds are generally larger than the ground truth", "Section 3, conclusion (2) of the experiments",
        "These manifolds are generally not the same dimension as the ground truth manifold, but larger, even when "
        "the reconstruction error is driven to 0 (VAE loss to -inf).",
        (("a larger bad asymptotic minimum exists", "theorem4"),
         ("sphere data: more zeros of the encoder variance than r*", "table3"),
         ("clipped sphere data: one more dimension than r*", "table5")),
        "For the sigmoid data (Tables 2, 4) the experiments find the right dimension in several settings, so "
        "'generally larger' rests on the sphere data and Theorem 4's construction."),
    Informal(
        "conclusion_low_dimension", "Gradient descent favours low (not always minimal) dimension", "Section 3, conclusion (3) of the experiments",
        "Of all manifolds containing the data, gradient descent still seems to favor those with relatively low "
        "(but not always minimal) dimension.",
        (("sigmoid data: zeros of the encoder variance >= r*", "table2"),
         ("clipped sigmoid data: exactly r* zeros", "table4"),
         ("clipped sphere data: r* + 1 zeros", "table5")),
        "'Relatively low' has no threshold in the paper; the check reads it as the counts of Tables 2-5."),
    Informal(
        "conclusion_linear", "Theorems 1 and 2 validate the conjecture of Dai and Wipf in the linear case", "Section 3, after Theorem 2",
        "If gradient descent converges to a point while driving the loss to -inf, then it recovers the ground "
        "truth subspace span A.",
        (("the limit points of L -> -inf", "theorem1"), ("the implicit bias of gradient flow", "theorem2")),
        "Needs both theorems as corrected (Theorem 2's W is the column span of A); the number of zero entries "
        "of D is not claimed (Table 1 shows it can differ)."),
))
