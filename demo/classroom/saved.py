"""Checkpoints saved from the Train page (issue 28): who saved each, at most SAVES_PER_NAME per
nickname (look-alike nicknames are one) and SAVES_KEPT in the folder, removable by the teacher.

On main, typing a classmate's nickname and pressing Save three times wrote three 10 MB files
that every model chooser offered, and nothing limited checkpoints/. Who saved a file is kept in
an index beside the files (`.saved-by.json`, written whole and atomically); files placed in the
folder by hand have no entry, count to SAVES_KEPT and are listed as "placed in the folder".
`LENET_SAVES_PER_NICKNAME` and `LENET_SAVES_KEPT` change the limits. No Streamlit here.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path

from lenet.files.checkpoint import DEFAULT_CHECKPOINT, checkpoint_dir
from lenet.store.lookalike import skeleton

SAVES_PER_NAME, SAVES_KEPT = 3, 40
INDEX = ".saved-by.json"
_lock = threading.Lock()


def _limit(name: str, default: int) -> int:
    written = os.environ.get(name, "").strip()
    return int(written) if written.isdigit() and int(written) > 0 else default


def saved_files(folder: Path | None = None) -> list[Path]:
    folder = folder or checkpoint_dir()
    found = sorted(folder.glob("*.pt")) if folder.is_dir() else []
    return [p for p in found if p.resolve() != DEFAULT_CHECKPOINT.resolve()]


def saved_by(folder: Path | None = None) -> dict[str, str]:
    """File name -> the nickname that saved it (files saved by this app only)."""
    path = (folder or checkpoint_dir()) / INDEX
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(found, dict):
        return {}
    return {k: v for k, v in found.items() if isinstance(k, str) and isinstance(v, str)}


def refusal(name: str, folder: Path | None = None) -> str | None:
    """Why `name` may not save one more model now (one line), or None."""
    files = saved_files(folder)
    per_name, kept = (
        _limit("LENET_SAVES_PER_NICKNAME", SAVES_PER_NAME),
        _limit("LENET_SAVES_KEPT", SAVES_KEPT),
    )
    if len(files) >= kept:
        return (
            f"The class has saved {len(files)} models, the most this server keeps: ask your "
            "teacher to remove some (Class page), or use Download instead."
        )
    present = {p.name for p in files}
    key = skeleton(name)
    mine = [f for f, who in saved_by(folder).items() if f in present and skeleton(who) == key]
    if len(mine) >= per_name:
        return (
            f"{name} has saved {len(mine)} models, the most one nickname may keep here: use "
            "Download instead, or ask your teacher to remove one."
        )
    return None


def record(file_name: str, name: str, folder: Path | None = None) -> None:
    """Remember that `name` saved `file_name` (the index written whole, never half)."""
    _change(folder or checkpoint_dir(), lambda index: index.__setitem__(file_name, name))


def remove(file_name: str, folder: Path | None = None) -> bool:
    """The teacher removes a saved model: the file and its entry; False when it was gone."""
    folder = folder or checkpoint_dir()
    path = folder / Path(file_name).name
    if path.suffix != ".pt" or path.resolve() == DEFAULT_CHECKPOINT.resolve():
        return False
    try:
        path.unlink()
        gone = True
    except FileNotFoundError:
        gone = False
    _change(folder, lambda index: index.pop(path.name, None))
    return gone


def _change(folder: Path, change) -> None:
    with _lock:
        index = saved_by(folder)
        present = {p.name for p in saved_files(folder)}
        change(index)
        index = {f: who for f, who in index.items() if f in present}  # entries of gone files go
        with tempfile.NamedTemporaryFile(
            "w", dir=folder, prefix=".saved-by-", suffix=".tmp", delete=False, encoding="utf-8"
        ) as out:
            json.dump(index, out, ensure_ascii=False, sort_keys=True)
        os.replace(out.name, folder / INDEX)
