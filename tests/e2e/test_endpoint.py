"""The calls tapguard adds to moto for deployments: each keeps state (read what was written, delete removes)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tapguard.e2e.endpoint import DeployEndpoint


def test_efs_backup_policy_is_stored_and_read_back(endpoint: DeployEndpoint) -> None:
    efs = endpoint.client("efs", "us-west-2")
    fs = efs.create_file_system(CreationToken="t1", Encrypted=True)["FileSystemId"]
    with pytest.raises(ClientError, match="PolicyNotFound"):
        efs.describe_backup_policy(FileSystemId=fs)
    assert efs.put_backup_policy(FileSystemId=fs, BackupPolicy={"Status": "ENABLED"})["BackupPolicy"]["Status"] == "ENABLED"
    assert efs.describe_backup_policy(FileSystemId=fs)["BackupPolicy"]["Status"] == "ENABLED"
    efs.put_backup_policy(FileSystemId=fs, BackupPolicy={"Status": "DISABLED"})
    assert efs.describe_backup_policy(FileSystemId=fs)["BackupPolicy"]["Status"] == "DISABLED"
    efs.put_file_system_policy(FileSystemId=fs, Policy='{"Version": "2012-10-17", "Statement": []}')
    assert efs.describe_file_system_policy(FileSystemId=fs)["Policy"]
    efs.delete_file_system_policy(FileSystemId=fs)
    with pytest.raises(ClientError, match="PolicyNotFound"):
        efs.describe_file_system_policy(FileSystemId=fs)
    with pytest.raises(ClientError, match="FileSystemNotFound"):
        efs.put_backup_policy(FileSystemId="fs-00000000", BackupPolicy={"Status": "ENABLED"})


def test_api_gateway_client_certificate_lifecycle(endpoint: DeployEndpoint) -> None:
    api = endpoint.client("apigateway", "us-west-2")
    cert = api.generate_client_certificate(description="backend", tags={"Stack": "t"})
    cid = cert["clientCertificateId"]
    got = api.get_client_certificate(clientCertificateId=cid)
    assert got["description"] == "backend" and got["tags"] == {"Stack": "t"} and "BEGIN CERTIFICATE" in got["pemEncodedCertificate"]
    assert [c["clientCertificateId"] for c in api.get_client_certificates()["items"]] == [cid]
    api.delete_client_certificate(clientCertificateId=cid)
    with pytest.raises(ClientError, match="NotFound"):
        api.get_client_certificate(clientCertificateId=cid)


def test_elasticache_member_clusters_exist_and_delete_removes_the_group(endpoint: DeployEndpoint) -> None:
    ec = endpoint.client("elasticache", "us-west-2")
    vpc = endpoint.client("ec2", "us-west-2").create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = endpoint.client("ec2", "us-west-2").create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    ec.create_cache_subnet_group(CacheSubnetGroupName="sg-t", CacheSubnetGroupDescription="t", SubnetIds=[subnet])
    group = ec.create_replication_group(
        CacheSubnetGroupName="sg-t",
        ReplicationGroupId="redis-t",
        ReplicationGroupDescription="t",
        NumCacheClusters=3,
        CacheNodeType="cache.t4g.micro",
        Engine="redis",
    )["ReplicationGroup"]
    members = group["MemberClusters"]
    assert members  # moto models one member per node group; each must exist as a cache cluster
    for member in members:
        found = ec.describe_cache_clusters(CacheClusterId=member)["CacheClusters"][0]
        assert found["ReplicationGroupId"] == "redis-t"
    ec.delete_replication_group(ReplicationGroupId="redis-t")
    with pytest.raises(ClientError, match="ReplicationGroupNotFound"):
        ec.describe_replication_groups(ReplicationGroupId="redis-t")
    with pytest.raises(ClientError, match="CacheClusterNotFound"):
        ec.describe_cache_clusters(CacheClusterId=members[0])
    ec.delete_cache_subnet_group(CacheSubnetGroupName="sg-t")
    with pytest.raises(ClientError, match="CacheSubnetGroupNotFound"):
        ec.delete_cache_subnet_group(CacheSubnetGroupName="sg-t")


def test_aws_managed_policies_are_loaded(endpoint: DeployEndpoint) -> None:
    iam = endpoint.client("iam", "us-east-1")
    policy = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole")["Policy"]
    assert policy["PolicyName"] == "AmazonRDSEnhancedMonitoringRole"


def test_application_autoscaling_tags_follow_the_target(endpoint: DeployEndpoint) -> None:
    ecs = endpoint.client("ecs", "us-west-2")
    ecs.create_cluster(clusterName="c")
    ecs.register_task_definition(family="f", containerDefinitions=[{"name": "n", "image": "i", "memory": 128}])
    ecs.create_service(cluster="c", serviceName="s", taskDefinition="f", desiredCount=1)
    aa = endpoint.client("application-autoscaling", "us-west-2")
    arn = aa.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/c/s",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=2,
        Tags={"Stack": "t"},
    )["ScalableTargetARN"]
    assert aa.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Stack": "t"}
    aa.tag_resource(ResourceARN=arn, Tags={"Owner": "o"})
    aa.untag_resource(ResourceARN=arn, TagKeys=["Stack"])
    assert aa.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Owner": "o"}
    with pytest.raises(ClientError, match="ResourceNotFound"):
        aa.list_tags_for_resource(ResourceARN=arn + "x")


def test_kms_keeps_the_rotation_period(endpoint: DeployEndpoint) -> None:
    kms = endpoint.client("kms", "us-west-2")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is False
    kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=180)
    status = kms.get_key_rotation_status(KeyId=key)
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 180
    kms.disable_key_rotation(KeyId=key)
    assert "RotationPeriodInDays" not in kms.get_key_rotation_status(KeyId=key)


def test_cloudtrail_trail_deleted_by_its_arn(endpoint: DeployEndpoint) -> None:
    s3 = endpoint.client("s3", "us-west-2")
    s3.create_bucket(Bucket="trail-bucket-t", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    ct = endpoint.client("cloudtrail", "us-west-2")
    arn = ct.create_trail(Name="trail-t", S3BucketName="trail-bucket-t")["TrailARN"]
    ct.delete_trail(Name=arn)
    assert [t["Name"] for t in ct.describe_trails()["trailList"]] == []


def test_codedeploy_reads_back_the_alarm_configuration_it_was_given(endpoint: DeployEndpoint) -> None:
    cd = endpoint.client("codedeploy", "eu-west-1")
    cd.create_application(applicationName="app-t", computePlatform="ECS")
    alarms = {"enabled": True, "ignorePollAlarmFailure": False, "alarms": [{"name": "alarm-5xx"}, {"name": "alarm-latency"}]}
    role = "arn:aws:iam::123456789012:role/codedeploy"
    cd.create_deployment_group(applicationName="app-t", deploymentGroupName="dg-t", serviceRoleArn=role, alarmConfiguration=alarms)
    cd.create_deployment_group(applicationName="app-t", deploymentGroupName="dg-none", serviceRoleArn=role)
    got = cd.get_deployment_group(applicationName="app-t", deploymentGroupName="dg-t")["deploymentGroupInfo"]
    assert got["alarmConfiguration"] == alarms
    none = cd.get_deployment_group(applicationName="app-t", deploymentGroupName="dg-none")["deploymentGroupInfo"]
    assert none.get("alarmConfiguration", {}) == {}


def test_codedeploy_groups_and_applications_can_be_deleted(endpoint: DeployEndpoint) -> None:
    cd = endpoint.client("codedeploy", "eu-west-1")
    cd.create_application(applicationName="app-d", computePlatform="ECS")
    role = "arn:aws:iam::123456789012:role/codedeploy"
    cd.create_deployment_group(applicationName="app-d", deploymentGroupName="dg-1", serviceRoleArn=role)
    cd.create_deployment_group(applicationName="app-d", deploymentGroupName="dg-2", serviceRoleArn=role)
    assert cd.delete_deployment_group(applicationName="app-d", deploymentGroupName="dg-1")["hooksNotCleanedUp"] == []
    assert cd.list_deployment_groups(applicationName="app-d")["deploymentGroups"] == ["dg-2"]
    cd.delete_application(applicationName="app-d")
    assert "app-d" not in cd.list_applications()["applications"]
    with pytest.raises(ClientError):
        cd.get_deployment_group(applicationName="app-d", deploymentGroupName="dg-2")
