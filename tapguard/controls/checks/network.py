"""Network security controls (PCI DSS 1.2-1.4, 6.4.2): N1-N6."""

from __future__ import annotations

from collections.abc import Iterator

from tapguard.controls.engine import UNKNOWN, Context, Finding, as_list, check
from tapguard.planning.model import Resource

OPEN = ("0.0.0.0/0", "::/0")
DATA_PORTS = {"aws_rds_cluster": 5432, "aws_elasticache_replication_group": 6379, "aws_efs_mount_target": 2049}
# an address range of these is never the internet: AWS allows VPC blocks of /16 to /28 (IPv6 /44 to /64)
PRIVATE_RANGES = frozenset({"aws_vpc", "aws_subnet", "aws_vpc_ipv4_cidr_block_association", "aws_vpc_ipv6_cidr_block_association"})
CIDR_ATTRIBUTES = ("cidr_blocks", "ipv6_cidr_blocks", "cidr_ipv4", "cidr_ipv6")


def _unknown(r: Resource, path: str) -> bool:
    """The value at `path`, or one item of it, is unknown at plan time."""
    return r.is_unknown(path) or any(r.is_unknown(f"{path}.{i}") for i in range(len(as_list(r.get(path)))))


def unknown_cidrs(r: Resource, block: str = "") -> bool:
    """An address range of the rule (of its inline `block`, e.g. "ingress.0") is unknown at plan time and not traced to a
    VPC or subnet of the plan: it may be 0.0.0.0/0, so the rule cannot pass."""
    for attribute in CIDR_ATTRIBUTES:
        path = f"{block}.{attribute}" if block else attribute
        if not _unknown(r, path):
            continue
        source = r.references(path)  # a nested block has an expression per rule; an attribute-as-blocks list has none
        plan = r.plan
        traced = (
            plan is not None
            and bool(source.resources)
            and not source.root_variables
            and not source.unresolved
            and all(a in plan.by_address and plan.by_address[a].type in PRIVATE_RANGES for a in source.resources)
        )
        if not traced:
            return True
    return False


def _to_anywhere(route: dict[str, object]) -> bool:
    """A route's destination is the whole internet, over IPv4 or IPv6."""
    return route.get("cidr_block") in OPEN or route.get("ipv6_cidr_block") in OPEN


def data_tier_subnets(ctx: Context) -> dict[str, list[Resource]]:
    """Subnets that hold cardholder-data stores or the tasks that process it, by user."""
    users = {
        "aws_db_subnet_group": "subnet_ids",
        "aws_elasticache_subnet_group": "subnet_ids",
        "aws_efs_mount_target": "subnet_id",
        "aws_ecs_service": "network_configuration.0.subnets",
    }
    found: dict[str, list[Resource]] = {}
    for rtype, attribute in users.items():
        for r in ctx.resources(rtype):
            for subnet in r.referenced(attribute, "aws_subnet"):
                found.setdefault(subnet.address, []).append(r)
    return found


def data_tier_security_groups(ctx: Context) -> dict[str, Resource]:
    groups: dict[str, Resource] = {}
    for rtype, attribute in (
        ("aws_rds_cluster", "vpc_security_group_ids"),
        ("aws_elasticache_replication_group", "security_group_ids"),
        ("aws_efs_mount_target", "security_groups"),
    ):
        for r in ctx.resources(rtype):
            for sg in r.referenced(attribute, "aws_security_group"):
                groups[sg.address] = r
    return groups


def private_data_subnets(ctx: Context) -> Iterator[Finding]:
    subnets = yield from ctx.need("aws_subnet", "no subnets in the plan: cannot show network segmentation")
    if not subnets:
        return
    for s in subnets:
        yield ctx.expect(s, "map_public_ip_on_launch", lambda v: v is False, False, "subnet assigns public IPs at launch")
    data = data_tier_subnets(ctx)
    if not data:
        yield ctx.fail("(data tier)", "subnet_ids", None, "data stores in private subnets", "no data-tier subnet group found to verify")
    associations = ctx.resources("aws_route_table_association")
    for subnet_address in sorted(data):
        tables = [
            t for a in ctx.referencing(subnet_address, "subnet_id", associations) for t in a.referenced("route_table_id", "aws_route_table")
        ]
        if not tables:
            yield ctx.fail(
                subnet_address, "route_table", None, "a private route table via NAT", "data-tier subnet has no route table association"
            )
            continue
        for table in tables:
            # route is an attribute-as-block: one expression for every route of the table
            to_igw = table.referenced("route", "aws_internet_gateway") or [
                r for r in as_list(table.get("route")) if str(r.get("gateway_id", "")).startswith("igw-") and _to_anywhere(r)
            ]
            to_nat = table.referenced("route", "aws_nat_gateway") or [r for r in as_list(table.get("route")) if r.get("nat_gateway_id")]
            yield ctx.verdict(
                not to_igw and bool(to_nat),
                table,
                "route",
                "internet gateway" if to_igw else ("NAT" if to_nat else "no default route"),
                "0.0.0.0/0 through a NAT gateway only",
                f"data-tier subnet {subnet_address} routes to the internet directly",
            )


