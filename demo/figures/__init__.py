"""Every figure the pages show, built from plain data: Plotly charts (`charts`, `train_charts`,
`class_charts`, `inspect_charts`, `embedding_chart`, `network_figures`, `slide_figure`), pictures
(`inside`, `timeline_images`) and HTML (`network_overview`, `class_table`). No Streamlit here, so
each is tested as data.

May import: demo.ui, demo.classroom, lenet.config, lenet.model, lenet.data, lenet.explain,
lenet.timeline, lenet.training.
"""
