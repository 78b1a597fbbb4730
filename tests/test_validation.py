"""Bad input fails at once, naming the parameter and what is allowed."""

from __future__ import annotations

import numpy as np
import pytest

import collapse_lib as cl
from collapse_lib.chapters import chapter_parameters
from collapse_lib.validation import (
    ChoiceList,
    Float,
    FloatList,
    Int,
    IntList,
    ParameterError,
    Seeds,
    check_float_list,
    check_int,
    check_seeds,
)

GOOD = dict(n_generations=3, seeds=2, d=2, n=10)


@pytest.mark.parametrize("change, pattern", [
    (dict(setting="gausian"), r"parameter 'setting' must be one of 'gaussian'"),
    (dict(workflow="acumulate"),
     r"parameter 'workflow' must be one of 'replace', 'accumulate-subsample', 'accumulate'"),
    (dict(n=0), r"parameter 'n' must be an integer >= 1"),
    (dict(n=-5), r"parameter 'n' must be an integer >= 1"),
    (dict(n=1), r"parameter 'n' must be >= 2"),
    (dict(n="100"), r"parameter 'n' must be an integer"),
    (dict(n=10.5), r"parameter 'n' must be an integer"),
    (dict(d=0), r"parameter 'd' must be an integer >= 1"),
    (dict(n_generations=0), r"parameter 'n_generations' must be an integer >= 1"),
    (dict(seeds=0), r"parameter 'seeds' must be a positive int"),
    (dict(seeds=[1, "a"]), r"parameter 'seeds\[1\]' must be an integer"),
    (dict(seeds=[1, 1]), r"must not repeat a seed"),
    (dict(seeds=[-1]), r"parameter 'seeds\[0\]' must be an integer >= 0"),
    (dict(seeds="10"), r"parameter 'seeds' must be a positive int"),
    (dict(sigma2=0.0), r"parameter 'sigma2' must be > 0"),
    (dict(sigma2="1"), r"parameter 'sigma2' must be a real number"),
    (dict(dimension=3), r"unknown parameter\(s\) 'dimension' for setting 'gaussian'; allowed: d, n, sigma2"),
    (dict(real_mix=1.5), r"parameter 'real_mix' must be <= 1.0"),
    (dict(fresh_real="yes"), r"parameter 'fresh_real' must be True or False"),
])
def test_simulate_rejects(change, pattern):
    kwargs = dict(setting="gaussian", workflow="replace", **GOOD)
    kwargs.update(change)
    setting, workflow = kwargs.pop("setting"), kwargs.pop("workflow")
    with pytest.raises(ParameterError, match=pattern):
        cl.simulate(setting, workflow, **kwargs)


def test_parameter_error_is_a_value_error():
    assert issubclass(ParameterError, ValueError)


def test_accepted_forms():
    assert check_seeds(3) == [0, 1, 2]
    assert check_seeds(range(2, 4)) == [2, 3]
    assert check_seeds(np.arange(2)) == [0, 1]
    assert check_int("n", np.int64(5)) == 5
    assert check_int("n", 5.0) == 5  # papermill may pass an integral float
    with pytest.raises(ParameterError):
        check_int("n", True)


def _kernel_namespace(**values):
    """A kernel's globals after the parameters cell (and papermill's injected cell) ran."""
    params = "\n".join(f"{k} = {v!r}  # a parameter" for k, v in values.items())
    return {"In": ["", params, "p = chapter_parameters(globals(), ...)"], **values}


def test_chapter_parameters_checks_each_name_once():
    ns = _kernel_namespace(a=1, b=[1, 2], c=0.5, s=3, w=["replace"])
    p = chapter_parameters(ns, a=Int(1), b=IntList(1), c=Float(0, 1), s=Seeds(), w=ChoiceList(*cl.WORKFLOWS))
    assert p.s == [0, 1, 2] and p.b == [1, 2]
    with pytest.raises(ParameterError, match=r"parameter 'w\[0\]' must be one of 'replace'"):
        chapter_parameters(_kernel_namespace(w=["Replace"]), w=ChoiceList(*cl.WORKFLOWS))
    with pytest.raises(ParameterError, match=r"parameter 'b\[1\]' must be an integer >= 1"):
        chapter_parameters(_kernel_namespace(b=[1, 0]), b=IntList(1))
    with pytest.raises(ParameterError, match="does not define"):
        chapter_parameters(_kernel_namespace(a=1), a=Int(1), b=Int(1))


