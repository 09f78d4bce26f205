"""`python -m lenet.runs`: the run store from the command line (`lenet.cli.runs`)."""

import sys

from lenet.cli.runs import main

if __name__ == "__main__":
    sys.exit(main())
