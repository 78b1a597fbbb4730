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
# (discrete)=
# # Discrete distributions
#
# The smallest generative model is a table of frequencies: $K$ outcomes, fitted by counting
# and sampled by drawing. Refitting it on its own samples is the Wright–Fisher model of
# population genetics {cite:p}`ewens2004mathematical`, in which an allele that is not
# drawn once is gone for good. The question of this chapter: how fast do the outcomes
# disappear under each workflow, and why does Accumulate keep them?
#
# **Learning objectives**
# - Run the discrete experiment of {cite:t}`kazdan2025collapse` for all three workflows
#   (the authors ran only Replace; their loop never ends under Accumulate).
# - Connect Replace to Wright–Fisher fixation and compare the fixation time with
#   $-2nK(1-\tfrac1K)\ln(1-\tfrac1K)$ and with the exact Markov chain.
# - Explain why Accumulate keeps every outcome that the real data contain, and only those.

# %% tags=["parameters"]
n_generations = 1000  # generations T (int ≥ 1); Replace needs about 2n to fix
seeds = 100  # chains per (workflow, n): int k (seeds 0..k-1) or list of ints
k = 10  # number of outcomes K (int ≥ 2); the paper uses 10
ns = [10, 100, 1000]  # samples per generation n (list of ints ≥ 1)
fixation_seeds = 200  # Replace chains per n for fixation (int k or list)
fixation_max_generations = 20000  # cap on a chain's length; longer: censored
use_store = True  # reuse stored results (_cache/ or $COLLAPSE_STORE)
workers = 1  # local worker processes (int ≥ 1); results do not depend on it
scheduler = ""  # Dask scheduler address, e.g. "tcp://host:8786"; "" runs here

# %% tags=["remove-input"]

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, display
from myst_nb import glue

import collapse_lib as cl
from collapse_lib import claims, plotting
from collapse_lib.chapters import chapter_parameters
from collapse_lib.settings.discrete import claims as dclaims
from collapse_lib.settings.discrete import reference as dreference
from collapse_lib.settings.discrete import replace_fixation_times
from collapse_lib.settings.discrete import theory as dtheory
from collapse_lib.tables import format_value as fmt
from collapse_lib.validation import Bool, Int, IntList, Seeds, Str

p = chapter_parameters(globals(), n_generations=Int(1), seeds=Seeds(), k=Int(2), ns=IntList(1),
                       fixation_seeds=Seeds(), fixation_max_generations=Int(1),
                       use_store=Bool(), workers=Int(1), scheduler=Str())
plotting.book_style()
T, K = p.n_generations, p.k

# %% [markdown]
# ## The experiment
#
# The truth is the uniform distribution on $K$ outcomes. The real data are $n$ draws from
# it; each generation fits the empirical frequencies $p_t$ of its training data and draws
# $n$ new outcomes from $p_t$. The workflows of {ref}`workflows` apply as they are: Replace
# fits the newest $n$ draws, Accumulate all draws so far, Accumulate-Subsample $n$ of them
# picked without replacement. The metrics of the fitted $p_t$:
#
# - `normalised_entropy` $= H(p_t)/\log K$: 1 for the truth, 0 once one outcome remains;
# - `n_surviving`: the number of outcomes with $p_t(i) > 0$;
# - `simpson_diversity` $= (1-\sum_i p_t(i)^2)/(1-1/K)$: the chance that two draws differ,
#   relative to the truth's (population geneticists call it heterozygosity);
# - `tv_distance`: the total-variation distance from the uniform truth.
#
# ```{literalinclude} ../collapse_lib/settings/discrete/model.py
# :pyobject: DiscreteTask
# ```
#
# The runs below keep counts instead of outcomes: a sample of $n$ is one multinomial draw,
# and a subsample of $n$ from the pool without replacement is one multivariate
# hypergeometric draw. The tests check this against the generic loop (exactly for Replace
# and Accumulate, in distribution for Accumulate-Subsample).

# %%
run = cl.grid.runner(p.use_store, p.workers, p.scheduler)
results = cl.run_grid("discrete", grid={"n": p.ns}, fixed={"k": K},
                      n_generations=T, seeds=p.seeds, **run, progress=False)

# %% tags=["remove-input"]
glue("dc_T", T, display=False)
glue("dc_K", K, display=False)
glue("dc_seeds", len(p.seeds), display=False)
glue("dc_seconds", results.attrs.get("seconds", float("nan")), display=False)
glue("dc_runs", 3 * len(p.ns), display=False)
glue("dc_stored", len(results.attrs.get("cached", [])), display=False)
results.attrs = {}  # glued above; pandas deep-copies attrs in every operation

