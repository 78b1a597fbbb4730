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
# - Tell where the sum is exact (linear regression), approximate (the Gaussian mean), and
#   where another mechanism takes over (discrete, kernel density).
# - Count what the bound costs: generation $t$ trains on $t\,n$ examples.

# %% tags=["parameters"]
params_file = ""  # parameter file the book was built with ("" for the chapters' defaults; e.g. tests/params/smoke.yml)
gaussian_d = 10  # dimension of the Gaussian cells shown (int ≥ 1; one of the Gaussian chapter's ds)
linreg_d = 10  # coefficients of the regression cells shown (int ≥ 1; one of the regression chapter's ds)
kde_dataset = "moons"  # KDE data set shown (one of the KDE chapter's datasets)
kde_h = 0.5  # KDE bandwidth shown (float > 0; one of the KDE chapter's bandwidths)
cost_n = 100  # samples per generation in the compute count (int ≥ 1)
use_store = True  # read the chapters' runs from the result store (_cache/ or $COLLAPSE_STORE); False recomputes
workers = 1  # local worker processes for runs the store lacks (int ≥ 1); the numbers do not depend on it
scheduler = ""  # address of a Dask scheduler such as "tcp://host:8786" ("" runs here)

# %% tags=["remove-input"]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, display
from matplotlib.ticker import NullFormatter
from myst_nb import glue

import collapse_lib as cl
from collapse_lib import claims, compare, plotting, theory
from collapse_lib.chapters import chapter_parameters
from collapse_lib.paper import format_value
from collapse_lib.validation import Bool, Float, Int, Str

p = chapter_parameters(globals(), params_file=Str(), gaussian_d=Int(1), linreg_d=Int(1), kde_dataset=Str(),
                       kde_h=Float(0.0, strict_minimum=True), cost_n=Int(1), use_store=Bool(), workers=Int(1),
                       scheduler=Str())
values = claims.workflow_chapter_values(p.params_file, gaussian_d=p.gaussian_d, linreg_d=p.linreg_d,
                                        kde_dataset=p.kde_dataset, kde_h=p.kde_h)
plotting.book_style()
run = cl.grid.runner(p.use_store, p.workers, p.scheduler)
glue("a_pi_minus_1", theory.PI2_OVER_6 - 1, display=False)

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
# The Accumulate runs of the Gaussian and regression chapters, in units of each cell's
# first-fit error, one line per $n$, with the Basel partial sum and the ceiling $\pi^2/6$
# ({numref}`fig-accumulate-basel`).

# %%
gauss = claims.chapter_runs("gaussian", values["gaussian"], only={"d": [p.gaussian_d]}, **run)
linreg = claims.chapter_runs("linear_regression", values["linear_regression"],
                             only={"d": [p.linreg_d], "sigma2": [values["linear_regression"]["sigma2s"][0]]},
                             workflows=["accumulate"], **run)
gauss["over_first"] = gauss.mean_sq_error / (gauss.d * gauss.sigma2 / gauss.n)
linreg = linreg[linreg.n >= linreg.d + 2].copy()  # where the regression's mean error is finite
linreg["over_first"] = linreg.test_mse / (linreg.sigma2 * linreg.d / (linreg.n - linreg.d - 1))
g_acc = gauss[gauss.workflow == "accumulate"]

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Accumulate in units of the first fit's error, one line per $n$ (mean over seeds, 95% band). Left: Gaussian mean error; right: linear-regression test MSE. Black dashed: the Basel partial sum $\\sum_{k\\le t} 1/k^2$; grey: its limit $\\pi^2/6$.", "name": "fig-accumulate-basel"}}
fig, axes = plt.subplots(1, 2, figsize=(plotting.MAX_WIDTH, 3.2), layout="constrained", sharey=True)
for ax, frame, title in ((axes[0], g_acc, f"Gaussian, d = {p.gaussian_d}"),
                         (axes[1], linreg, f"Linear regression, d = {p.linreg_d}")):
    for n_val, colour in plotting.hue_palette(frame.n.unique()).items():
        plotting.mean_band(ax, frame[frame.n == n_val], "over_first", color=colour, label=f"n = {n_val}")
    ts = np.arange(1, int(frame.generation.max()) + 1)
    plotting.theory_line(ax, ts, theory.basel_partial_sum(ts), color="k", label="Basel sum to $t$")
    ax.axhline(theory.PI2_OVER_6, color="0.5", lw=0.8, label=r"$\pi^2/6$")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("generation $t$")
    ax.legend(fontsize=7, ncols=2)
