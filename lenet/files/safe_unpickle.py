"""The pickle inside a checkpoint, read by an unpickler that knows only what a checkpoint holds.

Python's own (pure-Python) unpickler with a handful of names (OrderedDict, a checked tensor
rebuild function, the typed storages as dtype markers), items put only into plain containers,
tables keyed by names, no sets, a bounded number of opcodes and a bounded nesting depth. A storage
or a tensor larger than LeNet-5's largest weight (fc1, 120x400) is refused before it is built.
`lenet.files.safe_load` checks the archive around it first.
"""

from __future__ import annotations

import io
import math
import pickle
import zipfile
from collections import OrderedDict
from dataclasses import dataclass

import torch

MAX_PICKLE_OPS = 400_000  # each opcode makes at most one small object
MAX_DEPTH = 16  # containers within containers: a checkpoint nests 5 deep (history, _metadata)
# the timeline's snapshots (lenet.timeline.file): at most 81 x LeNet-5's 61,706 parameters
MAX_TENSOR_NUMEL = 81 * 61_706
MAX_STORAGE_BYTES = MAX_TENSOR_NUMEL * 4  # as float32; larger types must hold fewer numbers
TOO_BIG = "it declares a tensor larger than a LeNet-5 timeline (81 x 61,706 numbers)"

STORAGE_DTYPES = {
    "FloatStorage": torch.float32,
    "DoubleStorage": torch.float64,
    "HalfStorage": torch.float16,
    "BFloat16Storage": torch.bfloat16,
    "ByteStorage": torch.uint8,
    "CharStorage": torch.int8,
    "ShortStorage": torch.int16,
    "IntStorage": torch.int32,
    "LongStorage": torch.int64,
    "BoolStorage": torch.bool,
}


class Refused(Exception):
    """The file is not a LeNet-5 checkpoint; the message says why, in a student's words."""


class RefusedObject(pickle.UnpicklingError):
    """The pickle asks for something a checkpoint never holds (a function, a class, code)."""


@dataclass(frozen=True)
class StorageKind:
    """Stands in for `torch.FloatStorage` and the like: a dtype, never called."""

    dtype: torch.dtype


def read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo | str) -> bytes:
    """A member's bytes, never more than it declared (zipfile checks the CRC at the end)."""
    info = member if isinstance(member, zipfile.ZipInfo) else archive.getinfo(member)
    with archive.open(info) as part:
        return part.read(info.file_size)


def check_depth(payload: object) -> None:
    """Refuse containers nested deeper than MAX_DEPTH, walked without recursion: showing or
    comparing a value nested 150,000 deep (a list in a list...) overflows Python's stack."""
    todo = [(payload, 0)]
    while todo:
        item, depth = todo.pop()
        if depth > MAX_DEPTH:
            raise Refused(f"its contents nest more than {MAX_DEPTH} levels deep")
        if isinstance(item, dict):
            todo.extend((value, depth + 1) for value in item.values())
            todo.extend((value, depth + 1) for value in getattr(item, "__dict__", {}).values())
        elif isinstance(item, list | tuple):
            todo.extend((value, depth + 1) for value in item)


@dataclass(frozen=True)
class Storage:
    """One storage record of the archive, read as a flat tensor."""

    kind: StorageKind
    flat: torch.Tensor  # (numel,)


def _counted(function):
    """`function` of pickle's own unpickler, counted against MAX_PICKLE_OPS."""

    def counted(self: CheckpointUnpickler) -> None:
        self.ops += 1
        if self.ops > MAX_PICKLE_OPS:
            raise Refused("its contents are far larger than a LeNet-5 checkpoint's")
        function(self)

    return counted


