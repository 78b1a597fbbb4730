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
# (accumulate)=
# # Accumulate: a sum that converges
#
# Under **Accumulate** each generation trains on everything so far: the real data and
# every synthetic batch. The real share falls as $1/t$ but never reaches zero, and in
# every setting of the paper the error stays bounded. This chapter shows why: the $t$-th
# batch enters the fit with weight $1/t$, so its error enters with weight $1/t^2$, and the
# errors add up to a convergent series whose limit, $\pi^2/6$ times the first fit's error,
# does not depend on the model. It shows where that is exact and where only approximate,
# using the runs of the setting chapters, and what the bound costs in training data.
#
# **Learning objectives**
# - Derive Accumulate's error as the Basel sum $\sum_k 1/k^2$ and its ceiling $\pi^2/6$.
# - Tell where the sum is exact (linear regression), an upper bound (the Gaussian mean), and
#   where another mechanism takes over (discrete, kernel density).
# - Count what the bound costs: generation $t$ trains on $t\,n$ examples.

# %% tags=["parameters"]
params_file = ""  # parameter file the book was built with ("" for the chapters' defaults; e.g. tests/params/smoke.yml)
cost_n = 100  # samples per generation in the compute count (int ≥ 1)
use_store = True  # read the chapters' runs from the result store (_cache/ or $COLLAPSE_STORE); False recomputes
workers = 1  # local worker processes for runs the store lacks (int ≥ 1); the numbers do not depend on it
scheduler = ""  # address of a Dask scheduler such as "tcp://host:8786" ("" runs here)

# %% tags=["remove-input"]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown, display
from matplotlib.ticker import NullFormatter
from myst_nb import glue

import collapse_lib as cl
from collapse_lib import claims, compare, plotting, workflow_pages
from collapse_lib.chapters import chapter_parameters
from collapse_lib.registry import part
from collapse_lib.tables import escape, html_table
from collapse_lib.theory import PI2_OVER_6, basel_partial_sum
from collapse_lib.validation import Bool, Int, Str

p = chapter_parameters(globals(), params_file=Str(), cost_n=Int(1), use_store=Bool(), workers=Int(1),
                       scheduler=Str())
plotting.book_style()
ctx = claims.Context(p.params_file, cl.grid.runner(p.use_store, p.workers, p.scheduler))
glue("a_pi_minus_1", PI2_OVER_6 - 1, display=False)

# %% [markdown]
# ## The $1/k^2$ sum
#
# Take the simplest estimator, a mean. At generation $t$ the pool holds the real batch and
# $t-1$ synthetic batches of $n$ points each, and the fit is their average,
# $\mu_t = \frac1t\sum_{k\le t}\bar x_k$. The newest batch was drawn around the previous
# fit, $\bar x_t = \mu_{t-1} + e_t$, with a sampling error $e_t$ of variance about
# $d\sigma^2/n$, the error of the first fit. Substituting,
#
# ```{math}
# :label: accumulate-step
# \mu_t = \frac{t-1}{t}\,\mu_{t-1} + \frac1t\bigl(\mu_{t-1} + e_t\bigr) = \mu_{t-1} + \frac{e_t}{t}.
# ```
#
# The step is the same random walk as under Replace ({ref}`replace`), but the $t$-th error
# is damped by $1/t$: it is one batch among $t$. The errors are uncorrelated, so
#
# ```{math}
# :label: accumulate-basel
# \mathbb E\,\lVert\mu_t - \mu_0\rVert^2 = \frac{d\sigma^2}{n}\sum_{k=1}^{t}\frac1{k^2}
#   \;\le\; \frac{\pi^2}{6}\,\frac{d\sigma^2}{n},
# ```
#
# Euler's sum of the Basel problem. The bound holds for any estimator that is an average of
# its training examples and whose sampling error does not grow: nothing in
# {eq}`accumulate-basel` depends on the model, only on the weights $1/t$
# {cite:p}`gerstgrasser2024collapse,dey2024universality`. That is the universality: every
# generation after the first can add at most $\pi^2/6 - 1 \approx$
# {glue:text}`a_pi_minus_1:.2f` first fits' worth of error, in total.

# %% [markdown]
# (accumulate-exact)=
# ## Where the sum is exact
#
# Every setting whose error theory bounds this way declares it to the library, with its
# error in units of the first fit's and, where it is known, the exact expectation of that
# ratio. {numref}`fig-accumulate-basel` shows their Accumulate runs, one panel per setting
# and one line per $n$, with the exact expectation dashed in the line's colour, the Basel
# partial sum in black and its limit $\pi^2/6$ in grey.

