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
# (logistic-regression)=
# # Logistic regression: the π²/6 pathway
#
# Dey and Donoho {cite:p}`dey2024universality` argue that the $\pi^2/6$ bound of linear
# regression under Accumulate is not a property of least squares but of maximum likelihood
# in any regular model: as $n$ grows, every generation adds an independent error of the
# same size, Replace adds them up and Accumulate averages them with weights $1/k$. They
# illustrate it with logistic regression refit on its own labels on real data sets. This
# chapter reruns that experiment and asks three questions: does the error grow like $t$
# under Replace and stay below $\pi^2/6$ times the first fit's under Accumulate, at what $n$
# does that large-$n$ picture start to hold, and what happens when the maximum-likelihood
# fit does not exist at all?
#
# **Learning objectives**
# - Run Dey and Donoho's logistic-regression experiment for Replace, Accumulate-Subsample
#   and Accumulate, and compare it with their logged runs.
# - Derive the large-$n$ errors, $t$ and $\sum_{k \le t} 1/k^2 \le \pi^2/6$ times the first
#   fit's, and see where $n$ is too small for them.
# - Recognise separable classes, for which the unpenalised fit does not exist, and why a
#   chain under Replace ends there.

# %% tags=["parameters"]
n_generations = 50  # generations T (int ≥ 2); Dey & Donoho ran 50
seeds = 100  # chains per cell: int k (seeds 0..k-1) or a list of ints; Dey & Donoho ran 1
dataset = "diabetes"  # "diabetes" (target > 100) or "breast_cancer"; the text reads diabetes
features = "all"  # leading feature columns of the data set: "all" or an int ≥ 1
ns = [309, 3090, 30900]  # design rows (ints); 309 is the split, larger n repeat its rows
labels = ["real", "model"]  # first labels: "real" (Dey & Donoho), "model" (truth known)
bc_features = 10  # breast-cancer feature columns (int 1-23; 24 or more are separable)
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
from collapse_lib import claims, plotting, stats
from collapse_lib.chapters import chapter_parameters
from collapse_lib.settings.logistic_regression import claims as lclaims
from collapse_lib.settings.logistic_regression import model as lmodel
from collapse_lib.settings.logistic_regression import reference as lref
from collapse_lib.settings.logistic_regression import theory as ltheory
from collapse_lib.tables import format_value as fmt
from collapse_lib.tables import html_table
from collapse_lib.validation import Bool, ChoiceList, Int, IntList, Seeds, Str

p = chapter_parameters(globals(), setting="logistic_regression", n_generations=Int(2), seeds=Seeds(),
                       ns=IntList(2), labels=ChoiceList(*lmodel.LABELS), bc_features=Int(1, 23),
                       use_store=Bool(), workers=Int(1), scheduler=Str())
for n_ in p.ns:  # every cell's design exists and its real labels have a fit (else refuse now)
    cl.check_params("logistic_regression", {"dataset": p.dataset, "n": n_, "features": p.features})
cl.check_params("logistic_regression", {"dataset": "breast_cancer", "n": 398, "features": p.bc_features})
plotting.book_style()
T = p.n_generations
DD_N = 309 if 309 in p.ns else p.ns[0]  # the cell of Dey & Donoho's design (diabetes: its whole split)
BIG = max(p.ns)

