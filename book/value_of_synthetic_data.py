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
# (value-of-synthetic-data)=
# # The value of synthetic data
#
# The previous chapters asked what happens when a model is trained, generation after
# generation, on its own output. This chapter asks a one-generation question that a
# practitioner meets first: **I have some real examples and can generate synthetic ones.
# Does adding synthetic data lower the test loss, and is it the number of real examples or
# their share of the training set that matters?** {cite:t}`kazdan2025collapse` answer it
# for a language model. Here the same experiment runs on a small language model at CPU
# scale, beside a Gaussian, a linear regression and a kernel density estimate that can be
# run with many seeds, and with the flaws of the authors' analysis fixed.
#
# **Learning objectives**
# - Run the mixing experiment: a generator fit on real data writes synthetic examples, a
#   learner trains on a mix, and is scored on real held-out data.
# - Explain why synthetic data can only help when the generator knows something the
#   learner does not (more real data, or a useful smoothing), and why it hurts when real
#   data are plentiful.
# - Separate the effect of *more* training data (and, for a language model, more optimiser
#   steps) from the effect of *synthetic* training data with a fixed-compute design, and
#   fit regressions of the loss with an intercept.

# %% tags=["parameters"]
seeds = 200  # independent repetitions of the Gaussian and the regression: an int k (seeds 0..k-1) or a list of ints
kde_seeds = 50  # repetitions of the KDE, whose fits cost more (int ≥ 1)
n_available = 1024  # real examples that exist per repetition (int ≥ 1)
num_real = [8, 32, 128, 256, 1024, 4096]  # real examples asked for (ints ≥ 1); more than n_available get capped
num_synthetic = [0, 16, 64, 256, 1024, 4096]  # synthetic examples added (ints ≥ 0; must include 0, the baseline)
gaussian_d = 2  # dimension of the Gaussian (int ≥ 1)
linreg_d = 4  # coefficients of the linear regression (int ≥ 1)
linreg_sigma2 = 1.0  # label-noise variance of the linear regression (float ≥ 0)
kde_dataset = "moons"  # KDE data set: 'blobs', 'circles', 'moons' or 'swiss_roll'
kde_h = 0.1  # KDE bandwidth (float > 0, 'scott' or 'silverman')
kde_n_test = 500  # held-out real points that score the KDE (int ≥ 1)
budget = 256  # training-set size of the fixed-compute variant (int ≥ 1, at most n_available)
real_proportions = [0.0, 0.125, 0.25, 0.5, 0.75, 1.0]  # real shares of the fixed-compute variant (floats in [0, 1])
shared_pool_seed = 2024  # seed of the one data set shared by every repetition in the first-rows check (int ≥ 0)
lm_seeds = 3  # repetitions of the language-model grid (int k: seeds 0..k-1, or a list); each is a grid of fine-tunings
lm_num_real = [32, 128, 256]  # real verses of the language-model grid (ints ≥ 1); above what exists: capped
lm_num_synthetic = [0, 256]  # synthetic examples added for the language model (ints ≥ 0; must include 0)
lm_epochs = 1.0  # passes over the training set in the fixed-epochs design (float > 0); the paper: 1
lm_fixed_steps = 32  # optimiser steps of every fit in the fixed-steps design, and of each generator (int ≥ 1)
lm_n_available = 256  # real verses that exist for the language model, one data set for every seed (int ≥ 0; 0: the whole fine-tuning pool)
lm_n_test = 160  # held-out real examples the language model's test loss is measured on (int ≥ 10)
lm_batch_size = 16  # examples per optimiser step of every fine-tuning (int ≥ 1)
lm_lr = 4e-3  # AdamW learning rate of every fine-tuning, after its warm-up (float > 0)
lm_model = "local-gpt2"  # "local-gpt2" (the base of the chapter Language models), a model folder, or a hub name
lm_dataset = "kjv"  # "kjv" (offline), a .jsonl/.json file, or a hub dataset such as "nvidia/HelpSteer2"
device = "cpu"  # "cpu", "cuda", "mps" or "auto" (the language model)
threads = 2  # torch threads (int ≥ 0; 0: torch's default); keep it fixed, the count changes the last bits
use_store = True  # reuse the language model's results from the result store (_cache/ or $COLLAPSE_STORE)

# %% tags=["remove-input"]
import warnings
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display
from myst_nb import glue
from tqdm import TqdmWarning

from collapse_lib import claims, plotting, stats, store, value
from collapse_lib.chapters import chapter_parameters
from collapse_lib.settings.kde import DATASETS, check_bandwidth
from collapse_lib.settings.lm import claims as lmclaims
from collapse_lib.settings.lm import value as lmvalue
from collapse_lib.settings.lm.reference import VALUE_REFERENCES
from collapse_lib.validation import (
    Bool,
    Choice,
    Float,
    FloatList,
    Int,
    IntList,
    ParameterError,
    Seeds,
    Str,
)

p = chapter_parameters(globals(), seeds=Seeds(), kde_seeds=Int(1), n_available=Int(1), num_real=IntList(1),
                       num_synthetic=IntList(0), gaussian_d=Int(1), linreg_d=Int(1), linreg_sigma2=Float(0.0),
                       kde_dataset=Choice(*DATASETS), kde_h=check_bandwidth, kde_n_test=Int(1), budget=Int(1),
                       real_proportions=FloatList(0.0, 1.0), shared_pool_seed=Int(0), lm_seeds=Seeds(),
                       lm_num_real=IntList(1), lm_num_synthetic=IntList(0), lm_epochs=Float(0.0, strict_minimum=True),
                       lm_fixed_steps=Int(1), lm_n_available=Int(0), lm_n_test=Int(10), lm_batch_size=Int(1),
                       lm_lr=Float(0.0, strict_minimum=True), lm_model=Str(),
                       lm_dataset=Str(), device=Str(), threads=Int(0), use_store=Bool())
for name in ("num_synthetic", "lm_num_synthetic"):
    if 0 not in getattr(p, name):
        raise ParameterError(f"parameter '{name}' must include 0 (training on real data alone is "
                             f"the baseline); got {getattr(p, name)}")
if p.budget > p.n_available:
    raise ParameterError(f"parameter 'budget'={p.budget} must be at most n_available={p.n_available} "
                         "(an all-real training set of that size must exist)")
LM_PARAMS, LM_ARGS = lmvalue.chapter_arguments(vars(p))
lmvalue.check_arguments(LM_PARAMS, **LM_ARGS)  # the language model's parameters (names them if wrong)
warnings.filterwarnings("ignore", category=TqdmWarning)  # no progress widgets in the book: no warning about them
plotting.book_style()

