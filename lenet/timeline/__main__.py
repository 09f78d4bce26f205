"""`python -m lenet.timeline`: a checkpoint's training timeline (`lenet.cli.timeline`)."""

from lenet.cli.common import leave
from lenet.cli.timeline import main

if __name__ == "__main__":
    leave(main())
