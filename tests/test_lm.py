"""The language-model setting (the paper's language-model experiment): format and filter,
tokenizer, fine-tuning, sampling, the workflow bookkeeping, the hub-path loaders on local files, determinism.

Every model here is tiny (a few thousand parameters) so the file runs in seconds; the
chapter's real run is checked by nbval on the smoke notebook.
"""

from __future__ import annotations

import copy
import json
import math
import sys
import types

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from conftest import WORDS, lm_toy_params
from conftest import lm_records as _records

import collapse_lib as cl
from collapse_lib.settings.lm import data as D
from collapse_lib.settings.lm import model as M
from collapse_lib.validation import ParameterError


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One torch thread: tiny models gain nothing from two, and lose much on a busy machine."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


# --- format and filter --------------------------------------------------------------------

@pytest.mark.parametrize("prompt", ["rest, ye weary", "user: nested", "seek and ye shall find",
                                    "every valley", "Ruth 1:16", " spaced ", "u", "e:r"])
def test_format_parse_round_trip(prompt):
    for response in ["Amen.", "line one\nline two", "  x"]:
        text = D.format_example(prompt, response)
        assert text.startswith("user: ")
        assert D.parse_example(text) == (prompt, response)
        assert D.parse_example(text) is not None


def test_prefix_is_removed_as_a_prefix_not_a_character_set():
    text = D.format_example("rest, ye weary", "I will give you rest.")
    # the authors' strip eats the leading letters of the prompt ...
    assert text.split("\nassistant: ")[0].lstrip("user: ") == "t, ye weary"
    # ... the library keeps them
    assert D.parse_example(text)[0] == "rest, ye weary"
    for word in ["user", "sure", "err", "seer", "uses"]:
        assert D.parse_example(f"user: {word}\nassistant: ok") == (word, "ok")


@pytest.mark.parametrize("bad", [
    "", "assistant: hi", "user:hi\nassistant: ok", "User: hi\nassistant: ok", "user: hi",
    "user: \nassistant: ok", "user: hi\nassistant: ", "user: hi\nassistant:    ",
    "user: a\nassistant: b\nassistant: c", "user: a\nassistant: b\nuser: c",
    " user: hi\nassistant: ok", "user: hi\nAssistant: ok",
])
def test_filter_rejects_malformed(bad):
    assert D.parse_example(bad) is None


def test_filter_keeps_order_and_format_refuses_unparseable_pairs():
    good = [D.format_example(w, w.upper()) for w in WORDS]
    mixed = [good[0], "junk", good[1], "user: x", good[2]]
    assert [t for t in mixed if D.parse_example(t) is not None] == good[:3]
    with pytest.raises(ValueError):
        D.format_example("a\nassistant: b", "c")
    with pytest.raises(ValueError):
        D.format_example("", "c")


def test_kjv_corpus_splits_are_disjoint_and_fixed():
    verses = D.kjv_verses()
    assert len(verses) == 31_103 and verses[0]["citation"] == "Genesis 1:1"
    c = D.load_corpus("kjv", n_test=500, n_reserve=300)
    assert (len(c.reserve), len(c.test), len(c.pool)) == (300, 500, 31_103 - 800)
    assert not (set(c.reserve) & set(c.test)) and not (set(c.test) & set(c.pool))
    assert not (set(c.reserve) & set(c.pool))
    assert all(D.parse_example(x) is not None for x in c.test)
    assert D.load_corpus("kjv", n_test=500, n_reserve=300).test == c.test  # a fixed split
    assert c.pool[0].startswith("user: ") and D.parse_example(c.pool[0])[0].count(":") == 1
    assert len(D.fortunes()) > 10_000


# --- tokenizer, training, evaluation --------------------------------------------------------

def test_tokenizer_training_is_deterministic_and_round_trips(tiny):
    texts = [D.format_example(r["prompt"], r["response"]) for r in _records(400, seed=1)]
    texts.append("The quick brown fox jumps over the lazy dog.")
    a = M.train_tokenizer(texts, vocab_size=300)
    b = M.train_tokenizer(texts, vocab_size=300)
    assert a.get_vocab() == b.get_vocab() and len(a) == 300
    sample = "user: Ruth 1:16\nassistant: Whither thou goest, I will go; {unseen} ~ bytes é"
    (ids,) = M.encode(a, [sample])
    assert ids[0] == a.bos_token_id and ids[-1] == a.eos_token_id
    assert a.decode(ids[1:-1]) == sample  # byte level: any text round-trips
    toy = "user: rest\nassistant: rest rest."
    assert len(M.encode(a, [toy])[0]) - 2 < len(toy.encode()) / 1.5  # merges learnt from the texts


