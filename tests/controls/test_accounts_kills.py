"""AC1 and the account trail, every field pinned: what a plan claims in the account, when two claims clash (inside one plan
and across the plans of one account), and how a stack's pending L1/L2 is answered from the trail owner's plan."""

from __future__ import annotations

from typing import Any

from tapguard.controls import FAIL, NOT_APPLICABLE, PASS, UNKNOWN, Finding, accounts
from tapguard.controls.engine import Context, evaluate
from tapguard.foundation.profile import Profile
from tapguard.planning import model

Res = tuple[str, str, dict[str, Any]]  # address, type, known values
TRAIL_OWNER = "a multi-region aws_cloudtrail in the plan of own (the account trail's owner) that passes there"


def plan(region: str | None, *resources: Res, unknown: dict[str, dict[str, Any]] | None = None) -> model.Plan:
    """A synthetic plan in `region` (None: no provider region); `unknown`: address -> after_unknown."""
    changes = [
        {
            "address": a,
            "mode": "managed",
            "type": t,
            "name": a.rsplit(".", 1)[-1],
            "change": {"actions": ["create"], "after": v, "after_unknown": (unknown or {}).get(a, {})},
        }
        for a, t, v in resources
    ]
    config: dict[str, Any] = {"root_module": {}}
    if region:
        config["provider_config"] = {"aws": {"name": "aws", "expressions": {"region": {"constant_value": region}}}}
    return model.from_dict({"format_version": "1.2", "resource_changes": changes, "configuration": config})


def ac1(env: str, p: model.Plan) -> list[tuple[Any, ...]]:
    """The AC1 findings of one plan, every field."""
    return [fields(f) for f in evaluate(env, p, Profile(name=env), only=["AC1"])]


def fields(f: Finding) -> tuple[Any, ...]:
    return (f.control, f.environment, f.address, f.attribute, f.status, f.actual, f.expected, f.message, f.waiver)


def ok(env: str, address: str, attribute: str, shown: str) -> tuple[Any, ...]:
    return ("AC1", env, address, attribute, PASS, shown, "unique in the account", "unique among this plan's resources", None)


def clash(env: str, address: str, attribute: str, shown: str, other: str, kind: str = "account-wide name used twice") -> tuple[Any, ...]:
    return (
        "AC1",
        env,
        address,
        attribute,
        FAIL,
        shown,
        f"unique in the account (also {other})",
        f"{kind}: {address} and {other} collide in one account",
        None,
    )


# ---------------------------------------------------------------- what a plan claims
def test_a_plan_claims_names_singletons_and_the_account_trail_field_by_field() -> None:
    p = plan(
        "eu-west-1",
        ("aws_iam_role.r", "aws_iam_role", {"name": "Role-X"}),
        ("aws_s3_bucket.b", "aws_s3_bucket", {"bucket": "Bkt"}),
        ("aws_cloudtrail.m", "aws_cloudtrail", {"name": "multi", "is_multi_region_trail": True}),
        ("aws_cloudtrail.s", "aws_cloudtrail", {"name": "single", "is_multi_region_trail": False}),
        ("aws_iam_account_password_policy.p", "aws_iam_account_password_policy", {}),
        ("aws_guardduty_detector.g", "aws_guardduty_detector", {"enable": True}),
    )
    C = accounts.Claim
    assert list(accounts.claims("e", p)) == [
        C("e", "aws_iam_role.r", "name", ("name", "aws_iam_role", "role-x"), "Role-X", None),
        C("e", "aws_s3_bucket.b", "bucket", ("name", "aws_s3_bucket", "Bkt"), "Bkt", None),
        C("e", "aws_cloudtrail.m", "name", ("name", "aws_cloudtrail", "multi"), "multi", None),
        C("e", "aws_cloudtrail.s", "name", ("name", "aws_cloudtrail", "single"), "single", "eu-west-1"),
        C(
            "e",
            "aws_iam_account_password_policy.p",
            "",
            ("singleton", "aws_iam_account_password_policy"),
            "aws_iam_account_password_policy (account)",
            None,
        ),
        C("e", "aws_guardduty_detector.g", "", ("singleton", "aws_guardduty_detector"), "aws_guardduty_detector (eu-west-1)", "eu-west-1"),
        C(
            "e",
            "aws_cloudtrail.m",
            "is_multi_region_trail",
            ("singleton", accounts.MULTI_REGION_TRAIL),
            f"{accounts.MULTI_REGION_TRAIL} (account)",
        ),
    ]


