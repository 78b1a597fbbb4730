"""Logistic regression on a fixed real design (chapter *Logistic regression*).

This folder is the whole setting: :mod:`.model` (its task and fast path: what the result
store's code fingerprint covers), :mod:`.theory` (its large-n approximations), :mod:`.reference`
(Dey & Donoho's numbers with their provenance) and :mod:`.claims` (the claims its chapter and
the results page show). Importing the package loads the model only.
"""

from __future__ import annotations

from .model import *  # noqa: F403 -- the model's public names
from .model import __all__  # noqa: F401
