"""Benchmark: the language model's fine-tuning, sampling and scoring throughput, before and after.

    .venv/bin/python benchmarks/bench_lm.py [--before REV] [--repeats 2] [--n 320]

Measures tokens per second, side by side in one process on the same model and data, for

* **before**: the language-model code of git revision ``REV`` (default ``HEAD``, read with
  ``git show`` into a temporary module), with the activation that code built (GPT-2's
  ``gelu_new``), at 1 torch thread, the chapter's old default, and at 2;
* **after**: this tree's code (fused GELU, the key-value-cached :class:`GPT2Decoder` with
  inverse-CDF draws) at 1 thread and at 2, the chapter's default now.

Each configuration fine-tunes a copy of the chapter's base model for the steps two epochs
of ``--n`` examples take (batches of 32), samples ``--n`` documents from the fine-tuned
model and scores ``--n`` held-out verses; rows alternate over ``--repeats`` rounds and the
best round is kept, so that every configuration sees the same machine. It then measures
what this CPU delivers in a plain float32 matrix product of the model's shapes, and
prints each workload's arithmetic rate against it: about ``6 N`` floating-point
operations per token to train a model of ``N`` parameters, ``2 N`` to run it forward.
Run it on an otherwise idle machine; on a busy one, read only the ratios.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from collapse_lib.settings.lm import model as after  # noqa: E402
from collapse_lib.settings.lm import task as lmtask  # noqa: E402


def load_revision(rev: str):
    """``collapse_lib/settings/lm/model.py`` as it was at ``rev``, imported as a module."""
    source = subprocess.run(["git", "show", f"{rev}:collapse_lib/settings/lm/model.py"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout
    source = source.replace("from .data import", "from collapse_lib.settings.lm.data import")
    folder = Path(tempfile.mkdtemp(prefix="bench_lm_"))
    path = folder / "lm_model_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("lm_model_before", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["lm_model_before"] = module
    spec.loader.exec_module(module)
    return module


def with_activation(model, name: str):
    """A copy of ``model`` whose MLPs use the activation ``name`` (same function, other kernel)."""
    from transformers.activations import ACT2FN

    out = copy.deepcopy(model)
    out.config.activation_function = name
    for block in out.transformer.h:
        block.mlp.act = ACT2FN[name]
    return out


def measure(M, model, tokenizer, train, test, threads: int, sample_batch: int) -> dict[str, float]:
    """Tokens per second of fine-tuning, sampling and scoring with module ``M`` at ``threads``."""
    _, _, pad = after._special_ids(tokenizer)
    out = {}
    with M.torch_threads(threads):
        tuned, stats = M.fine_tune(model, train, rng=np.random.default_rng(0), pad_id=pad, epochs=2.0,
                                   batch_size=32, lr=2e-3, warmup=5)
        out["fine-tune"] = stats.tokens_seen / stats.seconds
        s = M.sample_examples(tuned, tokenizer, len(train), rng=np.random.default_rng(1), batch_size=sample_batch,
                              max_new_tokens=127)
        out["sample"] = s.tokens / s.seconds
        started = time.perf_counter()
        M.mean_loss(tuned, test, batch_size=64, pad_id=pad)
        out["score"] = sum(len(t) - 1 for t in test) / (time.perf_counter() - started)
    return out


def matmul_gflops(threads: int, rows: int, inner: int, cols: int, repeats: int = 50) -> float:
    with after.torch_threads(threads):
        a, b = torch.randn(rows, inner), torch.randn(inner, cols)
        a @ b
        started = time.perf_counter()
        for _ in range(repeats):
            a @ b
        return 2 * rows * inner * cols * repeats / (time.perf_counter() - started) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", default="HEAD", help="git revision of the 'before' code (default HEAD)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--n", type=int, default=320, help="examples fine-tuned on, documents sampled, verses scored")
    args = parser.parse_args()

    before = load_revision(args.before)
    params = lmtask.check_params({"n": args.n, "n_test": args.n})
    base, tokenizer, meta = lmtask.load_base(params)
    task = lmtask.LMTask(params)
    train = task._encode(task.pool[:args.n])
    test = task.test[:args.n]
    n_params = meta["parameters"]
    configs = {
        f"before ({args.before}), 1 thread": (before, with_activation(base, "gelu_new"), 1, 250),
        f"before ({args.before}), 2 threads": (before, with_activation(base, "gelu_new"), 2, 250),
        "after, 1 thread": (after, base, 1, 500),
        "after, 2 threads": (after, base, 2, 500),
    }
    best: dict[str, dict[str, float]] = {}
    for _ in range(args.repeats):
        for name, (M, model, threads, batch) in configs.items():
            got = measure(M, model, tokenizer, train, test, threads, batch)
            best[name] = {k: max(v, best.get(name, {}).get(k, 0.0)) for k, v in got.items()}
    print(f"model: {n_params:,} parameters; {len(train)} examples, {len(test)} held-out verses; "
          f"best of {args.repeats} rounds\n")
    print(f"{'tokens per second':34s}{'fine-tune':>12s}{'sample':>12s}{'score':>12s}")
    for name, row in best.items():
        print(f"{name:34s}" + "".join(f"{row[k]:12,.0f}" for k in ("fine-tune", "sample", "score")))
    first, last = best[next(iter(configs))], best["after, 2 threads"]
    print(f"{'speed-up, after 2 / before 1':34s}" + "".join(f"{last[k] / first[k]:11.2f}x"
                                                          for k in ("fine-tune", "sample", "score")))
    tokens = 32 * float(np.mean([len(t) for t in train]))  # tokens in one training batch
    print("\nwhat bounds each (GFLOP/s: 6N per token trained, 2N per token forward, N parameters)")
    for threads in (1, 2):
        peak = max(matmul_gflops(threads, int(tokens), 128, 512), matmul_gflops(threads, int(tokens), 128, 2048))
        row = best[f"after, {threads} thread{'s' if threads > 1 else ''}"]
        print(f"  {threads} thread(s): matmul of the model's shapes {peak:6.0f} GFLOP/s; fine-tune "
              f"{6 * n_params * row['fine-tune'] / 1e9:5.1f}, sample {2 * n_params * row['sample'] / 1e9:5.1f}, "
              f"score {2 * n_params * row['score'] / 1e9:5.1f} GFLOP/s")


if __name__ == "__main__":
    main()
