"""The MNIST RNN (rows of an image as time steps) and single recurrent layers, in Keras 3."""

from __future__ import annotations

import os

# Quiet TensorFlow's C++ info and warnings during runs (a level the user set wins). The few lines
# it prints while loading, before this setting is read, cannot be turned off from Python.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

from rnncheck.params import CELLS, KERAS_CLASS, check_choice, check_size  # noqa: E402


def recurrent_layer(
    cell: str = "simple",
    *,
    units: int,
    use_bias: bool = True,
    reset_after: bool = True,
    bidirectional: bool = False,
    merge_mode: str = "concat",
    zeros: bool = False,
    **options,
) -> keras.layers.Layer:
    """A Keras SimpleRNN / GRU / LSTM (optionally Bidirectional); `options` go to the layer.

    zeros=True initializes every weight to zero: counting and shapes do not need random
    weights, and the orthogonal recurrent initializer costs a QR decomposition.
    """
    check_choice("cell", cell, CELLS)
    kwargs = dict(units=check_size("units", units), use_bias=use_bias, **options)
    if cell == "gru":
        kwargs["reset_after"] = reset_after
    if zeros:
        kwargs.update(kernel_initializer="zeros", recurrent_initializer="zeros", bias_initializer="zeros")
    layer = getattr(keras.layers, KERAS_CLASS[cell])(**kwargs)
    return keras.layers.Bidirectional(layer, merge_mode=merge_mode) if bidirectional else layer


def build_model(
    *,
    units: int = 10,
    time_steps: int = 28,
    input_size: int = 28,
    num_classes: int = 10,
    learning_rate: float = 1e-4,
    clipnorm: float | None = None,
    decay_steps: int | None = None,
    unroll: bool = False,
    steps_per_execution: int = 1,
) -> keras.Model:
    """Compiled SimpleRNN(units) -> Dense(num_classes, softmax) over (time_steps, input_size).

    The defaults are the classic script's: 10 units, 28 rows of 28 pixels, Adam at 1e-4.
    With decay_steps, the learning rate follows a cosine from learning_rate to 0 over that many steps.
    Labels are integers (sparse categorical cross-entropy), the same loss as one-hot ones.
    """
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate!r}")
    if decay_steps is not None:
        learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, check_size("decay_steps", decay_steps))
    model = keras.Sequential(
        [
            keras.Input((check_size("time_steps", time_steps), check_size("input_size", input_size))),
            keras.layers.SimpleRNN(check_size("units", units), unroll=unroll),  # (batch, units)
            keras.layers.Dense(check_size("num_classes", num_classes), activation="softmax"),  # (batch, classes)
        ],
        name="mnist_rnn",
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate, clipnorm=clipnorm),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=check_size("steps_per_execution", steps_per_execution),
    )
    return model


def keras_param_counts(cell: str, *, input_size: int, units: int, num_classes: int = 10, **options) -> tuple[int, int]:
    """Keras's own count_params() of the recurrent layer and of the whole model (layer + Dense head)."""
    layer = recurrent_layer(cell, units=units, zeros=True, **options)
    head = keras.layers.Dense(check_size("num_classes", num_classes))
    model = keras.Sequential([keras.Input((None, check_size("input_size", input_size))), layer, head])
    return layer.count_params(), model.count_params()
