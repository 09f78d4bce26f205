"""`python -m lenet.predict`: read digits from picture files (`lenet.cli.predict`)."""

import sys

from lenet.cli.predict import main

if __name__ == "__main__":
    sys.exit(main())
