"""Pictures of what rnncheck measures (matplotlib, the `plot` extra), each written atomically as a PNG."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from rnncheck.files import atomic_write

NEEDS_MATPLOTLIB = 'plotting needs matplotlib: pip install "rnncheck[plot]"'


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display), or a ValueError saying how to install it."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ValueError(NEEDS_MATPLOTLIB) from None
    return plt


def save_png(figure, path: str | os.PathLike) -> Path:
    """Write `figure` to `path` as a PNG, whole or not at all, and close it."""
    try:
        return atomic_write(path, lambda temporary: figure.savefig(temporary, format="png", dpi=100))
    finally:
        pyplot().close(figure)


def plot_reproduction(rows: Sequence, path: str | os.PathLike) -> Path:
    """A PNG of rows (units, rnn_params, test_accuracy): accuracy and parameter count against units."""
    plt = pyplot()
    units = [r.units for r in rows]
    figure, accuracy_axis = plt.subplots(figsize=(6, 4))
    accuracy_axis.plot(units, [r.test_accuracy for r in rows], "o-", color="tab:blue")
    accuracy_axis.set_xlabel("SimpleRNN units")
    accuracy_axis.set_ylabel("test accuracy", color="tab:blue")
    accuracy_axis.set_xticks(units)
    params_axis = accuracy_axis.twinx()
    params_axis.plot(units, [r.rnn_params for r in rows], "s--", color="tab:orange")
    params_axis.set_ylabel("SimpleRNN parameters: units*(input+units+1)", color="tab:orange")
    accuracy_axis.set_title("MNIST read row by row: SimpleRNN -> Dense(10)")
    figure.tight_layout()
    return save_png(figure, path)


def plot_row_gradients(records: Sequence, path: str | os.PathLike) -> Path:
    """A PNG of records (layer, units, params, norms): the loss gradient's norm per row of pixels, log scale."""
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(6, 4))
    for record in records:
        rows = range(1, len(record.norms) + 1)
        axis.semilogy(
            rows, record.norms, "o-", markersize=3, label=f"{record.layer}({record.units}), {record.params} params"
        )
    axis.set_xlabel("row of pixels (time step t; the last row is read last)")
    axis.set_ylabel("mean ||dL/dx_t||_2 over test images")
    axis.set_title("How much each row moves the loss, after training")
    axis.legend()
    figure.tight_layout()
    return save_png(figure, path)
