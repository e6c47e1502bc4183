"""An HSDS tabular package uploaded as a zip: unpacked safely into a folder for `read_hsds`.

The archive comes from a browser, so nothing in it is trusted: members may not leave
the folder (no absolute paths, no `..`, no links), and the count and unpacked size are
capped before anything is written, so a zip bomb costs nothing. The package may sit at
the top of the zip or in one folder inside it (how "Compress folder" makes them).
"""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path, PurePosixPath

from .hsds_import import HsdsImportError

MAX_MEMBERS = 500
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"


def is_zip(data: bytes) -> bool:
    """Return True when `data` starts like a zip archive."""
    return data[:4] == ZIP_MAGIC


def unpack_hsds_zip(data: bytes, folder: Path) -> Path:
    """Unpack the zip `data` into `folder`; return the folder holding datapackage.json.

    Raise HsdsImportError (with a message for the person who uploaded it) when the
    archive is unreadable, unsafe, too large, or holds no tabular package.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise HsdsImportError("the file is not a readable zip archive") from error
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) > MAX_MEMBERS:
            raise HsdsImportError(f"the zip holds {len(members)} files; at most "
                                  f"{MAX_MEMBERS} are read")
        if sum(info.file_size for info in members) > MAX_UNPACKED_BYTES:
            raise HsdsImportError("the zip unpacks to more than "
                                  f"{MAX_UNPACKED_BYTES // (1024 * 1024)} MB")
        root = folder.resolve()
        for info in members:
            name = PurePosixPath(info.filename.replace("\\", "/"))
            if name.is_absolute() or ".." in name.parts or not name.parts:
                raise HsdsImportError(f"unsafe path in the zip: {info.filename!r}")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise HsdsImportError(f"the zip holds a link ({info.filename!r}); links "
                                      "are not read")
            if name.parts[0] == "__MACOSX":
                continue
            target = (root / Path(*name.parts)).resolve()
            if root not in target.parents:
                raise HsdsImportError(f"unsafe path in the zip: {info.filename!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as source, open(target, "wb") as sink:
                # Read at most the declared size (+1 to notice a lying header).
                chunk = source.read(info.file_size + 1)
                if len(chunk) > info.file_size:
                    raise HsdsImportError(f"{info.filename!r} is larger than the zip says")
                sink.write(chunk)
    found = sorted(path.parent for path in root.rglob("datapackage.json")
                   if "__MACOSX" not in path.parts and len(path.relative_to(root).parts) <= 2)
    if not found:
        raise HsdsImportError("no datapackage.json at the top of the zip or in one folder "
                              "inside it: zip the folder of the tabular package (the CSV "
                              "files and datapackage.json)")
    if len(found) > 1:
        raise HsdsImportError("the zip holds more than one datapackage.json; upload one "
                              "package at a time")
    return found[0]
