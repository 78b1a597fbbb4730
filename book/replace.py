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
# (replace)=
# # Replace: errors that compound
#
# Under **Replace** each generation trains only on the samples of the one before, so the
# real data are used once and then forgotten. Every setting of the paper collapses under it,
# but the curves look nothing alike: the Gaussian's error levels off, the regression's
# grows in a straight line, the discrete distribution freezes on one outcome, and the
# kernel density spreads out. This chapter shows that all four are one mechanism, a sum of
# estimation errors with nothing pulling it back, and that each setting's shape comes from
# what its model does to its own spread. The runs are the ones the setting chapters made,
# read back through the library.
#
# **Learning objectives**
# - Write Replace as a random walk of the fitted parameters and explain why nothing anchors
#   it to the truth.
# - Derive the four shapes: saturation (Gaussian), linear growth (regression), fixation
#   (discrete), diffusion (kernel density), each with its closed form.
# - Read the setting chapters' runs through the result store instead of copying numbers.

# %% tags=["parameters"]
params_file = ""  # parameter file the book was built with ("" for the chapters' defaults; e.g. tests/params/smoke.yml)
gaussian_d = 10  # dimension of the Gaussian cells shown (int ≥ 1; one of the Gaussian chapter's ds)
linreg_d = 10  # coefficients of the regression cells shown (int ≥ 1; one of the regression chapter's ds)
kde_dataset = "moons"  # KDE data set shown (one of the KDE chapter's datasets)
kde_h = 0.5  # KDE bandwidth shown (float > 0; one of the KDE chapter's bandwidths)
use_store = True  # read the chapters' runs from the result store (_cache/ or $COLLAPSE_STORE); False recomputes
workers = 1  # local worker processes for runs the store lacks (int ≥ 1); the numbers do not depend on it
scheduler = ""  # address of a Dask scheduler such as "tcp://host:8786" ("" runs here)

# %% tags=["remove-input"]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, display
from myst_nb import glue

import collapse_lib as cl
from collapse_lib import claims, plotting, theory
from collapse_lib.chapters import chapter_parameters
from collapse_lib.paper import format_value
from collapse_lib.validation import Bool, Float, Int, Str

p = chapter_parameters(globals(), params_file=Str(), gaussian_d=Int(1), linreg_d=Int(1), kde_dataset=Str(),
                       kde_h=Float(0.0, strict_minimum=True), use_store=Bool(), workers=Int(1), scheduler=Str())
values = claims.workflow_chapter_values(p.params_file, gaussian_d=p.gaussian_d, linreg_d=p.linreg_d,
                                        kde_dataset=p.kde_dataset, kde_h=p.kde_h)
plotting.book_style()
run = cl.grid.runner(p.use_store, p.workers, p.scheduler)
glue("r_K", int(values["discrete"]["k"]), display=False)
glue("r_wf_per_n", float(theory.wright_fisher_fixation_time(1, int(values["discrete"]["k"]))), display=False)

