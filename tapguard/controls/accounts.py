"""AC1 across plans: the stacks that share one AWS account hold no account-wide name in common and declare each
account-level singleton once.

A multi-region CloudTrail is such a singleton: one stack of the account owns it (its profile's `trail_owner` is unset),
the others name that stack in `trail_owner`. Their L1/L2 are judged on the owner's trail (`trails_across`): a plan
without a trail of its own passes only when the owner's plan, in the same run and the same account, declares a
multi-region trail that passes there; without the owner's plan the finding stays unknown, never a pass.

Inside one plan (the `@check`) the same rules hold among the plan's own resources. Across plans (`across`) every
pair of environments of one account group is compared; a clash is a finding in each of the two environments,
naming both addresses. Which environments share an account: `[tool.tapguard.accounts] shared = [[...], ...]`;
without it, the project's own stacks (not plans made elsewhere) are taken to share one account.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from tapguard.controls.engine import FAIL, NOT_APPLICABLE, PASS, UNKNOWN, Context, Finding, check
from tapguard.planning.model import Plan, Resource

CONTROL = "AC1"

# resource type -> the attribute holding a name that is unique per account (IAM) or per partition (S3)
GLOBAL_NAMES: dict[str, str] = {
    "aws_iam_role": "name",
    "aws_iam_policy": "name",
    "aws_iam_instance_profile": "name",
    "aws_iam_user": "name",
    "aws_iam_group": "name",
    "aws_iam_saml_provider": "name",
    "aws_iam_openid_connect_provider": "url",  # one provider per issuer URL per account
    "aws_s3_bucket": "bucket",  # world-wide
    "aws_cloudtrail": "name",  # a multi-region trail's name is taken in every region (single-region: per region)
}
# resource type -> "account" (one per account) or "region" (one per account and region). A multi-region trail is one
# too (MULTI_REGION_TRAIL): AWS would take five, but the account needs one, owned once by design (not a type of its own).
SINGLETONS: dict[str, str] = {
    "aws_iam_account_password_policy": "account",
    "aws_iam_account_alias": "account",
    "aws_s3_account_public_access_block": "account",
    "aws_api_gateway_account": "region",
    "aws_ebs_encryption_by_default": "region",
    "aws_ebs_default_kms_key": "region",
    "aws_guardduty_detector": "region",
    "aws_securityhub_account": "region",
    "aws_macie2_account": "region",
    "aws_config_configuration_recorder": "region",
}
MULTI_REGION_TRAIL = "aws_cloudtrail (multi-region)"
TRAIL_CONTROLS = ("L1", "L2")
ACCOUNT_TRAIL = "(account trail)"  # where a stack whose account trail another stack owns is judged for L1/L2


@dataclass(frozen=True)
class Claim:
    """One resource's hold on something the account has once: a global name or a singleton slot."""

    environment: str
    address: str
    attribute: str
    key: tuple[str, ...]  # what must be unique in the account
    shown: str  # the name or slot, as the finding shows it
    region: str | None = None  # taken in this region only; None: in every region of the account

    def collides(self, other: Claim) -> bool:
        return self.key == other.key and (self.region is None or other.region is None or self.region == other.region)


def claims(environment: str, plan: Plan) -> Iterator[Claim]:
    """Every account-wide name and singleton slot the plan takes; names unknown at plan time take nothing."""
    region = plan.region or "(region unknown)"
    for rtype, attribute in GLOBAL_NAMES.items():
        for r in plan.of_type(rtype):
            name = r.get(attribute)
            if not isinstance(name, str) or not name or r.is_unknown(attribute):
                continue
            # a single-region trail's name is taken in its region only; a multi-region trail's in every region
            scope = region if rtype == "aws_cloudtrail" and r.get("is_multi_region_trail") is not True else None
            # IAM compares names case-insensitively
            folded = name.lower() if rtype.startswith("aws_iam_") else name
            yield Claim(environment, r.address, attribute, ("name", rtype, folded), name, scope)
    for rtype, scope in SINGLETONS.items():
        for r in plan.of_type(rtype):
            where = "account" if scope == "account" else region
            yield Claim(environment, r.address, "", ("singleton", rtype), f"{rtype} ({where})", None if scope == "account" else region)
    for r in multi_region_trails(plan):
        yield Claim(environment, r.address, "is_multi_region_trail", ("singleton", MULTI_REGION_TRAIL), f"{MULTI_REGION_TRAIL} (account)")


