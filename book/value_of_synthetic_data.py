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
# for a language model; here the same experiment runs on a Gaussian, a linear regression and
# a kernel density estimate, with many seeds, and with the flaws of the authors' analysis
# fixed.
#
# **Learning objectives**
# - Run the mixing experiment: a generator fit on real data writes synthetic examples, a
#   learner trains on a mix, and is scored on real held-out data.
# - Explain why synthetic data can only help when the generator knows something the
#   learner does not (more real data, or a useful smoothing), and why it hurts when real
#   data are plentiful.
# - Separate the effect of *more* training data from the effect of *synthetic* training data
#   with a fixed-compute design, and fit regressions of the loss with an intercept.

# %% tags=["parameters"]
seeds = 200  # independent repetitions: an int k (seeds 0..k-1) or a list of ints
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

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display
from myst_nb import glue

from collapse_lib import paper, plotting, value
from collapse_lib.settings.kde import DATASETS, check_bandwidth
from collapse_lib.validation import Choice, Float, FloatList, Int, IntList, ParameterError, Seeds, chapter_parameters

p = chapter_parameters(globals(), seeds=Seeds(), kde_seeds=Int(1), n_available=Int(1), num_real=IntList(1),
                       num_synthetic=IntList(0), gaussian_d=Int(1), linreg_d=Int(1), linreg_sigma2=Float(0.0),
                       kde_dataset=Choice(*DATASETS), kde_h=check_bandwidth, kde_n_test=Int(1), budget=Int(1),
                       real_proportions=FloatList(0.0, 1.0), shared_pool_seed=Int(0))
if 0 not in p.num_synthetic:
    raise ParameterError(f"parameter 'num_synthetic' must include 0 (training on real data alone is "
                         f"the baseline); got {p.num_synthetic}")
if p.budget > p.n_available:
    raise ParameterError(f"parameter 'budget'={p.budget} must be at most n_available={p.n_available} "
                         "(an all-real training set of that size must exist)")
plotting.book_style()

# %% [markdown]
# ## The experiment
#
# For each seed, $N$ = `n_available` real examples exist. A **generator** is fit on real
# data and writes synthetic examples; a **learner** is fit on `num_real` real examples plus
# `num_synthetic` synthetic ones and scored against the real distribution. One question
# the paper leaves implicit matters a great deal: *which real data did the generator see?*
# The paper's synthetic examples come from a separate, fixed synthetic data set written by
# a fine-tuned model; here it is a parameter:
#
# - **generator fit on the pool**: on all $N$ real examples, more than the learner gets.
#   Synthetic data then carry information the learner lacks (a form of distillation).
# - **generator fit on the learner's own real examples** (self-augmentation): synthetic data
#   carry nothing the learner did not already have.
#
# Three tasks, each scored on the real distribution:
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
                     ylabel="NLL − entropy (nats)", make=value.make_task("gaussian", d=p.gaussian_d)),
    "linear_regression": dict(label=f"Linear regression, d = {p.linreg_d}", metric="test_mse", log=True,
                              seeds=p.seeds, ylabel="test MSE",
                              make=value.make_task("linear_regression", d=p.linreg_d, sigma2=p.linreg_sigma2)),
    "kde": dict(label=f"KDE, {p.kde_dataset}, h = {p.kde_h}", metric="test_nll", log=False, seeds=p.kde_seeds,
                ylabel="held-out NLL (nats)",
                make=value.make_task("kde", dataset=p.kde_dataset, h=p.kde_h, n_test=p.kde_n_test)),
}
GENERATOR_LABEL = {"pool": f"generator fit on all {p.n_available} real",
                   "subset": "generator fit on the learner's real"}

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
glue("v_seeds", len(p.seeds), display=False)
glue("v_kde_seeds", p.kde_seeds, display=False)
glue("v_n_available", p.n_available, display=False)
glue("v_cells", len(cells), display=False)

