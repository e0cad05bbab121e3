"""The one way the suite builds a Keras recurrent layer: from a drawn case, holding the case's weights."""

from __future__ import annotations

import functools

import keras
import numpy as np

from rnncheck.cells import cell as cell_facts
from rnncheck.model import recurrent_layer


def keras_layer(
    cell: str,
    *,
    units: int,
    input_size: int,
    weights: list | None = None,
    fresh: bool = False,
    spatial: tuple = (),
    **options,
):
    """A built SimpleRNN / GRU / LSTM (Bidirectional with bidirectional=True) on `input_size` features, holding
    `weights` (what set_weights takes; Bidirectional: the forward layer's, then the backward's), or zeros for None.

    Shared: one layer per structure (cell, sizes, options), so call it before asking for another of the same
    structure. fresh=True builds a layer of its own, as one that goes into a model needs. A ConvLSTM (units: its
    filters) is built for steps of `spatial` sizes, its channels first or last as its data_format says.
    """
    # Building was a third of a property example's time. A shared layer computes from its weights and inputs
    # alone; with dropout or state it would not, so such a layer is never shared.
    shared = not fresh and not any(options.get(name) for name in ("dropout", "recurrent_dropout", "stateful"))
    build = _shared_layer if shared else _new_layer
    features = (input_size, *spatial) if options.get("data_format") == "channels_first" else (*spatial, input_size)
    layer = build(cell, units, features, tuple(sorted(options.items())))
    layer.set_weights(weights if weights is not None else [np.zeros(w.shape, w.dtype) for w in layer.weights])
    return layer


def _new_layer(cell: str, units: int, features: tuple, options: tuple):
    # Zero initializers: random ones (a QR decomposition for the recurrent kernel) would only be overwritten.
    layer = recurrent_layer(cell, units=units, zeros=True, **dict(options))
    layer.build((None, None, *features))  # (batch, time, *features)
    return layer


_shared_layer = functools.lru_cache(maxsize=512)(_new_layer)


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
