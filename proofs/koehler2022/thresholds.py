"""The thresholds of the experiments of Section 6, each with the reason for its size.

They belong to this paper (the engine's tolerances are in :mod:`verify.tolerances`).
"""
from __future__ import annotations

__all__ = ["TABLE1_ZERO_VARIANCE", "TABLE1_ROW_NONZERO", "TABLE1_CLEARANCE", "TABLE1_EIG_CLOSE"]

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
