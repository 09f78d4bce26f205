"""`python -m lenet.train`: train LeNet-5 from the command line (`lenet.cli.train`)."""

from lenet.cli.common import leave
from lenet.cli.train import main

if __name__ == "__main__":
    leave(main())
