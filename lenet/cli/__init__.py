"""The command-line tools behind `python -m lenet.train|evaluate|predict|runs|timeline|data`:
one module each, with the shared one-line errors (`common`) and a command-line run's row in the
store (`recording`). Only the thin entry modules import this room.

May import: lenet.errors, lenet.config, lenet.model, lenet.terminal, lenet.reading, lenet.data,
lenet.files, lenet.timeline, lenet.training, lenet.store.
"""
