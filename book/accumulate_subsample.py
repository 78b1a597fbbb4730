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
# (accumulate-subsample)=
# # Accumulate-Subsample: the fixed-compute compromise
#
# Accumulate avoids collapse, but at a price: generation $t$ trains on $t\,n$ examples, so
# the cost of each generation grows without bound. **Accumulate-Subsample** keeps every
# example ever seen but trains each generation on a fresh random subset of $n$ of them: the
# compute of Replace with the data of Accumulate. This chapter puts every setting of the
# book side by side on one scale, shows that Accumulate-Subsample degrades slowly and then
# settles, measures where it settles (no closed form is known), and counts what each
# workflow pays in training examples.
#
# **Learning objectives**
# - Compare the three workflows across settings on one scale: each metric relative to the
#   first fit (generation 1, the fit on the real data alone).
# - Measure Accumulate-Subsample's plateau and how it depends on $n$ and $d$, and know that
#   the level is an empirical measurement, with an approximation, not a theorem.
# - Count the examples each workflow trains on, per generation and in total.

# %% tags=["parameters"]
n_generations = 100  # generations T (int ≥ 2); the paper uses 100
seeds = 100  # independent chains per setting: an int k (seeds 0..k-1) or a list of ints
n = 100  # samples per generation, in every setting (int ≥ 2)
plateau_last = 10  # the plateau level is the mean over this many last generations (int ≥ 1, at most n_generations)
plateau_ns = [10, 32, 100, 316]  # n of the Gaussian plateau grid (ints ≥ 2)
plateau_ds = [1, 3, 10]  # d of the Gaussian plateau grid (ints ≥ 1)
plateau_seeds = 200  # chains per cell of the plateau grid (int ≥ 2, or a list of ints)
params_file = ""  # parameter file the book was built with ("" for defaults): each setting's cell, and the language model's runs, as the chapters ran them
compute_lm = False  # compute the language model's runs when the store lacks them (True/False; minutes at default size)
use_store = True  # reuse results from the result store (_cache/ or $COLLAPSE_STORE); False recomputes
workers = 1  # local worker processes for the grids (int ≥ 1); the numbers do not depend on it
scheduler = ""  # address of a Dask scheduler such as "tcp://host:8786" to run the grids on a cluster ("" runs here)

# %% tags=["remove-input"]
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import HTML, display
from matplotlib.ticker import NullFormatter
from myst_nb import glue

import collapse_lib as cl
from collapse_lib import claims, compare, plotting, workflow_pages
from collapse_lib.chapters import chapter_parameters
from collapse_lib.registry import part
from collapse_lib.tables import escape, format_value, html_table
from collapse_lib.theory import PI2_OVER_6, basel_partial_sum
from collapse_lib.validation import Bool, Int, IntList, ParameterError, Seeds, Str, check_seeds

p = chapter_parameters(globals(), n_generations=Int(2), seeds=Seeds(), n=Int(2), plateau_last=Int(1),
                       plateau_ns=IntList(2), plateau_ds=IntList(1), plateau_seeds=Seeds(), params_file=Str(),
                       compute_lm=Bool(), use_store=Bool(), workers=Int(1), scheduler=Str())
if p.plateau_last > p.n_generations:
    raise ParameterError(f"parameter 'plateau_last'={p.plateau_last} must be at most "
                         f"n_generations={p.n_generations}")
plotting.book_style()
T = p.n_generations
run = cl.grid.runner(p.use_store, p.workers, p.scheduler)

