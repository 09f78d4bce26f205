"""`python -m lenet.runs digits [--export DIR]`: the class's own digits (`lenet.store.digits`),
counted, or written as MNIST's IDX files plus a PNG each (`lenet.data.class_set`)."""

from __future__ import annotations

from pathlib import Path

from lenet.data.class_set import IDS, IMAGES, LABELS, exported_files
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
        help=f"write {IMAGES}, {LABELS}, {IDS} and png/LABEL/ID.png into DIR (made if "
        "missing; an earlier export there is replaced)",
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
    for name in sorted({str(Path(n).parent) for n in files}):
        try:
            (folder / name).mkdir(parents=True, exist_ok=True)
        except OSError as error:
            made = folder / name
            raise DigitsError(f"could not make {made}: {error.strerror or error}") from error
    for name, data in files.items():  # each written whole (a temporary file, then a rename)
        write_file(folder / name, data, overwrite=True, error=DigitsError, verb="write")
    stale = forget_removed(folder, files)
    gone = f"; removed {stale:,} PNGs of digits no longer in the set" if stale else ""
    print(f"Wrote {total:,} digits to {folder}: {IMAGES}, {LABELS}, {IDS} and {total:,} PNGs{gone}")
    return 0


def forget_removed(folder: Path, files: dict) -> int:
    """An earlier export's PNGs of digits no longer in the set (png/<0-9>/<id>.png, our own
    names only: nothing else in the folder is touched); how many were removed."""
    removed = 0
    for path in folder.glob("png/[0-9]/*.png"):
        name = f"png/{path.parent.name}/{path.name}"
        if path.stem.isdigit() and name not in files and path.is_file():
            path.unlink(missing_ok=True)
            removed += 1
    return removed
