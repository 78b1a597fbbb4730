"""The version of collapse_lib (one place: the package and the result store read it)."""

__version__ = "0.3.0"