# %% [markdown]
# ## One mechanism
#
# Call the fitted model's parameters $\theta_t$ (a mean, regression coefficients, outcome
# frequencies, the points of a density estimate). Under Replace generation $t+1$ is fit
# on $n$ samples from the model $\theta_t$, so
#
# ```{math}
# :label: replace-walk
# \theta_{t+1} = \theta_t + \varepsilon_{t+1},\qquad
# \mathbb E[\varepsilon_{t+1} \mid \theta_t] \approx 0,\qquad
# \mathbb E[\lVert\varepsilon_{t+1}\rVert^2 \mid \theta_t] = \frac{v(\theta_t)}{n},
# ```
#
# where $v(\theta_t)$ is the spread of the model's own samples. The fit is unbiased *for the
# model it was sampled from*, not for the truth: nothing in the step refers to $\theta_0$.
# So the errors add up, $\theta_t - \theta_0 = \sum_{k \le t}\varepsilon_k$, with
# uncorrelated terms:
#
# ```{math}
# :label: replace-sum
# \mathbb E\,\lVert\theta_t - \theta_0\rVert^2 = \frac1n\sum_{k=0}^{t-1}\mathbb E\,v(\theta_k).
# ```
#
# That is the whole mechanism, and it has no anchor. What differs between settings is the
# term $v(\theta_k)$, the spread the model hands on to its samples:
#
# - **Linear regression** on a fixed design: the label noise $\sigma^2$ is added afresh at
#   every generation and never shrinks, so every term is the same and the error grows
#   **linearly**, $t\,\sigma^2 d/(n-d-1)$ {cite:p}`gerstgrasser2024collapse`.
# - **Gaussian**: the maximum-likelihood covariance shrinks by $r = (n-1)/n$ per generation,
#   so the terms form a geometric series and the error **saturates** at $d\sigma^2$
#   ({ref}`gaussian`).
# - **Discrete**: the frequencies wander inside the simplex, and an outcome that gets no
#   draw is gone for good; the walk is absorbed at a corner, one outcome with all the mass:
#   **fixation**, after about {glue:text}`r_wf_per_n:.2f`$\,n$ generations for
#   $K$ = {glue:text}`r_K` ({ref}`discrete`).
# - **Kernel density**: sampling adds $d h^2$ of variance to the points at every
#   generation while refitting keeps the fraction $r$: the cloud **diffuses** until the two
#   balance at $d(n-1)h^2$ ({ref}`kde`).

# %% [markdown]
# ## One mechanism, four shapes
#
# The Replace runs of the four setting chapters, read from the result store (or recomputed
# with the same arguments when the store lacks them), one line per $n$ with a 95% band over
# seeds; dashed lines are the closed forms ({numref}`fig-replace-shapes`).

# %%
gauss = claims.chapter_runs("gaussian", values["gaussian"], only={"d": [p.gaussian_d]}, workflows=["replace"], **run)
linreg = claims.chapter_runs("linear_regression", values["linear_regression"],
                             only={"d": [p.linreg_d], "sigma2": [values["linear_regression"]["sigma2s"][0]]},
                             workflows=["replace"], **run)
disc = claims.chapter_runs("discrete", values["discrete"], workflows=["replace"], **run)
kde_runs = claims.chapter_runs("kde", values["kde"], only={"dataset": [p.kde_dataset], "h": [p.kde_h]},
                               workflows=["replace"], **run)
gauss["error_over_max"] = gauss.mean_sq_error / (gauss.d * gauss.sigma2)
linreg = linreg[linreg.n >= linreg.d + 2].copy()  # where the regression's mean error is finite
linreg["mse_over_step"] = linreg.test_mse / (linreg.sigma2 * linreg.d / (linreg.n - linreg.d - 1))
kde_dim = 3 if p.kde_dataset == "swiss_roll" else 2
cached = sum(len(f.attrs.get("cached", [])) for f in (gauss, linreg, disc, kde_runs))
units = sum(f.attrs.get("units", 0) for f in (gauss, linreg, disc, kde_runs))
glue("r_cached", f"{cached} of the {units}", display=False)

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Replace in the four settings, one line per $n$ (mean over seeds, 95% band), closed forms dashed. Top left: Gaussian mean error in units of its ceiling $d\\sigma^2$ (saturation, {eq}`replace-mean`). Top right: regression test MSE in units of one generation's noise $\\sigma^2 d/(n-d-1)$ (the line $t$). Bottom left: discrete Simpson diversity, $(1-1/n)^t$ (fixation at 0). Bottom right: KDE spread, {eq}`kde-replace-spread` (diffusion).", "name": "fig-replace-shapes"}}
fig, axes = plt.subplots(2, 2, figsize=(plotting.MAX_WIDTH, 5.6), layout="constrained")


def panel(ax, frame, y, curve, hue="n"):
    palette = plotting.hue_palette(frame[hue].unique())
    for value, colour in palette.items():
        part = frame[frame[hue] == value]
        plotting.mean_band(ax, part, y, color=colour, label=f"{hue} = {value}")
        ts = np.sort(part.generation.unique())
        plotting.theory_line(ax, ts, curve(part, ts), color=colour)
    ax.plot([], [], color="0.3", **plotting.THEORY_STYLE, label="theory")
    ax.set_xlabel("generation $t$")
    ax.legend(fontsize=7, ncols=2 if len(palette) > 3 else 1)


