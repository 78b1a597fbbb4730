"""Benchmark: language-model chains one at a time against chains batched together.

    .venv/bin/python benchmarks/bench_lm.py [--chains 5] [--repeats 2] [--params FILE]

At the parameters of chapter *Language models* (its defaults, or those of ``--params``, a
parameter file keyed by chapter), ``--chains`` chains (default: the chapter's seeds) each
fine-tune a copy of the base on their own ``n`` real examples (the steps of one generation),
sample ``n`` well-formed examples and score the held-out set, three ways, side by side in
one process, rounds alternating (best of ``--repeats``):

* **one at a time, transformers**: each chain alone through the model's own forward pass
  (``collapse_lib.settings.lm.model``: ``fine_tune``, ``sample_examples`` with its cached
  decoder, ``mean_loss``), the path every chain took before chains were batched, and the
  path of any model that is not a GPT-2;
* **one at a time, stacked**: each chain alone through the batched engine
  (``collapse_lib.settings.lm.chains`` with one chain): what the reference loop runs now;
* **batched**: all chains as one computation, one optimiser step for all.

It prints chains per second and tokens per second for each, the speed-ups, and what bounds
each workload: its arithmetic rate (about ``6 N`` floating-point operations per token trained,
``2 N`` per token run forward, for ``N`` parameters) against what this CPU delivers in a
plain float32 matrix product of the model's shapes. Run it under the machine's lock; on a
busy machine read only the ratios. Writes the table to benchmarks/results/lm.md (and the
numbers to lm.json).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from collapse_lib.chapters import chapter_values  # noqa: E402
from collapse_lib.settings.lm import chains as CH  # noqa: E402
from collapse_lib.settings.lm import model as M  # noqa: E402
from collapse_lib.settings.lm import task as lmtask  # noqa: E402
from collapse_lib.validation import check_seeds  # noqa: E402

WORK = ("fine-tune", "sample", "score")


def chapter_settings(params_file: str) -> tuple[dict, int]:
    """The language-model parameters of the chapter (defaults, or a parameter file) and its seeds."""
    values = chapter_values("language_models", params_file)
    spec = lmtask.SETTING.params
    settings = lmtask.check_params({k: v for k, v in values.items() if k in spec})
    return settings, len(check_seeds(values["seeds"]))


def run(mode: str, task: lmtask.LMTask, sets: list[list[list[int]]], p: dict) -> dict[str, tuple[float, int]]:
    """Seconds and tokens of each workload for all chains, in ``mode``."""
    C = len(sets)
    rngs = [np.random.default_rng([c, 1]) for c in range(C)]
    recipe = dict(epochs=p["epochs"], steps=p["steps"], batch_size=p["batch_size"], lr=p["lr"], warmup=p["warmup"],
                  weight_decay=p["weight_decay"], clip=p["clip"], pad_id=task.pad_id)
    sample = dict(batch_size=p["sample_batch"], max_new_tokens=p["max_new_tokens"] or task.max_len - 1,
                  keep=task._keep)
    out = {}
    with M.torch_threads(p["threads"]):
        started = time.perf_counter()
        if mode == "transformers":
            models = [M.fine_tune(task.base, s, rng=r, **recipe) for s, r in zip(sets, rngs)]
            stacks = None
            tokens = sum(st.tokens_seen for _, st in models)
        else:
            stacks = []
            tokens = 0
            groups = [[c] for c in range(C)] if mode == "stacked" else [list(range(C))]
            for g in groups:
                stack = CH.Stack.of(task.base, len(g))
                stats = CH.train_chains(stack, [sets[c] for c in g], [rngs[c] for c in g], **recipe)
                stacks.append(stack)
                tokens += sum(st.tokens_seen for st in stats)
        out["fine-tune"] = (time.perf_counter() - started, tokens)
        started = time.perf_counter()
        if stacks is None:
            got = [M.sample_examples(m, task.tokenizer, p["n"], rng=r, **sample) for (m, _), r in zip(models, rngs)]
        else:
            got, i = [], 0
            for stack in stacks:
                got += CH.sample_chains(stack, task.tokenizer, [p["n"]] * stack.count,
                                        rngs=rngs[i:i + stack.count], **sample)
                i += stack.count
        out["sample"] = (time.perf_counter() - started, sum(s.tokens for s in got))
        started = time.perf_counter()
        n_tok = sum(len(s) - 1 for s in task.test)
        if stacks is None:
            for m, _ in models:
                M.mean_loss(m, task.test, batch_size=p["eval_batch"], pad_id=task.pad_id)
        else:
            for stack in stacks:
                CH.score_chains(stack, task.test, batch_size=p["eval_batch"], pad_id=task.pad_id)
        out["score"] = (time.perf_counter() - started, C * n_tok)
    return out


def matmul_gflops(threads: int, rows: int, inner: int, cols: int, repeats: int = 20) -> float:
    with M.torch_threads(threads):
        a, b = torch.randn(rows, inner), torch.randn(inner, cols)
        a @ b
        started = time.perf_counter()
        for _ in range(repeats):
            a @ b
        return 2 * rows * inner * cols * repeats / (time.perf_counter() - started) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chains", type=int, default=0, help="chains (default: the chapter's seeds)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--params", default="", help="a parameter file keyed by chapter (default: the chapter's)")
    args = parser.parse_args()

    p, seeds = chapter_settings(args.params)
    C = args.chains or seeds
    task = lmtask.LMTask(p)
    if not task.stacked:
        sys.exit("the chapter's model is not a GPT-2: it runs one chain at a time")
    pool = task._encode(task.pool)
    rng = np.random.default_rng(0)
    sets = [[pool[i] for i in rng.choice(len(pool), p["n"], replace=False)] for _ in range(C)]
    steps = lmtask.steps_per_generation(p, p["n"])
    n_params = task.base_meta["parameters"]
    modes = {"one at a time, transformers": "transformers", "one at a time, stacked": "stacked",
             f"batched ({C} chains)": "batched"}
    best: dict[str, dict[str, tuple[float, int]]] = {}
    for _ in range(args.repeats):
        for label, mode in modes.items():
            got = run(mode, task, sets, p)
            for k, (sec, tok) in got.items():
                if label not in best or k not in best[label] or sec / max(tok, 1) < best[label][k][0] / max(
                        best[label][k][1], 1):
                    best.setdefault(label, {})[k] = (sec, tok)
    lines = [f"model: {n_params:,} parameters; {C} chains of n = {p['n']} examples ({steps} steps of "
             f"{p['batch_size']}), {p['n']} samples each, {len(task.test)} held-out examples; "
             f"{p['threads']} torch threads; best of {args.repeats} rounds", ""]
    lines.append(f"{'':32s}" + "".join(f"{k + ' chains/s':>20s}{'tokens/s':>10s}" for k in WORK))
    for label, row in best.items():
        lines.append(f"{label:32s}" + "".join(f"{C / row[k][0]:20.2f}{row[k][1] / row[k][0]:10,.0f}" for k in WORK))
    rate = {label: {k: row[k][1] / row[k][0] for k in WORK} for label, row in best.items()}
    names = list(modes)
    for other in names[:2]:
        lines.append(f"{'speed-up, batched / ' + other.split(', ')[1]:32s}" +
                     "".join(f"{rate[names[2]][k] / rate[other][k]:19.2f}x{'':10s}" for k in WORK))
    tokens = p["batch_size"] * float(np.mean([len(s) for s in sets[0]]))
    lines += ["", "what bounds each (GFLOP/s: 6N per token trained, 2N per token forward, N parameters)"]
    threads = p["threads"] or torch.get_num_threads()
    cfg = task.base.config
    shapes = [(cfg.n_embd, 3 * cfg.n_embd), (cfg.n_embd, 4 * cfg.n_embd), (cfg.n_embd, cfg.vocab_size)]
    peak = max(matmul_gflops(threads, int(C * tokens), i, o) for i, o in shapes)
    for label in names:
        r = rate[label]
        lines.append(f"  {label:30s} fine-tune {6 * n_params * r['fine-tune'] / 1e9:5.1f}, sample "
                     f"{2 * n_params * r['sample'] / 1e9:5.1f}, score {2 * n_params * r['score'] / 1e9:5.1f}")
    lines.append(f"  a float32 matrix product of the model's shapes ({C * tokens:.0f} rows; inner {cfg.n_embd}, "
                 f"outer {', '.join(str(o) for _, o in shapes)}) on {threads} thread(s): {peak:.0f} GFLOP/s")
    print("\n".join(lines))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "lm.md").write_text("```text\n" + "\n".join(lines) + "\n```\n")
    (out / "lm.json").write_text(json.dumps({
        "parameters": n_params, "chains": C, "n": p["n"], "steps": steps, "threads": p["threads"],
        "repeats": args.repeats, "matmul_gflops": peak,
        "modes": {label: {k: {"seconds": row[k][0], "tokens": row[k][1], "chains_per_s": C / row[k][0],
                              "tokens_per_s": row[k][1] / row[k][0]} for k in WORK} for label, row in best.items()},
    }, indent=1))
    print(f"written {out / 'lm.md'} and {out / 'lm.json'}")

if __name__ == "__main__":
    main()