def _tiny_model(tok, seed=0):
    from transformers import GPT2LMHeadModel

    config = M.base_config(len(tok), d_model=32, n_layer=2, n_head=2, max_len=32,
                           bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                           pad_token_id=tok.pad_token_id)
    with M.torch_seeded(np.random.default_rng(seed)):
        return GPT2LMHeadModel(config)


def test_fine_tuning_lowers_the_loss_and_leaves_the_base_untouched(tiny):
    tok = tiny["tokenizer"]
    base = _tiny_model(tok)
    seqs = M.encode(tok, [D.format_example(r["prompt"], r["response"]) for r in _records(64)])
    before = M.mean_loss(base, seqs, pad_id=tok.pad_token_id)
    snapshot = {k: v.clone() for k, v in base.state_dict().items()}
    model, stats = M.fine_tune(base, seqs, rng=np.random.default_rng(0), pad_id=tok.pad_token_id,
                               steps=40, batch_size=16, lr=1e-2, warmup=5)
    after = M.mean_loss(model, seqs, pad_id=tok.pad_token_id)
    assert after < 0.5 * before, (before, after)
    # 64 examples in batches of 16: 40 steps are exactly 10 epochs
    assert stats.steps == 40 and stats.tokens_seen == 10 * sum(len(s) - 1 for s in seqs)
    assert all(torch.equal(v, snapshot[k]) for k, v in base.state_dict().items())
    # an epoch is ceil(N / batch) steps and sees every target token once
    _, one = M.fine_tune(base, seqs, rng=np.random.default_rng(0), pad_id=tok.pad_token_id,
                         epochs=1.0, batch_size=10)
    assert one.steps == 7 and one.tokens_seen == sum(len(s) - 1 for s in seqs)


def test_gradient_accumulation_matches_the_full_batch(tiny):
    tok = tiny["tokenizer"]
    base = _tiny_model(tok, seed=2)
    seqs = M.encode(tok, [D.format_example(r["prompt"], r["response"]) for r in _records(48, seed=5)])
    run = lambda micro: M.fine_tune(base, seqs, rng=np.random.default_rng(0),  # noqa: E731
                                    pad_id=tok.pad_token_id, steps=6, batch_size=16, lr=1e-2,
                                    micro_batch=micro)
    (full, a), (split, b) = run(0), run(5)
    assert a.tokens_seen == b.tokens_seen and a.train_loss == pytest.approx(b.train_loss, rel=1e-4)
    for p_full, p_split in zip(full.parameters(), split.parameters()):
        assert torch.allclose(p_full, p_split, atol=1e-4)


def test_mean_loss_is_the_token_average_cross_entropy(tiny):
    tok = tiny["tokenizer"]
    model = _tiny_model(tok, seed=3)
    seqs = M.encode(tok, ["user: a\nassistant: b", "user: longer prompt\nassistant: and a reply."])
    total = count = 0.0
    with torch.no_grad():
        for s in seqs:
            ids = torch.tensor([s])
            logp = torch.log_softmax(model(ids).logits[0, :-1], -1)
            total -= logp[torch.arange(len(s) - 1), ids[0, 1:]].sum().item()
            count += len(s) - 1
    assert M.mean_loss(model, seqs, pad_id=tok.pad_token_id, batch_size=2) == pytest.approx(total / count, rel=1e-5)
    # padding in a batch changes nothing
    assert M.mean_loss(model, seqs, pad_id=tok.pad_token_id, batch_size=1) == pytest.approx(total / count, rel=1e-5)


def test_mixed_precision_scores_close_to_float32(tiny):
    tok, model = tiny["tokenizer"], tiny["model"]
    seqs = M.encode(tok, [D.format_example(r["prompt"], r["response"]) for r in _records(20)])
    full = M.mean_loss(model, seqs, pad_id=tok.pad_token_id)
    half = M.mean_loss(model, seqs, pad_id=tok.pad_token_id, amp="bfloat16")
    assert half == pytest.approx(full, rel=0.05) and half != full
    assert next(model.parameters()).dtype == torch.float32  # weights untouched


def test_length_batches_cover_every_example_once():
    lengths = np.random.default_rng(0).integers(3, 50, size=103)
    batches = M.length_batches(lengths, 8, np.random.default_rng(1))
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(103))
    assert max(len(b) for b in batches) == 8


# --- sampling -------------------------------------------------------------------------------

class _FixedLogits(torch.nn.Module):
    """A stand-in causal LM: every step has the same next-token distribution."""

    def __init__(self, logits):
        super().__init__()
        self.logits = logits

    def forward(self, input_ids, past_key_values=None, use_cache=True):
        from transformers import DynamicCache

        cache = past_key_values if past_key_values is not None else DynamicCache()
        b = input_ids.shape[0]
        return types.SimpleNamespace(logits=self.logits.expand(b, 1, -1).clone(), past_key_values=cache)


