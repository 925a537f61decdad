"""The papers vae-verify checks, one package each (``proofs/koehler2022/``, ...).

Each package makes a :class:`verify.Paper` named ``PAPER`` and is announced to vae-verify by an
entry point in the group ``vae_verify.papers`` (``setup.cfg``).
"""