def not_publicly_reachable(ctx: Context) -> Iterator[Finding]:
    instances = yield from ctx.need("aws_rds_cluster_instance", "no database instances to verify")
    for r in instances:
        yield ctx.expect(
            r,
            "publicly_accessible",
            lambda v: v is False,
            False,
            "instance is (or may default to) publicly accessible; set false explicitly",
        )
    for r in ctx.resources("aws_ecs_service"):
        yield ctx.expect(r, "network_configuration.0.assign_public_ip", lambda v: v is False, False, "tasks get public IPs")
    for r in ctx.resources("aws_lb"):
        yield ctx.expect(r, "internal", lambda v: v is True, True, "load balancer in front of the CDE is internet-facing")


def _ingress_rules(ctx: Context) -> Iterator[tuple[Resource, str, list[str], str, int | None, int | None, bool, bool]]:
    """(resource, attribute, cidrs, protocol, from, to, sourced from a security group, an address range unknown)."""
    for sg in ctx.resources("aws_security_group"):
        for i, rule in enumerate(as_list(sg.get("ingress"))):
            cidrs = as_list(rule.get("cidr_blocks")) + as_list(rule.get("ipv6_cidr_blocks"))
            yield (
                sg,
                f"ingress.{i}",
                cidrs,
                str(rule.get("protocol")),
                rule.get("from_port"),
                rule.get("to_port"),
                bool(rule.get("security_groups")),
                unknown_cidrs(sg, f"ingress.{i}"),
            )
    for r in ctx.resources("aws_security_group_rule"):
        if r.get("type") == "ingress":
            cidrs = as_list(r.get("cidr_blocks")) + as_list(r.get("ipv6_cidr_blocks"))
            from_sg = r.has("source_security_group_id")
            yield r, "cidr_blocks", cidrs, str(r.get("protocol")), r.get("from_port"), r.get("to_port"), from_sg, unknown_cidrs(r)
    for r in ctx.resources("aws_vpc_security_group_ingress_rule"):
        cidrs = [c for c in (r.get("cidr_ipv4"), r.get("cidr_ipv6")) if c]
        from_sg = r.has("referenced_security_group_id")
        yield r, "cidr_ipv4", cidrs, str(r.get("ip_protocol")), r.get("from_port"), r.get("to_port"), from_sg, unknown_cidrs(r)


NO_INTERNET_INGRESS = "no ingress from 0.0.0.0/0 or ::/0"
NO_INTERNET_INGRESS_OK = "no ingress from the internet"


def inbound_restricted(ctx: Context) -> Iterator[Finding]:
    data_sgs = data_tier_security_groups(ctx)
    seen = False
    for r, attribute, cidrs, protocol, low, high, from_sg, unknown in _ingress_rules(ctx):
        seen = True
        open_to = [c for c in cidrs if c in OPEN]
        if open_to:
            yield ctx.fail(r, attribute, open_to, NO_INTERNET_INGRESS, "ingress open to the internet")
            continue
        if protocol in ("-1", "all"):
            yield ctx.fail(r, attribute, protocol, "a single protocol and port", "ingress allows every protocol and port")
            continue
        if unknown:
            yield ctx.finding(r, attribute, UNKNOWN, "(known after apply)", NO_INTERNET_INGRESS, "ingress source unknown at plan time")
            continue
        target = set(r.references("security_group_id").resources) if r.type != "aws_security_group" else {r.address}
        store = next((data_sgs[a] for a in target if a in data_sgs), None)
        if store is not None:
            port = DATA_PORTS[store.type]
            # a rule naming a security group and address ranges admits both: only the group is the application tier
            good = low == port and high == port and from_sg and not cidrs
            sources = " and ".join([*(["security group"] if from_sg else []), *([str(cidrs)] if cidrs or not from_sg else [])])
            yield ctx.verdict(
                good,
                r,
                "from_port",
                f"{low}-{high} from {sources}",
                f"{port} from an application security group only",
                f"data-tier ingress wider than {store.type} needs",
            )
        else:
            yield ctx.ok(r, attribute, cidrs or "security group", NO_INTERNET_INGRESS_OK)
    if not seen:
        yield ctx.missing("aws_security_group", "no ingress rules to verify")


# stores of the cardholder-data classes beyond the stack's own, and the attribute naming their security groups
CARDHOLDER_STORES = {
    "aws_db_instance": "vpc_security_group_ids",
    "aws_docdb_cluster": "vpc_security_group_ids",
    "aws_neptune_cluster": "vpc_security_group_ids",
    "aws_redshift_cluster": "vpc_security_group_ids",
    "aws_elasticache_cluster": "security_group_ids",
    "aws_memorydb_cluster": "security_group_ids",
    "aws_dms_replication_instance": "vpc_security_group_ids",
    "aws_dax_cluster": "security_group_ids",
}
NO_INTERNET_EGRESS = "no egress to 0.0.0.0/0 or ::/0 from a group guarding cardholder data"