def test_sampler_draws_from_the_full_softmax_at_temperature_one():
    vocab, eos = 300, 1
    logits = torch.zeros(vocab)
    logits[eos] = np.log(0.2 * (vocab - 1) / 0.8)  # P(eos) = 0.2 at each step
    model = _FixedLogits(logits.view(1, 1, -1))
    gen = torch.Generator().manual_seed(0)
    docs, n_tok = M.sample_tokens(model, 4000, bos=0, eos=eos, max_new_tokens=60, generator=gen)
    lengths = np.array([len(d) for d in docs if d is not None])
    assert len(lengths) > 3990
    assert lengths.mean() == pytest.approx(0.8 / 0.2, rel=0.06)  # geometric: E = (1-p)/p
    seen = {t for d in docs if d for t in d}
    assert len(seen) > 250  # no top-k truncation (transformers' generate default is top_k=50)
    assert n_tok == sum(len(d) + 1 for d in docs if d is not None) + 60 * sum(d is None for d in docs)


def test_sampling_is_deterministic_under_a_seed_and_tops_up(tiny):
    tok = tiny["tokenizer"]
    logits = torch.zeros(len(tok))
    logits[tok.eos_token_id] = 3.0  # short documents
    model = _FixedLogits(logits.view(1, 1, -1))
    keep = lambda text: len(text) % 3 == 0  # noqa: E731  (rejects about two thirds)
    run = lambda seed: M.sample_examples(model, tok, 40, rng=np.random.default_rng(seed),  # noqa: E731
                                          batch_size=16, max_new_tokens=20, keep=keep)
    a, b, c = run(5), run(5), run(6)
    assert a.kept == b.kept and a.generated == b.generated and a.kept != c.kept
    assert len(a.kept) == 40 and all(keep(t) for t in a.kept)
    assert a.generated > 40 and a.acceptance_rate == a.well_formed / a.generated < 0.7
    # nothing acceptable: the top-up gives up with a clear error instead of looping forever
    with pytest.raises(RuntimeError, match="well-formed"):
        M.sample_examples(model, tok, 10, rng=np.random.default_rng(0), batch_size=16,
                          max_new_tokens=8, max_factor=3)


def test_trained_model_writes_the_format(tiny):
    tok, model = tiny["tokenizer"], tiny["model"]
    out = M.sample_examples(model, tok, 50, rng=np.random.default_rng(0), max_new_tokens=30)
    assert out.acceptance_rate > 0.5 and len(out.kept) == 50
    assert sum(D.parse_example(t)[0] in WORDS for t in out.kept) > 25


# --- pre-training cache and the hub path ------------------------------------------------------

def test_pretrain_base_is_cached_on_disk(tmp_path):
    texts = [f"{w} and {v}" for w in WORDS for v in WORDS]
    kwargs = dict(key={"corpus": "toy"}, vocab_size=280, d_model=16, n_layer=1, n_head=2, max_len=16,
                  steps=3, batch_size=8, cache_dir=tmp_path)
    m1, t1, meta1 = M.pretrain_base(texts, texts, **kwargs)
    folders = list(tmp_path.glob("base-*"))
    assert len(folders) == 1 and (folders[0] / "meta.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left
    mtime = (folders[0] / "model.safetensors").stat().st_mtime
    m2, t2, meta2 = M.pretrain_base(texts, texts, **kwargs)
    assert (folders[0] / "model.safetensors").stat().st_mtime == mtime  # loaded, not retrained
    assert all(torch.equal(a, b) for a, b in zip(m1.state_dict().values(), m2.state_dict().values()))
    assert t1.get_vocab() == t2.get_vocab() and meta1["parameters"] == meta2["parameters"]
    M.pretrain_base(texts, texts, **{**kwargs, "steps": 4})
    assert len(list(tmp_path.glob("base-*"))) == 2  # another recipe, another base


def test_hub_loader_reads_a_local_model_and_dataset_files(tiny, tmp_path):
    model, tok, meta = M.load_pretrained(str(tiny["folder"]))
    assert type(model).__name__ == "GPT2LMHeadModel" and meta["parameters"] > 0
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), tiny["model"].state_dict().values()))
    assert tok("user: rest")["input_ids"] == tiny["tokenizer"]("user: rest")["input_ids"]
    rows = _records(50) + [{"prompt": "", "response": "dropped: empty prompt"}]
    (tmp_path / "d.json").write_text(json.dumps({"train": rows}))
    for path in (tiny["data"], tmp_path / "d.json"):
        corpus = D.load_corpus(str(path), n_test=10)
        assert len(corpus.test) == 10 and all(D.parse_example(x) is not None for x in corpus.pool + corpus.test)
    corpus = D.load_corpus(str(tmp_path / "d.json"), n_test=10)
    assert corpus.dropped == 1 and len(corpus.pool) == 40
    with pytest.raises(ParameterError, match="no field"):
        D.load_corpus(str(tiny["data"]), n_test=5, prompt_field="question")


