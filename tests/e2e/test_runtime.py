"""Runtime checks ask the deployed endpoint what a plan cannot show, and fail when it says no."""

from __future__ import annotations

from tapguard.controls import FAIL
from tapguard.e2e import runtime
from tapguard.e2e.endpoint import DeployEndpoint


def test_runtime_checks_fail_on_a_key_without_rotation(endpoint: DeployEndpoint) -> None:
    kms = endpoint.client("kms", "us-west-2")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    deployed = {
        "values": {
            "root_module": {
                "resources": [
                    {"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k", "values": {"key_id": key}}
                ]
            }
        }
    }
    found = runtime.Checker("t", deployed, lambda s: endpoint.client(s, "us-west-2")).run()
    rotation = next(f for f in found if f.attribute == "KeyRotationEnabled")
    assert rotation.status == FAIL and rotation.address == "aws_kms_key.k"