# %% [markdown]
# The trajectories ({glue:text}`dc_seeds` seeds, {glue:text}`dc_T` generations, $K =$
# {glue:text}`dc_K`) took {glue:text}`dc_seconds:.1f` seconds ({glue:text}`dc_stored` of the
# {glue:text}`dc_runs` runs were read from the result store).
#
# ## Diversity and entropy
#
# Under Replace the next fit is a multinomial draw around the current one. Given $p_t$,
# two of the $n$ new draws differ with probability $(1-\tfrac1n)(1-\sum_i p_t(i)^2)$, so
# the diversity shrinks by a fixed factor per generation, exactly:
#
# ```{math}
# :label: dc-diversity
# \mathbb E\,\text{simpson\_diversity}_t = \Bigl(1 - \frac1n\Bigr)^{t}.
# ```
#
# {numref}`fig-dc-diversity` and {numref}`fig-dc-entropy` show means over seeds with a 95%
# band, one colour per $n$, on a logarithmic time axis; dashed lines are {eq}`dc-diversity`.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Simpson diversity of the fitted distribution (1 for the uniform truth), per workflow and $n$: mean over seeds with its 95% interval; dashed, {eq}`dc-diversity`.", "name": "fig-dc-diversity"}}
fig, axes = plotting.workflow_grid(results, "simpson_diversity", hue="n", theory="discrete",
                                   ylabel="Simpson diversity\n(truth = 1)")
plotting.log_generation_axis(axes, T)
plt.show()

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Normalised entropy $H(p_t)/\\log K$ of the fitted distribution, per workflow and $n$: mean over seeds with its 95% interval.", "name": "fig-dc-entropy"}}
fig, axes = plotting.workflow_grid(results, "normalised_entropy", hue="n", ylabel=r"$H(p_t)/\log K$")
plotting.log_generation_axis(axes, T)
plt.show()

# %% [markdown]
# Replace's diversity and entropy fall to zero on a time scale of $n$ generations: the
# smaller the sample, the faster the collapse. Under Accumulate both level off after a few
# generations: the fitted distribution stops moving. Accumulate-Subsample levels off too,
# lower, and its fitted entropy wobbles because each generation fits a fresh subsample.
#
# ## Surviving outcomes, and why Accumulate keeps them
#
# Under Replace an outcome with $p_t(i) = 0$ is never drawn again, so the number of
# surviving outcomes can only fall, until one remains. Under Accumulate the training pool at
# generation $t$ holds all $tn$ draws so far, the $n$ real ones included, and nothing is
# ever removed from it. If the real sample contains outcome $i$ $c_i \ge 1$ times, then
#
# ```{math}
# :label: dc-floor
# p_t(i) \;\ge\; \frac{c_i}{t\,n} \;>\; 0 \qquad\text{for every } t,
# ```
#
# so outcome $i$ survives for ever. Equally, an outcome that the real sample missed has
# frequency zero from the first fit on and can never be drawn: under Accumulate the
# surviving outcomes are *exactly* those in the real sample, whose expected number is
# $K\bigl(1-(1-\tfrac1K)^n\bigr)$, drawn dashed below. Accumulate-Subsample keeps every
# real outcome in its pool, but a fit on $n$ of the pool's $tn$ draws can miss a rare one
# for a generation, and the next subsample can bring it back. {numref}`fig-dc-surviving`
# shows the surviving outcomes, and the table after it their mean at the first and the last
# generation beside that expectation.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Surviving outcomes (those with $p_t > 0$), per workflow and $n$: mean over seeds with its 95% interval; dashed, the expected number of outcomes in the real sample.", "name": "fig-dc-surviving"}}
fig, axes = plotting.workflow_grid(results, "n_surviving", hue="n", theory="discrete",
                                   ylabel="outcomes with $p_t > 0$")
plotting.log_generation_axis(axes, T)
for ax in axes.flat:
    ax.set_ylim(0, K + 0.5)
plt.show()

# %% tags=["remove-input", "nbval-check-output"]
alive = results.pivot_table(index=["workflow", "n", "seed"], columns="generation",
                            values="n_surviving").sort_index()
first, last = alive[1], alive[T]
acc_kept = bool((last["accumulate"] == first["accumulate"]).all())
glue("dc_acc_kept", "every" if acc_kept else "not every", display=False)
surviving = {"in the real sample": {n: first["replace"][n].mean() for n in p.ns},
             "expected in it": {n: dtheory.expected_observed_outcomes(n, K) for n in p.ns}}