# %% [markdown]
# ## The experiment
#
# A data set that scikit-learn ships {cite:p}`sklearn2011`, split as Dey and Donoho split it
# (`train_test_split(test_size=0.3, random_state=123456)`): diabetes (442 patients, 10
# features, the label "disease progression above 100") gives 309 training rows and 133
# test rows. The model is logistic regression with an intercept and no penalty,
# $P(y = 1 \mid x) = \sigma(z^\top\beta)$ with $z = (1, x)$. Generation 1 fits the real
# labels; generation $t + 1$ draws a new label for every *training* input from the fitted
# model, $y_i \sim \mathrm{Bernoulli}(\sigma(z_i^\top\hat\beta_t))$, and refits. A training
# example is a pair (input, label), so the workflows of {ref}`workflows` apply unchanged:
# Replace fits the newest labels, Accumulate all label vectors so far stacked on copies of
# the design, Accumulate-Subsample $n$ pairs drawn from that stack.
#
# Three metrics, always on the held-out **real** test rows: `test_log_loss` (the mean
# cross-entropy, in nats), `test_accuracy`, and `param_error`, the distance of the fit from
# the real data's fit $\hat\beta_{\mathrm{ref}}$ in the metric of its Fisher information
# $J$ on the $n$ design rows, per coefficient:
# $(\hat\beta_t - \hat\beta_{\mathrm{ref}})^\top J\,(\hat\beta_t - \hat\beta_{\mathrm{ref}})/p$,
# with $p$ the number of coefficients (11 for diabetes). It is the quantity the theory
# speaks about, and it does not depend on how the inputs are scaled.
#
# Two knobs go beyond Dey and Donoho's runs. `n` above the split's 309 rows repeats them
# in order (a design of 3,090 rows is ten copies): the real data's fit is the same, the
# synthetic labels are drawn for every copy, and the large-$n$ regime comes within reach
# on real inputs. `labels="model"` draws the first generation's labels from
# $\hat\beta_{\mathrm{ref}}$ instead of using the real ones, so that the truth is known and
# the first fit has an error of its own, the setting of the theory. Every fit is Newton's
# method to a decrement below $10^{-20}$; the setting's task for the generic loop is below.
# A batched version fits all seeds at once; the tests check that it gives the loop's numbers
# under Replace and Accumulate, and the same distribution under Accumulate-Subsample (it
# draws the subsample from the pool's counts).
#
# ```{literalinclude} ../collapse_lib/settings/logistic_regression/model.py
# :pyobject: LogisticRegressionTask.fit
# ```

# %% [markdown]
# ## When the fit does not exist
#
# If a hyperplane separates the two classes of the training set, every step along its
# normal raises the likelihood, and the unpenalised maximum-likelihood fit does not exist:
# the log-likelihood climbs towards its supremum without reaching it (Albert and Anderson,
# 1984). The same holds when the classes touch only on the hyperplane (quasi-complete
# separation). An
# optimiser stopped at its iteration limit then returns a point on the way to infinity,
# whose test log-loss depends on when it stopped. The setting checks every fit: a
# converged fit whose residuals prove that the classes overlap is accepted, and otherwise
# a linear program looks for a separating direction. Real data whose classes separate are
# refused before anything runs; a chain whose *synthetic* labels separate has no model to
# draw the next labels from, so it ends there: its metrics are missing from that generation
# on and the column `no_mle` says so. A fit that exists but did not converge would raise an
# error; none did.
#
# The breast-cancer data (569 tumours, 30 features; 398 training rows) are separable. The
# cell below asks for Dey and Donoho's design and prints the refusal; the table after it
# gives, for the first $f$ features, whether the training split's classes separate.

# %%
try:
    cl.simulate("logistic_regression", "replace", n_generations=2, seeds=1,
                dataset="breast_cancer", n=398, features="all")
except cl.ParameterError as err:
    refusal = str(err)
print(refusal)

# %% tags=["remove-input", "nbval-check-output"]
scan = lclaims.separable_features("breast_cancer", counts=(5, 10, 15, 20, 22, 23, 24, 25, 30))
first_separable = int(scan[scan.separable].features.min())
glue("lr_bc_first_sep", first_separable, display=False)
glue("lr_bc_last_overlap", first_separable - 1, display=False)
display(HTML(html_table([("features f", "right"), ("coefficients p", "right"), ("classes", "left")],
                        [[str(r.features), str(r.coefficients), "separable" if r.separable else "overlap"]
                         for r in scan.itertuples()])))

# %% [markdown]
# With all 398 rows the classes separate from {glue:text}`lr_bc_first_sep` features on.
# Dey and Donoho's breast-cancer numbers, all 30 features, come from such stopping points
# (their log records that the optimiser hit its limit of 10,000 iterations); this chapter
# runs breast cancer with its first `bc_features` features instead, and diabetes, whose
# classes overlap, as they ran it.

# %%
run = cl.grid.runner(p.use_store, p.workers, p.scheduler)
results = cl.run_grid("logistic_regression", grid={"n": p.ns, "labels": p.labels},
                      fixed={"dataset": p.dataset, "features": p.features},
                      n_generations=T, seeds=p.seeds, **run, progress=False)
breast = cl.run_grid("logistic_regression", grid={"n": [398]},
                     fixed={"dataset": "breast_cancer", "features": p.bc_features,
                            "labels": "real"},
                     n_generations=T, seeds=p.seeds, **run, progress=False)