axes[0].set_ylabel("error / first-fit error")
axes[0].set_ylim(0, 2.6)
plt.show()

# %% tags=["remove-input", "nbval-check-output"]
rows = []
for name, frame, exact in (("Gaussian", g_acc, "approximate"), ("Linear regression", linreg, "exact")):
    T = int(frame.generation.max())
    for n_val, part in frame[frame.generation == T].groupby("n"):
        x = part.over_first
        half = 1.96 * x.std(ddof=1) / np.sqrt(len(x)) if len(x) > 1 else float("nan")
        rows.append({"setting": name, "n": int(n_val), "t": T, "this build": f"{format_value(x.mean())} ± "
                     f"{format_value(half, 2)}", "Basel sum": format_value(float(theory.basel_partial_sum(T))),
                     "closed form": exact})
table = pd.DataFrame(rows)
display(HTML(table.to_html(index=False, border=0)))
T_g = int(g_acc.generation.max())
g_last = g_acc[g_acc.generation == T_g].groupby("n").over_first.mean()
l_last = linreg[linreg.generation == int(linreg.generation.max())].groupby("n").over_first.mean()
glue("a_T", T_g, display=False)
glue("a_basel_T", float(theory.basel_partial_sum(T_g)), display=False)
glue("a_pi", theory.PI2_OVER_6, display=False)
glue("a_g_small_n", int(g_last.index.min()), display=False)
glue("a_g_small", float(g_last.iloc[0]), display=False)
glue("a_g_large_n", int(g_last.index.max()), display=False)
glue("a_g_large", float(g_last.iloc[-1]), display=False)
glue("a_l_min", float(l_last.min()), display=False)
glue("a_l_max", float(l_last.max()), display=False)
glue("a_l_range", f"{l_last.min():.2f} to {l_last.max():.2f}" if len(l_last) > 1 else f"{l_last.iloc[0]:.2f}",
     display=False)
glue("a_cached", sum(len(f.attrs.get("cached", [])) for f in (gauss, linreg)), display=False)

# %% [markdown]
# **Exact: linear regression.** On a fixed design the fit on $t$ stacked copies of the
# design averages the $t$ label vectors, which is {eq}`accumulate-step` word for word with
# the true noise level in every batch. The closed form $\sigma^2 d/(n-d-1)\sum_k 1/k^2$ is
# exact: the measured ratio at the last generation, {glue:text}`a_l_range`, is to be read
# against the Basel sum {glue:text}`a_basel_T:.3f` with the intervals of the table
# ({ref}`linear-regression`).
#
# **Approximate: the Gaussian mean.** Here the batch's sampling error uses the *fitted*
# covariance, not the truth. The maximum-likelihood covariance of $n$ points is too small
# by $(n-1)/n$ in expectation, so each batch is drawn a little too tight and its error is
# a little smaller than {eq}`accumulate-basel` assumes, the more so the smaller $n$: small
# cells are expected to settle *below* the Basel sum. Measured at $t$ = {glue:text}`a_T`:
# {glue:text}`a_g_large:.2f` at $n$ = {glue:text}`a_g_large_n` and
# {glue:text}`a_g_small:.2f` at $n$ = {glue:text}`a_g_small_n` (Basel sum
# {glue:text}`a_basel_T:.3f`; the table gives each cell's interval). The bound $\pi^2/6$ is
# one on the *expectation*: a single chain can exceed it, and so can a cell mean over few
# seeds. Of the runs shown, {glue:text}`a_cached` were read from the result store.

