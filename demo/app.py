"""LeNet-5 Lab's pages: config, navigation and the session's settings link; nothing else.

Served by `demo/serve.py`, which warms everything up first; `streamlit run demo/app.py` works too.
The Train settings belong to the session, not the page: they are read from the link on whichever
page a session opens, and every page keeps the address bar equal to them.
"""

import sys
from pathlib import Path

# `streamlit run` puts demo/ on sys.path, not the project root that holds `demo` and `lenet`.
ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:  # once: this script runs again on every rerun
    sys.path.insert(0, ROOT)

import demo.preload  # noqa: E402, F401, I001  (first: every heavy import, in one thread)
import streamlit as st  # noqa: E402, I001
from demo.ui import screen  # noqa: E402
from demo.training import tab  # noqa: E402
from demo.views.class_page import page as class_page  # noqa: E402
from demo.views.draw import page as draw  # noqa: E402
from demo.views.inspect import page as inspect  # noqa: E402
from demo.views.train import page as train  # noqa: E402
from demo.views.train import settings as train_settings  # noqa: E402

screen.init_view()
screen.page_setup()
pages = [
    st.Page(
        train.render,
        title="Train",
        icon=":material/model_training:",
        url_path="train",
        default=True,
    ),
    st.Page(draw.render, title="Draw", icon=":material/draw:", url_path="draw"),
    st.Page(inspect.render, title="Inspect", icon=":material/biotech:", url_path="inspect"),
    st.Page(class_page.render, title="Class", icon=":material/groups:", url_path="class"),
]
train_settings.init_from_link()
page = st.navigation(pages, position="top")
page.run()
st.session_state["page_before"] = page.url_path  # the next run knows where the student was
train_settings.sync_link()
# Last: its report reruns the script, and a rerun that cuts a first run short loses the values of
# widgets that run had drawn (the Train settings reset to their minimums).
tab.identify()  # which tab this is: a reload finds the tab's runs again
screen.finish_page()