# %% tags=["nbval-check-output"]
print(f"{len(cells)} cells (num_real x num_synthetic) x 2 generators x 3 tasks; "
      f"{len(p.seeds)} seeds ({p.kde_seeds} for the KDE); {p.n_available} real examples exist")
if capped:
    print(f"num_real {capped} asked for more real examples than exist: capped at {p.n_available} "
          f"({int(grid.capped.sum())} rows flagged 'capped'; the figures show them once, at {p.n_available})")
else:
    print("no num_real exceeded the real data that exist")

# %% [markdown]
# ## Loss against the number of real examples
#
# One panel per task (rows) and generator (columns); one line per amount of synthetic data
# (black: none), the mean over seeds with a 95% band.


# %%
def loss_vs_real(frame: pd.DataFrame) -> None:
    fig, axes = plt.subplots(len(TASKS), 2, figsize=(9.5, 2.7 * len(TASKS)), sharex=True, sharey="row",
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
                                   color=palette[ns], label=f"{ns}", log=log_y)
            ax.set_xscale("log", base=2)
            if i == 0:
                ax.set_title(GENERATOR_LABEL[gen])
            if j == 0:
                ax.set_ylabel(f"{spec['label']}\n{spec['ylabel']}")
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
# The table gives, for every `num_real`, the loss on real data alone, the best amount of
# synthetic data and the change it makes (paired within a seed, with a 95% interval);
# `helps` means the whole interval is below zero.

# %% tags=["nbval-check-output"]
benefit = []
for name, spec in TASKS.items():
    for gen in value.GENERATORS:
        part = used[(used.setting == name) & (used.generator == gen)]
        table = value.synthetic_benefit(part, spec["metric"]).assign(task=name, generator=gen)
        benefit.append(table)
        glue(f"v_help_{name}_{gen}", int(table.helps.sum()), display=False)
        glue(f"v_help_max_{name}_{gen}", str(int(table.num_real[table.helps].max())) if table.helps.any()
             else "none (it never helped)", display=False)
benefit = pd.concat(benefit, ignore_index=True)
glue("v_nr_count", int(used.num_real.nunique()), display=False)
cols = ["task", "generator", "num_real", "loss_real_only", "best_num_synthetic", "loss_best", "change", "ci95", "helps"]
with pd.option_context("display.float_format", "{:.4g}".format):
    display(benefit[cols])

# %% [markdown]
# Synthetic data helped at {glue:text}`v_help_gaussian_pool` of the
# {glue:text}`v_nr_count` values of `num_real` for the Gaussian,
# {glue:text}`v_help_linear_regression_pool` for the regression and
# {glue:text}`v_help_kde_pool` for the KDE when the generator saw the whole pool; with
# self-augmentation the counts are {glue:text}`v_help_gaussian_subset`,
# {glue:text}`v_help_linear_regression_subset` and {glue:text}`v_help_kde_subset`.

# %% [markdown]
# ## The paper's finding, and this run
#
# The paper (its language model, Gemma-2 fine-tuned on HelpSteer2) reports that with few
# real examples (1024 or fewer) a little synthetic data lowers the test loss, from
# {glue:text}`v_paper_before` to {glue:text}`v_paper_after` nats per token with 256 real and
# about 1k synthetic examples, and that with plentiful
# real data synthetic data almost always hurt. The same contrast in this run (the cell
# nearest to 256 real and 1024 synthetic in the grid):

# %% tags=["nbval-check-output"]
def nearest(values, target):
    return min(values, key=lambda v: (abs(np.log(v / target)), v))


nr_max = int(used.num_real.max())
nr_ref = nearest([r for r in sorted(used.num_real.unique()) if r < nr_max] or [nr_max], 256)
ns_ref = nearest([s for s in p.num_synthetic if s > 0], 1024)
without, with_ = sorted(paper.VALUE, key=lambda r: r.conditions["num_synthetic"])  # 256 real: 0 and about 1k synthetic
rows = [{"task": "paper: language model", "generator": "fixed synthetic set", "num_real": 256,
         "num_synthetic": 1024, "loss, real only": without.low, "loss, with synthetic": with_.low,
         "change": with_.low - without.low, "change %": 100 * (with_.low / without.low - 1)}]
