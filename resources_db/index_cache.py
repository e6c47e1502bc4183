"""A disk cache for indexes Harbor builds from installed data, so each process loads in
milliseconds what takes seconds to build (the ZIP and city index from `zipcodes`).

The first process to need an index builds it and writes it under the cache folder
(`HARBOR_CACHE_DIR`, default `$XDG_CACHE_HOME/harbor` or `~/.cache/harbor`); every later
process, gunicorn worker or `harbor` command loads that file. A file is named by what
built it (the data package's version and the hash of the building module's source), so
an upgrade builds afresh instead of loading a stale index.

The files are pickles, and a pickle can run code when loaded: the folder is created
readable and writable by its owner only, and a file is loaded only when it belongs to
this user and nobody else can write it or its folder. Anything that goes wrong (no home
folder, a read-only disk, a damaged file) means building in memory, as before: the cache
can make start-up faster, never make it fail.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle  # noqa: S403 - our own files, in a folder only we can write (checked below)
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

logger = logging.getLogger("harbor.index_cache")
Built = TypeVar("Built")


def cache_folder() -> Path:
    """Return the folder the index files live in (not created here)."""
    configured = os.environ.get("HARBOR_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "harbor"


def _fingerprint(parts: tuple[str, ...]) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def source_hash(module_file: str) -> str:
    """Return the hash of a module's source, so a change to the builder rebuilds."""
    return hashlib.sha256(Path(module_file).read_bytes()).hexdigest()


def _only_ours(path: Path) -> bool:
    """True when `path` belongs to this user and no one else may write it."""
    info = path.stat()
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def load_or_build(name: str, build: Callable[[], Built], depends_on: tuple[str, ...]) -> Built:
    """Return the index `name`: loaded from the cache when its file matches
    `depends_on`, else built with `build()` and written for the next process."""
    folder = cache_folder()
    path = folder / f"{name}-{_fingerprint(depends_on)}.pickle"
    try:
        if path.exists() and _only_ours(folder) and _only_ours(path):
            with path.open("rb") as handle:
                return pickle.load(handle)  # noqa: S301 - checked: written by us, ours only
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as error:
        logger.warning("index cache %s unreadable, building it: %s", name, type(error).__name__)
    built = build()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _only_ours(folder):
            return built
        # Written beside the final name and renamed: a reader never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}-")
        with os.fdopen(handle, "wb") as output:
            pickle.dump(built, output, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
        for stale in folder.glob(f"{name}-*.pickle"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError as error:
        logger.warning("index cache %s not written: %s", name, type(error).__name__)
    return built