for wf in cl.WORKFLOWS:
    surviving[f"{plotting.WORKFLOW_LABEL[wf]}, t = {T}"] = {n: last[wf][n].mean() for n in p.ns}
pd.DataFrame({f"n = {n}": {row: f"{v[n]:.2f}" for row, v in surviving.items()} for n in p.ns})

# %% [markdown]
# In {glue:text}`dc_acc_kept` Accumulate chain of this run the outcomes alive at the last
# generation are exactly those of the real sample. At $n = 10$ the real sample itself misses
# on average $K(1-\tfrac1K)^{10} \approx$ {glue:text}`dc_missed_n10:.2f` of the $K$
# outcomes, so "Accumulate keeps every
# outcome" holds for the outcomes the real data contain; nothing brings back the others.
#
# The frequencies under Accumulate also settle. The pool share of an outcome is a
# martingale: given the pool, the next $n$ draws add in expectation $n$ times its current
# share, which leaves the share unchanged. A bounded martingale converges, so each chain's
# fitted distribution tends to a random limit near its real sample's frequencies, and the
# entropy curve flattens.
#
# ## Time to a single outcome under Replace
#
# Replace ends when one outcome has all $n$ draws: fixation. We count generations as
# everywhere in the book, $t = 1$ being the fit on the real sample, so the count includes
# the first draw from the uniform truth. For $K$ equally frequent outcomes the diffusion
# approximation of the Wright–Fisher chain gives {cite:p}`ewens2004mathematical`
#
# ```{math}
# :label: dc-fixation
# \mathbb E\,t_{\text{fix}} \approx -2nK\Bigl(1-\frac1K\Bigr)\ln\Bigl(1-\frac1K\Bigr)
#   \quad(\approx 1.90\,n \text{ for } K = 10),
# ```
#
# accurate for large $n$. For small $n$ the chain on sorted counts (the partitions of $n$)
# is small enough to solve exactly, which `wright_fisher_exact_fixation_time` (in the setting's
# theory module) does.
# Each chain below runs until one outcome remains or `fixation_max_generations` is reached
# (then it is *censored*: its time is only known to exceed the cap, and the table says so).
# {numref}`fig-dc-fixation` shows the distribution of the fixation times.

# %%
fix = pd.concat([replace_fixation_times(n, K, p.fixation_seeds,
                                        p.fixation_max_generations)
                 for n in p.ns], ignore_index=True)
summary = dclaims.summarise_fixation(fix).set_index("n")
exact = {n: value for n in p.ns for value, is_exact in [dtheory.fixation_time(n, K)] if is_exact}

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The distribution of Replace's fixation time (generations until one outcome remains) divided by $n$, per $n$: the fraction of chains fixed by then; dashed, the diffusion approximation of its mean {eq}`dc-fixation`.", "name": "fig-dc-fixation"}}
fig, ax = plt.subplots(figsize=(6.4, 3.4), layout="constrained")
palette = plotting.hue_palette(p.ns)
for n, colour in palette.items():
    values = np.sort(fix.loc[(fix.n == n) & ~fix.censored, "fixation_generation"].to_numpy())
    ecdf = np.arange(1, len(values) + 1) / len(fix[fix.n == n])
    ax.step(values / n, ecdf, where="post", color=colour, label=f"n = {n}")
ax.axvline(dtheory.wright_fisher_fixation_time(1, K), color="0.3", **plotting.THEORY_STYLE,
           label="Wright–Fisher mean (diffusion)")
ax.set_xscale("log")
ax.set_xticks([0.25, 0.5, 1, 2, 4, 8], labels=["0.25", "0.5", "1", "2", "4", "8"])
ax.set_xticks([], minor=True)
ax.set_xlabel(r"generations to a single outcome, $t_{\mathrm{fix}} / n$")
ax.set_ylabel("fraction of chains fixed")
ax.legend(loc="lower right")
plt.show()

# %% [markdown]
# Divided by $n$, the fixation times of all sample sizes follow nearly one distribution: the
# time scale of genetic drift is $n$ generations. The distribution is wide, with a long
# right tail. The table below gives, per $n$, its mean (with the half-width of its 95%
# interval), median and quartiles over the chains, how many chains were censored at the cap
# of {glue:text}`dc_cap:,` generations, and the two theories for the mean.

# %% tags=["remove-input", "nbval-check-output"]
def quantile(x):
    return "censored" if np.isnan(x) else fmt(x)


