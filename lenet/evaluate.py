"""`python -m lenet.evaluate`: a checkpoint's accuracy on a split (`lenet.cli.evaluate`)."""

import sys

from lenet.cli.evaluate import main

if __name__ == "__main__":
    sys.exit(main())
