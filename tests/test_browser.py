"""The built book as a reader sees it: every page opened in headless Chromium, offline.

The book built from the smoke notebooks (the ``smoke_book`` fixture, shared with the build
test) is opened page by page at 1280 px in the system's Chromium, driven by Playwright
(which downloads no browser of its own: ``make test`` installs the Debian ``chromium``
package when it is missing; ``CHROMIUM=/path/to/chromium`` chooses another). Every request
that is not a local file is refused, as for a reader offline. Each page must show, once
MathJax has settled:

- ``javascript``: no uncaught JavaScript error and no error in the console;
- ``network``: no request to the network (MathJax, fonts, scripts all come from the build);
- ``raw_tex``: no raw TeX left in the text (``\\(``, ``\\[``, ``$$``, ``\\frac``, ``$x^2$``...)
  outside code, and no formula that MathJax could not typeset;
- ``width``: no cell output wider than the text column or scrolling sideways (printed text,
  tables, images), no display equation clipped or overlapped by its number;
- ``captions``: every image in a cell output inside a ``<figure>`` whose caption carries a
  number (``mystnb`` figure metadata, or ``{glue:figure}``);
- ``links``: every link to a page of the book resolves, and so does its ``#anchor``;
- ``repository``: no link to a repository when none is set (``BOOK_REPOSITORY``): no header
  button to GitHub or Binder, nothing pointing at ``collapse-or-thrive``.

Each failure names the page, the section and the offending element. The checks themselves
are tested on a page made to fail each of them (``test_checks_detect_their_problems``).
"""

from __future__ import annotations

import html.parser
import json
import os
import re
import shutil
import urllib.parse
from collections import defaultdict
from pathlib import Path

import pytest

from collapse_lib.book import toc_files

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-default-apps", "--disable-extensions",
                 "--disable-dev-shm-usage", "--hide-scrollbars"]
VIEWPORT = {"width": 1280, "height": 1000}
CHECKS = {
    "javascript": "JavaScript errors",
    "network": "requests to the network (the book must be complete offline)",
    "raw_tex": "raw TeX left after MathJax settled",
    "width": "outputs or equations wider than the text column",
    "captions": "figures without a numbered caption",
    "links": "internal links or anchors that do not resolve",
    "repository": "links to a repository that is not set (BOOK_REPOSITORY)",
}
#: Hosts a link to the book's repository or a launch service would go to.
REPOSITORY_HOSTS = ("github.com", "gitlab.com", "mybinder.org", "colab.research.google.com", "deepnote.com")


def book_pages() -> list[str]:
    """Every page of the book (HTML paths relative to the site root), in _toc.yml order."""
    return [f"{f}.html" for f in toc_files()] + ["genindex.html", "search.html"]


# --- what runs in the page ------------------------------------------------------------------

SETTLE = """async () => {
  const wait = (ms) => new Promise((r) => setTimeout(r, ms));
  if (document.fonts) await Promise.race([document.fonts.ready, wait(10000)]);
  const mj = window.MathJax;
  let mathjax = "absent";
  if (mj && mj.startup && mj.startup.promise) {
    mathjax = await Promise.race([mj.startup.promise.then(() => "typeset"), wait(30000).then(() => "timeout")]);
  }
  document.querySelectorAll("details").forEach((d) => { d.open = true; });  // hidden outputs count too
  await wait(100);
  return mathjax;
}"""

