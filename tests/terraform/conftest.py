"""Module tests with recorded deployments (pytest-terraform): a fixture root per module under tests/terraform/<module>/.

Replayed by default (the recording `tf_resources.json` beside each root; no terraform, no endpoint). Recorded with
TAPGUARD_TF_RECORD=1 (`nox -s e2e` and the nightly workflow): each root is applied against the embedded endpoint,
its state recorded, then destroyed; `module.sha256` beside it binds the recording to the module's *.tf files.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
RECORD = os.environ.get("TAPGUARD_TF_RECORD") == "1"
RECORD_COMMAND = "TAPGUARD_TF_RECORD=1 pytest -p no:cacheprovider tests/terraform (nox -s e2e records them)"


def module_hash(module: str) -> str:
    """sha256 over the module's *.tf files and its fixture root, by name and content."""
    digest = hashlib.sha256()
    for path in [*sorted((ROOT / "modules" / module).glob("*.tf")), HERE / module / "main.tf"]:
        digest.update(f"{path.relative_to(ROOT)}\0".encode())
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def stamp(module: str) -> None:
    """After a recording: bind it to the module as it is now."""
    if RECORD:
        (HERE / module / "module.sha256").write_text(json.dumps({"module": module, "sha256": module_hash(module)}) + "\n")


@pytest.fixture(scope="session", autouse=True)
def _embedded_endpoint() -> Iterator[None]:
    """Recording only: the embedded endpoint and tapguard's terraform CLI config (provider mirror) for every root."""
    if not RECORD:
        yield
        return
    from pytest_terraform import tf

    from tapguard.e2e.endpoint import DeployEndpoint
    from tapguard.planning import project, toolchain

    tools = toolchain.discover(project.state_dir(ROOT))
    tf.LazyTfBin.value = str(tools.binary.path)
    endpoint = DeployEndpoint()
    endpoint.start()
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {**tools.env(), **endpoint.env()}.items():
            mp.setenv(key, value)
        try:
            yield
        finally:
            endpoint.stop()
