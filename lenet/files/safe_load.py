"""Read a checkpoint file without letting the file choose an allocation or run code.

A LeNet-5 checkpoint is a ~250 kB zip of known tensors, plus up to 20 MB of snapshots when it
keeps its training timeline (`lenet.timeline.file`). Before anything is unpickled or allocated
the archive's own declarations are checked: file size, member count, the central directory's
size, each member's declared size and the total (a zip bomb is refused by what it declares, never
inflated). The pickle is then read by `lenet.files.safe_unpickle`'s unpickler, which knows only what
a checkpoint holds, and the result's nesting is checked without recursion.
"""

from __future__ import annotations

import io
import zipfile
from typing import BinaryIO

from lenet.files.safe_unpickle import (
    MAX_STORAGE_BYTES,
    CheckpointUnpickler,
    Refused,
    check_depth,
    read_member,
)

MAX_FILE_BYTES = 24 * 2**20  # ~250 kB of weights (float64 ~500 kB), history, <= 20 MB timeline
MAX_MEMBERS = 64  # torch writes 16 for LeNet-5
MAX_DIRECTORY_BYTES = 64 * 2**10  # the zip's central directory (LeNet-5's: ~1 kB)
MAX_PICKLE_BYTES = 2 * 2**20  # data.pkl: ~3 kB of names, plus the history of evaluations


def read_checkpoint(file: BinaryIO) -> object:
    """The unpickled payload of an open checkpoint file, once every bound is checked (raises
    Refused, RefusedObject, or what zipfile and pickle raise for a damaged file)."""
    size = file.seek(0, io.SEEK_END)
    if size > MAX_FILE_BYTES:
        raise Refused(
            f"it is {size / 2**20:.1f} MB; a LeNet-5 checkpoint with its timeline is at most 21 MB"
        )
    check_directory(file)
    with zipfile.ZipFile(file) as archive:
        prefix = check_members(archive)
        data = read_member(archive, archive.getinfo(f"{prefix}/data.pkl"))
        payload = CheckpointUnpickler(io.BytesIO(data), archive, prefix).load()
    check_depth(payload)
    return payload


def check_directory(file: BinaryIO) -> None:
    """Refuse a zip whose central directory declares too many members, before zipfile reads it."""
    try:
        end = zipfile._EndRecData(file)  # the end record zipfile itself trusts (zip64-aware)
    except OSError:
        end = None
    if end is None:
        raise zipfile.BadZipFile("no end of central directory")
    entries, directory = end[zipfile._ECD_ENTRIES_TOTAL], end[zipfile._ECD_SIZE]
    if entries > MAX_MEMBERS or directory > MAX_DIRECTORY_BYTES:
        raise Refused(f"the archive lists {entries:,} files; a LeNet-5 checkpoint has about 16")
    file.seek(0)


def check_members(archive: zipfile.ZipFile) -> str:
    """The archive's folder name, once every member's declared size is within LeNet-5's bounds."""
    members = archive.infolist()
    total = sum(info.file_size for info in members)
    if total > MAX_FILE_BYTES:
        raise Refused(
            f"its contents would unpack to {total / 2**20:,.0f} MB; a LeNet-5 checkpoint with its "
            "timeline holds at most 21 MB"
        )
    for info in members:
        if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
            raise Refused("it is a compressed zip archive, which PyTorch never writes")
        limit = MAX_PICKLE_BYTES if info.filename.endswith("/data.pkl") else MAX_STORAGE_BYTES
        if info.file_size > limit:
            raise Refused(
                f"it holds a part of {info.file_size / 2**20:,.1f} MB; "
                "a LeNet-5 timeline's largest is 20 MB"
            )
    pickles = [info.filename for info in members if info.filename.endswith("/data.pkl")]
    if len(pickles) != 1 or pickles[0].count("/") != 1:
        raise Refused("it is a zip archive but not a PyTorch checkpoint")
    prefix = pickles[0].split("/")[0]
    byteorder = f"{prefix}/byteorder"
    if byteorder in archive.namelist() and read_member(archive, byteorder) != b"little":
        raise Refused("its numbers are stored big-endian; this version reads little-endian only")
    return prefix