# %% [markdown]
# ## The experiment
#
# For each seed, $N$ = `n_available` real examples exist. A **generator** is fit on real
# data and writes synthetic examples; a **learner** is fit on `num_real` real examples plus
# `num_synthetic` synthetic ones and scored against the real distribution. One question
# matters a great deal: *which real data did the generator see?* The paper's synthetic
# examples came from the authors' first model, fine-tuned on their whole real training
# split, while a learner got a few hundred of those examples. Every model of this chapter
# runs both designs, and every result says which one it uses:
#
# - **generator fit on all the real data** (the paper's design; "pool" in the code): on
#   all $N$ real examples, more than the learner gets. Synthetic data then carry
#   information the learner lacks (a form of distillation).
# - **generator fit on the learner's own real examples** (self-augmentation, the
#   contrast; "subset" in the code): synthetic data carry nothing the learner did not
#   already have.
#
# Three models, each scored on the real distribution:
#
# - a Gaussian $\mathcal N(0, I_d)$ fit by maximum likelihood, scored by its **held-out
#   negative log-likelihood** in closed form (the expected NLL of a fresh real point, so no
#   test-set noise). We use the NLL rather than the error of the mean because it is the
#   same kind of number as the paper's cross-entropy on real held-out text, and because it
#   scores the whole fitted distribution: synthetic data from a maximum-likelihood fit have a
#   shrunken covariance, which the error of the mean cannot see. The figures show it minus
#   the truth's entropy (the KL divergence from the truth) on a log axis;
# - a linear regression $y = x^\top w^* + \sigma\varepsilon$ with random inputs, fit by least
#   squares; the generator draws fresh inputs and labels them with its fit plus its
#   estimated noise; scored by the exact test MSE $\lVert \hat w - w^*\rVert^2$;
# - a kernel density estimate with a fixed bandwidth, scored by the NLL of held-out real
#   points.
#
# The language model, the paper's own case, follows in {ref}`value-lm`.
#
# Three flaws of the authors' analysis are fixed. Their real subset was the **first $N$
# rows** of the data set for every seed; here it is random per seed (nested within a seed:
# the first `num_real` of one random permutation, so cells differ by the data added, not by
# a new draw). A `num_real` above what exists is **capped and flagged**, not silently
# reused. And every regression of the loss has an **intercept**:
#
# ```{literalinclude} ../collapse_lib/value.py
# :pyobject: fit_linear
# ```

# %%
TASKS = {
    "gaussian": dict(label=f"Gaussian, d = {p.gaussian_d}", metric="kl", log=True, seeds=p.seeds,
                     ylabel="Gaussian\nKL (nats)", make=value.make_task("gaussian", d=p.gaussian_d)),
    "linear_regression": dict(label=f"Linear regression, d = {p.linreg_d}", metric="test_mse", log=True,
                              seeds=p.seeds, ylabel="regression\ntest MSE",
                              make=value.make_task("linear_regression", d=p.linreg_d, sigma2=p.linreg_sigma2)),
    "kde": dict(label=f"KDE, {p.kde_dataset}, h = {p.kde_h}", metric="test_nll", log=False, seeds=p.kde_seeds,
                ylabel="KDE\nNLL (nats)",
                make=value.make_task("kde", dataset=p.kde_dataset, h=p.kde_h, n_test=p.kde_n_test)),
}
GENERATOR_LABEL = {"pool": f"generator fit on all {p.n_available} real",
                   "subset": "self-augmentation (learner's real)"}

cells = value.grid_cells(p.num_real, p.num_synthetic)
frames = []
with warnings.catch_warnings():
    warnings.simplefilter("ignore", value.CappedWarning)  # reported below from the 'capped' column
    for name, spec in TASKS.items():
        for gen in value.GENERATORS:
            frames.append(value.run_value(spec["make"], cells, seeds=spec["seeds"], n_available=p.n_available,
                                          generator=gen, setting=name))
grid = pd.concat(frames, ignore_index=True)
grid["loss"] = np.nan  # each task's own metric, in one column
for name, spec in TASKS.items():
    grid.loc[grid.setting == name, "loss"] = grid.loc[grid.setting == name, spec["metric"]]
capped = sorted(set(grid.loc[grid.capped, "num_real_requested"]))
# a capped request repeats the cell num_real = n_available: keep each cell once
used = grid.sort_values("capped", kind="stable").drop_duplicates(
    ["setting", "generator", "seed", "num_real", "num_synthetic"]).sort_index()

# %% tags=["remove-input"]
glue("v_seeds", len(p.seeds), display=False)
glue("v_kde_seeds", p.kde_seeds, display=False)
glue("v_n_available", p.n_available, display=False)
glue("v_cells", len(cells), display=False)

# %% tags=["nbval-check-output", "remove-input"]
print(f"{len(cells)} cells (num_real x num_synthetic) x 2 generators x 3 models; "
      f"{len(p.seeds)} seeds ({p.kde_seeds} for the KDE); {p.n_available} real examples exist")
if capped:
    print(f"num_real {capped} asked for more real examples than exist: capped at {p.n_available} "
          f"({int(grid.capped.sum())} rows flagged 'capped'; the figures show them once, at {p.n_available})")
else:
    print("no num_real exceeded the real data that exist")

# %% [markdown]
# ## Loss against the number of real examples
#
# {numref}`fig-value-loss` has one panel per model (rows) and generator (columns), and one
# line per amount of synthetic data (black: none).


# %% tags=["remove-input"] mystnb={"figure": {"caption": "Loss of the learner against the number of real examples, one line per amount of synthetic data (black: none), the mean over seeds with its 95% interval (shaded). Left: the generator saw all the real data; right: only the learner's own real examples (self-augmentation). Rows: the Gaussian (its held-out NLL minus the truth's entropy, the KL from the truth), the linear regression (test MSE), the KDE (held-out NLL); their parameters are those of the chapter's `parameters` cell.", "name": "fig-value-loss"}, "image": {"width": "100%"}}
def loss_vs_real(frame: pd.DataFrame) -> None:
    fig, axes = plt.subplots(len(TASKS), 2, figsize=(7.0, 2.3 * len(TASKS)), sharex=True, sharey="row",
                             squeeze=False, layout="constrained")
    palette = plotting.hue_palette([s for s in p.num_synthetic if s > 0], cmap="viridis")
    palette[0] = (0.0, 0.0, 0.0, 1.0)
    for i, (name, spec) in enumerate(TASKS.items()):
        for j, gen in enumerate(value.GENERATORS):
            ax = axes[i, j]
            part = frame[(frame.setting == name) & (frame.generator == gen)]
            log_y = spec["log"] or bool((part.loss > 0).all())  # an NLL can be negative: then linear
            for ns in sorted(p.num_synthetic):
                plotting.mean_band(ax, part[part.num_synthetic == ns], "loss", x="num_real",
                                   color=palette[ns], label=f"{ns:,}", log=log_y)
            ax.set_xscale("log", base=2)
            if i == 0:
                ax.set_title(GENERATOR_LABEL[gen], fontsize=9)
            if j == 0:
                ax.set_ylabel(spec["ylabel"])
            if i == len(TASKS) - 1:
                ax.set_xlabel("real examples (num_real)")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), title="num_synthetic", loc="outside right center")
    plt.show()


loss_vs_real(used)

# %% [markdown]
# With the generator fit on the pool, synthetic data lower the loss whenever the learner has
# fewer real examples than the generator saw, and the more of them the better: the learner
# inherits the generator's fit. When the learner already has every real example, the same
# synthetic data add only sampling noise and raise the loss. Self-augmentation is different.
# For the Gaussian and the regression it does not help: the synthetic examples are draws
# from the learner's own fit, so pooling them adds noise and no information (for least
# squares this is exact, see the exercises). The KDE is the exception worth remembering: with few real points and a
# small bandwidth the estimate is too rough, and samples from it, which are the real points
# plus kernel noise, smooth it, so self-augmentation *lowers* the NLL there and raises it
# once the bandwidth is no longer too small for the data.
#
# The tables give, for every `num_real`, the amount of synthetic data that lowered the loss
# most ("best s", over the grid's `num_synthetic`) and the change it made, in percent of the loss on
# real data alone: the mean over seeds of the paired difference (the same real subset with
# and without synthetic data) ± the half-width of its 95% interval. "none" means that no
# amount of synthetic data beat real data alone on average; the change is then 0 by
# definition ("—"). Synthetic data *help* where the whole interval is below zero.

# %% tags=["nbval-check-output", "remove-input"]
TASK_LABEL = {"gaussian": "Gaussian (KL)", "linear_regression": "regression (MSE)", "kde": "KDE (NLL)"}
benefit = []
for name, spec in TASKS.items():
    for gen in value.GENERATORS:
        part = used[(used.setting == name) & (used.generator == gen)]
        benefit.append(value.synthetic_benefit(part, spec["metric"]).assign(task=name, generator=gen))