# %% [markdown]
# ## One scale for every setting
#
# Each setting keeps its own metric, measured against the real distribution, and is
# expressed relative to its first fit ({numref}`fig-subsample-settings`):
#
# - **errors that start near zero** are divided by their mean at generation 1: the squared
#   error of the Gaussian's mean, the test MSE of the linear regression, and for the
#   discrete distribution the *entropy deficit* $1 - H(\hat p_t)/\log K$, which equals
#   $\mathrm{KL}(\hat p_t \,\|\, \text{uniform})/\log K$, a divergence from the truth;
# - **a negative log-likelihood does not start near zero** (it includes the entropy of the
#   data themselves, and can be negative), so a ratio would mean nothing. The KDE's test NLL
#   is shown as its *excess* over the same chain's generation-1 NLL, in nats.
#
# Generation 1 is the same fit on the same real data under every workflow (each seed's real
# data come from their own random stream), so all three curves of a setting start at 1
# (or at 0 for the excess). Each setting names its own metric and cell, its *headline*, in
# the library; this page lists the settings from the library's registry and runs every
# one at the same $n$.

# %%
specs = compare.headline_specs(p.n, p.params_file)
runs = compare.run_comparison(specs, n_generations=T, seeds=p.seeds, **run)
glue("a_T", T, display=False)
glue("a_seeds", len(p.seeds), display=False)
glue("a_n", p.n, display=False)
glue("a_specs", workflow_pages.join_words([workflow_pages.spec_text(s) for s in specs]), display=False)
glue("a_instead", workflow_pages.instead_sentence(specs, p.n), display=False)

# %% tags=["remove-input"] mystnb={"figure": {"caption": "The three workflows in every setting on one scale, relative to the first fit (mean over seeds, 95% band), one panel per setting. Errors that start near zero are divided by their first-fit value (log axis; the dashed grey line is $\\pi^2/6$, Accumulate's ceiling, where a setting declares it); a negative log-likelihood is shown as its excess over generation 1.", "name": "fig-subsample-settings"}}
bounded = [name for name, _ in claims.settings_with("BOUND")]
fig, axes = workflow_pages.comparison_figure(runs, specs, bounded=bounded)
plt.show()

# %% tags=["remove-input", "nbval-check-output"]
levels = compare.plateau_levels(runs, last=p.plateau_last)
order = {**{s.setting: i for i, s in enumerate(specs)}, **{w: i for i, w in enumerate(cl.WORKFLOWS)}}
levels = levels.sort_values(["setting", "workflow"], key=lambda c: c.map(order), ignore_index=True)
glue("a_order", workflow_pages.ordering_sentence(runs, specs), display=False)
glue("a_sub_sentence", workflow_pages.level_sentence(levels, specs), display=False)
glue("a_excess_sentence", workflow_pages.excess_sentence(levels, specs), display=False)
ratio_sub = levels[(levels.workflow == "accumulate-subsample")
                   & levels.setting.isin([s.setting for s in specs if s.normalise == "ratio"])]
glue("a_sub_span", f"{ratio_sub['level'].min():.2f} to {ratio_sub['level'].max():.2f}" if len(ratio_sub) > 1
     else f"{ratio_sub['level'].iloc[0]:.2f}" if len(ratio_sub) else "–", display=False)
glue("a_ratio_settings", workflow_pages.join_words([workflow_pages.spec_text(s) for s in specs
                                                    if s.normalise == "ratio"]), display=False)
glue("a_window", f"{T - p.plateau_last + 1}–{T}", display=False)
glue("a_at", int(levels["at_generation"].iloc[0]), display=False)
display(HTML(workflow_pages.levels_table(levels, specs)))

# %% [markdown]
# This build compares {glue:text}`a_specs`, each at $n$ = {glue:text}`a_n` with
# {glue:text}`a_seeds` seeds over {glue:text}`a_T` generations. {glue:text}`a_instead`
# {glue:text}`a_order`
#
# The table gives each curve's level: its mean over the last generations
# {glue:text}`a_window` with the 95% interval over seeds, relative to the first fit (or in
# excess of it), and its value at $t$ = {glue:text}`a_at`. {glue:text}`a_sub_sentence`
# The settings measured by a ratio here have estimators that are averages over their
# training examples (a mean, least-squares coefficients on a fixed design, frequencies),
# the case for which the approximation below is written.
#
# {glue:text}`a_excess_sentence` A kernel density is the pool of its points, and every
# synthetic point carries one more bandwidth of noise than its parent, so the pool keeps
# widening, slowly (see the exercises): a log-likelihood on real data need not flatten
# within {glue:text}`a_T` generations.

