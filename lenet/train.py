"""`python -m lenet.train`: train LeNet-5 from the command line (`lenet.cli.train`)."""

import sys

from lenet.cli.train import main

if __name__ == "__main__":
    sys.exit(main())
