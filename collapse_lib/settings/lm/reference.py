"""The paper's language-model numbers (Gemma-2-2B fine-tuned on HelpSteer2), each with its
source and the range a verdict compares (chapters *Language models* and *The value of
synthetic data*).

The losses over generations are read by pixel off the PNG figure of the authors'
repository that runs all three workflows for 20 generations (log axis; +-5 pixels, +-0.5%
per reading), and divided by the same panel's loss at t = 1: the comparable reading for a
far smaller model on another text (absolute losses depend on the tokenizer and the data).
The range of a ratio is the figure's band at that generation (where it draws one: mostly
single runs) and the error of both readings (+-1%).

The value of synthetic data: the authors' validation loss with 256 real examples, without
and with 1,024 synthetic ones, read by pixel off their figure of that experiment (the
marker centres; +-0.4%).
"""

from __future__ import annotations

from ...verdicts import AUTHORS_COMMIT, AUTHORS_REPOSITORY, Reference, Source

__all__ = ["REFERENCES", "VALUE_REFERENCES"]

_AT = f"{AUTHORS_REPOSITORY} at {AUTHORS_COMMIT}"
_FIG = Source("figure", f"{_AT}, notebooks/08_sft_lm_accumulate_subsample/results/y=eval_loss_x=model_fitting_"
              "iteration_col=setting.png",
              "the loss at t and at t = 1 on the same panel, read by pixel (log axis); their ratio, with the band "
              "at t and +-1% for the two readings")
_VALUE = Source("figure", f"{_AT}, notebooks/10_sft_cardinality_vs_proportionality/results/heatmap_validation_"
                "loss.png", "the marker at 256 real examples, read by pixel (log axis, +-0.4%)")

#: ``relative_loss`` is the test loss divided by the same chain's loss at t = 1.
REFERENCES: tuple[Reference, ...] = (
    Reference("replace", {}, "relative_loss", 2.01, 1.89, 2.09, _FIG, t=4, label="loss / loss at t = 1"),
    Reference("replace", {}, "relative_loss", 2.39, 2.36, 2.42, _FIG, t=10, label="loss / loss at t = 1",
              note="about 2.4 from t = 10 to 20"),
    Reference("accumulate-subsample", {}, "relative_loss", 1.073, 1.06, 1.085, _FIG, t=3,
              label="loss / loss at t = 1"),
    Reference("accumulate-subsample", {}, "relative_loss", 1.127, 1.112, 1.141, _FIG, t=10,
              label="loss / loss at t = 1"),
    Reference("accumulate", {}, "relative_loss", 1.034, 1.02, 1.046, _FIG, t=10, label="loss / loss at t = 1",
              note="flat from t = 2 on"),
)

#: The value of synthetic data: the change of the test loss with 256 real examples when
#: 1,024 synthetic ones are added, in % (1.403 -> 1.268 in the authors' figure).
VALUE_REFERENCES: tuple[Reference, ...] = (
    Reference("one generation", {"num_real": 256, "num_synthetic": 1024}, "loss_change_percent", -9.6, -10.4, -8.7,
              _VALUE, t=1, label="change of the test loss, %"),
)