# %% [markdown]
# ## How the plateau depends on $n$ and $d$
#
# No closed form is known for the Gaussian's plateau. The authors' figure puts it at
# {glue:text}`a_pl_paper` times the first fit, and the paper notes that it plateaus from
# about $t = 10$. Here it is measured over a grid of $n$ and $d$, each cell normalised by
# the exact expected first-fit error $d\sigma^2/n$. The shaded band is the range of the
# authors' reading; the dashed lines are the approximation derived in the next section.

# %%
gaussian = part("gaussian", "claims")  # this section is about the Gaussian: its grid, theory and reference
g_theory = part("gaussian", "theory")
g_refs = [r for r in part("gaussian", "reference").REFERENCES if r.workflow == "accumulate-subsample"]
plateau_runs, plateau = gaussian.plateau_grid(p.plateau_ns, p.plateau_ds, n_generations=T, seeds=p.plateau_seeds,
                                              last=p.plateau_last, **run)
glue("a_pl_paper", workflow_pages.join_words([
    f"{format_value(r.value)} (its range {format_value(r.low)}–{format_value(r.high)}) at "
    + ", ".join(f"{k} = {v}" for k, v in r.conditions.items()) + f", t = {r.t}" for r in g_refs]), display=False)

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Accumulate-Subsample's Gaussian mean error in units of the first fit $d\\sigma^2/n$. Left: over generations at the largest $d$, one line per $n$ (mean over seeds, 95% band), the approximation {eq}`subsample-recursion` dashed, the range of the authors' reading shaded. Right: the plateau (mean of the last generations, 95% interval) against $n$, one colour per $d$, beside the approximation at the last generation and its limit.", "name": "fig-subsample-plateau"}}
fig, axes = plt.subplots(1, 2, figsize=(plotting.MAX_WIDTH, 4.0), layout="constrained")
ts = np.arange(1, T + 1)
for n_val, colour in plotting.hue_palette(p.plateau_ns).items():
    part_n = plateau_runs[(plateau_runs.n == n_val) & (plateau_runs.d == max(p.plateau_ds))]
    plotting.mean_band(axes[0], part_n, "normalised", color=colour, label=f"n = {n_val}")
    plotting.theory_line(axes[0], ts, g_theory.subsample_heuristic(ts, n_val), color=colour)
axes[0].plot([], [], color="0.3", label="approximation", **plotting.THEORY_STYLE)
for ref in g_refs:
    axes[0].axhspan(ref.low, ref.high, color="0.85", zorder=0, label=f"authors, t = {ref.t}")
axes[0].set_xlabel("generation $t$")
axes[0].set_ylabel(f"mean error / ($d\\sigma^2/n$), d = {max(p.plateau_ds)}")
plotting.integer_ticks(axes[0])
axes[0].legend(fontsize=7, ncols=2)
for d_val, colour in plotting.hue_palette(p.plateau_ds, cmap="cividis").items():
    part_d = plateau[plateau.d == d_val]
    axes[1].errorbar(part_d["n"], part_d["level"], yerr=[part_d["level"] - part_d["low"],
                                                          part_d["high"] - part_d["level"]],
                     color=colour, marker="o", capsize=3, label=f"d = {d_val}")
ns_line = np.unique(np.geomspace(min(p.plateau_ns), max(p.plateau_ns), 50).round().astype(int))
axes[1].plot(ns_line, [float(g_theory.subsample_heuristic(T, int(v))) for v in ns_line], color="k",
             ls=(0, (5, 3)), lw=1, label=f"approximation, t = {T}")