# %% tags=["remove-input"]
seconds = results.attrs.get("seconds", float("nan")) + breast.attrs.get("seconds", float("nan"))
stored = len(results.attrs.get("cached", [])) + len(breast.attrs.get("cached", []))
glue("lr_seconds", seconds, display=False)
glue("lr_stored", stored, display=False)
glue("lr_runs", 3 * (len(p.ns) * len(p.labels) + 1), display=False)
glue("lr_T", T, display=False)
glue("lr_seeds", len(p.seeds), display=False)
glue("lr_bc_features", p.bc_features, display=False)
results.attrs, breast.attrs = {}, {}
ends = lclaims.chain_ends(pd.concat([results, breast], ignore_index=True))

# %% [markdown]
# The runs, {glue:text}`lr_seeds` chains of {glue:text}`lr_T` generations in each of
# {glue:text}`lr_runs` (workflow, cell) runs, took {glue:text}`lr_seconds:.1f` seconds
# ({glue:text}`lr_stored` were read from the result store).
#
# ## Dey and Donoho's experiment
#
# {numref}`fig-lr-data` shows the test log-loss on the real labels of both data sets, with
# the design of their runs for diabetes (all 309 rows and 10 features), and beside it the
# share of chains that still have a fit. A mean over the chains that are left would favour
# the chains that last, so the loss is drawn only up to the last generation at which every
# chain still had a fit. The dashed lines are the large-$n$ approximation derived below;
# the crosses are Dey and Donoho's single runs, copied from their logs.

# %% tags=["remove-input"]
def loss_theory(cell: dict):
    """The second-order large-n approximation of the test log-loss, per workflow."""
    def curve(workflow, ts):
        return ltheory.expected_test_log_loss(workflow, ts, cell["dataset"], cell["n"], cell["features"], "real")
    return curve


diabetes = results[(results.n == DD_N) & (results.labels == "real")] if "real" in p.labels else results.iloc[:0]
panels = [(f"{p.dataset}, n = {DD_N}", diabetes, {"dataset": p.dataset, "n": DD_N, "features": p.features}),
          (f"breast cancer, {p.bc_features} features", breast,
           {"dataset": "breast_cancer", "n": 398, "features": p.bc_features})]
theirs = [r for r in (*lref.FIRST_FIT, *lref.RUNS) if r.metric == "test_log_loss" and r.t is not None]

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Dey and Donoho's experiment: the test log-loss on the real test labels (left; mean over chains with its 95% interval, drawn while every chain has a fit; dashed: the large-n approximation; crosses: Dey and Donoho's single runs from their logs) and the share of chains whose training labels still have a maximum-likelihood fit (right). Top: diabetes with their design; bottom: breast cancer with its first features (all 30 are separable).", "name": "fig-lr-data"}}
fig, axes = plt.subplots(2, 2, figsize=(plotting.MAX_WIDTH, 5.6), layout="constrained")
legend: dict = {}
for row_axes, (title, frame, cell) in zip(axes, panels):
    ax = row_axes[0]
    if frame.empty:
        ax.set_visible(False)
        row_axes[1].set_visible(False)
        continue
    plotting.compare_workflows(ax, lclaims.every_chain_has_a_fit(frame), "test_log_loss", theory=loss_theory(cell))
    if cell["dataset"] == "diabetes" and cell["n"] == 309 and cell["features"] == "all":
        ax.scatter([r.t for r in theirs], [r.value for r in theirs], marker="x", color="k", s=24, zorder=4,
                   label="Dey & Donoho (one run)")
    ax.set_ylabel(f"test log-loss\n({title})")
    for handle, label in zip(*ax.get_legend_handles_labels()):
        legend.setdefault(label, handle)
    ax = row_axes[1]
    plotting.compare_workflows(ax, frame.assign(has_fit=~frame.no_mle), "has_fit", band="none")
    ax.set_ylim(-0.03, 1.03)
    ax.set_ylabel("chains with a fit")
fig.legend(list(legend.values()), list(legend), loc="outside lower center", ncol=3)
plt.show()

