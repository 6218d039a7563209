"""One deployment endpoint per test module (moto with tapguard's additions), always stopped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tapguard.e2e.endpoint import DeployEndpoint


@pytest.fixture(scope="module")
def endpoint() -> Iterator[DeployEndpoint]:
    ep = DeployEndpoint()
    ep.start()
    try:
        yield ep
    finally:
        ep.stop()
