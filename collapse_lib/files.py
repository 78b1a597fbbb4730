"""Files: the one atomic-write helper of the library, and where stored data live.

Kept apart from :mod:`collapse_lib.store` so that the modules that write files (the result
store, the chapter runner, the language model's cache of pre-trained bases) share it
without importing the store.

A write never destroys what it was not asked to replace: :func:`atomic_write` replaces
only a regular file (or creates a new path), never a folder, a device or a fifo that
happens to sit at the path (:func:`target_problem` says why, before any work), and the
file it creates has the permissions of any other file the process creates (the umask),
so that a store on a shared file system is readable by the group.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["STORE_ENV", "ROOT", "UnsafeTargetError", "atomic_write", "target_problem", "default_location",
           "location", "umask"]

#: Environment variable that moves the default store.
STORE_ENV = "COLLAPSE_STORE"
#: The repository root (the folder holding ``collapse_lib``).
ROOT = Path(__file__).resolve().parent.parent


class UnsafeTargetError(OSError):
    """The path to write holds something that a write must not replace (a folder, a
    device, a fifo, a socket), or lies under a file instead of a folder."""


def default_location() -> Path:
    """``$COLLAPSE_STORE`` if set, else ``_cache/`` at the repository root."""
    env = os.environ.get(STORE_ENV, "").strip()
    return Path(env).expanduser().resolve() if env else ROOT / "_cache"


def location(use: bool = True) -> Path | None:
    """The store a chapter uses: the default location, or None (recompute) when ``use`` is False."""
    return default_location() if use else None


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISFIFO, "a fifo"), (stat.S_ISSOCK, "a socket"))


def target_problem(path: str | os.PathLike[str]) -> str:
    """Why a file must not be written at ``path`` (``""`` when it may be).

    A path may be written when nothing is there yet (its nearest existing parent being a
    folder) or when it is a regular file (a symbolic link is followed: the file it points
    to is the one replaced). Anything else is refused, naming what is there.
    """
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        for parent in path.absolute().parents:
            try:
                if not stat.S_ISDIR(os.stat(parent).st_mode):
                    return f"{parent} is a file, not a folder"
                return ""
            except FileNotFoundError:
                continue
        return ""
    except NotADirectoryError:
        return f"a parent of {path} is a file, not a folder"
    if stat.S_ISREG(mode):
        return ""
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    return f"{path} is {kind}: only a regular file or a new path is written"


def umask() -> int:
    """The process's umask (from /proc where it exists, so that no thread ever sees it
    changed)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old


def _as_created(path: Path, directory: bool) -> None:
    """Give ``path`` the permissions the process gives new files (``mkstemp`` makes 0600,
    ``mkdtemp`` 0700)."""
    try:
        os.chmod(path, (0o777 if directory else 0o666) & ~umask())
    except OSError:  # a file system without modes: nothing to fix
        pass


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None], *,
                 directory: bool = False, suffix: str = ".tmp") -> Path:
    """Create ``path`` so that no reader ever sees it half-written.

    ``write(tmp)`` writes a file (or, with ``directory=True``, fills a folder) at a
    temporary path beside ``path``, which is then renamed into place. If ``write`` raises,
    nothing is left behind. A folder that another process created first is kept. The
    temporary file ends in ``suffix`` (a writer that checks extensions may need its own).
    The one atomic-write helper of the library (results, notebooks, model caches).

    Raises :class:`UnsafeTargetError` before calling ``write`` when ``path`` holds anything
    but a regular file (a folder, a device such as ``/dev/full``, a fifo), or, with
    ``directory=True``, anything but a folder. The result has the umask's permissions.
    """
    path = Path(path)
    if path.is_symlink():
        path = path.resolve()
    if directory:
        if path.exists() and not path.is_dir():
            raise UnsafeTargetError(f"{path} exists and is not a folder: it is not replaced")
    else:
        problem = target_problem(path)
        if problem:
            raise UnsafeTargetError(problem)
    path.parent.mkdir(parents=True, exist_ok=True)
    if directory:
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    else:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
        os.close(fd)
        tmp = Path(name)
    try:
        write(tmp)
        _as_created(tmp, directory)
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