# %% tags=["remove-input", "nbval-check-output"]
def end_summary(frame_ends: pd.DataFrame) -> pd.DataFrame:
    """Per workflow and cell: chains, the share ended by T, and the median generation of the end."""
    rows = []
    keys = ["workflow", "dataset", "n", "features", "labels"]
    for key, part in frame_ends.groupby(keys, sort=False):
        ended = part.generation_ended.to_numpy()
        share = float(np.mean(np.isfinite(ended)))
        # chains that kept a fit end after T: the median is known while fewer than half did
        med = stats.median_interval(np.where(np.isfinite(ended), ended, np.inf)) if share > 0.5 else None
        rows.append(dict(zip(keys, key)) | {"chains": len(part), "ended": share,
                                            "median end": med.text(2) if med is not None else "–"})
    return pd.DataFrame(rows)


summary = end_summary(ends)
shown = summary[summary.ended > 0]
dd_replace = summary[(summary.workflow == "replace") & (summary.n == DD_N) & (summary.labels == "real")
                     & (summary.dataset == p.dataset)]
dd_end = ends[(ends.workflow == "replace") & (ends.n == DD_N) & (ends.labels == "real") & (ends.dataset == p.dataset)]
end_iv = stats.median_interval(dd_end.generation_ended.fillna(np.inf)) if len(dd_end) else None
glue("lr_dd_ended", f"{100 * float(dd_replace.ended.iloc[0]):.0f}%" if len(dd_replace) else "–", display=False)
glue("lr_dd_end_median", end_iv.text(2) if end_iv is not None and np.isfinite(end_iv.centre) else
     f"beyond t = {T}", display=False)
ref_end = next(r for r in lref.RUNS if r.metric == "generation_ended")
glue("lr_theirs_end", f"{ref_end.low:.0f} to {ref_end.high:.0f}", display=False)
bc_rows = summary[summary.dataset == "breast_cancer"].set_index("workflow")
glue("lr_bc_replace_ended", f"{100 * float(bc_rows.loc['replace', 'ended']):.0f}%", display=False)
glue("lr_bc_sub_ended", f"{100 * float(bc_rows.loc['accumulate-subsample', 'ended']):.0f}%", display=False)
glue("lr_bc_acc_ended", f"{100 * float(bc_rows.loc['accumulate', 'ended']):.0f}%", display=False)
first = lclaims.authors_optimiser_fit("diabetes")
glue("lr_first_ours", fmt(first["mle_log_loss"], 4), display=False)
glue("lr_first_theirs", fmt(first["test_log_loss"], 4), display=False)
glue("lr_first_iters", first["iterations"], display=False)
glue("lr_first_acc_ours", fmt(first["mle_accuracy"], 3), display=False)
glue("lr_first_acc_theirs", fmt(first["test_accuracy"], 3), display=False)
if shown.empty:
    print(f"no chain ended within {T} generations")
else:
    display(HTML(html_table(
        [("workflow", "left"), ("data, n, labels", "left"), ("chains", "right"), ("ended by T", "right"),
         ("median end [95%]", "right")],
        [[plotting.WORKFLOW_LABEL[r.workflow], f"{r.dataset.replace('_', ' ')}, {r.n:,}, {r.labels}", str(r.chains),
          f"{100 * r.ended:.0f}%", r["median end"]] for _, r in shown.iterrows()])))

