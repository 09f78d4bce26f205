"""Looks inside a trained LeNet-5: every activation (`features`), one cell by hand (`cells`),
attributions (`attributions`), what a filter wants to see (`dreams`), the fc2 embedding
(`embedding`), "does this look like a digit" (`familiar`), filter surgery (`surgery`) and
robustness probes (`probes`). Each works on a model it is given and never trains.

May import: lenet.errors, lenet.config, lenet.model, lenet.data.
"""
