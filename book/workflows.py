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
# (workflows)=
# # Three ways to feed a model its own data
#
# A generative model is fit, sampled, and refit on its samples, generation after
# generation. Whether it collapses depends less on the model than on **what each
# generation trains on**. This chapter defines the three workflows of
# {cite:t}`kazdan2025collapse`, shows the one loop in `collapse_lib` that runs them all,
# and runs the smallest possible example, a one-dimensional Gaussian, where the
# difference is already plain to see.
#
# **Learning objectives**
# - State what Replace, Accumulate and Accumulate-Subsample train on at generation $t$,
#   and the share of real data in each.
# - Read the generation loop of `collapse_lib` and know which line is the workflow.
# - Predict, before running it, which workflow lets a fitted Gaussian drift away from the
#   truth, and by how much.

# %% tags=["parameters"]
n_generations = 50  # generations T (int ≥ 1); t 1 is the fit on the real data
seeds = 4000  # independent chains: an int k (seeds 0..k-1) or a list of ints
n = 20  # samples per generation (int ≥ 2)
sigma2 = 1.0  # variance of the true distribution N(0, sigma2) (float > 0)
bars_generations = 6  # generations drawn in the composition figure (int ≥ 1)
real_mixes = [0.1, 0.5]  # real share kept by the "mixing" option (list of floats in [0, 1])
mix_seeds = 200  # seeds of each "mixing" variant (int ≥ 1; they run the point-by-point loop, slower)

# %% tags=["remove-input"]
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, display
from myst_nb import glue

import collapse_lib as cl
from collapse_lib import plotting, stats, theory
from collapse_lib.chapters import chapter_parameters
from collapse_lib.tables import escape, format_value, html_table, nowrap, small
from collapse_lib.validation import Float, FloatList, Int, Seeds
from collapse_lib.workflow_pages import METHOD_LABEL

p = chapter_parameters(globals(), n_generations=Int(1), seeds=Seeds(), n=Int(2),
                       sigma2=Float(0.0, strict_minimum=True), bars_generations=Int(1),
                       real_mixes=FloatList(0.0, 1.0), mix_seeds=Int(1))
plotting.book_style()

# %% [markdown]
# ## The loop
#
# Start from $n$ real samples. At every generation $t = 1, \dots, T$: fit a model to the
# current training set, measure it against the *real* distribution, draw $n$ synthetic
# samples from it, and decide what the next generation trains on. Generation 1 always fits
# the real data alone; every later generation adds exactly $n$ new synthetic points.
#
# - **Replace** throws the old data away: generation $t$ trains only on the $n$ samples of
#   model $t-1$. This is the setting of most early model-collapse papers
#   {cite:p}`shumailov2024curse`, and it collapses.
# - **Accumulate** keeps everything: generation $t$ trains on the $n$ real points and all
#   $(t-1)\,n$ synthetic ones. The real share is exactly $1/t$, but it never reaches zero,
#   and the error stays bounded {cite:p}`gerstgrasser2024collapse`.
# - **Accumulate-Subsample** keeps everything but trains on a fixed budget: $n$ points
#   drawn without replacement from the whole pool, afresh each generation. Compute per
#   generation is the same as Replace; the real share is $1/t$ in expectation. It
#   degrades slowly and then plateaus {cite:p}`kazdan2025collapse`.
#
# {numref}`fig-wf-composition` shows what each generation trains on, and the table below
# it the share of real data.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "What generation $t$ trains on under each workflow (expected counts): real data in black, the samples of earlier models in grey, darker for newer models.", "name": "fig-wf-composition"}, "image": {"alt": "Stacked bars of training data by source, three workflows"}}
fig, axes = plt.subplots(1, 3, figsize=(plotting.MAX_WIDTH, 2.4), sharey=True, layout="constrained")
for ax, wf in zip(axes, cl.WORKFLOWS):
    plotting.composition_bars(ax, wf, p.n, p.bars_generations)