# %% [markdown]
# ## Where another mechanism takes over
#
# Two settings are not averages of a parameter, and {eq}`accumulate-basel` does not apply
# as it stands ({numref}`fig-accumulate-limits`):
#
# - **Discrete.** The fitted frequencies are the pooled counts. An outcome present in the
#   real data keeps its real counts forever, so it can never vanish: the number of
#   surviving outcomes is exactly the number the real sample contained, on average
#   $K\bigl(1 - (1 - 1/K)^n\bigr)$. Replace's fixation is impossible.
# - **Kernel density.** The model is the pool of points itself. Each synthetic point carries
#   one more layer of kernel noise than its parent, so the pool's spread keeps growing,
#   but the $t$-th batch moves it only by about $dh^2/t$: a **logarithmic** drift,
#   $\mathrm{spread}_1 + dh^2\log t$ (`theory.kde_accumulate_spread`), not a bound. Over the
#   paper's 100 generations it is small; it does not stop.

# %%
disc = claims.chapter_runs("discrete", values["discrete"], workflows=["accumulate"], **run)
kde_runs = claims.chapter_runs("kde", values["kde"], only={"dataset": [p.kde_dataset], "h": [p.kde_h]},
                               workflows=["accumulate"], **run)
kde_dim = 3 if p.kde_dataset == "swiss_roll" else 2
K = int(values["discrete"]["k"])

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Accumulate where the Basel sum does not apply, one line per $n$ (mean over seeds, 95% band), theory dashed. Left: discrete outcomes still alive, constant at the number the real sample held, $K(1-(1-1/K)^n)$. Right: KDE spread of the pooled points, drifting like $dh^2 \\log t$ (exact recursion dashed).", "name": "fig-accumulate-limits"}}
fig, axes = plt.subplots(1, 2, figsize=(plotting.MAX_WIDTH, 3.2), layout="constrained")
for n_val, colour in plotting.hue_palette(disc.n.unique()).items():
    part = disc[disc.n == n_val]
    plotting.mean_band(axes[0], part, "n_surviving", color=colour, label=f"n = {n_val}")
    axes[0].axhline(theory.expected_observed_outcomes(int(n_val), K), color=colour, **plotting.THEORY_STYLE)
axes[0].set_ylabel("outcomes alive")
axes[0].set_title(f"Discrete, K = {K}", fontsize=10)
for n_val, colour in plotting.hue_palette(kde_runs.n.unique()).items():
    part = kde_runs[kde_runs.n == n_val]
    plotting.mean_band(axes[1], part, "spread", color=colour, label=f"n = {n_val}")
    ts = np.sort(part.generation.unique())
    first = float(part.loc[part.generation == 1, "spread"].mean())
    plotting.theory_line(axes[1], ts, theory.kde_accumulate_spread(ts, int(n_val), p.kde_h, first, d=kde_dim),
                         color=colour)
axes[1].set_ylabel("spread of the pooled points")
axes[1].set_title(f"KDE, {p.kde_dataset}, h = {p.kde_h}", fontsize=10)
for ax in axes:
    ax.plot([], [], color="0.3", **plotting.THEORY_STYLE, label="theory")
    ax.set_xlabel("generation $t$")
    plotting.integer_ticks(ax)
    ax.legend(fontsize=7, ncols=2)
plt.show()

# %% tags=["remove-input", "nbval-check-output"]
T_d = int(disc.generation.max())
alive = disc[disc.generation == T_d].groupby("n").n_surviving.mean()
first_alive = disc[disc.generation == 1].groupby("n").n_surviving.mean()
same = bool((disc[disc.generation == T_d].set_index(["n", "seed"]).n_surviving
             == disc[disc.generation == 1].set_index(["n", "seed"]).n_surviving).all())
glue("a_d_same", "in every chain, exactly as many as its real sample held" if same else
     "not always as many as the real sample held", display=False)
glue("a_d_n", int(alive.index.max()), display=False)
glue("a_d_alive", float(alive.iloc[-1]), display=False)
glue("a_d_theory", theory.expected_observed_outcomes(int(alive.index.max()), K), display=False)
n_k = int(kde_runs.n.max())
part = kde_runs[kde_runs.n == n_k]
T_k = int(part.generation.max())
k_first = float(part.loc[part.generation == 1, "spread"].mean())
glue("a_k_n", n_k, display=False)
glue("a_k_T", T_k, display=False)
glue("a_k_first", k_first, display=False)
glue("a_k_last", float(part.loc[part.generation == T_k, "spread"].mean()), display=False)
glue("a_k_theory", float(theory.kde_accumulate_spread(T_k, n_k, p.kde_h, k_first, d=kde_dim)), display=False)

