"""The embedded endpoint for deployments: moto server, plus the few calls the stacks make that
moto 5.2 does not answer. Run as `python -m tapguard.e2e.endpoint -H 127.0.0.1 -p PORT`.

moto has no plugin interface for operations it lacks, so each one is added here to moto's own
response and backend classes before the server starts; each keeps real state (a later read
returns what was written, a delete removes it) and is tested in tests/test_e2e_endpoint.py.
The e2e report lists every resource deployed through one of them (EXTENDED).

  efs PutBackupPolicy                 moto only has DescribeBackupPolicy: the provider waited forever
  efs DeleteFileSystemPolicy          not in moto: destroy waited forever on the file system policy
  apigateway Generate/Get/DeleteClientCertificate
                                      not in moto: the stage's backend certificate (PCI DSS 4.2.1) could not exist
  elasticache member clusters         moto names a replication group's member clusters but never creates
                                      them, and DeleteReplicationGroup leaves the group "deleting" forever
  elasticache DeleteCacheSubnetGroup  not in moto: destroy waited forever on the subnet group
  application-autoscaling tags        moto lacks ListTagsForResource: the scalable target waited forever
  cloudtrail DeleteTrail by ARN       moto deletes by name only and keeps the trail when given its ARN (found by
                                      the leftovers proof: destroy succeeded, the trail stayed)
  cloudtrail DescribeTrails names     moto ignores trailNameList: with both stacks in one endpoint, reading one
                                      multi-region trail found two (issue 20's first one-account run)
  kms RotationPeriodInDays            moto ignores it (EnableKeyRotation) and omits it (GetKeyRotationStatus):
                                      the deployed keys read back a cryptoperiod of 0 days
  codedeploy alarmConfiguration       moto keeps a deployment group's alarm configuration but answers {} (a
                                      TODO in moto 5.2): the deployed blue/green groups read back with no alarm
                                      stopping a bad deployment (B2), found by the first eu-west-1 e2e run
  codedeploy DeleteDeploymentGroup, DeleteApplication
                                      not in moto: the first eu-west-1 destroy waited 10 min on the group

AWS managed policies (AmazonRDSEnhancedMonitoringRole, ...) are moto's own, switched on with its
documented setting MOTO_IAM_LOAD_MANAGED_POLICIES=true.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import sys
from typing import Any

from tapguard.planning.localaws import LocalAWS

# resource type -> the calls tapguard adds for it (for the report)
EXTENDED = {
    "aws_efs_backup_policy": "efs:PutBackupPolicy answered by tapguard's endpoint extension (moto lacks it)",
    "aws_efs_file_system_policy": "efs:DeleteFileSystemPolicy answered by tapguard's endpoint extension (destroy waited forever)",
    "aws_api_gateway_client_certificate": "apigateway:Generate/Get/DeleteClientCertificate answered by tapguard's endpoint extension",
    "aws_elasticache_replication_group": "member cache clusters created, and the group deleted, by tapguard's endpoint extension",
    "aws_elasticache_subnet_group": "elasticache:DeleteCacheSubnetGroup answered by tapguard's endpoint extension (destroy waited forever)",
    "aws_appautoscaling_target": "application-autoscaling tags (List/Tag/UntagResource) answered by tapguard's endpoint extension",
    "aws_cloudtrail": "cloudtrail:DeleteTrail by ARN answered by tapguard's endpoint extension (moto kept the trail)",
    "aws_kms_key": "kms RotationPeriodInDays (EnableKeyRotation, GetKeyRotationStatus) kept by tapguard's endpoint extension",
    "aws_codedeploy_deployment_group": "codedeploy alarmConfiguration read back, DeleteDeploymentGroup answered (tapguard's extension)",
    "aws_codedeploy_app": "codedeploy:DeleteApplication answered by tapguard's endpoint extension (moto lacks it)",
}
MANAGED_POLICIES_ENV = {"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}


def _patch(cls: Any, name: str, fn: Any) -> None:
    setattr(cls, name, fn)


def _efs() -> None:
    from moto.efs import models, responses
    from moto.efs.exceptions import FileSystemNotFound, PolicyNotFound

    def put_backup_policy(self: Any, file_system_id: str, status: str) -> dict[str, str]:
        if file_system_id not in self.file_systems_by_id:
            raise FileSystemNotFound(file_system_id)
        if status not in ("ENABLED", "DISABLED"):
            raise ValueError(f"backup policy status {status}")
        fs = self.file_systems_by_id[file_system_id]
        fs._backup = status == "ENABLED"
        fs.tapguard_backup_status = status
        return {"Status": status}

    def describe_backup_policy(self: Any, file_system_id: str) -> dict[str, str]:
        if file_system_id not in self.file_systems_by_id:
            raise FileSystemNotFound(file_system_id)
        fs = self.file_systems_by_id[file_system_id]
        status = getattr(fs, "tapguard_backup_status", "ENABLED" if fs._backup else None)
        if status is None:
            raise PolicyNotFound("None")
        return {"Status": status}

    def respond_put(self: Any) -> Any:
        file_system_id = self._get_param("FileSystemId")
        policy = self._get_param("BackupPolicy") or {}
        result = self.efs_backend.put_backup_policy(file_system_id, policy.get("Status", "ENABLED"))
        return json.dumps({"BackupPolicy": result}), {"Content-Type": "application/json"}

    def delete_file_system_policy(self: Any, file_system_id: str) -> None:
        if file_system_id not in self.file_systems_by_id:
            raise FileSystemNotFound(file_system_id)
        self.file_systems_by_id[file_system_id].file_system_policy = None

    def respond_delete_policy(self: Any) -> Any:
        self.efs_backend.delete_file_system_policy(self._get_param("FileSystemId"))
        return json.dumps({}), {"status": 200, "Content-Type": "application/json"}

    _patch(models.EFSBackend, "delete_file_system_policy", delete_file_system_policy)
    _patch(responses.EFSResponse, "delete_file_system_policy", respond_delete_policy)
    _patch(models.EFSBackend, "put_backup_policy", put_backup_policy)
    _patch(models.EFSBackend, "describe_backup_policy", describe_backup_policy)
    _patch(responses.EFSResponse, "put_backup_policy", respond_put)


def _apigateway() -> None:
    from moto.apigateway import responses, urls
    from moto.apigateway.exceptions import NotFoundException

    def store(backend: Any) -> dict[str, dict[str, Any]]:
        if not hasattr(backend, "tapguard_client_certificates"):
            backend.tapguard_client_certificates = {}
        found: dict[str, dict[str, Any]] = backend.tapguard_client_certificates
        return found

    def generate(self: Any) -> Any:
        body = json.loads(self.body or "{}")
        now = dt.datetime.now(dt.UTC)
        cert = {
            "clientCertificateId": secrets.token_hex(3),
            "description": body.get("description", ""),
            # a placeholder PEM: no key exists behind it, and nothing offline verifies it
            "pemEncodedCertificate": "-----BEGIN CERTIFICATE-----\nTUFQR1VBUkQ=\n-----END CERTIFICATE-----\n",
            "createdDate": now.timestamp(),
            "expirationDate": (now + dt.timedelta(days=365)).timestamp(),
            "tags": body.get("tags") or {},
        }
        store(self.backend)[cert["clientCertificateId"]] = cert
        return 201, {"status": 201}, json.dumps(cert)

    def one(self: Any) -> Any:
        cert_id = self.path.rstrip("/").split("/")[-1]
        certs = store(self.backend)
        if cert_id not in certs:
            raise NotFoundException(f"Invalid client certificate identifier specified: {cert_id}")
        if self.method == "DELETE":
            del certs[cert_id]
            return 202, {"status": 202}, "{}"
        return 200, {}, json.dumps(certs[cert_id])

    def many(self: Any) -> Any:
        if self.method == "POST":
            return generate(self)
        return 200, {}, json.dumps({"item": list(store(self.backend).values())})

    def _response(request: Any, full_url: str, headers: Any) -> Any:
        resp = responses.APIGatewayResponse()
        resp.setup_class(request, full_url, headers)
        return resp

    def list_view(request: Any, full_url: str, headers: Any) -> Any:
        return many(_response(request, full_url, headers))

    def one_view(request: Any, full_url: str, headers: Any) -> Any:
        try:
            return one(_response(request, full_url, headers))
        except NotFoundException as exc:
            return exc.code, {}, exc.get_body()

    urls.url_paths["{0}/clientcertificates/?$"] = list_view
    urls.url_paths["{0}/clientcertificates/(?P<client_certificate_id>[^/]+)/?$"] = one_view


def _elasticache() -> None:
    from moto.core.responses import EmptyResult
    from moto.elasticache import models, responses
    from moto.elasticache.exceptions import CacheSubnetGroupNotFound, ElastiCacheException

    create = models.ElastiCacheBackend.create_replication_group
    delete = models.ElastiCacheBackend.delete_replication_group

    def create_replication_group(self: Any, *args: Any, **kwargs: Any) -> Any:
        group = create(self, *args, **kwargs)
        for member in group.member_clusters:
            if member in self.cache_clusters:
                continue
            cluster = models.CacheCluster(
                account_id=self.account_id,
                region_name=self.region_name,
                cache_cluster_id=member,
                cache_node_type=group.cache_node_type,
                replication_group_id=group.replication_group_id,
                az_mode=None,
                preferred_availability_zone=None,
                num_cache_nodes=1,
                engine=group.engine,
                engine_version=getattr(group, "engine_version", None),
                cache_parameter_group_name=getattr(group, "cache_parameter_group_name", None),
                cache_subnet_group_name=group.cache_subnet_group_name,
                transit_encryption_enabled=group.transit_encryption_enabled,
                network_type=None,
                ip_discovery=None,
                snapshot_name=None,
                preferred_maintenance_window=None,
                port=group.port,
                notification_topic_arn=None,
                auto_minor_version_upgrade=None,
                snapshot_retention_limit=None,
                snapshot_window=None,
                auth_token=None,
                outpost_mode=None,
                preferred_outpost_arn=None,
                preferred_availability_zones=None,
                cache_security_group_names=None,
                security_group_ids=None,
                tags=None,
                snapshot_arns=None,
                preferred_outpost_arns=None,
                log_delivery_configurations=[],
                cache_node_ids_to_remove=None,
                cache_node_ids_to_reboot=None,
            )
            self.cache_clusters[member] = cluster
        return group

    def delete_replication_group(self: Any, replication_group_id: str, retain_primary_cluster: bool | None) -> Any:
        members = (
            list(self.replication_groups[replication_group_id].member_clusters) if replication_group_id in self.replication_groups else []
        )
        group = delete(self, replication_group_id, retain_primary_cluster)
        for member in members:
            self.cache_clusters.pop(member, None)
        self.replication_groups.pop(replication_group_id, None)  # AWS: gone once deleted; moto: "deleting" forever
        return group

    def delete_cache_subnet_group(self: Any) -> Any:
        name = self._get_param("CacheSubnetGroupName")
        backend = self.elasticache_backend
        if name not in backend.cache_subnet_groups:
            raise CacheSubnetGroupNotFound(name)
        if any(g.cache_subnet_group_name == name for g in backend.replication_groups.values()):
            raise ElastiCacheException("CacheSubnetGroupInUse", f"Cache subnet group {name} is currently in use by a replication group.")
        del backend.cache_subnet_groups[name]
        return EmptyResult()

    _patch(responses.ElastiCacheResponse, "delete_cache_subnet_group", delete_cache_subnet_group)
    _patch(models.ElastiCacheBackend, "create_replication_group", create_replication_group)
    _patch(models.ElastiCacheBackend, "delete_replication_group", delete_replication_group)


def _application_autoscaling() -> None:
    from moto.applicationautoscaling import responses
    from moto.core.exceptions import JsonRESTError

    register = responses.ApplicationAutoScalingResponse.register_scalable_target

    def tags_of(self: Any) -> dict[str, dict[str, str]]:
        backend = self.applicationautoscaling_backend
        if not hasattr(backend, "tapguard_tags"):
            backend.tapguard_tags = {}
        found: dict[str, dict[str, str]] = backend.tapguard_tags
        return found

    def known(self: Any, arn: str) -> bool:
        return any(t.arn == arn for targets in self.applicationautoscaling_backend.targets.values() for t in targets.values())

    def register_scalable_target(self: Any) -> str:
        body: str = register(self)
        arn = json.loads(body)["ScalableTargetARN"]
        tags_of(self).setdefault(arn, {}).update(self._get_param("Tags") or {})
        return body

    def list_tags_for_resource(self: Any) -> Any:
        arn = self._get_param("ResourceARN")
        if not known(self, arn):
            raise JsonRESTError("ResourceNotFoundException", f"{arn} not found")
        return json.dumps({"Tags": tags_of(self).get(arn, {})})

    def tag_resource(self: Any) -> Any:
        arn = self._get_param("ResourceARN")
        if not known(self, arn):
            raise JsonRESTError("ResourceNotFoundException", f"{arn} not found")
        tags_of(self).setdefault(arn, {}).update(self._get_param("Tags") or {})
        return "{}"

    def untag_resource(self: Any) -> Any:
        arn = self._get_param("ResourceARN")
        for key in self._get_param("TagKeys") or []:
            tags_of(self).get(arn, {}).pop(key, None)
        return "{}"

    cls = responses.ApplicationAutoScalingResponse
    for name, fn in (
        ("register_scalable_target", register_scalable_target),
        ("list_tags_for_resource", list_tags_for_resource),
        ("tag_resource", tag_resource),
        ("untag_resource", untag_resource),
    ):
        _patch(cls, name, fn)


def _kms() -> None:
    from moto.kms import responses

    enable = responses.KmsResponse.enable_key_rotation

    def enable_key_rotation(self: Any) -> str:
        out: str = enable(self)
        key = self.kms_backend.keys[self.kms_backend.get_key_id(self._get_param("KeyId"))]
        key.tapguard_rotation_period = int(self._get_param("RotationPeriodInDays") or 365)  # AWS's default
        return out

    def get_key_rotation_status(self: Any) -> str:
        key_id = self._get_param("KeyId")
        self._validate_cmk_id(key_id)
        key = self.kms_backend.keys[self.kms_backend.get_key_id(key_id)]
        answer: dict[str, Any] = {"KeyRotationEnabled": bool(key.key_rotation_status), "KeyId": key.id}
        if key.key_rotation_status:
            answer["RotationPeriodInDays"] = getattr(key, "tapguard_rotation_period", 365)
        return json.dumps(answer)

    _patch(responses.KmsResponse, "enable_key_rotation", enable_key_rotation)
    _patch(responses.KmsResponse, "get_key_rotation_status", get_key_rotation_status)


def _cloudtrail() -> None:
    from moto.cloudtrail import models

    delete = models.CloudTrailBackend.delete_trail

    def delete_trail(self: Any, name: str) -> None:
        # AWS takes the name or the ARN (the provider sends the ARN); moto only the name, and
        # silently keeps the trail otherwise
        delete(self, name.rsplit(":trail/", 1)[-1] if name.startswith("arn:") else name)

    _patch(models.CloudTrailBackend, "delete_trail", delete_trail)

    from moto.cloudtrail import responses

    def describe_trails(self: Any) -> str:
        # AWS answers only the trails named in trailNameList (names or ARNs); moto answers every trail of the
        # account, so with two stacks' multi-region trails the provider's read got two ("too many results")
        wanted = set(self._get_param("trailNameList") or [])
        trails = self.cloudtrail_backend.describe_trails(self._get_bool_param("includeShadowTrails", True))
        chosen = [t for t in trails if not wanted or t.trail_name in wanted or t.arn in wanted]
        return json.dumps({"trailList": [t.description(include_region=True) for t in chosen]})

    _patch(responses.CloudTrailResponse, "describe_trails", describe_trails)


def _codedeploy() -> None:
    from moto.codedeploy import responses
    from moto.core.responses import ActionResult, EmptyResult

    info = responses._deployment_group_info

    def deployment_group_info(deployment_group: Any) -> dict[str, Any]:
        out: dict[str, Any] = info(deployment_group)
        stored = deployment_group.alarm_configuration  # the request's alarmConfiguration, as CreateDeploymentGroup got it
        out["alarmConfiguration"] = stored if isinstance(stored, dict) else {}
        return out

    _patch(responses, "_deployment_group_info", deployment_group_info)

    def delete_deployment_group(self: Any) -> Any:
        groups = self.codedeploy_backend.deployment_groups.get(self._get_param("applicationName"), {})
        groups.pop(self._get_param("deploymentGroupName"), None)  # deleting what is gone succeeds, as on AWS
        return ActionResult({"hooksNotCleanedUp": []})

    def delete_application(self: Any) -> Any:
        backend, name = self.codedeploy_backend, self._get_param("applicationName")
        backend.applications.pop(name, None)
        backend.deployment_groups.pop(name, None)  # AWS deletes an application's groups with it
        return EmptyResult()

    _patch(responses.CodeDeployResponse, "delete_deployment_group", delete_deployment_group)
    _patch(responses.CodeDeployResponse, "delete_application", delete_application)


def install() -> None:
    """Add the missing calls to moto (idempotent per process)."""
    if getattr(install, "done", False):
        return
    _efs()
    _apigateway()
    _elasticache()
    _application_autoscaling()
    _kms()
    _cloudtrail()
    _codedeploy()
    install.done = True  # type: ignore[attr-defined]


class DeployEndpoint(LocalAWS):
    """LocalAWS, served by this module's moto (the missing calls added, AWS managed policies loaded)."""

    SERVER_MODULE = "tapguard.e2e.endpoint"
    SERVER_ENV = MANAGED_POLICIES_ENV
    LABEL = "the deployment endpoint (moto server with tapguard's additions)"


def main(argv: list[str] | None = None) -> None:
    os.environ.update(MANAGED_POLICIES_ENV)
    install()
    from moto.server import main as moto_main

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
