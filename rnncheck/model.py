"""The MNIST RNN (rows of an image as time steps) and single recurrent layers, in Keras 3 (any backend)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

# Quiet TensorFlow's C++ info and warnings during runs (a level the user set wins). The few lines
# it prints while loading, before this setting is read, cannot be turned off from Python.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

from rnncheck.cells import MERGE_MODES  # noqa: E402
from rnncheck.cells import cell as cell_facts
from rnncheck.checks import check_choice, check_size  # noqa: E402
from rnncheck.config import CLASSIC, TrainConfig  # noqa: E402


def recurrent_layer(
    cell: str = "simple",
    *,
    units: int,
    use_bias: bool = True,
    reset_after: bool = True,
    bidirectional: bool = False,
    merge_mode: str | None = "concat",
    zeros: bool = False,
    **options,
) -> keras.layers.Layer:
    """A Keras SimpleRNN / GRU / LSTM / ConvLSTMnD (optionally Bidirectional); `options` go to the layer.

    ConvLSTMnD takes `units` as its filters, and needs kernel_size among `options`.

    zeros=True initializes every weight to zero: counting and shapes do not need random
    weights, and the orthogonal recurrent initializer costs a QR decomposition.
    """
    facts = cell_facts(cell)
    size = {"filters" if facts.rank else "units": check_size("units", units)}
    kwargs = dict(size, use_bias=use_bias, **options)
    if "reset_after" in facts.options:
        kwargs["reset_after"] = reset_after
    if zeros:
        kwargs.update(kernel_initializer="zeros", recurrent_initializer="zeros", bias_initializer="zeros")
    layer = getattr(keras.layers, facts.keras_class)(**kwargs)
    if not bidirectional:
        return layer
    return keras.layers.Bidirectional(layer, merge_mode=check_choice("merge_mode", merge_mode, MERGE_MODES + (None,)))


def make_optimizer(config: TrainConfig, *, train_size: int) -> keras.optimizers.Optimizer:
    """Adam at config.learning_rate, falling along a cosine to 0 over the run when config.cosine_decay."""
    learning_rate = config.learning_rate
    if config.cosine_decay:
        learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, config.decay_steps(train_size))
    return keras.optimizers.Adam(learning_rate=learning_rate, clipnorm=config.clipnorm)


def build_model(
    config: TrainConfig = CLASSIC,
    *,
    train_size: int,
    time_steps: int = 28,
    input_size: int = 28,
    num_classes: int = 10,
) -> keras.Model:
    """Compiled SimpleRNN(config.units) (or config.cell) -> Dense(num_classes, softmax) over (time_steps, input_size).

    `train_size` (samples per epoch) sets the length of the cosine decay. Labels are integers
    (sparse categorical cross-entropy, the same loss as one-hot labels with categorical cross-entropy).
    """
    model = keras.Sequential(
        [
            keras.Input((check_size("time_steps", time_steps), check_size("input_size", input_size))),
            recurrent_layer(config.cell, units=config.units, unroll=config.unroll),  # (batch, units)
            keras.layers.Dense(check_size("num_classes", num_classes), activation="softmax"),  # (batch, classes)
        ],
        name="mnist_rnn",
    )
    model.compile(
        optimizer=make_optimizer(config, train_size=train_size),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=config.steps_per_execution,
    )
    # Adam's slots and the metrics' variables, created now: Keras's TensorFlow trainer would create
    # them inside fit's first trace, and tf.function traces a function that creates variables twice.
    model.optimizer.build(model.trainable_variables)
    model.compute_metrics(None, keras.ops.zeros((1,), "int32"), keras.ops.zeros((1, num_classes)))
    model.reset_metrics()
    return model


def keras_param_counts(
    cell: str, *, input_size: int, units: int | list[int], num_classes: int = 10, **options
) -> tuple[int, int]:
    """Keras's own count_params() of the recurrent layer(s) and of the whole model (layers + Dense head)."""
    sizes = [units] if isinstance(units, int) else list(units)
    facts = cell_facts(cell)
    # A ConvLSTM's input: as many positions per spatial axis as the kernel is wide (enough for "valid").
    spatial = tuple(options.get("kernel_size", ())) if facts.rank else ()
    layers = [
        recurrent_layer(cell, units=u, zeros=True, return_sequences=i < len(sizes) - 1, **options)
        for i, u in enumerate(sizes)
    ]
    head = keras.layers.Dense(check_size("num_classes", num_classes))
    model = keras.Sequential([keras.Input((None, *spatial, check_size("input_size", input_size))), *layers, head])
    return sum(layer.count_params() for layer in layers), model.count_params()


def load_keras_model(path: Path) -> keras.Model:
    """keras.saving.load_model (safe mode, not compiled), its many failure types turned into one ValueError line."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir() or (path.suffix == ".keras" and not zipfile.is_zipfile(path)):
        raise ValueError(f"{path}: not a Keras model file (a .keras file is a zip archive written by model.save)")
    try:
        return keras.saving.load_model(str(path), compile=False, safe_mode=True)
    except Exception as error:  # Keras raises ValueError, OSError, KeyError, zipfile errors... for a bad file
        first_sentence = (str(error).strip().splitlines() or [type(error).__name__])[0].split(". ")[0]
        raise ValueError(f"{path}: not a Keras model file Keras can load ({first_sentence})") from error
