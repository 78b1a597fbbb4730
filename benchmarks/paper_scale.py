"""How long each chapter takes at the paper's scale on this machine: measured on a part, projected.

    flock /tmp/cpu.lock .venv/bin/python benchmarks/paper_scale.py            # writes params/paper_times.yml
    .venv/bin/python benchmarks/paper_scale.py gaussian kde -o /tmp/t.yml      # some chapters only

The page *The scale of this build* (book/scale.py) shows the file this writes. Running the
whole book at the paper's scale takes many hours here, so each chapter is timed on a part of
it and the rest is projected; the file says how, for each chapter, and when and where:

* **Seeds** (every chapter but the two with a language model): the chapter is executed as
  ``make book PARAMS=params/paper.yml`` would, every parameter at the paper's scale except
  its seed counts (every parameter named ``*seeds``), cut to two small fractions of the
  paper's (say 2 % and 8 %). Each seed is an independent chain, so the time is linear in
  the fraction: the two runs give the fixed part (kernel, plots) and the part per seed, and
  the line is read at 100 %. The pages that read the other chapters' runs are executed
  after them, reading those runs from the same (temporary) result store.
* **Language models** (*Language models*): the chapter at the paper's parameters with
  ``n_generations`` cut to 2 and one seed. The result store records, for every generation
  of every run, its optimiser steps and the seconds of its fine-tuning, sampling and
  scoring; the projection keeps the measured seconds per optimiser step and the measured
  sampling and scoring per generation, with the steps of generation ``t`` growing like
  ``t`` where they grew in the measured part (Accumulate at fixed epochs trains on ``t n``
  examples), over the paper's 20 generations and seeds.
* **The value of synthetic data**: its tasks other than the language model as under
  *Seeds*, with the language-model grid cut to one tiny cell (its stored seconds are taken
  out); the language-model grid at the paper's scale is projected from its optimiser steps
  (:func:`collapse_lib.settings.lm.value.cell_steps`), sampled documents and scored
  examples, at the rates measured in the *Language models* run.

Every run uses a fresh temporary result store (nothing is read from an earlier run), and
executes the chapter through :func:`collapse_lib.notebooks.execute_chapter`, as the book
does. Run it under the machine's lock, with nothing else running.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from collapse_lib.chapters import chapter_defaults, chapter_sources, load_params  # noqa: E402
from collapse_lib.notebooks import execute_chapter  # noqa: E402

PAPER = ROOT / "params" / "paper.yml"
OUTPUT = ROOT / "params" / "paper_times.yml"
#: The seed fractions of the two runs of each chapter measured under "Seeds" (chosen so that
#: every seed count stays at 2 or more and each run takes a minute or less here).
FRACTIONS: dict[str, tuple[float, float]] = {"workflows": (0.01, 0.04), "kde": (0.02, 0.04),
                                             "value_of_synthetic_data": (0.1, 0.2)}
DEFAULT_FRACTIONS = (0.02, 0.08)
#: Pages that read the other chapters' runs (executed after them, from the same store).
READERS = ("replace", "accumulate", "accumulate_subsample", "results", "scale")
LM_CHAPTER = "language_models"
VALUE_CHAPTER = "value_of_synthetic_data"
#: The language-model chapter's measured part.
LM_CUT = {"n_generations": 2, "seeds": 1}
#: The value chapter's language-model grid, cut to one tiny cell (its seconds are taken out).
VALUE_LM_CUT = {"lm_seeds": 1, "lm_num_real": [64], "lm_num_synthetic": [0, 64], "lm_fixed_steps": 32,
                "lm_n_test": 100}


def seed_params(values: dict[str, Any]) -> list[str]:
    return [k for k in values if k.endswith("seeds")]


def count(value: Any) -> int:
    return len(value) if isinstance(value, list) else int(value)


def cut_seeds(values: dict[str, Any], fraction: float) -> dict[str, Any]:
    """The seed counts of ``values`` cut to ``fraction`` (at least 2 each)."""
    out = {}
    for name in seed_params(values):
        k = max(2, round(count(values[name]) * fraction))
        out[name] = values[name][:k] if isinstance(values[name], list) else k
    return out


def paper_values(chapter: str, paper: dict[str, Any]) -> dict[str, Any]:
    return {**chapter_defaults(chapter), **(paper.get(chapter) or {})}


def run(chapter: str, params: dict[str, Any], store: Path, out: Path) -> float:
    os.environ["COLLAPSE_STORE"] = str(store)
    started = time.perf_counter()
    execute_chapter(ROOT / "book" / f"{chapter}.py", out / f"{chapter}.ipynb", params)
    return time.perf_counter() - started


def stored(store: Path, setting: str, workflows: set[str] | None = None):
    """(frame, metadata) of every unit of ``setting`` in the store."""
    from collapse_lib.store import Store, read_file

    for entry in Store(store).entries():
        request = (entry.meta or {}).get("request", {})
        if entry.setting == setting and (workflows is None or request.get("workflow") in workflows):
            frame, meta = read_file(entry.path)
            yield frame, meta or entry.meta


def lm_rates(store: Path) -> dict[str, float]:
    """Seconds per optimiser step, per sampled document and per scored example, from the
    language-model chains in ``store``."""
    steps = fit = sample = docs = evals = scored = 0.0
    for frame, meta in stored(store, "lm", {"replace", "accumulate", "accumulate-subsample"}):
        params = meta["request"].get("params", meta["request"])
        steps += frame["fit_steps"].sum()
        fit += frame["fit_seconds"].sum()
        sample += frame["sample_seconds"].sum()
        docs += len(frame) * int(params.get("n", 0))
        evals += frame["eval_seconds"].sum()
        scored += len(frame) * int(params.get("n_test", 0))
    return {"step": fit / steps, "document": sample / max(docs, 1), "scored": evals / max(scored, 1)}


def project_lm_chains(store: Path, paper_T: int, paper_seeds: int) -> tuple[float, float]:
    """(seconds the stored chains took, seconds they would take over ``paper_T`` generations
    and ``paper_seeds`` seeds), see the module docstring."""
    rates = lm_rates(store)
    measured = projected = 0.0
    for frame, meta in stored(store, "lm", {"replace", "accumulate", "accumulate-subsample"}):
        seconds = float(meta["seconds"])
        measured += seconds
        frame = frame.sort_values(["seed", "generation"])
        seeds = frame["seed"].nunique()
        per_seed = frame.groupby("generation")[["fit_steps", "fit_seconds", "sample_seconds", "eval_seconds"]].mean()
        other = float((per_seed.sample_seconds + per_seed.eval_seconds).mean())
        first, last = float(per_seed.fit_steps.iloc[0]), float(per_seed.fit_steps.iloc[-1])
        grows = last > first * 1.2
        steps = sum(first * t if grows else per_seed.fit_steps.mean() for t in range(1, paper_T + 1))
        overhead = max(0.0, seconds / seeds - float(per_seed[["fit_seconds", "sample_seconds", "eval_seconds"]]
                                                    .sum().sum()))
        projected += paper_seeds * (overhead + steps * rates["step"] + paper_T * other)
    return measured, projected


def value_lm_projection(values: dict[str, Any], pool: int, rates: dict[str, float]) -> tuple[float, str]:
    """Seconds of the value chapter's language-model grid at ``values`` (its optimiser steps,
    sampled documents and scored examples at the measured rates)."""
    from collapse_lib.settings.lm.value import cell_steps

    reals = sorted({min(int(r), pool) for r in values["lm_num_real"]})
    synth = sorted({int(s) for s in values["lm_num_synthetic"]})
    batch, epochs, fixed = int(values["lm_batch_size"]), float(values["lm_epochs"]), int(values["lm_fixed_steps"])
    steps = docs = fits = 0
    for r in reals:
        steps += fixed  # the generator: the fixed-steps learner of (r, 0)
        fits += 1
        docs += max(synth)
        for s in synth:
            steps += cell_steps("epochs", r + s, epochs=epochs, fixed_steps=fixed, batch_size=batch)
            fits += 1
            if s:
                steps += fixed
                fits += 1
    seeds = count(values["lm_seeds"])
    seconds = seeds * (steps * rates["step"] + docs * rates["document"]
                       + fits * int(values["lm_n_test"]) * rates["scored"])
    return seconds, (f"{seeds} seeds × ({steps:,} optimiser steps, {docs:,} sampled documents, "
                     f"{fits} fits scored on {int(values['lm_n_test']):,} examples)")


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model or platform.processor() or platform.machine()}, {os.cpu_count()} cores, {platform.system()}"


def fmt(seconds: float) -> str:
    return f"{seconds:.1f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chapters", nargs="*", help="chapters to measure (default: all with a paper-scale section)")
    parser.add_argument("-o", "--output", default=str(OUTPUT), help="the YAML file to write")
    parser.add_argument("--workdir", help="keep the runs here (default: a temporary folder); a second call with "
                                          "the same folder resumes, skipping the runs already timed")
    args = parser.parse_args(argv)
    paper = yaml.safe_load(PAPER.read_text()) or {}
    names = [s.stem for s in chapter_sources() if s.stem in paper]
    names = [n for n in names if not args.chapters or n in args.chapters]
    order = [n for n in names if n not in READERS] + [n for n in names if n in READERS]
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="paper-scale-") as scratch:
        tmp = Path(args.workdir or scratch)
        tmp.mkdir(parents=True, exist_ok=True)
        timed_file = tmp / "times.json"
        timed = json.loads(timed_file.read_text()) if timed_file.exists() else {}
        cut_files, stores = [], []
        for i in range(2):  # the two points: every chapter's seeds at its first, then second fraction
            sections = {}
            for name in names:
                values = paper_values(name, paper)
                fraction = FRACTIONS.get(name, DEFAULT_FRACTIONS)[i]
                section = {**(paper.get(name) or {}), **cut_seeds(values, fraction)}
                if name == VALUE_CHAPTER:
                    section.update(VALUE_LM_CUT)
                if name == LM_CHAPTER:
                    section.update(LM_CUT)
                sections[name] = section
            cut = tmp / f"cut{i}.yml"
            for name in READERS:
                if name in sections and "params_file" in sections[name]:
                    sections[name]["params_file"] = str(cut)
            cut.write_text(yaml.safe_dump(sections, sort_keys=False))
            cut_files.append(cut)
            stores.append(tmp / f"store{i}")
        times: dict[str, list[float]] = {}
        lm_seconds: dict[str, list[float]] = {}
        for i, cut in enumerate(cut_files):
            out = tmp / f"out{i}"
            for name in order:
                if name == LM_CHAPTER and i > 0:
                    continue
                params = load_params(cut, name)
                key = f"{i}:{name}"
                if key not in timed:
                    timed[key] = run(name, params, stores[i], out)
                    timed_file.write_text(json.dumps(timed, indent=1))
                seconds = timed[key]
                times.setdefault(name, []).append(seconds)
                if name == VALUE_CHAPTER:
                    lm_seconds.setdefault(name, []).append(
                        sum(float(m["seconds"]) for _, m in stored(stores[i], "lm", {"value"})))
                print(f"{name}: point {i + 1}: {seconds:.1f} s", file=sys.stderr, flush=True)
        for name in names:
            values = paper_values(name, paper)
            if name == LM_CHAPTER:
                chains, projected = project_lm_chains(stores[0], int(values["n_generations"]), count(values["seeds"]))
                total = times[name][0] - chains + projected
                results[name] = {
                    "seconds": round(float(total), 1), "measured_seconds": round(times[name][0], 1),
                    "how": (f"projected from a run at the paper's parameters with {LM_CUT['n_generations']} "
                            f"generations and {LM_CUT['seeds']} seed ({fmt(times[name][0])}): the measured seconds "
                            "per optimiser step, sampling and scoring per generation, Accumulate's steps growing "
                            f"with t, over {values['n_generations']} generations and {count(values['seeds'])} "
                            "seeds")}
                continue
            f1, f2 = FRACTIONS.get(name, DEFAULT_FRACTIONS)
            t1, t2 = times[name]
            extra, how_extra = 0.0, ""
            if name == VALUE_CHAPTER:
                t1, t2 = t1 - lm_seconds[name][0], t2 - lm_seconds[name][1]
                frame = next((f for f, _ in stored(stores[0], "lm", {"value"})), None)
                pool = int(frame["n_available"].iloc[0]) if frame is not None and "n_available" in frame else 10 ** 9
                extra, counted = value_lm_projection(values, pool, lm_rates(stores[0]))
                how_extra = (f"; its language-model grid projected from {counted} at the rates measured in "
                             f"Language models ({fmt(extra)})")
            slope = (t2 - t1) / (f2 - f1)
            fixed = t1 - slope * f1
            runs = (f"two runs at {f1:.0%} and {f2:.0%} of the paper's seeds, every other parameter at the paper's "
                    f"scale ({fmt(times[name][0])} and {fmt(times[name][1])})")
            if name in READERS and not seed_params(values):
                runs = (f"two runs reading the other chapters' runs at {f1:.0%} and {f2:.0%} of the paper's seeds "
                        f"({fmt(times[name][0])} and {fmt(times[name][1])})")
            if slope > 0:
                total = fixed + slope + extra
                how = f"projected from {runs}, linear in the seeds"
            else:  # no growth measurable above the noise: the seeds cost little beside the fixed part
                total = max(t1, t2) + extra
                how = f"measured: {runs}, the time did not grow with the seeds beyond the noise"
            results[name] = {"seconds": round(float(total), 1), "measured_seconds": round(sum(times[name]), 1),
                             "how": how + how_extra}
    record = {"measured": dt.date.today().isoformat(), "machine": machine(),
              "command": "flock /tmp/cpu.lock .venv/bin/python benchmarks/paper_scale.py",
              "note": "Times at the paper's scale (params/paper.yml) on this machine, projected from measured "
                      "parts as each chapter's 'how' says; see benchmarks/paper_scale.py.",
              "chapters": results}
    if args.chapters and Path(args.output).exists():
        old = yaml.safe_load(Path(args.output).read_text()) or {}
        record["chapters"] = {**old.get("chapters", {}), **results}
    header = "# Measured by benchmarks/paper_scale.py (do not edit by hand); read by book/scale.py.\n"
    Path(args.output).write_text(header + yaml.safe_dump(record, sort_keys=False, allow_unicode=True, width=100))
    total = sum(r["seconds"] for r in record["chapters"].values())
    print(f"{args.output}: {len(results)} chapters; the whole book at the paper's scale ≈ {total / 3600:.1f} h",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