axes[0].set_ylabel("training examples")
plt.show()

# %% tags=["hide-input"]
shares = pd.DataFrame(
    {plotting.WORKFLOW_LABEL[wf]: [f"{100 * cl.real_share(wf, t):.0f}%" for t in range(1, 6)]
     for wf in cl.WORKFLOWS},
    index=[f"t = {t}" for t in range(1, 6)],
)
shares.T

# %% [markdown]
# Here is the loop itself, exactly as the library runs it for every setting that has no
# faster special case (and as the fast paths are tested against):
#
# ```{literalinclude} ../collapse_lib/workflows.py
# :pyobject: run_chain
# ```
#
# and the one place where the workflows differ, the choice of the training set:
#
# ```{literalinclude} ../collapse_lib/workflows.py
# :pyobject: TrainingPool.training_set
# ```
#
# Two details matter for faithful reproduction. The real data of a seed come from their
# own random stream (`seed_rngs`), so all three workflows start from the same real sample
# and their generation-1 fits coincide. And metrics are always taken against the true
# distribution (or real held-out data), never against the previous generation.

# %% [markdown]
# ## A one-dimensional Gaussian
#
# The simplest model: fit the mean and the variance (maximum likelihood, dividing by the
# number of points) of $n$ numbers, sample $n$ new numbers, repeat. The truth is
# $\mathcal N(0, \sigma^2)$. We track the squared error of the fitted mean,
# $\lVert\mu_t - \mu_0\rVert^2$, and the fitted variance relative to the truth.

# The chains are cheap, so this runs {glue:text}`wf_seeds` of them per workflow: with
# fewer, the heavy tail of Replace's error (a few chains wander far) makes its mean scatter
# widely around the theory. {numref}`fig-wf-gaussian` shows the result.

# %%
frames = [cl.simulate("gaussian", wf, n_generations=p.n_generations, seeds=p.seeds,
                      d=1, n=p.n, sigma2=p.sigma2) for wf in cl.WORKFLOWS]
one_d = pd.concat(frames, ignore_index=True)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "A one-dimensional Gaussian under the three workflows. Left: squared error of the fitted mean; right: fitted variance relative to the truth. Mean over seeds with its 95% interval (shaded); theory dashed (Replace and Accumulate; none is known for Accumulate-Subsample).", "name": "fig-wf-gaussian"}, "image": {"alt": "Mean error and fitted variance of a one-dimensional Gaussian, three workflows"}}
fig, axes = plt.subplots(1, 2, figsize=(plotting.MAX_WIDTH, 2.9), layout="constrained")
plotting.compare_workflows(axes[0], one_d, "mean_sq_error", theory="gaussian")
axes[0].set_ylabel(r"$\|\mu_t-\mu_0\|^2$")
plotting.compare_workflows(axes[1], one_d, "cov_trace_ratio", theory="gaussian")
axes[1].set_ylabel(r"$\sigma_t^2/\sigma^2$")
axes[1].set_ylim(bottom=0)
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=4)
plt.show()

# %% tags=["remove-input", "nbval-check-output"]
T = p.n_generations
first_fit = float(theory.expected("gaussian", "mean_sq_error", "replace", 1, d=1, n=p.n, sigma2=p.sigma2))
rows = []
for wf in cl.WORKFLOWS:
    last = one_d[(one_d.workflow == wf) & (one_d.generation == T)]
    err = stats.mean_interval(last.mean_sq_error)  # a bootstrap that covers where the seeds are heavy-tailed
    expected = theory.expected("gaussian", "mean_sq_error", wf, T, d=1, n=p.n, sigma2=p.sigma2)
    expected = None if expected is None else float(expected)
    variance = float(last.cov_trace_ratio.mean())
    key = wf.replace("-", "_")
    glue(f"wf_mse_{key}", err.centre, display=False)
    glue(f"wf_lo_{key}", err.low, display=False)
    glue(f"wf_hi_{key}", err.high, display=False)
    glue(f"wf_ratio_{key}", err.centre / first_fit, display=False)
    glue(f"wf_var_{key}", variance, display=False)
    if expected is not None:
        glue(f"wf_{key}_theory", expected, display=False)
        glue(f"wf_{key}_theory_ratio", expected / first_fit, display=False)
    rows.append([escape(plotting.WORKFLOW_LABEL[wf]),
                 nowrap(format_value(err.centre)) + small(f"[{format_value(err.low)}, {format_value(err.high)}]",
                                                          wrap=False) + small(METHOD_LABEL[err.method], wrap=False),
                 format_value(expected) if expected is not None else "–",
                 format_value(err.centre / first_fit), format_value(variance)])
