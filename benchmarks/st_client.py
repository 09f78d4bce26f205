"""A light Streamlit client: one session over the websocket, as the browser's frontend speaks it.

What a browser tab does, seen in Chromium's own frames (Streamlit 1.67):
- connect to ws://HOST/_stcore/stream with the subprotocol "streamlit", then send a
  `rerun_script` BackMsg: the page's path as `page_name` (no page hash yet), the query string,
  the browser's `context_info`;
- every later rerun carries the page hash (from the `navigation` message), the query string the
  app set (`page_info_changed`), every live widget's state, one-shot `trigger_value`s for a
  clicked button (with the button's `fragment_id` when it sits in a fragment), and the hashes of
  the large elements it keeps (`cached_message_hashes`), which the server then sends as a
  `ref_hash` instead of the element;
- after each full run, the states of widgets that run did not draw are dropped;
- a fragment with `run_every` arrives as an `auto_rerun` message: the browser then sends a
  rerun with that `fragment_id` and `is_auto_rerun` every interval, until a full run does not
  register it again (or `stop_auto_rerun`).
Only loopback servers: this is a load generator, not a crawler.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections import OrderedDict
from dataclasses import dataclass, field
from urllib.parse import urlparse

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
SUCCESS = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
CACHE_SIZE = 64  # large elements kept, like the frontend's message cache


@dataclass
class Run:
    """One script run as the client saw it: its elements, (kind, proto, fragment id)."""

    index: int
    fragment: bool
    elements: list[tuple[str, object, str]] = field(default_factory=list)
    status: int | None = None

    def find(self, kind: str, label: str | None = None) -> tuple[object, str] | None:
        """This run's last element of `kind` whose label (or component name) is `label`."""
        for el_kind, proto, fragment_id in reversed(self.elements):
            name = getattr(proto, "label", None) or getattr(proto, "component_name", None)
            if el_kind == kind and (label is None or name == label):
                return proto, fragment_id
        return None

    def metric(self, label: str) -> str | None:
        found = self.find("metric", label)
        return found[0].body if found else None


