"""Checkpoint files: a self-describing dict written atomically (`checkpoint`), read by a loader
that checks the archive's sizes first (`safe_load`) and an unpickler that knows only what a
checkpoint holds (`safe_unpickle`), then checked as an MNIST LeNet-5 (`guard`). A model is also
written as an ONNX file (`onnx_model`), for other runtimes.

May import: lenet, lenet.errors, lenet.config, lenet.model, lenet.data.
"""
