"""Checkpoints: a plain, self-describing dict, written atomically, loaded without running code.

Contents: format version, state dict, model config, train config, metrics, history,
normalisation and library versions. Loading uses `torch.load(weights_only=True)`, so a pickle
that carries code is refused, not executed; the model is rebuilt from the file's own config.
"""

from __future__ import annotations

import io
import os
import pickle
import platform
import tempfile
import warnings
from dataclasses import asdict, fields
from pathlib import Path

import torch

import lenet
from lenet.data import IMAGE_SIZE, NORM_MEAN, NORM_STD
from lenet.errors import CheckpointError, ConfigError
from lenet.model import LeNet5, ModelConfig

FORMAT_VERSION = 1
CHECKPOINT_DIR = Path(__file__).resolve().parents[1] / "checkpoints"
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
    With `overwrite=False` an existing file is never replaced, even by a save racing this one
    (the temporary file is hard-linked into place, which fails if the name is taken)."""
    path = Path(path)
    payload = checkpoint_payload(model, meta)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; others may read it
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # atomic, and refuses an existing name
    except FileExistsError as error:
        raise CheckpointError(
            f"{path.name} already exists: choose another name (nothing was overwritten)."
        ) from error
    except OSError as error:
        raise CheckpointError(f"could not save {path}: {error.strerror or error}") from error
    finally:
        if tmp and os.path.exists(tmp):
            os.remove(tmp)
    return path


def load_checkpoint(path: Path | str, device: str | torch.device = "cpu") -> tuple[LeNet5, dict]:
    """(model in eval mode, everything else in the file). Raises CheckpointError, one line."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    payload = _read_payload(path)
    if not isinstance(payload, dict) or "state_dict" not in payload:
        raise CheckpointError(f"{path.name}: not a LeNet-5 Lab checkpoint (no weights inside)")
    version = payload.get("format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"{path.name}: checkpoint format {version!r} is not supported "
            f"(this version reads format {FORMAT_VERSION})"
        )
    model = LeNet5(model_config(payload.get("model_config", {}), path.name))
    try:
        model.load_state_dict(payload["state_dict"])
    except (TypeError, RuntimeError, AttributeError, ValueError, KeyError) as error:
        reason = mismatch(model, payload["state_dict"])
        raise CheckpointError(f"{path.name}: weights do not fit LeNet-5 ({reason})") from error
    if not all(torch.isfinite(p).all() for p in model.state_dict().values()):
        raise CheckpointError(
            f"{path.name}: some weights are not numbers (NaN or infinite): the training that "
            "made them diverged"
        )
    meta = {k: v for k, v in payload.items() if k != "state_dict"}
    return model.to(device).eval(), meta


def _read_payload(path: Path) -> object:
    try:
        with warnings.catch_warnings():  # torch warns about pickle protocols: not for students
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        if "Unsupported global" in str(error):
            # weights_only refuses any global it does not know: a file that carries code
            raise CheckpointError(
                f"{path.name}: refused, the file holds Python objects other "
                "than weights (possibly code); it was not run"
            ) from error
        raise CheckpointError(
            f"{path.name}: not a readable PyTorch checkpoint ({what_it_looks_like(path)})"
        ) from error
    except Exception as error:  # torch.load on arbitrary bytes raises almost any type
        raise CheckpointError(
            f"{path.name}: not a readable PyTorch checkpoint ({what_it_looks_like(path)})"
        ) from error


SIGNATURES = (
    (b"\x89PNG", "it is a PNG image"),
    (b"\xff\xd8\xff", "it is a JPEG image"),
    (b"GIF8", "it is a GIF image"),
    (b"%PDF", "it is a PDF document"),
    (b"PK\x03\x04", "it is a zip archive but not a whole checkpoint: damaged, cut short or other"),
    (b"\x80", "it is a Python pickle, damaged or not a checkpoint"),
)


def what_it_looks_like(path: Path) -> str:
    """A student's words for a file that is not a checkpoint, from its first bytes."""
    try:
        with path.open("rb") as file:  # the first bytes say enough; the file may be megabytes
            head = file.read(512)
    except OSError as error:
        return f"it could not be read: {error.strerror or error}"
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


def model_config(values: object, name: str) -> ModelConfig:
    """The file's model settings as a ModelConfig, or a CheckpointError in words."""
    if not isinstance(values, dict) or not all(isinstance(k, str) for k in values):
        raise CheckpointError(f"{name}: its model settings are not a table of named settings")
    known = {field.name for field in fields(ModelConfig)}
    if unknown := sorted(set(values) - known):
        raise CheckpointError(
            f"{name}: its model settings name options LeNet-5 does not have: {', '.join(unknown)}"
        )
    try:
        return ModelConfig(**values)
    except ConfigError as error:
        raise CheckpointError(f"{name}: its model settings are not LeNet-5's ({error})") from error


def _shape(tensor: torch.Tensor) -> str:
    return "x".join(map(str, tensor.shape)) or "a single number"


def mismatch(model: LeNet5, state: object) -> str:
    """Which weights are missing, extra or of the wrong shape, in words."""
    if not isinstance(state, dict):
        return "the weights are not a table of named tensors"
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    extra = [str(k)[:40] for k in state if k not in expected]
    shapes = [
        f"{k} is {_shape(state[k])}, LeNet-5's is {_shape(expected[k])}"
        for k in expected
        if k in state and hasattr(state[k], "shape") and state[k].shape != expected[k].shape
    ]
    parts = []
    if missing:
        parts.append(f"missing {', '.join(missing[:3])}{' and more' if len(missing) > 3 else ''}")
    if extra:
        parts.append(
            f"layers LeNet-5 lacks: {', '.join(extra[:3])}{'...' if len(extra) > 3 else ''}"
        )
    parts += shapes[:2]
    return "; ".join(parts) or "the weights are not tensors"
