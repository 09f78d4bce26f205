"""`python -m lenet.evaluate`: a checkpoint's accuracy on a split (`lenet.cli.evaluate`)."""

from lenet.cli.common import leave
from lenet.cli.evaluate import main

if __name__ == "__main__":
    leave(main())