INSPECT = r"""(args) => {
  const where = (el) => {
    const sec = el.closest("section[id]");
    const fig = el.closest("figure[id]");
    return (sec ? "section #" + sec.id : "page") + (fig ? ", figure #" + fig.id : "");
  };
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    const cls = (el.getAttribute("class") || "").trim().split(/\s+/).filter(Boolean).slice(0, 3);
    if (cls.length) s += "." + cls.join(".");
    const src = el.getAttribute("src");
    if (src) s += ` src=${src.split("/").pop().slice(0, 24)}`;
    const text = (el.innerText || el.textContent || "").replace(/\s+/g, " ").trim().slice(0, 70);
    return text ? `${s} "${text}"` : s;
  };
  const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const out = {raw_tex: [], width: [], captions: [], links: [], ids: [], repository: []};

  // raw TeX in the rendered text (code, typeset math and hidden templates excepted)
  const SKIP = "script,style,pre,code,textarea,noscript,template,svg,kbd,samp,mjx-container,.highlight";
  const TEX = new RegExp([
    String.raw`\$[^$\n]{0,80}[\\^_{}][^$\n]{0,80}\$`,  // $x^2$ that no one typeset
    String.raw`\\[()\[\]][^\\]{0,60}`,  // \( \) \[ \]
    String.raw`\$\$`, String.raw`\\(?:begin|end)\{`, String.raw`\\[A-Za-z]{2,}[^\s\\$]*`,  // \frac, \sigma, ...
  ].join("|"), "g");
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(SKIP)) continue;
    const t = node.textContent;
    for (const m of [...t.matchAll(TEX)].slice(0, 5)) {
      const i = Math.max(0, m.index - 20);
      out.raw_tex.push(`${where(parent)}: raw TeX in <${parent.tagName.toLowerCase()}>: ` +
                       `"${t.slice(i, m.index + m[0].length + 20).replace(/\s+/g, " ").trim()}"`);
    }
  }
  for (const err of document.querySelectorAll("mjx-merror, .MathJax_Error")) {
    out.raw_tex.push(`${where(err)}: MathJax could not typeset: "${err.textContent.trim().slice(0, 80)}"`);
  }

  // outputs and equations wider than the text column
  const column = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
  const col = column.getBoundingClientRect();
  const tooWide = (el) => {
    if (!visible(el)) return null;
    const r = el.getBoundingClientRect(), style = getComputedStyle(el);
    if (r.left < col.left - 1 || r.right > col.right + 1) {
      return `${Math.round(r.width)} px wide, beyond the ${Math.round(col.width)} px column`;
    }
    if (el.scrollWidth > el.clientWidth + 1 && style.overflowX !== "visible") {
      return `content ${el.scrollWidth} px in a ${el.clientWidth} px box (${style.overflowX === "hidden" ?
        "clipped" : "scrolls sideways"})`;
    }
    return null;
  };
  for (const output of document.querySelectorAll(".cell_output")) {
    if (output.parentElement && output.parentElement.closest(".cell_output")) continue;
    for (const el of [output, ...output.querySelectorAll("*")]) {
      if (el.closest("figcaption, span.math, mjx-container")) continue;  // captions wrap; inline math is no output
      const why = tooWide(el);
      if (why) { out.width.push(`${where(el)}: cell output ${describe(el)}: ${why}`); break; }
    }
  }
  for (const eq of document.querySelectorAll("div.math, mjx-container[display='true']")) {
    const why = tooWide(eq);
    if (why) { out.width.push(`${where(eq)}: equation ${describe(eq)}: ${why}`); continue; }
    const num = eq.matches("div.math") && eq.querySelector(".eqno");
    const math = eq.querySelector("mjx-math");
    if (num && math && visible(num) && visible(math)) {
      const a = num.getBoundingClientRect(), b = math.getBoundingClientRect();
      if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1) {
        out.width.push(`${where(eq)}: equation number ${num.textContent.trim()} overlaps its formula`);
      }
    }
  }

  // a numbered caption on every figure of a cell output
  for (const img of document.querySelectorAll(".cell_output img")) {
    const fig = img.closest("figure");
    const cap = fig && fig.querySelector("figcaption");
    const num = cap && cap.querySelector(".caption-number");
    const why = !fig ? "not in a <figure>" : !cap ? "figure without <figcaption>" :
      !(num && /\d/.test(num.textContent)) ? "caption without a number" : null;
    if (why) out.captions.push(`${where(img)}: image ${describe(img)}: ${why}`);
  }

  // links (resolved by the test), ids of this page as the browser has them
  for (const a of document.querySelectorAll("a[href]")) {
    out.links.push({href: a.href, raw: a.getAttribute("href"), text: describe(a),
                    inArticle: !!a.closest("article.bd-article"), where: where(a)});
  }
  for (const el of document.querySelectorAll("[id], a[name]")) out.ids.push(el.id || el.getAttribute("name"));
  for (const el of document.querySelectorAll("[class*='repository-button'], [class*='issues-button'], " +
                                             "[class*='edit-button'], [class*='launch-button'], " +
                                             ".dropdown-launch-buttons")) {
    out.repository.push(`${where(el)}: ${describe(el)}`);
  }
  return out;
}"""


# --- resolving links --------------------------------------------------------------------------