def test_the_check_passes_each_claim_naming_its_attribute_and_what_it_takes() -> None:
    p = plan(
        "eu-west-1",
        ("aws_iam_role.r", "aws_iam_role", {"name": "Role-X"}),
        ("aws_cloudtrail.m", "aws_cloudtrail", {"name": "multi", "is_multi_region_trail": True}),
        ("aws_iam_account_alias.a", "aws_iam_account_alias", {"account_alias": "x"}),
        ("aws_ebs_encryption_by_default.e", "aws_ebs_encryption_by_default", {"enabled": True}),
    )
    assert ac1("e", p) == [
        ok("e", "aws_iam_role.r", "name", "Role-X"),
        ok("e", "aws_cloudtrail.m", "name", "multi"),
        ok("e", "aws_iam_account_alias.a", "", "aws_iam_account_alias (account)"),
        ok("e", "aws_ebs_encryption_by_default.e", "", "aws_ebs_encryption_by_default (eu-west-1)"),
        ok("e", "aws_cloudtrail.m", "is_multi_region_trail", f"{accounts.MULTI_REGION_TRAIL} (account)"),
    ]


def test_a_regional_singleton_of_a_plan_without_region_says_so() -> None:
    p = plan(None, ("aws_guardduty_detector.g", "aws_guardduty_detector", {}))
    assert ac1("e", p) == [ok("e", "aws_guardduty_detector.g", "", "aws_guardduty_detector ((region unknown))")]


def test_an_empty_or_non_text_name_takes_nothing() -> None:
    p = plan("eu-west-1", ("aws_iam_role.a", "aws_iam_role", {"name": ""}), ("aws_s3_bucket.b", "aws_s3_bucket", {"bucket": 7}))
    assert list(accounts.claims("e", p)) == []
    assert ac1("e", p) == [
        ("AC1", "e", "(account)", "", NOT_APPLICABLE, None, "an account-wide name or singleton", "the plan takes none", None)
    ]


def test_a_name_marked_unknown_takes_nothing_even_beside_a_known_value_and_the_next_one_still_counts() -> None:
    # hostile plan: a value in `after` and the same attribute unknown; the role after it is still judged
    p = plan(
        "eu-west-1",
        ("aws_iam_role.a", "aws_iam_role", {"name": "dup"}),
        ("aws_iam_role.b", "aws_iam_role", {"name": "dup"}),
        ("aws_iam_role.c", "aws_iam_role", {"name": "c"}),
        unknown={"aws_iam_role.a": {"name": True}},
    )
    unknown = (
        "AC1",
        "e",
        "aws_iam_role.a",
        "name",
        UNKNOWN,
        "(known after apply)",
        "a name known at plan time",
        "cannot tell whether it collides",
        None,
    )
    assert ac1("e", p) == [unknown, ok("e", "aws_iam_role.b", "name", "dup"), ok("e", "aws_iam_role.c", "name", "c")]


def test_a_trail_flag_marked_unknown_is_no_multi_region_trail() -> None:
    p = plan(
        "eu-west-1",
        ("aws_cloudtrail.t", "aws_cloudtrail", {"name": "t", "is_multi_region_trail": True}),
        unknown={"aws_cloudtrail.t": {"is_multi_region_trail": True}},
    )
    assert accounts.multi_region_trails(p) == []
    assert [c.key for c in accounts.claims("e", p)] == [("name", "aws_cloudtrail", "t")]


