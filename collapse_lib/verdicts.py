"""Reference numbers with their provenance, and verdicts that a wrong number would flip
(chapter *Results at a glance*).

* :class:`Source` says where a reference number comes from: a figure of the authors'
  repository read by pixel, the authors' committed data file, the paper's text, the
  authors' log file, or a re-run of the authors' code by this build (which is not a paper
  number, and is labelled so).
* :class:`Reference` is one number: where it holds (workflow, conditions, generation), what
  it measures, the value read, and the **range** that reading supports (the authors' own
  95% band where their figure draws one, widened by the error of reading it). The range is
  what a verdict compares, and what the page prints: there is no hidden tolerance.
* :func:`judge` sets this build's interval beside a range: *reproduced* (the interval lies
  within the range), *consistent* (they overlap, but the interval is too wide to tell: it
  says how large a difference could hide in it), *differs* (disjoint), or *not run at this
  scale*. A row is *underpowered* where its interval is too wide to tell the reference
  from twice or half of it; it then says how many seeds would.
* :func:`compare` makes the rows of a setting's claims from its runs and its references;
  :func:`verdict_p_value` and :func:`collapse_lib.stats.holm` address multiplicity.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from . import stats
from .plotting import WORKFLOW_LABEL
from .tables import format_value

__all__ = ["SOURCE_KINDS", "Source", "Reference", "VERDICTS", "Verdict", "judge", "summarise_values",
           "verdict_p_value", "p_value_by_level", "compare", "ROW_COLUMNS", "empty_rows", "row"]

#: The kinds of source a reference number can have, as the page names them.
SOURCE_KINDS: dict[str, str] = {
    "figure": "a figure of the authors' repository, read by pixel",
    "data": "the authors' committed result file",
    "paper": "the paper's text",
    "log": "the authors' committed log",
    "rerun": "a re-run of the authors' code by this build (not a number of the paper)",
}

#: The authors' repository and the commit whose files the references were read from.
AUTHORS_REPOSITORY = "RylanSchaeffer/KoyejoLab-Collapse-or-Thrive"
AUTHORS_COMMIT = "369132e"


@dataclass(frozen=True)
class Source:
    """Where a reference number comes from: ``kind`` (a key of :data:`SOURCE_KINDS`),
    ``where`` (the file, figure or section, with its version), ``how`` (how it was read)."""

    kind: str
    where: str
    how: str

    def __post_init__(self) -> None:
        if self.kind not in SOURCE_KINDS:
            raise ValueError(f"source kind must be one of {', '.join(SOURCE_KINDS)}; got {self.kind!r}")

    def text(self) -> str:
        """One line for the page: the kind, where, and how it was read."""
        return f"{SOURCE_KINDS[self.kind]}: {self.where}; {self.how}"


@dataclass(frozen=True)
class Reference:
    """One reference number and the range a verdict compares.

    ``value`` is the number as read; [``low``, ``high``] is the range the reading supports
    (the authors' 95% band where their figure draws one, plus the reading error; for a
    result file, the 95% interval of its seeds computed by :mod:`collapse_lib.stats`).
    ``t`` is the generation it holds at (None for a statistic of whole chains, such as a
    fixation time); ``statistic`` how this build's seeds are summarised
    (``"mean"``, ``"median"`` or ``"geometric"``); ``metric`` a column of the runs (a
    setting's claims may derive it, e.g. a ratio to the first fit). ``seeds``: where the
    source draws no interval but says how many runs its mean is over (a sweep file), the
    comparison adds the sampling error of a mean over that many runs, estimated from this
    build's own seeds (:func:`compare`): two means of the same quantity differ by chance.
    """

    workflow: str
    conditions: Mapping[str, Any]
    metric: str
    value: float
    low: float
    high: float
    source: Source
    t: int | None = 100
    statistic: str = "mean"
    note: str = ""
    label: str = ""
    seeds: int | None = None

    def __post_init__(self) -> None:
        if not self.low <= self.value <= self.high:
            raise ValueError(f"reference {self.metric} at {dict(self.conditions)}: value {self.value} outside "
                             f"its range [{self.low}, {self.high}]")
        if self.statistic not in ("mean", "median", "geometric"):
            raise ValueError(f"statistic must be 'mean', 'median' or 'geometric'; got {self.statistic!r}")

    def quoted(self) -> str:
        """``"0.956 [0.662, 1.52]"``: the value and the range compared."""
        if self.low == self.high:
            return format_value(self.value)
        return f"{format_value(self.value)} [{format_value(self.low)}, {format_value(self.high)}]"

    def scaled(self, factor: float) -> Reference:
        """The same reference with every number multiplied by ``factor`` (the planted-value
        tests: a wrong reference must flip the verdict)."""
        return replace(self, value=self.value * factor, low=self.low * factor, high=self.high * factor)


#: The verdicts, in words a reader knows.
VERDICTS = ("reproduced", "consistent", "differs", "not run at this scale")


@dataclass(frozen=True)
class Verdict:
    """A verdict and what stands behind it.

    ``word``: one of :data:`VERDICTS`. ``detail``: a sentence for the page (how large a
    difference could hide, how many seeds would decide). ``hidden``: the largest relative
    difference from the range that the interval still admits (consistent rows).
    ``underpowered``: the interval cannot tell the range from twice or half of it;
    ``seeds_needed``: about how many seeds would.
    """

    word: str
    detail: str = ""
    hidden: float = math.nan
    underpowered: bool = False
    seeds_needed: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def _relative_gap(a: float, b: float) -> float:
    """How far apart two positive numbers are, as a relative difference (0.25 = 25%)."""
    if a <= 0 or b <= 0:
        return math.nan
    return max(a, b) / min(a, b) - 1


def _overlaps(interval: stats.Interval, low: float, high: float) -> bool:
    return interval.low <= high and interval.high >= low


def judge(interval: stats.Interval, low: float, high: float) -> Verdict:
    """The verdict of ``interval`` against the reference range [``low``, ``high``] (see the
    module docstring). No tolerance is added: the range is what is compared.

    A reproduced or consistent row is *underpowered* when its interval also meets twice or
    half the range: a reference off by a factor of 2 would not have flipped it. It then
    says about how many seeds would tell a factor of 2.
    """
    if interval.n == 0 or not math.isfinite(interval.centre):
        return Verdict("not run at this scale", "this build has no run of this cell at this generation")
    if not interval.finite:
        return Verdict("not run at this scale", "one seed only: no interval", underpowered=True)
    if interval.high < low or interval.low > high:
        below = interval.high < low
        gap = _relative_gap(interval.high, low) if below else _relative_gap(interval.low, high)
        detail = f"the whole interval lies {'below' if below else 'above'} the range" + (
            f", by at least {100 * gap:.0f}%" if math.isfinite(gap) else "")
        return Verdict("differs", detail)
    underpowered = _overlaps(interval, 2 * low, 2 * high) or _overlaps(interval, low / 2, high / 2)
    seeds = None
    power = ""
    if underpowered and low > 0 and high >= 2 * low:
        power = (f"; the reference's own range spans a factor of {high / low:.1f}, so no build can tell it "
                 "from twice or half of it")
    elif underpowered:
        room = min(2 * low - interval.centre, interval.centre - high / 2)
        seeds = stats.seeds_to_resolve(interval, room) if room > 0 else None
        power = (f"; underpowered: about {seeds:,} seeds would tell a factor of 2" if seeds else
                 "; underpowered: it cannot tell a factor of 2")
    if low <= interval.low and interval.high <= high:
        return Verdict("reproduced", "the interval lies within the range" + power, underpowered=underpowered,
                       seeds_needed=seeds)
    if interval.low > 0 and low > 0:
        hidden = max(_relative_gap(interval.high, high) if interval.high > high else 0.0,
                     _relative_gap(interval.low, low) if interval.low < low else 0.0)
        pct = f"{100 * hidden:.1f}" if hidden < 0.1 else f"{100 * hidden:.0f}"
        detail = f"a difference of up to {pct}% beyond the range could hide in the interval"
    else:
        hidden = max(interval.high - high, low - interval.low, 0.0)
        detail = f"a difference of up to {format_value(hidden)} beyond the range could hide in the interval"
    return Verdict("consistent", detail + power, hidden=hidden, underpowered=underpowered, seeds_needed=seeds)


def summarise_values(values: Any, statistic: str = "mean") -> stats.Interval:
    """This build's statistic over seeds with its 95% interval: the mean (the method chosen
    by :func:`collapse_lib.stats.mean_interval`), the median, or the geometric mean."""
    if statistic == "median":
        return stats.median_interval(values)
    if statistic == "geometric":
        return stats.geometric_interval(values)
    return stats.mean_interval(values)


def verdict_p_value(values: Any, statistic: str, low: float, high: float) -> float:
    """The p-value of "this build's statistic lies in [low, high]": the largest alpha at which
    the (1 - alpha) interval still misses the range (bisection on the level; 1 where the 95%
    interval meets it). Used for Holm's correction over all verdicts of a page."""
    iv = summarise_values(values, statistic)
    if not iv.finite or not (iv.high < low or iv.low > high):
        return 1.0

    def misses(alpha: float) -> bool:
        level = 1 - alpha
        if statistic == "median":
            it = stats.median_interval(values, level=level)
        elif statistic == "geometric":
            it = stats.geometric_interval(values, level=level)
        else:
            it = stats.mean_interval(values, method=iv.method, level=level)
        return it.finite and (it.high < low or it.low > high)

    return p_value_by_level(misses)


