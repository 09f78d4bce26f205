"""The Draw page: draw a digit or take a test digit, and watch the network read it; label a
drawing for the class's own set of digits (`label`, kept in the run store).

May import: streamlit, demo.ui, demo.session, demo.training, demo.models, demo.figures,
lenet.data, lenet.explain, lenet.reading, lenet.store.
"""
