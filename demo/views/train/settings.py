"""The Train settings: the controls in the sidebar, the session's settings, and the address bar.

The session's settings live in `st.session_state["settings"]`, a plain dict that outlives every
page: Streamlit drops the state of widgets a page does not draw, so the controls (keys `set_*`)
are refilled from it whenever they come back, and it is updated from them after each run of the
Train page. The first run of a session, on any page, takes the settings from the link; after that
every page keeps the address bar equal to them, so a reload or a copied link keeps what the user
chose.
"""

from __future__ import annotations

import streamlit as st
import torch

from demo.session.settings import (
    FIELDS,
    hide_from_query,
    learn_from_query,
    preset_settings,
    settings_from_query,
    settings_to_query,
)
from demo.ui import screen
from lenet.training.presets import PRESETS

LEARN = "learn_class_digits"  # "Also learn from the class's digits", kept across pages
PAGE_LINK = "page_link"  # this run's page's own link parameters (e.g. Inspect's part)


def page_link(**params: str) -> None:
    """Parameters of the page drawn in this run, kept in the address bar by `sync_link`."""
    st.session_state[PAGE_LINK] = params


def key(name: str) -> str:
    return f"set_{name}"


def current_settings() -> dict:
    """The session's settings (a copy)."""
    return dict(st.session_state["settings"])


def apply_settings(values: dict) -> None:
    """Make `values` the session's settings and put them in the controls (callbacks only)."""
    settings = st.session_state["settings"]
    for name, value in values.items():
        if name in FIELDS:
            settings[name] = value
            st.session_state[key(name)] = value


def init_from_link() -> None:
    """Once per session, whichever page it opens on: the settings from the link (or the
    Classic preset), with a notice for each ignored parameter; `lock` and `hide` (names hidden
    on the Class page) and `class_digits` (also learn from the class's digits) too."""
    if "settings" in st.session_state:
        return
    query = st.query_params.to_dict()
    values, notices, locked = settings_from_query(query)
    hide, hide_notice = hide_from_query(query)
    st.session_state.update(settings=values, link_notices=notices, locked=locked, runs=[], job=None)
    st.session_state.update(hide_names=hide, hide_notice=hide_notice)
    st.session_state[LEARN] = learn_from_query(query)[0]


def refill_controls(every: bool = False) -> None:
    """Controls the last page did not draw lost their state: give them the session's values.
    `every`: all of them, whatever they hold (controls the student cannot change)."""
    for name, value in st.session_state["settings"].items():
        if every or key(name) not in st.session_state:
            st.session_state[key(name)] = value


def keep_controls() -> None:
    """After the controls are drawn: their values are the session's settings."""
    settings = st.session_state["settings"]
    for name in FIELDS:
        if key(name) in st.session_state:
            settings[name] = st.session_state[key(name)]


def on_preset_change() -> None:
    apply_settings(preset_settings(st.session_state[key("preset")]))