# %%
bounded = workflow_pages.bound_views(ctx)
exact_runs = pd.concat([runs for _, _, runs, _ in bounded], ignore_index=True)  # the figure's runs, in one frame
glue("a_bound_settings", workflow_pages.join_words([workflow_pages.chapter_of(name).title
                                                    for name, *_ in bounded]), display=False)

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Accumulate in units of the first fit's error, one panel per setting that declares the bound $\\pi^2/6$ and one line per $n$ (mean over seeds, 95% band). Dashed in the line's colour: the exact expectation (theory); black dashed: the Basel partial sum $\\sum_{k\\le t} 1/k^2$; grey: its limit $\\pi^2/6$.", "name": "fig-accumulate-basel"}}
def basel(ax, entry):
    """The Basel partial sum and its limit, on a panel of the bound."""
    runs = entry[2]
    ts = np.arange(1, int(runs.generation.max()) + 1)
    plotting.theory_line(ax, ts, basel_partial_sum(ts), color="k", label="Basel sum to $t$")
    ax.axhline(PI2_OVER_6, color="0.5", lw=0.8, label=r"$\pi^2/6$")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, ncols=2)


fig, axes = workflow_pages.view_figure(bounded, decorate=basel)
plt.show()

# %% tags=["remove-input", "nbval-check-output"]
bound_last = workflow_pages.last_generation(bounded)
T = int(bound_last.t.max())
glue("a_T", T, display=False)
glue("a_basel_T", float(basel_partial_sum(T)), display=False)
glue("a_pi", PI2_OVER_6, display=False)
glue("a_bound_theory", workflow_pages.theory_phrase(bound_last), display=False)
glue("a_bound_span", f"{bound_last['mean'].min():.2f} to {bound_last['mean'].max():.2f}" if len(bound_last) > 1
     else f"{bound_last['mean'].iloc[0]:.2f}", display=False)
glue("a_bound_stored", workflow_pages.stored_phrase(runs for _, _, runs, _ in bounded), display=False)
display(HTML(workflow_pages.last_generation_table(bound_last)))

# %% [markdown]
# The table gives every line at its last generation, $t$ = {glue:text}`a_T` (the Basel
# sum there is {glue:text}`a_basel_T:.3f`, its limit $\pi^2/6 \approx$
# {glue:text}`a_pi:.3f`): the ratio measured in this build, {glue:text}`a_bound_span`,
# beside the exact expectation. {glue:text}`a_bound_theory` {glue:text}`a_bound_stored`
#
# Why the sum is exact in one model and not in another is the difference between the
# generator's noise and the truth's:
#
# - **Exact: linear regression.** On a fixed design the fit on $t$ stacked copies of the
#   design averages the $t$ label vectors, which is {eq}`accumulate-step` word for word with
#   the true noise level in every batch, so the expectation is the Basel sum itself
#   ({ref}`linear-regression`).
# - **Below the sum: the Gaussian mean.** Here the batch's sampling error uses the *fitted*
#   covariance, not the truth. The maximum-likelihood covariance of $n$ points is too small
#   by $(n-1)/n$ in expectation, so each batch is drawn a little too tight and its error is
#   a little smaller than {eq}`accumulate-basel` assumes, the more so the smaller $n$: the
#   exact expectation, a product over the generations ({ref}`gaussian`), settles *below*
#   the Basel sum.
#
# In this build's numbers:

# %% tags=["remove-input"]
display(Markdown(workflow_pages.summary_markdown(bounded)))

# %% [markdown]
# The bound is one on the *expectation*: a single chain can exceed it, and so can a cell
# mean over few seeds. The results page ({ref}`results`) therefore tests it in every cell
# of each setting chapter's grid at once, one-sided, with Holm's correction over the cells:

# %%
bound_runs = {name: ctx.runs(module.CHAPTER, workflows=["accumulate"])
              for name, module in claims.settings_with("BOUND")}
bound_claims = claims.bound_claims(bound_runs)

# %% tags=["remove-input", "nbval-check-output"]
display(HTML(claims.claims_html(bound_claims)))

# %% [markdown]
# ## Where another mechanism takes over
#
# Some models are not an average of a parameter, and {eq}`accumulate-basel` does not apply
# as it stands. Two such mechanisms among the paper's settings:
#
# - **Discrete.** The fitted frequencies are the pooled counts. An outcome present in the
#   real data keeps its real counts forever, so it can never vanish: the number of
#   surviving outcomes is exactly the number the real sample contained, on average
#   $K\bigl(1 - (1 - 1/K)^n\bigr)$. Replace's fixation is impossible.
# - **Kernel density.** The model is the pool of points itself. Each synthetic point carries
#   one more layer of kernel noise than its parent, so the pool's spread keeps growing,
#   but the $t$-th batch moves it only by about $dh^2/t$: a **logarithmic** drift,
#   $\mathrm{spread}_1 + dh^2\log t$, not a bound. Over the paper's 100 generations it is
#   small; it does not stop.
#
# {numref}`fig-accumulate-limits` shows every setting with a view of Accumulate that does
# not declare the bound.

