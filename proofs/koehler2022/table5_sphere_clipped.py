"""Table 5 (see :mod:`proofs.koehler2022.nonlinear` for the setup, the readings and the checks).

Printed claim: "In fact, the model consistently recovers one more dimension than the true intrinsic
dimension of the manifold."
Checked on every run of the reproduction (the default report runs :data:`~.nonlinear.REDUCED`;
``build("table5", PAPER_SCALE("table5"))`` is the paper's scale).
"""
from __future__ import annotations

from proofs.koehler2022 import PAPER
from proofs.koehler2022.table_runs import nonlinear_report
from verify.claims import ProofReport


@PAPER.proof("table5")
def check() -> ProofReport:
    """The checks of :func:`~.nonlinear.build`, with every run's provenance (parameters, seed, cache key, command)."""
    return nonlinear_report("table5")

