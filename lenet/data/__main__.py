"""`python -m lenet.data`: fetch and verify MNIST (`lenet.cli.data`)."""

import sys

from lenet.cli.data import main

if __name__ == "__main__":
    sys.exit(main())