def test_hub_dataset_goes_through_datasets_load_dataset(monkeypatch):
    """The hub branch, with a stand-in for `datasets` (no network here)."""
    calls = []

    def load_dataset(name, split):
        calls.append((name, split))
        return _records(120 if split == "train" else 30, seed=len(calls))

    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=load_dataset))
    corpus = D.load_corpus("nvidia/HelpSteer2", n_test=20)
    assert calls == [("nvidia/HelpSteer2", "train"), ("nvidia/HelpSteer2", "validation")]
    assert len(corpus.pool) == 120 and len(corpus.test) == 20
    assert corpus.pool[0].startswith("user: ") and "\nassistant: " in corpus.pool[0]
    monkeypatch.setitem(sys.modules, "datasets", None)  # not installed
    with pytest.raises(ModuleNotFoundError, match="optional 'datasets'"):
        D.load_corpus("nvidia/HelpSteer2")


# --- the setting through simulate -------------------------------------------------------------

def _toy_params(tiny, **extra):
    return lm_toy_params(tiny, **extra)


@pytest.fixture(scope="module")
def toy_runs(tiny):
    return {wf: cl.simulate("lm", wf, n_generations=3, seeds=[0, 1], **_toy_params(tiny))
            for wf in cl.WORKFLOWS}


def test_lm_workflow_bookkeeping(toy_runs):
    for wf, df in toy_runs.items():
        assert list(df["generation"]) == [1, 2, 3, 1, 2, 3]
        assert np.isfinite(df["test_loss"]).all()
        if wf == "accumulate":
            assert list(df["n_train"]) == [40, 80, 120] * 2
            assert np.allclose(df["real_share"], [1, 1 / 2, 1 / 3] * 2)
            growth = df["tokens_seen"].iloc[2] / df["tokens_seen"].iloc[0]
            assert 2.0 < growth < 4.5  # same epochs on t times the data: the compute confound
        else:
            assert list(df["n_train"]) == [40] * 6
        if wf == "replace":
            assert list(df["real_share"]) == [1, 0, 0] * 2
        if wf == "accumulate-subsample":
            assert df["real_share"].iloc[0] == 1 and 0 < df["real_share"].iloc[1:3].min() < 1
        acc = df["acceptance_rate"].to_numpy().reshape(2, 3)
        assert np.isnan(acc[:, -1]).all() and ((acc[:, :-1] > 0) & (acc[:, :-1] <= 1)).all()
        sizes = [len(s) for s in df["samples"]]
        assert sizes == [40, 40, 3] * 2  # the synthetic data of t = 1, 2; display draws at T
        assert all(D.parse_example(s) is not None for row in df["samples"] for s in row)
    # generation 1 fits the same real data under Replace and Accumulate (same seed)
    assert np.array_equal(toy_runs["replace"]["test_loss"].to_numpy()[[0, 3]],
                          toy_runs["accumulate"]["test_loss"].to_numpy()[[0, 3]])
    # different seeds draw different real data
    assert toy_runs["replace"]["test_loss"].iloc[0] != toy_runs["replace"]["test_loss"].iloc[3]


def test_lm_runs_are_deterministic(tiny, toy_runs):
    again = cl.simulate("lm", "accumulate-subsample", n_generations=3, seeds=[0, 1], **_toy_params(tiny))
    first = toy_runs["accumulate-subsample"]
    for col in ("test_loss", "tokens_seen", "real_share", "acceptance_rate", "train_loss"):
        assert np.array_equal(first[col].to_numpy(), again[col].to_numpy(), equal_nan=True), col
    assert list(first["samples"]) == list(again["samples"])


def test_mixed_precision_runs_through_the_setting(tiny, toy_runs):
    half = cl.simulate("lm", "replace", n_generations=2, seeds=[0], **_toy_params(tiny, dtype="bfloat16"))
    full = toy_runs["replace"].iloc[:2]
    assert np.isfinite(half["test_loss"]).all()
    # training in bfloat16 takes another path than in float32: close, not equal (nats per token)
    assert half["test_loss"].iloc[0] == pytest.approx(full["test_loss"].iloc[0], abs=0.15)


def test_lm_parameters_are_checked(tiny):
    with pytest.raises(ParameterError, match="unknown parameter"):
        cl.simulate("lm", "replace", n_generations=1, seeds=1, n_heads=3)
    with pytest.raises(ParameterError, match="multiple of"):
        cl.simulate("lm", "replace", n_generations=1, seeds=1, d_model=30, n_head=4)
    with pytest.raises(ParameterError, match="'device' must be one of"):
        cl.simulate("lm", "replace", n_generations=1, seeds=1, device="tpu")
    with pytest.raises(ParameterError, match="exceeds"):
        cl.simulate("lm", "replace", n_generations=1, seeds=1, **{**_toy_params(tiny), "n": 10_000})