def cardholder_security_groups(ctx: Context) -> dict[str, Resource]:
    """Security groups guarding a cardholder-data store: the stack's data tier and every store of the data classes."""
    groups = dict(data_tier_security_groups(ctx))
    for rtype, attribute in CARDHOLDER_STORES.items():
        for r in ctx.resources(rtype):
            for sg in r.referenced(attribute, "aws_security_group"):
                groups.setdefault(sg.address, r)
    return groups


def _open_cidrs(*values: object) -> list[str]:
    return [str(c) for v in values for c in as_list(v) if c in OPEN]


def outbound_restricted(ctx: Context) -> Iterator[Finding]:
    data_sgs = cardholder_security_groups(ctx)
    if not data_sgs:
        yield ctx.missing("aws_security_group", "no data-tier security groups to verify")
    for address in sorted(data_sgs):
        sg = ctx.plan.by_address[address]
        if sg.is_unknown("egress") and "egress" in sg.config:
            yield ctx.finding(sg, "egress", "unknown", "(known after apply)", NO_INTERNET_EGRESS, "egress rules unknown at plan time")
            continue
        rules = as_list(sg.get("egress"))
        if any(unknown_cidrs(sg, f"egress.{i}") for i in range(len(rules))):
            yield ctx.finding(sg, "egress", UNKNOWN, "(known after apply)", NO_INTERNET_EGRESS, "egress range unknown at plan time")
            continue
        wide = [e for e in rules if _open_cidrs(e.get("cidr_blocks"), e.get("ipv6_cidr_blocks"))]
        yield ctx.verdict(not wide, sg, "egress", wide or [], NO_INTERNET_EGRESS, f"{data_sgs[address].type} may send data to the internet")
    for r in ctx.resources("aws_vpc_security_group_egress_rule", "aws_security_group_rule"):
        if r.type == "aws_security_group_rule" and r.get("type") != "egress":
            continue
        owner = set(r.references("security_group_id").resources)
        if owner & set(data_sgs):
            attribute = "cidr_ipv4" if r.type == "aws_vpc_security_group_egress_rule" else "cidr_blocks"
            cidrs = _open_cidrs(r.get("cidr_ipv4"), r.get("cidr_ipv6"), r.get("cidr_blocks"), r.get("ipv6_cidr_blocks"))
            if not cidrs and unknown_cidrs(r):
                yield ctx.finding(r, attribute, UNKNOWN, "(known after apply)", NO_INTERNET_EGRESS, "egress range unknown at plan time")
                continue
            yield ctx.verdict(
                not cidrs,
                r,
                attribute,
                cidrs or r.get(attribute),
                NO_INTERNET_EGRESS,
                "a cardholder-data tier may send data to the internet",
            )


def default_security_group_closed(ctx: Context) -> Iterator[Finding]:
    vpcs = yield from ctx.need("aws_vpc", "no VPC to verify")
    defaults = ctx.resources("aws_default_security_group")
    for vpc in vpcs:
        mine = ctx.referencing(vpc, "vpc_id", defaults)
        if not mine:
            yield ctx.fail(
                vpc,
                "default_security_group",
                None,
                "an aws_default_security_group with no rules",
                "the VPC's default security group keeps AWS's allow rules",
            )
            continue
        for d in mine:
            rules = as_list(d.get("ingress")) + as_list(d.get("egress"))
            yield ctx.verdict(not rules, d, "ingress/egress", rules, "no rules", "default security group allows traffic")


def waf_in_front_of_apis(ctx: Context) -> Iterator[Finding]:
    stages = ctx.resources("aws_api_gateway_stage")
    acls = ctx.resources("aws_wafv2_web_acl")
    if not stages:
        yield ctx.missing("aws_api_gateway_stage", "no API stage to protect")
    for acl in acls:
        yield ctx.expect(acl, "scope", lambda v: v == "REGIONAL", "REGIONAL", "web ACL is not regional (API Gateway needs REGIONAL)")
        yield ctx.expect(acl, "rule", bool, "at least one (managed) rule", "web ACL has no rules")
    associations = ctx.resources("aws_wafv2_web_acl_association")
    for stage in stages:
        linked = [a for a in ctx.referencing(stage, "resource_arn", associations) if a.referenced("web_acl_arn", "aws_wafv2_web_acl")]
        yield ctx.verdict(
            bool(linked),
            stage,
            "web_acl",
            [a.address for a in linked],
            "an aws_wafv2_web_acl_association",
            "API stage is not protected by WAF",
        )


# the registry: plain functions registered after their definitions rather than @check-decorated, because mutmut
# (nox -s mutants) does not mutate decorated functions and these bodies decide PASS/FAIL
check("N1")(private_data_subnets)
check("N2")(not_publicly_reachable)
check("N3")(inbound_restricted)
check("N4")(outbound_restricted)
check("N5")(default_security_group_closed)
check("N6")(waf_in_front_of_apis)
