"""Hostile input, table-driven: every row is one line on stderr, the right exit code, never a traceback.

Rows run `tapguard.cli.main` in-process (no interpreter start per row), against plans, waivers, the
config file, CLI flags, environment variables and evidence bundles. Placeholders in argv and file
contents: {tmp} (the row's scratch directory), {plan} (a minimal valid plan JSON), {root} (the repo).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tapguard.cli import main

MINIMAL_PLAN = {"format_version": "1.2", "terraform_version": "1.11.4", "planned_values": {}, "resource_changes": [], "configuration": {}}
TF = 'terraform {\n  required_version = ">= 1.11"\n}\n'


def change(**body: Any) -> bytes:
    rc = {"address": "aws_s3_bucket.a", "type": "aws_s3_bucket", "name": "a", "change": {"actions": ["create"], "after": {}, **body}}
    return json.dumps({**MINIMAL_PLAN, "resource_changes": [rc]}).encode()


def plan_with(**top: Any) -> bytes:
    return json.dumps({**MINIMAL_PLAN, **top}).encode()


def change_entry(**entry: Any) -> bytes:
    rc = {"address": "aws_s3_bucket.a", "type": "aws_s3_bucket", "name": "a", "change": {"actions": ["create"], "after": {}}, **entry}
    return json.dumps({**MINIMAL_PLAN, "resource_changes": [rc]}).encode()


def config_with(**root_module: Any) -> bytes:
    return json.dumps({**MINIMAL_PLAN, "configuration": {"root_module": root_module}}).encode()


def deep_modules(levels: int, bad: bool = False) -> bytes:
    """Modules `levels` deep, in the configuration and planned_values, as terraform writes them (valid unless `bad`)."""
    config: dict[str, Any] = {"resources": {} if bad else [{"address": "aws_s3_bucket.a", "expressions": {}}]}
    values: dict[str, Any] = {"resources": [], "child_modules": []}
    for level in reversed(range(levels)):
        config = {"module_calls": {f"m{level}": {"source": "./m", "module": config}}}
        values = {"address": "", "resources": [], "child_modules": [values]}
    return json.dumps({**MINIMAL_PLAN, "configuration": {"root_module": config}, "planned_values": {"root_module": values}}).encode()


def deep_after(levels: int) -> bytes:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return change(after={"tags": value})


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    message: str
    code: int = 2
    files: dict[str, Any] = field(default_factory=dict)  # name -> bytes/str, or DIR / FIFO / LOOP / DANGLING
    env: dict[str, str] = field(default_factory=dict)
    cwd: str = "root"  # "root" (this repository) or "tmp" (a foreign project made from `files`)


DIR, FIFO, LOOP, DANGLING = "<dir>", "<fifo>", "<loop>", "<dangling>"


def plan_case(id: str, content: Any, message: str) -> Case:
    return Case(
        id, ("check", "--plan-json", "us-west-2={tmp}/p.json", "--no-checkov", "--out", "{tmp}/ev"), message, files={"p.json": content}
    )


def waiver_case(id: str, content: Any, message: str, code: int = 2) -> Case:
    # "scratch" is no environment of the project: no HCL to parse, the row stays fast
    argv = ("check", "--plan-json", "scratch={plan}", "--no-checkov", "--out", "{tmp}/ev", "--waivers", "{tmp}/w.yaml")
    return Case(id, argv, message, code, files={"w.yaml": content})


def waiver(**fields: Any) -> str:
    entry = {"control": "N1", "address": "*", "reason": "r", "owner": "o", "ticket": "T-1", "expires": "2099-01-01", **fields}
    lines = "\n".join(f"    {k}: {v if k == 'expires' else json.dumps(v)}" for k, v in entry.items())
    return "waivers:\n  - " + lines.lstrip() + "\n"


def config_case(id: str, toml: str, message: str, extra: dict[str, Any] | None = None, name: str = "tapguard.toml") -> Case:
    files = {name: toml, "infra/prod/main.tf": TF, "infra/stage/main.tf": TF, "empty/readme.txt": "x", **(extra or {})}
    argv = ("check", "--plan-json", "prod={plan}", "--no-checkov", "--out", "{tmp}/ev")
    return Case(id, argv, message, files=files, cwd="tmp")


def version_script(stdout: str) -> str:
    return f"#!/bin/sh\ncat <<'EOF'\n{stdout}\nEOF\n"


BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)
CHECK_FLAGS = ("check", "--plan-json", "us-west-2={plan}", "--no-checkov", "--out", "{tmp}/ev")
CHECK_DRILLS = ("check", "--plan-json", "us-west-2={plan}", "--no-checkov", "--out", "{tmp}/ev", "--drills", "{tmp}/d.json")

DRILL_JOURNAL: dict[str, Any] = {"title": "postgres failover", "verdict": {"passed": True, "reasons": []}}


def drill_case(
    id: str, override: dict[str, Any], message: str, code: int = 2, top: dict[str, Any] | None = None, raw: str | None = None
) -> Case:
    """A drills.json with one journal: the passing one, its keys (and verdict's) replaced by `override`."""
    journal = {**DRILL_JOURNAL, **override}
    text = raw if raw is not None else json.dumps({"format": "tapguard.drills/1", "drills": [journal], **(top or {})})
    argv = ("check", "--plan-json", "scratch={plan}", "--no-checkov", "--out", "{tmp}/ev", "--drills", "{tmp}/d.json")
    return Case(id, argv, message, code, files={"d.json": text})


CASES = [
    # ---------------------------------------------------------------- plans
    plan_case("plan-empty", b"", "empty file"),
    plan_case("plan-whitespace", b"  \n\t ", "empty file"),
    plan_case("plan-binary", b"PK\x03\x04binary", "this is a binary plan file"),
    plan_case("plan-not-utf8", b'{"format_version": "\xff\xfe"}', "not UTF-8 text"),
    plan_case("plan-truncated", b'{"format_version": "1.2", "resource_changes": [', "truncated JSON"),
    plan_case("plan-malformed", b'{"format_version": "1.2",, }', "malformed JSON"),
    plan_case("plan-top-list", b"[1, 2]", "top level is a JSON list"),
    plan_case("plan-no-format", b'{"resource_changes": []}', "no format_version"),
    plan_case("plan-format-2", plan_with(format_version="2.0"), "format_version 2.0 is not supported"),
    plan_case("plan-format-number", plan_with(format_version=1.2), "is not of the form MAJOR.MINOR"),
    plan_case("plan-state-file", b'{"format_version": "1.0", "values": {}}', "a state file"),
    plan_case("plan-errored", plan_with(errored=True), "the plan errored"),
    plan_case("plan-changes-object", plan_with(resource_changes={}), "resource_changes is a JSON object, expected an array"),
    plan_case("plan-actions-null", change(actions=None), "change.actions is a JSON null, expected an array"),
    plan_case("plan-actions-string", change(actions="delete"), "change.actions is a JSON string, expected an array"),
    plan_case("plan-actions-empty", change(actions=[]), "change.actions is empty"),
    plan_case("plan-actions-unknown", change(actions=["explode"]), 'change.actions[0] is "explode", expected one of'),
    plan_case("plan-actions-number", change(actions=[1]), "change.actions[0] is 1, expected one of"),
    plan_case("plan-no-actions", change(actions=None).replace(b'"actions": null, ', b""), "resource_changes[0].change.actions is missing"),
    plan_case(
        "plan-address-int",
        json.dumps({**MINIMAL_PLAN, "resource_changes": [{"address": 7, "type": "x", "change": {"actions": ["create"]}}]}).encode(),
        "resource_changes[0].address is a JSON number",
    ),
    plan_case(
        "plan-entry-string", plan_with(resource_changes=["aws_s3_bucket.a"]), "resource_changes[0] is a JSON string, expected an object"
    ),
    plan_case("plan-after-list", change(after=[1]), "change.after is a JSON array"),
    plan_case("plan-after-string", change(after="x"), "change.after is a JSON string"),
    plan_case("plan-after-sensitive-string", change(after_sensitive="yes"), "change.after_sensitive is a JSON string"),
    plan_case("plan-after-sensitive-whole", change(after_sensitive=True), "after_sensitive is true for the whole resource"),
    plan_case("plan-after-unknown-number", change(after_unknown=3), "change.after_unknown is a JSON number"),
    plan_case("plan-configuration-list", plan_with(configuration=[]), "configuration is a JSON array, expected an object"),
    plan_case("plan-root-module-list", plan_with(configuration={"root_module": []}), "configuration.root_module is a JSON array"),
    plan_case("plan-planned-values-list", plan_with(planned_values=[]), "planned_values is a JSON array, expected an object"),
    plan_case("plan-nan", b'{"format_version": "1.2", "resource_changes": [], "x": NaN}', "NaN is not a JSON number"),
    plan_case("plan-infinity", b'{"format_version": "1.2", "resource_changes": [], "x": Infinity}', "Infinity is not a JSON number"),
    plan_case(
        "plan-minus-infinity", b'{"format_version": "1.2", "resource_changes": [], "x": -Infinity}', "-Infinity is not a JSON number"
    ),
    plan_case("plan-huge-float", b'{"format_version": "1.2", "resource_changes": [], "x": 1e999}', "1e999 is not a JSON number"),
    plan_case("plan-10000-deep", b"[" * 10_000 + b"]" * 10_000, "nested deeper than Python's JSON parser allows"),
    plan_case("plan-900-deep-after", deep_after(900), "nested more than 400 levels deep"),
    plan_case("plan-directory", DIR, "is a directory, not a file"),
    plan_case("plan-fifo", FIFO, "is a FIFO (named pipe), not a file"),
    plan_case("plan-symlink-loop", LOOP, "symlink loop"),
    plan_case("plan-dangling-symlink", DANGLING, "dangling symlink"),
    Case("plan-device", ("check", "--plan-json", "us-west-2=/dev/zero", "--no-checkov", "--out", "{tmp}/ev"), "is a device, not a file"),
    Case("plan-missing", ("check", "--plan-json", "us-west-2={tmp}/none.json", "--no-checkov"), "no such file"),
    # plan shapes (issue 19 class 6): each one line naming the field, by the declared schema (planning/intake.py)
    plan_case("plan-module-address-number", change_entry(module_address=7), "resource_changes[0].module_address is a JSON number"),
    plan_case("plan-module-address-null", change_entry(module_address=None), "resource_changes[0].module_address is a JSON null"),
    plan_case("plan-mode-unknown", change_entry(mode="ghost"), 'resource_changes[0].mode is "ghost", expected one of'),
    plan_case("plan-index-object", change_entry(index={"k": 1}), "resource_changes[0].index is a JSON object"),
    plan_case("plan-name-number", change_entry(name=3), "resource_changes[0].name is a JSON number, expected a string"),
    plan_case("plan-type-empty", change_entry(type=""), "resource_changes[0].type is empty"),
    plan_case("plan-address-empty", change_entry(address=""), "resource_changes[0].address is empty"),
    plan_case("plan-change-missing", change_entry(change=None), "resource_changes[0].change is a JSON null, expected an object"),
    plan_case("plan-before-sensitive-number", change(before_sensitive=5), "resource_changes[0].change.before_sensitive is a JSON number"),
    plan_case("plan-changes-null", plan_with(resource_changes=None), "resource_changes is a JSON null, expected an array"),
    plan_case("plan-drift-object", plan_with(resource_drift={}), "resource_drift is a JSON object, expected an array"),
    plan_case("plan-drift-no-change", plan_with(resource_drift=[{"address": "a.b", "type": "a"}]), "resource_drift[0].change is missing"),
    plan_case("plan-module-calls-list", config_with(module_calls=[]), "configuration.root_module.module_calls is a JSON array"),
    plan_case(
        "plan-module-call-string", config_with(module_calls={"kms": "x"}), "configuration.root_module.module_calls.kms is a JSON string"
    ),
    plan_case("plan-module-source-number", config_with(module_calls={"kms": {"source": 1}}), "module_calls.kms.source is a JSON number"),
    plan_case("plan-module-body-list", config_with(module_calls={"kms": {"module": []}}), "module_calls.kms.module is a JSON array"),
    plan_case(
        "plan-module-call-name-newline",
        config_with(module_calls={"a\nb::error::x": 1}),
        'configuration.root_module.module_calls["a\\nb::error::x"] is a JSON number',
    ),
    plan_case("plan-module-call-name-huge", config_with(module_calls={"m" * 100_000: 1}), 'module_calls["mmmmmmmm'),
    plan_case("plan-deep-module-bad", deep_modules(60, bad=True), "module_calls.m59.module.resources is a JSON object"),
    plan_case("plan-config-resources-object", config_with(resources={}), "configuration.root_module.resources is a JSON object"),
    plan_case("plan-config-resource-string", config_with(resources=["x"]), "configuration.root_module.resources[0] is a JSON string"),
    plan_case(
        "plan-expressions-list",
        config_with(resources=[{"expressions": []}]),
        "configuration.root_module.resources[0].expressions is a JSON array",
    ),
    plan_case(
        "plan-references-string",
        config_with(resources=[{"expressions": {"kms_key_id": {"references": "aws_kms_key.a"}}}]),
        "resources[0].expressions.kms_key_id.references is a JSON string",
    ),
    plan_case(
        "plan-references-numbers",
        config_with(resources=[{"expressions": {"kms_key_id": {"references": [1]}}}]),
        "resources[0].expressions.kms_key_id.references[0] is a JSON number",
    ),
    plan_case(
        "plan-for-each-list", config_with(resources=[{"for_each_expression": []}]), "resources[0].for_each_expression is a JSON array"
    ),
    plan_case("plan-variables-list", config_with(variables=[]), "configuration.root_module.variables is a JSON array"),
    plan_case(
        "plan-variable-sensitive-string", config_with(variables={"v": {"sensitive": "yes"}}), "variables.v.sensitive is a JSON string"
    ),
    plan_case("plan-config-outputs-list", config_with(outputs=[]), "configuration.root_module.outputs is a JSON array"),
    plan_case(
        "plan-provider-config-list", plan_with(configuration={"provider_config": []}), "configuration.provider_config is a JSON array"
    ),
    plan_case(
        "plan-provider-aws-string",
        plan_with(configuration={"provider_config": {"aws": "us-west-2"}}),
        "provider_config.aws is a JSON string",
    ),
    plan_case(
        "plan-provider-expressions-list",
        plan_with(configuration={"provider_config": {"aws": {"expressions": []}}}),
        "provider_config.aws.expressions is a JSON array",
    ),
    plan_case(
        "plan-provider-region-string",
        plan_with(configuration={"provider_config": {"aws": {"expressions": {"region": "us-west-2"}}}}),
        "provider_config.aws.expressions.region is a JSON string",
    ),
    plan_case(
        "plan-planned-resource-number",
        plan_with(planned_values={"root_module": {"resources": [1]}}),
        "planned_values.root_module.resources[0] is a JSON number, expected an object",
    ),
    plan_case(
        "plan-planned-resources-object",
        plan_with(planned_values={"root_module": {"resources": {}}}),
        "planned_values.root_module.resources is a JSON object, expected an array",
    ),
    plan_case(
        "plan-planned-child-modules-object",
        plan_with(planned_values={"root_module": {"child_modules": {}}}),
        "planned_values.root_module.child_modules is a JSON object",
    ),
    plan_case(
        "plan-planned-child-resource-string",
        plan_with(planned_values={"root_module": {"child_modules": [{"resources": ["x"]}]}}),
        "planned_values.root_module.child_modules[0].resources[0] is a JSON string",
    ),
    plan_case(
        "plan-planned-values-of-resource-list",
        plan_with(planned_values={"root_module": {"resources": [{"address": "a.b", "values": []}]}}),
        "planned_values.root_module.resources[0].values is a JSON array",
    ),
    plan_case("plan-outputs-list", plan_with(planned_values={"outputs": []}), "planned_values.outputs is a JSON array"),
    plan_case("plan-output-string", plan_with(planned_values={"outputs": {"o": "x"}}), "planned_values.outputs.o is a JSON string"),
    plan_case(
        "plan-output-sensitive-string",
        plan_with(planned_values={"outputs": {"o": {"sensitive": "no"}}}),
        "outputs.o.sensitive is a JSON string",
    ),
    plan_case(
        "plan-prior-data-no-address",
        plan_with(prior_state={"values": {"root_module": {"resources": [{"mode": "data", "type": "aws_x", "name": "y"}]}}}),
        "prior_state.values.root_module.resources[0].address is missing",
    ),
    plan_case("plan-prior-state-list", plan_with(prior_state=[]), "prior_state is a JSON array, expected an object"),
    plan_case("plan-prior-values-string", plan_with(prior_state={"values": "x"}), "prior_state.values is a JSON string"),
    plan_case("plan-output-changes-list", plan_with(output_changes=[]), "output_changes is a JSON array, expected an object"),
    plan_case("plan-output-change-number", plan_with(output_changes={"o": 1}), "output_changes.o is a JSON number, expected an object"),
    plan_case(
        "plan-output-change-mirror-string",
        plan_with(output_changes={"o": {"after_sensitive": "yes"}}),
        "output_changes.o.after_sensitive is a JSON string",
    ),
    plan_case("plan-variables-top-list", plan_with(variables=[]), "variables is a JSON array, expected an object"),
    plan_case("plan-variable-top-string", plan_with(variables={"v": "x"}), "variables.v is a JSON string, expected an object"),
    plan_case("plan-terraform-version-number", plan_with(terraform_version=1.11), "terraform_version is a JSON number"),
    plan_case("plan-errored-string", plan_with(errored="yes"), "errored is a JSON string, expected a boolean"),
    plan_case(
        "plan-5000-digit-integer", b'{"format_version": "1.2", "resource_changes": [], "x": ' + b"9" * 5000 + b"}", "more than 4,300 digits"
    ),
    plan_case(
        "plan-5000-digit-negative",
        b'{"format_version": "1.2", "resource_changes": [], "x": -' + b"9" * 5000 + b"}",
        "more than 4,300 digits",
    ),
    plan_case(
        "plan-lone-surrogate-address",
        change_entry(address="aws_s3_bucket.\ud800"),
        "resource_changes[0].address holds a lone UTF-16 surrogate",
    ),
    plan_case("plan-lone-surrogate-key", change(after={"tags": {"\udc00": 1}}), "holds a lone UTF-16 surrogate"),
    plan_case("plan-lone-surrogate-type", change_entry(type="aws_\udbff"), "resource_changes[0].type holds a lone UTF-16 surrogate"),
    plan_case("plan-401-deep-after", deep_after(401), "nested more than 400 levels deep"),
    plan_case("plan-utf16-odd-length", b"\xff\xfe{\x00}", "not UTF-16 text"),
    plan_case("plan-utf16-no-bom-cut", '{"format_version": "1.2"}'.encode("utf-16-le")[:-1], "not UTF-16-LE text"),
    plan_case("plan-utf32", "{}".encode("utf-32"), "JSON"),
    plan_case("plan-latin1", '{"format_version": "1.2", "x": "é"}'.encode("latin-1"), "not UTF-8 text"),
    plan_case("plan-bom-then-garbage", b"\xef\xbb\xbfnot json", "malformed JSON"),
    plan_case("plan-top-string", b'"plan"', "top level is a JSON str"),
    plan_case("plan-top-null", b"null", "top level is a JSON NoneType"),
    # ---------------------------------------------------------------- waivers
    Case("waivers-missing", ("check", "--plan-json", "us-west-2={plan}", "--no-checkov", "--waivers", "{tmp}/none.yaml"), "no such file"),
    waiver_case("waivers-directory", DIR, "is a directory, not a file"),
    waiver_case("waivers-fifo", FIFO, "is a FIFO (named pipe), not a file"),
    waiver_case("waivers-symlink-loop", LOOP, "symlink loop"),
    Case("waivers-device", ("check", "--plan-json", "us-west-2={plan}", "--no-checkov", "--waivers", "/dev/zero"), "is a device"),
    waiver_case("waivers-not-utf8", b"waivers:\n  - control: \xe9\xff\n", "not UTF-8 text (invalid byte 0xe9"),
    waiver_case("waivers-bad-yaml", "waivers: [\n  - {a: b\n", "not valid YAML at line"),
    waiver_case("waivers-tab-indent", "waivers:\n\t- control: N1\n", "not valid YAML at line 2"),
    waiver_case("waivers-billion-laughs", BILLION_LAUGHS, "more than 40 aliases"),
    waiver_case("waivers-deep", "waivers: " + "[" * 200 + "]" * 200 + "\n", "nested more than 64 levels deep"),
    waiver_case("waivers-top-list", "- control: N1\n", "expected a top-level 'waivers:' list"),
    waiver_case("waivers-null", "waivers:\n", "expected a top-level 'waivers:' list"),
    waiver_case("waivers-string", "waivers: everything\n", "expected a top-level 'waivers:' list"),
    waiver_case("waivers-bad-timestamp", "waivers:\n  - expires: 2030-02-30\n", "unreadable YAML value"),
    waiver_case("waivers-python-tag", "waivers: !!python/object/apply:os.system ['true']\n", "not valid YAML"),
    # a waiver that breaks the declared schema is bad input (exit 2, the field named); a well-formed one that is
    # expired, unknown or too broad fails its control instead (exit 1)
    waiver_case(
        "waivers-datetime-expiry", waiver(expires="2030-01-01 10:00:00"), "expires: 2030-01-01 10:00:00 has a time of day; write a date"
    ),
    waiver_case("waivers-expiry-words", waiver(expires="next year"), "waivers[0].expires: 'next year' is not YYYY-MM-DD"),
    waiver_case("waivers-expiry-number", waiver(expires=20300101), "waivers[0].expires: expected a date (YYYY-MM-DD), got an integer"),
    waiver_case("waivers-expired", waiver(expires="2020-01-01"), "waiver EXPIRED on 2020-01-01", 1),
    waiver_case("waivers-unknown-control", waiver(control="Z9"), "unknown control 'Z9'", 1),
    waiver_case("waivers-missing-fields", "waivers:\n  - control: N1\n", "waivers[0]: missing address, reason, owner, ticket, expires"),
    waiver_case("waivers-entry-string", "waivers:\n  - just a string\n", "waivers[0]: expected a mapping, got a string"),
    waiver_case(
        "waivers-checkov-string", waiver(checkov="CKV_AWS_1"), "waivers[0].checkov: expected a list of checkov check ids, got a string"
    ),
    # ---------------------------------------------------------------- config
    config_case("config-unknown-key", "enviroments = []\n", "enviroments: unknown key"),
    config_case("config-bad-toml", "environments = [\n", "not valid TOML"),
    config_case("config-environments-string", 'environments = "infra"\n', "expected a list of paths or a table"),
    config_case("config-environment-missing", 'environments = ["infra/qa"]\n', "infra/qa is not a directory"),
    config_case("config-environment-no-tf", 'environments = ["empty"]\n', "holds no *.tf files"),
    config_case("config-glob-matches-nothing", 'environments = ["nowhere/*"]\n', "matches no directory"),
    config_case("config-entry-number", "environments = [3]\n", "environments[0]: expected a path or glob, got an integer"),
    config_case("config-env-name", '[environments."../x"]\npath = "infra/prod"\n', "an environment name may hold"),
    config_case("config-env-no-path", "[environments.prod]\n", "environments.prod.path: required"),
    config_case(
        "config-env-extra-key", '[environments.prod]\npath = "infra/prod"\nregion = "x"\n', "environments.prod.region: unknown key"
    ),
    config_case(
        "config-profile-unknown-key",
        '[environments.prod]\npath = "infra/prod"\nprofile = { azs = 3 }\n',
        "prod.profile.azs: unknown profile key",
    ),
    config_case(
        "config-profile-bad-int",
        '[environments.prod]\npath = "infra/prod"\nprofile = { min_azs = "three" }\n',
        "prod.profile.min_azs: expected an integer, got a string",
    ),
    config_case(
        "config-profile-negative",
        '[environments.prod]\npath = "infra/prod"\nprofile = { max_rotation_days = -1 }\n',
        "expected a non-negative integer",
    ),
    config_case(
        "config-profile-requires-string",
        '[environments.prod]\npath = "infra/prod"\nprofile = { requires = "aws_vpc" }\n',
        "prod.profile.requires: expected a list of strings or nothing",
    ),
    config_case(
        "config-profile-bool",
        '[environments.prod]\npath = "infra/prod"\nprofile = { blue_green = "yes" }\n',
        "prod.profile.blue_green: expected true/false",
    ),
    config_case(
        "config-profile-file-missing",
        '[environments.prod]\npath = "infra/prod"\nprofile = "infra/prod/none.yaml"\n',
        "none.yaml: no such file",
    ),
    config_case(
        "config-profile-beside-stack",
        'environments = ["infra/*"]\n',
        "tapguard-profile.yaml: min_azs: expected an integer",
        {"infra/prod/tapguard-profile.yaml": "min_azs: many\n"},
    ),
    config_case("config-output-pdf", 'output = ["pdf"]\n', "output: unknown format 'pdf'"),
    config_case("config-output-number", "output = 3\n", "output: expected a list of formats"),
    config_case("config-waivers-number", "waivers = 3\n", "waivers: expected a path string, got an integer"),
    config_case("config-drill-output-unknown", "[drill_outputs]\ncluster = 'db'\n", "drill_outputs.cluster: unknown drill output"),
    config_case("config-drill-output-empty", "[drill_outputs]\naurora_cluster_id = ''\n", "drill_outputs.aurora_cluster_id: expected"),
    config_case("config-duplicate-names", 'environments = ["infra/*", "infra/prod"]\n', "environment name 'prod' is given twice"),
    config_case("config-pyproject-key", "[tool.tapguard]\nwaiver = 'w.yaml'\n", "tool.tapguard.waiver: unknown key", name="pyproject.toml"),
    # ---------------------------------------------------------------- CLI flags
    Case("flag-output-pdf", ("check", "-o", "pdf"), "invalid choice: 'pdf'"),
    Case(
        "flag-soft-fail-on-unknown",
        ("check", "--plan-json", "us-west-2={plan}", "--soft-fail-on", "NOPE"),
        "--soft-fail-on NOPE: not a control id",
    ),
    Case("flag-hard-fail-on-empty", ("check", "--plan-json", "us-west-2={plan}", "--hard-fail-on", "N1,,"), "--hard-fail-on: empty entry"),
    Case(
        "flag-out-is-file",
        ("check", "--plan-json", "us-west-2={plan}", "--out", "{tmp}/f"),
        "exists and is not a directory",
        files={"f": "x"},
    ),
    Case(
        "flag-output-file-path-is-file",
        ("check", "--plan-json", "us-west-2={plan}", "--no-checkov", "--out", "{tmp}/ev", "-o", "json", "--output-file-path", "{tmp}/f"),
        "--output-file-path",
        files={"f": "x"},
    ),
    Case("flag-drills-missing", (*CHECK_DRILLS[:-1], "{tmp}/none.json"), "--drills"),
    Case("flag-drills-bad-json", CHECK_DRILLS, "not JSON", files={"d.json": "{"}),
    Case("flag-drills-list", CHECK_DRILLS, "expected an object with a 'drills' list", files={"d.json": "[]"}),
    Case("flag-drills-entries", CHECK_DRILLS, "every entry of 'drills' must be an object", files={"d.json": '{"drills": [1]}'}),
    Case("flag-drills-nan", CHECK_DRILLS, "NaN is not a JSON number", files={"d.json": '{"drills": [{"x": NaN}]}'}),
    Case("flag-drills-directory", CHECK_DRILLS, "is a directory", files={"d.json": DIR}),
    # ---------------------------------------------------------------- drills.json, waivers, config: declared schemas
    drill_case("drills-timeline-list", {"timeline": []}, "drills[0].timeline: expected an object, got a list"),
    drill_case("drills-timeline-string", {"timeline": "x"}, "drills[0].timeline: expected an object, got a string"),
    drill_case(
        "drills-bucket-zero", {"timeline": {"bucket_ms": 0, "ok": [1]}}, "drills[0].timeline.bucket_ms: expected a number greater than 0"
    ),
    drill_case("drills-bucket-negative", {"timeline": {"bucket_ms": -5}}, "drills[0].timeline.bucket_ms: expected a number greater than 0"),
    drill_case("drills-bucket-string", {"timeline": {"bucket_ms": "100"}}, "drills[0].timeline.bucket_ms: expected a number, got a string"),
    drill_case("drills-bucket-bool", {"timeline": {"bucket_ms": True}}, "drills[0].timeline.bucket_ms: expected a number, got a boolean"),
    drill_case("drills-ok-strings", {"timeline": {"ok": ["3"]}}, "drills[0].timeline.ok[0]: expected an integer, got a string"),
    drill_case("drills-ok-negative", {"timeline": {"fail": [-1]}}, "drills[0].timeline.fail[0]: expected a non-negative integer"),
    drill_case("drills-p99-string", {"timeline": {"p99_ms": "fast"}}, "drills[0].timeline.p99_ms: expected a list, got a string"),
    drill_case("drills-t0-list", {"timeline": {"t0": []}}, "drills[0].timeline.t0: expected a number, got a list"),
    drill_case("drills-verdict-string", {"verdict": "passed"}, "drills[0].verdict: expected an object, got a string"),
    drill_case("drills-verdict-list", {"verdict": [True]}, "drills[0].verdict: expected an object, got a list"),
    drill_case("drills-verdict-missing", {"verdict": None}, "drills[0].verdict: expected an object, got null"),
    drill_case(
        "drills-passed-string-false", {"verdict": {"passed": "false"}}, "drills[0].verdict.passed: expected a boolean, got a string"
    ),
    drill_case("drills-passed-string-true", {"verdict": {"passed": "true"}}, "drills[0].verdict.passed: expected a boolean, got a string"),
    drill_case("drills-passed-one", {"verdict": {"passed": 1}}, "drills[0].verdict.passed: expected a boolean, got an integer"),
    drill_case("drills-passed-null", {"verdict": {"passed": None}}, "drills[0].verdict.passed: expected a boolean, got null"),
    drill_case("drills-passed-missing", {"verdict": {"reasons": []}}, "drills[0].verdict.passed: required"),
    drill_case("drills-reasons-string", {"verdict": {"passed": False, "reasons": "lost"}}, "drills[0].verdict.reasons: expected a list"),
    drill_case("drills-reasons-numbers", {"verdict": {"passed": False, "reasons": [3]}}, "drills[0].verdict.reasons[0]: expected a string"),
    drill_case(
        "drills-downtime-string", {"verdict": {"passed": True, "downtime_s": "4 s"}}, "drills[0].verdict.downtime_s: expected a number"
    ),
    drill_case(
        "drills-lost-negative", {"verdict": {"passed": True, "lost": -3}}, "drills[0].verdict.lost: expected a non-negative integer"
    ),
    drill_case(
        "drills-lost-float", {"verdict": {"passed": True, "lost": 0.5}}, "drills[0].verdict.lost: expected an integer, got a number"
    ),
    drill_case(
        "drills-p99-map-list", {"verdict": {"passed": True, "p99_ms": [1]}}, "drills[0].verdict.p99_ms: expected an object, got a list"
    ),
    drill_case(
        "drills-errors-string", {"verdict": {"passed": True, "errors_by_class": {"x": "many"}}}, "errors_by_class.x: expected an integer"
    ),
    drill_case(
        "drills-steady-list", {"verdict": {"passed": True, "steady_after": []}}, "drills[0].verdict.steady_after: expected an object"
    ),
    drill_case(
        "drills-steady-window",
        {"verdict": {"passed": True, "steady_after": {"window_s": "30"}}},
        "steady_after.window_s: expected a number",
    ),
    drill_case("drills-marks-list", {"marks": [1]}, "drills[0].marks: expected an object, got a list"),
    drill_case("drills-marks-string", {"marks": {"inject": "soon"}}, "drills[0].marks.inject: expected a number, got a string"),
    drill_case("drills-run-string", {"run": "inject"}, "drills[0].run: expected a list, got a string"),
    drill_case("drills-activity-string", {"run": [{"activity": "inject"}]}, "drills[0].run[0].activity: expected an object, got a string"),
    drill_case("drills-activity-no-name", {"rollbacks": [{"activity": {}}]}, "drills[0].rollbacks[0].activity.name: required"),
    drill_case("drills-title-list", {"title": ["x"]}, "drills[0].title: expected a string, got a list"),
    drill_case("drills-start-number", {"start": 1700000000}, "drills[0].start: expected a string, got an integer"),
    drill_case("drills-experiment-list", {"experiment": []}, "drills[0].experiment: expected an object, got a list"),
    drill_case("drills-rate-zero", {"experiment": {"rate_per_s": 0}}, "drills[0].experiment.rate_per_s: expected a number greater than 0"),
    drill_case("drills-format-number", {}, "format: expected a format name such as tapguard.drills/1, got an integer", top={"format": 1}),
    drill_case("drills-huge-int", {}, "not JSON", raw='{"drills": [{"verdict": {"passed": true, "lost": ' + "9" * 5000 + "}}]}"),
    drill_case("drills-failed-verdict", {"verdict": {"passed": False, "reasons": ["lost 3 writes"]}}, "verdict: FAIL", code=1),
    drill_case("drills-failed-markup-title", {"title": "[/]", "verdict": {"passed": False, "reasons": ["[/]"]}}, "verdict: FAIL", code=1),
    waiver_case("waivers-owner-markup-expired", waiver(owner="[/]", ticket="[bold]", expires="2020-01-01"), "owner [/], ticket [bold]", 1),
    waiver_case("waivers-owner-list", waiver(owner=["[/]"]), "waivers[0].owner: expected a string, got a list"),
    waiver_case("waivers-owner-number", waiver(owner=7), "waivers[0].owner: expected a string, got an integer"),
    waiver_case("waivers-control-number", waiver(control=8), "waivers[0].control: expected a string, got an integer"),
    waiver_case("waivers-address-list", waiver(address=["a"]), "waivers[0].address: expected a string"),
    waiver_case("waivers-address-empty", waiver(address=""), "waivers[0]: missing address"),
    waiver_case("waivers-reason-null", waiver(reason=None), "waivers[0]: missing reason"),
    waiver_case("waivers-environment-number", waiver(environment=3), "waivers[0].environment: expected a string"),
    waiver_case("waivers-scope-word", waiver(scope="everything", address="*"), "waivers[0].scope: expected 'all'"),
    waiver_case("waivers-scope-bool", waiver(scope=True, address="*"), "waivers[0].scope: expected 'all'"),
    waiver_case("waivers-expires-bool", waiver(expires="true"), "waivers[0].expires: expected a date (YYYY-MM-DD), got a boolean"),
    waiver_case("waivers-expires-list", waiver(expires="[2099-01-01]"), "waivers[0].expires: expected a date (YYYY-MM-DD), got a list"),
    waiver_case("waivers-unknown-key", waiver(adress="x"), "waivers[0].adress: unknown key (known: address"),
    waiver_case("waivers-top-unknown-key", "waivers: []\nversion: 1\n", "version: unknown key (known: waivers)"),
    waiver_case("waivers-checkov-number-item", waiver(checkov=[1]), "waivers[0].checkov[0]: expected a checkov check id, got an integer"),
    waiver_case("waivers-huge-int", "waivers:\n  - ticket: " + "9" * 5000 + "\n", "unreadable YAML value"),
    waiver_case("waivers-star-without-scope", waiver(address="*"), "without `scope: all`", 1),
    waiver_case("waivers-star-dot-star-without-scope", waiver(address="*.*"), "without `scope: all`", 1),
    waiver_case("waivers-scope-all-named", waiver(address="aws_s3_bucket.a", scope="all"), "`scope: all` is for address '*'", 1),
    Case(
        "waivers-scope-all-forbidden",
        ("check", "--plan-json", "prod={plan}", "--no-checkov", "--out", "{tmp}/ev"),
        "forbidden by forbid_scope_all",
        1,
        files={"tapguard.toml": 'forbid_scope_all = true\nwaivers = "w.yaml"\n', "w.yaml": waiver(scope="all")},
        cwd="tmp",
    ),
    config_case("config-toml-directory", "", "tapguard.toml: is a directory, not a file", name="tapguard.toml/x"),
    Case("config-toml-symlink-loop", ("check",), "tapguard.toml: symlink loop", files={"tapguard.toml": LOOP}, cwd="tmp"),
    Case("config-toml-dangling", ("check",), "tapguard.toml: dangling symlink", files={"tapguard.toml": DANGLING}, cwd="tmp"),
    config_case("config-forbid-scope-all-string", 'forbid_scope_all = "yes"\n', "forbid_scope_all: expected true/false, got a string"),
    config_case("config-forbid-scope-all-number", "forbid_scope_all = 1\n", "forbid_scope_all: expected true/false, got an integer"),
    config_case(
        "config-pyproject-forbid-table",
        "[tool.tapguard]\nforbid_scope_all = {}\n",
        "tool.tapguard.forbid_scope_all: expected true/false, got a table",
        name="pyproject.toml",
    ),
    config_case("config-output-empty", "output = []\n", "output: expected at least 1 entry"),
    config_case("config-waivers-nul", 'waivers = "w\\u0000.yaml"\n', "waivers: a path cannot hold a NUL character"),
    config_case("config-environment-nul", 'environments = ["infra/\\u0000"]\n', "environments[0]: a path cannot hold a NUL character"),
    config_case(
        "config-environment-absolute-glob", 'environments = ["/etc/*"]\n', "environments[0]: not a glob relative to the project root"
    ),
    config_case("config-output-item-number", "output = [1]\n", "output[0]: expected a string, got an integer"),
    config_case("config-drills-bool", "drills = true\n", "drills: expected a path string, got a boolean"),
    config_case("config-waivers-list", 'waivers = ["a"]\n', "waivers: expected a path string, got a list"),
    config_case("config-evidence-empty", 'evidence = ""\n', "evidence: expected a non-empty string"),
    config_case("config-output-file-path-table", "[output_file_path]\n", "output_file_path: expected a path string, got a table"),
    config_case("config-drill-outputs-number", "drill_outputs = 3\n", "drill_outputs: expected a table, got an integer"),
    config_case(
        "config-drill-output-number",
        "[drill_outputs]\nregion = 3\n",
        "drill_outputs.region: expected the stack's output name, got an integer",
    ),
    config_case("config-environments-float", "environments = 1.5\n", "environments: expected a list of paths or a table of environments"),
    config_case(
        "config-environment-number",
        "[environments]\nprod = 3\n",
        "environments.prod: expected a table with path (and profile), got an integer",
    ),
    config_case(
        "config-environment-path-number", "[environments.prod]\npath = 3\n", "environments.prod.path: expected the stack's directory"
    ),
    config_case(
        "config-profile-number",
        '[environments.prod]\npath = "infra/prod"\nprofile = 3\n',
        "environments.prod.profile: expected a table or a YAML file",
    ),
    config_case(
        "config-profile-region-number",
        '[environments.prod]\npath = "infra/prod"\nprofile = { region = 3 }\n',
        "prod.profile.region: expected a string or nothing, got an integer",
    ),
    config_case(
        "config-profile-skip-numbers",
        '[environments.prod]\npath = "infra/prod"\nprofile = { skip = [1] }\n',
        "prod.profile.skip[0]: expected a string, got an integer",
    ),
    config_case(
        "config-profile-huge-int",
        '[environments.prod]\npath = "infra/prod"\nprofile = { min_azs = ' + "9" * 5000 + " }\n",
        "not valid TOML",
    ),
    # an unreadable pyproject.toml is somebody else's file, not a project marker: no traceback, the search goes on
    config_case(
        "config-pyproject-huge-int", "[tool.tapguard]\nwaivers = " + "9" * 5000 + "\n", "no tapguard project found", name="pyproject.toml"
    ),
    Case(
        "config-region-markup",
        ("check", "--plan-json", "prod={plan}", "--no-checkov", "--out", "{tmp}/ev"),
        "verdict:",
        1,
        files={"tapguard.toml": '[environments.prod]\npath = "infra/prod"\nprofile = { region = "[/]" }\n', "infra/prod/main.tf": TF},
        cwd="tmp",
    ),
    Case("flag-plan-json-traversal", ("check", "--plan-json", "../../pwned={plan}", "--no-checkov"), "cannot be used in a file name"),
    Case("flag-plan-json-no-equals", ("check", "--plan-json", "nonsense"), "--plan-json takes ENV=PATH"),
    Case("flag-plan-json-twice", ("check", "--plan-json", "a={plan}", "--plan-json", "a={plan}"), "names environment 'a' twice"),
    Case("flag-plan-unknown-env", ("plan", "atlantis"), "unknown environment 'atlantis'"),
    Case("flag-plan-out-is-file", ("plan", "--out", "{tmp}/f"), "exists and is not a directory", files={"f": "x"}),
    Case("flag-drill-rate-nan", ("drill", "--rate", "nan"), "--rate must be a positive finite number (got nan)"),
    Case("flag-drill-downtime-inf", ("drill", "--max-downtime", "inf"), "--max-downtime must be a positive finite number (got inf)"),
    Case("flag-drill-rate-negative", ("drill", "--rate", "-5"), "--rate must be a positive finite number"),
    Case("flag-drill-rate-word", ("drill", "--rate", "fast"), "invalid float value: 'fast'"),
    Case("flag-drill-repeat-zero", ("drill", "--repeat", "0"), "--repeat must be at least 1"),
    Case("flag-drill-aws-no-confirm", ("drill", "--target", "aws", "--component", "aurora", "--cluster-id", "X"), "add --confirm X"),
    Case("flag-drill-out-is-file", ("drill", "--out", "{tmp}/f"), "exists and is not a directory", files={"f": "x"}),
    Case("flag-completion-fish", ("completion", "fish"), "invalid choice: 'fish'"),
    Case("flag-unknown-command", ("deploy",), "invalid choice: 'deploy'"),
    # ---------------------------------------------------------------- environment variables
    Case(
        "env-root-missing",
        ("plan",),
        "TAPGUARD_ROOT=/nonexistent-tapguard is not a directory",
        env={"TAPGUARD_ROOT": "/nonexistent-tapguard"},
    ),
    Case("env-root-not-project", ("plan",), "declares no environment", env={"TAPGUARD_ROOT": "{tmp}"}),
    Case("env-terraform-missing", ("plan", "us-west-2"), "is not an executable", env={"TAPGUARD_TERRAFORM": "/nonexistent/terraform"}),
    Case(
        "env-terraform-dev",
        ("plan", "us-west-2"),
        "reports version 'dev', not MAJOR.MINOR.PATCH",
        files={"tf": version_script('{"terraform_version": "dev"}')},
        env={"TAPGUARD_TERRAFORM": "{tmp}/tf"},
    ),
    Case(
        "env-terraform-one",
        ("plan", "us-west-2"),
        "reports version '1', not MAJOR.MINOR.PATCH",
        files={"tf": version_script('{"terraform_version": "1"}')},
        env={"TAPGUARD_TERRAFORM": "{tmp}/tf"},
    ),
    Case(
        "env-terraform-old",
        ("plan", "us-west-2"),
        "the stacks need >= 1.11",
        files={"tf": version_script('{"terraform_version": "1.5.7"}')},
        env={"TAPGUARD_TERRAFORM": "{tmp}/tf"},
    ),
    Case(
        "env-terraform-no-json",
        ("plan", "us-west-2"),
        "did not report a version",
        files={"tf": version_script("Terraform v1.11.0")},
        env={"TAPGUARD_TERRAFORM": "{tmp}/tf"},
    ),
    Case(
        "env-terraform-json-list",
        ("plan", "us-west-2"),
        "did not report a version",
        files={"tf": version_script("[1, 2]")},
        env={"TAPGUARD_TERRAFORM": "{tmp}/tf"},
    ),
    Case(
        "env-mirror-empty",
        ("plan", "us-west-2"),
        "holds no providers",
        files={"mirror/x": "x"},
        env={"TAPGUARD_PROVIDER_MIRROR": "{tmp}/mirror"},
    ),
    # ---------------------------------------------------------------- check's selection, config file, var files, baseline
    Case("check-unknown-id", (*CHECK_FLAGS, "--check", "Z9"), "--check Z9: not a control id"),
    Case("check-unknown-checkov-id", (*CHECK_FLAGS, "--check", "CKV_AWS_99999"), "--check CKV_AWS_99999: not a control id"),
    Case("check-glob-is-no-id", (*CHECK_FLAGS, "--check", "N*"), "--check N*: not a control id"),
    Case("skip-check-empty-entry", (*CHECK_FLAGS, "--skip-check", "N3,,E1"), "--skip-check: empty entry"),
    Case("skip-check-only-commas", (*CHECK_FLAGS, "--skip-check", ","), "--skip-check: empty entry"),
    Case("skip-check-markup", (*CHECK_FLAGS, "--skip-check", "[red]x[/]"), "--skip-check [red]x[/]: not a control id"),
    Case("skip-check-escape", (*CHECK_FLAGS, "--skip-check", "\x1b[2J"), "not a control id"),
    Case("skip-check-huge", (*CHECK_FLAGS, "--skip-check", "A" * 100_000), "not a control id"),
    Case("skip-check-unknown-severity", (*CHECK_FLAGS, "--skip-check", "severe"), "--skip-check severe: not a control id"),
    Case("json-without-list", (*CHECK_FLAGS, "--json"), "--json goes with --list"),
    Case("check-subcommand-unknown-flag", ("check", "--bogus"), "unrecognized arguments: --bogus"),
    Case("audit-unknown-id-before-any-drill", ("audit", "--check", "Z9"), "--check Z9: not a control id"),
    Case("audit-bad-baseline-before-any-drill", ("audit", "--baseline", "{tmp}/b"), "not JSON", files={"b": "{"}),
    Case("audit-subcommand-unknown-flag", ("audit", "--list-all"), "unrecognized arguments: --list-all"),
    Case("config-file-missing", (*CHECK_FLAGS, "--config-file", "{tmp}/none.toml"), "none.toml: no such file"),
    Case("config-file-dir", (*CHECK_FLAGS, "--config-file", "{tmp}/c"), "is a directory", files={"c": DIR}),
    Case("config-file-fifo", (*CHECK_FLAGS, "--config-file", "{tmp}/c"), "is a FIFO", files={"c": FIFO}),
    Case("config-file-loop", (*CHECK_FLAGS, "--config-file", "{tmp}/c"), "symlink loop", files={"c": LOOP}),
    Case("config-file-nul", (*CHECK_FLAGS, "--config-file", "a\x00b"), "--config-file: not a usable path"),
    Case("config-file-empty-name", (*CHECK_FLAGS, "--config-file", ""), "--config-file .: is a directory"),  # "" is "." to a Path
    Case("config-file-bad-toml", (*CHECK_FLAGS, "--config-file", "{tmp}/c.toml"), "not valid TOML", files={"c.toml": "output = ["}),
    Case(
        "config-file-unknown-key", (*CHECK_FLAGS, "--config-file", "{tmp}/c.toml"), "outptu: unknown key", files={"c.toml": "outptu = 1\n"}
    ),
    Case(
        "config-file-bad-type",
        (*CHECK_FLAGS, "--config-file", "{tmp}/c.toml"),
        "forbid_scope_all: expected true/false",
        files={"c.toml": "forbid_scope_all = 'yes'\n"},
    ),
    Case(
        "config-file-unknown-format",
        (*CHECK_FLAGS, "--config-file", "{tmp}/c.toml"),
        "unknown format 'pdf'",
        files={"c.toml": "output = ['pdf']\n"},
    ),
    Case(
        "config-file-pyproject-without-table",
        (*CHECK_FLAGS, "--config-file", "{tmp}/pyproject.toml"),
        "no [tool.tapguard] table",
        files={"pyproject.toml": "[project]\nname = 'x'\n"},
    ),
    Case("config-file-binary", (*CHECK_FLAGS, "--config-file", "{tmp}/c.toml"), "not UTF-8 text", files={"c.toml": b"\xff\xfe\x00"}),
    Case("var-file-missing", ("check", "us-west-2", "--var-file", "{tmp}/none.tfvars"), "none.tfvars: no such file"),
    Case("var-file-dir", ("check", "us-west-2", "--var-file", "{tmp}/v"), "is a directory, not a .tfvars file", files={"v": DIR}),
    Case("var-file-fifo", ("check", "us-west-2", "--var-file", "{tmp}/v"), "is a FIFO", files={"v": FIFO}),
    Case("var-file-dangling", ("check", "us-west-2", "--var-file", "{tmp}/v"), "dangling symlink", files={"v": DANGLING}),
    Case("var-file-loop", ("check", "us-west-2", "--var-file", "{tmp}/v"), "symlink loop", files={"v": LOOP}),
    Case("var-file-nul", ("check", "us-west-2", "--var-file", "x\x00.tfvars"), "--var-file: not a usable path"),
    Case("var-file-device", ("check", "us-west-2", "--var-file", "/dev/zero"), "is a device"),
    Case("baseline-missing", (*CHECK_FLAGS, "--baseline", "{tmp}/none.json"), "none.json: no such file"),
    Case("baseline-dir", (*CHECK_FLAGS, "--baseline", "{tmp}/b"), "is a directory", files={"b": DIR}),
    Case("baseline-fifo", (*CHECK_FLAGS, "--baseline", "{tmp}/b"), "is a FIFO", files={"b": FIFO}),
    Case("baseline-not-json", (*CHECK_FLAGS, "--baseline", "{tmp}/b"), "not JSON", files={"b": "{"}),
    Case("baseline-nan", (*CHECK_FLAGS, "--baseline", "{tmp}/b"), "not JSON", files={"b": "NaN"}),
    Case("baseline-deep", (*CHECK_FLAGS, "--baseline", "{tmp}/b"), "--baseline", files={"b": "[" * 100_000 + "]" * 100_000}),
    Case("baseline-list", (*CHECK_FLAGS, "--baseline", "{tmp}/b"), "expected an object with format", files={"b": "[]"}),
    Case("baseline-binary", (*CHECK_FLAGS, "--baseline", "{tmp}/b"), "not UTF-8 text", files={"b": b"\xff\xfe"}),
    Case(
        "baseline-wrong-format",
        (*CHECK_FLAGS, "--baseline", "{tmp}/b"),
        "format: expected 'tapguard.baseline/1'",
        files={"b": '{"format": "sarif", "entries": []}'},
    ),
    Case(
        "baseline-unknown-key",
        (*CHECK_FLAGS, "--baseline", "{tmp}/b"),
        "entries[0].adress: unknown key",
        files={"b": '{"format": "tapguard.baseline/1", "entries": [{"environment": "e", "control": "K1", "adress": "a"}]}'},
    ),
    Case(
        "baseline-entry-not-object",
        (*CHECK_FLAGS, "--baseline", "{tmp}/b"),
        "entries[0]",
        files={"b": '{"format": "tapguard.baseline/1", "entries": ["K1"]}'},
    ),
    Case(
        "baseline-entry-integer",
        (*CHECK_FLAGS, "--baseline", "{tmp}/b"),
        "entries[0].environment: expected an environment name, got an integer",
        files={"b": '{"format": "tapguard.baseline/1", "entries": [{"environment": 1, "control": "K1", "address": "a"}]}'},
    ),
    Case(
        "baseline-entry-empty",
        (*CHECK_FLAGS, "--baseline", "{tmp}/b"),
        "entries[0].address: expected a non-empty string",
        files={"b": '{"format": "tapguard.baseline/1", "entries": [{"environment": "e", "control": "K1", "address": ""}]}'},
    ),
    Case(
        "baseline-entries-missing",
        (*CHECK_FLAGS, "--baseline", "{tmp}/b"),
        "entries: required",
        files={"b": '{"format": "tapguard.baseline/1"}'},
    ),
    Case("create-baseline-dir", (*CHECK_FLAGS, "--create-baseline", "{tmp}/b"), "is a directory; name a file", files={"b": DIR}),
    Case("create-baseline-no-parent", (*CHECK_FLAGS, "--create-baseline", "{tmp}/no/such/b.json"), "is not a directory"),
    Case("create-baseline-symlink", (*CHECK_FLAGS, "--create-baseline", "{tmp}/b"), "is a symlink", files={"b": DANGLING}),
    Case("create-baseline-nul", (*CHECK_FLAGS, "--create-baseline", "b\x00.json"), "--create-baseline: not a usable path"),
    Case(
        "baseline-and-create-baseline",
        (*CHECK_FLAGS, "--baseline", "{tmp}/a", "--create-baseline", "{tmp}/b"),
        "not allowed with argument",
    ),
    # ---------------------------------------------------------------- evidence bundles
    Case("bundle-missing", ("evidence", "verify", "{tmp}/none"), "not an evidence bundle directory"),
    Case("bundle-is-file", ("evidence", "verify", "{tmp}/f"), "not an evidence bundle directory", files={"f": "x"}),
    Case("bundle-no-manifest", ("evidence", "verify", "{tmp}/b"), "no manifest.json", files={"b/report.md": "x"}),
    Case("bundle-manifest-bad-json", ("evidence", "verify", "{tmp}/b"), "unreadable manifest", files={"b/manifest.json": "{"}),
    Case(
        "bundle-manifest-files-list", ("evidence", "verify", "{tmp}/b"), "unreadable manifest", files={"b/manifest.json": '{"files": [1]}'}
    ),
]


def materialise(tmp: Path, files: dict[str, Any], subst: dict[str, str]) -> None:
    for name, content in files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content == DIR:
            path.mkdir()
        elif content == FIFO:
            os.mkfifo(path)
        elif content == LOOP:
            path.symlink_to(path.with_name(path.name + ".other"))
            path.with_name(path.name + ".other").symlink_to(path)
        elif content == DANGLING:
            path.symlink_to(tmp / "nowhere")
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content.format(**subst) if "{tmp}" in content else content)
            if content.startswith("#!"):
                path.chmod(0o755)


def test_the_table_is_large() -> None:
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "minimal.plan.json"
    plan.write_text(json.dumps(MINIMAL_PLAN))
    subst = {"tmp": str(tmp_path), "plan": str(plan), "root": str(root)}
    materialise(tmp_path, case.files, subst)
    monkeypatch.chdir(tmp_path if case.cwd == "tmp" else root)
    for key in ("TAPGUARD_ROOT", "TAPGUARD_TERRAFORM", "TAPGUARD_PROVIDER_MIRROR"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("TAPGUARD_REGISTRY", "off")
    for key, value in case.env.items():
        monkeypatch.setenv(key, value.format(**subst))
    try:
        code = main([a.format(**subst) for a in case.argv])
    except SystemExit as exc:  # argparse's own usage errors
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    err = captured.err if case.code == 2 else captured.out + captured.err
    assert code == case.code, err
    assert case.message in err, err
    assert "Traceback" not in err
    if case.code == 2:
        assert len([ln for ln in err.splitlines() if "error" in ln]) == 1, err
