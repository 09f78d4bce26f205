"""The Train page: settings, the run's buttons, the live run, its results, the timeline, step by
step and past runs.

May import: streamlit, demo.ui, demo.session, demo.training, demo.classroom, demo.models,
demo.figures, lenet.errors, lenet.config, lenet.model, lenet.data, lenet.files, lenet.explain,
lenet.timeline, lenet.training, lenet.store.
"""