benefit = pd.concat(benefit, ignore_index=True)
n_values = int(used.num_real.nunique())
for gen in value.GENERATORS:
    b = benefit[benefit.generator == gen]
    helped = {name: int(b[b.task == name].helps.sum()) for name in TASKS}
    for name, k in helped.items():
        glue(f"v_help_{name}_{gen}", value.count_text(k, n_values), display=False)
    glue(f"v_help_text_{gen}", f"{value.count_text(helped['gaussian'], n_values, 'values of num_real')} for the "
         f"Gaussian, {value.count_text(helped['linear_regression'], n_values)} for the regression and "
         f"{value.count_text(helped['kde'], n_values)} for the KDE", display=False)
    kde_help = b[(b.task == "kde") & b.helps]
    glue(f"v_kde_help_range_{gen}", f"up to num_real = {int(kde_help.num_real.max()):,}" if len(kde_help)
         else "at no value of num_real", display=False)
glue("v_nr_count", n_values, display=False)
print("Generator fit on all the real data (best s: best num_synthetic; change % ± 95% interval):")
display(value.benefit_wide(benefit[benefit.generator == "pool"], TASK_LABEL))
print("Self-augmentation, the generator fit on the learner's own real examples:")
display(value.benefit_wide(benefit[benefit.generator == "subset"], TASK_LABEL))

# %% [markdown]
# With the generator fit on all the real data (the paper's design), synthetic data helped
# at {glue:text}`v_help_text_pool`; with self-augmentation at
# {glue:text}`v_help_text_subset`.

# %% [markdown]
# (value-lm)=
# ## The language model: the paper's experiment at CPU scale
#
# The paper fine-tunes a pre-trained language model on a mix of real and synthetic
# examples and measures its cross-entropy on real held-out text. The same design runs here
# with the small GPT-2 of {ref}`language-models` (the same pre-trained base, the same King
# James verses as real data, the same example format), through the same loop as the three
# models above (`run_value`). The real data that exist are a fixed set of
# `lm_n_available` verses, one data set for every seed, as a real corpus is. For each
# seed and each cell (`num_real`, `num_synthetic`) of the grid:
#
# 1. the learner's real examples are `num_real` of those verses, a new random subset per
#    seed (nested within a seed);
# 2. a **generator** is fine-tuned from the base and writes synthetic examples at
#    temperature 1, keeping only well-formed ones; the cell takes the first
#    `num_synthetic` of them;
# 3. a **learner** is fine-tuned from the same base on the real plus the synthetic
#    examples and scored by its test loss (nats per token) on held-out real verses.
#
# Which real data the generator saw decides what its samples can carry, so both designs
# run, labelled everywhere:
#
# - **the paper's design: a generator fit on all the real data.** The authors' synthetic
#   examples came from their first model, fine-tuned on the whole real training split: a
#   generator that knows more than a learner given 256 of its examples. Here the generator
#   is fine-tuned on all `lm_n_available` verses.
# - **the contrast: self-augmentation**, a generator fit on the learner's own `num_real`
#   verses, whose samples carry nothing the learner lacks (run where the two differ: for
#   fewer real verses than exist).
#
# Every generator trains `lm_fixed_steps` optimiser steps, so that even a few dozen real
# verses give a model that writes the format. How long the learner trains is the other
# choice that decides the answer, so two learners are trained on every mix:
#
# - **fixed epochs** (`lm_epochs` passes over the training set, the usual recipe): adding
#   synthetic data also adds optimiser steps, so its effect is mixed with that of training
#   longer;
# - **fixed steps** (`lm_fixed_steps` steps whatever the data size, the fixed-compute
#   variant): the same compute in every cell, so a change comes from what the examples
#   are.
#
# The seeds of a fit run as one batched computation ({ref}`language-models`), and each
# (generator, seed) is one unit of the result store, keyed by every argument and by the
# code that computes it: a rebuild reads it back, a change recomputes it.
#
# The book's budget for this grid is four minutes on two CPU cores, and three seeds are
# the fewest that give an interval. Seeds, both generators and both designs were kept (the
# comparisons between them are the lessons of this section), and the data were cut
# instead: `lm_n_available` real verses that exist and at most as many synthetic ones, so
# the paper's cell of 256 real and 1,024 synthetic examples is approached by the grid's
# nearest cell, not run. `params/paper.yml` runs larger grids and more seeds.

# %%
lm = lmvalue.run_lm_value(LM_PARAMS, **LM_ARGS, cache_dir=store.location(p.use_store))
print(f"{len(lm)} rows ({lm.attrs['computed']} grids of a generator and a seed computed, {lm.attrs['cached']} "
      f"read from the store) in {lm.attrs['seconds']:.0f} s")

# %% tags=["remove-input"]
lm_changes = lmvalue.paired_changes(lm)
LM_SEEDS = int(lm.seed.nunique())
LM_DESIGN = {"epochs": f"{p.lm_epochs:g} epoch" + ("" if p.lm_epochs == 1 else "s"),
             "fixed-steps": f"{p.lm_fixed_steps} step" + ("" if p.lm_fixed_steps == 1 else "s")}
LM_AVAILABLE = int(lm.n_available.iloc[0])
glue("v_lm_seeds", LM_SEEDS, display=False)
glue("v_lm_cells", len(lm[lm.generator == "pool"].drop_duplicates(["num_real_requested", "num_synthetic"])),
     display=False)
glue("v_lm_available", f"{LM_AVAILABLE:,}", display=False)
glue("v_lm_fixed_steps", p.lm_fixed_steps, display=False)
glue("v_lm_test", p.lm_n_test, display=False)
glue("v_lm_capped", "Requests above what exists were capped: num_real = "
     + ", ".join(f"{r:,}" for r in lm.attrs["capped"])
     + f" asked for more real verses than the {LM_AVAILABLE:,} that exist, and ran with all of "
     "them (flagged in the results)." if lm.attrs["capped"] else "No num_real exceeded the real verses that exist.",
     display=False)
units = lm.attrs["computed"] + lm.attrs["cached"]
glue("v_lm_cached", "All of them were computed by this build" if lm.attrs["cached"] == 0 else
     "All of them came from the result store" if lm.attrs["computed"] == 0 else
     f"{lm.attrs['cached']} of its {units} units (a generator and a seed) came from the result store", display=False)
acc = lm.dropna(subset=["generator_acceptance"]).drop_duplicates(["generator", "seed", "num_real"])
acc_range = {g: acc[acc.generator == g].generator_acceptance for g in lmvalue.GENERATORS}
glue("v_lm_acceptance", " and ".join(f"{a.min():.0%} to {a.max():.0%} ({'pool' if g == 'pool' else 'self-augmentation'})"
                                     for g, a in acc_range.items() if len(a)) or "not measured", display=False)
steps_ep = lm[lm.design == "epochs"].steps
glue("v_lm_steps_range", f"{int(steps_ep.min())} to {int(steps_ep.max())}" if len(steps_ep) else "–",
     display=False)
glue("v_lm_generator_passes", f"{p.lm_fixed_steps * p.lm_batch_size / LM_AVAILABLE:.1f}", display=False)

