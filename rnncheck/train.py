"""Train and evaluate the MNIST RNN: one seeded run in, one small result record out."""

from __future__ import annotations

import dataclasses
import importlib
import os
import platform
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from rnncheck.autodiff import RowGradients, lstm_units_for_budget, row_gradients
from rnncheck.checks import check_size
from rnncheck.config import CLASSIC, CLASSIC_UNITS, GATE, TrainConfig, for_backend
from rnncheck.model import build_model, keras
from rnncheck.params import model_params


@dataclass(frozen=True)
class TrainResult:
    config: TrainConfig
    params: int  # as Keras counts them
    test_loss: float
    test_accuracy: float
    fit_seconds: float
    seconds: float  # build + fit + evaluate
    history: tuple[dict[str, float], ...]  # one {"loss", "accuracy"} per epoch run

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def train(config: TrainConfig, data, *, verbose: int | str = "auto", callbacks: Sequence = ()) -> TrainResult:
    """Train `config` on data = ((x_train, y_train), (x_test, y_test)) and evaluate on the test set.

    The configuration is first adapted to the active backend (config.for_backend), and the result
    records what actually ran. The same seed on the same machine gives the same numbers. `callbacks`
    (Keras callbacks) go to fit; one that stops it early leaves fewer epochs in history than config.epochs.
    """
    return train_model(config, data, verbose=verbose, callbacks=callbacks)[1]


def train_model(
    config: TrainConfig, data, *, verbose: int | str = "auto", callbacks: Sequence = ()
) -> tuple[keras.Model, TrainResult]:
    """train(), and the trained model with its result."""
    (x_train, y_train), (x_test, y_test) = data
    config = for_backend(config, keras.backend.backend())
    start = time.perf_counter()
    # Keras's global state only, no gc.collect(): Python frees old models in its own time, and a full collection
    # here walks every object TensorFlow has made (0.1-0.4 s a run).
    keras.utils.clear_session(free_memory=False)
    keras.utils.set_random_seed(config.seed)
    model = build_model(config, train_size=len(x_train), time_steps=x_train.shape[1], input_size=x_train.shape[2])
    fit_start = time.perf_counter()
    history = model.fit(
        x_train, y_train, batch_size=config.batch_size, epochs=config.epochs, verbose=verbose, callbacks=list(callbacks)
    ).history
    fit_seconds = time.perf_counter() - fit_start
    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=1024, verbose=0)
    epochs = len(history["loss"])  # config.epochs, unless a callback stopped training
    per_epoch = tuple({name: float(values[i]) for name, values in history.items()} for i in range(epochs))
    return model, TrainResult(
        config=config,
        params=model.count_params(),
        test_loss=float(test_loss),
        test_accuracy=float(test_accuracy),
        fit_seconds=fit_seconds,
        seconds=time.perf_counter() - start,
        history=per_epoch,
    )


@dataclass(frozen=True)
class ReproducedRow:
    """One row of the classic experiment: the formula's counts beside Keras's, and what it learned."""

    units: int
    rnn_params: int  # the SimpleRNN layer by formula: units * (input + units + 1)
    formula_params: int  # the whole model by formula: SimpleRNN + Dense head
    keras_params: int  # the whole model as Keras counts it
    test_loss: float
    test_accuracy: float
    seconds: float

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def reproduce(
    data, *, units: Sequence[int] = CLASSIC_UNITS, config: TrainConfig = CLASSIC, verbose=0
) -> Iterator[ReproducedRow]:
    """Train the classic configuration once per size in `units`, yielding each row as it finishes."""
    for u in units:
        result = train(dataclasses.replace(config, units=u), data, verbose=verbose)
        formula = model_params(units=u, input_size=data[0][0].shape[2])
        yield ReproducedRow(
            units=u,
            rnn_params=formula.layers[0].total,
            formula_params=formula.total,
            keras_params=result.params,
            test_loss=result.test_loss,
            test_accuracy=result.test_accuracy,
            seconds=result.seconds,
        )


def gradients_through_time(
    data, *, config: TrainConfig = GATE, models: Sequence = (), images: int | None = None, verbose=0
) -> Iterator[tuple[RowGradients, TrainResult | None]]:
    """How much each row of pixels moves the loss: rnncheck.autodiff.row_gradients on the first `images` test images.

    Of each model in `models`, or else of two trained here with `config`: SimpleRNN(config.units) and the LSTM
    with the nearest parameter budget (autodiff.lstm_units_for_budget). Yields each as it is done, with its
    TrainResult (None for a given model).
    """
    _, (x_test, y_test) = data
    count = len(x_test) if images is None else min(check_size("images", images), len(x_test))
    if models:
        for model in models:
            yield row_gradients(model, x_test[:count], y_test[:count]), None
        return
    lstm_units = lstm_units_for_budget(config.units, input_size=x_test.shape[2])
    for cell, units in (("simple", config.units), ("lstm", lstm_units)):
        model, result = train_model(dataclasses.replace(config, cell=cell, units=units), data, verbose=verbose)
        yield row_gradients(model, x_test[:count], y_test[:count]), result


def versions() -> dict[str, str | int]:
    """What produced a number: the Keras backend and its library's version, and the machine's core count."""
    backend = keras.backend.backend()
    library = importlib.import_module(backend)  # each backend is named after its library
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "keras": keras.__version__,
        "backend": backend,
        backend: library.__version__,
        "machine": platform.machine(),
        "cpu_count": os.cpu_count() or 0,
    }