def test_device_and_model_errors_name_the_parameter_at_once(tiny, monkeypatch):
    import time

    from collapse_lib.settings.lm import task as lmtask

    if not torch.cuda.is_available():
        with pytest.raises(ParameterError, match="parameter 'device' is 'cuda'.*sees no CUDA device"):
            cl.simulate("lm", "replace", n_generations=1, seeds=1, **_toy_params(tiny), device="cuda")
    with pytest.raises(ParameterError, match="parameter 'lm_model'.*neither 'local-gpt2', nor an existing folder"):
        cl.simulate("lm", "replace", n_generations=1, seeds=1, **{**_toy_params(tiny), "lm_model": "./no/such/model"})
    empty = tiny["folder"].parent / "empty_model"
    empty.mkdir(exist_ok=True)
    with pytest.raises(ParameterError, match="parameter 'lm_model': folder .* holds no config.json"):
        cl.check_params("lm", {"lm_model": str(empty)})
    monkeypatch.setattr(lmtask, "_hub_reachable", lambda endpoint, timeout=3.0: False)
    started = time.perf_counter()
    offline = "parameter 'lm_model': 'googel/gemma-2-2b' is not a local folder.*offline"
    with pytest.raises(ParameterError, match=offline):
        cl.check_params("lm", {"lm_model": "googel/gemma-2-2b"})
    assert time.perf_counter() - started < 5
    cl.check_params("lm", {"lm_model": str(tiny["folder"])})  # a local folder is looked for first


def test_sampling_failure_names_the_real_parameter(tiny):
    tok = tiny["tokenizer"]
    with pytest.raises(RuntimeError, match="raise parameter 'max_sample_factor'"):
        M.sample_examples(tiny["model"], tok, 4, rng=np.random.default_rng(0), max_new_tokens=2, max_factor=1.0)


# --- the fast decoder ---------------------------------------------------------------------------

def test_fast_decoder_matches_the_model_forward_pass(tiny):
    model, tok = tiny["model"], tiny["tokenizer"]
    assert M.GPT2Decoder.supports(model) and not M.GPT2Decoder.supports(_FixedLogits(torch.zeros(1, 1, 4)))
    gen = torch.Generator().manual_seed(3)
    ids = torch.randint(0, len(tok), (6, 12), generator=gen)
    ids[:, 0] = tok.bos_token_id
    with torch.inference_mode():
        ref = model(input_ids=ids).logits
        dec = M.GPT2Decoder(model, 6, 20, torch.device("cpu"))
        rows = torch.arange(6)
        for s in range(12):
            if s == 5:  # rows leave the batch: the others' caches are kept
                rows = torch.tensor([0, 2, 5])
                dec.select(rows)
            torch.testing.assert_close(dec.step(ids[rows, s]), ref[rows, s], atol=1e-4, rtol=1e-4)


def test_categorical_draws_follow_the_softmax():
    probs = torch.tensor([0.5, 0.0, 0.3, 0.2])
    logits = torch.log(probs).expand(40_000, 4)
    draws = M.draw_categorical(logits, torch.Generator().manual_seed(0)).numpy()
    freq = np.bincount(draws, minlength=4) / draws.size
    assert freq[1] == 0  # a zero-probability token is never drawn
    assert np.allclose(freq, probs.numpy(), atol=4 * np.sqrt(0.25 / draws.size))


# --- the equal-compute control, threads, devices -------------------------------------------------

def test_control_trains_every_workflow_the_same_number_of_steps(tiny, toy_runs):
    from collapse_lib.settings.lm import task as lmtask

    params = lmtask.check_params(_toy_params(tiny))
    main = lmtask.steps_per_generation(params, params["n"])  # 4 epochs of 40 in batches of 16
    assert main == 12
    assert lmtask.control_workflows(params, main) == ["accumulate"]
    assert lmtask.control_workflows(params, 5) == list(cl.WORKFLOWS)
    control = lmtask.control_params(params, 5)
    runs = {wf: cl.simulate("lm", wf, n_generations=3, seeds=[0], **control) for wf in cl.WORKFLOWS}
    for wf, df in runs.items():
        assert list(df["fit_steps"]) == [5, 5, 5], wf
    acc = runs["accumulate"]["tokens_seen"].to_numpy()
    assert acc[2] / acc[0] < 1.5  # the same steps on a growing set: compute does not grow with t
    assert list(toy_runs["accumulate"]["fit_steps"].iloc[:3]) == [12, 20, 32]  # the main run: it does
    # at the main run's steps, Replace's control is its main run, bit for bit
    same = cl.simulate("lm", "replace", n_generations=3, seeds=[0], **lmtask.control_params(params, main))
    assert np.array_equal(same["test_loss"].to_numpy(), toy_runs["replace"]["test_loss"].to_numpy()[:3])


