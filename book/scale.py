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
# (scale)=
# # The scale of this build
#
# The book builds in minutes on a laptop's CPU, so most chapters run fewer seeds, shorter
# horizons or smaller grids than the paper. Where exactly does this build fall short of
# the paper's scale, and how do you run a chapter at full size? This page answers from the
# sources themselves: it reads every chapter's `parameters` cell (overlaid by the
# parameter file the book was built with) and the paper-scale file `params/paper.yml`, so
# it cannot drift from them.
#
# **Learning objectives**
# - See, per chapter, which parameters this build sets below the paper's scale.
# - Estimate what a full-size run costs relative to this build, and how long it takes.
# - Build the whole book, or any chapter, at the paper's scale with one command.

# %% tags=["parameters"]
params_file = ""  # parameter file the book was built with ("" for the chapters' defaults; e.g. tests/params/smoke.yml)
paper_file = "params/paper.yml"  # parameter file of the paper's scale, keyed by chapter (path from the repository root)
times_file = "params/paper_times.yml"  # measured times of the chapters at the paper's scale (path from the repository root)

# %% tags=["remove-input"]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import yaml
from IPython.display import HTML, display
from myst_nb import glue

from collapse_lib import claims, plotting
from collapse_lib.chapters import chapter_parameters, params_path
from collapse_lib.tables import html_table
from collapse_lib.validation import Str

p = chapter_parameters(globals(), params_file=Str(), paper_file=Str(), times_file=Str())
plotting.book_style()
glue("sc_params", f"the parameter file {p.params_file}" if p.params_file else "the chapters' defaults",
     display=False)

# %% [markdown]
# ## The work of each chapter
#
# A rough measure of a chapter's work is the number of chains times generations of its main
# grid: seeds × generations × the number of grid cells. {numref}`fig-scale-work` sets this
# build ({glue:text}`sc_params`) beside the paper's scale.

# %%
summary = claims.scale_summary(p.paper_file, p.params_file)
differences = claims.scale_table(p.paper_file, p.params_file)

# %% tags=["remove-input", "nbval-check-output"]
display(HTML(summary[["chapter", "this build", "paper scale", "ratio"]].to_html(
    index=False, border=0, justify="left", formatters={"this build": "{:,.0f}".format, "paper scale": "{:,.0f}".format,
                                       "ratio": "{:,.1f}×".format})))
glue("sc_chapters", len(summary), display=False)
glue("sc_max_ratio", float(summary.ratio.max()), display=False)
glue("sc_max_chapter", summary.loc[summary.ratio.idxmax(), "chapter"], display=False)
glue("sc_equal", ", ".join(summary.loc[np.isclose(summary.ratio, 1.0), "chapter"]) or "none", display=False)

# %% tags=["remove-input"] mystnb={"figure": {"caption": "How much more work each chapter does at the paper's scale than in this build (seeds × generations × grid cells, log scale); 1 means this build already runs at the paper's scale.", "name": "fig-scale-work"}}
fig, ax = plt.subplots(figsize=(6.5, 0.35 * len(summary) + 1.0), layout="constrained")
y = np.arange(len(summary))[::-1]
ax.barh(y, summary.ratio, color="#0072B2", height=0.6)
ax.axvline(1.0, color="0.3", lw=0.8)
ax.set_xscale("log")
ax.set_yticks(y)
ax.set_yticklabels(summary.chapter, fontsize=9)
ax.set_xlabel("paper's scale / this build (chains × generations)")
plt.show()

# %% [markdown]
# Of the {glue:text}`sc_chapters` chapters with a paper-scale section, the largest gap is
# {glue:text}`sc_max_chapter` ({glue:text}`sc_max_ratio:.0f` times the work); chapters already
# at the paper's scale: {glue:text}`sc_equal`. The measure ignores the cost per chain, which
# grows with $n$ (and with the pool under Accumulate).

# %% [markdown]
# ## How long the paper's scale takes
#
# Work is not time: a chain of the language model costs minutes, one of the Gaussian
# milliseconds. The table below gives the time of each chapter at the paper's
# scale on one machine ({glue:text}`sc_machine`), measured on {glue:text}`sc_measured` by
# `benchmarks/paper_scale.py`. The paper's scale takes hours here, so each chapter was run on
# a part of its work, and the rest projected, as its row says: two runs at a few per cent of
# the paper's seeds (every other parameter at the paper's scale), read along the line they
# draw to all the seeds; for the language model, the measured seconds per optimiser step, per
# sampled document and per scored example, multiplied by what the paper's parameters ask for.
# The projections assume nothing else runs on the machine; with more cores, `workers` or a
# cluster (below) divide the time of the grids.

# %% tags=["remove-input"]
times = yaml.safe_load(params_path(p.times_file).read_text())
measured = pd.DataFrame([{"chapter": k, **v} for k, v in times["chapters"].items()])
measured = measured.set_index("chapter").loc[[c for c in summary.chapter if c in set(measured.chapter)]].reset_index()


def duration(seconds: float) -> str:
    """A duration as a person writes it: 40 s, 12 min, 3.5 h, 2.1 days."""
    for unit, size, digits in (("days", 86400, 1), ("h", 3600, 1), ("min", 60, 0)):
        if seconds >= 2 * size:
            return f"{seconds / size:.{digits}f} {unit}"
    return f"{seconds:.0f} s"


