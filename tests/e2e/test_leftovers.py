"""The leftovers proof names what a destroy left behind, per service, by the stack's tag (CodeDeploy and SSM here)."""

from __future__ import annotations

from tapguard.e2e.endpoint import DeployEndpoint
from tapguard.e2e.leftovers import prove_empty

TAG = ("Stack", "eu-west-1-t")


def test_codedeploy_and_ssm_leftovers_are_named_then_gone(endpoint: DeployEndpoint) -> None:
    def client(service: str) -> object:
        return endpoint.client(service, "eu-west-1")

    cd, ssm = endpoint.client("codedeploy", "eu-west-1"), endpoint.client("ssm", "eu-west-1")
    cd.create_application(applicationName="app-l", computePlatform="ECS", tags=[{"Key": TAG[0], "Value": TAG[1]}])
    for i in range(12):  # more than one page of DescribeParameters
        ssm.put_parameter(Name=f"/t/p{i}", Value="v", Type="String", Tags=[{"Key": TAG[0], "Value": TAG[1]}] if i == 11 else [])
    proof = prove_empty(client, TAG, [], ["codedeploy", "ssm"])
    found = {(x["service"], x["id"]) for x in proof.leftovers}
    assert found == {("codedeploy", "app-l"), ("ssm", "/t/p11")} and not proof.not_listed and not proof.clean
    cd.delete_application(applicationName="app-l")
    ssm.delete_parameter(Name="/t/p11")
    assert prove_empty(client, TAG, [], ["codedeploy", "ssm"]).clean


def test_a_tagged_resource_left_behind_is_found_by_name(endpoint: DeployEndpoint) -> None:
    logs = endpoint.client("logs", "us-west-2")
    logs.create_log_group(logGroupName="/left/behind", tags={"Stack": "us-west-2"})
    proof = prove_empty(lambda s: endpoint.client(s, "us-west-2"), ("Stack", "us-west-2"), [], ["logs", "lambda"])
    assert not proof.clean
    assert proof.leftovers == [{"service": "logs", "kind": "log group", "id": "/left/behind"}]
