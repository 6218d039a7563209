"""A deployed state loads as a plan with every value known, and is compared with the plan it came from."""

from __future__ import annotations

from tapguard.e2e import state
from tapguard.e2e.endpoint import DeployEndpoint


def test_state_loads_as_a_plan_with_every_value_known(endpoint: DeployEndpoint) -> None:
    plan = {"format_version": "1.2", "resource_changes": [], "configuration": {"root_module": {}}}
    deployed = {
        "format_version": "1.0",
        "values": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_kms_key.k",
                        "mode": "managed",
                        "type": "aws_kms_key",
                        "name": "k",
                        "values": {"enable_key_rotation": True},
                    }
                ],
                "child_modules": [
                    {
                        "address": "module.m",
                        "resources": [
                            {"address": "module.m.aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket", "name": "b", "values": {}}
                        ],
                    }
                ],
            }
        },
    }
    loaded = state.load(deployed, plan, "t")
    assert sorted(r.address for r in loaded.resources) == ["aws_kms_key.k", "module.m.aws_s3_bucket.b"]
    key = loaded.by_address["aws_kms_key.k"]
    assert key.get("enable_key_rotation") is True and not key.is_unknown("enable_key_rotation")
    assert loaded.by_address["module.m.aws_s3_bucket.b"].module == "module.m"
