"""`python -m lenet.predict`: read digits from picture files (`lenet.cli.predict`)."""

from lenet.cli.common import leave
from lenet.cli.predict import main

if __name__ == "__main__":
    leave(main())
