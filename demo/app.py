"""LeNet-5 Lab: `streamlit run demo/app.py`. Page config and navigation; nothing else."""

import sys
from pathlib import Path

# `streamlit run` puts demo/ on sys.path, not the project root that holds `demo` and `lenet`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import streamlit as st  # noqa: E402

from demo.views import draw, inspect, train  # noqa: E402

st.set_page_config(page_title="LeNet-5 Lab", page_icon=":material/neurology:", layout="wide")
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
]
st.navigation(pages).run()
