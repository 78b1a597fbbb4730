"""The book's structure: chapters on disk, in _toc.yml and under test agree; one parameters
cell each; no tracked notebooks; pinned versions agree between pip and Binder."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import jupytext
import pytest
import yaml

from collapse_lib.book import toc_files
from collapse_lib.chapters import chapter_sources

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = {p.stem for p in chapter_sources(ROOT / "book")}


def test_chapters_on_disk_in_toc_and_under_test_agree():
    files = toc_files()
    assert len(files) == len(set(files)), "a page is listed twice in _toc.yml"
    for f in files:
        assert (ROOT / f"{f}.py").exists() or (ROOT / f"{f}.md").exists(), f"{f} in _toc.yml has no source"
    in_toc = {Path(f).name for f in files if (ROOT / f"{f}.py").exists()}
    smoke = set(yaml.safe_load((ROOT / "tests/params/smoke.yml").read_text()))
    assert CHAPTERS, "no chapters found"
    assert CHAPTERS == in_toc, f"on disk but not in _toc.yml: {CHAPTERS - in_toc}; in toc only: {in_toc - CHAPTERS}"
    assert CHAPTERS == smoke, f"missing smoke parameters: {CHAPTERS - smoke}; unknown sections: {smoke - CHAPTERS}"
    paper = set(yaml.safe_load((ROOT / "params/paper.yml").read_text()))
    assert paper <= CHAPTERS, f"params/paper.yml names unknown chapters: {paper - CHAPTERS}"
    md_pages = {p.stem for p in (ROOT / "book").glob("*.md")}
    assert md_pages <= {Path(f).name for f in files}, "a .md page is not in _toc.yml"


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_chapter_shape(chapter):
    nb = jupytext.read(ROOT / "book" / f"{chapter}.py")
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{chapter}: expected exactly one 'parameters' cell, found {len(tagged)}"
    params = nb.cells[tagged[0]]
    assert params.cell_type == "code"
    for line in params.source.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            assert re.match(r"^\w+ = .+  # .+", line), \
                f"{chapter}: parameter line needs a value and a comment: {line!r}"
            assert "=" not in line.split("#", 1)[1], f"{chapter}: '=' in a parameter comment breaks papermill: {line!r}"
    after = next(c for c in nb.cells[tagged[0] + 1:] if c.cell_type == "code")
    assert "chapter_parameters(globals()" in after.source, \
        f"{chapter}: the cell after 'parameters' must check them with chapter_parameters(globals(), ...)"
    checked = [c for c in nb.cells if "nbval-check-output" in c.metadata.get("tags", [])]
    assert checked, f"{chapter}: no cell tagged nbval-check-output"
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for heading in ("## Summary", "## Exercises", "## References"):
        assert heading in text, f"{chapter}: missing '{heading}'"
    assert "matplotlib.use(" not in "\n".join(c.source for c in nb.cells), "matplotlib.use removes figures"
    assert "pip install" not in "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def test_no_tracked_notebooks():
    try:
        listed = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    assert listed == [], f"executed notebooks are build outputs, not sources: {listed}"


def _requirements(lines: list[str]) -> list[str]:
    return sorted(s.strip() for s in lines if s.strip() and not s.strip().startswith(("#", "-")))


def test_pins_agree_between_pip_and_binder():
    pip_pins = _requirements((ROOT / "requirements.txt").read_text().splitlines())
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert _requirements(pip_section) == pip_pins
    assert all("==" in p for p in pip_pins), "every requirement must be pinned"
    assert "torch==2.13.0" in pip_pins  # an unpinned torch pulls a multi-GB CUDA build
    names = {p.split("==")[0].lower() for p in pip_pins}
    # MathJax served from the build, the browser test, the workflow lint
    assert {"sphinx-mathjax-offline", "playwright", "check-jsonschema", "zizmor", "pypdf"} <= names
    assert any(str(d).startswith("python=3.11") for d in env["dependencies"])


def test_postbuild_prepares_binder():
    post = ROOT / "postBuild"
    assert post.exists() and post.stat().st_mode & 0o111, "postBuild must be executable"
    text = post.read_text()
    assert "pip install" in text and "-e ." in text and "jupytext --to ipynb" in text


def test_ci_calls_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make book" in readme
    assert "make test" in (ROOT / ".ci/run").read_text()


def test_library_import_has_no_side_effects():
    # third-party packages may add their own filters on import (scipy.special does): import
    # them first, then check that collapse_lib itself changes nothing
    code = ("import warnings, numpy, sys, scipy.special, scipy.stats, pandas, matplotlib.pyplot, sklearn, tqdm;"
            "f = list(warnings.filters); s = numpy.random.get_state()[1][:3].tolist();"
            "import collapse_lib, collapse_lib.plotting, collapse_lib.theory, collapse_lib.settings.gaussian;"
            "assert warnings.filters == f; assert numpy.random.get_state()[1][:3].tolist() == s;"
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


# --- the repository, set in one place; publishing on GitHub Pages -----------------------------

WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


def test_default_config_names_no_repository():
    """Without BOOK_REPOSITORY the book shows no repository, issue or launch button."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["repository"]["url"] == ""
    assert not any(config["html"].get(b) for b in ("use_repository_button", "use_issues_button",
                                                    "use_edit_page_button"))
    assert not config["launch_buttons"].get("binderhub_url")
    assert "collapse-or-thrive" not in (ROOT / "_config.yml").read_text()
    assert {"sphinx-mathjax-offline", "collapse_lib.book"} <= set(config["sphinx"]["extra_extensions"])


