"""How the app sits on the screen it is shown on: a desktop, a projector, a phone.

Every page starts with `page_setup()` (its CSS, and the sidebar folded in the projector view) and
`header()` (the title, the glossary and the projector switch on one line). The projector view
(`view=projector` in the link, kept there by `demo.views.train.settings.sync_link`) folds the
sidebar and enlarges the type and the charts' text. Every chart is shown through `chart()`,
which applies the view and leaves out Plotly's toolbar. `scroll_into_view()` brings the result
of an action to where the student is looking, when it would otherwise land below the screen.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

SIDEBAR = "sidebar_state"  # the sidebar state last asked for (on a switch of view only)
SCROLL = "scroll_requests"  # this run's scroll_into_view calls, for finish_page
VIEW = "view"  # the link's parameter, and the session's key for the projector view
PROJECTOR = "projector"
FONT, TITLE_FONT = 12, 16  # Plotly's text and our titles (demo.figures.charts)
PROJECTOR_FONT, PROJECTOR_TITLE_FONT = 15, 19

# Streamlit fades captions to 60% opacity: 3.0:1 on white, under WCAG's 4.5:1 for small text.
# A solid grey of 6.5:1 still reads as secondary.
CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 3.5rem; padding-bottom: 3rem; }
h1 { font-size: 2.1rem !important; padding-top: 0.25rem !important; }
[data-testid="stCaptionContainer"] { opacity: 1; color: rgb(92, 94, 104); }
[data-testid="stCaptionContainer"] strong { color: rgb(49, 51, 63); }
/* a disabled control's label (the settings while a run trains): 40% grey read 2.3:1 */
label[data-testid="stWidgetLabel"][disabled] { color: rgba(47, 45, 43, 0.72); }
.st-key-chart_code { display: none; }
@media (max-width: 640px) {
  h1 { font-size: 1.6rem !important; }
}
</style>
"""
PROJECTOR_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-left: 1.5rem; padding-right: 1.5rem; }
.stMarkdown p, .stMarkdown li { font-size: 1.12rem; }
[data-testid="stCaptionContainer"] p { font-size: 1rem; }
[data-testid="stMetricValue"] { font-size: 2.4rem; }
</style>
"""

# Streamlit leaves the sidebar open over the page after a page is chosen on a phone: fold it
# (by its own button) when a link in it is followed on a narrow screen.
FOLD_JS = """
export default function ({ parentElement }) {
  const slot = parentElement.closest?.('[data-testid="stElementContainer"]');
  if (slot) slot.style.display = "none";
  if (window.__lenetFoldsSidebar) return;
  window.__lenetFoldsSidebar = true;
  document.addEventListener("click", (event) => {
    const link = event.target.closest?.('[data-testid="stSidebarNav"] a');
    if (!link || window.innerWidth > 768) return;
    setTimeout(() => {
      document.querySelector('[data-testid="stSidebarCollapseButton"] button')?.click();
    }, 50);
  }, true);
}
"""

SCROLL_JS = """
export default function ({ data, parentElement }) {
  const slot = parentElement.closest?.('[data-testid="stElementContainer"]');
  if (slot) slot.style.display = "none";
  const done = (window.__lenetScrolled = window.__lenetScrolled || {});
  const fresh = (data?.requests || []).filter((r) => done[r.anchor] !== r.token);
  fresh.forEach((r) => { done[r.anchor] = r.token; });
  const request = fresh[fresh.length - 1];  // the latest action's result
  if (!request) return;
  let tries = 150;  // 15 s: a busy class server draws the result late
  const look = () => {
    const anchor = document.querySelector(`.st-key-${request.anchor}`);
    const shown = document.querySelector(`.st-key-${request.visible}`);
    if (!anchor || !shown) { if (tries-- > 0) setTimeout(look, 100); return; }
    const box = shown.getBoundingClientRect();
    // not drawn yet (an empty container looks "on screen"): look again
    if (box.height < 120 && tries-- > 0) { setTimeout(look, 100); return; }
    // enough of it on screen already: leave the page where the student put it
    const enough = Math.min(box.height, 250, window.innerHeight / 2);
    if (box.top >= 40 && box.top + enough <= window.innerHeight) return;
    // a short window (a projector at 150%, a phone on its side): the result itself at the top
    const target = window.innerHeight < 600 ? shown : anchor;
    target.style.scrollMarginTop = "4rem";  // below the page's top bar
    target.scrollIntoView({ block: "start", behavior: "instant" });
  };
  requestAnimationFrame(look);
}
"""


def init_view() -> None:
    """Once per session: the projector view when the link asks for it (`view=projector`)."""
    if VIEW not in st.session_state:
        named = {k.lower(): v for k, v in st.query_params.to_dict().items() if k.isascii()}
        asked = named.get(VIEW, "")
        st.session_state[VIEW] = asked.casefold() == PROJECTOR if asked.isascii() else False


def projector() -> bool:
    """Whether this tab shows the projector view."""
    return bool(st.session_state.get(VIEW, False))


def link_params() -> dict[str, str]:
    """What the view adds to the address bar."""
    return {VIEW: PROJECTOR} if projector() else {}


def page_setup() -> None:
    """The page's configuration and style: once a script run, before anything is drawn."""
    wanted = "collapsed" if projector() else "auto"
    sidebar = wanted if st.session_state.get(SIDEBAR, "auto") != wanted else None  # on a switch
    st.session_state[SIDEBAR] = wanted
    st.set_page_config(
        page_title="LeNet-5 Lab", page_icon="🧠", layout="wide", initial_sidebar_state=sidebar
    )
    st.html(CSS + (PROJECTOR_CSS if projector() else ""))