# %% [markdown]
# The grid has {glue:text}`v_lm_cells` cells per design and seed, {glue:text}`v_lm_seeds`
# seeds, out of {glue:text}`v_lm_available` real verses that exist; each test loss is
# measured on {glue:text}`v_lm_test` held-out verses. {glue:text}`v_lm_capped` The
# generator fit on all the real data makes {glue:text}`v_lm_generator_passes` passes over
# them. The fixed-epochs learners ran {glue:text}`v_lm_steps_range` optimiser steps, the
# fixed-steps learners {glue:text}`v_lm_fixed_steps` each. Of the generators' documents,
# {glue:text}`v_lm_acceptance` were well-formed. {glue:text}`v_lm_cached`.
#
# {numref}`fig-value-lm` shows what adding synthetic data changed, paired within a seed, and
# the tables below give the losses themselves.

# %% tags=["remove-input"] mystnb={"figure": {"caption": "The language model: change of the test loss (nats per token, on held-out real verses) when synthetic examples are added to `num_real` real ones, against the loss on the same real examples alone (paired within a seed): the mean over seeds with its 95% Student-t interval. Below the dashed line synthetic data helped. Solid: the paper's design, a generator fit on all the real data, with a learner trained for fixed epochs (more data, more steps; circles) or fixed steps (the same compute; squares). Dotted: self-augmentation, a generator fit on the learner's own real verses, fixed steps. One panel per amount of synthetic data.", "name": "fig-value-lm"}}
LM_LINES = [("pool", "epochs", "#0072B2", "-", "o", "all real data, fixed epochs"),
            ("pool", "fixed-steps", "#009E73", "-", "s", "all real data, fixed steps"),
            ("subset", "fixed-steps", "#D55E00", ":", "^", "self-augmentation, fixed steps")]
synth_levels = sorted(s for s in lm.num_synthetic.unique() if s > 0)
fig, axes = plt.subplots(1, len(synth_levels), figsize=(min(7.0, 3.6 * len(synth_levels) + 0.4), 3.0),
                         layout="constrained", squeeze=False)
for ax, s in zip(axes[0], synth_levels):
    for k, (gen, design, color, style, marker, label) in enumerate(LM_LINES):
        part = lm_changes[(lm_changes.generator == gen) & (lm_changes.design == design)
                          & (lm_changes.num_synthetic == s)].sort_values("num_real")
        if part.empty:
            continue
        x = part.num_real * 2 ** (0.06 * (k - 1))  # side by side
        ax.errorbar(x, part.change, yerr=[part.change - part.low.fillna(part.change),
                                          part.high.fillna(part.change) - part.change],
                    color=color, linestyle=style, marker=marker, markersize=4, capsize=3, label=label)
    ax.axhline(0.0, color="0.3", linestyle=(0, (4, 3)), linewidth=1)
    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted(lm.num_real.unique()), [f"{r:,}" for r in sorted(lm.num_real.unique())])
    ax.set_xlabel("real verses (num_real)")
    ax.set_title(f"{s:,} synthetic added", fontsize=9)
axes[0][0].set_ylabel("change of test loss (nats/token)")
fig.legend(*axes[0][0].get_legend_handles_labels(), loc="outside lower center", ncols=2, fontsize=8)
plt.show()

# %% tags=["nbval-check-output", "remove-input"]
print(f"The paper's design (generator fit on all {LM_AVAILABLE:,} real verses): test loss, nats per token, "
      f"mean over {LM_SEEDS} seeds [95% interval]; change: paired, against the same seed without synthetic data")
lmvalue.grid_table(lm, "pool")

# %% tags=["nbval-check-output", "remove-input"]
if (lm.generator == "subset").any():
    print("Self-augmentation (generator fit on the learner's own real verses), the same way")
    display(lmvalue.grid_table(lm, "subset"))

# %% tags=["remove-input"]
lm_cells = lmvalue.summarise_cells(lm).set_index(["generator", "design", "num_real", "num_synthetic"])
lm_ch = lm_changes.set_index(["generator", "design", "num_real", "num_synthetic"])
LM_NR_MAX = int(lm.num_real.max())
lm_nr_ref = lmvalue.nearest([r for r in lm.num_real.unique() if r < LM_NR_MAX] or [LM_NR_MAX], 256)
lm_ns_ref = lmvalue.nearest([s for s in lm.num_synthetic.unique() if s > 0], 1024)
lm_nr_min, lm_ns_max = int(lm.num_real.min()), int(lm.num_synthetic.max())
glue("v_lm_nr_ref", f"{lm_nr_ref:,}", display=False)
glue("v_lm_ns_ref", f"{lm_ns_ref:,}", display=False)
glue("v_lm_nr_max", f"{LM_NR_MAX:,}", display=False)
glue("v_lm_nr_min", f"{lm_nr_min:,}", display=False)
glue("v_lm_ns_max", f"{lm_ns_max:,}", display=False)
VERB = {"helps": "lowered the loss", "hurts": "raised the loss",
        "unclear": "changed the loss by less than its 95% interval can tell from zero"}
AGREE = {"helps": "as in the paper", "hurts": "the opposite of the paper's finding",
         "unclear": "so with these seeds the paper's finding is neither confirmed nor contradicted"}


def change_text(row: pd.Series, digits: int = 3) -> str:
    return lmvalue._signed(stats.Interval(row["change"], row["low"], row["high"], int(row["seeds"]), "t"), digits)


def percent_text(row: pd.Series) -> str:
    f = lambda v: f"{v:+.1f}".replace("-", "−")  # noqa: E731
    if not np.isfinite(row["relative_low"]):
        return f"{f(row['relative'])}%"
    return f"{f(row['relative'])}% [{f(row['relative_low'])}, {f(row['relative_high'])}]"


for gen, design in [(g, d) for g, d, *_ in LM_LINES]:
    key = f"{gen}_{design.replace('-', '_')}"
    if (gen, design, lm_nr_ref, lm_ns_ref) not in lm_ch.index:
        for what in ("before", "after", "ref_change", "ref_rel", "ref_verdict", "agree_small"):
            glue(f"v_lm_{key}_{what}", "not run", display=False)
        continue
    ref = lm_ch.loc[(gen, design, lm_nr_ref, lm_ns_ref)]
    glue(f"v_lm_{key}_before", lm_cells.loc[(gen, design, lm_nr_ref, 0), "interval"].text(3), display=False)
    glue(f"v_lm_{key}_after", lm_cells.loc[(gen, design, lm_nr_ref, lm_ns_ref), "interval"].text(3), display=False)
    glue(f"v_lm_{key}_ref_change", change_text(ref), display=False)
    glue(f"v_lm_{key}_ref_rel", percent_text(ref), display=False)
    glue(f"v_lm_{key}_ref_verdict", VERB[ref["verdict"]], display=False)
    glue(f"v_lm_{key}_agree_small", AGREE[ref["verdict"]], display=False)
plenty = lm_changes[(lm_changes.generator == "pool") & (lm_changes.num_real == LM_NR_MAX)]
for design in lmvalue.DESIGNS:
    rows = plenty[plenty.design == design]
    counts = rows.verdict.value_counts()
    noun = "amounts of synthetic data" if len(rows) != 1 else "amount of synthetic data"
    glue(f"v_lm_{design.replace('-', '_')}_plenty",
         f"raised the loss at {value.count_text(int(counts.get('hurts', 0)), len(rows), noun)} and lowered it at "
         f"{value.count_text(int(counts.get('helps', 0)), len(rows), noun)}" if len(rows) > 1 else
         VERB.get(rows.verdict.iloc[0], "–") if len(rows) else "was not run", display=False)
glue("v_lm_agree_plenty", "as in the paper, where synthetic data almost always hurt with plentiful real data"
     if not (plenty.verdict == "helps").any() and (plenty.verdict == "hurts").any() else
     "unlike the paper, where synthetic data almost always hurt with plentiful real data"
     if (plenty.verdict == "helps").any() else
     "too close to call with these seeds to confirm the paper's finding that synthetic data almost always hurt",
     display=False)
