"""Uploads bounded (issue 28): a session may hold at most UPLOAD_FILES files and UPLOAD_MB
megabytes of uploads on the server and send at most UPLOADS_A_MINUTE, the server holds at most
SERVER_UPLOAD_MB in all, and a file may only go to an id the app issued to that session for its
uploader.

Streamlit takes any PUT to `/_stcore/upload_file/<session>/<id>` from a session with its XSRF
token and keeps the bytes in memory while the session lives: 40 uploads of 20 MB from one script
held 870 MB. `UploadGuard` is ASGI middleware (`demo/serve.py` mounts it) that refuses such a PUT
before its body is kept (it is read and dropped as it arrives, so the client hears the answer),
with one line of text and status 413 (too much), 429 (more than UPLOADS_A_MINUTE) or 403 (an
id never issued); `track_issued_ids` wraps the upload manager so the guard knows the ids it
handed out. Under the flood above the server's memory now grows less than FLOOD_BOUND_MB (one
file held, the few accepted uploads' and the dropped bodies' memory reused by the allocator:
+162 MB measured, tests/browser/test_upload_flood.py). Nothing here imports Streamlit at
import time.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict, deque

UPLOAD_FILES = 4  # files one session holds at once (the app's uploader takes one)
UPLOADS_A_MINUTE = 6  # uploads one session may send in a minute (a replaced file counts too)
UPLOAD_MB = 50  # what one session holds at once (a checkpoint with a timeline is ~20.5 MB)
SERVER_UPLOAD_MB = 400  # what every session together holds at once
FLOOD_BOUND_MB = 250  # what one session's flood may add to the server's memory (see above)
ISSUED_PER_SESSION = 64  # ids remembered per session (the newest)
MAX_SESSIONS = 10_000

PATH = re.compile(r"/_stcore/upload_file/([^/]+)/([^/]+)$")


class IssuedIds:
    """The upload ids the app handed out, per session (bounded, newest kept), and when each
    session last sent uploads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: OrderedDict[str, OrderedDict[str, None]] = OrderedDict()
        self._sent: OrderedDict[str, deque] = OrderedDict()

    def too_often(self, session_id: str, now: float) -> bool:
        """Counts one upload of the session; True when it is over UPLOADS_A_MINUTE."""
        with self._lock:
            times = self._sent.setdefault(session_id, deque())
            self._sent.move_to_end(session_id)
            while times and times[0] < now - 60:
                times.popleft()
            if len(times) >= UPLOADS_A_MINUTE:
                return True
            times.append(now)
            while len(self._sent) > MAX_SESSIONS:
                self._sent.popitem(last=False)
            return False

    def add(self, session_id: str, file_ids: list[str]) -> None:
        with self._lock:
            ids = self._ids.setdefault(session_id, OrderedDict())
            self._ids.move_to_end(session_id)
            for file_id in file_ids:
                ids[file_id] = None
            while len(ids) > ISSUED_PER_SESSION:
                ids.popitem(last=False)
            while len(self._ids) > MAX_SESSIONS:
                self._ids.popitem(last=False)

    def issued(self, session_id: str, file_id: str) -> bool:
        with self._lock:
            return file_id in self._ids.get(session_id, ())


ISSUED = IssuedIds()


def track_issued_ids(manager) -> None:
    """Wrap `manager.get_upload_urls` (Streamlit's upload manager) so every id it issues is
    remembered; once per manager."""
    if getattr(manager, "_lenet_tracked", False):
        return
    handed_out = manager.get_upload_urls

    def get_upload_urls(session_id, file_names):
        infos = handed_out(session_id, file_names)
        ISSUED.add(session_id, [info.file_id for info in infos])
        return infos

    manager.get_upload_urls = get_upload_urls
    manager._lenet_tracked = True


def held(manager, session_id: str) -> tuple[int, int, int]:
    """(files, bytes) the session holds, and the bytes every session holds, from the manager."""
    with manager._lock:
        mine = list(manager.file_storage.get(session_id, {}).items())
        total = manager._total_bytes
    return len(mine), sum(len(rec.data) for _, rec in mine), total


_inflight_lock = threading.Lock()
_inflight: dict[str, list[int]] = {}  # session -> [uploads on their way, their bytes]


def refusal(manager, session_id: str, file_id: str, length: int | None) -> tuple[int, str] | None:
    """(status, one line) when this upload must be refused; None to let it through, counted
    as on its way (`done` ends that) so uploads sent at the same moment count together."""
    if not ISSUED.issued(session_id, file_id):
        return 403, "This upload was not asked for by the page: refused."
    if length is None:
        return 411, "An upload must say its size: refused."
    if ISSUED.too_often(session_id, time.monotonic()):
        return (
            429,
            f"More than {UPLOADS_A_MINUTE} uploads from this tab in a minute: wait one.",
        )
    files, mine, everyone = held(manager, session_id)
    replacing = file_id in manager.file_storage.get(session_id, {})
    with _inflight_lock:
        going, going_bytes = _inflight.get(session_id, (0, 0))
        all_going = sum(size for _, size in _inflight.values())
        if (
            files + going + (not replacing) > UPLOAD_FILES
            or mine + going_bytes + length > UPLOAD_MB * 2**20
        ):
            return 413, (
                f"Too many uploads from this tab (at most {UPLOAD_FILES} files, {UPLOAD_MB} MB): "
                "reload the page to start afresh."
            )
        if everyone + all_going + length > SERVER_UPLOAD_MB * 2**20:
            return 413, "The server holds too many uploads right now: try again in a minute."
        _inflight[session_id] = [going + 1, going_bytes + length]
    return None


def done(session_id: str, length: int) -> None:
    """An admitted upload has been stored (or failed): it no longer counts as on its way."""
    with _inflight_lock:
        going = _inflight.get(session_id)
        if going is not None:
            going[0], going[1] = going[0] - 1, going[1] - length
            if going[0] <= 0:
                del _inflight[session_id]


class UploadGuard:
    """ASGI middleware: every upload PUT passes `refusal` first (see the module docstring)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        _track()  # from the first request on: before any page asks for an upload id
        if scope["type"] == "http" and scope["method"] == "PUT":
            found = PATH.search(scope["path"])
            if found:
                session_id, length = found.group(1), _length(scope)
                refused = _refused(session_id, found.group(2), length)
                if refused is not None:
                    await _drain(receive)  # read and dropped, so the client hears the answer
                    await _answer(send, *refused)
                    return
                if length is not None and _manager() is not None:  # admitted: on its way
                    try:
                        await self.app(scope, receive, send)
                    finally:
                        done(session_id, length)
                    return
        await self.app(scope, receive, send)


def _manager():
    from streamlit.runtime import Runtime

    return Runtime.instance().uploaded_file_mgr if Runtime.exists() else None


def _track() -> None:
    if (manager := _manager()) is not None:
        track_issued_ids(manager)


def _refused(session_id: str, file_id: str, length: int | None) -> tuple[int, str] | None:
    manager = _manager()
    return None if manager is None else refusal(manager, session_id, file_id, length)


def _length(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _drain(receive, most: int = 32 * 2**20) -> None:
    """Read a refused request's body and drop it, chunk by chunk (memory stays flat), up to
    `most` bytes: a client that sends more than that is cut off."""
    read = 0
    while read <= most:
        message = await receive()
        if message["type"] != "http.request":
            return
        read += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


async def _answer(send, status: int, line: str) -> None:
    body = line.encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", b"%d" % len(body)),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
