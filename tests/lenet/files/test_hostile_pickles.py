"""Pickles that stay within every size limit but attack the unpickler's work, not its memory:
a dict key nested 300,000 deep (hashing it crashed Python), numbers sharing one hash (filling a
table took minutes), a value nested 150,000 deep (showing it overflowed the stack), a set."""

from __future__ import annotations

import pickle
import struct
import subprocess
import sys
import zipfile

import pytest

from lenet.files.checkpoint import DEFAULT_CHECKPOINT
from tests.paths import ROOT

LOAD = """
import sys
from lenet.files.checkpoint import load_checkpoint
from lenet.errors import LenetError
try:
    load_checkpoint(sys.argv[1])
except LenetError as error:
    print(error)
else:
    print("loaded")
"""


def with_pickle(data: bytes) -> bytes:
    """The shipped checkpoint's archive with its data.pkl replaced by `data`."""
    out = __import__("io").BytesIO()
    with zipfile.ZipFile(DEFAULT_CHECKPOINT) as good, zipfile.ZipFile(out, "w") as archive:
        for info in good.infolist():
            body = data if info.filename.endswith("/data.pkl") else good.read(info)
            archive.writestr(info.filename, body, zipfile.ZIP_STORED)
    return out.getvalue()


def text(value: str) -> bytes:
    return b"X" + struct.pack("<I", len(value)) + value.encode()


def nested_list(depth: int) -> bytes:
    return b"]" * depth + b"a" * (depth - 1)


def colliding_keys(n: int) -> bytes:
    """`pickle.dumps({k * (2**61 - 1): None for k in range(1, n + 1)}, 2)`, byte for byte, written
    without making that dict: its keys share one hash, so building it takes minutes (69 s of the
    suite's collection, issue 26), which is the attack the loader refuses before it begins."""
    items = [pickle.encode_long(k * (2**61 - 1)) for k in range(1, n + 1)]
    items = [b"\x8a" + bytes([len(body)]) + body + b"N" for body in items]  # LONG1 key, NONE
    if n == 1:
        return b"\x80\x02}q\x00" + items[0] + b"s."  # PROTO 2, EMPTY_DICT, BINPUT 0, SETITEM
    # pickle's batches of 1,000 (MARK ... SETITEMS); after a full one it starts another
    batches = [items[i : i + 1000] for i in range(0, n + 1, 1000)]
    return b"\x80\x02}q\x00" + b"".join(b"(" + b"".join(b) + b"u" for b in batches) + b"."


ATTACKS = {
    "deep_tuple_key": b"\x80\x02}" + b")" + b"\x85" * 300_000 + b"Ns.",
    "colliding_int_keys": colliding_keys(100_000),
    "deep_value": b"\x80\x02}" + text("format_version") + nested_list(150_000) + b"s.",
    "deep_extra_value": b"\x80\x02}" + text("history") + nested_list(150_000) + b"s.",
    "a_set": pickle.dumps({"state_dict": {}, "format_version": {1, 2}}, 4),
}
WORDS = {
    "deep_tuple_key": "keyed by something other than names",
    "colliding_int_keys": "keyed by something other than names",
    "deep_value": "nest more than",
    "deep_extra_value": "nest more than",
    "a_set": "holds a set",
}


@pytest.mark.parametrize("n", [1, 2, 999, 1000, 1001, 2500])
def test_the_colliding_keys_are_what_pickle_writes(n):
    assert colliding_keys(n) == pickle.dumps({k * (2**61 - 1): None for k in range(1, n + 1)}, 2)


@pytest.mark.parametrize("name", list(ATTACKS))
def test_a_pickle_attacking_the_unpicklers_work_is_refused_at_once(tmp_path, name):
    path = tmp_path / f"{name}.pt"
    path.write_bytes(with_pickle(ATTACKS[name]))
    done = subprocess.run(
        [sys.executable, "-c", LOAD, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, f"the loader died (exit {done.returncode}): {done.stderr[-300:]}"
    assert done.stdout.startswith(f"{name}.pt: ") and WORDS[name] in done.stdout, done.stdout
    assert done.stdout.count("\n") == 1 and not done.stderr