def test_iam_names_fold_case_by_lower_casing_s3_names_keep_it() -> None:
    p = plan(
        "eu-west-1",
        ("aws_iam_role.a", "aws_iam_role", {"name": "Role-X"}),
        ("aws_iam_role.b", "aws_iam_role", {"name": "role-x"}),
        ("aws_s3_bucket.c", "aws_s3_bucket", {"bucket": "Bkt"}),
        ("aws_s3_bucket.d", "aws_s3_bucket", {"bucket": "bkt"}),
        # "ß" lower-cases to itself but upper-cases to "SS": no clash with "ss" under lower-casing
        ("aws_iam_user.e", "aws_iam_user", {"name": "ß"}),
        ("aws_iam_user.f", "aws_iam_user", {"name": "ss"}),
    )
    assert ac1("e", p) == [
        clash("e", "aws_iam_role.a", "name", "Role-X", "aws_iam_role.b"),
        clash("e", "aws_iam_role.b", "name", "role-x", "aws_iam_role.a"),
        ok("e", "aws_iam_user.e", "name", "ß"),
        ok("e", "aws_iam_user.f", "name", "ss"),
        ok("e", "aws_s3_bucket.c", "bucket", "Bkt"),
        ok("e", "aws_s3_bucket.d", "bucket", "bkt"),
    ]


# ---------------------------------------------------------------- clashes inside one plan and across plans
def test_a_singleton_twice_in_one_plan_names_the_other_address_without_brackets() -> None:
    p = plan(
        "eu-west-1",
        ("aws_macie2_account.a", "aws_macie2_account", {}),
        ("aws_macie2_account.b", "aws_macie2_account", {}),
    )
    shown, kind = "aws_macie2_account (eu-west-1)", "singleton declared twice"
    assert ac1("e", p) == [
        clash("e", "aws_macie2_account.a", "", shown, "aws_macie2_account.b", kind),
        clash("e", "aws_macie2_account.b", "", shown, "aws_macie2_account.a", kind),
    ]


def test_two_multi_region_trails_in_one_plan_clash_on_the_trail_flag() -> None:
    p = plan(
        "eu-west-1",
        ("aws_cloudtrail.a", "aws_cloudtrail", {"name": "a", "is_multi_region_trail": True}),
        ("aws_cloudtrail.b", "aws_cloudtrail", {"name": "b", "is_multi_region_trail": True}),
    )
    shown, kind = f"{accounts.MULTI_REGION_TRAIL} (account)", "singleton declared twice"
    assert ac1("e", p) == [
        clash("e", "aws_cloudtrail.a", "is_multi_region_trail", shown, "aws_cloudtrail.b", kind),
        clash("e", "aws_cloudtrail.b", "is_multi_region_trail", shown, "aws_cloudtrail.a", kind),
        ok("e", "aws_cloudtrail.a", "name", "a"),
        ok("e", "aws_cloudtrail.b", "name", "b"),
    ]


def test_clashes_come_key_by_key_in_the_order_first_claimed() -> None:
    C = accounts.Claim
    a1, b1 = C("e", "a1", "name", ("name", "t", "a"), "a"), C("e", "b1", "name", ("name", "t", "b"), "b")
    a2, b2 = C("e", "a2", "name", ("name", "t", "a"), "a"), C("e", "b2", "name", ("name", "t", "b"), "b")
    assert [(f.address, f.expected) for f in accounts.clashes([[a1, b1, a2, b2]])] == [
        ("a1", "unique in the account (also a2)"),
        ("a2", "unique in the account (also a1)"),
        ("b1", "unique in the account (also b2)"),
        ("b2", "unique in the account (also b1)"),
    ]


def test_a_resource_listed_twice_is_no_clash_with_itself() -> None:
    # hostile plan: one address twice; the two claims are distinct objects of one resource
    C = accounts.Claim
    same = [C("e", "r", "name", ("name", "t", "x"), "x"), C("e", "r", "name", ("name", "t", "x"), "x")]
    assert list(accounts.clashes([same])) == []
    # the same address in another environment is another resource
    across = accounts.clashes([same[:1], [C("f", "r", "name", ("name", "t", "x"), "x")]], between_plans=True)
    assert [fields(f) for f in across] == [clash("e", "r", "name", "x", "[f] r"), clash("f", "r", "name", "x", "[e] r")]


