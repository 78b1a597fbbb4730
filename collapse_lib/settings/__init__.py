"""The task-settings, one module each, and their registry :data:`SETTINGS`.

Each module defines ``SETTING``, a :class:`collapse_lib.setting.Setting`: its parameters,
metrics, the point-by-point task of the generic loop and, where one exists, a batched fast
path. Nothing is imported here: a setting's module is loaded when it is first used. Adding
a setting is one module in this folder plus one line below.
"""

#: Setting name -> module that defines ``SETTING``.
SETTINGS: dict[str, str] = {
    "gaussian": "collapse_lib.settings.gaussian",
    "kde": "collapse_lib.settings.kde",
    "lm": "collapse_lib.settings.lm.task",
    "linear_regression": "collapse_lib.settings.linear_regression",
    "discrete": "collapse_lib.settings.discrete",
}
