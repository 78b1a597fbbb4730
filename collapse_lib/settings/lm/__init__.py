"""Language-model fine-tuning, the paper's third task-setting (chapter *Language models*).

Submodules (import them directly; this package imports nothing heavy):

* :mod:`collapse_lib.settings.lm.data` -- the corpora (King James Bible verses, fortunes, a local
  or hub dataset), the example format ``user: {prompt}\\nassistant: {response}`` and the
  well-formedness filter. Pure Python: no torch.
* :mod:`collapse_lib.settings.lm.model` -- tokenizer training, the small base model and its cached
  pre-training, fine-tuning, sampling and evaluation (torch + transformers).
* :mod:`collapse_lib.settings.lm.task` -- ``SETTING`` for :func:`collapse_lib.simulate` (``"lm"``).
"""

from __future__ import annotations

__all__ = ["data", "model", "task"]