def p_value_by_level(misses: Callable[[float], bool]) -> float:
    """The smallest alpha at which the (1 - alpha) interval still misses a range, by bisection
    on a log scale between 1e-8 and 0.05, given ``misses(alpha)`` (1 where it does not miss at
    0.05). The p-value of every verdict: :func:`verdict_p_value`, and settings' own intervals."""
    if not misses(0.05):
        return 1.0
    lo_a, hi_a = 1e-8, 0.05
    if misses(lo_a):
        return lo_a
    for _ in range(12):
        mid = math.sqrt(lo_a * hi_a)
        if misses(mid):
            hi_a = mid
        else:
            lo_a = mid
    return hi_a


#: The columns of every claim row (one per reference or claim).
ROW_COLUMNS = ("family", "setting", "claim", "workflow", "where", "metric", "t", "note", "reference", "range_lo",
               "range_hi", "source", "this build", "value", "low", "high", "seeds", "method", "theory",
               "theory_value", "theory_inside", "verdict", "detail", "underpowered", "seeds_needed", "p_value",
               "section")


def row(**values: Any) -> dict[str, Any]:
    """A claim row with every column of :data:`ROW_COLUMNS` (missing ones empty)."""
    numeric = {"range_lo", "range_hi", "value", "low", "high", "theory_value", "p_value"}
    out: dict[str, Any] = {c: (math.nan if c in numeric else "") for c in ROW_COLUMNS}
    out.update({"seeds": 0, "underpowered": False, "seeds_needed": None, "theory_inside": None})
    out.update(values)
    return out


