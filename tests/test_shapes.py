"""The typed expression language of verify.shapes: it accepts well-formed formulas and rejects each
kind of ill-formed one (a mistyped product, a wrong arity or argument, an index out of range, a
rebound index, an undeclared symbol or dimension), with the condition under which it would be
well formed."""
import pytest

from verify import VerifyError
from verify.shapes import (SCALAR, Call, Chain, Col, ColSpan, Count, DiagEntry, Entry, Eye, Fn, Fun, Grad, Idx,
                           Indexed, Mat, Norm, Notation, Num, Padded, Partial, Perp, Proj, Rel, Row, RowSpan, Sample,
                           Normal, Sum, Sym, T, Zero, analyse, at_least, dim, transpose_mutants, typecheck, vec)

d, r, rs, s = dim("d"), dim("r"), dim("r*"), dim("s")
PARAMS = (("Ã", Mat(d, r)), ("B̃", Mat(r, d)), ("D̃", Mat(r, r)), ("ε̃", SCALAR))
N = Notation("test notation", {
    "A": Mat(d, rs), "Ã": Mat(d, r), "B̃": Mat(r, d), "D̃": Mat(r, r), "ε̃": SCALAR, "U": Mat(d, d),
    "x": vec(d), "L": Fn(PARAMS, SCALAR, ("A", Mat(d, rs)))}, frozenset({d, r, rs}))
A, At, Bt, Dt, e, U, x, L = (Sym(n) for n in ("A", "Ã", "B̃", "D̃", "ε̃", "U", "x", "L"))
i, j, k = Idx("i"), Idx("j"), Idx("k")


def kinds(problems):
    return sorted({p.kind for p in problems})


def loss4():
    return (1 / (2 * e ** 2)) * Norm(A - At * Bt * A, "F") ** 2 + Num(1) / 2 * Norm(Bt * A, "F") ** 2 + Num(
        d) * Fun("log", e) + Num(1) / 2 * Sum(i, DiagEntry(Dt, i) * Norm(Col(At, i)) ** 2 / e ** 2 + DiagEntry(
            Dt, i) - Fun("log", DiagEntry(Dt, i)))


def test_a_correct_formula_passes():
    a = analyse(Rel(Call(L, At, Bt, Dt, e), "=", loss4()), N)
    assert a.ok and a.problems == ()


def test_mistyped_product_is_rejected_with_its_condition():
    problems = typecheck(At * Bt.T, N)  # (d x r)(d x r)
    assert kinds(problems) == ["shape"] and "well formed only if r = d" in problems[0].message
    assert typecheck(At * Bt * A, N) == []


def test_a_product_that_is_never_well_formed():
    X = Sym("X", Mat(d, d + 1))
    problems = typecheck(X * X, N)
    assert kinds(problems) == ["shape"] and "never well formed" in problems[0].message


def test_sum_of_different_shapes_and_transpose():
    assert kinds(typecheck(A - At * Bt * A.T, N)) == ["shape"]
    assert typecheck(A.T * A - T(A) * A, N) == []
    assert kinds(typecheck(T(Sym("L")), N)) == ["shape"]  # the transpose of a function


def test_wrong_arity_and_wrong_argument_types():
    arity = typecheck(Call(L, At, Bt, e), N)
    assert kinds(arity) == ["arity"] and "takes 4 arguments, called with 3" in arity[0].message
    swapped = typecheck(Call(L, At, Bt, e, Dt), N)  # L(Ã, B̃, ε̃, D̃)
    assert kinds(swapped) == ["argument"] and len(swapped) == 2
    assert "only if" in swapped[0].message


def test_family_subscript_and_gradient_slot():
    assert typecheck(Call(Indexed(L, U * A), U * At, Bt * U.T, Dt, e), N) == []
    assert kinds(typecheck(Indexed(L, At), N)) == ["argument"]  # L_Ã: the subscript is d x r*
    good = Grad(Call(Indexed(L, U * A), U * At, Bt * U.T, Dt, e), Bt * U.T)
    bad = Grad(Call(Indexed(L, U * A), U * At, Bt * U.T, Dt, e), U * Bt)
    assert typecheck(good, N) == []
    assert kinds(typecheck(bad, N)) == ["argument", "shape"]


