"""vae-verify: machine checks of the statements of papers on variational autoencoders.

The engine (this package) knows no particular paper: papers are plug-ins (:mod:`verify.paper`)
that register their statements, proofs and experiments.
"""
from ._errors import VerifyError
from .claims import (Check, ClaimResult, Coverage, Evidence, Figure, Finding, FindingKind, ProofReport, Role,
                     Statement, Verdict, erratum_from)
from .derivation import Derivation, Domain, Erratum, Relation
from .outcome import Status
from .paper import Experiment, Option, Paper, registry

__all__ = [
    "Check",
    "ClaimResult",
    "Coverage",
    "Derivation",
    "Domain",
    "Erratum",
    "Evidence",
    "Experiment",
    "Figure",
    "Finding",
    "FindingKind",
    "Option",
    "Paper",
    "ProofReport",
    "Relation",
    "Role",
    "Statement",
    "Status",
    "Verdict",
    "VerifyError",
    "erratum_from",
    "registry",
]
__version__ = "0.2.0"
