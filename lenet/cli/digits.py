"""`python -m lenet.runs digits [--export DIR]`: the class's own digits (`lenet.store.digits`),
counted, or written as MNIST's IDX files plus a PNG each (`lenet.data.class_set`)."""

from __future__ import annotations

from pathlib import Path

from lenet.data.class_set import IMAGES, LABELS, exported_files
from lenet.errors import LenetError
from lenet.files.checkpoint import write_file


class DigitsError(LenetError):
    """An export that cannot be written: one line."""


def add_parser(sub) -> None:
    digits = sub.add_parser(
        "digits", help="the class's own digits: how many of each, or --export them as MNIST files"
    )
    digits.add_argument(
        "--export", type=Path, metavar="DIR",
        help=f"write {IMAGES}, {LABELS} and png/LABEL/ID.png into DIR (made if missing; files "
        "of an earlier export are replaced)",
    )  # fmt: skip


def counts_line(labels) -> str:
    counts = [int((labels == d).sum()) for d in range(10)]
    return "  ".join(f"{d}: {n}" for d, n in enumerate(counts))


def digits_command(store, args) -> int:
    kept = store.digit_set()
    total = len(kept.ids)
    print(f"The class's digits: {total:,} (set version {kept.version})")
    if total:
        print(counts_line(kept.labels))
    if args.export is None:
        return 0
    if not total:
        raise DigitsError("the class has no digits yet: nothing to export")
    folder = args.export
    if folder.exists() and not folder.is_dir():
        raise DigitsError(f"{folder} is a file: give a folder to export into")
    files = exported_files(kept.images, kept.labels.astype("uint8"), kept.ids)
    try:
        for name in {str(Path(n).parent) for n in files}:
            (folder / name).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DigitsError(f"could not make {folder}: {error.strerror or error}") from error
    for name, data in files.items():  # each written whole (a temporary file, then a rename)
        write_file(folder / name, data, overwrite=True, error=DigitsError, verb="write")
    print(f"Wrote {total:,} digits to {folder}: {IMAGES}, {LABELS} and {total:,} PNGs")
    return 0
