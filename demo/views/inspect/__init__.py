"""The Inspect page: what each layer does with one digit, the filters, why this answer, and all
the test digits (its four questions).

May import: streamlit, demo.ui, demo.session, demo.training, demo.models, demo.figures,
demo.views.draw, demo.views.train, lenet.config, lenet.model, lenet.data, lenet.explain,
lenet.training.
"""