glue("wf_T", T, display=False)
glue("wf_seeds", len(p.seeds), display=False)
glue("wf_pi2_6", theory.PI2_OVER_6, display=False)
display(HTML(html_table([("workflow", "left"), ("error, 95% interval", "right"), ("theory", "right"),
                         ("÷ first fit", "right"), ("variance", "right")], rows)))

# %% [markdown]
# The table gives the last generation, $t =$ {glue:text}`wf_T`: the error of the fitted
# mean (the mean over {glue:text}`wf_seeds` seeds, its 95% interval and the closed form),
# the same error in units of the first fit's ($\sigma^2/n$), and the fitted variance
# relative to the truth. Under
# Replace the error of the fitted mean is {glue:text}`wf_ratio_replace:.1f` times the
# first fit's: {glue:text}`wf_mse_replace:.3f` measured (95% interval
# {glue:text}`wf_lo_replace:.3f` to {glue:text}`wf_hi_replace:.3f`) against
# {glue:text}`wf_replace_theory:.3f` in theory. It is
# {glue:text}`wf_ratio_accumulate_subsample:.2f` times under Accumulate-Subsample, and
# {glue:text}`wf_ratio_accumulate:.2f` times under Accumulate (theory
# {glue:text}`wf_accumulate_theory:.4f`, or {glue:text}`wf_accumulate_theory_ratio:.2f`
# first fits, below the $\pi^2/6 \approx$ {glue:text}`wf_pi2_6:.3f` ceiling). The fitted variance tells the same story from the
# other side: under Replace it has shrunk to {glue:text}`wf_var_replace:.2f` of the truth,
# under Accumulate it is {glue:text}`wf_var_accumulate:.2f`.
#
# ```{tip}
# The dashed lines are closed forms, not fits. Why Replace's error *saturates* at
# $d\sigma^2$ instead of growing linearly, and where $\pi^2/6$ comes from, is the subject of
# the next chapter, {ref}`gaussian`.
# ```

# %% [markdown]
# ## Beyond the paper: a fixed real share, fresh real data
#
# Two variations are options of the same loop (`real_mix`, `fresh_real` in
# `collapse_lib.simulate`). With `real_mix = ρ`, every generation of a fixed-size workflow
# trains on $\rho n$ real points (a random subset of the original $n$) and $(1-\rho)n$
# synthetic ones; with `fresh_real=True` the real part is a new draw from the truth each
# generation, as if the world kept producing data. Even a small fixed real share stops
# Replace's drift ({numref}`fig-wf-mixing`).

# %%
variants = {"Replace": dict(workflow="replace")}
for rho in p.real_mixes:
    variants[f"Replace, real_mix = {rho:g}"] = dict(workflow="replace", real_mix=rho)
    variants[f"Replace, real_mix = {rho:g}, fresh"] = dict(workflow="replace", real_mix=rho, fresh_real=True)
variants["Accumulate"] = dict(workflow="accumulate")
mix_frames = []
for label, kw in variants.items():
    kw = dict(kw)
    wf = kw.pop("workflow")
    f = cl.simulate("gaussian", wf, n_generations=p.n_generations, seeds=p.seeds[:p.mix_seeds], d=1,
                    n=p.n, sigma2=p.sigma2, **kw)
    mix_frames.append(f.assign(variant=label))
