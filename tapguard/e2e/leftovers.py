"""After destroy: ask every service the stacks use for what is still there, and keep what carries
the stack's tag. This is the proof of "fully destroyable": the state is empty AND the endpoint
holds nothing tagged with the stack. A list call the endpoint cannot answer is reported as not
listed (with the error), never counted as empty.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

Item = tuple[str, str, dict[str, str]]  # kind, id, tags
Lister = Callable[[Callable[[str], Any]], Iterator[Item]]


def _tags(pairs: Any, key: str = "Key", value: str = "Value") -> dict[str, str]:
    if isinstance(pairs, dict):
        return {str(k): str(v) for k, v in pairs.items()}
    return {str(p[key]): str(p.get(value, "")) for p in pairs or [] if key in p}


def _ec2(client: Callable[[str], Any]) -> Iterator[Item]:
    ec2 = client("ec2")
    for v in ec2.describe_vpcs()["Vpcs"]:
        yield "vpc", v["VpcId"], _tags(v.get("Tags"))
    for s in ec2.describe_subnets()["Subnets"]:
        yield "subnet", s["SubnetId"], _tags(s.get("Tags"))
    for g in ec2.describe_security_groups()["SecurityGroups"]:
        yield "security group", g["GroupId"], _tags(g.get("Tags"))
    for n in ec2.describe_nat_gateways()["NatGateways"]:
        if n.get("State") not in ("deleted", "deleting"):
            yield "nat gateway", n["NatGatewayId"], _tags(n.get("Tags"))
    for a in ec2.describe_addresses()["Addresses"]:
        yield "elastic ip", a.get("AllocationId", a.get("PublicIp", "?")), _tags(a.get("Tags"))
    for i in ec2.describe_internet_gateways()["InternetGateways"]:
        yield "internet gateway", i["InternetGatewayId"], _tags(i.get("Tags"))
    for r in ec2.describe_route_tables()["RouteTables"]:
        yield "route table", r["RouteTableId"], _tags(r.get("Tags"))
    for f in ec2.describe_flow_logs()["FlowLogs"]:
        yield "flow log", f["FlowLogId"], _tags(f.get("Tags"))
    for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]:
        yield "vpc endpoint", e["VpcEndpointId"], _tags(e.get("Tags"))


def _rds(client: Callable[[str], Any]) -> Iterator[Item]:
    rds = client("rds")
    for c in rds.describe_db_clusters()["DBClusters"]:
        yield "aurora cluster", c["DBClusterIdentifier"], _tags(c.get("TagList"))
    for i in rds.describe_db_instances()["DBInstances"]:
        yield "db instance", i["DBInstanceIdentifier"], _tags(i.get("TagList"))
    for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]:
        yield "db subnet group", g["DBSubnetGroupName"], _tags(rds.list_tags_for_resource(ResourceName=g["DBSubnetGroupArn"])["TagList"])
    for p in rds.describe_db_cluster_parameter_groups()["DBClusterParameterGroups"]:
        if not p["DBClusterParameterGroupName"].startswith("default."):
            arn = p["DBClusterParameterGroupArn"]
            yield (
                "cluster parameter group",
                p["DBClusterParameterGroupName"],
                _tags(rds.list_tags_for_resource(ResourceName=arn)["TagList"]),
            )


def _elasticache(client: Callable[[str], Any]) -> Iterator[Item]:
    ec = client("elasticache")
    for g in ec.describe_replication_groups()["ReplicationGroups"]:
        yield "replication group", g["ReplicationGroupId"], _tags(ec.list_tags_for_resource(ResourceName=g["ARN"])["TagList"])
    for s in ec.describe_cache_subnet_groups()["CacheSubnetGroups"]:
        if s["CacheSubnetGroupName"] != "default":
            yield "cache subnet group", s["CacheSubnetGroupName"], _tags(ec.list_tags_for_resource(ResourceName=s["ARN"])["TagList"])


def _efs(client: Callable[[str], Any]) -> Iterator[Item]:
    efs = client("efs")
    for f in efs.describe_file_systems()["FileSystems"]:
        yield "file system", f["FileSystemId"], _tags(f.get("Tags"))
    for a in efs.describe_access_points()["AccessPoints"]:
        yield "access point", a["AccessPointId"], _tags(a.get("Tags"))


def _kms(client: Callable[[str], Any]) -> Iterator[Item]:
    kms = client("kms")
    for k in kms.list_keys()["Keys"]:
        meta = kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]
        if meta.get("KeyState") in ("PendingDeletion", "PendingReplicaDeletion"):
            continue  # destroyed: a key cannot be deleted at once, only scheduled (7 days here)
        yield "kms key", k["KeyId"], _tags(kms.list_resource_tags(KeyId=k["KeyId"])["Tags"], "TagKey", "TagValue")


def _secrets(client: Callable[[str], Any]) -> Iterator[Item]:
    for s in client("secretsmanager").list_secrets()["SecretList"]:
        yield "secret", s["Name"], _tags(s.get("Tags"))


def _lambda(client: Callable[[str], Any]) -> Iterator[Item]:
    fn = client("lambda")
    for f in fn.list_functions()["Functions"]:
        yield "lambda function", f["FunctionName"], _tags(fn.list_tags(Resource=f["FunctionArn"]).get("Tags"))


def _iam(client: Callable[[str], Any]) -> Iterator[Item]:
    iam = client("iam")
    for r in iam.list_roles()["Roles"]:
        if not r["Path"].startswith("/aws-service-role/"):
            yield "iam role", r["RoleName"], _tags(iam.list_role_tags(RoleName=r["RoleName"])["Tags"])
    for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
        tags = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=p["Arn"])["Tags"]
        yield "oidc provider", p["Arn"], _tags(tags)
    for p in iam.list_policies(Scope="Local")["Policies"]:
        yield "iam policy", p["PolicyName"], _tags(iam.list_policy_tags(PolicyArn=p["Arn"])["Tags"])


def _logs(client: Callable[[str], Any]) -> Iterator[Item]:
    logs = client("logs")
    for g in logs.describe_log_groups()["logGroups"]:
        yield "log group", g["logGroupName"], _tags(logs.list_tags_log_group(logGroupName=g["logGroupName"]).get("tags"))


def _events(client: Callable[[str], Any]) -> Iterator[Item]:
    ev = client("events")
    for r in ev.list_rules()["Rules"]:
        yield "event rule", r["Name"], _tags(ev.list_tags_for_resource(ResourceARN=r["Arn"])["Tags"])


def _sns(client: Callable[[str], Any]) -> Iterator[Item]:
    sns = client("sns")
    for t in sns.list_topics()["Topics"]:
        yield "sns topic", t["TopicArn"], _tags(sns.list_tags_for_resource(ResourceArn=t["TopicArn"])["Tags"])


def _cloudtrail(client: Callable[[str], Any]) -> Iterator[Item]:
    ct = client("cloudtrail")
    for t in ct.describe_trails()["trailList"]:
        found = ct.list_tags(ResourceIdList=[t["TrailARN"]])["ResourceTagList"]
        yield "trail", t["Name"], _tags(found[0].get("TagsList") if found else [])


def _s3(client: Callable[[str], Any]) -> Iterator[Item]:
    s3 = client("s3")
    for b in s3.list_buckets()["Buckets"]:
        try:
            tags = s3.get_bucket_tagging(Bucket=b["Name"])["TagSet"]
        except s3.exceptions.ClientError:
            tags = []  # NoSuchTagSet
        yield "s3 bucket", b["Name"], _tags(tags)


def _ecs(client: Callable[[str], Any]) -> Iterator[Item]:
    ecs = client("ecs")
    arns = ecs.list_clusters()["clusterArns"]
    for c in ecs.describe_clusters(clusters=arns, include=["TAGS"])["clusters"] if arns else []:
        if c.get("status") == "ACTIVE":
            yield "ecs cluster", c["clusterName"], _tags(c.get("tags"), "key", "value")
    for arn in ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"]:
        yield (
            "task definition",
            arn.rsplit("/", 1)[-1],
            _tags(ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"]).get("tags"), "key", "value"),
        )


def _elbv2(client: Callable[[str], Any]) -> Iterator[Item]:
    elb = client("elbv2")
    for lb in elb.describe_load_balancers()["LoadBalancers"]:
        found = elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"]
        yield "load balancer", lb["LoadBalancerName"], _tags(found[0]["Tags"] if found else [])
    for tg in elb.describe_target_groups()["TargetGroups"]:
        found = elb.describe_tags(ResourceArns=[tg["TargetGroupArn"]])["TagDescriptions"]
        yield "target group", tg["TargetGroupName"], _tags(found[0]["Tags"] if found else [])


def _apigateway(client: Callable[[str], Any]) -> Iterator[Item]:
    for api in client("apigateway").get_rest_apis()["items"]:
        yield "rest api", api["name"], _tags(api.get("tags"))


def _wafv2(client: Callable[[str], Any]) -> Iterator[Item]:
    waf = client("wafv2")
    for acl in waf.list_web_acls(Scope="REGIONAL")["WebACLs"]:
        info = waf.list_tags_for_resource(ResourceARN=acl["ARN"]).get("TagInfoForResource", {})
        yield "web acl", acl["Name"], _tags(info.get("TagList"))


def _kinesis(client: Callable[[str], Any]) -> Iterator[Item]:
    kin = client("kinesis")
    for name in kin.list_streams()["StreamNames"]:
        yield "kinesis stream", name, _tags(kin.list_tags_for_stream(StreamName=name)["Tags"])


def _cloudwatch(client: Callable[[str], Any]) -> Iterator[Item]:
    cw = client("cloudwatch")
    for a in cw.describe_alarms()["MetricAlarms"]:
        yield "alarm", a["AlarmName"], _tags(cw.list_tags_for_resource(ResourceARN=a["AlarmArn"])["Tags"])


def _fis(client: Callable[[str], Any]) -> Iterator[Item]:
    for t in client("fis").list_experiment_templates()["experimentTemplates"]:
        yield "fis template", t["id"], _tags(t.get("tags"))


def _guardduty(client: Callable[[str], Any]) -> Iterator[Item]:
    gd = client("guardduty")
    for d in gd.list_detectors()["DetectorIds"]:
        yield "guardduty detector", d, _tags(gd.get_detector(DetectorId=d).get("Tags"))


def _codedeploy(client: Callable[[str], Any]) -> Iterator[Item]:
    cd = client("codedeploy")
    account = client("sts").get_caller_identity()["Account"]
    for name in cd.list_applications()["applications"]:
        arn = f"arn:aws:codedeploy:{cd.meta.region_name}:{account}:application:{name}"
        yield "codedeploy application", name, _tags(cd.list_tags_for_resource(ResourceArn=arn).get("Tags"))
        for group in cd.list_deployment_groups(applicationName=name)["deploymentGroups"]:
            group_arn = f"arn:aws:codedeploy:{cd.meta.region_name}:{account}:deploymentgroup:{name}/{group}"
            yield "codedeploy deployment group", f"{name}/{group}", _tags(cd.list_tags_for_resource(ResourceArn=group_arn).get("Tags"))


def _ssm(client: Callable[[str], Any]) -> Iterator[Item]:
    ssm = client("ssm")
    for page in ssm.get_paginator("describe_parameters").paginate():
        yield from _ssm_page(ssm, page)


def _ssm_page(ssm: Any, page: dict[str, Any]) -> Iterator[Item]:
    for p in page["Parameters"]:
        tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=p["Name"])["TagList"]
        yield "ssm parameter", p["Name"], _tags(tags)


LISTERS: dict[str, Lister] = {
    "ec2": _ec2,
    "rds": _rds,
    "elasticache": _elasticache,
    "efs": _efs,
    "kms": _kms,
    "secretsmanager": _secrets,
    "lambda": _lambda,
    "iam": _iam,
    "logs": _logs,
    "events": _events,
    "sns": _sns,
    "cloudtrail": _cloudtrail,
    "s3": _s3,
    "ecs": _ecs,
    "elbv2": _elbv2,
    "apigateway": _apigateway,
    "wafv2": _wafv2,
    "kinesis": _kinesis,
    "cloudwatch": _cloudwatch,
    "fis": _fis,
    "guardduty": _guardduty,
    "codedeploy": _codedeploy,
    "ssm": _ssm,
}


# kind -> the AWS CLI command that removes one leftover of that kind (`{id}` quoted for a POSIX shell): what terraform
# destroy cannot remove because it never reached the state (a create the provider retried after the endpoint had done it)
REMOVE = {
    "vpc": "aws ec2 delete-vpc --vpc-id {id}",
    "subnet": "aws ec2 delete-subnet --subnet-id {id}",
    "security group": "aws ec2 delete-security-group --group-id {id}",
    "nat gateway": "aws ec2 delete-nat-gateway --nat-gateway-id {id}",
    "elastic ip": "aws ec2 release-address --allocation-id {id}",
    "internet gateway": "aws ec2 delete-internet-gateway --internet-gateway-id {id}",
    "route table": "aws ec2 delete-route-table --route-table-id {id}",
    "flow log": "aws ec2 delete-flow-logs --flow-log-ids {id}",
    "vpc endpoint": "aws ec2 delete-vpc-endpoints --vpc-endpoint-ids {id}",
    "aurora cluster": "aws rds delete-db-cluster --db-cluster-identifier {id} --skip-final-snapshot",
    "db instance": "aws rds delete-db-instance --db-instance-identifier {id} --skip-final-snapshot",
    "db subnet group": "aws rds delete-db-subnet-group --db-subnet-group-name {id}",
    "replication group": "aws elasticache delete-replication-group --replication-group-id {id}",
    "cache subnet group": "aws elasticache delete-cache-subnet-group --cache-subnet-group-name {id}",
    "file system": "aws efs delete-file-system --file-system-id {id}",
    "access point": "aws efs delete-access-point --access-point-id {id}",
    "kms key": "aws kms schedule-key-deletion --key-id {id} --pending-window-in-days 7",
    "secret": "aws secretsmanager delete-secret --secret-id {id} --force-delete-without-recovery",
    "lambda function": "aws lambda delete-function --function-name {id}",
    "iam role": "aws iam delete-role --role-name {id} (after its inline and attached policies)",
    "oidc provider": "aws iam delete-open-id-connect-provider --open-id-connect-provider-arn {id}",
    "iam policy": "aws iam delete-policy --policy-arn <the ARN of policy {id}>",
    "log group": "aws logs delete-log-group --log-group-name {id}",
    "event rule": "aws events delete-rule --name {id} (after its targets)",
    "sns topic": "aws sns delete-topic --topic-arn {id}",
    "trail": "aws cloudtrail delete-trail --name {id}",
    "s3 bucket": "aws s3 rb s3://{id} --force",
    "ecs cluster": "aws ecs delete-cluster --cluster {id}",
    "load balancer": "aws elbv2 delete-load-balancer --load-balancer-arn <the ARN of {id}>",
    "target group": "aws elbv2 delete-target-group --target-group-arn <the ARN of {id}>",
    "rest api": "aws apigateway delete-rest-api --rest-api-id <the id of {id}>",
    "web acl": "aws wafv2 delete-web-acl --name {id} --scope REGIONAL --id <its id> --lock-token <its lock token>",
    "kinesis stream": "aws kinesis delete-stream --stream-name {id}",
    "alarm": "aws cloudwatch delete-alarms --alarm-names {id}",
    "fis template": "aws fis delete-experiment-template --id {id}",
    "guardduty detector": "aws guardduty delete-detector --detector-id {id}",
    "codedeploy application": "aws deploy delete-application --application-name {id}",
    "codedeploy deployment group": "aws deploy delete-deployment-group --application-name <app> --deployment-group-name <group> (of {id})",
    "ssm parameter": "aws ssm delete-parameter --name {id}",
}


def remove_command(leftover: dict[str, str], region: str) -> str:
    """The command that removes one leftover terraform no longer knows of, in its region."""
    template = REMOVE.get(leftover["kind"], f"aws {leftover['service']} <delete the {leftover['kind']}> {{id}}")
    return f"{template.format(id=shlex.quote(leftover['id']))} --region {shlex.quote(region)}"


@dataclass
class Proof:
    """What each service holds that carries the stack's tag, after destroy."""

    tag: tuple[str, str]
    state_addresses: list[str] = field(default_factory=list)
    listed: dict[str, int] = field(default_factory=dict)  # service -> items seen
    leftovers: list[dict[str, str]] = field(default_factory=list)
    not_listed: dict[str, str] = field(default_factory=dict)  # service -> why the endpoint could not answer

    @property
    def clean(self) -> bool:
        return not self.state_addresses and not self.leftovers and not self.not_listed

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "clean": self.clean}


def prove_empty(client: Callable[[str], Any], tag: tuple[str, str], state_addresses: list[str], services: list[str] | None = None) -> Proof:
    proof = Proof(tag, list(state_addresses))
    key, value = tag
    for service in services or list(LISTERS):
        seen = 0
        try:
            for kind, ident, tags in LISTERS[service](client):
                seen += 1
                if tags.get(key) == value:
                    proof.leftovers.append({"service": service, "kind": kind, "id": ident})
        except Exception as exc:  # an unanswered list call is not an empty one
            proof.not_listed[service] = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        proof.listed[service] = seen
    return proof