panel(axes[0, 0], gauss, "error_over_max",
      lambda part, ts: theory.gaussian_replace_mean_sq_error(ts, p.gaussian_d, int(part.n.iloc[0]), 1.0) / p.gaussian_d)
axes[0, 0].set_yscale("log")
axes[0, 0].set_ylabel(r"$\|\mu_t-\mu_0\|^2 / (d\sigma^2)$")
axes[0, 0].set_title(f"Gaussian, d = {p.gaussian_d}: saturation", fontsize=10)
panel(axes[0, 1], linreg, "mse_over_step", lambda part, ts: ts.astype(float))
axes[0, 1].set_ylabel(r"test MSE / $(\sigma^2 d/(n-d-1))$")
axes[0, 1].set_title(f"Linear regression, d = {p.linreg_d}: linear growth", fontsize=10)
panel(axes[1, 0], disc, "simpson_diversity", lambda part, ts: theory.wright_fisher_diversity(ts, int(part.n.iloc[0])))
axes[1, 0].set_ylabel("Simpson diversity")
axes[1, 0].set_ylim(0, 1.02)  # a diversity lies in [0, 1]; so does its mean
axes[1, 0].set_title(f"Discrete, K = {values['discrete']['k']}: fixation", fontsize=10)


def kde_curve(part, ts):
    first = float(part.loc[part.generation == 1, "spread"].mean())
    return theory.kde_replace_spread(ts, int(part.n.iloc[0]), p.kde_h, first, d=kde_dim)


panel(axes[1, 1], kde_runs, "spread", kde_curve)
axes[1, 1].set_ylabel("spread of the points")
axes[1, 1].set_title(f"KDE, {p.kde_dataset}, h = {p.kde_h}: diffusion", fontsize=10)
for ax in axes.flat:
    plotting.integer_ticks(ax)
plt.show()

# %% tags=["remove-input", "nbval-check-output"]
rows = []


def last_row(setting, cell, frame, y, curve, unit):
    T = int(frame.generation.max())
    at = frame[frame.generation == T][y]
    half = 1.96 * at.std(ddof=1) / np.sqrt(len(at)) if len(at) > 1 else float("nan")
    rows.append({"setting": setting, "cell": cell, "t": T, "this build": f"{format_value(at.mean())} ± "
                 f"{format_value(half, 2)}", "theory": format_value(float(curve)), "unit": unit})
    return float(at.mean()), float(curve)


n_g = max(gauss.n.unique())
g_sel = gauss[gauss.n == n_g]
T_g = int(g_sel.generation.max())
glue("r_g_n", int(n_g), display=False)
glue("r_g_T", T_g, display=False)
glue("r_g_small_n", int(min(gauss.n.unique())), display=False)
n_small = int(gauss.n.min())
small = float(gauss[(gauss.n == n_small) & (gauss.generation == T_g)].error_over_max.mean())
small_th = float(theory.gaussian_replace_mean_sq_error(T_g, p.gaussian_d, n_small, 1.0)) / p.gaussian_d
glue("r_g_small", small, display=False)
glue("r_g_small_phrase", f"where t = {T_g} is well beyond n, it sits at {small:.2f} (theory {small_th:.2f}): the "
     "chain has collapsed to a point and stopped moving" if T_g >= 3 * n_small else
     f"it is {small:.2f} (theory {small_th:.2f}), still on its way to the ceiling", display=False)
g_val, g_th = last_row("Gaussian", f"d = {p.gaussian_d}, n = {n_g}", g_sel, "error_over_max",
                       theory.gaussian_replace_mean_sq_error(T_g, p.gaussian_d, n_g, 1.0) / p.gaussian_d, "dσ²")