@pytest.mark.parametrize("bad, match", [(-1, "parameter 'control_steps'"), (0, "parameter 'control_steps'"),
                                        ("12", "parameter 'control_steps'"), (2.5, "parameter 'control_steps'")])
def test_control_steps_are_checked(tiny, bad, match):
    from collapse_lib.settings.lm import task as lmtask

    with pytest.raises(ParameterError, match=match):
        lmtask.control_params(_toy_params(tiny), bad)
    with pytest.raises(ParameterError, match="unknown parameter"):
        lmtask.control_params({**_toy_params(tiny), "step": 3}, 5)


def test_same_seed_and_thread_count_give_identical_numbers(tiny):
    runs = [cl.simulate("lm", "accumulate", n_generations=2, seeds=[1], **_toy_params(tiny, threads=2))
            for _ in range(2)]
    for col in ("test_loss", "train_loss", "tokens_seen", "acceptance_rate"):
        assert np.array_equal(runs[0][col].to_numpy(), runs[1][col].to_numpy(), equal_nan=True), col
    assert list(runs[0]["samples"]) == list(runs[1]["samples"])
    assert set(runs[0]["threads"]) == {2}  # the count is recorded with the results


def test_device_auto_resolves_and_cuda_without_a_gpu_names_the_parameter(tiny, monkeypatch):
    from collapse_lib.settings.lm import task as lmtask

    assert lmtask.check_params({})["device"] == "auto"
    assert lmtask.check_params({})["threads"] == 2
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert M.resolve_device("auto").type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    if getattr(torch.backends, "mps", None) is not None:
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert M.resolve_device("auto").type == "cpu"
    df = cl.simulate("lm", "replace", n_generations=1, seeds=[0], **_toy_params(tiny, device="auto", n_show=0))
    assert set(df["device_used"]) == {"cpu"}
    with pytest.raises(ParameterError, match="parameter 'device' is 'cuda'.*sees no CUDA device"):
        lmtask.check_params({**_toy_params(tiny), "device": "cuda"})


# --- chains run together -----------------------------------------------------------------------

def _texts(count: int, seed: int, repeat: int = 2) -> list[str]:
    """Toy examples whose responses repeat the prompt ``repeat`` times (longer with more)."""
    rng = np.random.default_rng(seed)
    return [D.format_example(w, " ".join([w] * int(k)) + ".")
            for w, k in zip(rng.choice(WORDS, count), rng.integers(1, repeat + 1, count))]


@pytest.mark.parametrize("threads", [1, 2])
def test_a_chain_does_not_depend_on_its_batch_mates(tiny, threads):
    """The contract of the batched engine: a chain's fine-tuned weights, training loss, test
    loss and samples are the same, bit for bit, when it runs alone and when it runs beside
    other chains whose data, sequence lengths and sample counts differ (so the batch's packed
    width, its padded attention batches and the rows of its decoder all change around it)."""
    from collapse_lib.settings.lm import chains as CH

    tok, base = tiny["tokenizer"], tiny["model"]
    pad = tok.pad_token_id
    own = M.encode(tok, _texts(40, 3))
    mates = [M.encode(tok, _texts(40, 4, repeat=5)), M.encode(tok, _texts(40, 5, repeat=1))]  # up to 32 tokens
    recipe = dict(steps=6, batch_size=8, lr=1e-2, warmup=2, pad_id=pad)
    test = M.encode(tok, _texts(30, 9, repeat=4))
    with M.torch_threads(threads):
        alone = CH.Stack.of(base, 1)
        (fa,) = CH.train_chains(alone, [own], [np.random.default_rng(0)], **recipe)
        batch = CH.Stack.of(base, 3)
        fb = CH.train_chains(batch, [mates[0], own, mates[1]],
                             [np.random.default_rng(1), np.random.default_rng(0), np.random.default_rng(2)], **recipe)
        for name, value in alone.params.items():
            assert torch.equal(value[0], batch.params[name][1]), name
        assert (fa.train_loss, fa.tokens_seen, fa.steps) == (fb[1].train_loss, fb[1].tokens_seen, fb[1].steps)
        assert CH.score_chains(alone, test, batch_size=7, pad_id=pad)[0] == \
            CH.score_chains(batch, test, batch_size=7, pad_id=pad)[1]
        kw = dict(max_new_tokens=24, batch_size=16)
        (sa,) = CH.sample_chains(alone, tok, [25], rngs=[np.random.default_rng(5)], **kw)
        sb = CH.sample_chains(batch, tok, [40, 25, 10], rngs=[np.random.default_rng(6), np.random.default_rng(5),
                                                               np.random.default_rng(7)], **kw)
    assert sa.kept == sb[1].kept and (sa.generated, sa.well_formed, sa.tokens) == \
        (sb[1].generated, sb[1].well_formed, sb[1].tokens)
    assert fa.train_loss != fb[0].train_loss and sa.kept != sb[0].kept[:25]  # the mates are other chains
    # a sequence longer than the model's positions would read its batch-mate's position embedding
    too_long = [s for s in M.encode(tok, _texts(40, 4, repeat=6)) if len(s) > 32]
    with pytest.raises(ValueError, match="longer than the model's 32 positions"):
        batch.token_losses(CH.ChainBatch([too_long] * 3, torch.device("cpu"), pad))