def test_across_reports_only_clashes_between_plans_naming_the_other_environment() -> None:
    plans = {
        "a": plan("eu-west-1", ("aws_iam_role.x", "aws_iam_role", {"name": "dup"}), ("aws_iam_role.y", "aws_iam_role", {"name": "dup"})),
        "b": plan("us-west-2", ("aws_iam_role.z", "aws_iam_role", {"name": "other"})),
    }
    assert accounts.across(plans, [["a", "b"]], []) == {}
    plans["b"] = plan("us-west-2", ("aws_iam_role.z", "aws_iam_role", {"name": "DUP"}))
    found = accounts.across(plans, [["a", "b"]], [])
    assert {env: [fields(f) for f in fs] for env, fs in found.items()} == {
        "a": [
            clash("a", "aws_iam_role.x", "name", "dup", "[b] aws_iam_role.z"),
            clash("a", "aws_iam_role.y", "name", "dup", "[b] aws_iam_role.z"),
        ],
        "b": [
            clash("b", "aws_iam_role.z", "name", "DUP", "[a] aws_iam_role.x"),
            clash("b", "aws_iam_role.z", "name", "DUP", "[a] aws_iam_role.y"),
        ],
    }


def test_across_without_declared_groups_compares_the_projects_own_stacks_only() -> None:
    plans = {name: plan("eu-west-1", ("aws_iam_role.r", "aws_iam_role", {"name": "dup"})) for name in ("a", "b", "c")}
    found = accounts.across(plans, None, ["a", "c"])
    assert {env: [fields(f) for f in fs] for env, fs in found.items()} == {
        "a": [clash("a", "aws_iam_role.r", "name", "dup", "[c] aws_iam_role.r")],
        "c": [clash("c", "aws_iam_role.r", "name", "dup", "[a] aws_iam_role.r")],
    }


def test_a_single_region_trails_name_clashes_only_in_its_region_a_multi_region_ones_everywhere() -> None:
    single: Res = ("aws_cloudtrail.t", "aws_cloudtrail", {"name": "t"})
    multi: Res = ("aws_cloudtrail.t", "aws_cloudtrail", {"name": "t", "is_multi_region_trail": True})
    pairs: list[tuple[str, Res, str, Res, bool]] = [
        ("eu-west-1", single, "eu-west-1", single, True),
        ("eu-west-1", single, "us-west-2", single, False),
        ("eu-west-1", single, "us-west-2", multi, True),
    ]
    for r1, t1, r2, t2, clashes in pairs:
        found = accounts.across({"a": plan(r1, t1), "b": plan(r2, t2)}, [["a", "b"]], [])
        assert [f.actual for f in found.get("a", [])] == (["t"] if clashes else []), (r1, r2)


# ---------------------------------------------------------------- which environments share an account
def test_account_groups_drop_groups_of_one_declared_or_not() -> None:
    assert accounts.account_groups(["a", "b", "c"], None, ["a", "c", "z"]) == [["a", "c"]]
    assert accounts.account_groups(["a", "b"], None, ["a"]) == []
    assert accounts.account_groups(["a", "b"], None, []) == []
    assert accounts.account_groups(["a", "b", "c"], [["a", "z"], ["b", "c", "y"], []], []) == [["b", "c"]]
    assert accounts.account_groups(["a"], [["a"]], []) == []


# ---------------------------------------------------------------- L1/L2 answered from the trail owner's plan
def pending(env: str = "dep", control: str = "L1", waiver: dict[str, Any] | None = None) -> Finding:
    return Finding(control, env, accounts.ACCOUNT_TRAIL, "aws_cloudtrail", UNKNOWN, None, TRAIL_OWNER, "pending", waiver)


def judged(control: str, address: str, status: str) -> Finding:
    return Finding(control, "own", address, "enable_log_file_validation", status)


MULTI = ("aws_cloudtrail.m", "aws_cloudtrail", {"name": "m", "is_multi_region_trail": True})
MULTI2 = ("aws_cloudtrail.n", "aws_cloudtrail", {"name": "n", "is_multi_region_trail": True})


def answer(owner_plan: model.Plan, owner_findings: list[Finding], same_account: bool = True) -> tuple[Any, ...]:
    return fields(accounts._answer(pending(waiver={"id": "w"}), "own", owner_plan, owner_findings, same_account))


def settled(status: str, actual: Any, message: str) -> tuple[Any, ...]:
    return ("L1", "dep", accounts.ACCOUNT_TRAIL, "aws_cloudtrail", status, actual, TRAIL_OWNER, message, None)


def test_an_owner_outside_the_account_fails_naming_it_and_clears_the_waiver() -> None:
    assert answer(plan("us-west-2", MULTI), [judged("L1", "aws_cloudtrail.m", PASS)], same_account=False) == settled(
        FAIL, "own", "trail owner own is not declared to share this stack's account (accounts.shared)"
    )


