"""collapse_lib: the library behind the executable book *Collapse or Thrive?*.

Model collapse (Kazdan et al. 2025): a model is fit, sampled, and refit on its own samples.
The public entry point is :func:`simulate`; the generation loop and the three workflows are
in :mod:`collapse_lib.workflows`, closed forms in :mod:`collapse_lib.theory`, and the one
plotting style in :mod:`collapse_lib.plotting`.

Importing the package has no side effects: no downloads, no global seeding, no warning
filters. Settings are imported on first use.
"""

from __future__ import annotations

from .simulate import SETTINGS, get_setting, run_grid, simulate
from .validation import ParameterError
from .workflows import WORKFLOWS, real_share, run_chain

__all__ = ["SETTINGS", "WORKFLOWS", "ParameterError", "get_setting", "real_share", "run_chain",
           "run_grid", "simulate", "__version__"]

__version__ = "0.1.0"
