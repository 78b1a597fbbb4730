"""Parameter checks shared by every setting and every chapter.

Each chapter's ``parameters`` cell is handed to these checks in the very next cell, so a
bad value passed through ``papermill -p`` fails at once, with a message that names the
parameter and what is allowed (explained in the chapter *How to run this book*).
"""

from __future__ import annotations

import itertools
import numbers
import os
import sys
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
    "check_distinct",
    "check_duration",
    "format_duration",
    "MAX_SEEDS",
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
#: The most seeds one call runs (each seed is a chain with its row per generation: more would
#: not fit in memory; split a larger study into calls with lists of seeds).
MAX_SEEDS = 10**7


def _too_many(name: str, count: Any) -> ParameterError:
    return ParameterError(f"parameter '{name}' must be at most {MAX_SEEDS:,} seeds in one call; got {count:,}. "
                          "Run a larger study as several calls, each with a list of seeds")


def check_seeds(seeds: Any, name: str = "seeds") -> list[int]:
    """Normalise ``seeds``: an int k means seeds 0..k-1; an iterable gives the seeds themselves.

    Seeds must be distinct integers in 0 .. 2**63 - 1 (each seed is an independent chain,
    stored as a 64-bit integer), at most :data:`MAX_SEEDS` of them: the count is checked
    before any list is built.
    """
    if isinstance(seeds, bool):
        raise ParameterError(f"parameter '{name}' must be a positive int or a list of ints >= 0; "
                             f"got {_describe(seeds)}")
    if isinstance(seeds, numbers.Integral):
        if seeds < 1:
            raise ParameterError(f"parameter '{name}' must be a positive int (that many seeds) or a "
                                 f"list of ints >= 0; got {seeds}")
        if seeds > MAX_SEEDS:
            raise _too_many(name, int(seeds))
        return list(range(int(seeds)))
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Iterable):
        raise ParameterError(f"parameter '{name}' must be a positive int or a list of ints >= 0; "
                             f"got {_describe(seeds)}")
    if isinstance(seeds, range):
        count = max(0, -(-(seeds.stop - seeds.start) // seeds.step))
        if count > MAX_SEEDS:
            raise _too_many(name, count)
    elif hasattr(seeds, "__len__") and len(seeds) > MAX_SEEDS:
        raise _too_many(name, len(seeds))
    items = list(itertools.islice(seeds, MAX_SEEDS + 1))
    if len(items) > MAX_SEEDS:
        raise _too_many(name, len(items))
    out = check_int_list(name, items, minimum=0)
    big = [s for s in out if s > MAX_SEED]
    if big:
        raise ParameterError(f"parameter '{name}' must hold seeds below 2**63 (they are stored as 64-bit "
                             f"integers); got {big[0]}")
    if len(set(out)) != len(out):
        seen: set[int] = set()
        twice = next(s for s in out if s in seen or seen.add(s))
        raise ParameterError(f"parameter '{name}' must not repeat a seed; seed {twice} appears "
                             f"{out.count(twice)} times")
    return out


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) and isinstance(a, bool) == isinstance(b, bool)
    except (TypeError, ValueError):
        return False


def check_distinct(name: str, values: Sequence[Any], what: str = "parameter") -> list[Any]:
    """Return ``values`` as a list if no value repeats, else raise naming the repeated one
    (a repeated value would run, and return, the same rows twice)."""
    items = list(values)
    for i, value in enumerate(items):
        if any(_same(value, other) for other in items[:i]):
            raise ParameterError(f"{what} '{name}' repeats the value {value!r}: give each value once")
    return items


# --- how long a run may take ------------------------------------------------------------

#: A run estimated to take longer than this (seconds) says so before it starts.
ANNOUNCE_SECONDS = 600.0
#: A run estimated to take longer than this needs ``allow_long=True`` (or a yes at a terminal).
LONG_SECONDS = 3 * 3600.0
#: Environment variable that gives ``allow_long=True`` to every run (chapters, scripts).
ALLOW_LONG_ENV = "COLLAPSE_ALLOW_LONG"


def format_duration(seconds: float) -> str:
    """``seconds`` as a person says it: "40 s", "25 min", "3.2 h", "4.5 days"."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.2g} h"
    days = seconds / 86400
    if days < 730:
        return f"{days:.2g} days" if days < 10 else f"{days:.0f} days"
    return f"{days / 365.25:,.0f} years"


def _interactive() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def check_duration(what: str, seconds: float | None, allow_long: Any = None) -> str:
    """Announce a long run before it starts, and refuse a very long one unless asked for.

    ``seconds`` is the run's estimate (None: unknown, nothing is said). Above
    :data:`ANNOUNCE_SECONDS` the estimate is printed (it shows in a chapter's output) and
    returned, in words, for a progress bar; above :data:`LONG_SECONDS` the run needs
    ``allow_long=True``, or ``COLLAPSE_ALLOW_LONG=1`` in the environment, or a yes typed at
    a terminal; otherwise :class:`ParameterError` says how long and how to ask for it.
    """
    if allow_long is None:
        allow_long = os.environ.get(ALLOW_LONG_ENV, "").strip().lower() in ("1", "true", "yes")
    allow_long = check_bool("allow_long", allow_long)
    if seconds is None or seconds < ANNOUNCE_SECONDS:
        return ""
    estimate = f"about {format_duration(seconds)}"
    text = f"{what}: {estimate} of computing, estimated from the setting's measured cost"
    if seconds >= LONG_SECONDS and not allow_long:
        question = f"{text}. Run it? [y/N] "
        if not (_interactive() and input(question).strip().lower() in ("y", "yes")):
            raise ParameterError(
                f"{text}, more than the {format_duration(LONG_SECONDS)} a run may take unasked. Pass "
                f"allow_long=True (a chapter: `python -m collapse_lib.notebooks ... --allow-long`, or "
                f"{ALLOW_LONG_ENV}=1 in the environment), or make the run smaller")
    print(f"{text}.", flush=True)
    return estimate


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
