"""``python -m hardencheck`` runs the same CLI as the console script."""

import sys

from hardencheck.cli import main

sys.exit(main())