display(HTML(html_table([("chapter", "left"), ("paper scale", "right"), ("measured", "right"),
                         ("how it was measured", "left")],
                        [(r.chapter, duration(r.seconds), duration(r.measured_seconds), r.how)
                         for r in measured.itertuples()])))
glue("sc_machine", times["machine"], display=False)
glue("sc_measured", str(times["measured"]), display=False)
glue("sc_total", duration(measured.seconds.sum()), display=False)
glue("sc_measured_total", duration(measured.measured_seconds.sum()), display=False)
glue("sc_longest", measured.loc[measured.seconds.idxmax(), "chapter"], display=False)
glue("sc_longest_time", duration(measured.seconds.max()), display=False)

# %% [markdown]
# (*Paper scale*: the time at the paper's scale; *measured*: the time of the runs it was
# read from.) The whole book at the paper's scale would take about {glue:text}`sc_total` on that machine,
# projected from {glue:text}`sc_measured_total` of runs; {glue:text}`sc_longest` alone takes
# {glue:text}`sc_longest_time`. These are measurements of one machine on one day: rerun
# `benchmarks/paper_scale.py` (under no other load) to measure yours.

# %% [markdown]
# ## Where this build differs, chapter by chapter
#
# Each parameter whose value here differs from the paper-scale file, with the comment of
# its `parameters` cell.

# %% tags=["remove-input"]
for chapter, part in differences.groupby("chapter", sort=False):
    display(HTML(f"<p><b>{chapter}</b></p>" + part.drop(columns="chapter").to_html(index=False, border=0, justify="left")))
same = [c for c in summary.chapter if c not in set(differences.chapter)]
glue("sc_same", ", ".join(same) or "none", display=False)

# %% [markdown]
# Chapters whose defaults are the paper's scale already: {glue:text}`sc_same`.
#
# ## The whole book at the paper's scale
#
# One command executes every chapter with `params/paper.yml` and builds the book from them,
# in its own folder, `_build/paper/` (the notebooks in `_build/paper/book/`, the HTML in
# `_build/paper/_build/html/`), so that it never mixes with the default build; the second
# line runs every grid of every chapter on a Dask cluster:
#
# ```bash
# make book PARAMS=params/paper.yml
# make book PARAMS=params/paper.yml SCHEDULER=tcp://scheduler-host:8786
# ```
#
# The runs go to the result store (`_cache/`), so an interrupted build resumes where it
# stopped, and a store computed elsewhere (a cluster, a release asset of the repository)
# builds the book without computing anything ({doc}`running`).
#
# ## Running a chapter at the paper's scale
#
# One command per chapter, into the same folder; each writes its runs to the result store,
# so the pages that read them (the workflow chapters and {ref}`results`) pick them up when
# rebuilt with the same parameter file.

# %%
for command in summary.command:
    print(command)

# %% [markdown]
# The language model is the one chapter whose paper-scale file does not reach the paper's
# set-up: `params/paper.yml` keeps the small CPU model for the paper's 20 generations, and
# the paper's own model and data (Gemma-2-2B on HelpSteer2, which need a GPU, a network and
# the gated model) are in `params/lm_gpu.yml`:
#
# ```bash
# python -m collapse_lib.notebooks book/language_models.py -f params/lm_gpu.yml -o lm_gemma.ipynb
# ```
#
# On a cluster, add `SCHEDULER=tcp://host:8786` to any `make chapter` command ({doc}`running`).
#
# ## Summary
#
# - This page is generated from the chapters' `parameters` cells and `params/paper.yml`:
#   the gap of each chapter, in parameters and in work, is read, not typed.
# - The largest gap is {glue:text}`sc_max_chapter`, {glue:text}`sc_max_ratio:.0f` times the
#   work; the whole book runs at the paper's scale with one command,
#   `make book PARAMS=params/paper.yml`, in about {glue:text}`sc_total` on the machine
#   measured, and every chapter with one `make chapter` command.
#
# ## Exercises
#
# 1. Which parameter would you raise first to narrow the confidence intervals of
#    {ref}`results`, and which to reach the paper's generation $t = 100$?
#
# ```{dropdown} Solution
# The intervals shrink like one over the square root of `seeds`; the comparison at
# $t = 100$ needs `n_generations` of at least 100. Both multiply the work, so raise them
# for the chapter whose claims you want to check, not for all.
# ```
#
# 2. The measure of work counts chains × generations. Why does it understate the cost of
#    Accumulate at large $n$?
#
# ```{dropdown} Solution
# Under Accumulate generation $t$ trains on $t\,n$ examples ({ref}`accumulate`), so a chain
# of $T$ generations costs about $T^2 n / 2$ example-fits instead of $T n$; the fast paths
# of the library avoid this for the Gaussian and the regression, but not for the kernel
# density, whose pool grows.
# ```
#
# ## References
#
# {cite:p}`kazdan2025collapse`.

# %% [markdown]
# ## Data
#
# The data behind this page's figures and tables, to download: each frame as Parquet and as
# CSV, and the parameters and code fingerprints that made them.

# %% tags=["remove-input"] mystnb={"markdown_format": "myst"}
from collapse_lib import downloads

downloads.offer(globals(), "scale", tables=["summary", "differences", "measured"])
