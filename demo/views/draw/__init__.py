"""The Draw page: draw a digit or take a test digit, and watch the network read it.

May import: streamlit, demo.ui, demo.training, demo.models, demo.figures, lenet.data,
lenet.explain, lenet.reading.
"""
