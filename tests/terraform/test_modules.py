"""Each module's deployed contract (outputs, encryption, tags, names), read from its recorded deployment."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pytest_terraform import terraform

from tests.terraform.conftest import HERE, RECORD, RECORD_COMMAND, module_hash, stamp

MODULES = ("kms", "kinesis", "network")

for _module in MODULES:
    terraform(_module, replay=not RECORD)


def outputs(recorded: Any) -> dict[str, Any]:
    return {k: v["value"] for k, v in recorded.outputs.items()}


@pytest.mark.parametrize("module", MODULES)
def test_the_recording_matches_the_module(module: str) -> None:
    stored = HERE / module / "module.sha256"
    assert (HERE / module / "tf_resources.json").is_file() and stored.is_file(), f"modules/{module} has no recording: {RECORD_COMMAND}"
    recorded = json.loads(stored.read_text())["sha256"]
    assert recorded == module_hash(module), f"the recording of modules/{module} is stale (its *.tf changed): {RECORD_COMMAND}"


def test_kms_keys_rotate_under_their_aliases(kms: Any) -> None:
    stamp("kms")
    out = outputs(kms)
    assert sorted(out["key_arns"]) == ["data", "logs"]
    assert out["alias_names"] == {"data": "alias/kms-data-tfmod", "logs": "alias/kms-logs-tfmod"}
    assert all(arn.startswith("arn:aws:kms:us-west-2:") for arn in out["key_arns"].values())
    assert out["data_key"] == {"enabled": True, "key_manager": "CUSTOMER", "key_usage": "ENCRYPT_DECRYPT", "multi_az": False}
    key = kms.resources["aws_kms_key"]["this"]
    assert key["enable_key_rotation"] is True and key["deletion_window_in_days"] == 7
    assert key["tags_all"]["Stack"] == "tf-module-kms"
    assert '"kms:ViaService"' in key["policy"] or "kms:ViaService" in key["policy"]


def test_kinesis_streams_are_encrypted_with_the_given_key(kinesis: Any) -> None:
    stamp("kinesis")
    out = outputs(kinesis)
    assert out["stream_names"] == {"ingest": "kinesis-ingest-tfmod", "settled": "kinesis-settled-tfmod"}
    assert out["ingest"]["encryption_type"] == "KMS" and out["ingest"]["kms_key_id"] == out["key_arn"]
    assert out["ingest"]["shards"] == out["shard_count"] >= 1
    assert out["ingest"]["retention_period"] == 168
    stream = kinesis.resources["aws_kinesis_stream"]["this"]
    # moto 5.2 reads a stream's tags back empty: the tags are asserted on the plan (NM1, the stacks' default_tags)
    assert stream["encryption_type"] == "KMS" and stream["name"] == "kinesis-ingest-tfmod" and stream["stream_mode_details"]


def test_network_private_subnets_span_the_zones_without_public_ips(network: Any) -> None:
    stamp("network")
    out = outputs(network)
    assert out["vpc"]["cidr"] == "10.42.0.0/16" and out["vpc"]["name"].startswith("vpc-") and out["vpc"]["name"].endswith("-tfmod")
    assert out["vpc"]["tags"]["Stack"] == "tf-module-network"
    assert sorted(s["az"] for s in out["private_subnets"]) == ["us-west-2a", "us-west-2b"]
    assert not any(s["public_ip_on_launch"] for s in out["private_subnets"])
    assert len(out["public_subnet_ids"]) == 2 and sorted(out["nat_gateway_ids"]) == ["us-west-2a", "us-west-2b"]
    # the account-wide role name carries the region (issue 20)
    assert out["flow_role"] == "role-vpcflow-us-west-2-tfmod"
    flow_log = network.resources["aws_flow_log"]["this"]
    assert flow_log["traffic_type"] == "ALL"