def test_index_out_of_range():
    assert kinds(typecheck(Sum(i, Norm(Row(At, i)) ** 2, hi=r), N)) == ["index"]  # rows of Ã run to d
    assert typecheck(Sum(i, Norm(Row(At, i)) ** 2, hi=d), N) == []
    assert kinds(typecheck(Row(At, d + 1), N)) == ["index"]
    problems = typecheck(Entry(At, i, j), N, indices={"i": d, "j": d})
    assert kinds(problems) == ["index"] and "j runs over 1..d" in problems[0].message


def test_an_index_used_with_two_ranges():
    problems = typecheck(Sum(i, DiagEntry(Dt, i) * Norm(Row(At, i)) ** 2), N)
    assert kinds(problems) == ["index"] and "well formed only if r = d" in problems[0].message


def test_rebinding_a_free_or_bound_index():
    inner = Sum(i, DiagEntry(Dt, j) * Norm(Col(At, j)) ** 2)  # Σ_i of a summand in j
    problems = typecheck(Partial(inner, Entry(At, i, j)), N)
    assert kinds(problems) == ["binding", "index"]
    nested = Sum(j, Entry(At, i, j) * Sum(j, DiagEntry(Dt, j)))
    assert "binding" in kinds(typecheck(nested, N, indices={"i": d}))
    fixed = Partial(Sum(k, DiagEntry(Dt, k) * Norm(Col(At, k)) ** 2), Entry(At, i, j))
    assert typecheck(fixed, N) == []
    assert typecheck(Count(i, Rel(Col(At, i), "=", Zero())), N) == []


def test_inconsistent_notation():
    problems = typecheck(At * At.T + Sym("ε") ** 2 * Eye(), N)
    assert kinds(problems) == ["notation"] and "declares ε̃" in problems[0].message
    undeclared_dim = typecheck(Sample(Sym("z'", vec(r)), Normal(Zero(), Eye(dim("r̃")))), N)
    assert "notation" in kinds(undeclared_dim)
    # a local re-declaration is a note, not an error
    a = analyse(Sym("A", Mat(d, r)) * Sym("z", vec(r)), N)
    assert a.ok and any("declared here as d×r" in n for n in a.notes)


def test_assumptions_decide_index_ranges():
    hyp = (at_least(d, rs + s + 1), at_least(r, rs + 2))
    assert typecheck(Rel(Bt, "=", Padded(rs + 1)), N, assumptions=hyp) == []
    assert kinds(typecheck(Rel(Bt, "=", Padded(rs + 1)), N)) == ["index"]  # r* + 1 <= r not known
    assert kinds(typecheck(Rel(At, "=", Padded(rs + s)), N.extend("t", {}, (s,)), assumptions=hyp)) == ["index"]
    both = hyp + (at_least(r, rs + s),)  # two lower bounds for r: each is used
    assert typecheck(Rel(At, "=", Padded(rs + s)), N.extend("t", {}, (s,)), assumptions=both) == []
    assert typecheck(Rel(Bt, "=", Padded(rs + 1)), N, assumptions=both) == []


def test_projections_and_spans():
    P_rows, P_cols = Proj(Perp(RowSpan(A))), Proj(Perp(ColSpan(A)))
    assert typecheck(P_cols * At, N) == []
    assert "only if r* = r" in typecheck(P_rows * At.T, N)[0].message
    assert "only if d = r" in typecheck(P_cols * At.T, N)[0].message


def test_every_transpose_mutant_of_a_correct_formula_is_caught():
    formula = Rel(Call(L, At, Bt, Dt, e), "=", loss4())
    mutants = list(transpose_mutants(formula, N))
    assert len(mutants) == 9  # 3 occurrences each of A, Ã, B̃ (D̃ is square, ε̃ a scalar)
    for desc, mutant in mutants:
        assert typecheck(mutant, N), f"mutant not caught: {desc}"


def test_chain_and_relations_are_typed_pairwise():
    assert typecheck(Chain(Norm(x) ** 2, "≤", Num(1), "=", Norm(At, "F") ** 2), N) == []
    assert kinds(typecheck(Chain(Norm(x), "≤", x), N)) == ["shape"]  # an inequality between a scalar and a vector


def test_bad_input_raises_verify_error():
    with pytest.raises(VerifyError):
        Rel(x, "~~", x)
    with pytest.raises(VerifyError):
        at_least(d + 1, r)
    with pytest.raises(VerifyError):
        typecheck("A B", N)
    with pytest.raises(VerifyError):
        Sym("")