# %%
bound_names = {name for name, _ in claims.settings_with("BOUND")}
others = [entry for entry in claims.workflow_views("accumulate", ctx) if entry[0] not in bound_names]
other_runs = pd.concat([runs for _, _, runs, _ in others], ignore_index=True)  # the figure's runs, in one frame
glue("a_other_settings", workflow_pages.join_words([workflow_pages.chapter_of(name).title
                                                    for name, *_ in others]), display=False)

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Accumulate where the Basel sum does not apply: one panel per setting, one line per $n$ (mean over seeds, 95% band), the closed form dashed in the line's colour. Each panel's title names the mechanism and the cell shown.", "name": "fig-accumulate-limits"}}
fig, axes = workflow_pages.view_figure(others)
plt.show()

# %% tags=["remove-input", "nbval-check-output"]
other_last = workflow_pages.last_generation(others)
glue("a_other_theory", workflow_pages.theory_phrase(other_last), display=False)
display(HTML(workflow_pages.last_generation_table(other_last)))

# %% [markdown]
# The table gives every line at its last generation beside its closed form.
# {glue:text}`a_other_theory` In this build's numbers:

# %% tags=["remove-input"]
display(Markdown(workflow_pages.summary_markdown(others)))

# %% [markdown]
# ## What it costs
#
# The bound is paid for in data. Generation $t$ trains on $t\,n$ examples, against $n$ for
# Replace and Accumulate-Subsample, so after $T$ generations Accumulate has trained on
# $n\,T(T+1)/2$ examples against $n\,T$ (`compare.compute_accounting`). The right panel of
# {numref}`fig-accumulate-cost` puts the Gaussian's error against that count: for the same
# number of examples trained on, Accumulate has run far fewer generations.

# %%
gaussian = part("gaussian", "claims")  # this section counts the Gaussian's examples: its chapter's runs
g_values = ctx.values(gaussian.CHAPTER.chapter)
gauss = ctx.runs(gaussian.CHAPTER, g_values, only=gaussian.VIEWS["accumulate"].cell(g_values))
gauss = gauss.assign(over_first=gaussian.over_first(gauss))
T_g = int(gauss.generation.max())
n_cost = int(min(gauss.n.unique(), key=lambda v: abs(v - p.cost_n)))
cost = compare.compute_accounting(p.cost_n, T_g)
per_wf = gauss[gauss.n == n_cost].merge(compare.compute_accounting(n_cost, T_g), on=["workflow", "generation"])

# %% tags=["remove-input"] mystnb={"figure": {"caption": "What each workflow trains on. Left: examples trained on in generations $1..t$ (log scale), $n$ = the `cost_n` parameter. Right: the Gaussian's mean error in units of the first fit against the examples trained on so far, mean over seeds, for the $n$ of the Gaussian chapter's grid nearest to `cost_n`.", "name": "fig-accumulate-cost"}}
fig, axes = plt.subplots(1, 2, figsize=(plotting.MAX_WIDTH, 3.2), layout="constrained")
for wf in cl.WORKFLOWS:
    style = plotting.WORKFLOW_STYLE[wf]
    kw = dict(color=style["color"], linestyle=style["linestyle"], label=plotting.WORKFLOW_LABEL[wf])
    part_wf = cost[cost.workflow == wf]
    axes[0].plot(part_wf.generation, part_wf.cumulative, **kw)
    mean = per_wf[per_wf.workflow == wf].groupby("cumulative").over_first.mean()
    axes[1].plot(mean.index, mean.to_numpy(), **kw)
axes[0].set_yscale("log")
axes[0].set_xlabel("generation $t$")
axes[0].set_ylabel("examples trained on, $1..t$")
plotting.integer_ticks(axes[0])
axes[1].set_xscale("log")
axes[1].set_yscale("log")
for ax in axes:
    ax.yaxis.set_minor_formatter(NullFormatter())
axes[1].xaxis.set_minor_formatter(NullFormatter())
axes[1].set_xlabel(f"examples trained on so far (n = {n_cost})")
axes[1].set_ylabel("Gaussian error / first fit")
axes[0].legend(fontsize=7)
plt.show()

