"""`python -m tapguard`."""

import sys

from tapguard.cli import main

sys.exit(main())