axes[1].axhline(g_theory.SUBSAMPLE_HEURISTIC_LIMIT, color="0.5", lw=0.8, ls=":", label=r"its limit $\pi^2/2-2$")
for ref in g_refs:
    axes[1].axhspan(ref.low, ref.high, color="0.85", zorder=0)
axes[1].axhline(PI2_OVER_6, color="#0072B2", lw=0.8, ls=":", label=r"Accumulate's $\pi^2/6$")
axes[1].set_xscale("log")
axes[1].set_xticks(p.plateau_ns, [str(v) for v in p.plateau_ns])
axes[1].xaxis.set_minor_formatter(NullFormatter())
axes[1].set_xlabel("samples per generation $n$")
axes[1].set_ylabel(f"plateau (mean of the last {p.plateau_last})")
axes[1].legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2)  # below: the points fill the panel
plt.show()

# %% tags=["remove-input", "nbval-check-output"]
display(HTML(workflow_pages.plateau_table(plateau)))
glue("a_pl_seeds", len(p.plateau_seeds), display=False)
glue("a_pl_cells", len(plateau), display=False)
glue("a_pl_min", float(plateau["level"].min()), display=False)
glue("a_pl_max", float(plateau["level"].max()), display=False)
worst = plateau.loc[plateau["heuristic_error"].abs().idxmax()]
glue("a_heur_worst", f"{100 * abs(float(worst.heuristic_error)):.1f}% at d = {int(worst.d)}, n = {int(worst.n)} (it "
     f"{'overstates' if worst.heuristic_error > 0 else 'understates'} the measured level)", display=False)
best = plateau.loc[plateau["heuristic_error"].abs().idxmin()]
glue("a_heur_best", f"{100 * abs(float(best.heuristic_error)):.1f}% at d = {int(best.d)}, n = {int(best.n)}",
     display=False)
outside = int(((plateau["heuristic"] < plateau["low"]) | (plateau["heuristic"] > plateau["high"])).sum())
glue("a_heur_outside", ("the measured interval holds it in every cell" if outside == 0 else
                        f"it lies outside the measured interval in {workflow_pages.number_word(outside)} of the "
                        f"{workflow_pages.count_words(len(plateau), 'cell')}"), display=False)
glue("a_pl_heur_large", float(g_theory.subsample_heuristic(T, max(p.plateau_ns))), display=False)
glue("a_pl_limit", g_theory.SUBSAMPLE_HEURISTIC_LIMIT, display=False)

# %% [markdown]
# The table gives the plateau of every cell, the mean over generations
# {glue:text}`a_window` in units of $d\sigma^2/n$ with its 95% interval over
# {glue:text}`a_pl_seeds` seeds, beside the approximation {eq}`subsample-recursion` at
# $t$ = {glue:text}`a_T` and its error relative to the measured level
# ({numref}`fig-subsample-plateau`). Across the {glue:text}`a_pl_cells` cells the plateau
# measured {glue:text}`a_pl_min:.2f` to {glue:text}`a_pl_max:.2f` times the first fit.
# The approximation is off by up to {glue:text}`a_heur_worst`, and by as little as
# {glue:text}`a_heur_best`; {glue:text}`a_heur_outside`.
#
# ```{warning}
# These levels are **measurements**, not a formula: the paper gives no closed form for
# Accumulate-Subsample, and neither does this book. The recursion below is an
# **approximation**, this book's back-of-envelope rather than a theorem, and the table
# above gives its error against the runs.
# ```