columns = {}
for n in p.ns:
    s = summary.loc[n]
    columns[f"n = {n}"] = {
        "chains": f"{int(s.seeds)}", "censored": f"{int(s.censored)}",
        "mean [95% interval]": f"{'≥ ' if s.mean_is_lower_bound else ''}{fmt(s['mean'])} [{fmt(s.low)}, {fmt(s.high)}]",
        "median": quantile(s["median"]), "quartiles": f"{quantile(s.q25)} – {quantile(s.q75)}",
        "Wright–Fisher mean": fmt(dtheory.wright_fisher_fixation_time(n, K)),
        "exact chain's mean": fmt(exact[n]) if n in exact else "–"}
display(pd.DataFrame(columns))

# %% tags=["remove-input"]
# numbers for the text: the paper's n always get a value (NaN when not in this run)
glue("dc_cap", p.fixation_max_generations, display=False)
within = {}
for ref in dreference.REFERENCES:
    n = ref.conditions["n"]
    known = n in summary.index and not summary.loc[n, "mean_is_lower_bound"]
    glue(f"dc_fix_mean_n{n}", float(summary.loc[n, "mean"]) if known else float("nan"), display=False)
    glue(f"dc_fix_wf_n{n}", dtheory.wright_fisher_fixation_time(n, K), display=False)
    if known:
        within[n] = bool(summary.loc[n, "low"] <= dtheory.wright_fisher_fixation_time(n, K) <= summary.loc[n, "high"])
exact_n10 = exact.get(10)
glue("dc_exact_n10", exact_n10 if exact_n10 is not None else float("nan"), display=False)
glue("dc_exact_n10_ok", "within" if 10 in summary.index and exact_n10 is not None and
     summary.loc[10, "low"] <= exact_n10 <= summary.loc[10, "high"] else "outside", display=False)
large = [n for n in within if n >= 100]
glue("dc_large_ok", ("agree with the formula within their intervals" if all(within[n] for n in large)
                     else "do not all agree with the formula within their intervals")
     if large else "could not be compared (censored or not in this run)", display=False)
glue("dc_fix_censored", int(summary.censored.sum()), display=False)
glue("dc_wf_per_n", dtheory.wright_fisher_fixation_time(1, K), display=False)
glue("dc_missed_n10", K * (1 - 1 / K) ** 10, display=False)
spread = (summary.q75 / summary.q25).dropna()
glue("dc_iqr_ratio", float(spread.median()) if len(spread) else float("nan"), display=False)
glue("dc_rel_ci", float((summary.half / summary["mean"]).max()), display=False)
glue("dc_fix_chains", len(p.fixation_seeds), display=False)

# %% [markdown]
# ## This run beside the paper
#
# The authors' mean fixation times under Replace at $K = 10$, read by pixel off their
# figure (it draws no interval, so the range is the reading error alone), next to this
# run's mean over chains with its 95% interval. The theory column is the exact Markov chain
# where it can be solved (small $n$) and the diffusion formula {eq}`dc-fixation`
# otherwise. A chain that hit the cap enters the mean at the cap, so such a mean is a lower
# bound, and a lower bound that falls short of the reference gets no verdict
# ({ref}`results` explains the verdicts).

# %%
table = dclaims.fixation_rows(fix, vars(p))

# %% tags=["remove-input", "nbval-check-output"]
for ref in dreference.REFERENCES:
    glue(f"dc_paper_n{ref.conditions['n']}", ref.value, display=False)
display(HTML(claims.claims_html(table)))