def multi_region_trails(plan: Plan) -> list[Resource]:
    """The plan's trails known at plan time to record every region (an unknown flag is no such trail)."""
    return [
        t for t in plan.of_type("aws_cloudtrail") if t.get("is_multi_region_trail") is True and not t.is_unknown("is_multi_region_trail")
    ]


def _clash(mine: Claim, other: Claim) -> Finding:
    kind = "singleton declared twice" if mine.key[0] == "singleton" else "account-wide name used twice"
    where = f"[{other.environment}] " if other.environment != mine.environment else ""
    return Finding(
        CONTROL,
        mine.environment,
        mine.address,
        mine.attribute,
        FAIL,
        mine.shown,
        f"unique in the account (also {where}{other.address})",
        f"{kind}: {mine.address} and {where}{other.address} collide in one account",
    )


def clashes(groups: Iterable[Sequence[Claim]], between_plans: bool = False) -> Iterator[Finding]:
    """A finding for each claim that another claim of the same account repeats, naming the other address
    (`between_plans`: only repeats in another environment)."""
    by_key: dict[tuple[str, ...], list[Claim]] = {}
    for group in groups:
        for c in group:
            by_key.setdefault(c.key, []).append(c)
    for same in by_key.values():
        for mine in same:
            for other in same:
                if other is mine or (other.environment, other.address) == (mine.environment, mine.address) or not mine.collides(other):
                    continue
                if not between_plans or other.environment != mine.environment:
                    yield _clash(mine, other)


@check(CONTROL)
def unique_in_the_account(ctx: Context) -> Iterator[Finding]:
    own = list(claims(ctx.env, ctx.plan))
    unknown = [(r, a) for rtype, a in GLOBAL_NAMES.items() for r in ctx.resources(rtype) if r.is_unknown(a)]
    # a trail that may record every region may be a second account trail
    unknown += [(r, "is_multi_region_trail") for r in ctx.resources("aws_cloudtrail") if r.is_unknown("is_multi_region_trail")]
    for r, attribute in unknown:
        yield ctx.finding(r, attribute, UNKNOWN, "(known after apply)", "a name known at plan time", "cannot tell whether it collides")
    if not own and not unknown:
        yield ctx.finding("(account)", "", NOT_APPLICABLE, None, "an account-wide name or singleton", "the plan takes none")
        return
    failed = {(f.address, f.actual) for f in clashes([own])}
    yield from clashes([own])
    for c in own:
        if (c.address, c.shown) not in failed:
            yield ctx.ok(c.address, c.attribute, c.shown, "unique in the account", "unique among this plan's resources")


def account_groups(names: Sequence[str], shared: Sequence[Sequence[str]] | None, own_stacks: Iterable[str]) -> list[list[str]]:
    """The environments of this run that share an account: the declared groups, or (none declared) the project's stacks."""
    present = set(names)
    if shared is None:
        stacks = [n for n in names if n in set(own_stacks)]
        return [stacks] if len(stacks) > 1 else []
    groups = [[n for n in group if n in present] for group in shared]
    return [g for g in groups if len(g) > 1]


def across(plans: dict[str, Plan], shared: Sequence[Sequence[str]] | None, own_stacks: Iterable[str]) -> dict[str, list[Finding]]:
    """Environment -> its AC1 findings against the other plans of its account (only the clashes between plans)."""
    out: dict[str, list[Finding]] = {}
    for group in account_groups(list(plans), shared, own_stacks):
        per_env = [list(claims(name, plans[name])) for name in group]
        # a clash inside one plan is the per-plan check's finding already
        for finding in clashes(per_env, between_plans=True):
            out.setdefault(finding.environment, []).append(finding)
    return out


