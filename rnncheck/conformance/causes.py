"""The causes of the known divergences: each once, with its loop model or error, what Keras's documentation says,
the line upstream, and the Keras releases it was observed in (by running them). Reviewed.

A loop model wraps a reference layer function (rnncheck.reference.function(cell)) and returns what that backend's
keras.backend.rnn computes instead; Bidirectional and stacks compose them as the reference composes its own loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Loop = Callable[[Callable], Callable]  # a reference layer function -> that layer as one backend's loop runs it


def as_documented(layer: Callable) -> Callable:
    """The reference's own loop: Keras's documented semantics."""
    return layer


def jax_scan(layer: Callable) -> Callable:
    """jax, unroll=False: a masked step outputs the carried h, so steps before the first real one output h0, not 0."""

    def run(x, *weights, mask=None, initial_state=None, go_backwards=False, return_sequences=False, **options):
        return_state = options.pop("return_state", False)
        result = layer(
            x,
            *weights,
            mask=mask,
            initial_state=initial_state,
            go_backwards=go_backwards,
            return_sequences=return_sequences,
            return_state=True,
            **options,
        )
        if mask is not None and not options.get("zero_output_for_mask", False):
            mask = np.asarray(mask, dtype=bool)
            seen = np.logical_or.accumulate(mask[:, ::-1] if go_backwards else mask, axis=1)  # processing order
            h0 = np.zeros_like(result[1]) if initial_state is None else np.asarray(_states(initial_state)[0])
            if return_sequences:
                result[0] = np.where(seen[:, :, None], result[0], h0[:, None, :])  # (batch, time, u)
            else:
                result[0] = np.where(seen[:, -1:], result[0], h0)  # (batch, u)
        return result if return_state else result[0]

    return run


def jax_unroll(layer: Callable) -> Callable:
    """jax, unroll=True: zero_output_for_mask is ignored; masked steps repeat the previous output."""

    def run(x, *weights, **options):
        return layer(x, *weights, **{**options, "zero_output_for_mask": False})

    return run


def tensorflow_unroll(layer: Callable) -> Callable:
    """tensorflow, unroll=True: with go_backwards, zero_output_for_mask zeroes the steps the mask names in time
    order on a sequence in processing order, so the wrong steps are zeroed."""

    def run(x, *weights, mask=None, go_backwards=False, return_sequences=False, **options):
        if mask is None or not (go_backwards and return_sequences and options.get("zero_output_for_mask", False)):
            options.update(mask=mask, go_backwards=go_backwards, return_sequences=return_sequences)
            return layer(x, *weights, **options)
        return_state = options.pop("return_state", False)
        options["zero_output_for_mask"] = False
        result = layer(x, *weights, mask=mask, go_backwards=True, return_sequences=True, return_state=True, **options)
        result[0] = np.where(np.asarray(mask, dtype=bool)[:, :, None], result[0], 0.0)  # (batch, time, u)
        return result if return_state else result[0]

    return run


def _states(initial_state) -> list:
    return list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]


_TORCH_FLIP = "torch/rnn.py:95: unroll=True with a mask and go_backwards calls torch.flip on a tuple (torch.unbind's)"
_JAX_SCAN = "jax/rnn.py:166: a masked step outputs states[0], which before any real step is the initial h"
_JAX_UNROLL = "jax/rnn.py:89-131: the unrolled masked loop never reads zero_output_for_mask; tensorflow/rnn.py:203 does"
_TF_UNROLL = "tensorflow/rnn.py:210: zero_output_for_mask zeroes the reversed outputs with the unreversed mask"
_ZEROS_FIRST = (
    "the reference, as tensorflow, torch and jax's own unroll=True (jax/rnn.py:104): a masked step repeats the "
    "previous output (tensorflow/rnn.py:59), and before the first there is none: 'a zero filled tensor' (:335)"
)
_MASKED_ZERO = "the reference: Bidirectional's docstring (layers/rnn/bidirectional.py:30): masked timesteps output zero"
_ZERO_OUTPUT = (
    "the reference: keras.backend.rnn's docstring (tensorflow/rnn.py:59): with zero_output_for_mask 'the output for "
    "masked timestep will be zeros', as tensorflow, torch and jax's scan do, last output included; RNN's docstring "
    "(layers/rnn/rnn.py:57) uses it only with return_sequences, but jax's unroll ignores it even there"
)
_RUNS = "the reference: tensorflow, jax, and torch with unroll=False run it; unroll only trades memory for speed"



@dataclass(frozen=True)
class Cause:
    """One bug (or documented difference) in one framework, however many properties it shows in."""

    id: str  # names its repro script (rnncheck divergences --repro ID) and its report (docs/upstream/ID.md)
    backend: str  # the framework where it holds (a KERAS_BACKEND)
    summary: str  # one line: what goes wrong, and when
    documented: str  # which side Keras's documentation agrees with, and where it says so
    upstream: str  # the cause, file:line under keras/src
    releases: tuple[str, ...]  # the Keras releases it was observed in, by running them
    loop: Loop | None = field(default=None, repr=False)  # Keras computes the reference through this loop,
    raises: type[BaseException] | None = None  # or raises this,
    match: str = ""  # with a message matching this

    def to_dict(self) -> dict:
        keras = {"raises": self.raises.__name__, "match": self.match} if self.raises else {"loop": self.loop.__name__}
        return {
            "id": self.id,
            "backend": self.backend,
            "summary": self.summary,
            "releases": list(self.releases),
            "keras": keras,
            "documented": self.documented,
            "upstream": self.upstream,
            "report": f"docs/upstream/{self.id}.md",
        }


CAUSES: dict[str, Cause] = {
    cause.id: cause
    for cause in [
        Cause(
            id="torch-unroll-flip-tuple",
            backend="torch",
            summary="unroll=True with a mask and go_backwards raises AttributeError (Bidirectional: any mask)",
            documented=_RUNS,
            upstream=_TORCH_FLIP,
            releases=("3.15.1",),
            raises=AttributeError,
            match="'tuple' object has no attribute 'shape'",
        ),
        Cause(
            id="jax-scan-masked-output-h0",
            backend="jax",
            summary="unroll=False with a mask and an initial state: masked steps before the first real one output h0",
            documented=_ZEROS_FIRST,
            upstream=_JAX_SCAN,
            releases=("3.15.1",),
            loop=jax_scan,
        ),
        Cause(
            id="jax-unroll-zero-output-for-mask-ignored",
            backend="jax",
            summary="unroll=True with a mask ignores zero_output_for_mask: masked steps repeat the last output",
            documented=_ZERO_OUTPUT + "; " + _MASKED_ZERO,
            upstream=_JAX_UNROLL,
            releases=("3.15.1",),
            loop=jax_unroll,
        ),
        Cause(
            id="tensorflow-unroll-reversed-mask-zeroing",
            backend="tensorflow",
            summary="unroll=True, go_backwards, zero_output_for_mask and a mask: the wrong steps are zeroed",
            documented=_MASKED_ZERO,
            upstream=_TF_UNROLL,
            releases=("3.15.1",),
            loop=tensorflow_unroll,
        ),
    ]
}
