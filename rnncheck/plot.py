"""The classic experiment as a picture: test accuracy and parameter count against units."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path


def plot_reproduction(rows: Sequence, path: str | os.PathLike) -> Path:
    """Write a PNG of rows (units, rnn_params, test_accuracy) to `path`, atomically."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ValueError('--plot needs matplotlib: pip install "rnncheck[plot]"') from None

    path = Path(path)
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
    # Write beside the target, then rename: an interrupted run leaves no half-written PNG.
    handle, temporary = tempfile.mkstemp(suffix=".png", dir=path.parent)
    os.close(handle)
    try:
        figure.savefig(temporary, format="png", dpi=100)
        os.replace(temporary, path)
    finally:
        plt.close(figure)
        if os.path.exists(temporary):
            os.remove(temporary)
    return path
