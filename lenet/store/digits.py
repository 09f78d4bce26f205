"""The class's own handwriting: digits students draw and label, kept in the run store.

A digit is kept as MNIST holds one: 28x28 bytes, 0 black to 255 white, the digit centred by its
centre of mass in a 20x20 box (`lenet.data.preprocess.mnist_style`). The label is the digit the
student meant, never the network's reading. A part of `lenet.store.runs.RunStore` (a mixin: the
store's `_read` and `_write` run each statement as one short transaction, retried).

Limits a class needs, each refused in one line: MAX_PER_NAME digits a nickname, MAX_PER_MINUTE
for the whole server, MAX_DIGITS in all (new nicknames cost nothing, so the per-name limit alone
does not bound the set), and a box (almost) empty or (almost) all ink: under MIN_INK or over
MAX_INK lit pixels.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa

from lenet.store.engine import StoreError
from lenet.store.rows import check_name, name_key, now, utc

MAX_PER_NAME = 300  # a nickname's digits: thirty of each, ten times over
MAX_PER_MINUTE = 1000  # the whole class's additions in the last minute
MAX_DIGITS = 20_000  # the whole set: ~16 MB of pixels, a few seconds to measure a run on
MIN_INK = 15  # pixels brighter than a quarter: an MNIST "1" has ~60, a dot ~10
MAX_INK = 392  # half the box: an MNIST "8" has ~150 lit; a box filled white is not a digit
MAX_STROKES_PNG = 200_000  # bytes: a 280x280 greyscale PNG is ~5-20 kB

digits = sa.Table(
    "class_digits",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(40), nullable=False),
    sa.Column("name_key", sa.String(40), nullable=False),
    sa.Column("label", sa.SmallInteger, nullable=False),
    sa.Column("pixels", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("strokes", sa.LargeBinary),
)
LISTED = [c for c in digits.c if c.name not in ("pixels", "strokes")]


@dataclass(frozen=True)
class DigitRow:
    id: int
    name: str
    label: int
    created_at: datetime


@dataclass(frozen=True)
class DigitSet:
    """The class's digits at one moment: (N, 28, 28) uint8 images, (N,) labels, their ids, who
    drew them and a version that changes whenever a digit is added or removed."""

    images: np.ndarray
    labels: np.ndarray
    ids: tuple[int, ...]
    version: str
    names: tuple[str, ...] = ()


def digit_bytes(digit: np.ndarray) -> bytes:
    """A (28, 28) digit in [0, 1] (or uint8) as MNIST's 784 bytes. Raises StoreError."""
    digit = np.asarray(digit)
    if digit.shape != (28, 28):
        raise StoreError(f"a class digit is 28x28 pixels, not {'x'.join(map(str, digit.shape))}")
    if digit.dtype != np.uint8:
        if not np.isfinite(digit).all():
            raise StoreError("a class digit's pixels must be numbers from 0 to 1")
        digit = (np.clip(digit, 0.0, 1.0) * 255).round().astype(np.uint8)
    lit = int((digit > 64).sum())
    if lit < MIN_INK:
        raise StoreError("The box is (almost) empty: draw a whole digit, then add it.")
    if lit > MAX_INK:
        raise StoreError("The box is mostly ink: draw one digit in thin strokes, then add it.")
    return digit.tobytes()


def version_of(ids) -> str:
    """A short fingerprint of a set of digit ids: equal sets, equal versions."""
    return hashlib.sha1(",".join(map(str, sorted(ids))).encode()).hexdigest()[:12]


class ClassDigits:
    """`RunStore`'s statements on the class's digits."""

    def add_digit(
        self, name: str, label: int, digit: np.ndarray, strokes: bytes | None = None
    ) -> int:
        """Keep a labelled digit for the class; its id. Raises StoreError with one line."""
        name = check_name(name)
        if type(label) is not int or not 0 <= label <= 9:  # bool and numpy ints are refused
            raise StoreError(f"a digit's label is a whole number from 0 to 9, not {label!r}")
        pixels = digit_bytes(digit)
        if strokes is not None and len(strokes) > MAX_STROKES_PNG:
            strokes = None  # the 28x28 digit is what counts; a huge picture is not kept
        key, when = name_key(name), now()

        def work(conn) -> int:
            count = sa.select(sa.func.count()).select_from(digits)
            mine = conn.execute(count.where(digits.c.name_key == key)).scalar()
            if mine >= MAX_PER_NAME:
                raise StoreError(
                    f"{name} has {mine} digits in the class's set, the most one nickname may "
                    "add: remove some of yours first."
                )
            total = conn.execute(count).scalar()
            if total >= MAX_DIGITS:
                raise StoreError(
                    f"The class's set is full ({MAX_DIGITS:,} digits): the teacher can remove "
                    "some on the Class page."
                )
            recent = conn.execute(
                count.where(digits.c.created_at > when - timedelta(minutes=1))
            ).scalar()
            if recent >= MAX_PER_MINUTE:
                raise StoreError(
                    f"The class added {MAX_PER_MINUTE:,} digits in the last minute, the most "
                    "the server takes: try again in a minute."
                )
            row = {"name": name, "name_key": key, "label": label, "pixels": pixels}
            row |= {"created_at": when, "strokes": strokes}
            return conn.execute(digits.insert().values(**row)).inserted_primary_key[0]

        return self._write(work, "add a digit to")

    def class_digits(self, name: str | None = None) -> list[DigitRow]:
        """The class's digits (a nickname's with `name`), newest first, without their pixels."""
        query = sa.select(*LISTED).order_by(digits.c.id.desc())
        if name is not None:
            query = query.where(digits.c.name_key == name_key(name))
        rows = self._read(lambda conn: conn.execute(query).all())
        return [DigitRow(r.id, r.name, r.label, utc(r.created_at)) for r in rows]

    def digit_set(self) -> DigitSet:
        """Every digit with its label, oldest first, and the set's version."""
        query = sa.select(digits.c.id, digits.c.name, digits.c.label, digits.c.pixels)
        query = query.order_by(digits.c.id)
        rows = self._read(lambda conn: conn.execute(query).all())
        images = np.frombuffer(b"".join(r.pixels for r in rows), np.uint8).reshape(-1, 28, 28)
        ids = tuple(r.id for r in rows)
        labels = np.array([r.label for r in rows], np.int64)
        names = tuple(r.name for r in rows)
        return DigitSet(images.copy(), labels, ids, version_of(ids), names)

    def digit_version(self) -> str:
        """The set's version from its ids alone (cheap: no pixels read)."""
        query = sa.select(digits.c.id)
        return version_of(self._read(lambda conn: conn.execute(query).scalars().all()))

    def digit_strokes(self, digit_id: int) -> bytes | None:
        query = sa.select(digits.c.strokes).where(digits.c.id == digit_id)
        return self._read(lambda conn: conn.execute(query).scalar())

    def remove_digits(self, ids: list[int] | None, name: str | None = None) -> int:
        """Remove digits and say how many went. With `name` (a student): those of `ids` that
        are that nickname's (others' are left), or all of theirs (ids None). Without (the
        teacher): any of `ids`, or every digit of the class (ids None)."""
        query = digits.delete()
        if ids is not None:
            query = query.where(digits.c.id.in_(list(ids)))
        if name is not None:
            query = query.where(digits.c.name_key == name_key(name))
        return self._write(lambda conn: conn.execute(query).rowcount, "remove digits from")
