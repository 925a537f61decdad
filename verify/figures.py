"""Figures of gradient-flow runs (matplotlib, Agg backend, returned as PNG bytes)."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .numeric import FlowResult, tail_singular_mass  # noqa: E402

__all__ = ["flow_figure", "table1_figure", "eigenvalue_figure"]


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def flow_figure(runs: dict, title: str) -> bytes:
    """Three panels per run: σ_k²(Ã(t)) with the tail mass, ||P_W⊥Ã||² and the bound of (7);
    ε(t); the loss.  ``runs`` maps a label to a FlowResult."""
    fig, axes = plt.subplots(len(runs), 3, figsize=(13, 3.4 * len(runs)), squeeze=False)
    for row, (label, res) in zip(axes, runs.items()):
        res: FlowResult
        t = res.t
        ax = row[0]
        for k in range(res.singular_values.shape[1]):
            ax.semilogy(t, np.maximum(res.singular_values[:, k] ** 2, 1e-300), color="0.75", lw=0.8)
        ax.semilogy(t, np.maximum(tail_singular_mass(res), 1e-300), lw=2, label=r"$\sum_{k>\dim W}\sigma_k^2(\tilde A)$")
        ax.semilogy(t, np.maximum(res.mass_outside, 1e-300), "--", lw=1.5, label=r"$\|P_{W^\perp}\tilde A\|_F^2$")
        ax.semilogy(t, np.exp(-t / res.K) * res.mass_outside[0], "k:", lw=1.5, label=r"bound $e^{-t/K}\|P_{W^\perp}\tilde A(0)\|^2$")
        ax.set_ylim(bottom=max(1e-20, np.min(res.mass_outside[res.mass_outside > 0], initial=1e-20) / 10))
        ax.set_title(f"{label}: singular values² (grey) and (7)")
        ax.set_xlabel("t")
        ax.legend(fontsize=7)
        row[1].semilogy(t, res.eps)
        row[1].set_title(r"$\tilde\varepsilon(t)$ -- " + res.stop.name.lower().replace("_", " "))
        row[1].set_xlabel("t")
        row[2].plot(t, res.loss_values)
        row[2].set_title(f"{res.loss}(t)")
        row[2].set_xlabel("t")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return _png(fig)


def table1_figure(runs: list, title: str) -> bytes:
    """Per setting of Table 1: the sorted row norms of Ã and the sorted entries of D̃, every seed,
    with the thresholds that count nonzero rows and zeros (``runs`` as from ``verify.table1``)."""
    from . import tolerances as tol

    settings = list(dict.fromkeys((r["r_star"], r["d"]) for r in runs))
    fig, axes = plt.subplots(2, len(settings), figsize=(2.3 * len(settings) + 1, 5.6), squeeze=False, sharey="row")
    for col, (rs, d) in enumerate(settings):
        for run in (r for r in runs if (r["r_star"], r["d"]) == (rs, d)):
            rows = np.sort(run["row_norms"])[::-1]
            D = np.sort(run["D"])
            axes[0, col].semilogy(np.arange(1, len(rows) + 1), np.maximum(rows, 1e-12), ".-", lw=0.8,
                                  label=f"seed {run['seed']}")
            axes[1, col].semilogy(np.arange(1, len(D) + 1), D, ".-", lw=0.8)
        axes[0, col].axhline(tol.TABLE1_ROW_NONZERO, color="k", ls=":", lw=1)
        axes[0, col].axvline(rs + 0.5, color="r", ls="--", lw=0.8)
        axes[1, col].axhline(tol.TABLE1_ZERO_VARIANCE, color="k", ls=":", lw=1)
        axes[1, col].axvline(rs + 0.5, color="r", ls="--", lw=0.8)
        axes[0, col].set_title(f"r*={rs}, d={d}", fontsize=9)
        axes[1, col].set_xlabel("index (sorted)", fontsize=8)
    axes[0, 0].set_ylabel(r"row norms $\|\tilde A^{(i)}\|$")
    axes[1, 0].set_ylabel(r"encoder variances $\tilde D_{ii}$")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(title + "  (dotted: thresholds; dashed red: r*)", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
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