def test_chapter_parameters_refuses_names_it_does_not_check():
    ns = _kernel_namespace(n_generations=3, seeds=2)
    ns["In"].insert(2, "# Parameters\nn_generation = 2\n")  # papermill's injected cell, misspelt
    ns["n_generation"] = 2
    with pytest.raises(ParameterError, match=r"unknown parameter\(s\) 'n_generation' \(did you mean 'n_generations'"):
        chapter_parameters(ns, n_generations=Int(1), seeds=Seeds())
    keyed = _kernel_namespace(n_generations=3, gaussian={"seeds": 2})
    with pytest.raises(ParameterError, match="'gaussian' holds a mapping.*collapse_lib.notebooks"):
        chapter_parameters(keyed, n_generations=Int(1))
    # cells that are not plain literal assignments (imports, calls) define no parameters
    ns = _kernel_namespace(n_generations=3)
    ns["In"].insert(2, "import numpy as np\nT = np.int64(3)")
    assert chapter_parameters(ns, n_generations=Int(1)).n_generations == 3


def test_chapter_parameters_reuses_a_settings_checks():
    ns = _kernel_namespace(n_generations=3, n=50, lr=0.01)
    p = chapter_parameters(ns, setting="lm", n_generations=Int(2))
    assert p.n == 50 and p.of("lm")["n"] == 50 and p.of("lm")["n_test"] == 500
    bad = _kernel_namespace(n_generations=3, n=-1)
    with pytest.raises(ParameterError, match="parameter 'n' must be an integer >= 1"):
        chapter_parameters(bad, setting="lm", n_generations=Int(2))


def test_float_lists():
    assert check_float_list("x", 0.5) == [0.5]
    assert check_float_list("x", (v for v in (1, 2.5))) == [1.0, 2.5]  # a generator is read once
    assert FloatList(0.0)("sigma2s", [0.0, 4]) == [0.0, 4.0]
    with pytest.raises(ParameterError, match=r"parameter 'x' must be a non-empty list of numbers >= 0.0 and <= 1.0"):
        check_float_list("x", [], minimum=0.0, maximum=1.0)
    with pytest.raises(ParameterError, match=r"parameter 'x\[1\]' must be <= 1.0"):
        check_float_list("x", [0.2, 1.5], minimum=0.0, maximum=1.0)
    with pytest.raises(ParameterError, match=r"must be a non-empty list of numbers"):
        check_float_list("x", "0.5")


def test_seeds_are_bounded_before_any_list_is_built():
    from collapse_lib.validation import MAX_SEEDS

    for many in (MAX_SEEDS + 1, 2**63, 10**30, range(2**64), np.arange(MAX_SEEDS + 1)):
        with pytest.raises(ParameterError, match=f"at most {MAX_SEEDS:,} seeds"):
            check_seeds(many)
    with pytest.raises(ParameterError, match="seed 3 appears 2 times"):
        check_seeds([1, 3, 3])
    with pytest.raises(ParameterError, match="below 2\\*\\*63"):
        check_seeds([2**63])
    assert check_seeds(iter([4, 2])) == [4, 2]


def test_check_duration_announces_and_refuses(monkeypatch, capsys):
    from collapse_lib.validation import check_duration, format_duration

    monkeypatch.delenv("COLLAPSE_ALLOW_LONG", raising=False)
    assert [format_duration(s) for s in (5, 600, 7200, 86400 * 5)] == ["5 s", "10 min", "2 h", "5 days"]
    assert check_duration("a run", 30.0) == "" and check_duration("a run", None) == ""
    assert check_duration("a run", 1200.0) == "about 20 min"
    assert "a run: about 20 min of computing" in capsys.readouterr().out
    with pytest.raises(ParameterError, match="a run: about 5 h of computing.*allow_long=True"):
        check_duration("a run", 5 * 3600.0)
    assert check_duration("a run", 5 * 3600.0, allow_long=True) == "about 5 h"
    monkeypatch.setenv("COLLAPSE_ALLOW_LONG", "1")
    assert check_duration("a run", 5 * 3600.0) == "about 5 h"
    with pytest.raises(ParameterError, match="parameter 'allow_long' must be True or False"):
        check_duration("a run", 5.0, allow_long="yes")