class _Ids(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key == "id" or (tag == "a" and key == "name"):
                self.ids.add(value or "")


_ID_CACHE: dict[Path, set[str]] = {}


def _ids(path: Path) -> set[str]:
    if path not in _ID_CACHE:
        parser = _Ids()
        parser.feed(path.read_text(errors="replace"))
        _ID_CACHE[path] = parser.ids
    return _ID_CACHE[path]


def link_problems(links: list[dict], page: Path, page_ids: set[str], site: Path,
                  repository: str | None) -> tuple[list[str], list[str]]:
    """(unresolved internal links, links to an unset or other repository) among ``links``."""
    broken, repo = [], []
    own = f"/{repository}".lower() if repository else None  # github.com/owner/name, mybinder.org/v2/gh/owner/name
    for link in links:
        url = urllib.parse.urlsplit(link["href"])
        if url.scheme == "file":
            target = Path(urllib.parse.unquote(url.path))
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{link['where']}: {link['text']} -> {link['raw']}: no such file")
                continue
            if url.fragment and target.suffix == ".html":
                anchor = urllib.parse.unquote(url.fragment)
                ids = page_ids | _ids(target) if target == page else _ids(target)
                if anchor not in ids:
                    shown = target.relative_to(site) if target.is_relative_to(site) else target
                    broken.append(f"{link['where']}: {link['text']} -> {link['raw']}: no id '{anchor}' in {shown}")
        elif url.scheme in ("http", "https"):
            host = (url.hostname or "").lower()
            text = f"{link['where']}: {link['text']} -> {link['href']}"
            if "collapse-or-thrive/" in link["href"].lower():
                repo.append(text)
            elif any(host == h or host.endswith("." + h) for h in REPOSITORY_HOSTS) and not link["inArticle"]:
                if own is None or own not in link["href"].lower():
                    repo.append(text)
        elif url.scheme not in ("mailto", "javascript", "data", ""):
            broken.append(f"{link['where']}: {link['text']} -> {link['raw']}: unexpected scheme")
    return broken, repo


# --- the browser ------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (the system's), driven by Playwright. Missing, it fails: never skips."""
    executable = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    assert executable, "no chromium on PATH: `make test` installs Debian's (or set CHROMIUM=/path/to/chromium)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def inspect_page(browser, path: Path, site: Path, repository: str | None = None) -> dict[str, list[str]]:
    """Open ``path`` offline and run every check; returns the problems found, by check."""
    problems: dict[str, list[str]] = defaultdict(list)
    if not path.is_file():
        return {check: [f"the page was not built ({path.name})"] for check in CHECKS}
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(60_000)

    local = ("file:", "data:", "blob:")
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(local) else route.abort())
    page.on("request", lambda request: None if request.url.startswith(local) else
            problems["network"].append(f"request (refused): {request.url}"))
    page.on("pageerror", lambda error: problems["javascript"].append(f"uncaught: {error}"))

    def console(message):
        if message.type == "error":
            location = message.location or {}
            at = Path(urllib.parse.unquote(location.get("url", ""))).name
            problems["javascript"].append(f"console error: {message.text[:300]}"
                                          + (f" ({at}:{location.get('lineNumber')})" if at else ""))

    page.on("console", console)
    try:
        page.goto(path.as_uri(), wait_until="load")
        mathjax = page.evaluate(SETTLE)
        if mathjax == "timeout":
            problems["raw_tex"].append("MathJax did not finish typesetting within 30 s")
        found = page.evaluate(INSPECT)
        source = page.content()
    finally:
        context.close()
    for check in ("raw_tex", "width", "captions", "repository"):
        problems[check].extend(found[check])
    if repository:  # with a repository set, its buttons are expected: only wrong links count
        problems["repository"] = []
    for match in sorted(set(re.findall(r".{0,40}collapse-or-thrive/.{0,40}", source))):
        problems["repository"].append(f"the page names the repository that does not exist: {match.strip()!r}")
    broken, repo = link_problems(found["links"], path, set(found["ids"]), site, repository)
    problems["links"].extend(broken)
    problems["repository"].extend(repo)
    problems["network"] = list(dict.fromkeys(problems["network"]))
    return {check: problems.get(check, []) for check in CHECKS}


@pytest.fixture(scope="session")
def book_reports(browser, smoke_book):
    """Problems of each page of the smoke book, computed once per page."""
    cache: dict[str, dict[str, list[str]]] = {}

    def report(page: str) -> dict[str, list[str]]:
        if page not in cache:
            cache[page] = inspect_page(browser, smoke_book.html / page, smoke_book.html)
        return cache[page]

    return report


@pytest.mark.parametrize("check", list(CHECKS))
@pytest.mark.parametrize("page", book_pages())
def test_page_in_browser(book_reports, page, check):
    problems = book_reports(page)[check]
    if problems:
        pytest.fail(f"{page}: {len(problems)} {CHECKS[check]}:\n  " + "\n  ".join(problems[:25])
                    + ("\n  ..." if len(problems) > 25 else ""), pytrace=False)


# --- the checks find what they look for -------------------------------------------------------