for name in TASKS:
    for gen in value.GENERATORS:
        part = used[(used.setting == name) & (used.generator == gen)].set_index(["seed", "num_real", "num_synthetic"])
        m = part["loss"]
        for nr in dict.fromkeys((nr_ref, nr_max)):
            base = m.xs((nr, 0), level=("num_real", "num_synthetic"))
            mixed = m.xs((nr, ns_ref), level=("num_real", "num_synthetic"))
            rows.append({"task": name, "generator": gen, "num_real": nr, "num_synthetic": ns_ref,
                         "loss, real only": base.mean(), "loss, with synthetic": mixed.mean(),
                         "change": (mixed - base).mean(), "change %": 100 * (mixed.mean() / base.mean() - 1)})
            for which, ref_nr in (("small", nr_ref), ("all", nr_max)):
                if nr == ref_nr:
                    glue(f"v_ref_{name}_{gen}_{which}", float(100 * (mixed.mean() / base.mean() - 1)), display=False)
paper_table = pd.DataFrame(rows)
glue("v_paper_change", float(100 * (with_.low / without.low - 1)), display=False)
glue("v_paper_before", f"{without.low:.2f}", display=False)
glue("v_paper_after", f"{with_.low:.2f}", display=False)
glue("v_nr_ref", int(nr_ref), display=False)
glue("v_ns_ref", int(ns_ref), display=False)
glue("v_nr_max", nr_max, display=False)
with pd.option_context("display.float_format", "{:.4g}".format):
    display(paper_table)

# %% [markdown]
# **Where this run agrees.** With {glue:text}`v_nr_ref` real and
# {glue:text}`v_ns_ref` synthetic examples from a generator that saw all
# {glue:text}`v_nr_max` real ones, the loss changed by
# {glue:text}`v_ref_gaussian_pool_small:+.1f`% (Gaussian, KL) and
# {glue:text}`v_ref_linear_regression_pool_small:+.1f`% (regression); with all
# {glue:text}`v_nr_max` real examples the same amount of synthetic data changed it by
# {glue:text}`v_ref_gaussian_pool_all:+.1f`%, {glue:text}`v_ref_linear_regression_pool_all:+.1f`%
# and {glue:text}`v_ref_kde_pool_all:+.1f`% (KDE). That is the paper's pattern: synthetic
# data help when real data are scarce and hurt when they are plentiful. (The paper's
# {glue:text}`v_paper_change:+.1f`% is a change of a cross-entropy that includes the text's
# irreducible entropy, so only the signs are comparable; the Gaussian's KL is the excess
# over that entropy, and its relative changes are larger.)
#
# **Where it refines it.** For the KDE the crossover comes much earlier: with the pooled
# generator, synthetic data helped up to `num_real` = {glue:text}`v_help_max_kde_pool` and
# changed the loss at {glue:text}`v_nr_ref` real examples by
# {glue:text}`v_ref_kde_pool_small:+.1f`%. A sample from a KDE is a training point plus one
# bandwidth of noise, and the learner puts another kernel on it: the synthetic part of its
# estimate is blurred twice, which costs more than it brings once the real points cover
# the data. More generally, whether synthetic data help is not a property of "few" or
# "many" real examples alone, but of what the generator knows that the learner does not.
# Self-augmentation changed the loss at {glue:text}`v_nr_ref` real examples by
# {glue:text}`v_ref_gaussian_subset_small:+.1f`% (Gaussian),
# {glue:text}`v_ref_linear_regression_subset_small:+.1f`% (regression) and
# {glue:text}`v_ref_kde_subset_small:+.1f`% (KDE). And for the Gaussian and the regression
# the benefit of a pooled generator grows with the amount of synthetic data instead of
# peaking at "a little": the learner converges to the generator, which is better than its
# own fit.