# %% [markdown]
# At $n$ = {glue:text}`a_d_n` the discrete chains kept {glue:text}`a_d_alive:.2f` outcomes
# on average (theory {glue:text}`a_d_theory:.2f`): {glue:text}`a_d_same`. The KDE's spread at $n$ = {glue:text}`a_k_n` went from {glue:text}`a_k_first:.3f`
# to {glue:text}`a_k_last:.3f` by $t$ = {glue:text}`a_k_T` (recursion:
# {glue:text}`a_k_theory:.3f`): slowly, but without a ceiling.

# %% [markdown]
# ## What it costs
#
# The bound is paid for in data. Generation $t$ trains on $t\,n$ examples, against $n$ for
# Replace and Accumulate-Subsample, so after $T$ generations Accumulate has trained on
# $n\,T(T+1)/2$ examples against $n\,T$ (`compare.compute_accounting`). The right panel of
# {numref}`fig-accumulate-cost` puts the Gaussian's error against that count: for the same
# number of examples trained on, Accumulate has run far fewer generations.

# %%
cost = compare.compute_accounting(p.cost_n, T_g)
n_cost = int(min(gauss.n.unique(), key=lambda v: abs(v - p.cost_n)))
per_wf = gauss[gauss.n == n_cost].merge(compare.compute_accounting(n_cost, T_g), on=["workflow", "generation"])

# %% tags=["remove-input"] mystnb={"figure": {"caption": "What each workflow trains on. Left: examples trained on in generations $1..t$ (log scale), $n$ = the `cost_n` parameter. Right: Gaussian mean error in units of the first fit against the examples trained on so far, mean over seeds, for the $n$ of the Gaussian grid nearest to `cost_n`.", "name": "fig-accumulate-cost"}}
fig, axes = plt.subplots(1, 2, figsize=(plotting.MAX_WIDTH, 3.2), layout="constrained")
for wf in cl.WORKFLOWS:
    style = plotting.WORKFLOW_STYLE[wf]
    kw = dict(color=style["color"], linestyle=style["linestyle"], label=plotting.WORKFLOW_LABEL[wf])
    part = cost[cost.workflow == wf]
    axes[0].plot(part.generation, part.cumulative, **kw)
    stats = per_wf[per_wf.workflow == wf].groupby("cumulative").over_first.mean()
    axes[1].plot(stats.index, stats.values, **kw)
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
final = cost[cost.generation == T_g].set_index("workflow").loc[list(cl.WORKFLOWS)]
display(HTML(final[["per_generation", "cumulative", "relative"]].rename(
    index=plotting.WORKFLOW_LABEL, columns={"per_generation": f"at t = {T_g}", "cumulative": "in total", "relative": "× Replace"})
    .map(lambda v: f"{v:,.0f}" if v >= 100 else f"{v:.1f}").to_html(border=0)))
glue("a_cost_factor", float(final.loc["accumulate", "relative"]), display=False)
glue("a_cost_total", f"{final.loc['accumulate', 'cumulative']:,.0f}", display=False)
glue("a_cost_rep", f"{final.loc['replace', 'cumulative']:,.0f}", display=False)
glue("a_cost_n", p.cost_n, display=False)

# %% [markdown]
# With $n$ = {glue:text}`a_cost_n` and {glue:text}`a_T` generations, Accumulate trains on
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
# - It is exact for linear regression (measured {glue:text}`a_l_range` against the Basel
#   sum {glue:text}`a_basel_T:.3f`) and an approximation for the Gaussian mean, whose
#   fitted covariance shrinks, so that small $n$ is expected to settle lower (measured
#   {glue:text}`a_g_small:.2f` at $n$ = {glue:text}`a_g_small_n`).
# - For discrete distributions the real counts keep every observed outcome alive; for the
#   kernel density the spread drifts logarithmically, slowly and without a ceiling.
# - The price is data: {glue:text}`a_cost_factor:.1f` times Replace's examples over
#   {glue:text}`a_T` generations.
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