# the compute confound at the fewest real verses and the most synthetic ones (the paper's generator)
paired_cells = lm[(lm.generator == "pool") & (lm.num_real == lm_nr_min)].set_index(
    ["design", "num_synthetic", "seed"]).test_loss.sort_index()
gain = {d: (paired_cells.loc[(d, lm_ns_max)] - paired_cells.loc[(d, 0)]).sort_index() for d in lmvalue.DESIGNS}
share = stats.ratio_of_means(gain["fixed-steps"].to_numpy(), gain["epochs"].to_numpy(), paired=True)
v_ep = lm_ch.loc[("pool", "epochs", lm_nr_min, lm_ns_max), "verdict"]
for design in lmvalue.DESIGNS:
    glue(f"v_lm_{design.replace('-', '_')}_small_change", change_text(lm_ch.loc[("pool", design, lm_nr_min, lm_ns_max)]),
         display=False)
steps_small = lm[lm.generator == "pool"].set_index(["design", "seed", "num_real", "num_synthetic"]).steps
glue("v_lm_steps_small", f"{int(steps_small.loc[('epochs', lm.seed.iloc[0], lm_nr_min, 0)])} to "
     f"{int(steps_small.loc[('epochs', lm.seed.iloc[0], lm_nr_min, lm_ns_max)])}", display=False)


def confound_text() -> str:
    if v_ep != "helps":
        return "at fixed epochs adding synthetic data gave no clear gain to take apart"
    if not share.finite:
        return (f"the share of the fixed-epochs gain that remains at fixed steps is {share.centre:.0%} of it, but "
                "these seeds do not pin it down (its Fieller interval is unbounded)")
    where = f"{share.centre:.0%} [{share.low:.0%}, {share.high:.0%}]"
    if share.low > 1:
        return (f"the gain at fixed steps is larger than at fixed epochs ({where} of it, the ratio of the mean "
                "changes with its Fieller interval): it is not the extra steps; at fixed steps the real-only learner "
                "repeats its few verses many times, and the synthetic ones replace some of those repetitions")
    if share.high < 0.5:
        return (f"at fixed steps only {where} of the gain measured at fixed epochs remains (the ratio of the mean "
                "changes, with its Fieller interval): most of it came from training longer, not from the synthetic "
                "verses")
    if share.low > 0.5:
        return (f"at fixed steps {where} of the gain measured at fixed epochs remains (the ratio of the mean "
                "changes, with its Fieller interval): most of it is the synthetic verses, not the extra steps")
    return (f"at fixed steps {where} of the gain measured at fixed epochs remains (the ratio of the mean changes, "
            "with its Fieller interval): these seeds cannot say whether most of it is the synthetic verses or the "
            "extra steps")


glue("v_lm_confound", confound_text(), display=False)
real_only = lm[(lm.design == "fixed-steps") & (lm.num_real == lm_nr_min) & (lm.num_synthetic == 0)
               & (lm.generator == "pool")]
glue("v_lm_passes", f"{p.lm_fixed_steps * p.lm_batch_size / lm_nr_min:.0f}", display=False)
glue("v_lm_small_train", f"{real_only.train_loss.mean():.2f}", display=False)
glue("v_lm_small_test", f"{real_only.test_loss.mean():.2f}", display=False)

# %% [markdown]
# ## The paper's finding, and this run
#
# The paper (its language model, Gemma-2 fine-tuned on HelpSteer2) reports that with few
# real examples (1024 or fewer) a little synthetic data lowers the test loss, by
# {glue:text}`v_paper_change` with 256 real and 1,024 synthetic examples (the authors'
# figure, read by pixel), and that with plentiful real data synthetic data almost always
# hurt. The table puts this run beside it: the language model at the cell nearest to 256
# real and 1,024 synthetic examples and at the grid's largest `num_real`, under each
# generator, and the three other models likewise, each row naming its generator (all the
# real data, or self-augmentation). Losses are means over seeds with their 95% intervals;
# the change is paired within a seed, in percent of the loss on real data alone.

# %% tags=["nbval-check-output", "remove-input"]
vref = VALUE_REFERENCES[0]
glue("v_paper_change", f"{vref.value:+.1f}% (read as {vref.low:+.1f}% to {vref.high:+.1f}%)".replace("-", "−"),
     display=False)


def paired_row(model: str, m: pd.Series, nr: int, ns: int, digits: int) -> dict[str, Any]:
    """One row of the comparison: loss without and with ns synthetic examples at nr real ones,
    and the paired change in percent (``m`` is indexed by seed, num_real, num_synthetic)."""
    base = m.xs((nr, 0), level=("num_real", "num_synthetic"))
    mixed = m.xs((nr, ns), level=("num_real", "num_synthetic")).reindex(base.index)
    change = stats.mean_interval(100 * (mixed - base) / abs(base.mean()), method="t")
    f = lambda v: f"{v:+.1f}".replace("-", "−")  # noqa: E731
    return {"model": model, "real + synthetic": f"{nr:,} + {ns:,}",
            "loss, real only": stats.mean_interval(base, method="t").text(digits),
            "loss, with synthetic": stats.mean_interval(mixed, method="t").text(digits),
            "change %": f"{f(change.centre)} [{f(change.low)}, {f(change.high)}]" if change.finite else f(change.centre),
            "_change": change.centre}


nr_max = int(used.num_real.max())
nr_ref = lmvalue.nearest([r for r in sorted(used.num_real.unique()) if r < nr_max] or [nr_max], 256)
ns_ref = lmvalue.nearest([s for s in p.num_synthetic if s > 0], 1024)
rows = [{"model": "paper: Gemma-2, generator fit on all real", "real + synthetic": "256 + 1,024",
         "loss, real only": "1.403", "loss, with synthetic": "1.268",
         "change %": f"{vref.value:+.1f} [{vref.low:+.1f}, {vref.high:+.1f}]".replace("-", "−")}]
lm_m = lm.drop_duplicates(["generator", "design", "seed", "num_real", "num_synthetic"])
for gen, design, *_ in LM_LINES:
    m = lm_m[(lm_m.generator == gen) & (lm_m.design == design)].set_index(
        ["seed", "num_real", "num_synthetic"]).test_loss
    label = f"CPU LM, {'all real' if gen == 'pool' else 'self-aug.'}, {LM_DESIGN[design]}"
    for nr in dict.fromkeys((lm_nr_ref, LM_NR_MAX)):
        if (nr, lm_ns_ref) in m.droplevel("seed").index:
            rows.append(paired_row(label, m, nr, lm_ns_ref, 3))
SHORT = {"gaussian": "Gaussian KL", "linear_regression": "regression MSE", "kde": "KDE NLL"}
for name in TASKS:
    for gen in value.GENERATORS:
        m = used[(used.setting == name) & (used.generator == gen)].set_index(["seed", "num_real", "num_synthetic"]).loss
        for which, nr in (("small", nr_ref), ("all", nr_max)):
            row = paired_row(f"{SHORT[name]}, {'all real' if gen == 'pool' else 'self-aug.'}", m, nr, ns_ref, 4)
            glue(f"v_ref_{name}_{gen}_{which}", float(row["_change"]), display=False)
            if gen == "pool" or which == "small":
                rows.append(row)
glue("v_nr_ref", f"{nr_ref:,}", display=False)
glue("v_ns_ref", f"{ns_ref:,}", display=False)
glue("v_nr_max", f"{nr_max:,}", display=False)
glue("v_lm_loss_ratio", f"{lm_cells.loc[('pool', 'fixed-steps', lm_nr_ref, 0), 'mean'] / 1.403:.1f}", display=False)
# the row of the results page: the paper's change beside this grid's (the paper's design, fixed epochs)
value_row = lmclaims.value_claims(claims.Context(), grid=lm).iloc[0]
glue("v_lm_value_verdict", value_row.verdict, display=False)
glue("v_lm_value_detail", value_row.detail, display=False)
paper_table = pd.DataFrame(rows)
paper_table.drop(columns=["_change"]).fillna("").set_index(["model", "real + synthetic"])