BAD_PAGE = r"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>bad</title>
<style>body { margin: 0 } article.bd-article { width: 688px; margin-left: 100px }
.cell_output pre { overflow-x: auto } .cell_output .output { overflow-x: auto }</style>
<script>const X = 1;</script><script>const X = 2;</script>
<script src="https://cdn.example.org/mathjax.js"></script></head><body>
<div class="bd-header-article"><a class="btn btn-source-repository-button"
   href="https://github.com/collapse-or-thrive/book">repository</a>
   <a href="https://mybinder.org/v2/gh/someone/else/main">launch</a></div>
<article class="bd-article"><section id="s1"><h1>Bad</h1>
<p>Raw inline \(d\sigma^2\) and a bibliography's $\pi ^2/6$ and \frac{1}{2}.</p>
<pre>code may hold \(x\) and $$y$$</pre>
<div class="cell_output"><div class="output stream"><pre>""" + "x" * 400 + r"""</pre></div></div>
<div class="cell_output"><div class="output text_html"><table style="width: 1400px"><tr><td>wide</td></tr></table>
</div></div>
<div class="cell_output"><img src="plot.png" style="width: 900px; height: 10px"></div>
<div class="cell_output"><figure id="fig-nonum"><img src="plot.png" style="width: 10px; height: 10px">
<figcaption><p>No number.</p></figcaption></figure></div>
<a href="missing.html">a missing page</a> <a href="#nowhere">a missing anchor</a>
<a href="good.html#fig-good">fine</a> <a href="good.html#absent">absent anchor on another page</a>
<a href="#s1">fine too</a>
<a href="https://github.com/scikit-learn/scikit-learn/issues/1">a cited issue, in the text</a>
</section></article></body></html>"""

GOOD_PAGE = r"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>good</title>
<style>article.bd-article { width: 688px }</style></head><body>
<article class="bd-article"><section id="g"><h1>Good</h1><p>Costs $5 and $10; a path C:/x.</p>
<div class="cell_output"><figure id="fig-good"><img src="plot.png" style="width: 600px; height: 10px">
<figcaption><p><span class="caption-number">Fig. 2.1 </span><span class="caption-text">Fine.</span></p>
</figcaption></figure></div>
<div class="cell_output"><div class="output stream"><pre>short</pre></div></div>
<a href="bad.html#s1">back</a> <a href="#g">top</a></section></article></body></html>"""

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")


def test_checks_detect_their_problems(browser, tmp_path):
    (tmp_path / "bad.html").write_text(BAD_PAGE)
    (tmp_path / "good.html").write_text(GOOD_PAGE)
    (tmp_path / "plot.png").write_bytes(PNG)
    bad = inspect_page(browser, tmp_path / "bad.html", tmp_path)
    found = {check: "\n".join(problems) for check, problems in bad.items()}
    assert "Identifier 'X' has already been declared" in found["javascript"]
    assert "cdn.example.org/mathjax.js" in found["network"]
    for tex in (r"\(d\sigma^2\)", r"$\pi ^2/6$", r"\frac{1}{2}"):
        assert tex in found["raw_tex"], tex
    assert "$$y$$" not in found["raw_tex"], "text in <pre> is code, not raw TeX"
    assert re.search(r'cell output pre "x+": content \d+ px in a 688 px box \(scrolls sideways\)', found["width"])
    assert "content 1400 px in a 688 px box" in found["width"]
    assert "900 px wide" in found["width"] and len(bad["width"]) == 3
    assert "src=plot.png: not in a <figure>" in found["captions"]
    assert "caption without a number" in found["captions"] and len(bad["captions"]) == 2
    assert "missing.html: no such file" in found["links"] and "no id 'nowhere' in bad.html" in found["links"]
    assert "no id 'absent' in good.html" in found["links"] and len(bad["links"]) == 3
    assert "github.com/collapse-or-thrive/book" in found["repository"]
    assert "mybinder.org/v2/gh/someone/else" in found["repository"]
    assert "scikit-learn" not in found["repository"], "a link in the text to another project is fine"
    assert inspect_page(browser, tmp_path / "good.html", tmp_path) == {check: [] for check in CHECKS}


# --- the repository, set in one place ---------------------------------------------------------

def _hrefs(page: Path) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', page.read_text())]


