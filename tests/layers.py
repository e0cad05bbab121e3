"""The one way the suite builds a Keras recurrent layer: from a drawn case, holding the case's weights."""

from __future__ import annotations

import functools

import keras
import numpy as np

from rnncheck.cells import cell as cell_facts
from rnncheck.model import recurrent_layer


def keras_layer(cell: str, *, units: int, input_size: int, weights: list | None = None, **options):
    """A built SimpleRNN / GRU / LSTM (Bidirectional with bidirectional=True) on `input_size` features, holding
    `weights` (what set_weights takes; Bidirectional: the forward layer's, then the backward's), or zeros for None.

    One layer per structure (cell, sizes, options), built once and given new weights each time: these layers
    carry nothing from one call to the next (no dropout, not stateful), and building one was a third of a
    property example's time. So call a layer before asking for another of the same structure: they are one object.
    """
    layer = _built_layer(cell, units, input_size, tuple(sorted(options.items())))
    layer.set_weights(weights if weights is not None else [np.zeros(w.shape, w.dtype) for w in layer.weights])
    return layer


@functools.lru_cache(maxsize=512)
def _built_layer(cell: str, units: int, input_size: int, options: tuple):
    # Zero initializers: random ones (a QR decomposition for the recurrent kernel) would only be overwritten.
    layer = recurrent_layer(cell, units=units, zeros=True, **dict(options))
    layer.build((None, None, input_size))
    return layer


def as_numpy(returned) -> list[np.ndarray]:
    """What a layer call returned (a tensor or a list of them) as a list of NumPy arrays."""
    tensors = returned if isinstance(returned, (list, tuple)) else [returned]
    # Not keras.ops.convert_to_numpy: it calls np.array(tensor), which NumPy 2.4 warns about on torch
    # (torch's __array__ takes no `copy`); np.asarray of a tensor cut from the graph warns on no backend.
    return [np.asarray(keras.ops.stop_gradient(t)) for t in tensors]


def keras_cell(cell: str, *, units: int, input_size: int, use_bias: bool = True, reset_after: bool = True):
    """A Keras SimpleRNNCell / GRUCell / LSTMCell built on `input_size` features: weights with shapes, no values.

    A Keras recurrent layer holds no weights but its cell's, and a Bidirectional none but two such
    cells (tests/test_params.py checks both): the cell is what it takes to know a layer's weights.
    """
    options = {"use_bias": use_bias} | ({"reset_after": reset_after} if cell == "gru" else {})
    with keras.StatelessScope(initialize_variables=False):  # no variable is created: cheap enough to fuzz
        built = getattr(keras.layers, cell_facts(cell).keras_class + "Cell")(units, **options)
        built.build((None, input_size))
    return built
