"""Reading values from a link strictly, and saying in plain English what was ignored.

A link is a stranger's text. Numbers are ASCII digits only (Python's `int` also takes '３０', '٣٠'
and '3_0'; `float` takes 'nan' and '1_0'), a device must be one this server has, and every notice
shows the link's own words as a code span (demo.ui.text.code), cut short, never as Markdown.
"""

from __future__ import annotations

import re

import torch

from demo.ui.text import code, shorten
from lenet.config import DEVICES

WHOLE = re.compile(r"-?[0-9]{1,9}")
DECIMAL = re.compile(r"(?:[0-9]{1,12}(?:\.[0-9]{0,12})?|\.[0-9]{1,12})(?:[eE][+-]?[0-9]{1,3})?")
MAX_NOTICES = 5  # a link with eighty bad values is one attack, not eighty warnings
KEY_CHARS, VALUE_CHARS = 40, 40


def whole_number(text: str) -> int | None:
    """The number `text` writes in ASCII digits (an optional minus first), else None."""
    return int(text) if WHOLE.fullmatch(text) else None


def decimal(text: str) -> float | None:
    """The number `text` writes as a plain decimal ('0.001', '.5', '1e-3'), else None."""
    return float(text) if DECIMAL.fullmatch(text) else None


def same_float(choice: float, text: str) -> bool:
    """Whether `text` writes `choice`, however written ('0.001' or '1e-3')."""
    value = decimal(text)
    return value is not None and abs(value - choice) <= 1e-9 * max(1.0, abs(choice))


def server_devices() -> tuple[str, ...]:
    """The devices this server can train on: 'cuda' only where torch sees a CUDA GPU."""
    return DEVICES if torch.cuda.is_available() else tuple(d for d in DEVICES if d != "cuda")


def device_problem(text: str) -> str | None:
    """Why `text` cannot be this server's device, or None when it can."""
    if text in server_devices():
        return None
    if text in DEVICES:
        return f"this server has no {text.upper()} GPU, so it trains on its CPU"
    return f"it must be one of {', '.join(server_devices())}"


def notice(key: str, value: str, reason: str) -> str:
    """One plain sentence (Markdown, safe to show) about a parameter of the link that is ignored."""
    written = f"{shorten(key, KEY_CHARS)}={shorten(value, VALUE_CHARS)}"
    return f"Ignored {code(written)} from the link: {reason}."


def at_most_a_few(notices: list[str]) -> list[str]:
    """The first notices, and one that counts the rest, when there are more than MAX_NOTICES."""
    if len(notices) <= MAX_NOTICES:
        return notices
    rest = len(notices) - MAX_NOTICES + 1
    return notices[: MAX_NOTICES - 1] + [f"{rest} more parameters of the link were ignored too."]