# %% [markdown]
# ## Cardinality or proportion?
#
# The paper asks whether the loss is governed by the number of real examples (cardinality)
# or by their share of the training set (proportion). Each point below is one cell (mean
# over seeds), coloured by the training-set size.

# %%
fig, axes = plt.subplots(1, len(TASKS), figsize=(11, 3.2), layout="constrained")
pool_cells = used[used.generator == "pool"]
totals = sorted(pool_cells.total.unique())
norm = plt.matplotlib.colors.LogNorm(min(totals), max(totals))
for ax, (name, spec) in zip(axes, TASKS.items()):
    means = pool_cells[pool_cells.setting == name].groupby(["num_real", "num_synthetic"], as_index=False).agg(
        loss=("loss", "mean"), prop=("real_proportion", "first"), total=("total", "first"))
    points = ax.scatter(means.prop, means.loss, c=means.total, norm=norm, cmap="viridis_r", s=22)
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
# and once through the origin, as the authors fit it:

# %% tags=["nbval-check-output"]
pred = []
for name, spec in TASKS.items():
    for gen in value.GENERATORS:
        part = used[(used.setting == name) & (used.generator == gen)]
        table = value.compare_predictors(part, spec["metric"], log_metric=spec["log"]).assign(task=name, generator=gen)
        pred.append(table)
        for _, row in table.iterrows():
            key = row.predictor.replace("log2 ", "").replace(" ", "_")
            glue(f"v_r2_{name}_{gen}_{key}", float(row.r2), display=False)
            glue(f"v_r2o_{name}_{gen}_{key}", float(row.r2_no_intercept), display=False)
pred = pd.concat(pred, ignore_index=True)
with pd.option_context("display.float_format", "{:.3f}".format):
    display(pred[["task", "generator", "predictor", "slope", "intercept", "r2", "r2_no_intercept"]])

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
# cannot rank predictors.
#
# ```{warning}
# A regression without an intercept forces the fitted loss to 0 when the predictor is 0
# (no real data, or a real share of 0), which no loss does. Its $R^2$ is computed against
# 0 instead of the mean, so it is close to 1 for almost any predictor. Fit an intercept.
# ```

# %% [markdown]
# ## Fixed compute: the same training-set size for every mix
#
# In the grid above, adding synthetic data also makes the training set larger, so part of
# any benefit could come from training on more examples (for the language model: more
# optimisation steps) rather than from the synthetic data themselves. The fixed-compute
# variant removes that confound: every mix has exactly `budget` =
# {glue:text}`v_budget` examples, a share $p$ of them real.

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
glue("v_budget", p.budget, display=False)
glue("v_pool_over_budget", p.n_available / p.budget, display=False)

fig, axes = plt.subplots(1, len(TASKS), figsize=(11, 3.2), layout="constrained")
styles = {"pool": dict(color="#0072B2", linestyle="-"), "subset": dict(color="#D55E00", linestyle="--")}
for ax, (name, spec) in zip(axes, TASKS.items()):
    for gen in value.GENERATORS:
        part = fixed[(fixed.setting == name) & (fixed.generator == gen)]
        plotting.mean_band(ax, part, "loss", x="real_proportion", label=GENERATOR_LABEL[gen], log=spec["log"],
                           **styles[gen])
    ax.set_xlabel("real proportion $p$")
    ax.set_title(spec["label"], fontsize=9)
axes[0].set_ylabel(f"loss, {p.budget} examples")
axes[-1].legend(fontsize=7)
plt.show()