# %% [markdown]
# ## A back-of-envelope for the plateau
#
# Pretend every fitted covariance equals the truth $\sigma^2 I_d$ and measure errors in
# units of the first fit, $d\sigma^2/n$. At generation $t$ the pool holds $t$ batches of
# $n$ points; let $P_t$ be its mean. The fit is the mean of $n$ points drawn without
# replacement from the $tn$, so it is $P_t$ plus a subsampling error of variance about
# $s_t = (tn - n)/(tn - 1)$, treated as uncorrelated with $P_t$. The next batch is drawn
# around that fit and adds its own sampling error (variance 1); it enters the pool mean
# with weight $1/(t+1)$. With $p_t = \mathbb E\lVert P_t\rVert^2$:
#
# ```{math}
# :label: subsample-recursion
# p_1 = 1,\qquad p_{t+1} \approx p_t + \frac{s_t + 1}{(t+1)^2},\qquad
# \frac{\mathbb E\lVert\mu_t-\mu_0\rVert^2}{d\sigma^2/n} \approx p_t + s_t .
# ```
#
# For large $n$, $s_t \to 1 - 1/t$, and summing the series gives the limit
#
# ```{math}
# :label: subsample-limit
# 1 + \sum_{t\ge1}\frac{2 - 1/t}{(t+1)^2} + 1 = \frac{\pi^2}{2} - 2 \approx 2.93,
# ```
#
# using $\sum_{t\ge1} (t+1)^{-2} = \pi^2/6 - 1$ and $\sum_{t\ge 1} 1/(t(t+1)^2) = 2 - \pi^2/6$.
# Compare Accumulate's $\pi^2/6 \approx 1.64$: subsampling costs the fresh subsampling error
# (about one first-fit error) at every generation, and feeds it into every later batch.
#
# The recursion is an approximation, not an expectation: it ignores two effects that pull
# in opposite directions. The maximum-likelihood covariance shrinks by $(n-1)/n$, so every
# batch is drawn a little too tight (the error comes out lower); and a subsample is
# correlated with the pool it is drawn from, whose own spread is not the truth's (the
# error comes out higher). Both fade as $n$ grows; the table above measures what they leave
# at each $n$. The recursion also approaches its limit slowly: only
# {glue:text}`a_pl_heur_large:.2f` at $t$ = {glue:text}`a_T` for the largest $n$.
#
# ```{literalinclude} ../collapse_lib/settings/gaussian/theory.py
# :pyobject: subsample_heuristic
# ```

# %% [markdown]
# ## What each workflow pays
#
# Counting the examples each generation trains on: Replace and Accumulate-Subsample $n$,
# Accumulate $t\,n$. Over $T$ generations that is $nT$ against $nT(T+1)/2$
# ({numref}`fig-subsample-cost`; the table is at $t = T$).

# %%
acc = compare.compute_accounting(p.n, T)
first = specs[0]  # the first setting of the comparison, in the registry's order
shown = runs[runs.setting == first.setting].merge(acc, on=["workflow", "generation"])
glue("a_cost_setting", workflow_pages.spec_phrase(first), display=False)

# %% tags=["remove-input"] mystnb={"figure": {"caption": "What each workflow trains on, $n$ examples per generation. Left: examples trained on in generations $1..t$ (log scale). Right: the first setting of {numref}`fig-subsample-settings`, relative to its first fit, against the examples trained on so far (mean over seeds).", "name": "fig-subsample-cost"}}
fig, axes = plt.subplots(1, 2, figsize=(plotting.MAX_WIDTH, 3.2), layout="constrained")
for wf in cl.WORKFLOWS:
    style = plotting.WORKFLOW_STYLE[wf]
    kw = dict(color=style["color"], linestyle=style["linestyle"], label=plotting.WORKFLOW_LABEL[wf])
    part_wf = acc[acc.workflow == wf]
    axes[0].plot(part_wf.generation, part_wf.cumulative, **kw)
    mean = shown[shown.workflow == wf].groupby("cumulative").normalised.mean()
    axes[1].plot(mean.index, mean.to_numpy(), **kw)