def test_an_owner_without_a_multi_region_trail_fails_listing_its_trails_or_none() -> None:
    why = "own declares no multi-region trail: this stack's API activity is not recorded"
    assert answer(plan("us-west-2"), []) == settled(FAIL, None, why)
    single = ("aws_cloudtrail.s", "aws_cloudtrail", {"name": "s", "is_multi_region_trail": False})
    assert answer(plan("us-west-2", single), []) == settled(FAIL, ["aws_cloudtrail.s"], why)


def test_the_owners_trail_decides_pass_fail_or_unknown() -> None:
    actual = "[own] aws_cloudtrail.m"
    words = {
        PASS: f"recorded by the account's multi-region trail {actual}, which passes L1 in own's plan",
        FAIL: f"the account's multi-region trail {actual} fails L1 in own's plan",
        UNKNOWN: f"the account's multi-region trail {actual} is unknown for L1 in own's plan",
    }
    m = plan("us-west-2", MULTI)
    assert answer(m, [judged("L1", "aws_cloudtrail.m", PASS)]) == settled(PASS, actual, words[PASS])
    assert answer(m, [judged("L1", "aws_cloudtrail.m", PASS), judged("L1", "aws_cloudtrail.m", FAIL)]) == settled(FAIL, actual, words[FAIL])
    assert answer(m, [judged("L1", "aws_cloudtrail.m", PASS), judged("L1", "aws_cloudtrail.m", UNKNOWN)]) == settled(
        UNKNOWN, actual, words[UNKNOWN]
    )
    # nothing judged on the trail for this control (another control's pass or another address does not count)
    assert answer(m, [judged("L2", "aws_cloudtrail.m", PASS), judged("L1", "aws_cloudtrail.x", PASS)]) == settled(
        UNKNOWN, actual, words[UNKNOWN]
    )


def test_one_passing_trail_records_the_account_and_a_failing_one_beats_an_unknown() -> None:
    two = plan("us-west-2", MULTI, MULTI2)
    m, n = "aws_cloudtrail.m", "aws_cloudtrail.n"
    got = answer(two, [judged("L1", m, FAIL), judged("L1", n, PASS)])
    assert got[4:6] == (PASS, f"[own] {n}")
    got = answer(two, [judged("L1", m, UNKNOWN), judged("L1", n, FAIL)])
    assert got[4:6] == (FAIL, f"[own] {n}")
    scope_unknown = plan(
        "us-west-2",
        ("aws_cloudtrail.u", "aws_cloudtrail", {"name": "u"}),
        MULTI,
        unknown={"aws_cloudtrail.u": {"is_multi_region_trail": True}},
    )
    assert answer(scope_unknown, [judged("L1", m, FAIL)])[4:6] == (FAIL, f"[own] {m}")
    assert answer(scope_unknown, [judged("L1", m, PASS)])[4:6] == (PASS, f"[own] {m}")


def test_an_owners_trail_of_unknown_scope_alone_is_unknown_naming_it() -> None:
    scope_unknown = plan(
        "us-west-2", ("aws_cloudtrail.u", "aws_cloudtrail", {"name": "u"}), unknown={"aws_cloudtrail.u": {"is_multi_region_trail": True}}
    )
    actual = "[own] aws_cloudtrail.u"
    assert answer(scope_unknown, []) == settled(
        UNKNOWN, actual, f"the account's multi-region trail {actual} is unknown for L1 in own's plan"
    )


def test_a_stack_alone_is_pending_on_the_owner_it_names() -> None:
    ctx = Context(env="dep", plan=plan("eu-west-1"), profile=Profile(name="dep"), control_id="L2")
    why = "the account's multi-region trail is owned by stack own, whose plan is not part of this run: check both together"
    assert fields(accounts.trail_pending(ctx, "own")) == (
        "L2",
        "dep",
        accounts.ACCOUNT_TRAIL,
        "aws_cloudtrail",
        UNKNOWN,
        None,
        TRAIL_OWNER,
        why,
        None,
    )


