"""The teacher key itself: `LENET_TEACHER_KEY` (at least MIN_KEY_CHARS long), compared in
constant time, and wrong keys counted per browser tab and per client address together:

- a tab: after FREE_TRIES wrong keys each further try waits, the wait doubling from 30 s up to
  a quarter of an hour;
- an address (every client behind one proxy, or on the server's own computer, is one): after
  ADDRESS_FREE_TRIES wrong keys from all its tabs, each of its tabs that has itself been wrong
  TYPOS times waits as well, while a tab that has not gets its key compared.

So a student guessing keys slows only themselves, and the teacher's own tab opens with the
right key whatever the others typed, after a typo too (issue 28). A fresh tab gets TYPOS tries
while its address waits; with a key of 8 or more characters that is far too slow to guess it."""

from __future__ import annotations

import hmac
import os
import threading
from dataclasses import dataclass

import streamlit as st

ENV = "LENET_TEACHER_KEY"
FREE_TRIES = 5  # wrong keys of one tab before each further try of it has to wait
ADDRESS_FREE_TRIES = 20  # wrong keys from one address before its tabs that were wrong wait
TYPOS = 2  # a tab's wrong keys the address's wait lets through (the teacher's typo)
MIN_KEY_CHARS = 8
WAIT_S = 30.0  # the first wait; it doubles with each further wrong key
LONGEST_WAIT_S = 900.0
MAX_GATES = 10_000  # clients remembered at most


def teacher_key() -> str | None:
    """The key the server was started with; None when it was started without one, or with one
    too short to keep (`key_problem` says so)."""
    key = os.environ.get(ENV, "").strip()
    return key if len(key) >= MIN_KEY_CHARS else None


def key_problem() -> str | None:
    """One line when `LENET_TEACHER_KEY` is set but too short to be used."""
    key = os.environ.get(ENV, "").strip()
    if key and len(key) < MIN_KEY_CHARS:
        return (
            f"{ENV} is shorter than {MIN_KEY_CHARS} characters: refused, the teacher's tools stay "
            "locked until the server is started with a longer key"
        )
    return None


def key_matches(given: str, expected: str) -> bool:
    """Whether `given` is the key, in a time that does not tell how much of it was right."""
    return hmac.compare_digest(given.strip().encode(), expected.encode())


@dataclass
class KeyGate:
    """One tab's (or one address's) wrong keys: after `free` of them, a growing wait."""

    failures: int = 0
    blocked_until: float = 0.0
    free: int = FREE_TRIES

    def attempt(self, given: str, expected: str, now: float) -> str:
        """'open' (the key), 'wrong', or 'wait' (too many wrong keys: not even compared)."""
        if now < self.blocked_until:
            return "wait"
        if key_matches(given, expected):
            self.failures = 0
            return "open"
        self.wrong(now)
        return "wrong"

    def wrong(self, now: float) -> None:
        self.failures += 1
        if self.failures >= self.free:
            wait = WAIT_S * 2 ** min(self.failures - self.free, 10)
            self.blocked_until = now + min(wait, LONGEST_WAIT_S)

    def wait_s(self, now: float) -> int:
        """Whole seconds left before the next try is compared."""
        return max(0, int(self.blocked_until - now + 0.999))


def attempt(tab: KeyGate, address: KeyGate, given: str, expected: str, now: float) -> str:
    """A try from `tab` at `address`: 'open', 'wrong' or 'wait'. The address's wait holds only
    tabs that have been wrong themselves: the teacher's own tab is compared."""
    if tab.failures >= TYPOS and now < address.blocked_until:
        return "wait"
    result = tab.attempt(given, expected, now)
    if result == "wrong":
        address.wrong(now)
    return result


def wait_s(tab: KeyGate, address: KeyGate, now: float) -> int:
    return max(tab.wait_s(now), address.wait_s(now) if tab.failures >= TYPOS else 0)


@st.cache_resource(show_spinner=False)
def _gates() -> tuple[threading.Lock, dict[str, KeyGate]]:
    """Every client's tries, for the whole server: a reload or a new tab starts no fresh count."""
    return threading.Lock(), {}


def address_gate() -> tuple[threading.Lock, KeyGate]:
    """This client's address's KeyGate (one for all when the address is unknown)."""
    lock, gates = _gates()
    address = st.context.ip_address
    address = address if isinstance(address, str) and address else "unknown"
    with lock:
        if len(gates) > MAX_GATES:  # forget the oldest clients, never the blocked ones
            for key in [k for k, g in gates.items() if not g.failures][: len(gates) // 2]:
                del gates[key]
        return lock, gates.setdefault(address, KeyGate(free=ADDRESS_FREE_TRIES))


def tab_gate() -> KeyGate:
    """This tab's KeyGate (its session's: a reload starts one afresh, its address's stays)."""
    return st.session_state.setdefault("teacher_key_gate", KeyGate())