axes[0].set_ylabel("examples trained on, $1..t$")
axes[0].set_xlabel("generation $t$")
plotting.integer_ticks(axes[0])
axes[1].set_xscale("log")
axes[1].set_xlabel("examples trained on so far")
axes[1].set_ylabel("relative to $t = 1$" if first.normalise == "ratio" else "excess over $t = 1$")
axes[1].set_title(workflow_pages.spec_text(first), fontsize=9)
workflow_pages.log_axis(axes[0])
workflow_pages.log_axis(axes[1], "x")
if first.normalise == "ratio":
    workflow_pages.log_axis(axes[1])
axes[0].legend(fontsize=7)
plt.show()

# %% tags=["remove-input", "nbval-check-output"]
final = acc[acc.generation == T].set_index("workflow")
display(HTML(html_table(
    [("workflow", "left"), (f"at t = {T}", "right"), ("in total", "right"), ("× Replace", "right")],
    [[escape(plotting.WORKFLOW_LABEL[wf]), f"{final.loc[wf, 'per_generation']:,.0f}",
      f"{final.loc[wf, 'cumulative']:,.0f}", f"{final.loc[wf, 'relative']:.1f}"] for wf in cl.WORKFLOWS])))
budget = float(final.loc["replace", "cumulative"])
equal = int(acc.loc[(acc.workflow == "accumulate") & (acc.cumulative <= budget), "generation"].max())
glue("a_acc_factor", float(final.loc["accumulate", "relative"]), display=False)
glue("a_acc_total", float(final.loc["accumulate", "cumulative"]), display=False)
glue("a_rep_total", budget, display=False)
glue("a_equal_t", equal, display=False)
at_equal = shown[(shown.workflow == "accumulate") & (shown.generation == equal)]
glue("a_first_acc_equal", float(at_equal.normalised.mean()), display=False)
glue("a_basel_equal", float(basel_partial_sum(equal)), display=False)

# %% [markdown]
# Over {glue:text}`a_T` generations Accumulate trained on {glue:text}`a_acc_total:,.0f`
# examples, {glue:text}`a_acc_factor:.1f` times the {glue:text}`a_rep_total:,.0f` of
# Replace and Accumulate-Subsample. That is what its stability costs. Put the other way:
# with the compute Accumulate-Subsample spends on {glue:text}`a_T` generations, Accumulate
# can run only {glue:text}`a_equal_t` (there, {glue:text}`a_cost_setting` stood at
# {glue:text}`a_first_acc_equal:.2f` relative to its first fit). Accumulate-Subsample is
# the compromise: the compute of Replace, an error that stays within a small constant
# factor of the first fit.
#
# ## The language model
#
# The paper's language-model version of this comparison counts tokens instead of examples,
# and its Accumulate trains on $t$ times more tokens at generation $t$ for the same reason.
# Its runs take minutes, so this page reads the chapter {ref}`language-models`'s runs
# from the result store (at that chapter's parameters as this build ran it) instead of
# running them.

# %%
lm = part("lm", "claims")  # this section is about the language model: its chapter's runs and the paper's numbers
lm_ctx = claims.Context(p.params_file, run, compute_expensive=p.compute_lm)
lm_rows, lm_runs = lm.claims(lm_ctx)
lm_refs = part("lm", "reference").REFERENCES

# %% tags=["remove-input"]
lm_values = lm_ctx.values(lm.CHAPTER.chapter)
lm_size = (f"{lm_values['n_generations']} generations, n = {lm_values['n']} examples per generation, "
           f"{workflow_pages.count_words(len(check_seeds(lm_values['seeds'])), 'seed')}")
if lm_runs is None:
    glue("a_lm_status", f"This build has no runs of the chapter Language models at its parameters ({lm_size}) "
         "in the result store, so the figure shows the paper's numbers alone; run that chapter (minutes on a "
         "CPU) and rebuild this page to set this build's beside them.", display=False)