# %% [markdown]
# Under Replace the diabetes chains end: by $t =$ {glue:text}`lr_T`,
# {glue:text}`lr_dd_ended` of them had drawn labels that a hyperplane separates, at a median
# generation of {glue:text}`lr_dd_end_median` (the table gives every cell where a chain
# ended, with the median's 95% interval). Dey and Donoho's one run separated between
# generations {glue:text}`lr_theirs_end` (read from their log: the test loss jumps, the
# training accuracy reaches 1, and consecutive iterations log the same fit), well within
# that spread; from there their log reports the optimiser's stopping point, a test loss of
# about 8. Once a chain's labels separate, a fit on the way to infinity gives those very
# labels probabilities that tend to 1, so drawing from it returns them again: the chain is
# absorbed. An optimiser's stopping point is not quite at infinity, so a label still flips
# now and then; their logs show the rest: the diabetes chain logs one fit at every
# generation from 35 to 48, the breast-cancer chain one fit from 2 to 50.
#
# Accumulate keeps every chain alive: the real labels, which overlap, stay in the stack,
# and the stack can only separate if every label vector in it does. Accumulate-Subsample
# fits a subsample that may miss the real labels of the rows that overlap. With breast
# cancer's first {glue:text}`lr_bc_features` features, whose classes nearly separate,
# {glue:text}`lr_bc_replace_ended` of the Replace chains, {glue:text}`lr_bc_sub_ended` of
# the Accumulate-Subsample chains and {glue:text}`lr_bc_acc_ended` of the Accumulate chains
# ended within {glue:text}`lr_T` generations.
#
# Their very first number differs from this build's for a simpler reason. Their log's
# first test loss, {glue:text}`lr_first_theirs`, is scikit-learn's default lbfgs stopped at
# its default tolerance after {glue:text}`lr_first_iters` iterations on the raw inputs
# (rerun here, it gives their number to the last logged digit); the maximum-likelihood fit
# gives {glue:text}`lr_first_ours` (test accuracy {glue:text}`lr_first_acc_ours` against
# their {glue:text}`lr_first_acc_theirs`).
#
# ## Why the errors add up, and when
#
# Write $e_k$ for the error that the labels drawn at generation $k$ add to a fit. A fit
# solves its score equation $\sum_i z_i\,(y_i - \sigma(z_i^\top\beta)) = 0$; expanding it
# around the previous fit shows that, to first order in $1/\sqrt n$, a fit on labels drawn
# from $\hat\beta_{k-1}$ is $\hat\beta_{k-1} + e_k$ with $e_k$ of mean zero and covariance
# $J^{-1}$, independent across generations, and that the fit on $t$ stacked label vectors
# is the mean of the $t$ fits they would give one by one. So, measured from the real data's
# fit,
#
# ```{math}
# :label: lr-logistic-errors
# \text{Replace: } \hat\beta_t - \hat\beta_{\mathrm{ref}} = \sum_{k=2}^{t} e_k,
# \qquad
# \text{Accumulate: } \hat\beta_t - \hat\beta_{\mathrm{ref}} = \sum_{k=2}^{t} \frac{e_k}{k},
# ```
#
# exactly the recursion of {ref}`linear-regression`. With model labels the first fit has an
# error $e_1$ of the same kind and the sums start at $k = 1$. Since
# $\mathbb E\, e_k^\top J e_k = p$, the expected `param_error` is
#
# ```{math}
# :label: lr-logistic-limit
# \mathbb E\,\mathrm{param\_error}_t \to
# \begin{cases} t - 1 \text{ or } t & \text{(Replace)},\\[2pt]
# \sum_{k=2}^{t} 1/k^2 \text{ or } \sum_{k=1}^{t} 1/k^2 < \pi^2/6 & \text{(Accumulate)},
# \end{cases}
# ```
#
# for real or model labels: with the truth known, the error is $t$ times the first fit's
# under Replace and at most $\pi^2/6$ times it under Accumulate, Dey and Donoho's result.
# These are limits as $n \to \infty$, not finite-$n$ formulas. Two things break them at
# small $n$. The maximum-likelihood estimate of logistic regression is biased away from
# zero by an amount of order $p/n$ (Firth, 1993; Sur and Candès, 2019), and under Replace
# each generation starts from the last one's inflated coefficients, so the bias compounds:
# the coefficients grow geometrically, the fitted probabilities move towards 0 and 1, and
# the labels end up separable. And at small $n$ the first fit's own error exceeds its
# limit. The test log-loss follows from a second-order expansion around
# $\hat\beta_{\mathrm{ref}}$, $\mathbb E L(\hat\beta_t) \approx L(\hat\beta_{\mathrm{ref}}) +
# \tfrac12 \operatorname{tr}(H J^{-1})\,\mathbb E\,\mathrm{param\_error}_t$ with $H$ the
# test loss's Hessian: the dashed lines of {numref}`fig-lr-data`, an approximation twice
# over.
#
# ## The theory over the runs
#
# {numref}`fig-lr-theory` shows `param_error` with model labels, where
# {eq}`lr-logistic-limit` is the ratio to the first fit's error, one colour per $n$, drawn
# while every chain has a fit; the dashed lines are the limits $t$ and
# $\sum_{k\le t}1/k^2$.

# %% tags=["remove-input"] mystnb={"figure": {"caption": "The error of the fit, param_error, with model labels (the truth known) on the diabetes inputs, one colour per n (n above 309 repeats the 309 training rows); mean over chains with its 95% interval, drawn while every chain has a fit, on a logarithmic generation axis (and a logarithmic error axis for Replace); dashed: the large-n limits t (Replace) and the Basel sum (Accumulate).", "name": "fig-lr-theory"}}
model = results[results.labels == "model"]
if model.empty:
    print("no run with model labels (labels does not hold 'model')")
