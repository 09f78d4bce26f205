"""A student's own checkpoint on the Draw and Inspect pages: uploaded, checked by the safe loader
and kept in the tab's session, with its training timeline when it keeps one (up to 20 MB: the
session's own, never in a cache the whole server shares)."""

from __future__ import annotations

import hashlib

import streamlit as st

from demo.models.files import final_step, test_accuracy
from demo.models.steps import RunTimeline
from demo.ui.text import plain, shorten
from lenet.errors import CheckpointError
from lenet.files.checkpoint import load_checkpoint_bytes
from lenet.model import LeNet5
from lenet.timeline.file import read_timeline

UPLOADED = "uploaded"  # the chooser's key for the upload
UPLOAD_NAME_CHARS = 48  # an upload's name as shown: 273 bytes of CJK would fill the sidebar


def load_upload(data: bytes, name: str) -> tuple[LeNet5, dict, str]:
    """A model from uploaded bytes, through the same safe loader (raises CheckpointError).
    The upload's name is only shown (shortened), never used as a file name."""
    model, meta = load_checkpoint_bytes(data, shorten(name, UPLOAD_NAME_CHARS))
    return model, meta, hashlib.sha256(data).hexdigest()[:16]


def upload_run(model: LeNet5, meta: dict, digest: str, name: str) -> RunTimeline | None:
    """The timeline an upload keeps, as a run the "At step" slider can take; None when it
    keeps none. Raises CheckpointError when it is damaged."""
    timeline = read_timeline(meta, model, name)
    if timeline is None or not len(timeline):
        return None
    final = final_step(meta, timeline)
    return RunTimeline(f"upload:{digest}", f"Uploaded {name}", timeline, model.config, final)


def kept_upload(data: bytes, file_name: str) -> dict:
    """What the session keeps of an upload: its model, name, digest, accuracy and timeline (a
    damaged timeline leaves the model usable: `problem` says why there is none). Raises
    CheckpointError when the model itself cannot be used."""
    model, meta, digest = load_upload(data, file_name)
    name = shorten(file_name, UPLOAD_NAME_CHARS)
    upload = {"name": name, "model": model, "digest": digest, "accuracy": test_accuracy(meta)}
    try:
        upload["run"], upload["problem"] = upload_run(model, meta, digest, name), None
    except CheckpointError as error:
        upload["run"], upload["problem"] = None, str(error)
    return upload


def on_upload() -> None:
    """Load an uploaded checkpoint safely; on success it becomes the chosen model (the
    student's own pick: the chooser keeps it)."""
    file = st.session_state.get("checkpoint_upload")
    if file is None:
        return
    try:
        upload = kept_upload(file.getvalue(), file.name)
    except CheckpointError as error:
        st.session_state["upload_error"] = str(error)
        return
    st.session_state["uploaded_model"] = upload
    st.session_state["model_choice"] = UPLOADED


def uploader() -> None:
    """The expander to load one's own checkpoint (it becomes the chosen model)."""
    with st.expander("Use your own checkpoint"):
        st.file_uploader(
            "Checkpoint (.pt)",
            type=["pt"],
            key="checkpoint_upload",
            on_change=on_upload,
            help="A file saved by this app or by `python -m lenet.train`. It is "
            "checked before use and never run as code.",
        )
    if error := st.session_state.pop("upload_error", None):
        st.error(plain(error))
