"""Figures of Table 1 (Section 6): row norms of Ã and entries of D̃ per setting, and the eigenvalue example."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from verify.figures import png_bytes as _png

from . import thresholds as th

__all__ = ["table1_figure", "eigenvalue_figure"]


def table1_figure(runs: list, title: str) -> bytes:
    """Per setting of Table 1: the sorted row norms of Ã and the sorted entries of D̃, every seed,
    with the thresholds that count nonzero rows and zeros (``runs`` as from :mod:`.table1`)."""
    settings = list(dict.fromkeys((r["r_star"], r["d"]) for r in runs))
    fig, axes = plt.subplots(2, len(settings), figsize=(2.3 * len(settings) + 1, 5.6), squeeze=False, sharey="row")
    for col, (rs, d) in enumerate(settings):
        for run in (r for r in runs if (r["r_star"], r["d"]) == (rs, d)):
            rows = np.sort(run["row_norms"])[::-1]
            D = np.sort(run["D"])
            axes[0, col].semilogy(np.arange(1, len(rows) + 1), np.maximum(rows, 1e-12), ".-", lw=0.8,
                                  label=f"seed {run['seed']}")
            axes[1, col].semilogy(np.arange(1, len(D) + 1), D, ".-", lw=0.8)
        axes[0, col].axhline(th.TABLE1_ROW_NONZERO, color="k", ls=":", lw=1)
        axes[0, col].axvline(rs + 0.5, color="r", ls="--", lw=0.8)
        axes[1, col].axhline(th.TABLE1_ZERO_VARIANCE, color="k", ls=":", lw=1)
        axes[1, col].axvline(rs + 0.5, color="r", ls="--", lw=0.8)
        axes[0, col].set_title(f"r*={rs}, d={d}", fontsize=9)
        axes[1, col].set_xlabel("index (sorted)", fontsize=8)
    axes[0, 0].set_ylabel(r"row norms $\|\tilde A^{(i)}\|$")
    axes[1, 0].set_ylabel(r"encoder variances $\tilde D_{ii}$")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(title + "  (dotted: thresholds; dashed red: r*)", fontsize=10)
    # fixed margins: tight_layout drew all 14 log-scale panels once more (about a third of the figure's time)
    fig.subplots_adjust(left=0.07, right=0.99, bottom=0.09, top=0.9, wspace=0.08, hspace=0.22)
    return _png(fig)


def eigenvalue_figure(run: dict, paper: tuple) -> bytes:
    """The eigenvalues of AAᵀ and of the generator's covariance for one run, beside the paper's example."""
    k = run["r_star"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    for ax, (lam, lam_hat, label) in zip(axes, ((paper[0], paper[1], "paper's example (r*=6)"),
                                                 (run["lambda"][:k][::-1], run["lambda_hat"][:k][::-1],
                                                  f"ours: r*={k}, d={run['d']}, seed {run['seed']}"))):
        x = np.arange(1, len(lam) + 1)
        ax.bar(x - 0.2, lam, width=0.4, label=r"$\lambda$ (data, $AA^T$)")
        ax.bar(x + 0.2, lam_hat, width=0.4, label=r"$\hat\lambda$ (learned generator)")
        ax.set_yscale("log")
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("eigenvalue (ascending)")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return _png(fig)
