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
# (results)=
# # Results at a glance
#
# Does this build reproduce the paper? This page answers number by number: every number
# the paper (or its authors' code) gives for its headline results, where that number comes
# from and the range a reading of it supports, this build's value with its 95% interval,
# the closed form where one exists, and a verdict that a wrong number would have flipped.
# Nothing on this page is typed: each value is recomputed through the library with the same
# arguments as the chapter that shows it, so the result store hands back that chapter's own
# runs; the settings come from the library's registry.
#
# **Learning objectives**
# - Find, for any number of the paper, its source, this build's value and the chapter that
#   explains it.
# - Read the four verdicts: *reproduced*, *consistent*, *differs*, *not run at this scale*,
#   and what an *underpowered* row can and cannot say.
# - Know how many "differs" chance alone would produce among this many verdicts.

# %% tags=["parameters"]
params_file = ""  # parameter file the book was built with ("" for the chapters' defaults; e.g. tests/params/smoke.yml)
compute_expensive = False  # compute the runs of expensive chapters (the language model) when the store lacks them
use_store = True  # read the chapters' runs from the result store (_cache/ or $COLLAPSE_STORE); False recomputes
workers = 1  # local worker processes for runs the store lacks (int ≥ 1); the numbers do not depend on it
scheduler = ""  # address of a Dask scheduler such as "tcp://host:8786" ("" runs here)

# %% tags=["remove-input"]

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import HTML, display
from myst_nb import glue

import collapse_lib as cl
from collapse_lib import claims, plotting, stats
from collapse_lib.chapters import chapter_parameters
from collapse_lib.tables import format_value
from collapse_lib.validation import Bool, Int, Str

p = chapter_parameters(globals(), params_file=Str(), compute_expensive=Bool(), use_store=Bool(), workers=Int(1),
                       scheduler=Str())
plotting.book_style()
ctx = claims.Context(p.params_file, cl.grid.runner(p.use_store, p.workers, p.scheduler), p.compute_expensive)
glue("res_params", f"the parameter file {p.params_file}" if p.params_file else "the chapters' default parameters",
     display=False)
glue("res_t3", stats.t_quantile(3), display=False)

# %% [markdown]
# ## How the verdicts are made
#
# **Where each number comes from.** Most of the paper's numbers are read off its figures.
# The figures are the PNG files in the authors' repository; this book reads them by pixel:
# the curve at the generation quoted and its band, which is the default of their plotting
# library, a 95% bootstrap interval of the mean over their seeds. That band, widened by the
# error of the reading (a few pixels), is the **range** a verdict compares, and the page
# prints it. Where the authors committed their results (the Gaussian at $d = 1$), the
# range is the 95% interval of their runs; where a number comes from re-running their code,
# the row says so, and this build reruns it over many seeds itself.
#
# **This build's interval.** Every interval comes from one module, `collapse_lib.stats`:
# Student's $t$ for a few seeds (with 3 seeds its quantile is
# {glue:text}`res_t3:.2f`, not 1.96), and, for a positive metric whose seeds are
# heavy-tailed (a few chains carry most of the mean), an iterated bootstrap that covers
# where the $t$ interval does not; the tests check the coverage of each on cases with a
# known answer.
#
# **The verdict** sets the interval beside the range, with no hidden tolerance:
# *reproduced* when the interval lies inside the range; *consistent* when they overlap but
# the interval is too wide to tell (the row says how large a difference could hide in
# it); *differs* when they are disjoint; *not run at this scale* when this build did not
# run that cell or generation ({doc}`scale` gives the command that does). A row whose
# interval would also meet twice or half the range is **underpowered**: a reference off by
# a factor of 2 would not have flipped it, and the row says about how many seeds would.
#
# **Many verdicts at once.** Each verdict is a test at the 95% level, so among many
# correct references about one in twenty would come out *differs* by chance. Each
# *differs* row also says whether it survives Holm's correction for every verdict on the
# page. The book's own {glue:text}`res_params` were used for this build.

# %%
table = claims.all_claims(ctx)

# %% tags=["remove-input", "nbval-check-output"]
counts = claims.verdict_counts(table)
display(HTML(counts.to_html(border=0)))
judged = table[table.verdict.isin(["reproduced", "consistent", "differs"])]
with_theory = table[table.theory_inside.isin([True, False])]
outside = with_theory[with_theory.theory_inside == False]  # noqa: E712 -- a column of True/False/None
glue("res_claims", len(table), display=False)
glue("res_judged", len(judged), display=False)
glue("res_reproduced", int((table.verdict == "reproduced").sum()), display=False)
glue("res_consistent", int((table.verdict == "consistent").sum()), display=False)
glue("res_differs", int((table.verdict == "differs").sum()), display=False)
glue("res_holm", int(table.holds_after_holm.sum()), display=False)
glue("res_not_run", int((table.verdict == "not run at this scale").sum()), display=False)
glue("res_chance", format_value(0.05 * len(judged), 2), display=False)
glue("res_underpowered", int(judged.underpowered.sum()), display=False)
glue("res_theory", len(with_theory), display=False)
glue("res_theory_out", len(outside), display=False)
glue("res_theory_out_text", "none lies outside this build's interval" if outside.empty else
     ("one lies outside it: " if len(outside) == 1 else f"{len(outside)} lie outside it: ")
     + "; ".join(outside.claim + ", t = " + outside.t.astype(str)), display=False)