# ---------------------------------------------------------------- L1/L2 of a stack whose account trail another stack owns
def trail_pending(ctx: Context, owner: str) -> Finding:
    """L1/L2 of a plan without a trail whose profile names the owner of the account trail: unknown until the owner's
    plan is judged in the same run (`trails_across`), never a pass on this plan alone."""
    return ctx.finding(
        ACCOUNT_TRAIL,
        "aws_cloudtrail",
        UNKNOWN,
        None,
        _owned_by(owner),
        f"the account's multi-region trail is owned by stack {owner}, whose plan is not part of this run: check both together",
    )


def _owned_by(owner: str) -> str:
    return f"a multi-region aws_cloudtrail in the plan of {owner} (the account trail's owner) that passes there"


def _answer(pending: Finding, owner: str, plan: Plan, judged: Sequence[Finding], same_account: bool) -> Finding:
    """The pending finding answered from the owner's plan and the owner's own findings of the same control."""

    def settled(status: str, actual: object, message: str) -> Finding:
        return replace(pending, status=status, actual=actual, message=message, waiver=None)

    if not same_account:
        return settled(FAIL, owner, f"trail owner {owner} is not declared to share this stack's account (accounts.shared)")
    trails = multi_region_trails(plan)
    # a trail whose scope is unknown at plan time may be the account trail: unknown, never a pass
    verdicts = [(UNKNOWN, t.address) for t in plan.of_type("aws_cloudtrail") if t.is_unknown("is_multi_region_trail")]
    if not trails and not verdicts:
        found = [t.address for t in plan.of_type("aws_cloudtrail")] or None
        return settled(FAIL, found, f"{owner} declares no multi-region trail: this stack's API activity is not recorded")
    for t in trails:
        mine = [f.status for f in judged if f.control == pending.control and f.address == t.address]
        verdicts.append((FAIL if FAIL in mine else UNKNOWN if UNKNOWN in mine or not mine else PASS, t.address))
    # one compliant trail records the account; else a failing one decides over an unknown one
    status, address = min(verdicts, key=lambda v: (PASS, FAIL, UNKNOWN).index(v[0]))
    actual = f"[{owner}] {address}"
    words = {
        PASS: f"recorded by the account's multi-region trail {actual}, which passes {pending.control} in {owner}'s plan",
        FAIL: f"the account's multi-region trail {actual} fails {pending.control} in {owner}'s plan",
        UNKNOWN: f"the account's multi-region trail {actual} is unknown for {pending.control} in {owner}'s plan",
    }
    return settled(status, actual, words[status])


def trails_across(
    findings: Mapping[str, Sequence[Finding]],
    plans: Mapping[str, Plan],
    owners: Mapping[str, str | None],
    shared: Sequence[Sequence[str]] | None,
    own_stacks: Iterable[str],
) -> dict[str, list[Finding]]:
    """Environment -> the answers to its pending L1/L2 findings, from the plan of the stack its profile names as the
    owner of the account trail (`owners`): only when that plan is in this run; else the pending findings stay unknown."""
    groups = account_groups(list(plans), shared, own_stacks)
    out: dict[str, list[Finding]] = {}
    for env, owner in owners.items():
        # pending only where the plan has no trail at all: a plan's own trail (whatever its address) is judged as it is
        if not owner or owner == env or owner not in plans or env not in findings or plans[env].of_type("aws_cloudtrail"):
            continue
        same_account = any(env in g and owner in g for g in groups)
        for f in findings[env]:
            if is_pending(f):
                out.setdefault(env, []).append(_answer(f, owner, plans[owner], findings.get(owner, []), same_account))
    return out


def is_pending(f: Finding) -> bool:
    return f.control in TRAIL_CONTROLS and (f.address, f.attribute, f.status) == (ACCOUNT_TRAIL, "aws_cloudtrail", UNKNOWN)


def answered(findings: Sequence[Finding], answers: Sequence[Finding]) -> list[Finding]:
    """The findings with each pending account-trail finding replaced by its answer (same control)."""
    by_control = {a.control: a for a in answers}
    return [by_control.get(f.control, f) if is_pending(f) else f for f in findings]
