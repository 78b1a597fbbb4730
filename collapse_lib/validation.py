"""Parameter checks shared by every setting and every chapter.

Each chapter's ``parameters`` cell is handed to these checks in the very next cell, so a
bad value passed through ``papermill -p`` fails at once, with a message that names the
parameter and what is allowed (explained in the chapter *How to run this book*).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "ParameterError",
    "check_choice",
    "check_float",
    "check_int",
    "check_int_list",
    "check_float_list",
    "check_seeds",
    "check_bool",
    "check_str",
    "did_you_mean",
    "Int",
    "Float",
    "IntList",
    "FloatList",
    "Choice",
    "ChoiceList",
    "Bool",
    "Str",
    "Seeds",
]


class ParameterError(ValueError):
    """A parameter has a wrong type or value; the message names it and what is allowed."""


def did_you_mean(name: Any, allowed: Iterable[Any]) -> str:
    """`` (did you mean 'x'?)`` when ``name`` is close to one of ``allowed``, else ``""``: the
    one spelling hint of the library's messages."""
    import difflib

    close = difflib.get_close_matches(str(name), [str(a) for a in allowed], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _describe(value: Any) -> str:
    return f"{value!r} (type {type(value).__name__})"


def check_int(name: str, value: Any, *, minimum: int | None = None,
              maximum: int | None = None) -> int:
    """Return ``value`` as ``int`` or raise :class:`ParameterError`.

    Booleans and non-integral floats are refused (``papermill -p n 10.5`` is a mistake,
    not a request to round). Integral numpy scalars are accepted.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and not isinstance(value, bool) and float(value).is_integer():
            value = int(value)
        else:
            bound = f" >= {minimum}" if minimum is not None else ""
            raise ParameterError(f"parameter '{name}' must be an integer{bound}; got {_describe(value)}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ParameterError(f"parameter '{name}' must be an integer >= {minimum}; got {value}")
    if maximum is not None and value > maximum:
        raise ParameterError(f"parameter '{name}' must be an integer <= {maximum}; got {value}")
    return value


def check_float(name: str, value: Any, *, minimum: float | None = None,
                maximum: float | None = None, strict_minimum: bool = False) -> float:
    """Return ``value`` as ``float`` or raise :class:`ParameterError`.

    ``strict_minimum=True`` makes ``minimum`` exclusive (e.g. a variance must be > 0).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(f"parameter '{name}' must be a real number; got {_describe(value)}")
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ParameterError(f"parameter '{name}' must be finite; got {value}")
    if minimum is not None:
        if strict_minimum and value <= minimum:
            raise ParameterError(f"parameter '{name}' must be > {minimum}; got {value}")
        if not strict_minimum and value < minimum:
            raise ParameterError(f"parameter '{name}' must be >= {minimum}; got {value}")
    if maximum is not None and value > maximum:
        raise ParameterError(f"parameter '{name}' must be <= {maximum}; got {value}")
    return value


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` if it is a bool, else raise (papermill passes ``True``/``False``)."""
    if not isinstance(value, bool):
        raise ParameterError(f"parameter '{name}' must be True or False; got {_describe(value)}")
    return value


def check_str(name: str, value: Any) -> str:
    """Return ``value`` if it is a string, else raise."""
    if not isinstance(value, str):
        raise ParameterError(f"parameter '{name}' must be a string; got {_describe(value)}")
    return value


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``, else raise naming all of them."""
    if isinstance(value, (list, dict, set)) or value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ParameterError(f"parameter '{name}' must be one of {allowed}; got {_describe(value)}")
    return value


def _bounds(minimum: float | None, maximum: float | None = None, strict_minimum: bool = False) -> str:
    parts = []
    if minimum is not None:
        parts.append(f"{'>' if strict_minimum else '>='} {minimum}")
    if maximum is not None:
        parts.append(f"<= {maximum}")
    return (" " + " and ".join(parts)) if parts else ""


def check_int_list(name: str, value: Any, *, minimum: int | None = None) -> list[int]:
    """Return a non-empty list of ints (an int alone becomes a one-element list)."""
    wanted = f"parameter '{name}' must be a list of integers{_bounds(minimum)}"
    if isinstance(value, (str, bytes)) or isinstance(value, bool):
        raise ParameterError(f"{wanted}; got {_describe(value)}")
    if isinstance(value, numbers.Integral):
        value = [value]
    if not isinstance(value, Iterable):
        raise ParameterError(f"{wanted}; got {_describe(value)}")
    out = [check_int(f"{name}[{i}]", v, minimum=minimum) for i, v in enumerate(value)]
    if not out:
        raise ParameterError(f"parameter '{name}' must not be empty")
    return out


def check_float_list(name: str, value: Any, *, minimum: float | None = None,
                     maximum: float | None = None, strict_minimum: bool = False) -> list[float]:
    """Return a non-empty list of finite floats within bounds (a number alone is a list of one)."""
    wanted = f"parameter '{name}' must be a non-empty list of numbers{_bounds(minimum, maximum, strict_minimum)}"
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        value = [value]
    if isinstance(value, (str, bytes, bool)) or not isinstance(value, Iterable):
        raise ParameterError(f"{wanted}; got {_describe(value)}")
    items = list(value)
    if not items:
        raise ParameterError(f"{wanted}; got {_describe(value)}")
    return [check_float(f"{name}[{i}]", x, minimum=minimum, maximum=maximum, strict_minimum=strict_minimum)
            for i, x in enumerate(items)]


#: The largest seed: seeds are stored as 64-bit signed integers.
MAX_SEED = 2**63 - 1


def check_seeds(seeds: Any, name: str = "seeds") -> list[int]:
    """Normalise ``seeds``: an int k means seeds 0..k-1; an iterable gives the seeds themselves.

    Seeds must be distinct non-negative integers (each seed is an independent chain).
    """
    if isinstance(seeds, bool):
        raise ParameterError(f"parameter '{name}' must be a positive int or a list of ints >= 0; "
                             f"got {_describe(seeds)}")
    if isinstance(seeds, numbers.Integral):
        if seeds > MAX_SEED + 1:
            raise ParameterError(f"parameter '{name}' must be at most 2**63 seeds; got {seeds}")
        if seeds < 1:
            raise ParameterError(f"parameter '{name}' must be a positive int (that many seeds) or a "
                                 f"list of ints >= 0; got {seeds}")
        return list(range(int(seeds)))
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Iterable):
        raise ParameterError(f"parameter '{name}' must be a positive int or a list of ints >= 0; "
                             f"got {_describe(seeds)}")
    out = check_int_list(name, list(seeds), minimum=0)
    big = [s for s in out if s > MAX_SEED]
    if big:
        raise ParameterError(f"parameter '{name}' must hold seeds below 2**63 (they are stored as 64-bit "
                             f"integers); got {big[0]}")
    if len(set(out)) != len(out):
        raise ParameterError(f"parameter '{name}' must not repeat a seed; got {out}")
    return out


# --- chapter parameter specs -------------------------------------------------------------
# A chapter's check cell calls ``collapse_lib.chapters.chapter_parameters(globals(), name=Int(1),
# ...)``; each spec below is a checker ``(name, value) -> value`` built from the functions above.

def Int(minimum: int | None = None, maximum: int | None = None):
    """Spec: an int within bounds."""
    return lambda name, v: check_int(name, v, minimum=minimum, maximum=maximum)


def Float(minimum: float | None = None, maximum: float | None = None,
          strict_minimum: bool = False):
    """Spec: a finite real number within bounds."""
    return lambda name, v: check_float(name, v, minimum=minimum, maximum=maximum,
                                       strict_minimum=strict_minimum)


def IntList(minimum: int | None = None):
    """Spec: a non-empty list of ints (an int alone is a one-element list)."""
    return lambda name, v: check_int_list(name, v, minimum=minimum)


def FloatList(minimum: float | None = None, maximum: float | None = None,
              strict_minimum: bool = False):
    """Spec: a non-empty list of finite reals within bounds (a number alone is a list)."""
    return lambda name, v: check_float_list(name, v, minimum=minimum, maximum=maximum,
                                            strict_minimum=strict_minimum)


def Choice(*choices: Any):
    """Spec: one of ``choices``."""
    return lambda name, v: check_choice(name, v, choices)


def ChoiceList(*choices: Any):
    """Spec: a non-empty list whose items are each one of ``choices`` (a lone item is a list)."""
    def check(name: str, v: Any) -> list[Any]:
        items = [v] if isinstance(v, (str, numbers.Number)) else v
        if not isinstance(items, (list, tuple)) or not items:
            raise ParameterError(f"parameter '{name}' must be a non-empty list of values from "
                                 f"{', '.join(map(repr, choices))}; got {_describe(v)}")
        return [check_choice(f"{name}[{i}]", x, choices) for i, x in enumerate(items)]
    return check


def Bool():
    """Spec: True or False."""
    return check_bool


def Str():
    """Spec: a string."""
    return check_str


def Seeds():
    """Spec: an int k (seeds 0..k-1) or a list of distinct ints >= 0."""
    return lambda name, v: check_seeds(v, name)