else:
    fig, axes = plotting.workflow_grid(lclaims.every_chain_has_a_fit(model), "param_error", hue="n",
                                       theory=lambda wf, rv, hv, ts: ltheory.ratio_to_first_fit(wf, ts),
                                       log=True, sharey=False, ylabel="param_error\n(per coefficient)",
                                       panel_size=(2.3, 2.9))
    for ax in axes[0, 1:]:  # the two that level off: a linear axis shows their level
        ax.set_yscale("linear")
    plotting.log_generation_axis(axes, T)
    plt.show()

# %% [markdown]
# The table sets the last generation beside the limits: with model labels the ratio of the
# mean error at $t =$ {glue:text}`lr_T` to the mean error of the first fit (Fieller's 95%
# interval: the two means come from the same chains), with real labels the mean
# `param_error` itself (Student's $t$ interval), each against its large-$n$ limit; "—"
# where a chain of the cell had no fit left.

# %% tags=["remove-input", "nbval-check-output"]
def last_generation_table(frame: pd.DataFrame) -> tuple[list[list[str]], dict]:
    """At t = T, per workflow, n and labels: this build's ratio (model labels) or mean (real
    labels) with its interval, beside the large-n limit."""
    rows, found = [], {}
    for (wf, n, lab), part in frame.groupby(["workflow", "n", "labels"], sort=False):
        if wf == "accumulate-subsample" and lab == "real":
            continue
        wide = part.pivot_table(index="seed", columns="generation", values="param_error")
        limit = ltheory.expected_param_error(wf, T, lab)
        if T not in wide.columns or wide[T].isna().any():
            iv = None
        elif lab == "model":
            iv = stats.ratio_of_means(wide[T], wide[1], paired=True)
        else:
            iv = stats.mean_interval(wide[T], method="t")
        found[(wf, n, lab)] = iv
        rows.append([plotting.WORKFLOW_LABEL[wf], f"{n:,}", lab,
                     "error / first fit's" if lab == "model" else "mean error",
                     iv.text() if iv is not None else "—", fmt(float(limit)) if limit is not None else "none known"])
    return rows, found


table_rows, found = last_generation_table(results)
display(HTML(html_table([("workflow", "left"), ("n", "right"), ("labels", "left"), ("statistic", "left"),
                         (f"this build, t = {T} [95%]", "right"), ("large-n limit", "right")], table_rows)))


def glue_interval(key: str, cell: tuple) -> None:
    iv = found.get(cell)
    glue(key, iv.text() if iv is not None else "not available (a chain had no fit, or the cell was not run)",
         display=False)


def against(cell: tuple, name: str) -> str:
    """'1.62 [1.49, 1.76] against a limit of 1.63, which the interval holds' (or lies above/below)."""
    iv = found.get(cell)
    limit = ltheory.expected_param_error(cell[0], T, cell[2])
    if iv is None or limit is None:
        return f"not available for {name} (a chain had no fit, or the cell was not run)"
    limit = float(limit)
    where = "which the interval holds" if iv.contains(limit) else (
        "below the interval" if iv.low > limit else "above the interval")
    return f"{iv.text()} against a limit of {fmt(limit)}, {where}"


glue("lr_acc_big_vs", against(("accumulate", BIG, "model"), "Accumulate"), display=False)
glue("lr_rep_big_vs", against(("replace", BIG, "model"), "Replace"), display=False)
glue("lr_acc_dd_vs", against(("accumulate", DD_N, "model"), "Accumulate"), display=False)
glue("lr_acc_dd_real_vs", against(("accumulate", DD_N, "real"), "Accumulate"), display=False)
glue_interval("lr_sub_big", ("accumulate-subsample", BIG, "model"))
dd_cells = [c for c in (("accumulate", DD_N, "model"), ("accumulate", DD_N, "real")) if found.get(c) is not None]
held = [found[c].contains(float(ltheory.expected_param_error(c[0], T, c[2]))) for c in dd_cells]
glue("lr_dd_pathway", "the data do not say" if not held else
     "at this number of chains the pathway cannot be told from its limit" if all(held) else
     "the pathway lies above its limit there: the bias of the estimate, and a first fit whose own error "
     "exceeds its limit", display=False)
