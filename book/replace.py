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
# kernel density spreads out. This chapter shows that they are one mechanism, a sum of
# estimation errors with nothing pulling it back, and that each setting's shape comes from
# what its model does to its own spread. The runs are the ones the setting chapters made,
# read back through the library, one panel for every setting that the library's registry
# lists with a view of Replace.
#
# **Learning objectives**
# - Write Replace as a random walk of the fitted parameters and explain why nothing anchors
#   it to the truth.
# - Derive the shapes: saturation (Gaussian), linear growth (regression), fixation
#   (discrete), diffusion (kernel density), each with its closed form.
# - Read the setting chapters' runs through the result store instead of copying numbers.

# %% tags=["parameters"]
params_file = ""  # parameter file the book was built with ("" for the chapters' defaults; e.g. tests/params/smoke.yml)
use_store = True  # read the chapters' runs from the result store (_cache/ or $COLLAPSE_STORE); False recomputes
workers = 1  # local worker processes for runs the store lacks (int ≥ 1); the numbers do not depend on it
scheduler = ""  # address of a Dask scheduler such as "tcp://host:8786" ("" runs here)

# %% tags=["remove-input"]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown, display
from myst_nb import glue

import collapse_lib as cl
from collapse_lib import claims, plotting, workflow_pages
from collapse_lib.chapters import chapter_parameters
from collapse_lib.registry import part
from collapse_lib.validation import Bool, Int, Str

p = chapter_parameters(globals(), params_file=Str(), use_store=Bool(), workers=Int(1), scheduler=Str())
plotting.book_style()
ctx = claims.Context(p.params_file, cl.grid.runner(p.use_store, p.workers, p.scheduler))
discrete_k = int(ctx.values(part("discrete", "claims").CHAPTER.chapter)["k"])  # the narrative's discrete example
glue("r_K", discrete_k, display=False)
glue("r_wf_per_n", float(part("discrete", "theory").wright_fisher_fixation_time(1, discrete_k)), display=False)

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
# ## One mechanism, many shapes
#
# The Replace runs of the setting chapters, one panel per setting, read from the result
# store (or recomputed with the same arguments when the store lacks them): one line per
# $n$ with a 95% band over seeds, the closed forms dashed ({numref}`fig-replace-shapes`).
# Each setting says which of its cells it shows, and in which units; the settings come
# from the library's registry.

# %%
views = claims.workflow_views("replace", ctx)
replace_runs = pd.concat([runs for _, _, runs, _ in views], ignore_index=True)  # the figure's runs, in one frame
glue("r_settings", workflow_pages.count_words(len(views), "setting"), display=False)
glue("r_stored", workflow_pages.stored_phrase(runs for _, _, runs, _ in views), display=False)

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Replace in every setting, one panel per setting and one line per $n$ (mean over seeds, 95% band), the closed forms dashed in the line's colour. Each panel's title names the shape of its collapse and the cell shown; its axis, the quantity, in the units in which the closed form is simplest.", "name": "fig-replace-shapes"}}
fig, axes = workflow_pages.view_figure(views)
plt.show()

# %% tags=["remove-input", "nbval-check-output"]
last = workflow_pages.last_generation(views)
glue("r_theory", workflow_pages.theory_phrase(last), display=False)
glue("r_shapes", workflow_pages.join_words([f"{view.shape} ({workflow_pages.chapter_of(name).title})"
                                            for name, view, _, _ in views]), display=False)
display(HTML(workflow_pages.last_generation_table(last)))

# %% [markdown]
# The table gives every line of {numref}`fig-replace-shapes` at its last generation: this
# build's mean over seeds with its 95% interval (Student's $t$, or a bootstrap where the
# seeds are heavy-tailed; the table names the method) beside the closed form.
# {glue:text}`r_theory` {glue:text}`r_stored` What each panel shows, in this build's
# numbers:

# %% tags=["remove-input"]
display(Markdown(workflow_pages.summary_markdown(views)))

# %% [markdown]
# ## Two clocks: $t$ and $t/n$
#
# Equation {eq}`replace-sum` has one more consequence. Each step adds a variance of order
# $1/n$, so the natural clock of Replace is $t/n$: for the Gaussian,
# $1 - r^t \approx 1 - e^{-t/n}$. Drawn against $t/n$, the Gaussian cells of every $n$ fall
# on one curve ({numref}`fig-replace-clock`): a run of 100 generations at $n = 1000$ is as
# young as 1 generation at $n = 10$. Small samples do not change *whether* Replace
# collapses, only how fast.

# %%
gaussian = part("gaussian", "claims")  # this section is about the Gaussian: its chapter's runs and its view
g_values = ctx.values(gaussian.CHAPTER.chapter)
g_view = gaussian.VIEWS["replace"]
gauss = g_view.prepare(ctx.runs(gaussian.CHAPTER, g_values, only=g_view.cell(g_values), workflows=["replace"]))

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Replace, the Gaussian's mean error in units of its ceiling $d\\sigma^2$ against $t/n$, one line per $n$ (mean over seeds). Dashed, in the line's colour: the exact expectation $1 - ((n-1)/n)^t$, which for all but the smallest $n$ is $1 - e^{-t/n}$: one curve.", "name": "fig-replace-clock"}}
fig, ax = plt.subplots(figsize=(5.6, 3.4), layout="constrained")
for n_val, colour in plotting.hue_palette(gauss.n.unique()).items():
    part_n = gauss[gauss.n == n_val]
    mean = part_n.groupby("generation")[g_view.y].mean()
    ax.plot(mean.index / n_val, mean.to_numpy(), color=colour, label=f"n = {n_val}")
    ts = np.sort(part_n.generation.unique())
    plotting.theory_line(ax, ts / n_val, g_view.theory(part_n, ts), color=colour)
ax.plot([], [], color="0.3", label="theory", **plotting.THEORY_STYLE)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("generation / samples per generation, $t/n$")
ax.set_ylabel(g_view.ylabel)
ax.legend(fontsize=7)
plt.show()

# %% [markdown]
# ## Summary
#
# - Replace is a random walk of the fitted parameters {eq}`replace-walk`: each fit is
#   unbiased for the model it was sampled from, so errors add up {eq}`replace-sum` and
#   nothing pulls the chain back to the truth.
# - The shape of the collapse is set by the spread the model hands on: constant noise gives
#   linear growth, a shrinking covariance saturation, absorbing states fixation, added
#   kernel noise diffusion. This build shows {glue:text}`r_settings`:
#   {glue:text}`r_shapes`. {glue:text}`r_theory`
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
# 3. The KDE's panel shows one bandwidth of its chapter's grid. At a small bandwidth, such
#    as $h = 0.1$, the spread *falls* for small $n$ instead of growing. Why?
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
