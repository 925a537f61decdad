"""Figures of gradient-flow runs (matplotlib, Agg backend, returned as PNG bytes)."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .numeric import FlowResult, tail_singular_mass  # noqa: E402

__all__ = ["flow_figure", "png_bytes"]


def png_bytes(fig) -> bytes:
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
    return png_bytes(fig)
