"""Shared fixtures: the chapters executed with smoke parameters (tests/params/smoke.yml), and
the book built from them once per session (the build test and the browser test share it)."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from collapse_lib.chapters import chapter_sources, load_params
from collapse_lib.notebooks import execute_chapter

ROOT = Path(__file__).resolve().parent.parent
SMOKE_DIR = ROOT / "_build" / "smoke" / "book"
SMOKE_PARAMS = ROOT / "tests" / "params" / "smoke.yml"


@pytest.fixture(scope="session")
def smoke_notebooks() -> dict[str, Path]:
    """Executed smoke notebooks by chapter name; `make test` makes them, else made here."""

    out = {}
    for source in chapter_sources(ROOT / "book"):
        target = SMOKE_DIR / f"{source.stem}.ipynb"
        if not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
            execute_chapter(source, target, load_params(SMOKE_PARAMS, source.stem))
        out[source.stem] = target
    return out


# --- the book built from the smoke notebooks --------------------------------------------------

#: Top-level entries of the repository that a book build never reads (the rest is linked into
#: the build folder, so that pages can include library code and parameter files).
NOT_LINKED = {"book", "_build", "_cache", ".venv", ".git", ".pytest_cache", "_config.yml", "_toc.yml",
              "references.bib"}


@dataclasses.dataclass(frozen=True)
class BookBuild:
    """A book built by ``jupyter-book build -W -n --keep-going``: its HTML is there even when a
    warning made the build fail (``returncode``, ``log``)."""

    site: Path
    html: Path
    returncode: int
    log: str


def build_book(site: Path, notebooks: dict[str, Path], *, repository: str | None = None) -> BookBuild:
    """Build the book in ``site`` from executed ``notebooks`` (name -> .ipynb), as `make html`
    does: the book's own pages and files, and with ``repository`` the generated configuration
    (``python -m collapse_lib.book config``) that ``BOOK_REPOSITORY`` selects."""
    book = site / "book"
    book.mkdir(parents=True)
    for name in ("_config.yml", "_toc.yml", "references.bib"):
        shutil.copy(ROOT / name, site / name)
    for entry in (ROOT / "book").iterdir():  # plain pages, images, _static: all but the sources
        if entry.suffix in (".py", ".ipynb") or entry.name.startswith((".", "__")):
            continue
        (shutil.copytree if entry.is_dir() else shutil.copy)(entry, book / entry.name)
    for name, path in notebooks.items():
        shutil.copy(path, book / f"{name}.ipynb")
    for entry in ROOT.iterdir():
        if entry.name not in NOT_LINKED and not entry.name.endswith(".egg-info"):
            (site / entry.name).symlink_to(entry)
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(site), "-W", "-n", "--keep-going"]
    if repository:
        config = site / "_build" / "_config.yml"
        subprocess.run([sys.executable, "-m", "collapse_lib.book", "config", "--repository", repository,
                        "-i", str(site / "_config.yml"), "-o", str(config)], check=True, cwd=ROOT)
        command += ["--config", str(config)]
    proc = subprocess.run(command, capture_output=True, text=True)
    return BookBuild(site, site / "_build" / "html", proc.returncode, proc.stdout + proc.stderr)


@pytest.fixture(scope="session")
def smoke_book(smoke_notebooks, tmp_path_factory) -> BookBuild:
    """The book built once from the smoke notebooks, with no repository set."""
    return build_book(tmp_path_factory.mktemp("smoke_book") / "site", smoke_notebooks)


# --- a tiny language model, saved as a local "hub" folder (tests of the lm setting) ----------

WORDS = ["rest", "user", "seek", "every", "ruth", "salt", "light", "water", "stone", "bread"]


def lm_records(count: int, seed: int = 0) -> list[dict[str, str]]:
    """A small learnable corpus: the prompt is a word, the response repeats it twice."""
    rng = np.random.default_rng(seed)
    return [{"prompt": w, "response": f"{w} {w}."} for w in rng.choice(WORDS, count)]


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    """A tiny GPT-2 with a tokenizer trained on the toy format, saved as a local 'hub' folder."""
    import torch  # noqa: PLC0415  (optional: torch only for the language-model tests)

    from collapse_lib.settings.lm import data as D  # noqa: PLC0415  (optional: torch only for the language-model tests)
    from collapse_lib.settings.lm import model as M  # noqa: PLC0415  (optional: torch only for the language-model tests)

    old = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models gain nothing from two threads, and lose on a busy machine
    folder = tmp_path_factory.mktemp("tiny_model")
    texts = [D.format_example(r["prompt"], r["response"]) for r in lm_records(400, seed=1)]
    tok = M.train_tokenizer(texts + ["The quick brown fox jumps over the lazy dog."], vocab_size=300)
    bos, eos, pad = tok.bos_token_id, tok.eos_token_id, tok.pad_token_id
    config = M.base_config(len(tok), d_model=32, n_layer=2, n_head=2, max_len=32,
                           bos_token_id=bos, eos_token_id=eos, pad_token_id=pad)
    from transformers import GPT2LMHeadModel  # noqa: PLC0415  (optional: torch only for the language-model tests)

    with M.torch_seeded(np.random.default_rng(0)):
        model = GPT2LMHeadModel(config)
    # a 'pre-trained' base that already writes the format, as a chat model would
    M.train_steps(model, M.encode(tok, texts), rng=np.random.default_rng(0), steps=150, batch_size=32,
                  lr=1e-2, warmup=5, pad_id=pad)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    data_file = folder / "toy.jsonl"
    data_file.write_text("\n".join(json.dumps(r) for r in lm_records(600, seed=2)))
    torch.set_num_threads(old)
    return {"folder": folder, "model": model, "tokenizer": tok, "data": data_file}


def lm_toy_params(tiny, **extra):
    """Language-model parameters of a run of a few seconds on the tiny model."""
    params = dict(lm_model=str(tiny["folder"]), lm_dataset=str(tiny["data"]), n=40, n_test=50,
                  max_len=32, steps=0, epochs=4.0, batch_size=16, lr=1e-2, warmup=3, sample_batch=64,
                  n_show=3, threads=1)
    return {**params, **extra}


