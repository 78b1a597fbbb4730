"""collapse_lib: the library behind the executable book *Collapse or Thrive?*.

Model collapse (Kazdan et al. 2025): a model is fit, sampled, and refit on its own samples.
The folder shows the architecture:

* :mod:`~collapse_lib.settings` -- the task-settings, one module each (Gaussian, KDE,
  linear regression, discrete, and the language model in ``settings/lm``), all following
  the protocol of :mod:`~collapse_lib.setting` and reached through its registry;
* the machinery: :mod:`~collapse_lib.workflows` (the generation loop and the three
  workflows), :mod:`~collapse_lib.simulate` (the entry point :func:`simulate`),
  :mod:`~collapse_lib.grid` (:func:`run_grid`), :mod:`~collapse_lib.store` (the result
  store), :mod:`~collapse_lib.validation`;
* what the chapters draw on: :mod:`~collapse_lib.theory` (closed forms),
  :mod:`~collapse_lib.verdicts` (reference numbers with their sources, and the verdicts),
  :mod:`~collapse_lib.plotting` (the one plotting style), :mod:`~collapse_lib.compare`,
  :mod:`~collapse_lib.value`, and :mod:`~collapse_lib.notebooks` (the chapter runner).

Importing the package has no side effects: no downloads, no global seeding, no warning
filters. Settings are imported on first use.
"""

from __future__ import annotations

from .grid import GridCellError, run_grid
from .registry import SETTINGS, check_params, fingerprint, get_setting
from .setting import Setting
from .simulate import simulate
from .validation import ParameterError
from .version import __version__
from .workflows import WORKFLOWS, real_share, run_chain

__all__ = ["SETTINGS", "WORKFLOWS", "GridCellError", "ParameterError", "Setting", "__version__",
           "check_params", "fingerprint", "get_setting", "real_share", "run_chain", "run_grid",
           "simulate"]