class LightSession:
    """One browser tab's worth of Streamlit session, without the browser."""

    def __init__(self, url: str, path: str = "", query: str = "", timeout: float = 30) -> None:
        parsed = urlparse(url)
        if parsed.hostname not in LOOPBACK:
            raise ValueError(f"light clients only talk to a loopback server, not {url}")
        self.url, self.path, self.query, self.timeout = url.rstrip("/"), path, query, timeout
        self.page_hash = ""
        self.widgets: dict[str, WidgetState] = {}
        self.triggers: dict[str, WidgetState] = {}
        self.auto_reruns: dict[str, float] = {}  # fragment id -> interval (s)
        self.exceptions: list[str] = []
        self.cache: OrderedDict[str, ForwardMsg] = OrderedDict()
        self.runs: list[Run] = []
        self.last_full: Run | None = None
        self.closed = False
        self._started = 0
        self._current: Run | None = None
        self._changed = asyncio.Condition()
        self._ws = None
        self._reader: asyncio.Task | None = None

    async def connect(self) -> Run:
        """Open the websocket and run the page once, as a new tab does."""
        parsed = urlparse(self.url)
        # a socket opened here to the checked host: websockets then refuses to follow a redirect
        # elsewhere (it would open one of its own), so the session stays on loopback
        sock = socket.create_connection((parsed.hostname, parsed.port or 80), self.timeout)
        self._ws = await connect(
            f"ws://{parsed.netloc}/_stcore/stream",
            subprotocols=[Subprotocol("streamlit")],
            open_timeout=self.timeout,
            max_size=2**26,
            sock=sock,
        )
        self._reader = asyncio.create_task(self._read())
        return await self.request(page_name=self.path)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
        self.closed = True

    # --- sending -------------------------------------------------------------------------

    def client_state(self, fragment_id: str = "", auto: bool = False, page_name: str = ""):
        """The ClientState of a rerun, built as the frontend builds it."""
        state = ClientState(
            query_string=self.query,
            page_script_hash=self.page_hash,
            page_name=page_name,
            fragment_id=fragment_id,
            is_auto_rerun=auto,
            cached_message_hashes=list(self.cache),
        )
        state.widget_states.widgets.extend([*self.widgets.values(), *self.triggers.values()])
        self.triggers = {}
        info = state.context_info
        info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
        info.url, info.is_embedded, info.color_scheme = f"{self.url}/{self.path}", False, "light"
        return state

    async def send(self, fragment_id: str = "", auto: bool = False, page_name: str = "") -> int:
        """Send a rerun; the number of runs started before it (for `wait`)."""
        if self.closed:
            raise ConnectionError("the session is closed")
        msg = BackMsg()
        msg.rerun_script.CopyFrom(self.client_state(fragment_id, auto, page_name))
        mark = self._started
        await asyncio.wait_for(self._ws.send(msg.SerializeToString()), self.timeout)
        return mark

    async def wait(self, after: int) -> Run:
        """The first run (full or fragment) started after `after` that finishes successfully:
        a click in a fragment whose callback calls st.rerun() is answered by a full run."""

        def done() -> Run | None:
            for run in self.runs:
                if run.index > after and run.status in SUCCESS:
                    return run
            return None

        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: done() is not None or self.closed), self.timeout
            )
        if (run := done()) is None:
            raise ConnectionError("the server closed the session")
        return run

    async def request(self, fragment_id: str = "", page_name: str = "") -> Run:
        """A rerun, and the run that answers it."""
        return await self.wait(await self.send(fragment_id, page_name=page_name))

    # --- widgets ---------------------------------------------------------------------------

    def find(self, kind: str, label: str | None = None) -> tuple[object, str] | None:
        """The newest element of `kind` (its label, or component name, equal to `label`)."""
        for run in (*reversed(self.runs[-4:]), self.last_full):
            if run is not None and (found := run.find(kind, label)) is not None:
                return found
        return None

    def metric(self, label: str) -> str | None:
        found = self.find("metric", label)
        return found[0].body if found else None

    async def click(self, label: str) -> Run:
        """Press a button (a one-shot trigger), and wait for the run it causes."""
        found = self.find("button", label)
        if found is None:
            raise LookupError(f"no button {label!r} on the page")
        button, fragment_id = found
        self.triggers[button.id] = WidgetState(id=button.id, trigger_value=True)
        return await self.request(fragment_id)

    def set_component(self, name: str, state: dict) -> str:
        """Set a components-v2 widget's whole state (as its setStateValue does); its id."""
        found = self.find("bidi_component", name)
        if found is None:
            raise LookupError(f"no component {name!r} on the page")
        widget_id = found[0].id
        self.widgets[widget_id] = WidgetState(id=widget_id, json_value=json.dumps(state))
        return widget_id

    def component_data(self, name: str) -> dict:
        found = self.find("bidi_component", name)
        return json.loads(found[0].json) if found and found[0].json else {}

    # --- receiving ---------------------------------------------------------------------------

    async def _read(self) -> None:
        try:
            async for data in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(data)
                await self._handle(msg)
        finally:
            self.closed = True
            async with self._changed:
                self._changed.notify_all()

    async def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":  # a large element this client said it keeps
            msg = self.cache[msg.ref_hash]
            self.cache.move_to_end(msg.hash)
            kind = "delta"
        elif msg.metadata.cacheable:
            self.cache[msg.hash] = msg
            while len(self.cache) > CACHE_SIZE:
                self.cache.popitem(last=False)
        if kind == "new_session":
            self._started += 1
            fragment = bool(msg.metadata.run.fragment_ids)
            self._current = Run(self._started, fragment)
            if not fragment:
                self.auto_reruns = {}
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            el_kind = element.WhichOneof("type")
            proto = getattr(element, el_kind)
            if el_kind == "exception":
                self.exceptions.append(proto.message)
            if self._current is not None:
                self._current.elements.append((el_kind, proto, msg.delta.fragment_id))
        elif kind == "navigation":
            self.page_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "auto_rerun":
            self.auto_reruns[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            for fragment_id in msg.stop_auto_rerun.fragment_ids:
                self.auto_reruns.pop(fragment_id, None)
        elif kind == "script_finished" and self._current is not None:
            await self._finished(self._current, msg.script_finished)

    async def _finished(self, run: Run, status: int) -> None:
        run.status = status
        self.runs = [*self.runs[-7:], run]
        if not run.fragment and status == ForwardMsg.FINISHED_SUCCESSFULLY:
            self.last_full = run
            drawn = {getattr(p, "id", None) for _, p, _ in run.elements}
            self.widgets = {k: v for k, v in self.widgets.items() if k in drawn}
        async with self._changed:
            self._changed.notify_all()