# %% tags=["remove-input", "nbval-check-output"]
final = cost[cost.generation == T_g].set_index("workflow")


display(HTML(html_table(
    [("workflow", "left"), (f"at t = {T_g}", "right"), ("in total", "right"), ("× Replace", "right")],
    [[escape(plotting.WORKFLOW_LABEL[wf]), f"{final.loc[wf, 'per_generation']:,.0f}",
      f"{final.loc[wf, 'cumulative']:,.0f}", f"{final.loc[wf, 'relative']:.1f}"] for wf in cl.WORKFLOWS])))
glue("a_cost_T", T_g, display=False)
glue("a_cost_factor", float(final.loc["accumulate", "relative"]), display=False)
glue("a_cost_total", f"{final.loc['accumulate', 'cumulative']:,.0f}", display=False)
glue("a_cost_rep", f"{final.loc['replace', 'cumulative']:,.0f}", display=False)
glue("a_cost_n", p.cost_n, display=False)

# %% [markdown]
# With $n$ = {glue:text}`a_cost_n` and {glue:text}`a_cost_T` generations, Accumulate trains on
# {glue:text}`a_cost_total` examples, {glue:text}`a_cost_factor:.1f` times the
# {glue:text}`a_cost_rep` of Replace. For a language model that is a compute cost as much
# as a data cost, which is why the paper also studies Accumulate-Subsample, the fixed-compute
# compromise of {ref}`accumulate-subsample`.
#
# ## Summary
#
# - Under Accumulate the $t$-th batch carries weight $1/t$, so its error carries $1/t^2$
#   {eq}`accumulate-step`: the errors form the Basel series, bounded by $\pi^2/6$ times the
#   first fit's error {eq}`accumulate-basel`, whatever the model.
# - Where a setting declares the bound ({glue:text}`a_bound_settings`), this build
#   measured {glue:text}`a_bound_span` first fits' worth of error at $t$ =
#   {glue:text}`a_T`, against the Basel sum {glue:text}`a_basel_T:.3f`. The sum is exact
#   where the generator's noise is the truth's (linear regression) and an upper bound where
#   the fitted noise shrinks (the Gaussian mean).
# - Where another mechanism takes over ({glue:text}`a_other_settings`): the real counts
#   keep every observed outcome alive in a discrete distribution, and a kernel density's
#   spread drifts logarithmically, slowly and without a ceiling.
# - The price is data: {glue:text}`a_cost_factor:.1f` times Replace's examples over
#   {glue:text}`a_cost_T` generations.
#
# ## Exercises
#
# 1. Show that $\sum_{k\ge2} 1/k^2 = \pi^2/6 - 1$, and interpret it.
#
# ```{dropdown} Solution
# Subtract the $k = 1$ term from Euler's $\sum_{k\ge1} 1/k^2 = \pi^2/6$. It is the total
# error that all synthetic generations together can add, in units of the first fit's: less
# than the first fit's own error.
# ```
#
# 2. Suppose each generation added $m$ synthetic points instead of $n$ (a different mix).
#    What replaces the weights $1/t$?
#
# ```{dropdown} Solution
# The $t$-th batch then has weight $m/(n + (t-1)m)$ in the pool, and its error a variance
# of order $1/m$; the error becomes $\frac{d\sigma^2}{n}\bigl(1 + \sum_{k\ge2}
# \frac{n\,m}{(n + (k-1)m)^2}\bigr)$, still a convergent series: the bound survives any
# fixed batch size, only its constant changes.
# ```
#
# 3. Why does the Gaussian at small $n$ settle *below* the Basel sum rather than above it?
#
# ```{dropdown} Solution
# The variance of the $t$-th batch's mean is $\operatorname{tr}\Sigma_{t-1}/n$, with the
# fitted covariance $\Sigma_{t-1}$. The maximum-likelihood covariance is biased low by
# $(n-1)/n$, and under Accumulate the pooled covariance stays close to that level, so each
# term of the sum is a little smaller than $d\sigma^2/(nk^2)$; the effect is largest at
# small $n$.
# ```
#
# ## References
#
# {cite:p}`kazdan2025collapse`, {cite:p}`gerstgrasser2024collapse`, {cite:p}`dey2024universality`,
# {cite:p}`dohmatob2024model`.

# %% [markdown]
# ## Data
#
# The data behind this page's figures and tables, to download: each frame as Parquet and as
# CSV, and the parameters and code fingerprints that made them.

# %% tags=["remove-input"] mystnb={"markdown_format": "myst"}
from collapse_lib import downloads

downloads.offer(globals(), "accumulate")
