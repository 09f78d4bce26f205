"""The teacher key itself: `LENET_TEACHER_KEY`, compared in constant time, and a server-wide
count of wrong keys per client address (a reload or a new tab starts no fresh count): after
FREE_TRIES wrong keys each further try waits, the wait doubling up to a quarter of an hour."""

from __future__ import annotations

import hmac
import os
import threading
from dataclasses import dataclass

import streamlit as st

ENV = "LENET_TEACHER_KEY"
FREE_TRIES = 5  # wrong keys before each further try has to wait
WAIT_S = 30.0  # the first wait; it doubles with each further wrong key
LONGEST_WAIT_S = 900.0
MAX_GATES = 10_000  # clients remembered at most


def teacher_key() -> str | None:
    """The key the server was started with; None when it was started without one."""
    key = os.environ.get(ENV, "").strip()
    return key or None


def key_matches(given: str, expected: str) -> bool:
    """Whether `given` is the key, in a time that does not tell how much of it was right."""
    return hmac.compare_digest(given.strip().encode(), expected.encode())


@dataclass
class KeyGate:
    """One client's tries at the key: after FREE_TRIES wrong ones, a growing wait."""

    failures: int = 0
    blocked_until: float = 0.0

    def attempt(self, given: str, expected: str, now: float) -> str:
        """'open' (the key), 'wrong', or 'wait' (too many wrong keys: not even compared)."""
        if now < self.blocked_until:
            return "wait"
        if key_matches(given, expected):
            self.failures = 0
            return "open"
        self.failures += 1
        if self.failures >= FREE_TRIES:
            wait = WAIT_S * 2 ** (self.failures - FREE_TRIES)
            self.blocked_until = now + min(wait, LONGEST_WAIT_S)
        return "wrong"

    def wait_s(self, now: float) -> int:
        """Whole seconds left before the next try is compared."""
        return max(0, int(self.blocked_until - now + 0.999))


@st.cache_resource(show_spinner=False)
def _gates() -> tuple[threading.Lock, dict[str, KeyGate]]:
    """Every client's tries, for the whole server: a reload or a new tab starts no fresh count."""
    return threading.Lock(), {}


def client_gate() -> tuple[threading.Lock, KeyGate]:
    """This client's KeyGate (by its address; one for all when the address is unknown)."""
    lock, gates = _gates()
    address = st.context.ip_address
    address = address if isinstance(address, str) and address else "unknown"
    with lock:
        if len(gates) > MAX_GATES:  # forget the oldest clients, never the blocked ones
            for key in [k for k, g in gates.items() if not g.failures][: len(gates) // 2]:
                del gates[key]
        return lock, gates.setdefault(address, KeyGate())
