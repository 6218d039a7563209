"""A real `tapguard drill --target aws` in a process of its own, for the interrupt tests.

The control plane is the moto endpoint of the parent's test session (FailoverDBCluster flips the
writer for real there); only the database the probe writes to is in memory, since the endpoint
serves no PostgreSQL. argv: out-dir cluster-id [cluster-id...]; one drill per cluster, in order.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import boto3

from tapguard.cli import main
from tapguard.drill.probe import Writer
from tapguard.drill.targets import build
from tapguard.drill.targets.aws import AwsAurora


class Accepting(Writer):
    """A database that acknowledges every write in 1 ms and keeps it."""

    def __init__(self, kept: set[int]) -> None:
        self.kept = kept

    def write(self, seq: int) -> tuple[int, int]:
        time.sleep(0.001)
        self.kept.add(seq)
        return 1, -1


class InMemoryAurora(AwsAurora):
    """An Aurora cluster on the endpoint whose writer keeps its rows in this process."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kept: set[int] = set()

    def prepare(self) -> None:
        """Nothing to create: the rows live in memory (the rotate fault is not used here)."""

    def writer_factory(self, run: str) -> Callable[[], Writer]:
        return lambda: Accepting(self.kept)

    def readback(self, run: str, acked: set[int]) -> set[int]:
        return self.kept & acked


def run() -> int:
    out, clusters = sys.argv[1], sys.argv[2:]
    session = boto3.Session(region_name="us-west-2")
    build.build_targets = lambda params: [InMemoryAurora(session, cluster, wait_delay=1) for cluster in clusters]
    argv = ["drill", "--target", "aws", "--component", "aurora", "--cluster-id", clusters[0], "--confirm", clusters[0]]
    argv += ["--rate", "1200", "--connections", "2", "--steady-seconds", "1", "--settle-seconds", "1", "--out", out]
    return main(argv)


if __name__ == "__main__":
    sys.exit(run())
