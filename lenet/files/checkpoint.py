"""Checkpoints: a plain, self-describing dict, written atomically, loaded without running code.

Contents: format version, state dict, model config, train config, metrics, history,
normalisation and library versions. Loading never calls `torch.load`: lenet.files.safe_load checks
the archive's declared sizes and unpickles only what a checkpoint holds, lenet.files.guard
accepts only an MNIST LeNet-5, and the model is rebuilt from the file's own (checked) config.
"""

from __future__ import annotations

import io
import os
import platform
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import BinaryIO

import torch

import lenet
from lenet.data.mnist import IMAGE_SIZE, NORM_MEAN, NORM_STD
from lenet.errors import CheckpointError, LenetError
from lenet.files.guard import check_weights, model_config, shown
from lenet.files.safe_load import read_checkpoint
from lenet.files.safe_unpickle import Refused, RefusedObject
from lenet.model import LeNet5

FORMAT_VERSION = 1
CHECKPOINT_DIR = Path(__file__).resolve().parents[2] / "checkpoints"
DEFAULT_CHECKPOINT = CHECKPOINT_DIR / "lenet5_mnist.pt"


def checkpoint_dir() -> Path:
    """Where trained models are saved and listed: `$LENET_CHECKPOINT_DIR`, else `checkpoints/`."""
    env = os.environ.get("LENET_CHECKPOINT_DIR")
    return Path(env) if env else CHECKPOINT_DIR


def checkpoint_payload(model: LeNet5, meta: dict | None = None) -> dict:
    """The dict a checkpoint file holds. `meta` may hold `train_config` (a dict), `metrics`,
    `history` and `name`: plain values only."""
    meta = dict(meta or {})
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    return {
        "format_version": FORMAT_VERSION,
        "state_dict": state,
        "model_config": asdict(model.config),
        "train_config": meta.pop("train_config", None),
        "metrics": meta.pop("metrics", {}),
        "history": meta.pop("history", []),
        "normalisation": {"image_size": IMAGE_SIZE, "mean": NORM_MEAN, "std": NORM_STD},
        "versions": {
            "lenet": lenet.__version__,
            "torch": str(torch.__version__),
            "python": platform.python_version(),
        },
        **meta,
    }


def checkpoint_bytes(model: LeNet5, meta: dict | None = None) -> bytes:
    """The checkpoint file's content, for a download."""
    buffer = io.BytesIO()
    torch.save(checkpoint_payload(model, meta), buffer)
    return buffer.getvalue()


def save_checkpoint(
    path: Path | str, model: LeNet5, meta: dict | None = None, overwrite: bool = True
) -> Path:
    """Write model + meta to `path` via a temporary file and a rename; returns the path.
    With `overwrite=False` an existing file is never replaced, even by a save racing this one."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CheckpointError(f"could not save {path}: {error.strerror or error}") from error
    return write_file(path, checkpoint_bytes(model, meta), overwrite)


def write_file(
    path: Path | str,
    data: bytes,
    overwrite: bool,
    error: type[LenetError] = CheckpointError,
    verb: str = "save",
) -> Path:
    """Write `data` to `path` through a temporary file beside it, synced, then renamed into
    place: never a half-written file. With `overwrite=False` an existing file is refused, even
    one a racing writer creates (the temporary file is hard-linked into place, which fails if the
    name is taken). A name that is a link, a device, a pipe or a folder is refused: a rename
    would replace it (`--onnx /dev/null` run as root once made /dev/null a plain file). Failures
    raise `error` with one line."""
    path, tmp = Path(path), None
    if path.is_symlink() or (path.exists() and not path.is_file()):
        what = "a link" if path.is_symlink() else "a folder" if path.is_dir() else "not a file"
        raise error(f"{path} is {what}: give the name of a plain file (nothing was written)")
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; others may read it
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # atomic, and refuses an existing name
    except FileExistsError as exc:
        raise error(
            f"{path.name} already exists: choose another name (nothing was overwritten)."
        ) from exc
    except OSError as exc:
        raise error(f"could not {verb} {path}: {exc.strerror or exc}") from exc
    finally:
        if tmp and os.path.exists(tmp):
            os.remove(tmp)
    return path


def load_checkpoint(path: Path | str, device: str | torch.device = "cpu") -> tuple[LeNet5, dict]:
    """(model in eval mode, everything else in the file). Raises CheckpointError, one line."""
    path = Path(path)
    if not path.is_file():  # a folder, a FIFO or a device is not a checkpoint either
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        with path.open("rb") as file:
            model, meta = _load(file, path.name)
    except OSError as error:
        reason = error.strerror or error
        raise CheckpointError(f"{path.name}: could not be read: {reason}") from error
    return model.to(device), meta


def load_checkpoint_bytes(data: bytes, name: str) -> tuple[LeNet5, dict]:
    """`load_checkpoint` for bytes in memory (an upload); `name` is only shown, never opened."""
    return _load(io.BytesIO(data), name)


def _load(file: BinaryIO, name: str) -> tuple[LeNet5, dict]:
    payload = _read_payload(file, name)
    if not isinstance(payload, dict) or "state_dict" not in payload:
        raise CheckpointError(f"{name}: not a LeNet-5 Lab checkpoint (no weights inside)")
    version = payload.get("format_version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise CheckpointError(
            f"{name}: checkpoint format {shown(version)} is not supported "
            f"(this version reads format {FORMAT_VERSION})"
        )
    model = LeNet5(model_config(payload.get("model_config", {}), name))  # 1 channel, 10 classes
    model.load_state_dict(check_weights(payload["state_dict"], model.state_dict(), name))
    meta = {k: v for k, v in payload.items() if k != "state_dict"}
    return model.eval(), meta


def _read_payload(file: BinaryIO, name: str) -> object:
    try:
        return read_checkpoint(file)
    except Refused as error:
        raise CheckpointError(f"{name}: not a LeNet-5 checkpoint ({error})") from error
    except RefusedObject as error:
        raise CheckpointError(
            f"{name}: refused, the file holds Python objects other than weights (possibly "
            "code); it was not run"
        ) from error
    except Exception as error:  # a damaged archive or pickle raises almost any type
        file.seek(0)
        raise CheckpointError(
            f"{name}: not a readable PyTorch checkpoint ({what_it_looks_like(file.read(512))})"
        ) from error


SIGNATURES = (
    (b"\x89PNG", "it is a PNG image"),
    (b"\xff\xd8\xff", "it is a JPEG image"),
    (b"GIF8", "it is a GIF image"),
    (b"%PDF", "it is a PDF document"),
    (b"PK\x03\x04", "it is a zip archive but not a whole checkpoint: damaged, cut short or other"),
    (b"\x80", "it is a Python pickle, damaged or not a checkpoint"),
)


def what_it_looks_like(head: bytes) -> str:
    """A student's words for a file that is not a checkpoint, from its first bytes."""
    if not head:
        return "the file is empty"
    for signature, words in SIGNATURES:
        if head.startswith(signature):
            return words
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "its contents are not in PyTorch's format"
    return "it is a text file"