# %% tags=["nbval-check-output"]
fc_table = fixed.groupby(["setting", "generator", "real_proportion"])["loss"].mean().unstack("real_proportion")
best_p = fc_table.idxmin(axis=1)
all_real_best = int((best_p == 1.0).sum())
glue("v_fc_all_real_best", all_real_best, display=False)
glue("v_fc_curves", len(best_p), display=False)
print(f"mean loss at a fixed training-set size of {p.budget} (columns: real proportion)")
print("best real proportion:", {f"{k[0]}/{k[1]}": float(v) for k, v in best_p.items()})
with pd.option_context("display.float_format", "{:.4g}".format):
    display(fc_table)

# %% [markdown]
# At a fixed training-set size, an all-real training set was best in
# {glue:text}`v_fc_all_real_best` of the {glue:text}`v_fc_curves` curves, although the
# pooled generator had seen {glue:text}`v_pool_over_budget:.3g` times as much real data as
# the budget. The reason: `budget` samples of a good generator carry its fit *plus* their
# own sampling noise, so they are worth less than as many real examples. The gains of the
# grid came from training sets made larger by synthetic data, and for the parametric tasks
# only when the generator knew more than the learner. For a language
# model, whose loss also depends on the number of optimisation steps, this is the control
# that would tell a benefit of synthetic data from a benefit of longer training.

# %% [markdown]
# ## The authors' first rows, on a fixed data set
#
# A real corpus is one fixed data set. Taking its first `num_real` rows for every seed, as
# the authors did, makes every seed train on the *same* real examples: the spread over
# seeds then shows only the randomness of sampling synthetic data, and none of the
# variation that comes from which real examples one happens to have. Below, one data set
# (seed {glue:text}`v_pool_seed`) is shared by every repetition, and the Gaussian's loss is
# measured with the first rows and with a random subset per seed.

# %% tags=["nbval-check-output"]
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
with pd.option_context("display.float_format", "{:.4g}".format):
    display(spread)

# %% [markdown]
# With the first rows, the seeds' standard deviation on real data alone is
# {glue:text}`v_first_std0:.3g` (every seed fits the same points) against
# {glue:text}`v_random_std0:.3g` with a random subset: confidence bands drawn from the
# first-rows runs are far too narrow, and any one cell's result hinges on which rows happen
# to come first in the file.
#
# ```{note}
# The language-model version of this experiment, the paper's own, is not run here. Every
# cell is a fine-tuning run, and a grid of {glue:text}`v_cells` cells with several seeds
# takes far longer on two CPU cores than this chapter's budget of a minute or two.
# `collapse_lib.value.run_value` is written for any task with the four methods of
# {ref}`workflows`, but it has not been run with the language-model task in this book.
# ```

# %% [markdown]
# ## Summary
#
# - Synthetic data help when, and because, the generator knows something the learner does
#   not. Fit on all {glue:text}`v_nr_max` real examples, the generator's samples lowered
#   the loss at {glue:text}`v_help_gaussian_pool`, {glue:text}`v_help_linear_regression_pool`
#   and {glue:text}`v_help_kde_pool` of {glue:text}`v_nr_count` values of `num_real`
#   (Gaussian, regression, KDE) and raised it once the learner had all the real data, as
#   the paper found for its language model.
# - Self-augmentation (a generator fit on the learner's own data) cannot add information;
#   it helped the Gaussian and the regression at {glue:text}`v_help_gaussian_subset` and
#   {glue:text}`v_help_linear_regression_subset` values of `num_real`. The KDE's gains at
#   small `num_real` ({glue:text}`v_help_kde_subset` values) are smoothing.
# - At a fixed training-set size of {glue:text}`v_budget`, all-real data was best in
#   {glue:text}`v_fc_all_real_best` of {glue:text}`v_fc_curves` cases: the benefit of
#   synthetic data in the grid is the benefit of a larger training set.
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
# ## References
#
# {cite:p}`kazdan2025collapse`, {cite:p}`gerstgrasser2024collapse`,
# {cite:p}`bertrand2024stability`, {cite:p}`silverman1986density`.
