"""`python -m lenet.data`: fetch and verify MNIST (`lenet.cli.data`)."""

from lenet.cli.common import leave
from lenet.cli.data import main

if __name__ == "__main__":
    leave(main())