class CheckpointUnpickler(pickle._Unpickler):
    """Python's own unpickler with a checkpoint's names only, containers only, a bounded size."""

    def __init__(self, file: io.BytesIO, archive: zipfile.ZipFile, prefix: str) -> None:
        super().__init__(file, encoding="utf-8")
        self.archive, self.prefix, self.ops = archive, prefix, 0
        self.storages: dict[str, Storage] = {}

    def find_class(self, module: str, name: str) -> object:
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return rebuild_tensor
        if module == "torch" and name in STORAGE_DTYPES:
            return StorageKind(STORAGE_DTYPES[name])
        raise RefusedObject(f"{module}.{name}"[:80])

    def persistent_load(self, pid: object) -> Storage:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] in ("storage", b"storage")):
            raise RefusedObject("a reference that is not a storage")
        _, kind, key, _, numel = pid
        if not isinstance(kind, StorageKind) or not isinstance(key, str) or not key.isdigit():
            raise RefusedObject("a storage of an unknown kind")
        if type(numel) is not int or not 0 <= numel <= MAX_TENSOR_NUMEL:
            raise Refused(TOO_BIG)
        if key not in self.storages:
            self.storages[key] = self.read_storage(kind, key, numel)
        storage = self.storages[key]
        if storage.kind != kind or storage.flat.numel() != numel:
            raise Refused("two tensors disagree about the numbers they share")
        return storage

    def read_storage(self, kind: StorageKind, key: str, numel: int) -> Storage:
        name = f"{self.prefix}/data/{key}"
        itemsize = torch.empty(0, dtype=kind.dtype).element_size()
        try:
            info = self.archive.getinfo(name)
        except KeyError:
            raise Refused("a tensor's numbers are missing from the archive") from None
        if info.file_size != numel * itemsize:
            raise Refused("a tensor's numbers do not match the size it declares")
        data = bytearray(read_member(self.archive, info))
        empty = torch.empty(0, dtype=kind.dtype)
        return Storage(kind, torch.frombuffer(data, dtype=kind.dtype) if data else empty)

    def load_build(self) -> None:
        state = self.stack.pop()
        inst = self.stack[-1]
        # an OrderedDict state dict carries `_metadata` (per-layer versions) and nothing else
        if type(inst) is not OrderedDict or type(state) is not dict or set(state) - {"_metadata"}:
            raise RefusedObject("state for an object that is not a table")
        inst.__dict__.update(state)

    def load_setitem(self) -> None:
        self._expect((dict, OrderedDict), -3)
        self._names(self.stack[-2:-1])
        super().load_setitem()

    def load_setitems(self) -> None:
        self._expect((dict, OrderedDict))
        self._names(self.stack[0::2])
        super().load_setitems()

    def load_dict(self) -> None:
        self._names(self.stack[0::2])
        super().load_dict()

    def load_set(self) -> None:
        raise Refused("it holds a set, which a checkpoint never does")

    @staticmethod
    def _names(keys: list) -> None:
        """Tables are keyed by names: a tuple key nested 300,000 deep crashed Python when it was
        hashed, and numbers chosen to share one hash made filling a table take minutes."""
        if not all(type(key) is str for key in keys):
            raise Refused("a table in it is keyed by something other than names")

    def load_append(self) -> None:
        self._expect((list,), -2)
        super().load_append()

    def load_appends(self) -> None:
        self._expect((list,))
        super().load_appends()

    def _expect(self, types: tuple[type, ...], index: int | None = None) -> None:
        """Items go into plain containers only (a tensor's __setitem__ is not a container's);
        `index` on the stack, or (None) the object below the last MARK."""
        stack = self.stack if index is not None else (self.metastack or [[None]])[-1]
        target = stack[index if index is not None else -1]
        if type(target) not in types:
            raise RefusedObject("items put into something that is not a plain container")

    dispatch = {op: _counted(function) for op, function in pickle._Unpickler.dispatch.items()}
    for _op, _function in (
        (pickle.BUILD, load_build),
        (pickle.SETITEM, load_setitem),
        (pickle.SETITEMS, load_setitems),
        (pickle.APPEND, load_append),
        (pickle.APPENDS, load_appends),
        (pickle.DICT, load_dict),
        (pickle.EMPTY_SET, load_set),
        (pickle.ADDITEMS, load_set),
        (pickle.FROZENSET, load_set),
    ):
        dispatch[_op[0]] = _counted(_function)
    del _op, _function


def rebuild_tensor(
    storage: Storage,
    offset: int,
    size: tuple,
    stride: tuple,
    requires_grad: bool = False,
    hooks: object = None,
    metadata: object = None,
) -> torch.Tensor:
    """`torch._utils._rebuild_tensor_v2`, checked: a view of a storage already read, in bounds."""
    if not isinstance(storage, Storage) or requires_grad is not False or hooks or metadata:
        raise RefusedObject("a tensor with parts a weight never has")
    numbers = (offset, *size, *stride)
    if not all(type(n) is int and n >= 0 for n in numbers) or len(size) != len(stride):
        raise Refused("a tensor's shape is not a list of whole numbers")
    if len(size) > 4 or math.prod(size) > MAX_TENSOR_NUMEL:
        raise Refused(TOO_BIG)
    reach = sum((n - 1) * step for n, step in zip(size, stride, strict=True))
    end = offset + reach + 1 if all(size) else 0
    if end > storage.flat.numel():
        raise Refused("a tensor reaches past the numbers stored for it")
    return storage.flat.as_strided(size, stride, offset)
