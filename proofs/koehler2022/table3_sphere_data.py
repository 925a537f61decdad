"""Table 3 (see :mod:`proofs.koehler2022.nonlinear` for the setup, the readings and the checks).

Printed claim: "The VAE training on this dataset has consistently yielded encoder variances with
number of 0 entries greater than the number of intrinsic dimension."
Checked on every run of the reproduction (the default report runs :data:`~.nonlinear.REDUCED`;
``build("table3", PAPER_SCALE("table3"))`` is the paper's scale).
"""
from __future__ import annotations

from proofs.koehler2022 import PAPER
from proofs.koehler2022.table_runs import nonlinear_report
from verify.claims import ProofReport


@PAPER.proof("table3")
def check() -> ProofReport:
    """The checks of :func:`~.nonlinear.build`, with every run's provenance (parameters, seed, cache key, command)."""
    return nonlinear_report("table3")

