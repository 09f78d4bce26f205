"""`python -m lenet.runs`: the run store from the command line (`lenet.cli.runs`)."""

from lenet.cli.common import leave
from lenet.cli.runs import main

if __name__ == "__main__":
    leave(main())
