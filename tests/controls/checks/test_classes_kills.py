"""Class controls (C1 closed world, C2 the plan is its environment's, the class-control registry) on small synthetic plans."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from tapguard.controls import engine
from tapguard.controls.checks import classes as class_checks
from tapguard.controls.engine import Context, Finding, profile_for
from tapguard.planning import model
from tests.controls.checks.golden import EMPTY, resource

Row = tuple[Any, ...]
ENV = "eu-west-1"
COVERAGE_EXPECTED = "every managed resource of a classed type"
UNASSESSED = "unassessed: no class knows this type"


def plan_of(
    *changes: dict[str, Any], region: str | None = ENV, module_calls: Iterable[str] = (), config: Iterable[str] | None = None
) -> model.Plan:
    """A plan of `changes`; its root module declares `config` (default: the changes' addresses) and `module_calls`."""
    addresses = [c["address"] for c in changes] if config is None else list(config)
    root: dict[str, Any] = {"resources": [{"address": a} for a in addresses], "module_calls": {m: {} for m in module_calls}}
    configuration: dict[str, Any] = {"root_module": root}
    if region is not None:
        configuration["provider_config"] = {"aws": {"expressions": {"region": {"constant_value": region}}}}
    return model.from_dict({**EMPTY, "resource_changes": list(changes), "configuration": configuration}, "synthetic")


def judge(
    check: Callable[[Context], Iterable[Finding]],
    control: str,
    plan: model.Plan,
    profile_region: str | None = ENV,
    hcl_dirs: list[Path] | None = None,
) -> list[Row]:
    """(address, attribute, status, actual, expected, message) of every finding of one check."""
    profile = dataclasses.replace(profile_for(ENV, plan), region=profile_region)
    ctx = Context(env=ENV, plan=plan, profile=profile, hcl_dirs=hcl_dirs or [], control_id=control)
    return [(f.address, f.attribute, f.status, f.actual, f.expected, f.message) for f in check(ctx)]


# ------------------------------------------------------------------------------------------------ class controls
def test_a_new_class_control_on_a_plan_without_its_class_is_not_applicable_and_named_after_its_facet() -> None:
    run = class_checks._class_control("password", "I5", standalone=True)
    assert run.__name__ == "class_password_I5"
    assert judge(run, "I5", plan_of()) == [
        ("(no password resource)", "", "not_applicable", None, "a resource of the class", "no resource in this plan")
    ]


def test_an_extension_of_a_stack_control_adds_nothing_on_a_plan_without_its_class() -> None:
    assert judge(class_checks._class_control("password", "I5", standalone=False), "I5", plan_of()) == []


def test_a_new_class_control_judges_the_resources_of_its_class_and_no_not_applicable() -> None:
    plan = plan_of(resource("aws_iam_account_password_policy.p", {"minimum_password_length": 6}))
    got = judge(class_checks._class_control("password", "I5", standalone=True), "I5", plan)
    assert got
    assert all(row[0] == "aws_iam_account_password_policy.p" for row in got)
    assert any(row[2] == "fail" for row in got)


def test_registration_makes_the_new_controls_checks_and_every_other_pair_an_extension(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "_CHECKS", {})
    monkeypatch.setattr(engine, "_EXTENSIONS", {})
    class_checks._register()
    assert {c: f.__name__ for c, f in engine._CHECKS.items()} == {
        "E8": "class_at_rest_E8",
        "I5": "class_password_I5",
        "L11": "class_logging_L11",
        "R12": "class_backup_R12",
        "T5": "class_in_transit_T5",
    }
    extensions = {c: [f.__name__ for f in fs] for c, fs in engine._EXTENSIONS.items()}
    assert extensions["E1"] == ["class_at_rest_E1"]
    assert extensions["L8"] == ["class_backup_L8"]
    assert extensions["N1"] == ["class_public_N1"]
    assert len(extensions) == 29 and not set(extensions) & set(class_checks.NEW_CONTROLS)
    assert all(len(fs) == 1 for fs in extensions.values())
    assert judge(engine._CHECKS["I5"], "I5", plan_of())[0][2] == "not_applicable"
    assert judge(engine._EXTENSIONS["E1"][0], "E1", plan_of()) == []


# ------------------------------------------------------------------------------------------------ C1
def c1(*changes: dict[str, Any]) -> list[Row]:
    return judge(class_checks.closed_world, "C1", plan_of(*changes))


def test_an_empty_plan_has_nothing_to_cover() -> None:
    assert c1() == [("(plan)", "coverage", "not_applicable", "0 managed resources", "every managed resource classed", "nothing managed")]


def test_a_plan_of_classed_types_is_fully_covered() -> None:
    got = c1(resource("aws_s3_bucket.a", {}))
    assert got[-1] == ("(plan)", "coverage", "pass", "1/1 managed resources assessed", COVERAGE_EXPECTED, "as required")


def test_unknown_types_fail_each_resource_and_the_coverage_naming_every_type() -> None:
    got = c1(resource("aws_s3_bucket.a", {}), resource("aws_zzz_thing.x", {}), resource("aws_yyy_thing.y", {}))
    assert ("aws_zzz_thing.x", "type", "fail", "aws_zzz_thing", "a resource type classed in classes.yaml", UNASSESSED) in got
    assert ("aws_yyy_thing.y", "type", "fail", "aws_yyy_thing", "a resource type classed in classes.yaml", UNASSESSED) in got
    assert got[-1] == (
        "(plan)",
        "coverage",
        "fail",
        "1/3 managed resources assessed",
        COVERAGE_EXPECTED,
        "unassessed types: aws_yyy_thing, aws_zzz_thing",
    )


# ------------------------------------------------------------------------------------------------ C2
REGION_OTHER = "the plan is for another region than this environment"
REGION_UNPINNED = "the plan does not pin the environment's region"
NO_HCL = ("(plan)", "configuration", "not_applicable", None, "the environment's HCL", "no HCL to compare with")
FOREIGN = "the plan's root module is not this environment's configuration"


def test_a_plan_for_another_region_fails_c2() -> None:
    assert judge(class_checks.plan_is_the_environments, "C2", plan_of(region="us-east-1")) == [
        ("(plan)", "provider.aws.region", "fail", "us-east-1", ENV, REGION_OTHER),
        NO_HCL,
    ]


def test_a_plan_in_the_environments_region_passes_c2() -> None:
    assert judge(class_checks.plan_is_the_environments, "C2", plan_of()) == [
        ("(plan)", "provider.aws.region", "pass", ENV, ENV, "as required"),
        NO_HCL,
    ]


def test_a_plan_without_a_pinned_region_fails_c2() -> None:
    assert judge(class_checks.plan_is_the_environments, "C2", plan_of(region=None)) == [
        ("(plan)", "provider.aws.region", "fail", None, ENV, REGION_UNPINNED),
        NO_HCL,
    ]


def test_an_environment_without_a_region_judges_no_region() -> None:
    assert judge(class_checks.plan_is_the_environments, "C2", plan_of(region="us-east-1"), profile_region=None) == [NO_HCL]


def hcl(tmp_path: Path, files: dict[str, str]) -> list[Path]:
    """A configuration directory `env` holding `files`, and a second directory that C2 must not read."""
    root = tmp_path / "env"
    root.mkdir()
    for name, text in files.items():
        (root / name).write_bytes(text.encode("latin-1"))
    other = tmp_path / "other"
    other.mkdir()
    (other / "main.tf").write_text('resource "aws_s3_bucket" "z" {}\n')
    return [root, other]


def c2_configuration(tmp_path: Path, files: dict[str, str], plan: model.Plan) -> Row:
    rows = judge(class_checks.plan_is_the_environments, "C2", plan, hcl_dirs=hcl(tmp_path, files))
    assert rows[0] == ("(plan)", "provider.aws.region", "pass", ENV, ENV, "as required")
    assert len(rows) == 2
    return rows[1]


MAIN = 'module "net" {\n  source = "./net"\n}\n  resource "aws_s3_bucket" "b" {}\ndata "aws_caller_identity" "me" {}\n'


def test_a_plan_of_the_declared_root_module_passes_c2(tmp_path: Path) -> None:
    plan = plan_of(resource("aws_s3_bucket.b", {}), module_calls=["net"], config=["aws_s3_bucket.b", "data.aws_caller_identity.me"])
    assert c2_configuration(tmp_path, {"main.tf": MAIN, "x.tf": "# caf\xe9\n"}, plan) == (
        "(plan)",
        "configuration.root_module",
        "pass",
        ["aws_s3_bucket.b", "module.net"],
        "the root module of env",
        "as required",
    )


def test_a_plan_with_resources_the_configuration_does_not_declare_fails_c2(tmp_path: Path) -> None:
    foreign = [f"aws_s3_bucket.f{i}" for i in range(7)]
    plan = plan_of(module_calls=["net", "gone"], config=["aws_s3_bucket.b", *foreign])
    notes = {"notes.txt": 'resource "aws_s3_bucket" "f0" {}\n', "main.tf": MAIN}
    assert c2_configuration(tmp_path, notes, plan) == (
        "(plan)",
        "configuration.root_module",
        "fail",
        ["aws_s3_bucket.f0", "aws_s3_bucket.f1", "aws_s3_bucket.f2", "aws_s3_bucket.f3", "aws_s3_bucket.f4"],
        "the root module of env",
        FOREIGN,
    )


def test_a_foreign_module_call_fails_c2(tmp_path: Path) -> None:
    plan = plan_of(module_calls=["net", "gone"], config=["aws_s3_bucket.b"])
    assert c2_configuration(tmp_path, {"a.tf": MAIN, "b.tf": 'resource "aws_sqs_queue" "q" {}\n'}, plan) == (
        "(plan)",
        "configuration.root_module",
        "fail",
        ["module.gone"],
        "the root module of env",
        FOREIGN,
    )


def test_a_plan_of_many_declared_resources_lists_the_first_five(tmp_path: Path) -> None:
    names = [f"aws_s3_bucket.b{i}" for i in range(7)]
    text = "".join(f'resource "aws_s3_bucket" "b{i}" {{}}\n' for i in range(7))
    assert c2_configuration(tmp_path, {"main.tf": text}, plan_of(config=names))[2:4] == ("pass", names[:5])


def test_an_empty_root_module_passes_c2(tmp_path: Path) -> None:
    assert c2_configuration(tmp_path, {"main.tf": MAIN}, plan_of(config=["data.aws_caller_identity.me"])) == (
        "(plan)",
        "configuration.root_module",
        "pass",
        [],
        "the root module of env",
        "as required",
    )


def test_a_plan_without_a_configuration_passes_c2_with_nothing_planned(tmp_path: Path) -> None:
    plan = model.from_dict(
        {**EMPTY, "configuration": {"provider_config": {"aws": {"expressions": {"region": {"constant_value": ENV}}}}}}, "s"
    )
    assert c2_configuration(tmp_path, {"main.tf": MAIN}, plan)[2:4] == ("pass", [])


def test_a_resource_declared_on_the_first_line_of_a_later_file_counts_as_declared(tmp_path: Path) -> None:
    plan = plan_of(config=["aws_s3_bucket.b", "aws_sqs_queue.q"], module_calls=["net"])
    files = {"a.tf": MAIN, "b.tf": 'resource "aws_sqs_queue" "q" {}\n'}
    assert c2_configuration(tmp_path, files, plan)[2:4] == ("pass", ["aws_s3_bucket.b", "aws_sqs_queue.q", "module.net"])


def test_a_plan_without_any_configuration_section_passes_c2_with_nothing_planned(tmp_path: Path) -> None:
    plan = model.from_dict({"format_version": "1.2", "resource_changes": []}, "s")
    rows = judge(class_checks.plan_is_the_environments, "C2", plan, profile_region=None, hcl_dirs=hcl(tmp_path, {"main.tf": MAIN}))
    assert rows == [("(plan)", "configuration.root_module", "pass", [], "the root module of env", "as required")]