# %% [markdown]
# Of the {glue:text}`res_claims` claims, this build judged {glue:text}`res_judged`:
# {glue:text}`res_reproduced` reproduced, {glue:text}`res_consistent` consistent and
# {glue:text}`res_differs` differ ({glue:text}`res_holm` of them still after Holm's
# correction); {glue:text}`res_not_run` were not run at this scale. Chance alone would give
# about {glue:text}`res_chance` *differs* among this many verdicts if every reference were
# right. {glue:text}`res_underpowered` of the judged rows are underpowered. Of the
# {glue:text}`res_theory` rows with a closed form, {glue:text}`res_theory_out_text`.
# {numref}`fig-results-ratio` shows every row that compares two numbers.

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Every judged row with a number: this build's value and 95% interval (points and lines) and the range of the reference (grey bars), both divided by the reference's value, on a log scale. Blue: reproduced; purple: consistent; vermillion: differs. The rows of the bound and the ordering are in their own tables below.", "name": "fig-results-ratio"}}
COLOURS = {"reproduced": "#0072B2", "consistent": "#CC79A7", "differs": "#D55E00"}
shown = judged[np.isfinite(judged.value.astype(float)) & np.isfinite(judged.range_lo.astype(float))
               & ~judged.family.isin(["bound", "ordering"])].copy()
reference = shown.reference.str.split(" ").str[0].map(float)
ok = (reference > 0) & (shown.low.astype(float) > 0) & (shown.range_lo.astype(float) > 0)
shown, reference = shown[ok].iloc[::-1], reference[ok].iloc[::-1]
fig, ax = plt.subplots(figsize=(plotting.MAX_WIDTH, max(2.0, 0.22 * len(shown) + 1.0)), layout="constrained")
for i, (idx, r) in enumerate(shown.iterrows()):
    ref_value = reference.loc[idx]
    ax.plot([r.range_lo / ref_value, r.range_hi / ref_value], [i, i], color="0.85", lw=6, solid_capstyle="butt",
            zorder=0)
    ax.plot([r.low / ref_value, r.high / ref_value], [i, i], color=COLOURS[r.verdict], lw=1.2)
    ax.scatter([r.value / ref_value], [i], color=COLOURS[r.verdict], s=16, zorder=3)
ax.axvline(1.0, color="0.3", lw=0.8)
ax.set_xscale("log")
ax.set_yticks(range(len(shown)))
labels = [f"{claims.family_label(f)}: {c}" for f, c in zip(shown.family, shown.claim)]
ax.set_yticklabels([s if len(s) <= 60 else s[:58] + "…" for s in labels], fontsize=7)
ax.set_xlabel("this build / the reference value (grey: the reference's range)")
for word, colour in COLOURS.items():
    ax.plot([], [], "o", color=colour, label=word)
ax.legend(fontsize=7, loc="lower right")
plt.show()

# %% [markdown]
# ## Claim by claim
#
# One table per setting, in the order of the book, then the bound of Accumulate tested in
# every cell at once, the ordering of the three workflows, and the families that span
# settings. Each claim names its source and links to the section that shows it.

# %% tags=["remove-input"]
for family in dict.fromkeys(table.family):
    display(HTML(f'<p style="margin:1.2em 0 0.3em 0"><b>{claims.family_label(family)}</b></p>'))
    display(HTML(claims.claims_html(table, family)))

# %% [markdown]
# ## Summary
#
# - Every reference number names its source and the range a reading of it supports; the
#   verdict compares that range, and nothing else, with this build's 95% interval.
# - {glue:text}`res_reproduced` reproduced, {glue:text}`res_consistent` consistent,
#   {glue:text}`res_differs` differ ({glue:text}`res_holm` after Holm's correction), and
#   {glue:text}`res_not_run` not run at this build's size ({doc}`scale` runs each chapter
#   at the paper's).
# - A *consistent* row is not a success: it says the interval is too wide to tell; an
#   *underpowered* one says how many seeds would.
#
# ## Exercises
#
# 1. Build the book with `params/paper.yml` and rerun this page with
#    `-p params_file params/paper.yml`. Which rows change from *not run at this scale* to a
#    verdict, and which *consistent* rows become *reproduced* or *differs*?
#
# ```{dropdown} Solution
# The rows at $t = 100$ need `n_generations` 100 and the cells the paper quotes; at the
# paper's scale every chapter runs them. More seeds narrow the intervals: an underpowered
# *consistent* row can then become *reproduced* (its interval fits inside the range) or
# *differs*. The language model stays a small model on other text, so its ratios need not
# match Gemma's.
# ```
#
# 2. Why is the Gaussian reference at $d = 1$, $n = 10$ under Replace given as an interval
#    although it comes from the authors' own result file?
#
# ```{dropdown} Solution
# The file holds one run per seed, 100 in all, and the error is heavy-tailed: a few chains
# wander far and carry much of the mean. Their mean is therefore itself uncertain, and the
# range says by how much. (The file also holds duplicated rows of some runs, which the
# authors' figure averages in; here each run counts once, as the row's source says.)
# ```
#
# ## References
#
# {cite:p}`kazdan2025collapse`, {cite:p}`gerstgrasser2024collapse`, {cite:p}`dey2024universality`.

# %% [markdown]
# ## Data
#
# The data behind this page's figures and tables, to download: each frame as Parquet and as
# CSV, and the parameters and code fingerprints that made them.

# %% tags=["remove-input"] mystnb={"markdown_format": "myst"}
from collapse_lib import downloads

downloads.offer(globals(), "results", tables={"claims": "table"},
                captions={"claims": "every claim of the paper: its value, this build's with its interval, theory, verdict"})