# %% [markdown]
# **The language model, scarce real data, the paper's design.** With
# {glue:text}`v_lm_nr_ref` real verses and {glue:text}`v_lm_ns_ref` synthetic ones from the
# generator fit on all the real verses (the cell of the grid nearest to the paper's 256
# real and 1,024 synthetic), the fixed-steps learner's test loss went from
# {glue:text}`v_lm_pool_fixed_steps_before` to {glue:text}`v_lm_pool_fixed_steps_after`
# nats per token, a paired change of {glue:text}`v_lm_pool_fixed_steps_ref_change`
# ({glue:text}`v_lm_pool_fixed_steps_ref_rel`): synthetic data
# {glue:text}`v_lm_pool_fixed_steps_ref_verdict`,
# {glue:text}`v_lm_pool_fixed_steps_agree_small`. At fixed epochs the loss went from
# {glue:text}`v_lm_pool_epochs_before` to {glue:text}`v_lm_pool_epochs_after`
# ({glue:text}`v_lm_pool_epochs_ref_rel`): synthetic data
# {glue:text}`v_lm_pool_epochs_ref_verdict`, {glue:text}`v_lm_pool_epochs_agree_small`.
# Set beside the range read off the authors' figure, this fixed-epochs change (the paper's
# recipe) gives the verdict *{glue:text}`v_lm_value_verdict`* on {ref}`results`
# ({glue:text}`v_lm_value_detail`).
#
# **Self-augmentation, the contrast.** The same cell with a generator fit on the learner's
# own {glue:text}`v_lm_nr_ref` verses, fixed steps: the loss went from
# {glue:text}`v_lm_subset_fixed_steps_before` to
# {glue:text}`v_lm_subset_fixed_steps_after` ({glue:text}`v_lm_subset_fixed_steps_ref_rel`):
# synthetic data {glue:text}`v_lm_subset_fixed_steps_ref_verdict`. The difference between
# the two rows is the lesson: synthetic data can add only what their generator knows and the
# learner does not.
#
# **Plentiful real data.** With the most real verses of the grid
# ({glue:text}`v_lm_nr_max`, all that exist, so both generators saw the same data), adding
# synthetic data {glue:text}`v_lm_fixed_steps_plenty` at fixed steps, and
# {glue:text}`v_lm_epochs_plenty` at fixed epochs: {glue:text}`v_lm_agree_plenty`.
#
# **Compute.** With the fewest real verses ({glue:text}`v_lm_nr_min`), adding
# {glue:text}`v_lm_ns_max` synthetic ones from the generator fit on all the real data
# changed the loss by {glue:text}`v_lm_epochs_small_change` at fixed epochs, where it also
# took the learner from {glue:text}`v_lm_steps_small` optimiser steps, and by
# {glue:text}`v_lm_fixed_steps_small_change` at fixed steps: {glue:text}`v_lm_confound`.
# A design that trains for a fixed number of epochs, as most fine-tuning recipes do, can
# count the effect of training longer as a value of synthetic data; the fixed-steps design
# is the control. At fixed steps the real-only learner of {glue:text}`v_lm_nr_min` verses
# makes {glue:text}`v_lm_passes` passes over the same verses (its training loss ended at
# {glue:text}`v_lm_small_train` nats per token, its test loss is
# {glue:text}`v_lm_small_test`), and synthetic verses replace some of those repetitions by
# new, if imperfect, text.
#
# **What does not compare.** The numbers themselves: the CPU model's loss without
# synthetic data is {glue:text}`v_lm_loss_ratio` times the paper's (a model of a third of
# a million parameters on Bible verses, against Gemma-2 on HelpSteer2 prompts and
# responses), and its generators write "KJV-flavoured" text of little grammatical
# quality, so only the signs and the pattern across the grid are comparable. With
# {glue:text}`v_lm_seeds` seeds the intervals are Student-t intervals with few degrees of
# freedom, wide on purpose; `params/paper.yml` runs more seeds and a larger grid.
#
# **The three other models, each with both generators.** With {glue:text}`v_nr_ref` real
# and {glue:text}`v_ns_ref` synthetic examples from a generator fit on all
# {glue:text}`v_nr_max` real examples (the paper's design), the loss changed by
# {glue:text}`v_ref_gaussian_pool_small:+.1f`% (Gaussian, KL) and
# {glue:text}`v_ref_linear_regression_pool_small:+.1f`% (regression); with all
# {glue:text}`v_nr_max` real examples the same amount of synthetic data changed it by
# {glue:text}`v_ref_gaussian_pool_all:+.1f`%, {glue:text}`v_ref_linear_regression_pool_all:+.1f`%
# and {glue:text}`v_ref_kde_pool_all:+.1f`% (KDE). That is the paper's pattern, for the
# paper's reason: the generator knew more real data than the learner. The paper's
# percentage is a change of a cross-entropy that includes the text's irreducible entropy,
# so only the signs are comparable; the Gaussian's KL is the excess over that entropy, and
# its relative changes are larger.
#
# For the KDE the crossover comes much earlier: with the generator fit on all the real
# data, synthetic data helped {glue:text}`v_kde_help_range_pool`, and changed the loss at
# {glue:text}`v_nr_ref` real examples by {glue:text}`v_ref_kde_pool_small:+.1f`%. A sample
# from a KDE is a training point plus one bandwidth of noise, and the learner puts another
# kernel on it: the synthetic part of its estimate is blurred twice, which costs more than
# it brings once the real points cover the data. Self-augmentation changed the loss at
# {glue:text}`v_nr_ref` real examples by {glue:text}`v_ref_gaussian_subset_small:+.1f`%
# (Gaussian), {glue:text}`v_ref_linear_regression_subset_small:+.1f`% (regression) and
# {glue:text}`v_ref_kde_subset_small:+.1f`% (KDE). Whether synthetic data help is not a
# property of "few" or "many" real examples alone, but of what the generator knows that
# the learner does not, and, for a model trained by steps, of how long it trains.

# %% [markdown]
# ## Cardinality or proportion?
#
# The paper asks whether the loss is governed by the number of real examples (cardinality)
# or by their share of the training set (proportion). In {numref}`fig-value-proportion`
# each point is one cell (mean over seeds), coloured by the training-set size.

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Loss of each cell (mean over seeds) against the real proportion of its training set, coloured by the training-set size, for the three models with the generator fit on all the real data. The same proportion gives very different losses at different sizes.", "name": "fig-value-proportion"}}
fig, axes = plt.subplots(1, len(TASKS), figsize=(7.0, 2.7), layout="constrained")
pool_cells = used[used.generator == "pool"]
totals = sorted(pool_cells.total.unique())
norm = plt.matplotlib.colors.LogNorm(min(totals), max(totals))
for ax, (name, spec) in zip(axes, TASKS.items()):
    means = pool_cells[pool_cells.setting == name].groupby(["num_real", "num_synthetic"], as_index=False).agg(
        loss=("loss", "mean"), prop=("real_proportion", "first"), total=("total", "first"))
    points = ax.scatter(means.prop, means.loss, c=means.total, norm=norm, cmap="viridis_r", s=18)
    ax.set_xlabel("real proportion")
    ax.set_title(spec["label"], fontsize=9)
    if spec["log"] or (means.loss > 0).all():
        ax.set_yscale("log")
axes[0].set_ylabel("loss (as above)")
fig.colorbar(points, ax=axes, label="training-set size")
plt.show()

