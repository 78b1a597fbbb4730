"""Kernel density estimation (chapter *Kernel density estimation*).

This folder is the whole setting: :mod:`.model` (its task and fast path: what the result
store's code fingerprint covers), :mod:`.theory` (its closed forms), :mod:`.reference` (the
paper's numbers with their provenance) and :mod:`.claims` (the claims its chapter and the
results page show). Importing the package loads the model only.
"""

from __future__ import annotations

from .model import *  # noqa: F403 -- the model's public names, as before the folder existed
from .model import __all__  # noqa: F401
