"""`python -m tapguard`."""

from tapguard.cli import run

run()