def test_the_stacked_model_computes_what_gpt2_computes(tiny):
    """Per-token losses of the stacked engine against the model's own forward pass (to
    float rounding), for two chains of packed sequences of different lengths; and a chain
    written back into a GPT-2 holds the same weights."""
    from collapse_lib.settings.lm import chains as CH

    model, tok = tiny["model"], tiny["tokenizer"]
    seqs = M.encode(tok, _texts(7, 1, repeat=5))
    stack = CH.Stack.of(model, 2)
    batch = CH.ChainBatch([seqs, seqs[2:5]], torch.device("cpu"), tok.pad_token_id)
    losses = stack.token_losses(batch)
    with torch.no_grad():
        for c, part in enumerate([seqs, seqs[2:5]]):
            start = 0
            for s in part:
                ids = torch.tensor([s])
                ref = torch.nn.functional.cross_entropy(model(ids).logits[0, :-1], ids[0, 1:], reduction="none")
                torch.testing.assert_close(losses[c, start:start + len(s) - 1], ref, atol=1e-5, rtol=1e-5)
                assert losses[c, start + len(s) - 1] == 0  # no target after EOS
                start += len(s)
            assert (losses[c, start:] == 0).all()  # padding after the chain's tokens
    back = stack.chain(1)
    assert all(torch.equal(a, b) for a, b in zip(back.state_dict().values(), model.state_dict().values()))


def test_stacked_fine_tuning_lowers_the_loss_like_the_reference(tiny):
    """The stacked engine and the model's own training loop run the same recipe (the same
    batches): the losses they reach agree closely, and the base is untouched."""
    from collapse_lib.settings.lm import chains as CH

    tok, base = tiny["tokenizer"], _tiny_model(tiny["tokenizer"], seed=4)
    seqs = M.encode(tok, [D.format_example(r["prompt"], r["response"]) for r in _records(64)])
    snapshot = {k: v.clone() for k, v in base.state_dict().items()}
    before = M.mean_loss(base, seqs, pad_id=tok.pad_token_id)
    recipe = dict(steps=30, batch_size=16, lr=1e-2, warmup=5)
    ref, st_ref = M.fine_tune(base, seqs, rng=np.random.default_rng(0), pad_id=tok.pad_token_id, **recipe)
    stack = CH.Stack.of(base, 1)
    (st,) = CH.train_chains(stack, [seqs], [np.random.default_rng(0)], pad_id=tok.pad_token_id, **recipe)
    after = CH.score_chains(stack, seqs, pad_id=tok.pad_token_id)[0]
    assert after < 0.5 * before
    assert after == pytest.approx(M.mean_loss(ref, seqs, pad_id=tok.pad_token_id), rel=0.05)
    assert st.tokens_seen == st_ref.tokens_seen and st.steps == st_ref.steps == 30
    assert all(torch.equal(v, snapshot[k]) for k, v in base.state_dict().items())


def test_adamw_is_torchs():
    from collapse_lib.settings.lm.chains import _AdamW

    gen = torch.Generator().manual_seed(0)
    a = torch.randn(3, 5, 4, generator=gen)
    b = a.clone().requires_grad_(True)
    a.requires_grad_(True)
    ours = _AdamW([a], lr=1e-2, betas=(0.9, 0.98), eps=1e-8, weight_decay=0.1)
    theirs = torch.optim.AdamW([b], lr=1e-2, betas=(0.9, 0.98), eps=1e-8, weight_decay=0.1, foreach=False)
    for _ in range(4):
        g = torch.randn(3, 5, 4, generator=gen)
        a.grad, b.grad = g.clone(), g.clone()
        ours.step(1.0)
        theirs.step()
    torch.testing.assert_close(a.detach(), b.detach(), atol=1e-7, rtol=1e-6)