glue("r_g_val", g_val, display=False)
glue("r_g_th", g_th, display=False)
n_l = min(linreg.n.unique())
l_sel = linreg[linreg.n == n_l]
T_l = int(l_sel.generation.max())
l_val, l_th = last_row("Linear regression", f"d = {p.linreg_d}, n = {n_l}", l_sel, "mse_over_step", T_l,
                       "σ²d/(n−d−1)")
glue("r_l_val", l_val, display=False)
glue("r_l_T", T_l, display=False)
n_d = min(disc.n.unique())
d_sel = disc[disc.n == n_d]
T_d = int(d_sel.generation.max())
last_row("Discrete", f"K = {values['discrete']['k']}, n = {n_d}", d_sel, "simpson_diversity",
         theory.wright_fisher_diversity(T_d, n_d), "")
fixed = disc[disc.generation == T_d].assign(fixed=lambda f: f.n_surviving == 1).groupby("n").fixed.mean()
glue("r_d_fixed", 100 * float(fixed.loc[n_d]), display=False)
glue("r_d_n", int(n_d), display=False)
glue("r_d_T", T_d, display=False)
glue("r_d_wf", float(theory.wright_fisher_fixation_time(n_d, int(values["discrete"]["k"]))), display=False)
n_k = max(kde_runs.n.unique())
k_sel = kde_runs[kde_runs.n == n_k]
T_k = int(k_sel.generation.max())
k_first = float(k_sel.loc[k_sel.generation == 1, "spread"].mean())
k_val, k_th = last_row("KDE", f"{p.kde_dataset}, h = {p.kde_h}, n = {n_k}", k_sel, "spread",
                       theory.kde_replace_spread(T_k, n_k, p.kde_h, k_first, d=kde_dim), "")
glue("r_k_first", k_first, display=False)
glue("r_k_val", k_val, display=False)
glue("r_k_th", k_th, display=False)
glue("r_k_n", int(n_k), display=False)
glue("r_k_T", T_k, display=False)
glue("r_k_step", kde_dim * p.kde_h ** 2, display=False)
display(HTML(pd.DataFrame(rows).to_html(index=False, border=0)))

# %% [markdown]
# The table gives the last generation of one cell per setting, this build's mean with its
# 95% interval beside the closed form. {glue:text}`r_cached` runs were read from the result
# store.
#
# - **Saturation.** The Gaussian's error at $n$ = {glue:text}`r_g_n` reached
#   {glue:text}`r_g_val:.3f` of its ceiling $d\sigma^2$ by $t$ = {glue:text}`r_g_T`
#   (theory {glue:text}`r_g_th:.3f`); at $n$ = {glue:text}`r_g_small_n`
#   {glue:text}`r_g_small_phrase`.
# - **Linear growth.** In units of one generation's noise the regression's error is
#   {glue:text}`r_l_val:.1f` at $t$ = {glue:text}`r_l_T` (theory: exactly $t$), for every $n$.
# - **Fixation.** At $n$ = {glue:text}`r_d_n`, {glue:text}`r_d_fixed:.0f`% of the chains
#   had a single outcome left by $t$ = {glue:text}`r_d_T` (the diffusion limit puts the
#   mean fixation time at {glue:text}`r_d_wf:.0f` generations).
# - **Diffusion.** The KDE's spread moved from {glue:text}`r_k_first:.3f` to
#   {glue:text}`r_k_val:.3f` at $n$ = {glue:text}`r_k_n` (theory
#   {glue:text}`r_k_th:.3f`): every generation adds $dh^2$ = {glue:text}`r_k_step:.3g` and
#   refitting keeps the fraction $(n-1)/n$.

