"""The four pages, one package each with a `render()` in its `page` module: `train`, `draw`,
`inspect` and `class_page` (not `pages/`: Streamlit treats a `pages/` folder beside the script as
pages of its own).
"""
