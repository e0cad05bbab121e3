"""Argument checks shared by every module (pure Python).

A value of the wrong type raises TypeError, a value of the right type outside its range raises
ValueError; both messages name the argument. NumPy integers count as integers.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable


def check_size(name: str, value: object) -> int:
    """`value` as an int if it is a positive integer (not a bool)."""
    return _check_integer(name, value, minimum=1, what="a positive integer")


def check_non_negative(name: str, value: object) -> int:
    """`value` as an int if it is a non-negative integer (not a bool): a seed, an index."""
    return _check_integer(name, value, minimum=0, what="a non-negative integer")


def check_positive(name: str, value: object) -> float:
    """`value` as a float if it is a finite real number > 0 (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive number, got {value!r} ({type(value).__name__})")
    if not (0 < value and math.isfinite(value)):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def check_choice(name: str, value, choices: Iterable):
    """`value` if it is one of `choices`."""
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def _check_integer(name: str, value: object, *, minimum: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {what}, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return int(value)