def settings_ui(disabled: bool) -> None:
    """The controls, each with help text; they only fill session state. Disabled (a locked
    link, a run going) they show the session's settings and never change them: a page run cut
    short under load once left the controls at their minimums, which then replaced a teacher's
    locked settings (and the link) with them. Each control's default is the session's setting,
    so that an unlocked page falls back to the student's settings, not the minimums."""
    refill_controls(every=disabled)
    f = FIELDS
    # each control's own default is the session's setting, not its minimum: a control whose
    # state a page run cut short under load lost is then redrawn by the browser at the
    # student's setting (the session state, when it holds one, still wins)
    shown = current_settings()

    def at(name: str) -> int:
        return list(f[name].choices).index(shown[name])

    st.selectbox(
        f["preset"].label,
        f["preset"].choices,
        index=at("preset"),
        key=key("preset"),
        help=f["preset"].help,
        format_func=lambda name: PRESETS[name].name,
        on_change=on_preset_change,
        disabled=disabled,
    )
    st.caption(PRESETS[st.session_state[key("preset")]].summary)
    st.number_input(
        f["epochs"].label,
        f["epochs"].low,
        f["epochs"].high,
        step=1,
        value=shown["epochs"],
        key=key("epochs"),
        help=f["epochs"].help,
        disabled=disabled,
    )
    st.select_slider(
        f["batch_size"].label,
        f["batch_size"].choices,
        value=shown["batch_size"],
        key=key("batch_size"),
        help=f["batch_size"].help,
        disabled=disabled,
    )
    st.selectbox(
        f["optimizer"].label,
        f["optimizer"].choices,
        index=at("optimizer"),
        key=key("optimizer"),
        help=f["optimizer"].help,
        disabled=disabled,
        format_func={"sgd": "SGD", "adam": "Adam", "adamw": "AdamW"}.get,
    )
    st.select_slider(
        f["lr"].label,
        f["lr"].choices,
        value=shown["lr"],
        key=key("lr"),
        help=f["lr"].help,
        format_func=lambda v: f"{v:g}",
        disabled=disabled,
    )
    st.select_slider(
        f["momentum"].label,
        f["momentum"].choices,
        value=shown["momentum"],
        key=key("momentum"),
        help=f["momentum"].help,
        disabled=disabled or st.session_state[key("optimizer")] != "sgd",
    )
    st.select_slider(
        f["weight_decay"].label,
        f["weight_decay"].choices,
        value=shown["weight_decay"],
        key=key("weight_decay"),
        help=f["weight_decay"].help,
        format_func=lambda v: f"{v:g}",
        disabled=disabled,
    )
    st.selectbox(
        f["scheduler"].label,
        f["scheduler"].choices,
        index=at("scheduler"),
        key=key("scheduler"),
        help=f["scheduler"].help,
        disabled=disabled,
    )
    st.radio(
        f["activation"].label,
        f["activation"].choices,
        index=at("activation"),
        key=key("activation"),
        help=f["activation"].help,
        horizontal=True,
        disabled=disabled,
    )
    st.radio(
        f["pooling"].label,
        f["pooling"].choices,
        index=at("pooling"),
        key=key("pooling"),
        help=f["pooling"].help,
        horizontal=True,
        disabled=disabled,
    )
    st.select_slider(
        f["train_size"].label,
        f["train_size"].choices,
        value=shown["train_size"],
        key=key("train_size"),
        help=f["train_size"].help,
        disabled=disabled,
        format_func=lambda n: "all 54,000" if n >= 54_000 else f"{n:,}",
    )
    st.number_input(
        f["seed"].label,
        f["seed"].low,
        f["seed"].high,
        step=1,
        value=shown["seed"],
        key=key("seed"),
        help=f["seed"].help,
        disabled=disabled,
    )
    st.number_input(
        f["evals_per_epoch"].label,
        f["evals_per_epoch"].low,
        f["evals_per_epoch"].high,
        step=1,
        value=shown["evals_per_epoch"],
        key=key("evals_per_epoch"),
        help=f["evals_per_epoch"].help,
        disabled=disabled,
    )
    if torch.cuda.is_available():
        st.selectbox(
            f["device"].label,
            f["device"].choices,
            index=at("device"),
            key=key("device"),
            help=f["device"].help,
            disabled=disabled,
        )
    if not disabled:
        keep_controls()


def sync_link() -> None:
    """Keep the address bar's query string equal to the session's settings (on every page),
    with `lock=1` and `hide=1` while they are set, `view=projector` in the projector view and
    what the page shown asked for (`page_link`)."""
    state = st.session_state
    hide, learn = state.get("hide_names", False), state.get(LEARN, False)
    wanted = settings_to_query(current_settings(), state["locked"], hide, learn)
    wanted.update(screen.link_params(), **state.pop(PAGE_LINK, {}))
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)
