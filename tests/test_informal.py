"""The informal claims (Theorems 1-2 of the introduction, the abstract, the conclusions): every one
maps each clause to a formal result, and its verdict is derived, never written."""
from __future__ import annotations

import dataclasses

import pytest

from proofs.koehler2022 import PAPER
from verify import VerifyError
from verify.graph import build_graph
from verify.paper import Informal


@pytest.fixture(scope="module")
def paper():
    return PAPER.load()


def test_every_informal_claim_names_formal_premises_and_what_it_leaves_out(paper):
    ids = {"theorem1", "theorem2", "abstract_linear", "abstract_nonlinear"}
    assert ids <= set(paper.informal)
    assert any(k.startswith("conclusion_") for k in paper.informal)
    known = {s.id for s in paper.statements} | set(paper.informal)
    for c in paper.informal.values():
        assert c.clauses and c.leaves_out and c.printed
        assert all(p in known for _, p in c.clauses), c.id
        assert not hasattr(c, "verdict")  # a verdict is never written on an informal claim


def test_theorem2_is_the_informal_theorem5_and_says_what_it_gets_wrong(paper):
    c = paper.informal["theorem2"]
    assert [p for _, p in c.clauses] == ["theorem5"]
    assert "row" in c.leaves_out and "column span" in c.leaves_out


def test_the_real_verdicts_flow_to_the_informal_claims(paper):
    """With theorem5 as the report finds it (holds_as_corrected), theorem2 and the conclusion that
    rests on it hold only as corrected."""
    g = build_graph(paper, {s.id: "verified_numerically" for s in paper.statements} | {"theorem5": "holds_as_corrected"})
    assert g.nodes["theorem2"]["verdict"] == "holds_as_corrected"
    assert g.nodes["theorem1"]["verdict"] == "verified_numerically"
    assert g.nodes["conclusion_linear"]["verdict"] == "holds_as_corrected"
    assert g.nodes["conclusion_linear"]["reason"] == "rests on theorem2, which holds only as corrected"


def test_an_informal_id_cannot_shadow_a_statement(paper):
    with pytest.raises(VerifyError, match="already has"):
        paper.informal_claim(Informal("lemma5", "x", "Intro", "x", (("x", "lemma5"),)))
    changed = dataclasses.replace(paper.informal["theorem1"], leaves_out="nothing")
    with pytest.raises(VerifyError, match="already has"):
        paper.informal_claim(changed)
