"""`make pdf`: the whole book as one PDF (collapse_lib.book.build_pdf), built here from the smoke
notebooks: every page of the book in it, as a heading of its outline and in its text, its
figures, and no formula left as raw TeX."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest
import yaml

from collapse_lib.book import toc_files

ROOT = Path(__file__).resolve().parent.parent
#: TeX that MathJax turns into formulas: none of it may be left in the PDF's text.
RAW_TEX = re.compile(r"\\(frac|sum|sigma|pi|mathbb|mathrm|operatorname|begin|end|left|right|tfrac|le|ge)\b|\$\$|"
                     r"\\[()\[\]]")


def _titles(html: Path) -> list[str]:
    """The title (first heading) of each page of the HTML build, in _toc.yml order."""
    out = []
    for page in toc_files():
        text = (html / f"{page}.html").read_text()
        h1 = re.search(r"<h1[^>]*>(.*?)</h1>", text, re.S).group(1)
        out.append(re.sub(r"\s+", " ", re.sub(r"<[^>]+>|#|¶", "", h1)).strip())
    return out


@pytest.fixture(scope="module")
def pdf(smoke_book, tmp_path_factory):
    """`make pdf`'s command on the smoke build, in its own process (as make runs it; Playwright's
    browser of the browser test may still be open in this one)."""
    assert smoke_book.returncode == 0, smoke_book.log[-4000:]
    out = tmp_path_factory.mktemp("pdf") / "book.pdf"
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "collapse_lib.book", "pdf", "--site", str(smoke_book.site),
                           "-o", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["seconds"] = time.perf_counter() - started
    assert Path(result["pdf"]) == out and out.is_file()
    import pypdf

    result["reader"] = pypdf.PdfReader(out)
    result["texts"] = [page.extract_text() or "" for page in result["reader"].pages]  # once: seconds
    return result


def _outline(reader) -> list[tuple[int, str]]:
    found = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title))

    walk(reader.outline, 0)
    return found


def test_pdf_holds_every_page_of_the_book(pdf, smoke_book):
    reader = pdf["reader"]
    titles = _titles(smoke_book.html)
    outline = [(depth, _key(title)) for depth, title in _outline(reader)]
    missing = [t for t in titles if not any(_key(t) in o for _, o in outline)]
    assert not missing, f"pages missing from the PDF's outline: {missing}; outline: {outline[:40]}"
    chapters = [o for depth, o in outline if depth == 1 and re.match(r"^\d+\.[^\d]", o)]  # "3.Multivariate..."
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    numbered = sum(len(part["chapters"]) for part in toc["parts"] if part.get("numbered"))
    assert len(chapters) == numbered, f"{len(chapters)} numbered chapters in the outline: {chapters}"
    sources = [f for f in toc_files() if (ROOT / f"{f}.py").exists()]
    flat = _key("\n".join(pdf["texts"]))
    for title in titles:
        assert _key(title) in flat, f"{title} not in the PDF's text"
    images = sum(len(page.images) for page in reader.pages)
    assert images >= len(sources), f"only {images} images in the PDF"
    assert "Fig." in flat, "no figure caption in the PDF"
    assert len(reader.pages) > len(titles)


def _key(text: str) -> str:
    """Text to compare across HTML and PDF: ligatures undone, no whitespace (PDF lines wrap)."""
    return re.sub(r"\s+|#|¶", "", unicodedata.normalize("NFKC", text))


def _code(page: Path) -> str:
    """The text of every code block of the printed page, its whitespace squeezed."""
    blocks = re.findall(r"<pre[^>]*>(.*?)</pre>", page.read_text(), re.S)
    return re.sub(r"\s+", "", html.unescape(re.sub(r"<[^>]+>", "", "\n".join(blocks))))


def test_pdf_has_no_raw_tex(pdf):
    """MathJax typeset every formula before printing, and no line of the PDF's text outside
    code (a plotting label such as r"$\\pi^2/6$" is code) holds TeX."""
    assert pdf["mathjax"] == "typeset" and pdf["formulas"] > 0
    assert pdf["untypeset"] == [], f"formulas MathJax left as TeX: {pdf['untypeset'][:10]}"
    code = _code(Path(pdf["page"]))
    leftovers = []
    for number, text in enumerate(pdf["texts"], 1):
        for line in text.splitlines():
            if RAW_TEX.search(line) and re.sub(r"\s+", "", line) not in code:
                leftovers.append(f"page {number}: {line.strip()[:120]}")
    assert not leftovers, "raw TeX in the PDF:\n  " + "\n  ".join(leftovers[:20])


def test_make_pdf_builds_from_the_executed_notebooks():
    out = subprocess.run(["make", "-n", "-o", ".venv/.installed", "-W", "book/gaussian.ipynb", "pdf"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert "collapse_lib.book pdf --site . -o _build/pdf/collapse-or-thrive.pdf" in out
    paper = subprocess.run(["make", "-n", "-o", ".venv/.installed", "pdf", "PARAMS=params/paper.yml"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout
    assert "collapse_lib.book pdf --site _build/paper -o _build/paper/_build/pdf/collapse-or-thrive.pdf" in paper