def finish_page() -> None:
    """Last in a script run: the page's small scripts (folding the sidebar on a phone, and a
    scroll asked for by `scroll_into_view`). Mounted at the top of the page, a script of ours
    made the browser forget the sidebar's settings now and then (3 runs in 15 trained the
    Classic preset instead of the link's: tests/browser/test_first_click.py)."""
    st.components.v2.component("lenet.fold_sidebar", js=FOLD_JS, isolate_styles=False)(
        key="fold_sidebar"
    )
    scroll_now()


def scroll_now() -> None:
    """The scrolls asked for so far in this run (`scroll_into_view`): at the end of a page, or
    of a fragment, whose run does not reach the page's end."""
    if requests := st.session_state.pop(SCROLL, None):
        st.components.v2.component("lenet.scroll", js=SCROLL_JS, isolate_styles=False)(
            key="scroll", data={"requests": requests}
        )


def _switch_view() -> None:
    st.session_state[VIEW] = bool(st.session_state.get("projector_switch"))


def header(title: str, caption: str | None = None) -> None:
    """The page's title with the glossary and the projector switch beside it; a short caption."""
    from demo.ui.glossary import glossary_button  # the glossary imports nothing of ours

    with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
        st.title(title, width="content")
        st.space("stretch")
        glossary_button()
        st.session_state["projector_switch"] = projector()
        if not projector():  # on a phone only while it is on: a link may have turned it on
            st.html(
                "<style>@media (max-width: 640px) {.st-key-projector_switch {display: none}}"
                "</style>"
            )
        st.toggle(
            "Projector view",
            key="projector_switch",
            on_change=_switch_view,
            help="Larger text and charts for a projector, with the sidebar folded away. "
            "It stays on in the link (view=projector).",
        )
    if caption and not projector():  # on a projector the teacher says it; the room sees more
        st.caption(caption)


def chart(where, figure: go.Figure, **kwargs) -> object:
    """`where.plotly_chart(figure, ...)` in this tab's view: larger text on a projector, and
    no Plotly toolbar (it covered the titles; dragging still zooms, a double click resets)."""
    config = {**(kwargs.pop("config", None) or {}), "displayModeBar": False}
    if projector():
        scale_fonts(figure)
    return where.plotly_chart(figure, config=config, **kwargs)


def load_charts_early() -> None:
    """An empty, hidden chart: the browser fetches its chart code now, not when the student's
    first click opens a chart (that took 3.7 s for the Whole network's first map)."""
    with st.container(key="chart_code"):
        chart(st, go.Figure(layout={"height": 10}), key="chart_code_chart")


def scale_fonts(figure: go.Figure) -> None:
    """Plotly's default text and the title, at projector size."""
    layout = figure.layout
    layout.font.size = PROJECTOR_FONT
    if layout.title.text:
        layout.title.font.size = PROJECTOR_TITLE_FONT


def scroll_into_view(anchor: str, token: object, visible: str | None = None) -> None:
    """Once per `token`: when the container keyed `visible` (else `anchor`) is not on the screen
    enough to be seen, scroll the page so that the container keyed `anchor` is at its top (a new
    result below the fold, on a projector or a phone); in a window under 600 px high (a
    projector at 150%) the `visible` container itself goes to the top. A result already in view
    stays put. Done by `finish_page`, at the end of the full script run."""
    request = {"anchor": anchor, "visible": visible or anchor, "token": str(token)}
    st.session_state.setdefault(SCROLL, []).append(request)
