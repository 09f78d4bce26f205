"""`python -m lenet.timeline`: a checkpoint's training timeline (`lenet.cli.timeline`)."""

import sys

from lenet.cli.timeline import main

if __name__ == "__main__":
    sys.exit(main())