def test_repository_buttons_use_book_repository(smoke_notebooks, tmp_path, browser):
    """`BOOK_REPOSITORY=owner/name make book`: every chapter page has a Colab and a Binder
    launch button whose targets exist among the files the workflow publishes (the notebooks
    of `make notebooks`, pushed to the branch `notebooks`; the jupytext sources of `main`,
    which Binder's postBuild converts), and repository, source and issue buttons, all
    pointing at the repository and at nothing else."""
    import subprocess
    import sys

    from conftest import build_book

    from collapse_lib.book import COLAB_BRANCH, write_notebooks

    owner, name = "example-owner", "example-book"
    build = build_book(tmp_path / "site", smoke_notebooks, repository=f"{owner}/{name}")
    published = tmp_path / "published"
    write_notebooks(f"{owner}/{name}", published)
    binder = tmp_path / "binder"  # what postBuild makes of main: book/*.py -> book/*.ipynb
    shutil.copytree(ROOT / "book", binder / "book", ignore=shutil.ignore_patterns("*.ipynb", "__pycache__"))
    post = (ROOT / "postBuild").read_text()
    loop = post[post.index("for source in"):]
    subprocess.run(["bash", "-c", f"set -e; PATH={Path(sys.executable).parent}:$PATH; {loop}"], cwd=binder,
                   check=True, capture_output=True)
    repo = f"https://github.com/{owner}/{name}"
    colab = f"https://colab.research.google.com/github/{owner}/{name}/blob/{COLAB_BRANCH}/"
    mybinder = f"https://mybinder.org/v2/gh/{owner}/{name}/main?urlpath=lab/tree/"
    for chapter in sorted(smoke_notebooks):
        page = build.html / "book" / f"{chapter}.html"
        assert page.is_file(), build.log[-4000:]
        hrefs = _hrefs(page)
        assert repo in hrefs, f"{chapter}: no repository button"
        assert any(h.startswith(f"{repo}/issues/new") for h in hrefs), f"{chapter}: no issue button"
        assert f"{repo}/blob/main/book/{chapter}.py?plain=1" in hrefs, f"{chapter}: no source button"
        to_colab = [h[len(colab):] for h in hrefs if h.startswith(colab)]
        assert to_colab == [f"book/{chapter}.ipynb"], f"{chapter}: Colab buttons {to_colab}"
        assert (published / to_colab[0]).is_file(), f"{chapter}: Colab opens a notebook the workflow does not publish"
        to_binder = [h[len(mybinder):] for h in hrefs if h.startswith(mybinder)]
        assert to_binder == [f"book/{chapter}.ipynb"], f"{chapter}: Binder buttons {to_binder}"
        assert (binder / to_binder[0]).is_file(), f"{chapter}: Binder opens a notebook postBuild does not make"
        assert "collapse-or-thrive/" not in page.read_text()
    tracked = subprocess.run(["git", "ls-files", "book/*.py", "environment.yml", "postBuild"], cwd=ROOT,
                             capture_output=True, text=True).stdout.split()
    if tracked:  # a git checkout: what Binder builds from is in the repository
        assert {f"book/{c}.py" for c in smoke_notebooks} | {"environment.yml", "postBuild"} <= set(tracked)
    shown = "gaussian" if "gaussian" in smoke_notebooks else sorted(smoke_notebooks)[0]
    report = inspect_page(browser, build.html / "book" / f"{shown}.html", build.html, repository=f"{owner}/{name}")
    assert report["repository"] == [] and report["javascript"] == [], report


# --- the data behind every page ---------------------------------------------------------------

def test_every_chapter_offers_its_data(smoke_book, smoke_notebooks, browser):
    """Every chapter page links, under its Data heading, a Parquet and a CSV file of each
    frame and the JSON of their provenance, all in the build (the link check of
    test_page_in_browser resolves every link of every page)."""
    import pyarrow.parquet as pq

    for chapter in sorted(smoke_notebooks):
        page = smoke_book.html / "book" / f"{chapter}.html"
        assert page.is_file(), smoke_book.log[-4000:]
        text = page.read_text()
        assert 'id="data"' in text, f"{chapter}: no Data section"
        data = text[text.index('id="data"'):]
        links = [urllib.parse.unquote(h) for h in re.findall(r'href="([^"]+)"', data) if "_downloads/" in h]
        kinds = {Path(h).suffix for h in links}
        assert {".parquet", ".csv", ".json"} <= kinds, f"{chapter}: data links {links}"
        for link in links:
            target = (page.parent / link).resolve()
            assert target.is_file() and target.is_relative_to(smoke_book.html.resolve()), f"{chapter}: {link}"
            if target.suffix == ".parquet":
                meta = pq.read_schema(target).metadata
                assert json.loads(meta[b"collapse_lib"])["chapter"] == chapter
    results = (smoke_book.html / "book" / "results.html").read_text()
    assert "results-claims.csv" in results, "the results page offers its claims table as CSV"