def trails(
    findings: dict[str, list[Finding]], plans: dict[str, model.Plan], owners: dict[str, str | None], shared: list[list[str]] | None = None
) -> dict[str, list[tuple[Any, ...]]]:
    got = accounts.trails_across(findings, plans, owners, shared, list(plans))
    return {env: [fields(f) for f in fs] for env, fs in got.items()}


def test_trails_across_answers_a_pending_finding_from_the_owners_plan() -> None:
    plans = {"own": plan("us-west-2", MULTI), "dep": plan("eu-west-1")}
    findings = {"own": [judged("L1", "aws_cloudtrail.m", PASS)], "dep": [pending(), judged("L1", "x", PASS)]}
    passes = "recorded by the account's multi-region trail [own] aws_cloudtrail.m, which passes L1 in own's plan"
    assert trails(findings, plans, {"own": None, "dep": "own"}) == {"dep": [settled(PASS, "[own] aws_cloudtrail.m", passes)]}


def test_trails_across_without_the_owners_findings_is_unknown_not_an_error() -> None:
    plans = {"own": plan("us-west-2", MULTI), "dep": plan("eu-west-1")}
    unknown = "the account's multi-region trail [own] aws_cloudtrail.m is unknown for L1 in own's plan"
    assert trails({"dep": [pending()]}, plans, {"dep": "own"}) == {"dep": [settled(UNKNOWN, "[own] aws_cloudtrail.m", unknown)]}


def test_trails_across_skips_each_condition_alone() -> None:
    plans = {"own": plan("us-west-2", MULTI), "dep": plan("eu-west-1")}
    findings = {"own": [judged("L1", "aws_cloudtrail.m", PASS)], "dep": [pending()]}
    assert trails(findings, plans, {"dep": None}) == {}
    assert trails(findings, plans, {"dep": ""}) == {}
    assert trails(findings, plans, {"dep": "gone"}) == {}
    assert trails({"own": findings["own"], "dep2": [pending("dep2")]}, plans, {"dep": "own"}) == {}
    # the owner naming itself: its own pending finding is not answered from its own plan
    assert trails({"own": [pending("own")]}, {"own": plan("us-west-2"), "dep": plans["dep"]}, {"own": "own"}) == {}
    # a plan with a trail of its own is judged on it, even with a pending-looking finding (hostile)
    own_trail = {"own": plans["own"], "dep": plan("eu-west-1", ("aws_cloudtrail.d", "aws_cloudtrail", {"name": "d"}))}
    assert trails(findings, own_trail, {"dep": "own"}) == {}


def test_trails_across_fails_when_owner_and_stack_are_in_different_declared_accounts() -> None:
    plans = {"own": plan("us-west-2", MULTI), "dep": plan("eu-west-1"), "x": plan("eu-west-1"), "y": plan("eu-west-1")}
    findings = {"own": [judged("L1", "aws_cloudtrail.m", PASS)], "dep": [pending()]}
    got = trails(findings, plans, {"dep": "own"}, [["dep", "x"], ["own", "y"]])
    why = "trail owner own is not declared to share this stack's account (accounts.shared)"
    assert got == {"dep": [settled(FAIL, "own", why)]}


def test_only_pending_l1_l2_findings_count_as_pending() -> None:
    assert accounts.is_pending(pending()) and accounts.is_pending(pending(control="L2"))
    assert not accounts.is_pending(pending(control="AC1"))
    assert not accounts.is_pending(judged("L1", accounts.ACCOUNT_TRAIL, PASS))
    assert not accounts.is_pending(Finding("L1", "dep", "aws_cloudtrail.x", "aws_cloudtrail", UNKNOWN))
    assert not accounts.is_pending(Finding("L1", "dep", accounts.ACCOUNT_TRAIL, "name", UNKNOWN))


def test_answered_replaces_only_the_pending_findings_of_the_answered_control() -> None:
    other = judged("L1", "aws_cloudtrail.x", PASS)
    answer_l1 = Finding("L1", "dep", accounts.ACCOUNT_TRAIL, "aws_cloudtrail", PASS, "[own] t", TRAIL_OWNER, "recorded")
    findings = [other, pending(), pending(control="L2"), pending(control="AC1")]
    assert accounts.answered(findings, [answer_l1]) == [other, answer_l1, pending(control="L2"), pending(control="AC1")]