# %% [markdown]
# ## Two clocks: $t$ and $t/n$
#
# Equation {eq}`replace-sum` has one more consequence. Each step adds a variance of order
# $1/n$, so the natural clock of Replace is $t/n$: for the Gaussian,
# $1 - r^t \approx 1 - e^{-t/n}$. Drawn against $t/n$, the Gaussian cells of every $n$ fall
# on one curve ({numref}`fig-replace-clock`): a run of 100 generations at $n = 1000$ is as
# young as 1 generation at $n = 10$. Small samples do not change *whether* Replace
# collapses, only how fast.

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Replace, Gaussian mean error in units of $d\\sigma^2$ against $t/n$, one line per $n$ (mean over seeds): every $n$ follows $1 - e^{-t/n}$ (black dashed) until its run ends.", "name": "fig-replace-clock"}}
fig, ax = plt.subplots(figsize=(5.6, 3.4), layout="constrained")
for n_val, colour in plotting.hue_palette(gauss.n.unique()).items():
    stats = plotting.summarise(gauss[gauss.n == n_val], "error_over_max", band="none")
    ax.plot(stats.index / n_val, stats.centre, color=colour, label=f"n = {n_val}")
x = np.geomspace(1 / gauss.n.max(), gauss.generation.max() / gauss.n.min(), 200)
plotting.theory_line(ax, x, 1 - np.exp(-x), color="k", label=r"$1 - e^{-t/n}$")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("generation / samples per generation, $t/n$")
ax.set_ylabel(r"$\|\mu_t-\mu_0\|^2 / (d\sigma^2)$")
ax.legend(fontsize=7)
plt.show()

# %% [markdown]
# ## Summary
#
# - Replace is a random walk of the fitted parameters {eq}`replace-walk`: each fit is
#   unbiased for the model it was sampled from, so errors add up {eq}`replace-sum` and
#   nothing pulls the chain back to the truth.
# - The shape of the collapse is set by the spread the model hands on: constant noise gives
#   linear growth (regression: {glue:text}`r_l_val:.1f` generations' worth of noise at
#   $t$ = {glue:text}`r_l_T`), a shrinking covariance saturation (Gaussian:
#   {glue:text}`r_g_val:.3f` of $d\sigma^2$), absorbing states fixation (discrete:
#   {glue:text}`r_d_fixed:.0f`% fixed), added kernel noise diffusion (KDE).
# - The clock is $t/n$: more data per generation slows Replace down but never stops it.
#   The fix is not more data per generation but keeping the real data: {ref}`accumulate`.
#
# ## Exercises
#
# 1. In the regression, why does the noise not shrink as the Gaussian's covariance does?
#
# ```{dropdown} Solution
# The regression's generator is the fitted coefficients plus the *true* noise level
# $\sigma^2$ (the authors' code relabels with fresh noise of fixed variance), so
# $v(\theta_t)$ in {eq}`replace-walk` does not depend on $t$. The Gaussian's generator uses
# its own fitted covariance, which the maximum-likelihood fit shrinks by $(n-1)/n$ in
# expectation. Refitting the noise level in the regression would make it saturate too.
# ```
#
# 2. Under Replace the Gaussian's error saturates. Is that good news?
#
# ```{dropdown} Solution
# No. It saturates because the fitted covariance goes to zero (its determinant collapses
# geometrically, {eq}`replace-logdet`): the model ends as a point mass about
# $\sqrt{d}\,\sigma$ from the truth, which has lost all variety. The mean error stopping is
# a symptom of the collapse, not a recovery.
# ```
#
# 3. Rerun with `-p kde_h 0.1` (or the smallest bandwidth the KDE chapter ran). Why does the
#    spread now *fall* for small $n$?
#
# ```{dropdown} Solution
# The balance point $d(n-1)h^2$ of {eq}`kde-replace-spread` is then below the data's own
# spread: the points are lost faster than the kernel noise spreads them, and the cloud
# contracts to a clump that wanders off. Either way the density stops covering the real
# data.
# ```
#
# ## References
#
# {cite:p}`kazdan2025collapse`, {cite:p}`shumailov2024curse`, {cite:p}`gerstgrasser2024collapse`,
# {cite:p}`ewens2004mathematical`.

# %% [markdown]
# ## Data
#
# The data behind this page's figures and tables, to download: each frame as Parquet and as
# CSV, and the parameters and code fingerprints that made them.

# %% tags=["remove-input"] mystnb={"markdown_format": "myst"}
from collapse_lib import downloads

downloads.offer(globals(), "replace")