else:
    source = "computed for this page" if p.compute_lm and not lm_runs.attrs.get("cached") else \
        "read from the result store"
    glue("a_lm_status", f"The figure shows the runs of the chapter Language models ({lm_size}), {source}, "
         "beside the paper's numbers.", display=False)
glue("a_lm_verdicts", workflow_pages.verdict_sentence(lm_rows, "ratio from the paper", "ratios from the paper"),
     display=False)

# %% tags=["remove-input"] mystnb={"figure": {"caption": "The language model. Left: test loss divided by the same chain's loss at $t = 1$, this build's mean over seeds (lines with a 95% band, where the result store holds them) and the paper's Gemma-2-2B values with the range each was read to (open markers). Right (where this build has runs): tokens each workflow trained on at generation $t$.", "name": "fig-subsample-lm"}}
fig, axes = plt.subplots(1, 2 if lm_runs is not None else 1, squeeze=False, layout="constrained",
                         figsize=(plotting.MAX_WIDTH if lm_runs is not None else 4.2, 3.2))
axes = axes[0]
if lm_runs is not None:
    plotting.compare_workflows(axes[0], lm_runs, "relative_loss")
    plotting.compare_workflows(axes[1], lm_runs, "tokens_seen")
    axes[1].set_ylabel("tokens trained on at $t$")
    plotting.integer_ticks(axes[1])
labelled = set()
for ref in lm_refs:
    style = plotting.WORKFLOW_STYLE[ref.workflow]
    label = f"paper: {plotting.WORKFLOW_LABEL[ref.workflow]}" if lm_runs is None and ref.workflow not in labelled \
        else None
    labelled.add(ref.workflow)
    axes[0].errorbar(ref.t, ref.value, yerr=[[ref.value - ref.low], [ref.high - ref.value]], marker=style["marker"],
                     color=style["color"], markerfacecolor="white", linestyle="none", markersize=7, capsize=3,
                     label=label)
if lm_runs is not None:
    axes[0].plot([], [], marker="o", color="0.3", markerfacecolor="white", linestyle="none",
                 label="paper, Gemma-2-2B")
axes[0].axhline(1.0, color="0.5", lw=0.8)
axes[0].set_xlabel("generation $t$")
axes[0].set_ylabel("test loss / loss at $t = 1$")
plotting.integer_ticks(axes[0])
axes[0].legend(fontsize=7)
plt.show()

# %% tags=["remove-input", "nbval-check-output"]
display(HTML(claims.claims_html(lm_rows)))

# %% [markdown]
# {glue:text}`a_lm_status` The test loss is divided by its value at $t = 1$, the comparable
# reading of a much smaller model on another text ({ref}`language-models`). The table sets
# each of the paper's ratios (read off the authors' figure for Gemma-2-2B on HelpSteer2:
# its range and source are in the row) beside this build's mean over seeds with its
# interval; {glue:text}`a_lm_verdicts` The results page ({ref}`results`) gathers them with
# every other claim of the book.
#
# ## This run beside the paper
#
# Every number that the paper (or its authors' figures) gives for a cell this comparison
# ran, from each setting's reference numbers: its source and the range it was read to,
# this build's statistic over seeds with its 95% interval at the same generation, the
# closed form where the setting has one, and the verdict. A number quoted at a generation
# this build did not reach is *not run at this scale*.

# %%
paper_rows = compare.reference_claims(runs, specs)

# %% tags=["remove-input", "nbval-check-output"]
glue("a_paper_verdicts", workflow_pages.verdict_sentence(paper_rows) if len(paper_rows) else
     f"None of the paper's numbers is for the cells this comparison ran (n = {p.n}).", display=False)
if len(paper_rows):
    display(HTML(claims.claims_html(paper_rows)))

