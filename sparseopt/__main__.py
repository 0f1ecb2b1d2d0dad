"""Entry point of ``python -m sparseopt``."""

import sys

from sparseopt.cli import main

if __name__ == "__main__":
    sys.exit(main())