def empty_rows() -> pd.DataFrame:
    """A claims frame with no rows."""
    return pd.DataFrame(columns=list(ROW_COLUMNS))


def _select(frame: pd.DataFrame, ref: Reference, generation: str) -> tuple[np.ndarray, int | None]:
    """The values of ``ref``'s metric in its cell at its generation (or None: not run)."""
    if frame is None or frame.empty or ref.metric not in frame.columns:
        return np.array([]), None
    sel = pd.Series(True, index=frame.index)
    if "workflow" in frame.columns and ref.workflow in set(frame["workflow"]):
        sel &= frame["workflow"] == ref.workflow
    elif "workflow" in frame.columns:
        return np.array([]), None
    for k, v in ref.conditions.items():
        if k not in frame.columns:
            return np.array([]), None
        sel &= frame[k].astype(object) == v
    if generation in frame.columns and ref.t is not None:
        if not (frame.loc[sel, generation] == ref.t).any():
            return np.array([]), None
        sel &= frame[generation] == ref.t
    values = frame.loc[sel, ref.metric].to_numpy(dtype=float)
    return values[np.isfinite(values)], ref.t


def compare(frame: pd.DataFrame | None, refs: Iterable[Reference], *, family: str, setting: str,
            section: str, theory: Callable[[Reference], float | None] | None = None,
            metric_label: Callable[[Reference], str] | None = None, generation: str = "generation",
            missing: str = "") -> pd.DataFrame:
    """One row per reference: this build's statistic with its interval in the reference's
    cell and generation, the reference and its range, its source, the closed form where
    ``theory(ref)`` gives one (and whether this build's interval holds it), and the verdict.

    ``frame``: tidy runs (one row per seed and generation). A reference whose cell or
    generation this build did not run gets *not run at this scale* (``missing`` says why).
    """
    rows = []
    for ref in refs:
        values, t = _select(frame, ref, generation) if frame is not None else (np.array([]), None)
        label = (metric_label(ref) if metric_label else "") or ref.label or ref.metric.replace("_", " ")
        where = ", ".join(f"{k} = {v}" for k, v in ref.conditions.items())
        workflow = WORKFLOW_LABEL.get(ref.workflow, ref.workflow)
        base = dict(family=family, setting=setting, claim=f"{workflow}: {label}" + (f" ({where})" if where else ""),
                    workflow=workflow, where=where or "–", metric=label,
                    t=ref.t if ref.t is not None else "–", note=ref.note,
                    reference=ref.quoted(), range_lo=ref.low, range_hi=ref.high, source=ref.source.text(),
                    section=section)
        expected = theory(ref) if theory is not None else None
        if expected is not None and not math.isfinite(expected):
            expected = None
        if values.size == 0:
            at = f" at t = {ref.t}" if ref.t is not None else ""
            verdict = Verdict("not run at this scale", missing or f"this build did not run this cell{at} "
                              "(see the scale of this build)")
            rows.append(row(**base, **{"this build": "–"}, verdict=verdict.word, detail=verdict.detail,
                            theory=format_value(expected) if expected is not None else "–",
                            theory_value=expected if expected is not None else math.nan))
            continue
        iv = summarise_values(values, ref.statistic)
        low, high = ref.low, ref.high
        if ref.seeds and values.size > 1:  # the source's own mean over ref.seeds runs: its sampling error
            spread = stats.t_quantile(ref.seeds) * float(values.std(ddof=1)) / ref.seeds ** 0.5
            low, high = low - spread, high + spread
            base["reference"] = f"{format_value(ref.value)} [{format_value(low)}, {format_value(high)}]"
            base["range_lo"], base["range_hi"] = low, high
            base["note"] = "; ".join(filter(None, [ref.note, f"the range adds the sampling error of the source's "
                                                               f"mean over {ref.seeds} runs (this build's spread)"]))
        verdict = judge(iv, low, high)
        p_value = verdict_p_value(values, ref.statistic, low, high) if verdict.word == "differs" else 1.0
        inside = None if expected is None else bool(iv.contains(expected))
        rows.append(row(**base, **{"this build": iv.text()}, value=iv.centre, low=iv.low, high=iv.high,
                        seeds=iv.n, method=iv.method, theory=format_value(expected) if expected is not None else "–",
                        theory_value=expected if expected is not None else math.nan, theory_inside=inside,
                        verdict=verdict.word, detail=verdict.detail, underpowered=verdict.underpowered,
                        seeds_needed=verdict.seeds_needed, p_value=p_value))
    return pd.DataFrame(rows, columns=list(ROW_COLUMNS))


def plant(refs: Sequence[Reference], factor: float) -> list[Reference]:
    """Every reference multiplied by ``factor`` (tests)."""
    return [r.scaled(factor) for r in refs]


__all__ += ["plant", "AUTHORS_REPOSITORY", "AUTHORS_COMMIT"]