# %% [markdown]
# {glue:text}`a_paper_verdicts` The page {doc}`scale` gives the command that runs this
# chapter at the paper's scale.
#
# ## Summary
#
# - On one scale, every setting tells the paper's story. {glue:text}`a_order`
# - Accumulate-Subsample degrades slowly and flattens: over generations
#   {glue:text}`a_window` it sat at {glue:text}`a_sub_span` times the first fit in the
#   settings measured by a ratio ({glue:text}`a_ratio_settings`).
# - For the Gaussian the plateau measured {glue:text}`a_pl_min:.2f` to
#   {glue:text}`a_pl_max:.2f` across $n$ and $d$. It is an empirical level; a simple
#   recursion {eq}`subsample-recursion`, an approximation that is off by up to
#   {glue:text}`a_heur_worst`, tends to $\pi^2/2 - 2 \approx$
#   {glue:text}`a_pl_limit:.2f` for large $n$.
# - Accumulate trains on $t\,n$ examples at generation $t$, {glue:text}`a_acc_factor:.1f`
#   times Replace's total over {glue:text}`a_T` generations; Accumulate-Subsample matches
#   Replace's compute.
#
# ## Exercises
#
# 1. Derive the limit {eq}`subsample-limit` from the recursion {eq}`subsample-recursion`.
#
# ```{dropdown} Solution
# With $s_t = 1 - 1/t$, $p_\infty = 1 + \sum_{t\ge1} (2 - 1/t)/(t+1)^2$. The first part is
# $2\sum_{t\ge1}(t+1)^{-2} = 2(\pi^2/6 - 1)$. For the second, partial fractions give
# $1/(t(t+1)^2) = 1/t - 1/(t+1) - 1/(t+1)^2$, which sums to $1 - (\pi^2/6 - 1) = 2 - \pi^2/6$.
# So $p_\infty = 1 + \pi^2/3 - 2 - 2 + \pi^2/6 = \pi^2/2 - 3$, and the error adds
# $s_\infty = 1$: $\pi^2/2 - 2$.
# ```
#
# 2. Why does the KDE's excess NLL keep rising under Accumulate? Count the noise layers.
#
# ```{dropdown} Solution
# A synthetic point is a point of the pool plus $\mathcal N(0, h^2 I)$ noise. Call the
# number of noise layers it carries its depth: real points have depth 0, and a point of
# batch $k$ has depth one more than a parent drawn uniformly from batches $1..k-1$. Then
# $\mathbb E D_k = 1 + \frac{1}{k-1}\sum_{j<k} \mathbb E D_j$, whose solution is the
# harmonic number $H_{k-1} \approx \ln k$. The pool's average extra variance grows like
# $h^2 \ln t$: without bound, but slowly, which is what the figure shows.
# ```
#
# 3. Under a fixed *total* budget of $C = nT$ examples, how many generations can Accumulate
#    run, and what would you expect its error to be there?
#
# ```{dropdown} Solution
# It needs $n\,t(t+1)/2 \le nT$, so $t \approx \sqrt{2T}$: {glue:text}`a_equal_t`
# generations for $T$ = {glue:text}`a_T`. Its error there is the Basel partial sum to that
# $t$, {glue:text}`a_basel_equal:.2f` times the first fit where the Basel sum holds (this
# run measured {glue:text}`a_first_acc_equal:.2f` for {glue:text}`a_cost_setting`), below
# Accumulate-Subsample's plateau; but it has produced only a handful of model generations. Which is better depends on whether you
# need many generations or only the best model for the compute.
# ```
#
# ## References
#
# {cite:p}`kazdan2025collapse`, {cite:p}`gerstgrasser2024collapse`,
# {cite:p}`dey2024universality`, {cite:p}`ewens2004mathematical`.

# %% [markdown]
# ## Data
#
# The data behind this page's figures and tables, to download: each frame as Parquet and as
# CSV, and the parameters and code fingerprints that made them.

# %% tags=["remove-input"] mystnb={"markdown_format": "myst"}
from collapse_lib import downloads

downloads.offer(globals(), "accumulate_subsample")