# %% [markdown]
# The proportion alone does not order the points: the same share of real data gives very
# different losses at different sizes. A single-predictor regression of the cell means (of
# the log loss for the Gaussian and the regression) quantifies this, once with an intercept
# and once through the origin, as the authors fit it. The table gives its $R^2$ for each
# predictor: the number of real examples ($\log_2$), the real proportion, and the
# training-set size ($\log_2$); the language model's rows fit its grid's cell means.

# %% tags=["nbval-check-output", "remove-input"]
PRED = {"log2 num_real": "num_real", "real proportion": "proportion", "log2 total": "size"}
pred = []
for name, spec in TASKS.items():
    for gen in value.GENERATORS:
        part = used[(used.setting == name) & (used.generator == gen)]
        table = value.compare_predictors(part, spec["metric"], log_metric=spec["log"])
        pred.append(table.assign(model=SHORT[name], data="pool" if gen == "pool" else "self-aug."))
        for _, row in table.iterrows():
            key = row.predictor.replace("log2 ", "").replace(" ", "_")
            glue(f"v_r2_{name}_{gen}_{key}", float(row.r2), display=False)
            glue(f"v_r2o_{name}_{gen}_{key}", float(row.r2_no_intercept), display=False)
for design in lmvalue.DESIGNS:
    part = lm_m[(lm_m.design == design) & (lm_m.generator == "pool")]
    if part.num_real.nunique() * part.num_synthetic.nunique() > 2:  # a fit of 2 coefficients needs 3 cells
        table = value.compare_predictors(part, "test_loss")
        pred.append(table.assign(model="CPU LM loss", data=f"pool, {LM_DESIGN[design]}"))
        for _, row in table.iterrows():
            key = row.predictor.replace("log2 ", "").replace(" ", "_")
            glue(f"v_r2_lm_{design.replace('-', '_')}_{key}", float(row.r2), display=False)
pred = pd.concat(pred, ignore_index=True)
pred_table = pred.assign(predictor=pred.predictor.map(PRED)).pivot_table(
    index=["model", "data"], columns="predictor", values=["r2", "r2_no_intercept"], sort=False)
pred_table = pred_table.rename(columns={"r2": "R², with intercept", "r2_no_intercept": "R², through 0"})
pred_table = pred_table.reindex(columns=[(a, b) for a in ("R², with intercept", "R², through 0")
                                         for b in PRED.values()])
pred_table.map(lambda v: f"{v:.2f}")

# %% [markdown]
# With an intercept, the real proportion explains little of the Gaussian's loss under a
# pooled generator ($R^2$ = {glue:text}`v_r2_gaussian_pool_real_proportion:.2f`), the
# training-set size the most ({glue:text}`v_r2_gaussian_pool_total:.2f`); under
# self-augmentation the number of real examples explains nearly all of it
# ({glue:text}`v_r2_gaussian_subset_num_real:.2f`), as it should when synthetic data add
# nothing. Through the origin every $R^2$ is inflated (for the same three fits:
# {glue:text}`v_r2o_gaussian_pool_real_proportion:.2f`,
# {glue:text}`v_r2o_gaussian_pool_total:.2f`,
# {glue:text}`v_r2o_gaussian_subset_num_real:.2f`): without an intercept, $R^2$ measures
# the distance of the loss from zero, not how well a predictor explains its variation, and
# cannot rank predictors. For the language model at fixed steps, the number of real
# verses gives $R^2$ = {glue:text}`v_r2_lm_fixed_steps_num_real:.2f` and the real
# proportion {glue:text}`v_r2_lm_fixed_steps_real_proportion:.2f`; at fixed epochs,
# {glue:text}`v_r2_lm_epochs_num_real:.2f` and {glue:text}`v_r2_lm_epochs_real_proportion:.2f`,
# and the training-set size {glue:text}`v_r2_lm_epochs_total:.2f`, since there the size
# also sets the number of steps.
#
# ```{warning}
# A regression without an intercept forces the fitted loss to 0 when the predictor is 0
# (no real data, or a real share of 0), which no loss does. Its $R^2$ is computed against
# 0 instead of the mean, so it is close to 1 for almost any predictor. Fit an intercept.
# ```

# %% [markdown]
# ## Fixed compute: the same training-set size for every mix
#
# In the grid of the three models, adding synthetic data also makes the training set
# larger, so part of any benefit could come from training on more examples rather than
# from the synthetic data themselves (for the language model the fixed-steps design above
# removes the same confound). The fixed-compute variant removes it: every mix has exactly
# `budget` = {glue:text}`v_budget` examples, a share $p$ of them real
# ({numref}`fig-value-fixed`).

# %%
fc_cells = value.fixed_compute_cells(p.budget, p.real_proportions)
fc_frames = []
for name, spec in TASKS.items():
    for gen in value.GENERATORS:
        these = fc_cells if gen == "pool" else [c for c in fc_cells if c[0] > 0]
        if these:
            fc_frames.append(value.run_value(spec["make"], these, seeds=spec["seeds"], n_available=p.n_available,
                                             generator=gen, setting=name, design="fixed-compute"))
fixed = pd.concat(fc_frames, ignore_index=True)
fixed["loss"] = np.nan
for name, spec in TASKS.items():
    fixed.loc[fixed.setting == name, "loss"] = fixed.loc[fixed.setting == name, spec["metric"]]

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Loss at a fixed training-set size (`budget` examples) against the share of real examples in it, mean over seeds with its 95% interval. Blue, solid: the generator saw all the real data; orange, dashed: the learner's own real examples (self-augmentation, which needs at least one real example, so it has no point at share 0).", "name": "fig-value-fixed"}}
glue("v_budget", p.budget, display=False)
glue("v_pool_over_budget", p.n_available / p.budget, display=False)
fig, axes = plt.subplots(1, len(TASKS), figsize=(7.0, 2.7), layout="constrained")
styles = {"pool": dict(color="#0072B2", linestyle="-"), "subset": dict(color="#D55E00", linestyle="--")}
for ax, (name, spec) in zip(axes, TASKS.items()):
    for gen in value.GENERATORS:
        part = fixed[(fixed.setting == name) & (fixed.generator == gen)]
        plotting.mean_band(ax, part, "loss", x="real_proportion", label=GENERATOR_LABEL[gen], log=spec["log"],
                           **styles[gen])
    ax.set_xlabel("real proportion $p$")
    ax.set_title(spec["label"], fontsize=9)
axes[0].set_ylabel(f"loss, {p.budget} examples")
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=2)
plt.show()

# %% tags=["nbval-check-output", "remove-input"]
fc_means = fixed.groupby(["setting", "generator", "real_proportion"])["loss"].mean().unstack("real_proportion")
best_p = fc_means.idxmin(axis=1)
glue("v_fc_all_real_best", value.count_text(int((best_p == 1.0).sum()), len(best_p), "curves"), display=False)
fc_table = fc_means.map(lambda v: "—" if np.isnan(v) else f"{v:.4g}")
fc_table.index = [f"{SHORT[s]}, {'pool' if g == 'pool' else 'self-aug.'}" for s, g in fc_table.index]
fc_table.columns = [f"p = {c:g}" for c in fc_table.columns]
fc_table.index.name = f"mean loss, {p.budget} examples"
fc_table

# %% [markdown]
# A dash marks a cell that cannot exist: self-augmentation fits its generator on the
# learner's real examples, so a training set with no real example ($p = 0$) has no
# generator. At a fixed training-set size, an all-real training set was best in
# {glue:text}`v_fc_all_real_best`, although the pooled generator had seen
# {glue:text}`v_pool_over_budget:.3g` times as much real data as the budget. The reason:
# `budget` samples of a good generator carry its fit *plus* their own sampling noise, so
# they are worth less than as many real examples. The gains of the grid came from training
# sets made larger by synthetic data, and for these models only when the generator knew
# more than the learner.

