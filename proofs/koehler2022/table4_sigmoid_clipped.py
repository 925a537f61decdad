"""Table 4 (see :mod:`proofs.koehler2022.nonlinear` for the setup, the readings and the checks).

Printed claim: "The VAE training yields encoder variances with number of 0 entries equal to the
intrinsic dimension."
Checked on every run of the reproduction (the default report runs :data:`~.nonlinear.REDUCED`;
``build("table4", PAPER_SCALE("table4"))`` is the paper's scale).
"""
from __future__ import annotations

from proofs.koehler2022 import PAPER
from proofs.koehler2022.table_runs import nonlinear_report
from verify.claims import ProofReport


@PAPER.proof("table4")
def check() -> ProofReport:
    """The checks of :func:`~.nonlinear.build`, with every run's provenance (parameters, seed, cache key, command)."""
    return nonlinear_report("table4")