def test_stacked_mixed_precision_keeps_float32_weights(tiny):
    """bfloat16 (the GPU recipe) runs on the CPU too: the products in bfloat16, the weights,
    the optimiser state and the losses in float32; a base in bfloat16 is stacked in float32."""
    from collapse_lib.settings.lm import chains as CH

    tok = tiny["tokenizer"]
    seqs = M.encode(tok, _texts(16, 2))
    stack = CH.Stack.of(tiny["model"], 2)
    batch = CH.ChainBatch([seqs, seqs[::-1]], torch.device("cpu"), tok.pad_token_id)
    full, half = stack.token_losses(batch), stack.token_losses(batch, amp="bfloat16")
    assert half.dtype == torch.float32 and not torch.equal(full, half)
    torch.testing.assert_close(half.sum(), full.sum(), rtol=0.05, atol=0.0)
    (st,) = CH.train_chains(CH.Stack.of(tiny["model"], 1), [seqs], [np.random.default_rng(0)], steps=3,
                            batch_size=8, lr=1e-2, warmup=1, pad_id=tok.pad_token_id, amp="bfloat16")
    assert math.isfinite(st.train_loss)
    half_base = copy.deepcopy(tiny["model"]).to(torch.bfloat16)
    assert all(v.dtype == torch.float32 for v in CH.Stack.of(half_base, 1).params.values())
    with pytest.raises(ValueError, match="same number of steps"):
        CH.train_chains(CH.Stack.of(tiny["model"], 2), [seqs, seqs[:4]], [np.random.default_rng(0)] * 2,
                        epochs=1.0, batch_size=4, pad_id=tok.pad_token_id)


@pytest.mark.parametrize("amp", ["bfloat16", "float16"])
def test_the_gpu_recipe_runs_batched_on_the_cpu(tiny, amp):
    """The CUDA path's arithmetic without a GPU: two chains fine-tuned, scored and sampled as
    one batch under autocast in ``amp`` (CPU autocast runs the same batched products in that
    dtype), so dtype errors of the mixed-precision code (caches, decoder, gathers) show here.
    The weights stay float32 and every number is finite."""
    from collapse_lib.settings.lm import chains as CH

    tok = tiny["tokenizer"]
    pad = tok.pad_token_id
    seqs = [M.encode(tok, _texts(24, 2)), M.encode(tok, _texts(24, 3, repeat=4))]
    stack = CH.Stack.of(tiny["model"], 2)
    fits = CH.train_chains(stack, seqs, [np.random.default_rng(0), np.random.default_rng(1)], steps=3, batch_size=8,
                           lr=1e-2, warmup=1, pad_id=pad, amp=amp)
    assert all(math.isfinite(f.train_loss) for f in fits)
    assert all(v.dtype == torch.float32 and torch.isfinite(v).all() for v in stack.params.values())
    losses = CH.score_chains(stack, seqs[0], batch_size=8, pad_id=pad, amp=amp)
    assert np.isfinite(losses).all() and losses.shape == (2,)
    got = CH.sample_chains(stack, tok, [6, 3], rngs=[np.random.default_rng(2), np.random.default_rng(3)],
                           max_new_tokens=24, batch_size=8, amp=amp)
    assert [len(g.kept) for g in got] == [6, 3]


def test_the_cuda_smoke_file_stops_at_once_without_a_gpu(monkeypatch):
    """params/lm_cuda_smoke.yml asks for device 'cuda': without one, the chapter's parameter
    check refuses it at once, naming the parameter, before anything is loaded or trained."""
    from collapse_lib.chapters import chapter_values
    from collapse_lib.settings.lm import task as lmtask

    values = chapter_values("language_models", "params/lm_cuda_smoke.yml")
    assert values["device"] == "cuda" and values["dtype"] == "bfloat16"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ParameterError, match="parameter 'device' is 'cuda'.*sees no CUDA device"):
        lmtask.check_params({k: v for k, v in values.items() if k in lmtask.SETTING.params})


def test_small_test_sets_and_short_examples_are_refused_before_any_work(tmp_path, tiny):
    """n_test below 10 and, for the local model, max_len below 32 fail at once, naming the
    parameter and what is allowed, before anything is pre-trained or written."""
    with pytest.raises(ParameterError, match=r"parameter 'n_test' must be .*>= 10"):
        cl.simulate("lm", "replace", n_generations=1, seeds=1, n_test=4, base_dir=str(tmp_path))
    with pytest.raises(ParameterError, match=r"parameter 'max_len' must be >= 32 for the local model"):
        cl.simulate("lm", "replace", n_generations=1, seeds=1, max_len=24, base_dir=str(tmp_path))
    assert not list(tmp_path.iterdir())
    # a data set whose examples do not fit: named with max_len
    with pytest.raises(ParameterError, match="max_len=6"):
        cl.simulate("lm", "replace", n_generations=1, seeds=1, **_toy_params(tiny, max_len=6))
