"""`python -m lenet.export CHECKPOINT --onnx OUT`: a checkpoint as an ONNX file
(`lenet.cli.export`)."""

from lenet.cli.common import leave
from lenet.cli.export import main

if __name__ == "__main__":
    leave(main())