glue("lr_big", f"{BIG:,}", display=False)
glue("lr_dd_n", DD_N, display=False)

# %% [markdown]
# At $n =$ {glue:text}`lr_big`, with model labels, the error at $t =$ {glue:text}`lr_T` as a
# multiple of the first fit's is, under Accumulate, {glue:text}`lr_acc_big_vs`; under
# Replace, {glue:text}`lr_rep_big_vs`. At Dey and Donoho's own size, $n =$
# {glue:text}`lr_dd_n`, Accumulate's ratio is {glue:text}`lr_acc_dd_vs`, and with the real
# labels its error is {glue:text}`lr_acc_dd_real_vs`: {glue:text}`lr_dd_pathway`
# ({numref}`fig-lr-theory` shows the first fit's own error there).
# Replace at that size has left its limit far behind before its chains end. Accumulate-Subsample
# has no closed form; at $n =$ {glue:text}`lr_big` it levels off at {glue:text}`lr_sub_big`
# times the first fit's error, which is where Dey and Donoho's Gaussian-process limit levels
# off (next section).
#
# (logreg-dey-donoho)=
# ## This run beside Dey and Donoho
#
# Every number that Dey and Donoho's repository gives for this experiment, beside this
# build's; {ref}`results` explains the verdicts. Their runs are single chains, so each is
# placed by its rank among this build's chains: *consistent* where one chain like theirs
# would be unremarkable, *differs* where it lies in a tail holding fewer than 5% of them.
# Their Gaussian-process limits (the figure in their repository) are compared with the
# ratio of means at the largest $n$ with model labels. Their breast-cancer numbers have no
# counterpart: the fits do not exist.

# %%
ctx = claims.Context(run=run, overrides={"logistic_regression": vars(p)})
table = claims.with_multiplicity(lclaims.claims(ctx).rows)

# %% tags=["remove-input", "nbval-check-output"]
verdicts = table.verdict.value_counts()
judged = int(verdicts.drop("not run at this scale", errors="ignore").sum())
words = {"reproduced": "reproduced", "consistent": "consistent", "differs": "differ"}
parts = [f"{verdicts.get(w, 0)} {words[w]}" for w in words if verdicts.get(w, 0)]
glue("lr_dd_verdicts", "none could be judged at this run's size" if judged == 0 else
     f"this build judged {judged}: " + ", ".join(parts), display=False)
glue("lr_dd_not_run", int(verdicts.get("not run at this scale", 0)), display=False)
limits = table[table.metric == "error / first fit's"]
off = limits[limits.verdict == "differs"]
glue("lr_dd_limits", "every ratio this run reached lies within the reach of their limit" if off.empty else
     "; ".join(f"{r.workflow}'s ratio at t = {r.t} is {r['this build']} against {r.reference}, "
               + ("a difference that holds after Holm's correction" if r.holds_after_holm else
                  "a difference that does not survive Holm's correction over the table")
               for _, r in off.iterrows()), display=False)
display(HTML(claims.claims_html(table)))

