"""Table 2 (see :mod:`proofs.koehler2022.nonlinear` for the setup, the readings and the checks).

Printed claim: "The VAE training consistently yields encoder variances with number of 0 entries
greater than or equal to the intrinsic dimension."
Checked on every run of the reproduction (the default report runs :data:`~.nonlinear.REDUCED`;
``build("table2", PAPER_SCALE("table2"))`` is the paper's scale).
"""
from __future__ import annotations

from proofs.koehler2022 import PAPER
from proofs.koehler2022.table_runs import nonlinear_report
from verify.claims import ProofReport


@PAPER.proof("table2")
def check() -> ProofReport:
    """The checks of :func:`~.nonlinear.build`, with every run's provenance (parameters, seed, cache key, command)."""
    return nonlinear_report("table2")

