"""A run's training timeline: its weights at chosen steps, taken while it trains (`snapshots`),
kept in a checkpoint (`file`) and drawn as a GIF for slides (`gif`). `python -m lenet.timeline`
shows and exports one.

May import: lenet.errors, lenet.config, lenet.model, lenet.data, lenet.files, lenet.explain.
"""