# %% [markdown]
# The authors' figure reads {glue:text}`dc_paper_n10:.1f`, {glue:text}`dc_paper_n100:.0f` and
# {glue:text}`dc_paper_n1000:,.0f` generations for $n = 10, 100, 1000$ at $K = 10$. The diffusion formula {eq}`dc-fixation` gives
# {glue:text}`dc_fix_wf_n10:.4g`, {glue:text}`dc_fix_wf_n100:.4g` and
# {glue:text}`dc_fix_wf_n1000:.4g`. At $n = 10$ it overestimates: the exact chain gives
# {glue:text}`dc_exact_n10:.3g`, which lies {glue:text}`dc_exact_n10_ok` this run's 95%
# interval. That explains the authors' smaller {glue:text}`dc_paper_n10:.1f`: the formula is a
# large-$n$ limit, not a statement about ten draws. At $n \ge 100$ this run's means
# {glue:text}`dc_large_ok`. With {glue:text}`dc_fix_chains` chains per $n$ the interval is
# at most $\pm${glue:text}`dc_rel_ci:.0%` of the mean, and the upper quartile is typically
# {glue:text}`dc_iqr_ratio:.1f` times the lower one. {glue:text}`dc_fix_censored` chains
# hit the cap in this run.
#
# ## Summary
#
# - Under Replace the fitted distribution loses outcomes for good; the diversity decays as
#   $(1-\tfrac1n)^t$ {eq}`dc-diversity`, and one outcome remains after about
#   {glue:text}`dc_wf_per_n:.2f`$\,n$ generations {eq}`dc-fixation`. This run's mean
#   fixation times were {glue:text}`dc_fix_mean_n10:.4g`, {glue:text}`dc_fix_mean_n100:.4g`
#   and {glue:text}`dc_fix_mean_n1000:.4g` for $n = 10, 100, 1000$ (paper: about
#   {glue:text}`dc_paper_n10:.1f`, {glue:text}`dc_paper_n100:.0f` and
#   {glue:text}`dc_paper_n1000:,.0f`; diffusion formula: {glue:text}`dc_fix_wf_n10:.4g`,
#   {glue:text}`dc_fix_wf_n100:.4g`, {glue:text}`dc_fix_wf_n1000:.4g`).
# - Under Accumulate the real sample stays in the pool, so every outcome it contains keeps a
#   frequency of at least $c_i/(tn)$ {eq}`dc-floor` and survives; the outcomes it missed
#   are lost from the first fit under every workflow. The fitted frequencies converge.
# - Accumulate-Subsample keeps the outcomes in its pool but its fits can miss rare ones
#   for a while; its entropy settles below Accumulate's.
#
# ## Exercises
#
# 1. Prove {eq}`dc-diversity`.
#
# ```{dropdown} Solution
# Let $x_1, x_2$ be two of the $n$ draws of generation $t+1$ and $p'$ their empirical
# distribution. $\sum_i p'(i)^2$ is the chance that two draws picked *with replacement*
# from the $n$ coincide: the same draw ($1/n$) or two different draws that agree
# ($(1-1/n)\sum_i p_t(i)^2$ in expectation). So
# $\mathbb E[1-\sum_i p'(i)^2 \mid p_t] = (1-\tfrac1n)(1-\sum_i p_t(i)^2)$; iterate from the
# uniform truth, whose diversity is $1-1/K$.
# ```
#
# 2. How many outcomes does the real sample miss on average at $K = 10$, $n = 10$? And at
#    $n = 100$?
#
# ```{dropdown} Solution
# $K(1-1/K)^n$: $10 \times 0.9^{10} \approx 3.49$ at $n = 10$, and
# $10 \times 0.9^{100} \approx 2.7\times10^{-4}$ at $n = 100$. Under Accumulate that is also
# how many are lost for good.
# ```
#
# 3. Why is the fixation time proportional to $n$?
#
# ```{dropdown} Solution
# Given $p_t$, the frequency of outcome $i$ changes in one generation by a binomial
# fluctuation of variance $p_t(i)(1-p_t(i))/n$. To move a frequency by an amount of order
# one takes about $n$ such steps; measured in units of $n$ generations the chain is
# (approximately) the same diffusion for every $n$, which is why the curves above coincide.
# ```
#
# 4. Show that under Accumulate the pool share $s_t(i) = C_t(i)/(tn)$ of an outcome is a
#    martingale, and conclude that the fitted distribution converges.
#
# ```{dropdown} Solution
# $C_{t+1}(i) = C_t(i) + B$ with $B \sim \mathrm{Binomial}(n, s_t(i))$, so
# $\mathbb E[s_{t+1}(i) \mid C_t] = (C_t(i) + n s_t(i))/((t+1)n) = s_t(i)(tn + n)/((t+1)n)
# = s_t(i)$. A martingale bounded in $[0, 1]$ converges almost surely; the fitted
# distribution of generation $t$ is $s_t$, so it converges to a random limit. The
# increments shrink like $1/t$, which is also why the entropy curve flattens quickly.
# ```
#
# ## References
#
# {cite:p}`kazdan2025collapse`, {cite:p}`ewens2004mathematical`,
# {cite:p}`shumailov2024curse`, {cite:p}`gerstgrasser2024collapse`.

# %% [markdown]
# ## Data
#
# The data behind this page's figures and tables, to download: each frame as Parquet and as
# CSV, and the parameters and code fingerprints that made them.

# %% tags=["remove-input"] mystnb={"markdown_format": "myst"}
from collapse_lib import downloads

downloads.offer(globals(), "discrete")
