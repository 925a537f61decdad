"""vae-verify: machine checks of Koehler, Mehta, Zhou, Risteski, "Variational autoencoders in the
presence of low-dimensional data: landscape and implicit bias"."""
from ._errors import VerifyError
from .claims import Check, ClaimResult, Evidence, Figure, Statement, Verdict
from .derivation import Derivation, Domain, Erratum, Relation, Status

__all__ = [
    "Check",
    "ClaimResult",
    "Derivation",
    "Domain",
    "Erratum",
    "Evidence",
    "Figure",
    "Relation",
    "Statement",
    "Status",
    "Verdict",
    "VerifyError",
]
__version__ = "0.1.0"