mixes = pd.concat(mix_frames, ignore_index=True)
glue("wf_mix_seeds", len(p.seeds[:p.mix_seeds]), display=False)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Replace with a fixed share of real data in every training set (`real_mix`), reused from the original sample (solid) or drawn fresh each generation (dashed), beside plain Replace and Accumulate: geometric mean over seeds of the squared error of the fitted mean, with its 95% interval.", "name": "fig-wf-mixing"}, "image": {"alt": "Mean error under Replace with a fixed real share, fresh or reused"}}
mix_colours = plotting.hue_palette(p.real_mixes, cmap="viridis")
fig, ax = plt.subplots(figsize=(plotting.MAX_WIDTH, 3.2), layout="constrained")
for label, kw in variants.items():
    if "real_mix" in kw:
        style = {"color": mix_colours[kw["real_mix"]], "linestyle": "--" if kw.get("fresh_real") else "-"}
    else:
        style = {k: plotting.WORKFLOW_STYLE[kw["workflow"]][k] for k in ("color", "linestyle")}
    plotting.mean_band(ax, mixes[mixes.variant == label], "mean_sq_error", label=label, log=True,
                       geometric=True, alpha=0.12, **style)
ax.set_ylabel(r"$\|\mu_t-\mu_0\|^2$ (geometric mean)")
ax.set_xlabel("generation $t$")
fig.legend(*ax.get_legend_handles_labels(), loc="outside right center")
plt.show()

# %% [markdown]
# ## Summary
#
# - The workflow is a rule for the training set: the newest synthetic data (Replace),
#   everything (Accumulate), or a fixed-size random subset of everything
#   (Accumulate-Subsample).
# - Under Accumulate the real share falls as $1/t$ but never reaches zero; under
#   Replace it is zero from generation 2.
# - In one dimension, Replace's error grew to {glue:text}`wf_ratio_replace:.1f` times the
#   first fit's, Accumulate's stayed at {glue:text}`wf_ratio_accumulate:.2f` times, and
#   Accumulate-Subsample's sat between, at {glue:text}`wf_ratio_accumulate_subsample:.2f`.
#
# ## Exercises
#
# 1. Under Accumulate-Subsample, what is the probability that a given real point is in the
#    training set of generation $t$?
#
# ```{dropdown} Solution
# The pool holds $tn$ points and $n$ are drawn without replacement, so each point,
# real or synthetic, is included with probability $n/(tn) = 1/t$. The expected number of
# real points in the training set is $n/t$: the same real share as Accumulate, in
# expectation, for a $t$ times smaller training set.
# ```
#
# 2. Re-run this chapter with `papermill ... -p n 200`. Which curves move, and by how much?
#
# ```{dropdown} Solution
# Every error scales with $\sigma^2/n$, so all mean-error curves drop by a factor 10; the
# *ratios* to the first fit hardly move. Replace's variance decays more slowly, as
# $((n-1)/n)^t$, so its saturation is pushed to $t \gg n$.
# ```
#
# 3. With `real_mix`, how small can the real share be and still keep the error bounded?
#
# ```{dropdown} Solution
# Any fixed $\rho > 0$ bounds it: each generation's mean is then a mixture that
# pulls a fixed fraction $\rho$ of the way back towards the real sample, so the error is
# a geometric series. Smaller $\rho$ gives a higher (but finite) plateau, which the figure
# above shows for the values of `real_mixes`.
# ```
#
# ## References
#
# {cite:p}`kazdan2025collapse`, {cite:p}`gerstgrasser2024collapse`,
# {cite:p}`shumailov2024curse`, {cite:p}`dey2024universality`.

# %% [markdown]
# ## Data
#
# The data behind this page's figures and tables, to download: each frame as Parquet and as
# CSV, and the parameters and code fingerprints that made them.

# %% tags=["remove-input"] mystnb={"markdown_format": "myst"}
from collapse_lib import downloads

downloads.offer(globals(), "workflows")
