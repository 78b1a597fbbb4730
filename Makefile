# The two commands of the README: `make book` (build the book) and `make test` (CI).
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := book

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SOURCES := $(sort $(wildcard book/*.py))
CHAPTERS := $(notdir $(basename $(SOURCES)))
LIBRARY := $(wildcard collapse_lib/*.py collapse_lib/*/*.py collapse_lib/*/*/*.py)
# A parameter file (keyed by chapter) runs the whole book at its scale, built in its own folder
# so that it never mixes with the default build: `make book PARAMS=params/paper.yml` executes the
# chapters into _build/paper/book/ and builds the HTML in _build/paper/_build/html/.
PARAMS ?=
CHAPTER ?=
# A Dask scheduler (tcp://host:8786) runs every grid of the chapters on that cluster.
SCHEDULER ?=
ifneq ($(strip $(PARAMS)),)
SITE := _build/$(basename $(notdir $(PARAMS)))
NBDIR := $(SITE)/book
else
SITE := .
NBDIR := book
endif
NOTEBOOKS := $(patsubst %,$(NBDIR)/%.ipynb,$(CHAPTERS))
HTML := $(if $(filter .,$(SITE)),_build/html,$(SITE)/_build/html)
# The pages that read the other chapters' runs from the result store run after every other chapter
# (adding a chapter needs no edit here).
SUMMARY_PAGES := results replace accumulate accumulate_subsample scale
# torch's OpenMP threads sleep instead of spinning while they wait: with spinning, two threads ran
# 8-10x slower whenever another process held a core (measured on the 2-core machine).
export OMP_WAIT_POLICY ?= PASSIVE
# The GitHub repository that hosts the book (owner/name), set in this one place:
# `BOOK_REPOSITORY=owner/name make book` gives the book repository, source, issue and Binder
# launch buttons pointing at it; unset, the book shows no button or link to a repository.
BOOK_REPOSITORY ?=
BOOK_CONFIG := $(if $(filter .,$(SITE)),_build/_config.yml,$(SITE)/_build/_config.yml)
# `make pdf` writes the whole book as one PDF here.
PDF := $(if $(filter .,$(SITE)),_build/pdf/collapse-or-thrive.pdf,$(SITE)/_build/pdf/collapse-or-thrive.pdf)
# The browser test drives this Chromium (Debian's package, installed when missing).
CHROMIUM ?= chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: book test install browser chapter benchmark clean html pdf notebooks html-path site

install: $(STAMP)

# Headless Chromium for tests/test_browser.py (Playwright drives the system's browser and
# downloads none). Debian/Ubuntu: installed with apt-get when missing; elsewhere set
# CHROMIUM=/path/to/chromium.
browser:
	@command -v $(CHROMIUM) > /dev/null || { \
	  echo "installing Debian's chromium for the browser test"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null; }
	@$(CHROMIUM) --version

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" > /dev/null
	touch $@

# Execute a chapter with papermill at its default parameters, or with PARAMS (only when it changed):
# one line per chapter, with its time.
$(NBDIR)/%.ipynb: book/%.py $(LIBRARY) $(STAMP) $(PARAMS)
	@$(if $(SCHEDULER),COLLAPSE_SCHEDULER=$(SCHEDULER)) $(PY) -m collapse_lib.notebooks $< -o $@ $(if $(PARAMS),-f $(PARAMS))

$(patsubst %,$(NBDIR)/%.ipynb,$(filter $(SUMMARY_PAGES),$(CHAPTERS))): \
	$(patsubst %,$(NBDIR)/%.ipynb,$(filter-out $(SUMMARY_PAGES),$(CHAPTERS)))

# The build folder of a book executed with PARAMS: links to the configuration, library and pages.
site: $(STAMP)
ifneq ($(SITE),.)
	$(PY) -m collapse_lib.book site $(SITE) > /dev/null
endif

html: $(STAMP) site
ifneq ($(strip $(BOOK_REPOSITORY)),)
	$(PY) -m collapse_lib.book config --repository "$(BOOK_REPOSITORY)" -o $(BOOK_CONFIG)
	$(VENV)/bin/jupyter-book build $(SITE) -W -n --keep-going --config $(BOOK_CONFIG)
else
	$(VENV)/bin/jupyter-book build $(SITE) -W -n --keep-going
endif
	@echo "The book is at $(abspath $(HTML))/index.html"

# Where `make html` writes the book (the Pages workflow uploads this folder).
html-path:
	@echo $(HTML)

# The whole book as one PDF: Jupyter Book's single-page build printed by the system's Chromium.
pdf: $(NOTEBOOKS) browser site
	CHROMIUM="$$(command -v $(CHROMIUM))" $(PY) -m collapse_lib.book pdf --site $(SITE) -o $(PDF)
	@echo "The PDF is at $(abspath $(PDF))"

# Every chapter as a notebook for Colab (the Pages workflow pushes them to the branch `notebooks`).
notebooks: $(STAMP)
	test -n "$(BOOK_REPOSITORY)" || { echo "usage: make notebooks BOOK_REPOSITORY=owner/name"; exit 2; }
	rm -rf _build/notebooks
	$(PY) -m collapse_lib.book notebooks --repository "$(BOOK_REPOSITORY)" -o _build/notebooks

# One line per chapter executed (its time), then the summary of this build.
BUILD_STARTED := $(shell date +%s)
book: $(NOTEBOOKS)
	@$(PY) -m collapse_lib.notebooks --summary --since $(BUILD_STARTED)
	$(MAKE) html

# Re-run one chapter, e.g. make chapter CHAPTER=gaussian PARAMS=params/paper.yml (into the folder
# of that parameter file's build, _build/paper/book/). On a Dask cluster:
# make chapter CHAPTER=kde PARAMS=params/paper.yml SCHEDULER=tcp://host:8786
chapter: $(STAMP)
	test -n "$(CHAPTER)" || { echo "usage: make chapter CHAPTER=<name> [PARAMS=file.yml] [SCHEDULER=tcp://host:port]"; exit 2; }
	$(if $(SCHEDULER),COLLAPSE_SCHEDULER=$(SCHEDULER)) $(PY) -m collapse_lib.notebooks book/$(CHAPTER).py -o $(NBDIR)/$(CHAPTER).ipynb $(if $(PARAMS),-f $(PARAMS))

# The whole test suite: library tests, chapters run with smoke parameters and checked by
# nbval, structure checks (pins, Binder, the Pages workflow), a book build from the smoke
# outputs with warnings as errors, and every page of it opened in headless Chromium, offline.
test: $(STAMP) browser
	$(VENV)/bin/ruff check collapse_lib tests benchmarks book docs
	rm -rf _build/smoke
	$(PY) -m collapse_lib.notebooks $(SOURCES) -f tests/params/smoke.yml -d _build/smoke/book
	CHROMIUM="$$(command -v $(CHROMIUM))" $(VENV)/bin/pytest tests _build/smoke/book --nbval-lax -p no:cacheprovider \
	  --durations=15

benchmark: $(STAMP)
	$(PY) benchmarks/bench_gaussian.py
	$(PY) benchmarks/bench_kde.py

clean:
	rm -rf _build _data book/*.ipynb
