"""Statement "displays": every displayed formula of Sections 2-5 and Appendices A-C is well typed.

Each displayed formula (every numbered equation (1)-(10), every unnumbered display, and the inline
formulas that state a lemma or theorem or introduce notation) is transcribed below as a
:class:`Display`: where it is, its printed LaTeX, and its typed transcription in the expression
language of :mod:`verify.shapes`.  The types come from the paper's own declarations:

* Section 2: data ``x = f(z)`` (linear case ``x = Az``), ``z ~ N(0, I_{r*})``,
  ``f: R^{r*} -> R^d``, ``A ∈ R^{d×r*}``; the trained generator samples ``z ~ N(0, I_r)``;
  encoder covariance ``D ∈ R^{r×r}`` diagonal.
* Section 4 (general VAE, also Lemmas 1, 2, 7 and Appendix B.1): ``x ∈ R^d``, ``z, z' ∈ R^r``,
  ``f: R^r -> R^d``, ``g: R^d -> R^r``, ``D`` r×r diagonal, ``ε > 0``, and the loss (3)
  ``L(f, g, D, ε)``.
* Section 4.1 (linear VAE, also Sections 3, 5 and Appendices A (Lemma 8), C): ``A ∈ R^{d×r*}``,
  ``Ã ∈ R^{d×r}``, ``B̃ ∈ R^{r×d}``, ``D̃ ∈ R^{r×r}`` diagonal, ``ε̃ > 0``,
  ``Θ̃ = (Ã, B̃, D̃, ε̃)``, the loss (4) ``L(Ã, B̃, D̃, ε̃)`` (``L_A`` when the data matrix is
  written, Lemma 4), ``L1(Ã, B̃, ε̃)`` of (5); ``Ã_i`` is column i of Ã (Lemma 3, Lemma 8,
  Theorem 3), ``Ã^(i)`` row i (proof of Lemma 5), ``Ã_ij`` an entry, ``D̃_ii`` a diagonal entry;
  an orthogonal ``U`` acting on x-space is d×d (Lemma 4: ``UA``).
* Section 4.2 (Theorem 4): ``f_{Ã1,Ã2}(z) = Ã1 z + σ(Ã2 z)``, ``g(x) = B̃x`` (so ``Ã1, Ã2 ∈
  R^{d×r}``, ``B̃ ∈ R^{r×d}``), ``D̃``, ``ε̃``; ``s >= 1``, ``d > r* + s``, ``r > r* + 1``.

Dimensions d, r, r*, s are free symbols: a display is *well typed* when every product, sum,
call and index is well formed for every value of them allowed by the hypotheses in force.  Each
display is one :class:`~verify.Check` (Role.STATEMENT, proved by the symbolic type check, or
failed with the problems as witness); a display that fails carries a corrected typing, checked the
same way (Role.CORRECTION), and :func:`verify.erratum_from` makes the erratum.  A further check
compares the definitions of the same object across sections (the decoder covariance ``ε²I``).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping, Optional

import sympy as sp

from proofs.koehler2022 import PAPER
from verify import Check, Evidence, Status
from verify.claims import Coverage, ProofReport, Role, erratum_from
from verify.shapes import (Call, Chain, Col, ColSpan, Comp, Count, DDt, Det, DiagEntry, DimOf, Dist, Entry, Entrywise,
                           Expect, Extremum, Eye, Fn, Fun, Grad, HStack, Idx, Indexed, Inner, Inv, Lim, Mat, Max,
                           Named, Normal, Norm, Notation, Num, Padded, Partial, Perp, Problem, Proj, Rel, Row,
                           RowSpan, SCALAR, Sample, Sigma, Slice, Sum, Sym, T, Tr, Tup, Tup_, Zero, analyse,
                           at_least, dim, vec, At, BasisOf)

STATEMENT = PAPER.statement("displays")

# ---------------------------------------------------------------------------------------------
# dimensions and notations

d, r, rs, s = dim("d"), dim("r"), dim("r*"), dim("s")
r_tilde = dim("r̃")
DIM_W = sp.Symbol("dim(W)", integer=True, nonnegative=True)


def _fn(result, **params):
    return Fn(tuple(params.items()), result)


F_MODEL = Fn((("z", vec(r)),), vec(d))  # a decoder R^r -> R^d
G_MODEL = Fn((("x", vec(d)),), vec(r))  # an encoder R^d -> R^r
SCALARS = {name: SCALAR for name in ("t", "T", "K", "η", "δ", "c")}
DENSITIES = {name: SCALAR for name in ("C", "C_1", "C_2", "C_3", "log p(x|z)", "log p(z)", "log q(z|x)")}

SECTION2 = Notation("the notation of Section 2", {
    "x": vec(d), "z": vec(rs), "f": Fn((("z", vec(rs)),), vec(d)), "A": Mat(d, rs),
    "g": G_MODEL, "D": Mat(r, r), "ε": SCALAR}, frozenset({d, r, rs}))

GENERAL = Notation("the general VAE notation of Section 4", {
    **SCALARS, **DENSITIES, "x": vec(d), "z": vec(r), "z'": vec(r), "f": F_MODEL, "g": G_MODEL, "D": Mat(r, r), "ε": SCALAR,
    "p*": Dist(d), "p(x|z)": Dist(d), "q(z|x)": Dist(r),
    "L": Fn((("f", F_MODEL), ("g", G_MODEL), ("D", Mat(r, r)), ("ε", SCALAR)), SCALAR)}, frozenset({d, r}))

_LINEAR_PARAMS = (("Ã", Mat(d, r)), ("B̃", Mat(r, d)), ("D̃", Mat(r, r)), ("ε̃", SCALAR))
LINEAR = Notation("the linear VAE notation of Section 4.1", {
    **SCALARS, "A": Mat(d, rs), "Ã": Mat(d, r), "B̃": Mat(r, d), "D̃": Mat(r, r), "ε̃": SCALAR,
    "x": vec(d), "z": vec(rs), "z'": vec(r), "x̃": vec(d), "z̃": vec(r), "p*": Dist(d), "Σ": Mat(d, d),
    "U": Mat(d, d), "S": Mat(d, rs), "V": Mat(rs, rs),
    "Θ̃": Tup(tuple(t for _, t in _LINEAR_PARAMS)),
    "L": Fn(_LINEAR_PARAMS, SCALAR, ("A", Mat(d, rs))),
    "L1": Fn((("Ã", Mat(d, r)), ("B̃", Mat(r, d)), ("ε̃", SCALAR)), SCALAR, ("A", Mat(d, rs)))},
    frozenset({d, r, rs}))

THEOREM4 = Notation("the notation of Section 4.2 (Theorem 4)", {
    **SCALARS, "x": vec(d), "z": vec(r), "z'": vec(r), "x̃": vec(d), "p*": Dist(d),
    "Ã_1": Mat(d, r), "Ã_2": Mat(d, r), "B̃": Mat(r, d), "D̃": Mat(r, r), "ε̃": SCALAR,
    "σ": Fn((("u", SCALAR),), SCALAR), "f": F_MODEL, "g": G_MODEL,
    "L": Fn((("Ã_1", Mat(d, r)), ("Ã_2", Mat(d, r)), ("B̃", Mat(r, d)), ("D̃", Mat(r, r)), ("ε̃", SCALAR)), SCALAR)},
    frozenset({d, r, rs, s}))
THEOREM4_HYPOTHESES = (at_least(d, rs + s + 1), at_least(r, rs + 2))

#: how each notation's names map to the general ones, to compare definitions across sections
CANONICAL = {LINEAR.name: {"ε̃": "ε", "D̃": "D"}, THEOREM4.name: {"ε̃": "ε", "D̃": "D"}}

# symbols
x, z, zp, f, g, D, eps, p_star = (Sym(n) for n in ("x", "z", "z'", "f", "g", "D", "ε", "p*"))
A, At_, Bt, Dt, et, U, L, L1 = (Sym(n) for n in ("A", "Ã", "B̃", "D̃", "ε̃", "U", "L", "L1"))
K, t_, eta, delta, c = (Sym(n) for n in ("K", "t", "η", "δ", "c"))
i, j, k, l, jp = (Idx(n) for n in ("i", "j", "k", "ℓ", "j'"))
HALF = Num(sp.Rational(1, 2))
NEG_INF = Num(-sp.oo)


def log(e):
    return Fun("log", e)


def exp(e):
    return Fun("exp", e)


def sqrt(e):
    return Fun("sqrt", e)


def sq(e, sub=""):
    return Norm(e, sub) ** 2


def fro2(e):
    return Norm(e, "F") ** 2


def ts(e, t="t"):
    """X_t."""
    return At(e, t, "_")


def of(e, t="t"):
    """X(t)."""
    return At(e, t, "()")


def Dii(index, Dm=Dt):
    return DiagEntry(Dm, index)


def linear_loss(A=A, At=At_, Bt=Bt, Dm=Dt, e=et, index=i):
    """The right side of (4)."""
    return (1 / (2 * e ** 2)) * fro2(A - At * Bt * A) + HALF * fro2(Bt * A) + Num(d) * log(e) + HALF * Sum(
        index, Dii(index, Dm) * sq(Col(At, index)) / e ** 2 + Dii(index, Dm) - log(Dii(index, Dm)))


def l1_head(A=A, At=At_, Bt=Bt, e=et):
    return (1 / (2 * e ** 2)) * fro2(A - At * Bt * A) + HALF * fro2(Bt * A)


def l1_tail(At=At_, e=et, index=i):
    return (Num(d) - Num(r)) * log(e) + HALF * Sum(index, 1 + log(sq(Col(At, index)) + e ** 2))


def general_expectation(body, prior_dim=r):
    return Expect(x, p_star, Expect(zp, Normal(Zero(), Eye(prior_dim)), body))


def reconstruction(fm=f, gm=g, Dm=D):
    return sq(x - Call(fm, Call(gm, x) + Dm ** sp.Rational(1, 2) * zp))


def loss3(e=eps, Dm=D, fm=f, gm=g, index=i):
    """The right side of (3)."""
    return general_expectation((1 / (2 * e ** 2)) * reconstruction(fm, gm, Dm) + sq(Call(gm, x)) / 2) + Num(
        d) * log(e) + Tr(Dm) / 2 - HALF * Sum(index, log(Dii(index, Dm)))


# ---------------------------------------------------------------------------------------------
# the record of one display


@dataclass(frozen=True)
class Display:
    """One displayed (or stated inline) formula: where, as printed, typed; and its corrected typing."""

    key: str
    where: str
    printed: str
    formulas: tuple
    notation: Notation
    inline: bool = False
    indices: Mapping = field(default_factory=dict)
    assumptions: tuple = ()
    defines: Mapping = field(default_factory=dict)
    corrected: tuple = ()
    correction: str = ""
    corrected_notation: Optional[Notation] = None
    corrected_assumptions: Optional[tuple] = None
    corrected_defines: Optional[Mapping] = None
    note: str = ""

    def analyse(self, corrected: bool = False):
        formulas = self.corrected if corrected else self.formulas
        notation = (self.corrected_notation or self.notation) if corrected else self.notation
        assumptions = self.corrected_assumptions if corrected and self.corrected_assumptions is not None \
            else self.assumptions
        return analyse(list(formulas), notation, self.indices, assumptions)

    def definitions(self, corrected: bool = False) -> dict:
        defs = self.corrected_defines if corrected and self.corrected_defines is not None else self.defines
        notation = (self.corrected_notation or self.notation) if corrected else self.notation
        rename = CANONICAL.get(notation.name, {})
        return {key: node.text(rename) for key, node in defs.items()}


def _D(*args, **kw) -> Display:
    return Display(*args, **kw)


# ---------------------------------------------------------------------------------------------
# Section 2

z_r = Sym("z", vec(r))  # "the generator will sample z ~ N(0, I_r)": the model latent
f_r = Sym("f", F_MODEL)  # "for trainable f": the decoder

SECTION_2 = [
    _D("s2_data", "Section 2, data distribution (inline)",
       r"z\sim N(0,I_{r^{*}}),\ x=f(z),\ f:\mathbb{R}^{r^{*}}\to\mathbb{R}^{d},\ f(z)=Az,\ A\in\mathbb{R}^{d\times r^{*}}",
       (Sample(z, Normal(Zero(), Eye(rs))), Rel(x, "=", Call(f, z)), Rel(Call(f, z), "=", A * z)), SECTION2,
       inline=True),
    _D("s2_generator", "Section 2, parameterization of the trained model (inline)",
       r"z\sim N(0,I_{r}),\ x\sim N(f(z),\epsilon I)",
       (Sample(z_r, Normal(Zero(), Eye(r))), Sample(x, Normal(Call(f_r, z_r), eps * Eye()))), SECTION2, inline=True,
       defines={"decoder covariance": eps * Eye()},
       corrected=(Sample(z_r, Normal(Zero(), Eye(r))), Sample(x, Normal(Call(f_r, z_r), eps ** 2 * Eye()))),
       corrected_defines={"decoder covariance": eps ** 2 * Eye()},
       correction=r"x\sim N(f(z),\epsilon^{2}I) (ε is the decoder standard deviation: ε² > 0 'is the decoder "
                  r"variance', Section 4)",
       note="z and f are reused here for the model's latent (R^r) and decoder, after z ∈ R^{r*} and f: R^{r*} -> R^d "
            "of the data model in the paragraph above (explicitly re-introduced: not an error)."),
    _D("s2_encoder", "Section 2, encoder (inline)", r"z\sim N(g(x),D),\ D\in\mathbb{R}^{r\times r}",
       (Sample(z_r, Normal(Call(g, x), D)),), SECTION2, inline=True, defines={"encoder covariance": D}),
]

# ---------------------------------------------------------------------------------------------
# Section 3 (linear notation)

A_dr = Sym("A", Mat(d, r))  # Theorems 2 and 5: "Let A: d x r be arbitrary"
Theta3 = Sym("Θ̃", Tup((Mat(d, r), Mat(r, d), SCALAR)))  # Θ̃(t) = (Ã(t), B̃(t), ε̃(t)) of the flow (1)
W_rows = Named("W", RowSpan(A_dr))
W_cols = Named("W", ColSpan(A))


def flow_bound(At=At_, e=et):
    """max_{t ∈ [0,T]} max_j [||(Ã_t)_j||² + ε̃_t²] <= K."""
    return Rel(Extremum("max", "t∈[0,T]", Max(j, sq(Col(ts(At), j)) + ts(e) ** 2)), "≤", K)


def flow_1(data=A_dr):
    """(1): dΘ̃(t)/dt = -∇L1(Θ̃(t)), the flow of L1 = L1_A (the loss (5) depends on A)."""
    return Rel(DDt(of(Theta3)), "=", -Grad(Call(Indexed(L1, data), of(Theta3))))


def theta_init():
    return Rel(of(Theta3, "0"), "=", Tup_(of(At_, "0"), of(Bt, "0"), of(et, "0")))


def tail_mass():
    return Sum(k, Sigma(k, of(At_)) ** 2, lo=DIM_W + 1, hi=d)


C_fn = Sym("C", Fn((("A", Mat(d, r)), ("Ã", Mat(d, r))), SCALAR))
C_fn_corrected = Sym("C", Fn((("A", Mat(d, rs)), ("Ã", Mat(d, r))), SCALAR))

SECTION_3 = [
    _D("s3_lucas", "Section 3, global minima of Lucas et al. (inline)",
       r"AA^{T}=\Sigma,\quad \tilde{A}\tilde{A}^{T}+\epsilon^{2}I=\Sigma",
       (Rel(A * A.T, "=", Sym("Σ")), Rel(At_ * At_.T + eps ** 2 * Eye(), "=", Sym("Σ"))), LINEAR, inline=True,
       corrected=(Rel(A * A.T, "=", Sym("Σ")), Rel(At_ * At_.T + et ** 2 * Eye(d), "=", Sym("Σ"))),
       correction=r"\tilde{A}\tilde{A}^{T}+\tilde\epsilon^{2}I_d=\Sigma (the linear VAE's decoder deviation is ε̃)"),
    _D("s3_theorem1", "Theorem 1 (Section 3)",
       r"A=\tilde{A}\tilde{B}A,\ \#\{i:\tilde{A}_{i}=0\}>r-d,\ \lim_{t\to\infty}L(\tilde{A},\tilde{B},\tilde{D}_{t},"
       r"\tilde{\epsilon_{t}})=-\infty,\ \tilde{A}_{t}\to\tilde{A},\tilde{B}_{t}\to\tilde{B}",
       (Rel(A, "=", At_ * Bt * A), Rel(Count(i, Rel(Col(At_, i), "=", Zero())), ">", Num(r) - Num(d)),
        Rel(Lim(Call(L, At_, Bt, ts(Dt), ts(et))), "=", NEG_INF), Rel(ts(At_), "→", At_), Rel(ts(Bt), "→", Bt)),
       LINEAR, inline=True),
    _D("s3_generator", "Section 3, a generator with r - r* zero columns (inline)",
       r"LL^{T}=\Sigma,\ L:d\times r^{*},\ A:d\times r,\ A=\begin{bmatrix}L&0_{d\times r-r^{*}}\end{bmatrix}",
       (Rel(Sym("L", Mat(d, rs)) * Sym("L", Mat(d, rs)).T, "=", Sym("Σ")),
        Rel(Sym("A", Mat(d, r)), "=", HStack(Sym("L", Mat(d, rs)), Zero(d, r - rs)))), LINEAR, inline=True,
       assumptions=(at_least(r, rs),),
       note="r >= r* is implicit here (a generator with r - r* zero columns; A = ÃB̃A forces rank Ã >= r*). L (the loss) and A (the d×r* data matrix) are reused for a factor of Σ and a d×r generator (the Ã of "
            "Theorem 1 with r - r* zero columns); well typed with the local declarations, but two overloaded names."),
    _D("s3_example", "Section 3, an asymptotic global optimum of higher dimension (inline)",
       r"A=\begin{bmatrix}I_{r^{*}}&0\\0&0\end{bmatrix},\ \tilde{A}=\begin{bmatrix}I_{r^{*}+1}&0\\0&0\end{bmatrix},\ "
       r"\tilde{B}=\begin{bmatrix}I_{r^{*}+1}&0\\0&0\end{bmatrix},\ N\left(0,\begin{bmatrix}I_{r^{*}+1}&0\\0&0\end{bmatrix}\right)"
       r"\quad(d,r\geq r^{*}+2)",
       (Rel(A, "=", Padded(rs)), Rel(At_, "=", Padded(rs + 1)), Rel(Bt, "=", Padded(rs + 1)),
        Sample(Sym("x̃"), Normal(Zero(), Padded(rs + 1)))), LINEAR, inline=True,
       assumptions=(at_least(d, rs + 2), at_least(r, rs + 2)),
       note="A ∈ R^{d×r*}: its block form [[I_{r*}, 0], [0, 0]] has an empty second block column."),
    _D("s3_l1", "Section 3, the simplified loss L1 (inline)",
       r"L_{1}(\tilde{A},\tilde{B},\tilde{\epsilon}):=\min_{\tilde{D}}L(\tilde{A},\tilde{B},\tilde{\epsilon},\tilde{D})",
       (Rel(Call(L1, At_, Bt, et), ":=", Extremum("min", Dt, Call(L, At_, Bt, et, Dt))),), LINEAR, inline=True,
       corrected=(Rel(Call(L1, At_, Bt, et), ":=", Extremum("min", Dt, Call(L, At_, Bt, Dt, et))),),
       correction=r"L_{1}(\tilde{A},\tilde{B},\tilde{\epsilon}):=\min_{\tilde{D}}L(\tilde{A},\tilde{B},\tilde{D},"
                  r"\tilde{\epsilon}) (the argument order of (4) and Lemma 3)"),
    _D("s3_theorem2", "Theorem 2 (Section 3), eqs. (1) and (2)",
       r"A:d\times r,\ W=\text{span of the rows of }A,\ \frac{d\tilde\Theta(t)}{dt}=-\nabla L_{1}(\tilde\Theta(t))\ (1),\ "
       r"\max_{t\in[0,T]}\max_{j}[\|(\tilde{A}_{t})_{j}\|^{2}+\tilde\epsilon_{t}^{2}]\leq K,\ "
       r"\sum_{k=\dim(W)+1}^{d}\sigma_{k}^{2}(\tilde{A}(t))\leq C(A,\tilde{A})e^{-t/K}\ (2),\ "
       r"C(A,\tilde{A}):=\|P_{W^{\perp}}\tilde{A}^{T}(0)\|_{F}^{2}",
       (theta_init(), flow_1(A_dr), flow_bound(),
        Rel(tail_mass(), "≤", Call(C_fn, A_dr, At_) * exp(-t_ / K)),
        Rel(Call(C_fn, A_dr, At_), ":=", fro2(Proj(Perp(W_rows)) * T(of(At_, "0"))))), LINEAR,
       corrected=(theta_init(), flow_1(A), flow_bound(),
                  Rel(tail_mass(), "≤", Call(C_fn_corrected, A, At_) * exp(-t_ / K)),
                  Rel(Call(C_fn_corrected, A, At_), ":=", fro2(Proj(Perp(W_cols)) * of(At_, "0")))),
       correction=r"A\in\mathbb{R}^{d\times r^{*}} (the data matrix of (4), (5)), W = span of the columns of A, "
                  r"C(A,\tilde{A}):=\|P_{W^{\perp}}\tilde{A}(0)\|_{F}^{2}",
       note="(1) is the gradient flow of L1 = L1_A, the loss (5) of the data matrix A (Lemma 4 writes the subscript); "
            "Θ̃ here is the triple (Ã, B̃, ε̃), not the quadruple of Section 4.1 (explicitly re-introduced)."),
]

# ---------------------------------------------------------------------------------------------
# Section 4 (general notation)

f_t, g_t, D_t, eps_t = ts(f), ts(g), ts(D), ts(eps)

SECTION_4 = [
    _D("s4_model", "Section 4, the VAE architecture (display)",
       r"p(x|z)=N(f(z),\epsilon^{2}I),\qquad q(z|x)=N(g(x),D)",
       (Rel(Sym("p(x|z)"), "=", Normal(Call(f, z), eps ** 2 * Eye())), Rel(Sym("q(z|x)"), "=", Normal(Call(g, x), D))),
       GENERAL, defines={"decoder covariance": eps ** 2 * Eye(), "encoder covariance": D}),
    _D("eq3", "Section 4, eq. (3)",
       r"L(f,g,D,\epsilon):=\mathbb{E}_{x\sim p^{*}}\mathbb{E}_{z^{\prime}\sim N(0,I_{r})}\Big[\frac{1}{2\epsilon^{2}}"
       r"\|x-f(g(x)+D^{1/2}z^{\prime})\|^{2}+\|g(x)\|^{2}/2\Big]+d\log(\epsilon)+\operatorname{Tr}(D)/2-\frac{1}{2}"
       r"\sum_{i}\log D_{ii}",
       (Rel(Call(L, f, g, D, eps), ":=", loss3()),), GENERAL),
    _D("s4_lemma1", "Lemma 1 (Section 4, inline)",
       r"\lim_{t\to\infty}L(f_{t},g_{t},D_{t},\epsilon_{t})=-\infty,\ \lim_{t\to\infty}\epsilon_{t}=0,\ "
       r"\lim_{t\to\infty}\mathbb{E}_{x\sim p^{*}}\mathbb{E}_{z^{\prime}\sim N(0,I_{r})}\|x-f_{t}(g_{t}(x)+D_{t}^{1/2}"
       r"z^{\prime})\|^{2}=0",
       (Rel(Lim(Call(L, f_t, g_t, D_t, eps_t)), "=", NEG_INF), Rel(Lim(eps_t), "=", 0),
        Rel(Lim(general_expectation(reconstruction(f_t, g_t, D_t))), "=", 0)), GENERAL, inline=True),
    _D("s4_lemma2", "Lemma 2 (Section 4, display)",
       r"\epsilon=\sqrt{\frac{1}{d}\mathbb{E}_{x\sim p^{*}}\mathbb{E}_{z^{\prime}\sim N(0,I_{r})}\left[\|x-f(g(x)+"
       r"D^{1/2}z^{\prime})\|^{2}\right]}",
       (Rel(eps, "=", sqrt(Num(1) / Num(d) * general_expectation(reconstruction()))),), GENERAL),
]

# ---------------------------------------------------------------------------------------------
# Section 4.1 (linear notation)

z_model = Sym("z", vec(r))
At_t, Bt_t, Dt_t, et_t = ts(At_), ts(Bt), ts(Dt), ts(et)
Dtii = DiagEntry(Dt, i)
col_i = Col(At_, i)
E_data = Normal(Zero(), Eye())  # z ~ N(0, I): the size comes from z


def lemma3_value(index=i):
    return Dii(index) * sq(Col(At_, index)) / et ** 2 + Dii(index) - log(Dii(index))


SECTION_41 = [
    _D("s41_setup", "Section 4.1, setup of the linear VAE (inline)",
       r"x=Az,\ A\in\mathbb{R}^{d\times r^{*}},\ z\sim\mathcal{N}(0,I_{r^{*}}),\ \tilde{x}\sim\mathcal{N}(\tilde{A}z,"
       r"\tilde{\epsilon}^{2}I_{d}),\ \tilde{z}\sim\mathcal{N}(\tilde{B}x,\tilde{D}),\ \tilde{\Theta}=(\tilde{A},"
       r"\tilde{B},\tilde{D},\tilde{\epsilon})",
       (Rel(x, "=", A * z), Sample(z, Normal(Zero(), Eye(rs))), Sample(Sym("x̃"), Normal(At_ * z, et ** 2 * Eye(d))),
        Sample(Sym("z̃"), Normal(Bt * x, Dt)), Rel(Sym("Θ̃"), "=", Tup_(At_, Bt, Dt, et))), LINEAR, inline=True,
       defines={"decoder covariance": et ** 2 * Eye(d), "encoder covariance": Dt},
       corrected=(Rel(x, "=", A * z), Sample(z, Normal(Zero(), Eye(rs))), Sample(z_model, Normal(Zero(), Eye(r))),
                  Sample(Sym("x̃"), Normal(At_ * z_model, et ** 2 * Eye(d))), Sample(Sym("z̃"), Normal(Bt * x, Dt)),
                  Rel(Sym("Θ̃"), "=", Tup_(At_, Bt, Dt, et))),
       correction=r"\tilde{x}\sim\mathcal{N}(\tilde{A}z,\tilde{\epsilon}^{2}I_{d}) with the model's latent "
                  r"z\sim\mathcal{N}(0,I_{r}) declared (the z of x = Az, in the same sentence, is in R^{r*})"),
    _D("eq4", "Section 4.1, eq. (4)",
       r"L(\tilde{\Theta})=\frac{1}{2\tilde{\epsilon}^{2}}\|A-\tilde{A}\tilde{B}A\|_{F}^{2}+\frac{1}{2}\|\tilde{B}A\|_"
       r"{F}^{2}+d\log\tilde{\epsilon}+\frac{1}{2}\sum_{i}\left(\tilde{D}_{ii}\|\tilde{A}_{i}\|^{2}/\tilde{\epsilon}^{2}"
       r"+\tilde{D}_{ii}-\log\tilde{D}_{ii}\right)",
       (Rel(Call(L, Sym("Θ̃")), "=", linear_loss()),), LINEAR),
    _D("s41_lemma3", "Lemma 3 (Section 4.1, inline)",
       r"\tilde{D}_{ii}=\frac{\tilde{\epsilon}^{2}}{\|\tilde{A}_{i}\|^{2}+\tilde{\epsilon}^{2}},\ L_{1}(\tilde{A},"
       r"\tilde{B},\tilde{\epsilon}):=\min_{\tilde{D}}L(\tilde{A},\tilde{B},\tilde{D},\tilde{\epsilon})",
       (Rel(Dtii, "=", et ** 2 / (sq(col_i) + et ** 2)),
        Rel(Call(L1, At_, Bt, et), ":=", Extremum("min", Dt, Call(L, At_, Bt, Dt, et)))), LINEAR, inline=True),
    _D("eq5", "Lemma 3 (Section 4.1), eq. (5)",
       r"L_{1}(\tilde{A},\tilde{B},\tilde{\epsilon})=\frac{1}{2\tilde{\epsilon}^{2}}\|A-\tilde{A}\tilde{B}A\|_{F}^{2}"
       r"+\frac{1}{2}\|\tilde{B}A\|_{F}^{2}+(d-r)\log\tilde{\varepsilon}+\sum_{i}\frac{1+\log\left(\|\tilde{A}_{i}\|^{2}"
       r"+\tilde{\epsilon}^{2}\right)}{2}",
       (Rel(Call(L1, At_, Bt, et), "=", l1_head() + (Num(d) - Num(r)) * log(et)
            + Sum(i, (1 + log(sq(col_i) + et ** 2)) / 2)),), LINEAR),
    _D("s41_lemma3_stationary", "Lemma 3, proof (Section 4.1, inline)",
       r"0=\|\tilde{A}_{i}\|^{2}/\tilde{\epsilon}^{2}+1-1/\tilde{D}_{ii}",
       (Rel(Num(0), "=", sq(col_i) / et ** 2 + 1 - 1 / Dtii),), LINEAR, inline=True),
    _D("s41_lemma3_optimum", "Lemma 3, proof (Section 4.1, display 1)",
       r"\tilde{D}_{ii}=\frac{1}{\|\tilde{A}_{i}\|^{2}/\tilde{\epsilon}^{2}+1}=\frac{\tilde{\epsilon}^{2}}{\|\tilde{A}_"
       r"{i}\|^{2}+\tilde{\epsilon}^{2}}",
       (Chain(Dtii, "=", 1 / (sq(col_i) / et ** 2 + 1), "=", et ** 2 / (sq(col_i) + et ** 2)),), LINEAR),
    _D("s41_lemma3_value", "Lemma 3, proof (Section 4.1, display 2)",
       r"\tilde{D}_{ii}\|\tilde{A}_{i}\|^{2}/\tilde{\epsilon}^{2}+\tilde{D}_{ii}-\log\tilde{D}_{ii}=1-\log\frac{"
       r"\tilde{\epsilon}^{2}}{\|\tilde{A}_{i}\|^{2}+\tilde{\epsilon}^{2}}",
       (Rel(lemma3_value(), "=", 1 - log(et ** 2 / (sq(col_i) + et ** 2))),), LINEAR),
    _D("s41_lemma3_l1", "Lemma 3, proof (Section 4.1, display 3)",
       r"L_{1}(\tilde{A},\tilde{B},\tilde{\epsilon})=\frac{1}{2\tilde{\epsilon}^{2}}\|A-\tilde{A}\tilde{B}A\|_{F}^{2}+"
       r"\frac{1}{2}\|\tilde{B}A\|_{F}^{2}+d\log\tilde{\epsilon}+\frac{1}{2}\sum_{i}\left(1-\log\frac{\tilde{\epsilon}^"
       r"{2}}{\|\tilde{A}_{i}\|^{2}+\tilde{\epsilon}^{2}}\right)=\ldots+(d-r)\log\tilde{\varepsilon}+\frac{1}{2}\sum_{i}"
       r"\left(1-\log\frac{1}{\|\tilde{A}_{i}\|^{2}+\tilde{\epsilon}^{2}}\right)",
       (Chain(Call(L1, At_, Bt, et), "=", l1_head() + Num(d) * log(et) + HALF * Sum(
           i, 1 - log(et ** 2 / (sq(col_i) + et ** 2))), "=", l1_head() + (Num(d) - Num(r)) * log(et) + HALF * Sum(
           i, 1 - log(1 / (sq(col_i) + et ** 2)))),), LINEAR),
    _D("s41_theorem3", "Theorem 3 (Section 4.1, statement)",
       r"\tilde{A}:d\times r,\tilde{B}:r\times d,\ A=\tilde{A}\tilde{B}A,\ \#\{i:\tilde{A}_{i}=0\}>r-d,\ (\tilde{D}_{t})"
       r"_{ii}\to 0,\ \lim_{t\to\infty}L(\tilde{A},\tilde{B},\tilde{D}_{t},\tilde{\epsilon_{t}})=-\infty;\ "
       r"\|A-\tilde{A}_{t}\tilde{B}_{t}A\|_{F}^{2}\to 0,\ \max_{i}(\tilde{D}_{t})_{ii}\|(\tilde{A}_{t})_{i}\|_{F}^{2}\to 0,"
       r"\ \lim\inf_{t\to\infty}\#\{i:\|(\tilde{A}_{t})_{i}\|_{2}^{2}<\delta\}>r-d;\ \tilde{\epsilon}=0,\ \tilde{D}_{ii}=0",
       (Rel(A, "=", At_ * Bt * A), Rel(Count(i, Rel(col_i, "=", Zero())), ">", Num(r) - Num(d)),
        Rel(DiagEntry(Dt_t, i), "→", 0), Rel(Lim(Call(L, At_, Bt, Dt_t, et_t)), "=", NEG_INF),
        Rel(et_t, "→", 0), Rel(fro2(A - At_t * Bt_t * A), "→", 0),
        Rel(Max(i, DiagEntry(Dt_t, i) * Norm(Col(At_t, i), "F") ** 2), "→", 0),
        Rel(Lim(Count(i, Rel(Norm(Col(At_t, i), "2") ** 2, "<", delta))), ">", Num(r) - Num(d)),
        Rel(et, "=", 0), Rel(Dtii, "=", 0)), LINEAR, inline=True, indices={"i": r},
       note="the column norm is written ||Ã_i||, ||(Ã_t)_i||_F and ||(Ã_t)_i||_2 (all equal for a vector)."),
    _D("s41_theorem3_l1", "Theorem 3, proof of sufficiency (Section 4.1, display 1)",
       r"L_{1}(\tilde{A},\tilde{B},\tilde{\epsilon})=\frac{1}{2\tilde{\epsilon}^{2}}\|A-\tilde{A}\tilde{B}A\|_{F}^{2}+"
       r"\frac{1}{2}\|\tilde{B}A\|_{F}^{2}+(d-r)\log\tilde{\varepsilon}+\frac{1}{2}\sum_{i}\left(1+\log\left(\|\tilde{A}"
       r"_{i}\|^{2}+\tilde{\epsilon}^{2}\right)\right)=\frac{1}{2}\|\tilde{B}A\|_{F}^{2}+(d-r)\log\tilde{\varepsilon}+\ldots",
       (Chain(Call(L1, At_, Bt, et), "=", l1_head() + l1_tail(), "=", HALF * fro2(Bt * A) + l1_tail()),), LINEAR),
    _D("s41_theorem3_rate", "Theorem 3, proof of sufficiency (Section 4.1, inline)",
       r"(1/2)\log(\|\tilde{A}_{i}\|^{2}+\tilde{\epsilon}^{2})=\log\tilde{\epsilon},\ (d-r+\#\{i:\tilde{A}_{i}=0\})"
       r"\log\tilde{\epsilon}\to-\infty",
       (Rel(HALF * log(sq(col_i) + et ** 2), "=", log(et)),
        Rel((Num(d) - Num(r) + Count(j, Rel(Col(At_, j), "=", Zero()))) * log(et), "→", NEG_INF)), LINEAR, inline=True),
    _D("s41_theorem3_reconstruction", "Theorem 3, proof of necessity (Section 4.1, display 2)",
       r"0=\lim_{t\to\infty}\mathbb{E}_{z\sim N(0,I)}\mathbb{E}_{z^{\prime}\sim N(0,I_{\tilde{r}})}\|Az-\tilde{A}_{t}"
       r"(\tilde{B}_{t}Az+\tilde{D}_{t}^{1/2}z^{\prime})\|^{2}=\lim_{t\to\infty}\|A-\tilde{A}_{t}\tilde{B}_{t}A\|_{F}^{2}+"
       r"\|\tilde{A}_{t}\tilde{D}_{t}^{1/2}\|_{F}^{2}",
       (Chain(Num(0), "=", Lim(Expect(z, E_data, Expect(zp, Normal(Zero(), Eye(r_tilde)), sq(
           A * z - At_t * (Bt_t * A * z + Dt_t ** sp.Rational(1, 2) * zp))))), "=",
           Lim(fro2(A - At_t * Bt_t * A) + fro2(At_t * Dt_t ** sp.Rational(1, 2)))),), LINEAR,
       corrected=(Chain(Num(0), "=", Lim(Expect(z, E_data, Expect(zp, Normal(Zero(), Eye(r)), sq(
           A * z - At_t * (Bt_t * A * z + Dt_t ** sp.Rational(1, 2) * zp))))), "=",
           Lim(fro2(A - At_t * Bt_t * A) + fro2(At_t * Dt_t ** sp.Rational(1, 2)))),),
       correction=r"z^{\prime}\sim N(0,I_{r}) (r̃ is declared nowhere; z' is the r-dimensional noise of (3))"),
    _D("s41_theorem3_l1_bound", "Theorem 3, proof of necessity (Section 4.1, inline)",
       r"L_{1}(\tilde{A}_{t},\tilde{B}_{t},\tilde{D}_{t})\leq L(\tilde{A}_{t},\tilde{B}_{t},\tilde{D}_{t},\tilde{"
       r"\epsilon}_{t}),\ \lim_{t\to\infty}L_{1}(\tilde{A}_{t},\tilde{B}_{t},\tilde{D}_{t})=-\infty",
       (Rel(Call(L1, At_t, Bt_t, Dt_t), "≤", Call(L, At_t, Bt_t, Dt_t, et_t)),
        Rel(Lim(Call(L1, At_t, Bt_t, Dt_t)), "=", NEG_INF)), LINEAR, inline=True,
       corrected=(Rel(Call(L1, At_t, Bt_t, et_t), "≤", Call(L, At_t, Bt_t, Dt_t, et_t)),
                  Rel(Lim(Call(L1, At_t, Bt_t, et_t)), "=", NEG_INF)),
       correction=r"L_{1}(\tilde{A}_{t},\tilde{B}_{t},\tilde{\epsilon}_{t})\leq L(\tilde{A}_{t},\tilde{B}_{t},"
                  r"\tilde{D}_{t},\tilde{\epsilon}_{t}) (L1's third argument is ε̃)"),
    _D("s41_theorem3_l1_recalled", "Theorem 3, proof of necessity (Section 4.1, display 3)",
       r"L_{1}(\tilde{A},\tilde{B},\tilde{\epsilon})=\frac{1}{2\tilde{\epsilon}^{2}}\|A-\tilde{A}\tilde{B}A\|_{F}^{2}+"
       r"\frac{1}{2}\|\tilde{B}A\|_{F}^{2}+(d-r)\log\tilde{\epsilon}+\frac{1}{2}\sum_{i}\left(1+\log\left(\|\tilde{A}_{i}"
       r"\|^{2}+\tilde{\epsilon}^{2}\right)\right)",
       (Rel(Call(L1, At_, Bt, et), "=", l1_head() + l1_tail()),), LINEAR),
    _D("s41_theorem3_chain", "Theorem 3, proof of necessity (Section 4.1, display 4)",
       r"(d-r)\log\tilde{\epsilon}+\frac{1}{2}\sum_{i}\left(1+\log\left(\|\tilde{A}_{i}\|^{2}+\tilde{\epsilon}^{2}\right)"
       r"\right)\geq\frac{1}{2}\sum_{i:\|\tilde{A}_{i}\|\geq\delta}\left(1+\log\left(\|\tilde{A}_{i}\|^{2}+\tilde{"
       r"\epsilon}^{2}\right)\right)\geq\frac{1}{2}\sum_{i:\|\tilde{A}_{i}\|\geq\delta}\left(1+\log\left(\delta^{2}+"
       r"\tilde{\epsilon}^{2}\right)\right)",
       (Chain(l1_tail(), "≥", HALF * Sum(i, 1 + log(sq(col_i) + et ** 2), where=Rel(Norm(col_i), "≥", delta)), "≥",
              HALF * Sum(i, 1 + log(delta ** 2 + et ** 2), where=Rel(Norm(col_i), "≥", delta))),), LINEAR),
]

# ---------------------------------------------------------------------------------------------
# Section 4.2 (Theorem 4)

A1, A2, sigma = Sym("Ã_1"), Sym("Ã_2"), Sym("σ")
x_t = Sym("x̃")
T4_HYP_CORRECTED = THEOREM4_HYPOTHESES + (at_least(r, rs + s),)


def t4_loss(Dm=Dt, e=et):
    return general_expectation((1 / (2 * e ** 2)) * reconstruction(f, g, Dm) + sq(Call(g, x)) / 2) + Num(d) * log(
        e) + Tr(Dm) / 2 - HALF * Sum(i, log(Dii(i, Dm)))


def t4_closed(e=et):
    return (1 / (2 * e ** 2)) * Sum(i, Dii(i), hi=rs + 1) + Expect(x, p_star, sq(Slice(x, 1, rs + 1)) / 2) + Num(
        d) * log(e) + Tr(Dt) / 2 - HALF * Sum(i, log(Dii(i)))


def t4_final(e_in_log):
    return HALF * Sum(i, 1 / (et ** 2 + 1), hi=rs + 1) + Expect(x, p_star, sq(Slice(x, 1, rs + 1)) / 2) + (
        Num(d) - Num(rs) - Num(s)) * log(et) + Tr(Dt) / 2 + (Num(rs) + 1) / 2 * log(1 + e_in_log ** 2) + HALF * Sum(
        i, log(Dii(i)), lo=rs + 2, hi=r)


SECTION_42 = [
    _D("s42_data", "Section 4.2, setup: the ground truth (inline)",
       r"x\in\mathbb{R}^{d},\ d>r^{*}+s,\ (x_{1},\ldots,x_{r^{*}})\sim N(0,I_{r^{*}}),\ x_{r^{*}+1}=\sigma(x_{1}+\cdots+"
       r"x_{r^{*}}),\ x_{r^{*}+2}=\dots=x_{d}=0,\ r>r^{*}+1",
       (Sample(Slice(x, 1, rs), Normal(Zero(), Eye(rs))),
        Rel(Comp(x, rs + 1), "=", Call(sigma, Sum(k, Comp(x, k), hi=rs))),
        Rel(Comp(x, rs + 2), "=", 0), Rel(Comp(x, d), "=", 0)), THEOREM4, inline=True,
       assumptions=THEOREM4_HYPOTHESES),
    _D("s42_decoder", "Section 4.2, setup: the decoder and encoder (display)",
       r"f_{\tilde{A}_{1},\tilde{A}_{2}}(z):=\tilde{A}_{1}z+\sigma\left(\tilde{A}_{2}z\right),\ g(x):=\tilde{B}x",
       (Rel(Call(f, z), ":=", A1 * z + Entrywise(sigma, A2 * z)), Rel(Call(g, x), ":=", Bt * x)), THEOREM4,
       assumptions=THEOREM4_HYPOTHESES,
       note="Ã_1, Ã_2 are two d×r matrices here (f: R^r -> R^d), not columns of Ã as in Section 4.1."),
    _D("s42_ground_truth", "Section 4.2, the ground truth decoder (inline and display)",
       r"\tilde{A}_{2}\text{ has a single nonzero row in position }r+1\text{ with entries }(1,\ldots,1,0,\ldots,0),\ "
       r"\tilde{A}_{1}=\begin{bmatrix}I_{r^{*}}&0\\0&0\end{bmatrix},\ \tilde{B}=\begin{bmatrix}I_{r^{*}}&0\\0&0"
       r"\end{bmatrix}",
       (Rel(Row(A2, r + 1), "≠", Zero()), Rel(A1, "=", Padded(rs)), Rel(Bt, "=", Padded(rs))), THEOREM4, inline=True,
       assumptions=THEOREM4_HYPOTHESES,
       corrected=(Rel(Row(A2, rs + 1), "≠", Zero()), Rel(A1, "=", Padded(rs)), Rel(Bt, "=", Padded(rs))),
       correction=r"the single nonzero row of \tilde{A}_{2} is in position r^{*}+1 (the coordinate x_{r^{*}+1}="
                  r"\sigma(x_1+\cdots+x_{r^*}) it must produce)"),
    _D("eq6", "Section 4.2, eq. (6)",
       r"\tilde{A}_{1}=\begin{bmatrix}I_{r^{*}+s}&0\\0&0\end{bmatrix},\quad\tilde{A}_{2}=0,\quad\tilde{B}=\begin"
       r"{bmatrix}I_{r^{*}+1}&0\\0&0\end{bmatrix}",
       (Rel(A1, "=", Padded(rs + s)), Rel(A2, "=", Zero()), Rel(Bt, "=", Padded(rs + 1))), THEOREM4,
       assumptions=THEOREM4_HYPOTHESES,
       corrected=(Rel(A1, "=", Padded(rs + s)), Rel(A2, "=", Zero()), Rel(Bt, "=", Padded(rs + 1))),
       corrected_assumptions=T4_HYP_CORRECTED,
       correction=r"add the hypothesis r\geq r^{*}+s (Theorem 4 assumes only r>r^{*}+1, d>r^{*}+s, s\geq 1)"),
    _D("s42_output", "Section 4.2, the output of the decoder (6) (display)",
       r"N\left(0,\begin{bmatrix}I_{r^{*}+s}&0\\0&0\end{bmatrix}\right)",
       (Sample(x_t, Normal(Zero(), Padded(rs + s))),), THEOREM4, assumptions=THEOREM4_HYPOTHESES),
    _D("s42_theorem4", "Theorem 4 (Section 4.2, statement)",
       r"L(\tilde{A}_{1},\tilde{A}_{2},\tilde{B},\tilde{D}_{t},\tilde{\epsilon_{t}})\to-\infty",
       (Rel(Call(L, A1, A2, Bt, ts(Dt), ts(et)), "→", NEG_INF),), THEOREM4, inline=True,
       assumptions=THEOREM4_HYPOTHESES),
    _D("s42_proof_loss", "Theorem 4, proof (Section 4.2, display 1)",
       r"\mathbb{E}_{x\sim p^{*}}\mathbb{E}_{z^{\prime}\sim N(0,I_{r})}\Big[\frac{1}{2\tilde{\epsilon}^{2}}\|x-f(g(x)+"
       r"\tilde{D}^{1/2}z^{\prime})\|^{2}+\|g(x)\|^{2}/2\Big]+d\log(\tilde{\epsilon})+\operatorname{Tr}(\tilde{D})/2-"
       r"\frac{1}{2}\sum_{i}\log\tilde{D}_{ii}=(1/2\tilde{\epsilon}^{2})\sum_{i=1}^{r^{*}+1}\tilde{D}_{ii}+E_{x\sim p^{*}}"
       r"\Big[\|x_{1:r^{*}+1}\|^{2}/2\Big]+d\log(\tilde{\epsilon})+\operatorname{Tr}(\tilde{D})/2-\frac{1}{2}\sum_{i}"
       r"\log\tilde{D}_{ii}",
       (Rel(t4_loss(), "=", t4_closed()),), THEOREM4, assumptions=THEOREM4_HYPOTHESES),
    _D("s42_proof_stationary", "Theorem 4, proof (Section 4.2, inline)",
       r"\text{for } i\leq r^{*}+s:\ 0=(1/\tilde{\epsilon}^{2})+1-1/\tilde{D}_{ii}",
       (Rel(Num(0), "=", 1 / et ** 2 + 1 - 1 / Dii(i)),), THEOREM4, inline=True, indices={"i": rs + s},
       assumptions=THEOREM4_HYPOTHESES,
       corrected=(Rel(Num(0), "=", 1 / et ** 2 + 1 - 1 / Dii(i)),), corrected_assumptions=T4_HYP_CORRECTED,
       correction=r"with the hypothesis r\geq r^{*}+s the indices i\leq r^{*}+s are diagonal entries of \tilde{D}"),
    _D("s42_proof_optimum", "Theorem 4, proof (Section 4.2, display 2)",
       r"\tilde{D}_{ii}=\frac{1}{1+1/\tilde{\epsilon}^{2}}=\frac{\tilde{\epsilon}^{2}}{\tilde{\epsilon}^{2}+1}",
       (Chain(Dii(i), "=", 1 / (1 + 1 / et ** 2), "=", et ** 2 / (et ** 2 + 1)),), THEOREM4,
       assumptions=THEOREM4_HYPOTHESES),
    _D("s42_proof_value", "Theorem 4, proof (Section 4.2, display 3)",
       r"(1/2\tilde{\epsilon}^{2})\sum_{i=1}^{r^{*}+1}\tilde{D}_{ii}+E_{x\sim p^{*}}\Big[\|x_{1:r^{*}+1}\|^{2}/2\Big]+"
       r"d\log(\tilde{\epsilon})+\operatorname{Tr}(\tilde{D})/2-\frac{1}{2}\sum_{i}\log\tilde{D}_{ii}=(1/2)\sum_{i=1}"
       r"^{r^{*}+1}\frac{1}{\tilde{\epsilon}^{2}+1}+E_{x\sim p^{*}}\Big[\|x_{1:r^{*}+1}\|^{2}/2\Big]+(d-r^{*}-s)\log("
       r"\tilde{\epsilon})+\operatorname{Tr}(\tilde{D})/2+\frac{r^{*}+1}{2}\log(1+\epsilon^{2})+\frac{1}{2}\sum_{i=r^{*}"
       r"+2}^{r}\log\tilde{D}_{ii}",
       (Rel(t4_closed(), "=", t4_final(eps)),), THEOREM4, assumptions=THEOREM4_HYPOTHESES,
       corrected=(Rel(t4_closed(), "=", t4_final(et)),),
       correction=r"\frac{r^{*}+1}{2}\log(1+\tilde{\epsilon}^{2}) (Theorem 4's decoder deviation is ε̃)",
       note="only the typing is checked here; the values of this display are checked by the theorem4 proof."),
]

# ---------------------------------------------------------------------------------------------
# Section 5 (linear notation)

U_A = U * A
L_A, L_UA = Indexed(L, A), Indexed(L, U_A)
args_A = (At_, Bt, Dt, et)
args_UA = (U * At_, Bt * U.T, Dt, et)
S_dr, V_rr = Sym("S", Mat(d, r)), Sym("V", Mat(r, r))  # the SVD of Theorem 5's A: d x r
S_c, V_c = Sym("S"), Sym("V")


P_rows = Named("P_{W⊥}", Proj(Perp(W_rows)))
P_cols = Named("P_{W⊥}", Proj(Perp(W_cols)))
Atilde_t, Atilde_0 = of(At_), of(At_, "0")


def d_entry(body):
    return Partial(body, Entry(At_, i, j))


def abtilde(ip, lp, jj=jp, kk=k):
    """Σ_{j',k} Ã_{ij'} B̃_{j'k} A_{kℓ}."""
    return Sum(jj, Sum(kk, Entry(At_, ip, jj) * Entry(Bt, jj, kk) * Entry(A, kk, lp)))


SECTION_5 = [
    _D("s5_l1", "Section 5, the simplified loss (inline)",
       r"L_{1}(\tilde{A},\tilde{B},\tilde{\epsilon})=\min_{\tilde{D}}L_{1}(\tilde{A},\tilde{B},\tilde{\epsilon},\tilde{D})",
       (Rel(Call(L1, At_, Bt, et), "=", Extremum("min", Dt, Call(L1, At_, Bt, et, Dt))),), LINEAR, inline=True,
       corrected=(Rel(Call(L1, At_, Bt, et), "=", Extremum("min", Dt, Call(L, At_, Bt, Dt, et))),),
       correction=r"L_{1}(\tilde{A},\tilde{B},\tilde{\epsilon})=\min_{\tilde{D}}L(\tilde{A},\tilde{B},\tilde{D},"
                  r"\tilde{\epsilon}) (the minimum of L, as in Lemma 3)"),
    _D("eq7", "Theorem 5 (Section 5), eq. (7) with (1)",
       r"A:d\times r,\ W=\text{span of the rows of }A,\ (1),\ \max_{t\in[0,T]}\max_{j}[\|(\tilde{A}_{t})_{j}\|^{2}+"
       r"\tilde{\epsilon}_{t}^{2}]\leq K,\ \sum_{k=\dim(W)+1}^{d}\sigma_{k}^{2}(\tilde{A}(t))\leq\|P_{W^{\perp}}\tilde{A}"
       r"^{T}(t)\|_{F}^{2}\leq e^{-t/K}\|P_{W^{\perp}}\tilde{A}^{T}(0)\|_{F}^{2}",
       (theta_init(), flow_1(A_dr), flow_bound(),
        Chain(tail_mass(), "≤", fro2(P_rows * T(Atilde_t)), "≤", exp(-t_ / K) * fro2(P_rows * T(Atilde_0)))), LINEAR,
       corrected=(theta_init(), flow_1(A), flow_bound(),
                  Chain(tail_mass(), "≤", fro2(P_cols * Atilde_t), "≤", exp(-t_ / K) * fro2(P_cols * Atilde_0))),
       correction=r"A\in\mathbb{R}^{d\times r^{*}}, W = span of the columns of A: \sum_{k=\dim(W)+1}^{d}\sigma_{k}^{2}"
                  r"(\tilde{A}(t))\leq\|P_{W^{\perp}}\tilde{A}(t)\|_{F}^{2}\leq e^{-t/K}\|P_{W^{\perp}}\tilde{A}(0)\|_{F}^{2}",
       note="as printed, with A: d×r, (7) is well typed but (1) is the flow of L1_A, whose A is d×r* (Section 4.1); "
            "with A ∈ R^{d×r*} and W the row span, P_{W⊥} is r*×r* and P_{W⊥}Ãᵀ is defined only if r* = r; "
            "with W the column span, P_{W⊥} is d×d and P_{W⊥}Ãᵀ is defined only if d = r. The only reading "
            "typed for every d, r, r* is W = column span, P_{W⊥}Ã."),
    _D("s5_svd", "Section 5, reduction to zero rows (inline)",
       r"d-\mbox{dim}(\mbox{rowspan}(A)),\ A=USV^{T},\ A=SV^{T}",
       (Rel(Num(d) - DimOf(RowSpan(A)), "≥", 0), Rel(A, "=", U * S_c * V_c.T), Rel(A, "=", S_c * V_c.T)), LINEAR,
       inline=True),
    _D("s5_lemma4_loss", "Lemma 4 (Section 5, display 1)",
       r"L_{A}(\tilde{A},\tilde{B},\tilde{D},\tilde{\epsilon})=L_{UA}(U\tilde{A},\tilde{B}U^{T},\tilde{D},\tilde{\epsilon})",
       (Rel(Call(L_A, *args_A), "=", Call(L_UA, *args_UA)),), LINEAR),
    _D("s5_lemma4_grad_A", "Lemma 4 (Section 5, display 2)",
       r"U\nabla_{\tilde{A}}L_{A}(\tilde{A},\tilde{B},\tilde{D},\tilde{\epsilon})=\nabla_{U\tilde{A}}L_{UA}(U\tilde{A},"
       r"\tilde{B}U^{T},\tilde{D},\tilde{\epsilon})",
       (Rel(U * Grad(Call(L_A, *args_A), At_), "=", Grad(Call(L_UA, *args_UA), U * At_)),), LINEAR),
    _D("s5_lemma4_grad_B", "Lemma 4 (Section 5, display 3)",
       r"(\nabla_{\tilde{B}}L_{A}(\tilde{A},\tilde{B},\tilde{D},\tilde{\epsilon}))U^{T}=\nabla_{U\tilde{B}}L_{UA}(U"
       r"\tilde{A},\tilde{B}U^{T},\tilde{D},\tilde{\epsilon})",
       (Rel(Grad(Call(L_A, *args_A), Bt) * U.T, "=", Grad(Call(L_UA, *args_UA), U * Bt)),), LINEAR,
       corrected=(Rel(Grad(Call(L_A, *args_A), Bt) * U.T, "=", Grad(Call(L_UA, *args_UA), Bt * U.T)),),
       correction=r"(\nabla_{\tilde{B}}L_{A}(\tilde{A},\tilde{B},\tilde{D},\tilde{\epsilon}))U^{T}=\nabla_{\tilde{B}"
                  r"U^{T}}L_{UA}(U\tilde{A},\tilde{B}U^{T},\tilde{D},\tilde{\epsilon}) (the gradient in the second "
                  r"argument, as the proof in Appendix C writes)"),
    _D("s5_lemma4_descent", "Lemma 4 (Section 5, inline and display 4)",
       r"(\tilde{A}_{1},\tilde{B}_{1},\tilde{D}_{1},\tilde{\epsilon}_{1})=(\tilde{A},\tilde{B},\tilde{D},\tilde{\epsilon})"
       r"-\eta\nabla L_{A}(\tilde{A},\tilde{B},\tilde{D},\tilde{\epsilon}),\ (U\tilde{A}_{1},\tilde{B}_{1}U^{T},\tilde{D}"
       r"_{1},\tilde{\epsilon}_{1})=(U\tilde{A},\tilde{B}U^{T},\tilde{D},\tilde{\epsilon})-\eta\nabla_{(U\tilde{A},"
       r"\tilde{B}U^{T},\tilde{D},\tilde{\epsilon})}L_{UA}(U\tilde{A},\tilde{B}U^{T},\tilde{D},\tilde{\epsilon})",
       (Rel(Tup_(Sym("Ã_1", Mat(d, r)), Sym("B̃_1", Mat(r, d)), Sym("D̃_1", Mat(r, r)), Sym("ε̃_1", SCALAR)), "=",
            Tup_(*args_A) - eta * Grad(Call(L_A, *args_A))),
        Rel(Tup_(U * Sym("Ã_1", Mat(d, r)), Sym("B̃_1", Mat(r, d)) * U.T, Sym("D̃_1", Mat(r, r)), Sym("ε̃_1", SCALAR)),
            "=", Tup_(*args_UA) - eta * Grad(Call(L_UA, *args_UA), Tup_(*args_UA)))), LINEAR, inline=True,
       note="Ã_1, B̃_1, D̃_1, ε̃_1 are the parameters after one step (Ã_1 is not column 1 of Ã here)."),
    _D("s5_lemma5", "Lemma 5 (Section 5, display)",
       r"\sum_{j=1}^{r}\tilde{A}_{ij}\frac{\partial L}{\partial\tilde{A}_{ij}}\geq\sum_{j=1}^{r}\tilde{D}_{jj}\tilde{A}_"
       r"{ij}^{2}/\tilde{\epsilon}^{2},\qquad\sum_{j=1}^{r}\tilde{A}_{ij}\frac{\partial L_{1}}{\partial\tilde{A}_{ij}}\geq"
       r"\sum_{j=1}^{r}\frac{\tilde{A}_{ij}^{2}}{\|\tilde{A}_{j}\|^{2}+\tilde{\epsilon}^{2}}\quad(\text{row }i\text{ of }"
       r"A\text{ zero})",
       (Rel(Row(A, i), "=", Zero()),
        Rel(Sum(j, Entry(At_, i, j) * Partial(L, Entry(At_, i, j)), hi=r), "≥",
            Sum(j, Dii(j) * Entry(At_, i, j) ** 2 / et ** 2, hi=r)),
        Rel(Sum(j, Entry(At_, i, j) * Partial(L1, Entry(At_, i, j)), hi=r), "≥",
            Sum(j, Entry(At_, i, j) ** 2 / (sq(Col(At_, j)) + et ** 2), hi=r))), LINEAR, indices={"i": d}),
    _D("s5_lemma5_entry", "Lemma 5, proof (Section 5, inline)",
       r"(\tilde{A}\tilde{B}A)_{i\ell}=\sum_{j,k}\tilde{A}_{ij}\tilde{B}_{jk}A_{k\ell}",
       (Rel(Entry(At_ * Bt * A, i, l), "=", abtilde(i, l, j, k)),), LINEAR, inline=True),
    _D("s5_lemma5_d1", "Lemma 5, proof (Section 5, display 1)",
       r"\frac{\partial\|A-\tilde{A}\tilde{B}A\|_{F}^{2}}{\partial\tilde{A}_{ij}}=\frac{\partial}{\partial\tilde{A}_{ij}}"
       r"\sum_{\ell}\left(A_{i\ell}-\sum_{j^{\prime},k}\tilde{A}_{ij^{\prime}}\tilde{B}_{j^{\prime}k}A_{k\ell}\right)^{2}"
       r"=\sum_{\ell}2\left(A_{i\ell}-\sum_{j^{\prime},k}\tilde{A}_{ij^{\prime}}\tilde{B}_{j^{\prime}k}A_{k\ell}\right)"
       r"\left(-\sum_{k}\tilde{B}_{jk}A_{k\ell}\right)",
       (Chain(d_entry(fro2(A - At_ * Bt * A)), "=", d_entry(Sum(l, (Entry(A, i, l) - abtilde(i, l)) ** 2)), "=",
              Sum(l, 2 * (Entry(A, i, l) - abtilde(i, l)) * -Sum(k, Entry(Bt, j, k) * Entry(A, k, l)))),), LINEAR),
    _D("s5_lemma5_d2", "Lemma 5, proof (Section 5, display 2)",
       r"\frac{\partial\|A-\tilde{A}\tilde{B}A\|_{F}^{2}}{\partial\tilde{A}_{ij}}=\sum_{\ell}2\left(\sum_{j^{\prime},k}"
       r"\tilde{A}_{ij^{\prime}}\tilde{B}_{j^{\prime}k}A_{k\ell}\right)\left(\sum_{k}\tilde{B}_{jk}A_{k\ell}\right)",
       (Rel(d_entry(fro2(A - At_ * Bt * A)), "=", Sum(l, 2 * abtilde(i, l) * Sum(k, Entry(Bt, j, k) * Entry(A, k, l)))),),
       LINEAR),
    _D("s5_lemma5_d3", "Lemma 5, proof (Section 5, display 3)",
       r"\sum_{j}\tilde{A}_{ij}\frac{\partial\|A-\tilde{A}\tilde{B}A\|_{F}^{2}}{\partial\tilde{A}_{ij}}=\sum_{\ell}2\left("
       r"\sum_{j,k}\tilde{A}_{ij}\tilde{B}_{jk}A_{k\ell}\right)^{2}=2\|(\tilde{A}\tilde{B}A)^{(i)}\|^{2}",
       (Chain(Sum(j, Entry(At_, i, j) * d_entry(fro2(A - At_ * Bt * A))), "=", Sum(l, 2 * abtilde(i, l, j, k) ** 2), "=",
              2 * sq(Row(At_ * Bt * A, i))),), LINEAR),
    _D("s5_lemma5_d4", "Lemma 5, proof (Section 5, display 4)",
       r"\frac{\partial}{\partial\tilde{A}_{ij}}(1/2)\sum_{i}\tilde{D}_{jj}\|\tilde{A}_{j}\|^{2}/\tilde{\epsilon}^{2}="
       r"\tilde{D}_{jj}\tilde{A}_{ij}/\tilde{\epsilon}^{2}",
       (Rel(d_entry(HALF * Sum(i, Dii(j) * sq(Col(At_, j)) / et ** 2)), "=", Dii(j) * Entry(At_, i, j) / et ** 2),),
       LINEAR,
       corrected=(Rel(d_entry(HALF * Sum(k, Dii(k) * sq(Col(At_, k)) / et ** 2)), "=",
                      Dii(j) * Entry(At_, i, j) / et ** 2),),
       correction=r"\frac{\partial}{\partial\tilde{A}_{ij}}(1/2)\sum_{k}\tilde{D}_{kk}\|\tilde{A}_{k}\|^{2}/\tilde"
                  r"{\epsilon}^{2}=\tilde{D}_{jj}\tilde{A}_{ij}/\tilde{\epsilon}^{2} (the sum runs over the columns "
                  r"k = 1..r, with an index other than the i, j of ∂/∂Ã_ij)"),
    _D("s5_lemma5_d5", "Lemma 5, proof (Section 5, display 5)",
       r"\sum_{j}\tilde{A}_{ij}\frac{\partial}{\partial\tilde{A}_{ij}}(1/2)\sum_{j}\tilde{D}_{j}\|\tilde{A}_{j}\|^{2}/"
       r"\tilde{\epsilon}^{2}=\sum_{j}\tilde{D}_{jj}\tilde{A}_{ij}^{2}/\tilde{\epsilon}^{2}",
       (Rel(Sum(j, Entry(At_, i, j) * d_entry(HALF * Sum(j, Col(Dt, j) * sq(Col(At_, j)) / et ** 2))), "=",
            Sum(j, Dii(j) * Entry(At_, i, j) ** 2 / et ** 2)),), LINEAR,
       corrected=(Rel(Sum(j, Entry(At_, i, j) * d_entry(HALF * Sum(k, Dii(k) * sq(Col(At_, k)) / et ** 2))), "=",
                      Sum(j, Dii(j) * Entry(At_, i, j) ** 2 / et ** 2)),),
       correction=r"\sum_{j}\tilde{A}_{ij}\frac{\partial}{\partial\tilde{A}_{ij}}(1/2)\sum_{k}\tilde{D}_{kk}\|\tilde{A}_"
                  r"{k}\|^{2}/\tilde{\epsilon}^{2}=\sum_{j}\tilde{D}_{jj}\tilde{A}_{ij}^{2}/\tilde{\epsilon}^{2}",
       note="D̃_j is read by the paper's convention (a single subscript is a column): an r-vector."),
    _D("s5_lemma5_d6", "Lemma 5, proof (Section 5, display 6)",
       r"\frac{\partial}{\partial\tilde{A}_{ij}}\sum_{k}\log(\|\tilde{A}_{k}\|^{2}+\tilde{\epsilon}^{2})=\frac{2\tilde{A}"
       r"_{ij}}{\|\tilde{A}_{j}\|^{2}+\tilde{\epsilon}^{2}}",
       (Rel(d_entry(Sum(k, log(sq(Col(At_, k)) + et ** 2))), "=", 2 * Entry(At_, i, j) / (sq(Col(At_, j)) + et ** 2)),),
       LINEAR),
    _D("s5_lemma5_d7", "Lemma 5, proof (Section 5, display 7)",
       r"\sum_{j}\tilde{A}_{ij}\frac{\partial}{\partial\tilde{A}_{ij}}\sum_{k}\log(\|\tilde{A}_{k}\|^{2}+\tilde{\epsilon}"
       r"^{2})=\sum_{j}\frac{2\tilde{A}_{ij}^{2}}{\|\tilde{A}_{j}\|^{2}+\tilde{\epsilon}^{2}}",
       (Rel(Sum(j, Entry(At_, i, j) * d_entry(Sum(k, log(sq(Col(At_, k)) + et ** 2)))), "=",
            Sum(j, 2 * Entry(At_, i, j) ** 2 / (sq(Col(At_, j)) + et ** 2))),), LINEAR),
    _D("s5_lemma6", "Lemma 6 (Section 5, statement)",
       r"\tilde\Theta(0)=(\tilde{A}(0),\tilde{B}(0),\tilde\epsilon(0)),\ \max_{t\in[0,T]}\max_{j}[\|(\tilde{A}(t))_{j}\|"
       r"^{2}+\tilde{\epsilon}(t)^{2}]\leq K,\ \|\tilde{A}^{(i)}(t)\|^{2}\leq e^{-t/K}\|\tilde{A}^{(i)}(0)\|^{2}\ "
       r"(\text{row }i\text{ of }A\text{ zero})",
       (theta_init(), flow_1(A), Rel(Extremum("max", "t∈[0,T]", Max(j, sq(Col(of(At_), j)) + of(et) ** 2)), "≤", K),
        Rel(Row(A, i), "=", Zero()),
        Rel(sq(of(Row(At_, i))), "≤", exp(-t_ / K) * sq(of(Row(At_, i), "0")))), LINEAR, indices={"i": d},
       note="Θ̃ is the triple of the flow (1) here; the time is written Ã(t) here and Ã_t in Theorems 2, 5."),
    _D("s5_lemma6_proof", "Lemma 6, proof (Section 5, display)",
       r"\frac{d}{dt}\|\tilde{A}^{(i)}(t)\|^{2}=2\langle\tilde{A}^{(i)}(t),\frac{d}{dt}\tilde{A}^{(i)}(t)\rangle=2\langle"
       r"\tilde{A}^{(i)}(t),-\nabla_{\tilde{A}(t)^{(i)}}L_{1}(\Theta_{t})\rangle\leq-\sum_{j=1}^{r}\frac{(\tilde{A}(t))_"
       r"{ij}^{2}}{\|(\tilde{A}(t))_{j}\|^{2}+\tilde{\epsilon}_{t}^{2}}\leq-(1/K)\|\tilde{A}^{(i)}(t)\|^{2}",
       (Chain(DDt(sq(of(Row(At_, i)))), "=", 2 * Inner(of(Row(At_, i)), DDt(of(Row(At_, i)))), "=",
              2 * Inner(of(Row(At_, i)), -Grad(Call(Indexed(L1, A), ts(Sym("Θ"))), Row(of(At_), i))), "≤",
              -Sum(j, Entry(of(At_), i, j) ** 2 / (sq(Col(of(At_), j)) + ts(et) ** 2), hi=r), "≤",
              -(1 / K * sq(of(Row(At_, i))))),), LINEAR, indices={"i": d},
       corrected=(Chain(DDt(sq(of(Row(At_, i)))), "=", 2 * Inner(of(Row(At_, i)), DDt(of(Row(At_, i)))), "=",
                        2 * Inner(of(Row(At_, i)), -Grad(Call(Indexed(L1, A), of(Theta3)), Row(of(At_), i))), "≤",
                        -Sum(j, Entry(of(At_), i, j) ** 2 / (sq(Col(of(At_), j)) + ts(et) ** 2), hi=r), "≤",
                        -(1 / K * sq(of(Row(At_, i))))),),
       correction=r"\nabla_{\tilde{A}(t)^{(i)}}L_{1}(\tilde\Theta(t)) (Θ_t is declared nowhere; the flow's state is "
                  r"\tilde\Theta(t)=(\tilde{A}(t),\tilde{B}(t),\tilde\epsilon(t)))",
       note="(values, not types: the proof drops a factor 2 in the first inequality; see the lemma6 proof)"),
    _D("s5_theorem5_basis", "Theorem 5, proof (Section 5, inline)",
       r"\text{the first }\dim(W)\text{ rows of }U\text{ are an orthonormal basis for }W;\ (U_{\dim(W)+1},\ldots,U_{d})"
       r"\text{ are an orthonormal basis for }W^{\perp}\quad(A=USV^{T},\ A:d\times r,\ W=\text{rowspan}(A))",
       (Rel(A_dr, "=", U * S_dr * V_rr.T), BasisOf(Row(U, Idx("k")), W_rows), BasisOf(Col(U, Idx("k")), Perp(W_rows))),
       LINEAR, inline=True, indices={"k": d},
       corrected=(Rel(A, "=", U * S_c * V_c.T), BasisOf(Col(U, Idx("k")), W_cols), BasisOf(Col(U, Idx("k")),
                                                                                             Perp(W_cols))),
       correction=r"A\in\mathbb{R}^{d\times r^{*}}, W = column span of A: the first \dim(W) columns of U are an "
                  r"orthonormal basis for W and U_{\dim(W)+1},\ldots,U_{d} (columns) for W^{\perp}"),
    _D("s5_theorem5_proof", "Theorem 5, proof (Section 5, inline and display)",
       r"\|P_{W^{\perp}}\tilde{A}^{T}(t)\|_{F}^{2}=\sum_{i=\dim(W)+1}^{d}\|(U\tilde{A}(t)^{T})_{i}\|^{2}\leq e^{-t/K}"
       r"\sum_{i=\dim(W)+1}^{d}\|(U\tilde{A}(0)^{T})_{i}\|^{2}=e^{-t/K}\|P_{W^{\perp}}\tilde{A}^{T}(0)\|_{F}^{2}",
       (Chain(fro2(P_rows * T(Atilde_t)), "=", Sum(i, sq(Col(U * T(Atilde_t), i)), lo=DIM_W + 1, hi=d), "≤",
              exp(-t_ / K) * Sum(i, sq(Col(U * T(Atilde_0), i)), lo=DIM_W + 1, hi=d), "=",
              exp(-t_ / K) * fro2(P_rows * T(Atilde_0))),), LINEAR,
       corrected=(Chain(fro2(P_cols * Atilde_t), "=", Sum(i, sq(Row(U.T * Atilde_t, i)), lo=DIM_W + 1, hi=d), "≤",
                        exp(-t_ / K) * Sum(i, sq(Row(U.T * Atilde_0, i)), lo=DIM_W + 1, hi=d), "=",
                        exp(-t_ / K) * fro2(P_cols * Atilde_0)),),
       correction=r"\|P_{W^{\perp}}\tilde{A}(t)\|_{F}^{2}=\sum_{i=\dim(W)+1}^{d}\|(U^{T}\tilde{A}(t))^{(i)}\|^{2}\leq e^"
                  r"{-t/K}\sum_{i=\dim(W)+1}^{d}\|(U^{T}\tilde{A}(0))^{(i)}\|^{2}=e^{-t/K}\|P_{W^{\perp}}\tilde{A}(0)\|_"
                  r"{F}^{2} (W = column span of A)",
       note="typed with Theorem 5's own A: d×r (W = row span ⊂ R^r): the rotated matrix UÃᵀ needs d = r."),
    _D("s5_theorem5_rows", "Theorem 5, proof (Section 5, inline)",
       r"A^{*}:=U^{T}A=SV^{T},\ \text{the rows of }U^{T}\tilde{A}(t),\text{ i.e. the columns of }U\tilde{A}(t)^{T}",
       (Rel(Sym("A*", Mat(d, r)), ":=", U.T * A_dr), Rel(U.T * A_dr, "=", S_dr * V_rr.T),
        Rel(T(Row(U.T * Atilde_t, i)), "=", Col(U * T(Atilde_t), i))), LINEAR, inline=True, indices={"i": d},
       corrected=(Rel(Sym("A*", Mat(d, rs)), ":=", U.T * A), Rel(U.T * A, "=", S_c * V_c.T),
                  Rel(T(Row(U.T * Atilde_t, i)), "=", Col(T(Atilde_t) * U, i))),
       correction=r"the rows of U^{T}\tilde{A}(t), i.e. the columns of \tilde{A}(t)^{T}U"),
]

# ---------------------------------------------------------------------------------------------
# Appendix A

z_q = Sym("z", vec(r))
q_zx = Sym("q(z|x)")


def elbo_terms(e=eps):
    return (-(1 / (2 * e ** 2)) * sq(x - Call(f, z)) - Num(d) * log(e) - sq(z) / 2
            + HALF * Inner(z - Call(g, x), Inv(D) * (z - Call(g, x))) + log(sqrt(Det(D))))


def lemma8_body(prior=r):
    return Expect(x, p_star, Expect(zp, Normal(Zero(), Eye(prior)), (1 / (2 * et ** 2)) * sq(
        x - At_ * (Bt * x + Dt ** sp.Rational(1, 2) * zp)) + sq(Bt * x) / 2))


def lemma8_expectation(prior):
    D_half = Dt ** sp.Rational(1, 2)
    return Chain(
        Expect(z, E_data, Expect(zp, Normal(Zero(), Eye(prior)), (1 / (2 * et ** 2)) * sq(
            A * z - At_ * (Bt * A * z + D_half * zp)) + sq(Bt * A * z) / 2)), "=",
        Expect(z, E_data, Expect(zp, Normal(Zero(), Eye(prior)), (1 / (2 * et ** 2)) * sq(
            (A - At_ * Bt * A) * z - At_ * D_half * zp) + sq(Bt * A * z) / 2)), "=",
        (1 / (2 * et ** 2)) * fro2(A - At_ * Bt * A) + (1 / (2 * et ** 2)) * fro2(At_ * D_half) + HALF * fro2(Bt * A))


M_mn = Sym("M", Mat(dim("m"), dim("n")))
z_n = Sym("z", vec(dim("n")))

APPENDIX_A = [
    _D("a_lemma7", "Lemma 7 (Appendix A, display)",
       r"L(f,g,D,\epsilon):=\mathbb{E}_{x\sim p^{*}}\mathbb{E}_{z^{\prime}\sim N(0,I_{r})}\Big[\ldots\Big]+d\log(\epsilon)"
       r"+\operatorname{Tr}(D)/2-\frac{1}{2}\sum_{i}\log D_{ii}\quad(=(3))",
       (Rel(Call(L, f, g, D, eps), ":=", loss3()),), GENERAL),
    _D("a_lemma7_densities", "Lemma 7, proof (Appendix A, display 1)",
       r"\log p(x|z)=-\frac{1}{2\epsilon^{2}}\|x-f(z)\|^{2}-d\log(\epsilon)+C_{1},\ \log p(z)=-\|z\|^{2}/2+C_{2},\ "
       r"\log q(z|x)=-\frac{1}{2}\langle z-g(x),D^{-1}(z-g(x)\rangle-\log\sqrt{\det D}+C_{3}",
       (Rel(Sym("log p(x|z)"), "=", -(1 / (2 * eps ** 2)) * sq(x - Call(f, z)) - Num(d) * log(eps) + Sym("C_1")),
        Rel(Sym("log p(z)"), "=", -(sq(z) / 2) + Sym("C_2")),
        Rel(Sym("log q(z|x)"), "=", -(HALF * Inner(z - Call(g, x), Inv(D) * (z - Call(g, x))))
            - log(sqrt(Det(D))) + Sym("C_3"))), GENERAL,
       note="the inner product's parenthesis (z - g(x) is not closed in the printed display (typography)."),
    _D("a_lemma7_det", "Lemma 7, proof (Appendix A, inline)",
       r"\log\sqrt{\det\epsilon^{2}I}=\log\sqrt{\epsilon^{2d}}=d\log(\epsilon)",
       (Chain(log(sqrt(Det(eps ** 2 * Eye()))), "=", log(sqrt(eps ** (2 * d))), "=", Num(d) * log(eps)),),
       GENERAL, inline=True, defines={"decoder covariance": eps ** 2 * Eye()}),
    _D("a_lemma7_elbo", "Lemma 7, proof (Appendix A, display 2)",
       r"\mathbb{E}_{x\sim p^{*}}\mathbb{E}_{z\sim q(z|x)}\left[\log p(x|z)+\log p(z)-\log q(z|x)\right]-C=\mathbb{E}_{x"
       r"\sim p^{*}}\mathbb{E}_{z\sim q(z|x)}\left[-\frac{1}{2\epsilon^{2}}\|x-f(z)\|^{2}-\ldots+\log\sqrt{\det D}\right]="
       r"\mathbb{E}_{x\sim p^{*}}\mathbb{E}_{z^{\prime}\sim N(0,I_{r})}\Big[-\frac{1}{2\epsilon^{2}}\|x-f(g(x)+D^{1/2}"
       r"z^{\prime})\|^{2}-d\log(\epsilon)-\|g(x)+D^{1/2}z^{\prime}\|^{2}/2+\frac{1}{2}\langle z^{\prime},z^{\prime}"
       r"\rangle+\log\sqrt{\det D}\Big]",
       (Chain(Expect(x, p_star, Expect(z, q_zx, Sym("log p(x|z)") + Sym("log p(z)") - Sym("log q(z|x)"))) - Sym("C"),
              "=", Expect(x, p_star, Expect(z, q_zx, elbo_terms())), "=",
              general_expectation(-(1 / (2 * eps ** 2)) * reconstruction() - Num(d) * log(eps)
                                  - sq(Call(g, x) + D ** sp.Rational(1, 2) * zp) / 2 + HALF * Inner(zp, zp)
                                  + log(sqrt(Det(D))))),), GENERAL),
    _D("a_lemma7_simplified", "Lemma 7, proof (Appendix A, display 3)",
       r"\mathbb{E}_{x\sim p^{*}}\mathbb{E}_{z^{\prime}\sim N(0,I_{r})}\Big[-\frac{1}{2\epsilon^{2}}\|x-f(g(x)+D^{1/2}z^"
       r"{\prime})\|^{2}-\|g(x)\|^{2}/2\Big]-d\log(\epsilon)-\operatorname{Tr}(D)/2+\frac{1}{2}\sum_{i}\log D_{ii}",
       (general_expectation(-(1 / (2 * eps ** 2)) * reconstruction() - sq(Call(g, x)) / 2) - Num(d) * log(eps)
        - Tr(D) / 2 + HALF * Sum(i, log(Dii(i, D))),), GENERAL),
    _D("eq8", "Lemma 8 (Appendix A), eq. (8)",
       r"L(\tilde{\Theta})=\frac{1}{2\tilde{\epsilon}^{2}}\|A-\tilde{A}\tilde{B}A\|_{F}^{2}+\frac{1}{2}\|\tilde{B}A\|_{F}"
       r"^{2}+d\log\tilde{\epsilon}+\frac{1}{2}\sum_{i}\left(\tilde{D}_{ii}\|\tilde{A}_{i}\|^{2}/\tilde{\epsilon}^{2}+"
       r"\tilde{D}_{ii}-\log\tilde{D}_{ii}\right)",
       (Rel(Call(L, Sym("Θ̃")), "=", linear_loss()),), LINEAR),
    _D("eq9_10", "Lemma 8, proof (Appendix A), eqs. (9)-(10)",
       r"L(\tilde{A},\tilde{B},\tilde{D},\tilde{\epsilon}):=\mathbb{E}_{x\sim p^{*}}\mathbb{E}_{z^{\prime}\sim N(0,I_"
       r"{\tilde{r}})}\Big[\frac{1}{2\tilde{\epsilon}^{2}}\|x-\tilde{A}(\tilde{B}x+\tilde{D}^{1/2}z^{\prime})\|^{2}+\|"
       r"\tilde{B}x\|^{2}/2\Big]+d\log(\tilde{\epsilon})+\operatorname{Tr}(\tilde{D})/2-\frac{1}{2}\sum_{i}\log\tilde{D}"
       r"_{ii}",
       (Rel(Call(L, *args_A), ":=", lemma8_body(r_tilde) + Num(d) * log(et) + Tr(Dt) / 2 - HALF * Sum(i, log(Dii(i)))),),
       LINEAR,
       corrected=(Rel(Call(L, *args_A), ":=", lemma8_body(r) + Num(d) * log(et) + Tr(Dt) / 2
                      - HALF * Sum(i, log(Dii(i)))),),
       correction=r"z^{\prime}\sim N(0,I_{r}) (r̃ is declared nowhere; the latent dimension is r)"),
    _D("a_lemma8_expectation", "Lemma 8, proof (Appendix A, display)",
       r"\mathbb{E}_{z\sim N(0,I)}\mathbb{E}_{z^{\prime}\sim N(0,I_{\tilde{r}})}\Big[\frac{1}{2\tilde{\epsilon}^{2}}\|Az-"
       r"\tilde{A}(\tilde{B}Az+\tilde{D}^{1/2}z^{\prime})\|^{2}+\|\tilde{B}Az\|^{2}/2\Big]=\ldots=\frac{1}{2\tilde"
       r"{\epsilon}^{2}}\|A-\tilde{A}\tilde{B}A\|_{F}^{2}+\frac{1}{2\tilde{\epsilon}^{2}}\|\tilde{A}\tilde{D}^{1/2}\|_{F}"
       r"^{2}+\frac{1}{2}\|\tilde{B}A\|_{F}^{2}",
       (lemma8_expectation(r_tilde),), LINEAR,
       corrected=(lemma8_expectation(r),),
       correction=r"z^{\prime}\sim N(0,I_{r}) in both expectations"),
    _D("a_lemma8_identity", "Lemma 8, proof (Appendix A, inline)",
       r"\mathbb{E}_{z\sim N(0,I)}\|Mz\|^{2}=\langle MM^{T},I\rangle=\|M\|_{F}^{2}",
       (Chain(Expect(z_n, Normal(Zero(), Eye()), sq(M_mn * z_n)), "=", Inner(M_mn * M_mn.T, Eye()), "=", fro2(M_mn)),),
       LINEAR.extend(LINEAR.name, {}, (dim("m"), dim("n"))), inline=True),
    _D("a_lemma8_columns", "Lemma 8, proof (Appendix A, display)",
       r"\|\tilde{A}\tilde{D}^{1/2}\|_{F}^{2}=\sum_{i}\tilde{D}_{ii}\|\tilde{A}_{i}\|^{2}",
       (Rel(fro2(At_ * Dt ** sp.Rational(1, 2)), "=", Sum(i, Dii(i) * sq(Col(At_, i)))),), LINEAR),
]

# ---------------------------------------------------------------------------------------------
# Appendix B.1 (general notation)

APPENDIX_B = [
    _D("b_lemma1_nonneg", "Lemma 1, proof (Appendix B.1, display 1)",
       r"\mathbb{E}_{x\sim p^{*}}\mathbb{E}_{z^{\prime}\sim N(0,I_{r})}\Big[\frac{1}{2\epsilon^{2}}\|x-f(g(x)+D^{1/2}z^"
       r"{\prime})\|^{2}+\|g(x)\|^{2}/2\Big]\geq 0",
       (Rel(general_expectation((1 / (2 * eps ** 2)) * reconstruction() + sq(Call(g, x)) / 2), "≥", 0),), GENERAL),
    _D("b_lemma1_trace", "Lemma 1, proof (Appendix B.1, display 2)",
       r"\operatorname{Tr}(D)/2-\frac{1}{2}\sum_{i}\log D_{ii}=\frac{1}{2}\sum_{i}\left(D_{ii}-\log D_{ii}\right)\geq r/2",
       (Chain(Tr(D) / 2 - HALF * Sum(i, log(Dii(i, D))), "=", HALF * Sum(i, Dii(i, D) - log(Dii(i, D))), "≥",
              Num(r) / 2),), GENERAL),
    _D("b_lemma1_bound", "Lemma 1, proof (Appendix B.1, inline)",
       r"c/\epsilon^{2}+d\log(\epsilon)+r/2",
       (Rel(Call(L, f_t, g_t, D_t, eps_t), "≥", c / eps ** 2 + Num(d) * log(eps) + Num(r) / 2),), GENERAL, inline=True),
    _D("b_lemma2", "Lemma 2, proof (Appendix B.1, display)",
       r"0=-\frac{1}{\epsilon^{3}}\mathbb{E}_{x\sim p^{*}}\mathbb{E}_{z^{\prime}\sim N(0,I_{r})}\|x-f(g(x)+D^{1/2}z^{"
       r"\prime})\|^{2}+\frac{d}{\epsilon}",
       (Rel(Num(0), "=", -(1 / eps ** 3) * general_expectation(reconstruction()) + Num(d) / eps),), GENERAL),
]

# ---------------------------------------------------------------------------------------------
# Appendix C (linear notation)

U_inv = Inv(U)

APPENDIX_C = [
    _D("c_lemma4_loss", "Lemma 4, proof (Appendix C, display 1)",
       r"L_{UA}(U\tilde{A},\tilde{B}U^{T},\tilde{D},\tilde{\epsilon})=\frac{1}{2\tilde{\epsilon}^{2}}\|UA-U\tilde{A}\tilde"
       r"{B}U^{-1}UA\|_{F}^{2}+\frac{1}{2}\|\tilde{B}U^{-1}UA\|_{F}^{2}+d\log\tilde{\epsilon}+\frac{1}{2}\sum_{i}\left("
       r"\tilde{D}_{ii}\|U\tilde{A}_{i}\|^{2}/\tilde{\epsilon}^{2}+\tilde{D}_{ii}-\log\tilde{D}_{ii}\right)=\ldots=L_{A}("
       r"\tilde{A},\tilde{B},\tilde{D},\tilde{\epsilon})",
       (Chain(Call(L_UA, *args_UA), "=",
              (1 / (2 * et ** 2)) * fro2(U * A - U * At_ * Bt * U_inv * U * A) + HALF * fro2(Bt * U_inv * U * A)
              + Num(d) * log(et) + HALF * Sum(i, Dii(i) * sq(U * Col(At_, i)) / et ** 2 + Dii(i) - log(Dii(i))),
              "=", linear_loss(), "=", Call(L_A, *args_A)),), LINEAR),
    _D("c_lemma4_grad_A", "Lemma 4, proof (Appendix C, display 2)",
       r"\nabla_{\tilde{A}}L_{A}(\tilde{A},\tilde{B},\tilde{D},\tilde{\epsilon})=\nabla_{\tilde{A}}L_{UA}(U\tilde{A},"
       r"\tilde{B}U^{T},\tilde{D},\tilde{\epsilon})=U^{T}\left(\nabla_{U\tilde{A}}L_{UA}(U\tilde{A},\tilde{B}U^{-1},"
       r"\tilde{D},\tilde{\epsilon})\right)",
       (Chain(Grad(Call(L_A, *args_A), At_), "=", Grad(Call(L_UA, *args_UA), At_), "=",
              U.T * Grad(Call(L_UA, U * At_, Bt * U_inv, Dt, et), U * At_)),), LINEAR),
    _D("c_lemma4_grad_B", "Lemma 4, proof (Appendix C, display 3)",
       r"\nabla_{\tilde{B}}L_{A}(\tilde{A},\tilde{B},\tilde{D},\tilde{\epsilon})=\nabla_{\tilde{B}}L_{UA}(U\tilde{A},"
       r"\tilde{B}U^{T},\tilde{D},\tilde{\epsilon})=(\nabla_{\tilde{B}U^{T}}L_{UA}(U\tilde{A},\tilde{B}U^{T},\tilde{D},"
       r"\tilde{\epsilon}))U",
       (Chain(Grad(Call(L_A, *args_A), Bt), "=", Grad(Call(L_UA, *args_UA), Bt), "=",
              Grad(Call(L_UA, *args_UA), Bt * U.T) * U),), LINEAR),
]

#: every transcribed display, in paper order
DISPLAYS = tuple(SECTION_2 + SECTION_3 + SECTION_4 + SECTION_41 + SECTION_42 + SECTION_5 + APPENDIX_A + APPENDIX_B
                 + APPENDIX_C)



def readings_of_7() -> list:
    """The middle term of (7) under each reading of A's shape and of W: (reading, problems).

    Only ``A ∈ R^{d×r*}``, W = column span, ``||P_{W⊥} Ã||_F²`` is typed for every d, r, r*."""
    A_rs = Sym("A")
    readings = [
        ("A: d×r (Theorem 5), W = row span, ||P_{W⊥}Ãᵀ||²", A_dr, RowSpan, True),
        ("A ∈ R^{d×r*} (Section 4.1), W = row span, ||P_{W⊥}Ãᵀ||²", A_rs, RowSpan, True),
        ("A ∈ R^{d×r*}, W = column span, ||P_{W⊥}Ãᵀ||²", A_rs, ColSpan, True),
        ("A ∈ R^{d×r*}, W = column span, ||P_{W⊥}Ã||²", A_rs, ColSpan, False),
    ]
    out = []
    for label, data, span, transposed in readings:
        P = Named("P_{W⊥}", Proj(Perp(Named("W", span(data)))))
        middle = fro2(P * (T(Atilde_t) if transposed else Atilde_t))
        out.append((label, analyse([flow_1(data), Rel(tail_mass(), "≤", middle)], LINEAR).problems))
    return out


# ---------------------------------------------------------------------------------------------
# checking


def definition_problems(displays=DISPLAYS, corrected: bool = False) -> dict:
    """Problems of notation consistency across displays: an object defined by several displays
    (``defines``) must be written the same way (in the general names: ε̃ -> ε, D̃ -> D); the
    displays that differ from the form most displays use get a problem.  ``corrected``: compare
    the corrected definitions of each display with the printed forms of the others."""
    printed = {dsp.key: dsp.definitions(False) for dsp in displays}
    out = {}
    keys = {k for defs in printed.values() for k in defs}
    for key in sorted(keys):
        forms = Counter(defs[key] for defs in printed.values() if key in defs)
        usual, count = forms.most_common(1)[0]
        for dsp in displays:
            mine = dsp.definitions(corrected).get(key)
            if mine is not None and mine != usual:
                where = [o.where for o in displays if printed[o.key].get(key) == usual]
                out.setdefault(dsp.key, []).append(Problem(
                    "notation", mine, f"the {key} is written {mine} here but {usual} in {count} other displays "
                                      f"({'; '.join(where)})"))
    return out


@dataclass(frozen=True)
class DisplayResult:
    display: Display
    problems: tuple
    notes: tuple
    corrected_problems: Optional[tuple]


def check_displays(displays=DISPLAYS) -> list:
    """Type-check every display (and the corrected typing of each that fails)."""
    printed_defs = definition_problems(displays)
    corrected_defs = definition_problems(displays, corrected=True)
    out = []
    for dsp in displays:
        a = dsp.analyse()
        problems = tuple(a.problems) + tuple(printed_defs.get(dsp.key, ()))
        corrected = None
        if dsp.corrected:
            c = dsp.analyse(corrected=True)
            corrected = tuple(c.problems) + tuple(corrected_defs.get(dsp.key, ()))
        out.append(DisplayResult(dsp, problems, tuple(a.notes), corrected))
    return out


METHOD = ("symbolic type check (verify.shapes): every product, sum, relation and call typed with d, r, r*, s "
          "free positive-integer symbols; index ranges proved from the hypotheses; symbols looked up in the "
          "section's notation")


def _scope(dsp: Display) -> str:
    hyp = ", ".join(f"{a} >= {b}" for a, b in dsp.assumptions)
    return "every d, r, r* >= 1" + (f" with {hyp}" if hyp else "")


def _details(dsp: Display, formulas, notes=()) -> str:
    typed = "; ".join(f.text() for f in formulas)
    extra = " ".join(n for n in (dsp.note, *notes) if n)
    return f"printed: {dsp.printed} | typed ({dsp.notation.name}): {typed}" + (f" | notes: {extra}" if extra else "")


def display_checks(results) -> tuple:
    """(evidence, errata) from the results of :func:`check_displays`."""
    evidence, errata = [], []
    for res in results:
        dsp = res.display
        check = Check(f"{dsp.where}", Status.FAILED if res.problems else Status.PROVED, METHOD, _scope(dsp),
                      witness="; ".join(str(p) for p in res.problems) or None,
                      details=_details(dsp, dsp.formulas, res.notes))
        evidence.append(Evidence(Role.STATEMENT, check, scope=_scope(dsp), coverage=Coverage.ALL))
        if res.problems:
            fix = None
            if res.corrected_problems is not None:
                fix = Check(f"{dsp.where} (corrected)", Status.FAILED if res.corrected_problems else Status.PROVED,
                            METHOD, _scope(dsp), witness="; ".join(str(p) for p in res.corrected_problems) or None,
                            details=_details(dsp, dsp.corrected))
                evidence.append(Evidence(Role.CORRECTION, fix, scope=_scope(dsp), coverage=Coverage.ALL))
            errata.append(erratum_from(dsp.where, dsp.printed, check, dsp.correction or "(no correction transcribed)",
                                       fix))
    return evidence, errata


@PAPER.proof("displays")
def check() -> ProofReport:
    results = check_displays()
    evidence, errata = display_checks(results)
    failed = [r for r in results if r.problems]
    kinds = Counter(p.kind for r in failed for p in r.problems)
    n_inline = sum(r.display.inline for r in results)
    summary = (f"{len(results)} formulas type-checked ({len(results) - n_inline} displays and numbered equations, "
               f"{n_inline} inline statements and definitions) in Sections 2-5 and Appendices A-C, with d, r, r*, s "
               f"symbolic: {len(results) - len(failed)} well typed, {len(failed)} with type errors "
               f"({', '.join(f'{n} {k}' for k, n in kinds.most_common())} problems); each failing one has a "
               f"corrected typing, and {sum(1 for r in failed if r.corrected_problems == ())} of them type-check.")
    table = ["| where | problems | corrected typing |", "|---|---|---|"]
    for r in failed:
        cells = (r.display.where, "; ".join(p.message for p in r.problems), r.display.correction)
        table.append("| " + " | ".join(c.replace("\\|", "|").replace("|", "\\|") for c in cells) + " |")
    notes = ["Type errors found (the printed formula, what the checker reports, and the typing that checks):\n\n"
             + "\n".join(table)]
    notes.append("The middle term of (7) under each reading (the checker's verdict on each):\n\n" + "\n".join(
        f"- {label}: " + ("well typed" if not problems else "; ".join(p.message for p in problems))
        for label, problems in readings_of_7()))
    overloaded = sorted({n for r in results for n in r.notes} | {r.display.note for r in results if r.display.note})
    if overloaded:
        notes.append("Notes (not errors: overloaded names the text re-declares, typography):\n\n"
                     + "\n".join(f"- {n}" for n in overloaded))
    return ProofReport(evidence=evidence, summary=summary, errata=[e for e in errata if e is not None], notes=notes)
