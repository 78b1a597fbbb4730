# The two commands of the README: `make book` (build the book) and `make test` (CI).
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := book

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SOURCES := $(sort $(wildcard book/*.py))
NOTEBOOKS := $(SOURCES:.py=.ipynb)
LIBRARY := $(wildcard collapse_lib/*.py collapse_lib/*/*.py collapse_lib/*/*/*.py)
PARAMS ?=
CHAPTER ?=
SCHEDULER ?=
# torch's OpenMP threads sleep instead of spinning while they wait: with spinning, two threads ran
# 8-10x slower whenever another process held a core (measured on the 2-core machine).
export OMP_WAIT_POLICY ?= PASSIVE
# The GitHub repository that hosts the book (owner/name), set in this one place:
# `BOOK_REPOSITORY=owner/name make book` gives the book repository, source, issue and Binder
# launch buttons pointing at it; unset, the book shows no button or link to a repository.
BOOK_REPOSITORY ?=
BOOK_CONFIG := _build/_config.yml
# The browser test drives this Chromium (Debian's package, installed when missing).
CHROMIUM ?= chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: book test install browser chapter benchmark clean html

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

# Execute a chapter with papermill at its default parameters (only when it changed).
book/%.ipynb: book/%.py $(LIBRARY) $(STAMP)
	@$(PY) -m collapse_lib.notebooks $< -o $@

# The cross-setting chapter reads the language-model chapter's results from the result store.
book/accumulate_subsample.ipynb: book/language_models.ipynb

html: $(STAMP)
ifneq ($(strip $(BOOK_REPOSITORY)),)
	$(PY) -m collapse_lib.book config --repository "$(BOOK_REPOSITORY)" -o $(BOOK_CONFIG)
	$(VENV)/bin/jupyter-book build . -W -n --keep-going --config $(BOOK_CONFIG)
else
	$(VENV)/bin/jupyter-book build . -W -n --keep-going
endif
	@echo "The book is at $(CURDIR)/_build/html/index.html"

# One line per chapter executed (its time), then the summary of this build.
BUILD_STARTED := $(shell date +%s)
book: $(NOTEBOOKS)
	@$(PY) -m collapse_lib.notebooks --summary --since $(BUILD_STARTED)
	$(MAKE) html

# Re-run one chapter, e.g. make chapter CHAPTER=gaussian PARAMS=params/paper.yml
# On a Dask cluster: make chapter CHAPTER=kde PARAMS=params/paper.yml SCHEDULER=tcp://host:8786
chapter: $(STAMP)
	test -n "$(CHAPTER)" || { echo "usage: make chapter CHAPTER=<name> [PARAMS=file.yml] [SCHEDULER=tcp://host:port]"; exit 2; }
	$(if $(SCHEDULER),COLLAPSE_SCHEDULER=$(SCHEDULER)) $(PY) -m collapse_lib.notebooks book/$(CHAPTER).py -o book/$(CHAPTER).ipynb $(if $(PARAMS),-f $(PARAMS))

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
	rm -rf _build book/*.ipynb

# The workflow chapters and the pages that summarise the book read the setting chapters' runs
# from the result store: they run after them.
book/replace.ipynb book/accumulate.ipynb: book/gaussian.ipynb book/kde.ipynb book/linear_regression.ipynb \
	book/discrete.ipynb
book/results.ipynb: book/gaussian.ipynb book/kde.ipynb book/linear_regression.ipynb book/discrete.ipynb \
	book/language_models.ipynb book/value_of_synthetic_data.ipynb