def test_repository_config_sets_every_button(tmp_path):
    from collapse_lib.book import repository_config

    base = yaml.safe_load((ROOT / "_config.yml").read_text())
    config = repository_config(base, "owner/name.io")
    assert config["repository"] == {**base["repository"], "url": "https://github.com/owner/name.io", "branch": "main"}
    assert config["html"]["use_repository_button"] and config["html"]["use_issues_button"]
    assert config["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert config["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert config["sphinx"]["config"] == {**base["sphinx"]["config"], "html_theme_options": {"use_source_button": True},
                                          "collapse_colab_branch": "notebooks"}
    assert config["sphinx"]["recursive_update"] is True  # else JB replaces the theme options it makes
    changed = ("repository", "html", "launch_buttons", "sphinx")
    assert {k: v for k, v in config.items() if k not in changed} == {k: v for k, v in base.items() if k not in changed}
    assert {k: v for k, v in config["sphinx"].items() if k not in ("config", "recursive_update")} == \
        {k: v for k, v in base["sphinx"].items() if k != "config"}
    for bad in ("owner", "owner/name/extra", "https://github.com/owner/name", "owner/ name", "-x/y", ""):
        with pytest.raises(ValueError, match="owner/name"):
            repository_config(base, bad)
    out = tmp_path / "c.yml"
    proc = subprocess.run([sys.executable, "-m", "collapse_lib.book", "config", "--repository", "a b", "-o", str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2 and "BOOK_REPOSITORY must be a GitHub repository as owner/name" in proc.stderr
    assert not out.exists()


def test_makefile_passes_book_repository_to_the_build():
    def dry_run(*args: str) -> str:
        return subprocess.run(["make", "-n", "html", *args], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout

    with_repo = dry_run("BOOK_REPOSITORY=owner/name")
    assert "collapse_lib.book config --repository \"owner/name\" -o _build/_config.yml" in with_repo
    assert "jupyter-book build . -W -n --keep-going --config _build/_config.yml" in with_repo
    without = dry_run("BOOK_REPOSITORY=")
    assert "jupyter-book build . -W -n --keep-going" in without and "--config" not in without
    assert "collapse_lib.book" not in without


def test_makefile_builds_a_parameter_file_in_its_own_folder():
    """`make book PARAMS=params/paper.yml`: every chapter executed with the file into
    _build/paper/book, the HTML built from there; SCHEDULER reaches every chapter."""
    out = subprocess.run(["make", "-n", "-o", ".venv/.installed", "book", "PARAMS=params/paper.yml",
                          "SCHEDULER=tcp://host:8786"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for chapter in CHAPTERS:
        assert (f"COLLAPSE_SCHEDULER=tcp://host:8786 .venv/bin/python -m collapse_lib.notebooks book/{chapter}.py "
                f"-o _build/paper/book/{chapter}.ipynb -f params/paper.yml") in out, chapter
    assert " -o book/" not in out, "a paper-scale run must not write the default build's notebooks"
    assert "collapse_lib.book site _build/paper" in out and "jupyter-book build _build/paper -W -n --keep-going" in out
    path = subprocess.run(["make", "-s", "html-path", "PARAMS=params/paper.yml"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()
    assert path == "_build/paper/_build/html"
    assert subprocess.run(["make", "-s", "html-path"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip() == "_build/html"


def test_makefile_names_no_setting_chapter():
    """Adding a chapter needs no Makefile edit: the pages that read other chapters' runs
    depend on every other chapter, computed from book/*.py."""
    text = (ROOT / "Makefile").read_text()
    summary = re.search(r"^SUMMARY_PAGES := (.+)$", text, re.M).group(1).split()
    assert set(summary) <= CHAPTERS
    rules = "\n".join(x for x in text.splitlines() if not x.startswith(("#", "\t")))  # no comment, no recipe
    for chapter in CHAPTERS - set(summary):
        assert not re.search(rf"\b{chapter}\b", rules), f"the Makefile names the chapter {chapter}"
    database = subprocess.run(["make", "-p", "-n", "-o", ".venv/.installed", "html-path"], cwd=ROOT,
                              capture_output=True, text=True).stdout
    for page in summary:
        line = next(x for x in database.splitlines() if x.startswith(f"book/{page}.ipynb:"))
        needs = {Path(d).stem for d in line.split(":", 1)[1].split() if d.endswith(".ipynb")}
        assert needs == CHAPTERS - set(summary), f"{page} runs after {sorted(needs)}"


def test_pages_workflow_builds_the_book_and_deploys_it():
    flow = yaml.safe_load(WORKFLOW.read_text())
    on = flow[True] if True in flow else flow["on"]  # YAML 1.1 reads the key `on` as True
    assert on["push"]["branches"] == ["main"]
    build, deploy = flow["jobs"]["build"], flow["jobs"]["deploy"]
    runs = {s["name"]: s for s in build["steps"] if "run" in s}
    book = runs["Build the book (make book)"]
    assert book["run"].splitlines()[0] == 'make book PARAMS="$PARAMS"'
    assert book["env"] == {"BOOK_REPOSITORY": "${{ github.repository }}", "PARAMS": "${{ inputs.params }}"}
    upload = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "${{ steps.book.outputs.html }}" and book["id"] == "book"
    assert 'make -s html-path PARAMS="$PARAMS"' in book["run"]
    # a result store restored from a release asset (an input of a run by hand)
    inputs = on["workflow_dispatch"]["inputs"]
    assert set(inputs) == {"params", "store_release"}
    restore = runs["Restore the result store from a release asset"]
    assert restore["if"] == "${{ inputs.store_release != '' }}" and "gh release download" in restore["run"]
    assert [n for n in runs] == ["Restore the result store from a release asset", "Build the book (make book)",
                                 "The chapters as notebooks for Colab (make notebooks)"]
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in deploy["steps"])
    assert flow["permissions"] == {"contents": "read"}


def test_pages_workflow_publishes_the_notebooks_colab_opens():
    """The notebooks `make notebooks` writes go to the branch the Colab buttons open."""
    from collapse_lib.book import COLAB_BRANCH

    flow = yaml.safe_load(WORKFLOW.read_text())
    build, publish = flow["jobs"]["build"], flow["jobs"]["notebooks"]
    make = next(s for s in build["steps"] if s.get("run") == "make notebooks")
    assert make["env"]["BOOK_REPOSITORY"] == "${{ github.repository }}"
    artifact = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert artifact["with"]["path"] == "_build/notebooks"
    assert publish["needs"] == "build" and publish["permissions"] == {"contents": "write"}
    download = next(s for s in publish["steps"] if s.get("uses", "").startswith("actions/download-artifact@"))
    assert download["with"]["name"] == artifact["with"]["name"]
    push = next(s for s in publish["steps"] if "run" in s)
    assert push["working-directory"] == download["with"]["path"]
    assert f"git init -q -b {COLAB_BRANCH}" in push["run"]
    assert push["run"].rstrip().endswith(f"push --force \"https://x-access-token:${{GH_TOKEN}}@github.com/"
                                         f"${{GITHUB_REPOSITORY}}.git\" {COLAB_BRANCH}")
    make_n = subprocess.run(["make", "-n", "-o", ".venv/.installed", "notebooks", "BOOK_REPOSITORY=o/n"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    assert 'collapse_lib.book notebooks --repository "o/n" -o _build/notebooks' in make_n


def test_pages_workflow_lints_clean():
    """The workflow against GitHub's schema (check-jsonschema) and zizmor's audits, offline."""
    bin_dir = Path(sys.executable).parent
    schema = subprocess.run([str(bin_dir / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                             str(WORKFLOW)], capture_output=True, text=True)
    assert schema.returncode == 0, schema.stdout + schema.stderr
    audit = subprocess.run([str(bin_dir / "zizmor"), "--offline", "--no-progress", "--config",
                            str(ROOT / ".github" / "zizmor.yml"), str(WORKFLOW)], capture_output=True, text=True)
    assert audit.returncode == 0, audit.stdout + audit.stderr


def test_workflow_lint_finds_mistakes(tmp_path):
    """The lint is no formality: a misspelt key and an over-broad token both fail it."""
    bin_dir = Path(sys.executable).parent
    bad = tmp_path / "book.yml"
    bad.write_text(WORKFLOW.read_text().replace("runs-on:", "run-on:", 1))
    schema = subprocess.run([str(bin_dir / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                             str(bad)], capture_output=True, text=True)
    assert schema.returncode != 0 and "run-on" in schema.stdout
    bad.write_text(WORKFLOW.read_text().replace("  contents: read", "  contents: write\n  packages: write", 1))
    audit = subprocess.run([str(bin_dir / "zizmor"), "--offline", "--no-progress", "--config",
                            str(ROOT / ".github" / "zizmor.yml"), str(bad)], capture_output=True, text=True)
    assert audit.returncode != 0 and "excessive-permissions" in audit.stdout + audit.stderr


def test_paper_scale_times_are_measured_for_every_chapter():
    """The scale page shows each chapter's time at the paper's scale from this file, which says
    when, where and how it was measured (benchmarks/paper_scale.py writes it)."""
    import datetime

    times = yaml.safe_load((ROOT / "params/paper_times.yml").read_text())
    assert datetime.date.fromisoformat(str(times["measured"]))
    assert times["machine"] and "benchmarks/paper_scale.py" in times["command"]
    paper = set(yaml.safe_load((ROOT / "params/paper.yml").read_text()))
    assert set(times["chapters"]) == paper, "measure every chapter of params/paper.yml"
    for chapter, row in times["chapters"].items():
        assert row["seconds"] > 0 and row["measured_seconds"] > 0, chapter
        assert "projected" in row["how"] or "measured" in row["how"], chapter
    scale = (ROOT / "book/scale.py").read_text()
    assert 'times_file = "params/paper_times.yml"' in scale and "make book PARAMS=params/paper.yml" in scale