# %% [markdown]
# Of the numbers in the table {glue:text}`lr_dd_verdicts`; {glue:text}`lr_dd_not_run`
# were not run at this scale (their figure goes to $t = 100$). The first fit differs
# because their optimiser stopped early, and the breast-cancer rows because there is no
# fit to compare with. Their single diabetes runs lie among this build's chains, though
# their Accumulate chain sits in the upper part of them: it starts from their early-stopped
# first fit, whose loss is lower and whose accuracy is lower than the maximum-likelihood
# fit's. Of their large-$n$ limits: {glue:text}`lr_dd_limits`.
#
# ## Summary
#
# - Refit on its own labels at large $n$ ($n =$ {glue:text}`lr_big`, the truth known), the
#   error at $t =$ {glue:text}`lr_T` was, as a multiple of the first fit's, under Accumulate
#   {glue:text}`lr_acc_big_vs`, and under Replace {glue:text}`lr_rep_big_vs`.
# - At the data set's own size ($n =$ {glue:text}`lr_dd_n`) the estimate's bias compounds
#   under Replace until the labels separate: {glue:text}`lr_dd_ended` of the chains had no
#   fit by $t =$ {glue:text}`lr_T`, at a median generation of {glue:text}`lr_dd_end_median`;
#   Dey and Donoho's one run separated between generations {glue:text}`lr_theirs_end`.
# - Separable classes have no unpenalised maximum-likelihood fit. The breast-cancer
#   training split separates with {glue:text}`lr_bc_first_sep` or more features, so its
#   numbers in Dey and Donoho's logs are optimisers' stopping points; this build refuses
#   that design and runs {glue:text}`lr_bc_features` features.
# - Accumulate-Subsample levels off at {glue:text}`lr_sub_big` times the first fit's error
#   at large $n$, the level of Dey and Donoho's Gaussian-process limit; no closed form is
#   known.
#
# ## Exercises
#
# 1. Why does a Replace chain whose labels have become separable never recover, even
#    though the next labels are drawn at random?
#
# ```{dropdown} Solution
# The fits on separable labels form a path to infinity along a separating direction; along
# it every fitted probability tends to 0 or 1 on the side its label is on. Drawing from such
# a fit returns the same labels with probability tending to 1, so the next training set is
# the same separable one. Dey and Donoho's log shows it: from iteration 29 on it repeats one
# fit. This build ends the chain at the first separable generation instead of reporting a
# point on that path.
# ```
#
# 2. Show that Accumulate's stack of label vectors can be separable only if each of its
#    label vectors is.
#
# ```{dropdown} Solution
# Every copy of the design has the same inputs. A direction $\beta$ separates the stack when
# $z_i^\top\beta \ge 0$ for every row labelled 1 and $\le 0$ for every row labelled 0, in
# every copy (and is not zero on all rows). Restricted to one copy it separates that copy's
# labels. Since the real labels overlap, no direction separates them, so no direction
# separates a stack that contains them: Accumulate's chains never end.
# ```
#
# 3. Run the chapter with
#    `python -m collapse_lib.notebooks book/logistic_regression.py -p labels "[model]" -p ns "[100, 309, 30900]"`.
#    At $n = 100$,
#    what is the mean of the first fit's `param_error`, and why is it above 1?
#
# ```{dropdown} Solution
# Measured over 400 chains it is 1.86 [1.65, 2.32] (mean and 95% interval): the limit 1
# assumes $n$ large against $p = 11$. With $p/n = 0.11$ the variance of the
# maximum-likelihood estimate is inflated above $J^{-1}$ and its bias is not negligible,
# the high-dimensional effect that Sur and Candès (2019) quantify. At $n = 309$ it is
# 1.20 [1.12, 1.29]; at $n = 3{,}090$ and $30{,}900$ the interval holds 1. (A few chains
# with a nearly separable first sample make the mean at $n = 100$ heavy-tailed.)
# ```
#
# 4. Why is the test log-loss the wrong quantity for the $\pi^2/6$ bound, and what is its
#    large-$n$ counterpart?
#
# ```{dropdown} Solution
# The bound is on the error of the estimate. The test loss of a fit is the loss of the real
# data's fit plus an excess; to second order the excess is
# $\tfrac12 (\hat\beta_t - \hat\beta_{\mathrm{ref}})^\top H (\hat\beta_t - \hat\beta_{\mathrm{ref}})$,
# so its expectation is $\tfrac12 \operatorname{tr}(HJ^{-1})$ times the expected
# `param_error`: the bound holds for the excess, not for the loss itself, which also
# carries the real fit's loss (and on real data, misspecification).
# ```
#
# ## References
#
# {cite:p}`dey2024universality`, {cite:p}`gerstgrasser2024collapse`, {cite:p}`kazdan2025collapse`,
# {cite:p}`sklearn2011`. A. Albert and J. A. Anderson, "On the existence of maximum likelihood
# estimates in logistic regression models", *Biometrika* 71 (1984). D. Firth, "Bias reduction
# of maximum likelihood estimates", *Biometrika* 80 (1993). P. Sur and E. J. Candès, "A modern
# maximum-likelihood theory for high-dimensional logistic regression", *PNAS* 116 (2019).

# %% [markdown]
# ## Data
#
# The data behind this page's figures and tables, to download: each frame as Parquet and as
# CSV, and the parameters and code fingerprints that made them.

# %% tags=["remove-input"] mystnb={"markdown_format": "myst"}
from collapse_lib import downloads

downloads.offer(globals(), "logistic_regression", tables={"claims": "table"})
