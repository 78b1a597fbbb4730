"""The book's build: the repository set in one place, and a Sphinx extension for the HTML.

Used by ``make book`` and by the tests; never imported by a chapter.

The repository that hosts the book is given once, as ``BOOK_REPOSITORY=owner/name make book``.
``_config.yml`` names no repository, so a default build shows no button or link to one
(no repository, issue or launch button). With a repository, ::

    python -m collapse_lib.book config --repository owner/name -o _build/_config.yml

writes ``_config.yml`` with the repository (its GitHub URL), the repository, source and issue
buttons and the Binder launch button switched on; ``jupyter-book build . --config
_build/_config.yml`` builds with it.

The extension (``sphinx: extra_extensions: [collapse_lib.book]`` in ``_config.yml``):

- drops scripts that a page would include twice. Sphinx 7.4 re-adds every inline script that
  an extension registered after the builder started (``sphinx-thebe``'s ``const
  THEBE_JS_URL``, ``sphinx-togglebutton``'s selector) with an empty file name instead of
  ``None``, so that each such script appears twice on every page, and the second ``const``
  declaration raises a JavaScript error on every page;
- points a chapter's "Show source" button at its jupytext source ``book/X.py``: the
  repository holds no ``.ipynb`` (executed notebooks are build outputs).
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from .files import ROOT, atomic_write

__all__ = ["REPOSITORY_PATTERN", "BINDER_URL", "check_repository", "repository_config", "toc_files", "main", "setup"]

#: ``owner/name`` of a GitHub repository.
REPOSITORY_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?/[A-Za-z0-9._-]+$")
#: The BinderHub that the launch button opens.
BINDER_URL = "https://mybinder.org"


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
    out["launch_buttons"] = {**out.get("launch_buttons", {}), "binderhub_url": BINDER_URL}
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


def setup(app: Any) -> dict[str, Any]:
    """Sphinx entry point: drop duplicate scripts from every HTML page; point the source
    button of a chapter at its jupytext source."""
    app.connect("html-page-context", _drop_duplicate_scripts, priority=900)
    app.connect("html-page-context", _source_is_jupytext, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


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
    args = parser.parse_args(argv)
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
