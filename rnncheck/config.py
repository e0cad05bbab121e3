"""What one training run trains: a small frozen record that checks itself, and the named presets (pure Python)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from rnncheck.cells import cell as cell_facts
from rnncheck.checks import check_non_negative, check_positive, check_size


@dataclass(frozen=True)
class TrainConfig:
    """What one run trains; the defaults are the classic script's (Adam 1e-4, batch 64, 3 epochs)."""

    units: int = 10
    cell: str = "simple"  # the recurrent layer: "simple" (SimpleRNN), "gru" or "lstm"
    learning_rate: float = 1e-4
    batch_size: int = 64
    epochs: int = 3
    seed: int = 0
    clipnorm: float | None = None
    cosine_decay: bool = False  # the learning rate falls from learning_rate to 0 along a cosine over the run
    unroll: bool = False  # a Python loop over the 28 steps: one graph, no while-loop overhead
    steps_per_execution: int = 1  # train steps per call into the compiled function

    def __post_init__(self) -> None:
        for name in ("units", "batch_size", "epochs", "steps_per_execution"):
            check_size(name, getattr(self, name))
        cell_facts(self.cell)
        check_non_negative("seed", self.seed)
        check_positive("learning_rate", self.learning_rate)
        if self.clipnorm is not None:
            check_positive("clipnorm", self.clipnorm)

    def decay_steps(self, train_size: int) -> int:
        """Optimizer steps in the whole run: epochs * ceil(train_size / batch_size)."""
        return self.epochs * math.ceil(check_size("train_size", train_size) / self.batch_size)


CLASSIC = TrainConfig()
CLASSIC_UNITS = (10, 20, 30)  # the classic experiment's three sizes: 390, 980 and 1770 parameters
# The regression gate: clears 0.93 on the full test set for seeds 0-29, lowest 0.9468 (bench/performance.py).
GATE = TrainConfig(
    units=64,
    learning_rate=6e-3,
    batch_size=200,  # divides 60,000: no short last batch, every step the same shape
    epochs=3,
    clipnorm=1.0,
    cosine_decay=True,
    unroll=True,
    steps_per_execution=16,
)
PRESETS = {"classic": CLASSIC, "gate": GATE}

# What a Keras backend cannot run, and what a configuration becomes there. This is the one place
# where a preset differs between backends.
BACKEND_LIMITS = {
    "torch": {"steps_per_execution": 1},  # Keras's torch trainer refuses steps_per_execution > 1
}


def for_backend(config: TrainConfig, backend: str) -> TrainConfig:
    """`config` as `backend` can run it (unchanged where the backend has no limit)."""
    return dataclasses.replace(config, **BACKEND_LIMITS.get(backend, {}))
