"""The task-settings, one folder each: ``collapse_lib/settings/<name>/``.

A folder holds the whole of a setting: its model (``model.py``, or ``task.py`` for the
language model: the ``SETTING`` of :mod:`collapse_lib.setting`'s protocol, its task and fast
path), its theory, its reference numbers with their provenance, and its claims. The
registry of settings is :data:`collapse_lib.registry.SETTINGS`; nothing is imported here.
"""
