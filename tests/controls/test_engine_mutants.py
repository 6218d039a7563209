"""The control engine at its edges: the registry, the finding builders, the profile fallback and evaluate's safety nets.

Small synthetic plans (no fixtures): what a check sees and what a caller gets back when a check errs, finds
nothing, is skipped, or meets a key it cannot prove customer-managed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tapguard.controls import engine
from tapguard.controls.engine import FAIL, NOT_APPLICABLE, PASS, UNKNOWN, Context, Finding
from tapguard.foundation.errors import TapguardError
from tapguard.foundation.profile import Profile
from tapguard.planning import model

CHECKS = Path(engine.__file__).with_name("checks")
KEY = "aws_kms_key.cmk"


def plan(*resources: tuple[str, str, dict[str, Any], dict[str, Any]], expressions: dict[str, Any] | None = None) -> model.Plan:
    """A plan of (address, type, after, after_unknown); `expressions` maps an address to its configuration expressions."""
    changes = [
        {
            "address": address,
            "mode": "managed",
            "type": rtype,
            "name": address.rsplit(".", 1)[-1],
            "change": {"actions": ["create"], "after": after, "after_unknown": unknown, "after_sensitive": {}},
        }
        for address, rtype, after, unknown in resources
    ]
    config = [
        {"address": address, "mode": "managed", "type": address.split(".")[0], "name": address.split(".")[1], "expressions": exprs}
        for address, exprs in (expressions or {}).items()
    ]
    data = {
        "format_version": "1.2",
        "resource_changes": changes,
        "configuration": {
            "provider_config": {"aws": {"expressions": {"region": {"constant_value": "eu-central-1"}}}},
            "root_module": {"resources": config},
        },
    }
    return model.from_dict(data, "synthetic")


def context(p: model.Plan, profile: Profile | None = None) -> Context:
    return Context(env="dev", plan=p, profile=profile or Profile(name="dev"), control_id="X9")


def test_every_check_is_a_plain_function_so_mutation_testing_reaches_it() -> None:
    """mutmut skips decorated functions: a check body behind @check("ID") would never be mutated again."""
    decorated = [
        f"{path.name}:{node.name}"
        for path in sorted(CHECKS.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef) and any("check" in ast.unparse(d) for d in node.decorator_list)
    ]
    assert decorated == []
    for control in engine.catalogue().values():
        base = engine._CHECKS[control.id]
        assert base.__module__.startswith(("tapguard.controls.checks.", "tapguard.controls.accounts")), control.id
        assert control.check.__name__ == base.__name__  # an extended check still names its base (SARIF, docs)


def test_a_control_registered_twice_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "_CHECKS", {})

    def first(ctx: Context) -> Iterator[Finding]:
        yield ctx.ok("a", "", 1, 1)

    assert engine.check("Z1")(first) is first
    assert {"Z1": first} == engine._CHECKS
    with pytest.raises(RuntimeError, match="control Z1 registered twice"):
        engine.check("Z1")(first)


def test_the_catalogue_refuses_a_control_without_check_and_a_check_without_control(monkeypatch: pytest.MonkeyPatch) -> None:
    real = dict(engine._CHECKS)
    engine.catalogue.cache_clear()
    try:
        monkeypatch.setattr(engine, "_CHECKS", {k: v for k, v in real.items() if k != "E1"})
        with pytest.raises(RuntimeError, match="catalogue control E1 has no @check"):
            engine.catalogue()
        engine.catalogue.cache_clear()
        monkeypatch.setattr(engine, "_CHECKS", {**real, "ZZ9": real["E1"]})
        with pytest.raises(RuntimeError, match=r"checks without catalogue entry: \['ZZ9'\]"):
            engine.catalogue()
        engine.catalogue.cache_clear()
        monkeypatch.setattr(engine, "_CHECKS", real)
        monkeypatch.setattr(engine, "_EXTENSIONS", {**engine._EXTENSIONS, "ZZ8": []})
        with pytest.raises(RuntimeError, match=r"\['ZZ8'\]"):
            engine.catalogue()
    finally:
        engine.catalogue.cache_clear()


def test_the_catalogue_reads_every_field() -> None:
    e1 = engine.catalogue()["E1"]
    assert (e1.id, e1.family) == ("E1", "data_protection")
    assert e1.requirements and all(isinstance(r, str) for r in e1.requirements) and isinstance(e1.requirements, tuple)
    assert e1.title and e1.severity and e1.risk and e1.remediation
    assert all(isinstance(v, list) for v in e1.scanners.values()) and e1.scanners


def test_an_extension_runs_after_its_base_and_sees_what_the_base_judged(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[set[str]] = []

    def base(ctx: Context) -> Iterator[Finding]:
        yield ctx.ok("a", "", 1, 1)
        yield ctx.fail("b", "", 0, 1, "no")

    def more(ctx: Context) -> Iterator[Finding]:
        seen.append(set(ctx.covered))
        yield ctx.ok("c", "", 1, 1)

    monkeypatch.setattr(engine, "_CHECKS", {"Z1": base})
    monkeypatch.setattr(engine, "_EXTENSIONS", {})
    control = engine.Control("Z1", "t", "f", ("1",), "high", "r", "fix", {})
    assert control.check is base
    engine.extend("Z1", more)
    engine.extend("Z1", more)
    assert {"Z1": [more, more]} == engine._EXTENSIONS
    ctx = context(plan())
    ctx.covered = {"stale"}
    assert [f.address for f in control.check(ctx)] == ["a", "b", "c", "c"]
    assert seen == [{"a", "b"}, {"a", "b"}]
    assert control.check.__name__ == "base"


def test_finding_builders_carry_status_values_and_messages() -> None:
    p = plan(("aws_s3_bucket.logs", "aws_s3_bucket", {"acl": "private"}, {}))
    ctx = context(p)
    r = p.by_address["aws_s3_bucket.logs"]
    assert ctx.finding(r, "acl", PASS, "private", "private", "m") == Finding(
        "X9", "dev", "aws_s3_bucket.logs", "acl", PASS, "private", "private", "m"
    )
    assert ctx.ok("addr", "a", 1, 2) == Finding("X9", "dev", "addr", "a", PASS, 1, 2, "as required")
    assert ctx.fail("addr", "a", 1, 2, "bad") == Finding("X9", "dev", "addr", "a", FAIL, 1, 2, "bad")
    assert ctx.verdict(True, "addr", "a", 1, 2, "bad") == Finding("X9", "dev", "addr", "a", PASS, 1, 2, "as required")
    assert ctx.verdict(False, "addr", "a", 1, 2, "bad") == Finding("X9", "dev", "addr", "a", FAIL, 1, 2, "bad")
    assert ctx.finding("addr", "a", PASS, "x" * 400, None, "").actual == "x" * 297 + "..."


def test_safe_values_are_short() -> None:
    assert engine._safe("x" * 300) == "x" * 300
    assert engine._safe("x" * 301) == "x" * 297 + "..."
    assert engine._safe(None) is None and engine._safe(7) == 7 and engine._safe(1.5) == 1.5 and engine._safe(True) is True
    short = {"k": [1, 2]}
    assert engine._safe(short) is short
    exactly = ["y" * 296]  # repr: ['yyy...'] = 300 characters
    assert len(repr(exactly)) == 300 and engine._safe(exactly) is exactly
    longer = ["y" * 297]
    assert engine._safe(longer) == repr(longer)[:297] + "..." and len(engine._safe(longer)) == 300


def test_finding_as_dict_and_describe() -> None:
    f = Finding("E1", "dev", "aws_rds_cluster.a", "storage_encrypted", FAIL, False, True, "unencrypted")
    assert f.as_dict() == {
        "control": "E1",
        "environment": "dev",
        "address": "aws_rds_cluster.a",
        "attribute": "storage_encrypted",
        "status": FAIL,
        "actual": False,
        "expected": True,
        "message": "unencrypted",
        "waiver": None,
    }
    control = engine.catalogue()["E1"]
    head = f"E1 (PCI DSS {', '.join(control.requirements)}) [dev] aws_rds_cluster.a storage_encrypted"
    assert f.describe(control) == f"{head}: unencrypted — actual False, expected True"
    assert Finding("E1", "dev", "(no x)", "", FAIL, None, "y", "m").describe() == "E1 [dev] (no x): m — actual None, expected y"


def test_need_and_missing_follow_the_profile() -> None:
    p = plan(("aws_vpc.main", "aws_vpc", {}, {}))
    everything = context(p)
    gen = everything.need("aws_vpc", "why")
    with pytest.raises(StopIteration) as done:
        next(gen)
    assert [r.address for r in done.value.value] == ["aws_vpc.main"]

    def drain(ctx: Context, rtype: str) -> tuple[list[Finding], list[Any]]:
        findings: list[Finding] = []
        gen = ctx.need(rtype, "because")
        try:
            while True:
                findings.append(next(gen))
        except StopIteration as stop:
            return findings, stop.value

    findings, found = drain(everything, "aws_subnet")
    assert found == []
    assert findings == [Finding("X9", "dev", "(no aws_subnet)", "", FAIL, None, "at least one aws_subnet", "because")]
    listed = context(p, Profile(name="dev", requires=("aws_subnet",)))
    assert drain(listed, "aws_subnet")[0][0].status == FAIL
    unlisted = context(p, Profile(name="dev", requires=("aws_vpc",)))
    assert drain(unlisted, "aws_subnet")[0][0].status == NOT_APPLICABLE
    assert context(p, Profile(name="dev", requires=())).missing("aws_subnet", "w").status == NOT_APPLICABLE


def test_expect_judges_known_values_and_reports_unknown_ones() -> None:
    p = plan(("aws_vpc.a", "aws_vpc", {"cidr": "10.0.0.0/16"}, {"arn": True}))
    ctx = context(p)
    r = p.by_address["aws_vpc.a"]
    good = ctx.expect(r, "cidr", lambda v: v == "10.0.0.0/16", "a /16", "wrong")
    assert (good.status, good.actual, good.expected, good.message) == (PASS, "10.0.0.0/16", "a /16", "as required")
    bad = ctx.expect(r, "cidr", lambda v: False, "a /8", "wrong")
    assert (bad.status, bad.message) == (FAIL, "wrong")
    unknown = ctx.expect(r, "arn", lambda v: True, "an arn", "wrong")
    assert (unknown.status, unknown.actual, unknown.expected, unknown.message) == (
        UNKNOWN,
        "(known after apply)",
        "an arn",
        "unknown at plan time",
    )
    assert engine.require_known(ctx, r, "cidr") is None
    known = engine.require_known(ctx, r, "arn")
    assert known == Finding(
        "X9", "dev", "aws_vpc.a", "arn", UNKNOWN, "(known after apply)", "a value known at plan time", "unknown at plan time"
    )
    unreadable = ctx.unreadable_containers(r)
    assert (unreadable.attribute, unreadable.status, unreadable.actual, unreadable.expected) == (
        "container_definitions",
        UNKNOWN,
        "(known after apply)",
        "known container definitions",
    )
    assert unreadable.message == "cannot read the container definitions at plan time"


@pytest.mark.parametrize(
    ("value", "unknown", "status", "message"),
    [
        ("arn:aws:kms:eu-central-1:111122223333:alias/aws/rds", False, FAIL, "uses an AWS-managed key"),
        ("arn:aws:kms:eu-central-1:111122223333:key/abcd", False, UNKNOWN, "a key outside this plan: cannot prove it is customer-managed"),
        (
            "arn:aws:kms:eu-central-1:111122223333:alias/mine",
            False,
            UNKNOWN,
            "a key outside this plan: cannot prove it is customer-managed",
        ),
        ("something-else", False, FAIL, "no customer-managed key (AWS-managed or none)"),
        ("", False, FAIL, "no customer-managed key (AWS-managed or none)"),
        (None, False, FAIL, "no customer-managed key (AWS-managed or none)"),
        (None, True, UNKNOWN, "unknown and not traceable to a key in the plan"),
    ],
)
def test_cmk_tells_customer_keys_from_aws_keys_and_unknowns(value: Any, unknown: bool, status: str, message: str) -> None:
    after = {} if value is None else {"kms_key_id": value}
    p = plan(("aws_rds_cluster.db", "aws_rds_cluster", after, {"kms_key_id": True} if unknown else {}))
    finding = context(p).cmk(p.by_address["aws_rds_cluster.db"], "kms_key_id")
    assert (finding.status, finding.message, finding.expected) == (status, message, "a customer-managed aws_kms_key")
    assert finding.actual == ("(known after apply)" if unknown else value)


def test_cmk_passes_a_key_of_the_plan_and_names_it() -> None:
    refs = {"aws_rds_cluster.db": {"kms_key_id": {"references": [f"{KEY}.arn", KEY]}}}
    p = plan(
        (KEY, "aws_kms_key", {}, {"arn": True}),
        ("aws_rds_cluster.db", "aws_rds_cluster", {}, {"kms_key_id": True}),
        expressions=refs,
    )
    finding = context(p).cmk(p.by_address["aws_rds_cluster.db"], "kms_key_id")
    assert (finding.status, finding.actual, finding.message) == (PASS, KEY, "as required")
    assert [r.address for r in engine.Context.referencing(KEY, "kms_key_id", p.resources)] == ["aws_rds_cluster.db"]
    assert [r.address for r in engine.Context.referencing(p.by_address[KEY], "kms_key_id", p.resources)] == ["aws_rds_cluster.db"]
    assert engine.Context.referencing("aws_kms_key.other", "kms_key_id", p.resources) == []
    assert [r.address for r in context(p).resources("aws_kms_key")] == [KEY]
    assert context(p).resources("aws_kms_key", mode="data") == []


def test_profile_for_prefers_the_configured_one_then_the_stack_then_generic() -> None:
    p = plan()
    configured = engine.profile_for("dev", p, {"min_azs": 3})
    assert (configured.name, configured.region, configured.min_azs) == ("dev", "eu-central-1", 3)
    assert engine.profile_for("dev", p, {"region": "us-east-1"}).region == "us-east-1"
    assert engine.profile_for("eu-west-1", p) is engine.profiles()["eu-west-1"]
    generic = engine.profile_for("someone-elses", p)
    assert (generic.name, generic.region, generic.generic, generic.requires) == ("someone-elses", "eu-central-1", True, ())
    assert "R1" in generic.skip and isinstance(generic.skip, tuple)
    named_generic = engine.profile_for(engine.GENERIC, p)
    assert named_generic.generic and named_generic.name == engine.GENERIC
    stack = engine.profiles()["us-west-2"]
    assert isinstance(stack.requires, tuple) and "aws_vpc" in stack.requires and stack.region == "us-west-2"


def test_generic_falls_back_to_a_bare_profile_when_the_file_has_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "profiles", lambda: {})
    generic = engine.profile_for("x", plan())
    assert (generic.name, generic.requires, generic.generic, generic.region, generic.skip) == ("x", (), True, "eu-central-1", ())


def test_evaluate_turns_errors_silence_and_skips_into_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(ctx: Context) -> Iterator[Finding]:
        yield ctx.ok("a", "", 1, 1)
        raise KeyError("gone")

    def silent(ctx: Context) -> Iterator[Finding]:
        yield from ()

    def fine(ctx: Context) -> Iterator[Finding]:
        yield ctx.ok("a", "", ctx.control_id, ctx.env)

    monkeypatch.setattr(engine, "_CHECKS", {"Z1": broken, "Z2": silent, "Z3": fine, "Z4": fine})
    monkeypatch.setattr(engine, "_EXTENSIONS", {})
    monkeypatch.setattr(
        engine, "catalogue", lambda: {k: engine.Control(k, "t", "f", (), "s", "r", "m", {}) for k in ("Z1", "Z2", "Z3", "Z4")}
    )
    stack = Profile(name="dev", skip=("Z4",))
    findings = engine.evaluate("dev", plan(), profile=stack)
    assert [(f.control, f.address, f.status) for f in findings] == [
        ("Z1", "(control error)", FAIL),
        ("Z2", "(nothing evaluated)", FAIL),
        ("Z3", "a", PASS),
        ("Z4", "(profile)", NOT_APPLICABLE),
    ]
    error, nothing, ok, skipped = findings
    assert (error.actual, error.expected, error.message) == ("KeyError", "the check to run", "'gone'")
    assert (nothing.actual, nothing.expected, nothing.message) == (None, "resources to evaluate", "the control found nothing to evaluate")
    assert (ok.actual, ok.expected, ok.environment) == ("Z3", "dev", "dev")
    assert (skipped.actual, skipped.expected, skipped.message) == ("dev", "a stack profile", "not run under this profile")
    generic = engine.evaluate("dev", plan(), profile=Profile(name="g", generic=True, skip=("Z4",)), only=["Z4", "Z3"])
    assert [(f.control, f.message) for f in generic] == [
        ("Z4", "stack-specific control: not run under the generic profile"),
        ("Z3", "as required"),
    ]
    assert engine.evaluate("dev", plan(), only=["Z3"])[0].actual == "Z3"  # profile_for when none is given


def test_evaluate_passes_the_hcl_dirs_to_the_checks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[Any] = []

    def look(ctx: Context) -> Iterator[Finding]:
        seen.append((ctx.hcl_dirs, ctx.profile.name, ctx.plan.region))
        yield ctx.ok("a", "", 1, 1)

    monkeypatch.setattr(engine, "_CHECKS", {"Z1": look})
    monkeypatch.setattr(engine, "_EXTENSIONS", {})
    monkeypatch.setattr(engine, "catalogue", lambda: {"Z1": engine.Control("Z1", "t", "f", (), "s", "r", "m", {})})
    engine.evaluate("eu-west-1", plan(), hcl_dirs=[tmp_path])
    engine.evaluate("eu-west-1", plan())
    assert seen == [([tmp_path], "eu-west-1", "eu-central-1"), ([], "eu-west-1", "eu-central-1")]


def test_shared_helpers() -> None:
    assert engine.as_list(None) == [] and engine.as_list([1]) == [1] and engine.as_list("a") == ["a"] and engine.as_list(0) == [0]
    p = plan(
        ("aws_ecs_task_definition.ok", "aws_ecs_task_definition", {"container_definitions": '[{"name": "a"}, 3]'}, {}),
        ("aws_ecs_task_definition.obj", "aws_ecs_task_definition", {"container_definitions": '{"name": "a"}'}, {}),
        ("aws_ecs_task_definition.bad", "aws_ecs_task_definition", {"container_definitions": "[{"}, {}),
        ("aws_ecs_task_definition.none", "aws_ecs_task_definition", {}, {"container_definitions": True}),
    )
    assert engine.containers(p.by_address["aws_ecs_task_definition.ok"]) == [{"name": "a"}]
    assert engine.containers(p.by_address["aws_ecs_task_definition.obj"]) is None
    assert engine.containers(p.by_address["aws_ecs_task_definition.bad"]) is None
    assert engine.containers(p.by_address["aws_ecs_task_definition.none"]) is None
    err = engine.error("bad thing")
    assert isinstance(err, TapguardError) and str(err) == "bad thing"


def test_describe_lists_every_requirement_of_the_control() -> None:
    control = engine.Control("Z1", "t", "f", ("1.2.1", "3.5.1"), "high", "r", "fix", {})
    finding = Finding("Z1", "dev", "aws_s3_bucket.a", "acl", FAIL, "public", "private", "open")
    assert finding.describe(control) == "Z1 (PCI DSS 1.2.1, 3.5.1) [dev] aws_s3_bucket.a acl: open — actual 'public', expected private"


def test_an_unknown_value_is_reported_on_the_attribute_that_is_unknown() -> None:
    p = plan(("aws_vpc.a", "aws_vpc", {}, {"arn": True}))
    finding = context(p).expect(p.by_address["aws_vpc.a"], "arn", lambda v: True, "an arn", "wrong")
    assert (finding.address, finding.attribute) == ("aws_vpc.a", "arn")


@pytest.mark.parametrize(
    ("after", "unknown", "actual"),
    [
        ({"kms_key_id": "arn:aws:kms:eu-central-1:111122223333:alias/aws/rds"}, {}, "arn:aws:kms:eu-central-1:111122223333:alias/aws/rds"),
        ({"kms_key_id": "arn:aws:kms:eu-central-1:111122223333:key/abcd"}, {}, "arn:aws:kms:eu-central-1:111122223333:key/abcd"),
        ({}, {"kms_key_id": True}, "(known after apply)"),
        ({"kms_key_id": ""}, {}, ""),
    ],
)
def test_every_cmk_finding_names_the_attribute_and_what_was_expected(after: dict[str, Any], unknown: dict[str, Any], actual: Any) -> None:
    p = plan(("aws_rds_cluster.db", "aws_rds_cluster", after, unknown))
    finding = context(p).cmk(p.by_address["aws_rds_cluster.db"], "kms_key_id")
    assert (finding.address, finding.attribute, finding.actual, finding.expected) == (
        "aws_rds_cluster.db",
        "kms_key_id",
        actual,
        "a customer-managed aws_kms_key",
    )


def test_cmk_names_the_attribute_and_expectation_when_it_passes() -> None:
    refs = {"aws_rds_cluster.db": {"kms_key_id": {"references": [f"{KEY}.arn", KEY]}}}
    p = plan((KEY, "aws_kms_key", {}, {"arn": True}), ("aws_rds_cluster.db", "aws_rds_cluster", {}, {"kms_key_id": True}), expressions=refs)
    finding = context(p).cmk(p.by_address["aws_rds_cluster.db"], "kms_key_id")
    assert finding == Finding("X9", "dev", "aws_rds_cluster.db", "kms_key_id", PASS, KEY, "a customer-managed aws_kms_key", "as required")


def test_cmk_does_not_take_a_reference_to_something_other_than_a_key_for_a_key() -> None:
    """kms_key_id pointing at an alias (or any other resource) of the plan is not a customer-managed key."""
    refs = {"aws_rds_cluster.db": {"kms_key_id": {"references": ["aws_kms_alias.db.arn", "aws_kms_alias.db"]}}}
    p = plan(
        ("aws_kms_alias.db", "aws_kms_alias", {"name": "alias/db"}, {"arn": True}),
        ("aws_rds_cluster.db", "aws_rds_cluster", {}, {"kms_key_id": True}),
        expressions=refs,
    )
    finding = context(p).cmk(p.by_address["aws_rds_cluster.db"], "kms_key_id")
    assert (finding.status, finding.message) == (UNKNOWN, "unknown and not traceable to a key in the plan")


@pytest.mark.parametrize("value", [True, 7, ["alias/aws/rds"], {"alias/aws/": "x", ":key/": "y"}])
def test_cmk_fails_a_value_that_is_not_a_key_arn_at_all(value: Any) -> None:
    """Only a string can name a key: a number, a list or an object in kms_key_id is no customer-managed key."""
    p = plan(("aws_rds_cluster.db", "aws_rds_cluster", {"kms_key_id": value}, {}))
    finding = context(p).cmk(p.by_address["aws_rds_cluster.db"], "kms_key_id")
    assert (finding.status, finding.attribute, finding.message) == (FAIL, "kms_key_id", "no customer-managed key (AWS-managed or none)")


def test_the_safety_net_findings_of_evaluate_name_no_attribute(monkeypatch: pytest.MonkeyPatch) -> None:
    """A skipped, erring or silent control reports on the control, not on an attribute: the attribute is empty, as the
    SARIF and JUnit writers expect (they print it after the address)."""

    def broken(ctx: Context) -> Iterator[Finding]:
        raise KeyError("gone")
        yield  # pragma: no cover

    def silent(ctx: Context) -> Iterator[Finding]:
        yield from ()

    monkeypatch.setattr(engine, "_CHECKS", {"Z1": broken, "Z2": silent, "Z3": silent})
    monkeypatch.setattr(engine, "_EXTENSIONS", {})
    monkeypatch.setattr(engine, "catalogue", lambda: {k: engine.Control(k, "t", "f", (), "s", "r", "m", {}) for k in ("Z1", "Z2", "Z3")})
    findings = engine.evaluate("dev", plan(), profile=Profile(name="dev", skip=("Z3",)))
    assert [(f.control, f.address, f.attribute) for f in findings] == [
        ("Z1", "(control error)", ""),
        ("Z2", "(nothing evaluated)", ""),
        ("Z3", "(profile)", ""),
    ]