# %% [markdown]
# ## The authors' first rows, on a fixed data set
#
# A real corpus is one fixed data set. Taking its first `num_real` rows for every seed, as
# the authors did, makes every seed train on the *same* real examples: the spread over
# seeds then shows only the randomness of sampling synthetic data, and none of the
# variation that comes from which real examples one happens to have. Below, one data set
# (seed {glue:text}`v_pool_seed`) is shared by every repetition, and the Gaussian's loss is
# measured with the first rows and with a random subset per seed.

# %% tags=["nbval-check-output", "remove-input"]
check_cells = [(nr_ref, 0), (nr_ref, ns_ref)]
spread = {}
for how in value.SUBSETS:
    f = value.run_value(TASKS["gaussian"]["make"], check_cells, seeds=p.seeds, n_available=p.n_available,
                        pool_seed=p.shared_pool_seed, subset=how, setting="gaussian")
    spread[how] = f.groupby("num_synthetic")["kl"].agg(["mean", "std"])
spread = pd.concat(spread, names=["real subset"]).unstack("num_synthetic")
glue("v_pool_seed", p.shared_pool_seed, display=False)
glue("v_first_std0", float(spread.loc["first", ("std", 0)]), display=False)
glue("v_random_std0", float(spread.loc["random", ("std", 0)]), display=False)
print(f"Gaussian KL, {nr_ref} real examples from one shared data set of {p.n_available}, {len(p.seeds)} seeds")
spread.columns = [f"{stat}, {ns:,} synthetic" for stat, ns in spread.columns]
spread.map(lambda v: f"{v:.4g}")

# %% [markdown]
# With the first rows, the seeds' standard deviation on real data alone is
# {glue:text}`v_first_std0:.3g` (every seed fits the same points) against
# {glue:text}`v_random_std0:.3g` with a random subset: confidence bands drawn from the
# first-rows runs are far too narrow, and any one cell's result hinges on which rows happen
# to come first in the file.

# %% [markdown]
# ## Summary
#
# - The language model, the paper's experiment at CPU scale, with the paper's design (a
#   generator fit on all the real verses): the fixed-steps learner's loss at
#   {glue:text}`v_lm_nr_ref` real and {glue:text}`v_lm_ns_ref` synthetic verses changed by
#   {glue:text}`v_lm_pool_fixed_steps_ref_rel` (the paper: {glue:text}`v_paper_change` at
#   256 real and 1,024 synthetic), {glue:text}`v_lm_pool_fixed_steps_agree_small`; with
#   self-augmentation, by {glue:text}`v_lm_subset_fixed_steps_ref_rel`. With all the real
#   verses, synthetic data {glue:text}`v_lm_fixed_steps_plenty` at fixed steps,
#   {glue:text}`v_lm_agree_plenty`. With the fewest real verses,
#   {glue:text}`v_lm_confound`.
# - Synthetic data help the three other models when, and because, the generator knows
#   something the learner does not. With a generator fit on all {glue:text}`v_nr_max` real
#   examples (the paper's design), its samples lowered the loss at
#   {glue:text}`v_help_text_pool`, and raised it once the learner had all the real data.
# - Self-augmentation (a generator fit on the learner's own data) cannot add information;
#   it helped at {glue:text}`v_help_text_subset`. The KDE's gains at small `num_real` are
#   smoothing.
# - At a fixed training-set size of {glue:text}`v_budget`, with either generator, all-real
#   data was best in {glue:text}`v_fc_all_real_best`: the benefit of synthetic data in the
#   grid is the benefit of a larger training set.
# - Regressions of the loss need an intercept; without one, every $R^2$ is near 1. Real
#   subsets must be random per seed, and requests beyond the data that exist capped in the
#   open.
#
# ## Exercises
#
# 1. Show that for least squares, self-augmentation can only add noise: if $\hat w$ is the
#    fit on real rows $(X_r, y_r)$ and synthetic rows are $(X_s, X_s\hat w + e)$, then the
#    fit on both is $\hat w + (X_r^\top X_r + X_s^\top X_s)^{-1}X_s^\top e$.
#
# ```{dropdown} Solution
# The normal equations of the pooled fit are
# $(X_r^\top X_r + X_s^\top X_s)\,w = X_r^\top y_r + X_s^\top X_s \hat w + X_s^\top e$.
# Since $\hat w$ solves the real normal equations, $X_r^\top y_r = X_r^\top X_r\hat w$, so
# the right-hand side is $(X_r^\top X_r + X_s^\top X_s)\hat w + X_s^\top e$. Solve. The
# extra term has mean zero and positive variance, so the expected test error can only grow
# (the test `test_regression_self_augmentation_only_adds_noise` checks the noiseless case).
# ```
#
# 2. Why does self-augmentation help the KDE when `num_real` is small? Rerun the chapter
#    with `-p kde_h 0.3`. What changes?
#
# ```{dropdown} Solution
# A synthetic point is a real point plus $\mathcal N(0, h^2 I)$ noise, and the learner
# puts a kernel of width $h$ on it: the synthetic part of the mixture is the real points
# smoothed with bandwidth $h\sqrt 2$. With few points and a small $h$ the KDE is too rough
# (its NLL on held-out points between the training points is large) and the extra
# smoothing helps; a larger bandwidth does the same job directly. With $h = 0.3$ the KDE is
# no longer too rough at small `num_real`, and the gain shrinks or becomes a loss.
# ```
#
# 3. With a generator fit on the pool, what does the learner's loss tend to as
#    `num_synthetic` grows without bound?
#
# ```{dropdown} Solution
# The synthetic examples then dominate the training set, and a consistent fit of infinitely
# many samples from the generator recovers the generator itself (for the KDE: a KDE of the
# generator's samples, which adds one more bandwidth of smoothing). The learner's loss tends
# to the generator's loss, that of a fit on all `n_available` real examples, whatever
# `num_real` is; `test_generator_pool_vs_subset` in `tests/test_value.py` checks this for
# the Gaussian.
# ```
#
# 4. In the language model's fixed-epochs design, how many optimiser steps does the
#    learner of the cell (`num_real`, `num_synthetic`) run, and what does that predict for
#    the cells with the fewest real verses? Rerun with `-p lm_epochs 4` and compare.
#
# ```{dropdown} Solution
# With batches of $B$ examples it runs $\lceil e \lceil (r + s)/B\rceil\rceil$ steps for
# $e$ = `lm_epochs`, $r$ real and $s$ synthetic examples
# (`collapse_lib.settings.lm.value.cell_steps`). With few real verses and no synthetic
# ones that is a handful of steps, too few to move the base far from its pre-training on
# other text; adding synthetic verses multiplies the steps, and part of the loss it
# removes is just the cost of that under-training. More epochs give the real-only learner
# more steps and shrink that part, so the apparent value of synthetic data at small
# `num_real` should fall (and with many epochs on few verses the learner starts to
# overfit, which synthetic data can then counter); the fixed-steps design measures what
# is left.
# ```
#
# ## References
#
# {cite:p}`kazdan2025collapse`, {cite:p}`gerstgrasser2024collapse`,
# {cite:p}`bertrand2024stability`, {cite:p}`silverman1986density`.

# %% [markdown]
# ## Data
#
# The data behind this page's figures and tables, to download: each frame as Parquet and as
# CSV, and the parameters and code fingerprints that made them.

# %% tags=["remove-input"] mystnb={"markdown_format": "myst"}
from collapse_lib import downloads

downloads.offer(globals(), "value_of_synthetic_data")
