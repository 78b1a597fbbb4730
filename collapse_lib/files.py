"""Files: the one atomic-write helper of the library, and where stored data live.

Kept apart from :mod:`collapse_lib.store` so that the modules that write files (the result
store, the chapter runner, the language model's cache of pre-trained bases) share it
without importing the store.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["STORE_ENV", "ROOT", "atomic_write", "default_location", "location"]

#: Environment variable that moves the default store.
STORE_ENV = "COLLAPSE_STORE"
#: The repository root (the folder holding ``collapse_lib``).
ROOT = Path(__file__).resolve().parent.parent


def default_location() -> Path:
    """``$COLLAPSE_STORE`` if set, else ``_cache/`` at the repository root."""
    env = os.environ.get(STORE_ENV, "").strip()
    return Path(env).expanduser().resolve() if env else ROOT / "_cache"


def location(use: bool = True) -> Path | None:
    """The store a chapter uses: the default location, or None (recompute) when ``use`` is False."""
    return default_location() if use else None


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None], *,
                 directory: bool = False, suffix: str = ".tmp") -> Path:
    """Create ``path`` so that no reader ever sees it half-written.

    ``write(tmp)`` writes a file (or, with ``directory=True``, fills a folder) at a
    temporary path beside ``path``, which is then renamed into place. If ``write`` raises,
    nothing is left behind. A folder that another process created first is kept. The
    temporary file ends in ``suffix`` (a writer that checks extensions may need its own).
    The one atomic-write helper of the library (results, notebooks, model caches).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if directory:
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    else:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
        os.close(fd)
        tmp = Path(name)
    try:
        write(tmp)
        if directory:
            try:
                os.rename(tmp, path)
            except OSError:
                if not path.is_dir():
                    raise
        else:
            os.replace(tmp, path)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()
    return path
