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
CHECK_DRILLS = ("check", "--plan-json", "us-west-2={plan}", "--no-checkov", "--out", "{tmp}/ev", "--drills", "{tmp}/d.json")

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
    plan_case("plan-changes-object", plan_with(resource_changes={}), "resource_changes is a dict"),
    plan_case("plan-actions-null", change(actions=None), "change.actions is null"),
    plan_case("plan-actions-string", change(actions="delete"), 'change.actions is "delete"'),
    plan_case("plan-actions-empty", change(actions=[]), "change.actions is []"),
    plan_case("plan-actions-unknown", change(actions=["explode"]), 'change.actions is ["explode"]'),
    plan_case("plan-actions-number", change(actions=[1]), "change.actions is [1]"),
    plan_case("plan-no-actions", change(actions=None).replace(b'"actions": null, ', b""), "has no change.actions"),
    plan_case(
        "plan-address-int",
        json.dumps({**MINIMAL_PLAN, "resource_changes": [{"address": 7, "type": "x", "change": {"actions": ["create"]}}]}).encode(),
        "resource_changes[0].address is a JSON number",
    ),
    plan_case("plan-entry-string", plan_with(resource_changes=["aws_s3_bucket.a"]), "resource_changes[0] has no address/type"),
    plan_case("plan-after-list", change(after=[1]), "change.after is a JSON array"),
    plan_case("plan-after-string", change(after="x"), "change.after is a JSON string"),
    plan_case("plan-after-sensitive-string", change(after_sensitive="yes"), "change.after_sensitive is a JSON string"),
    plan_case("plan-after-sensitive-whole", change(after_sensitive=True), "after_sensitive is true for the whole resource"),
    plan_case("plan-after-unknown-number", change(after_unknown=3), "change.after_unknown is a JSON number"),
    plan_case("plan-configuration-list", plan_with(configuration=[]), "configuration is not an object"),
    plan_case("plan-root-module-list", plan_with(configuration={"root_module": []}), "configuration.root_module is a JSON array"),
    plan_case("plan-planned-values-list", plan_with(planned_values=[]), "planned_values is not an object"),
    plan_case("plan-nan", b'{"format_version": "1.2", "resource_changes": [], "x": NaN}', "NaN is not a JSON number"),
    plan_case("plan-infinity", b'{"format_version": "1.2", "resource_changes": [], "x": Infinity}', "Infinity is not a JSON number"),
    plan_case(
        "plan-minus-infinity", b'{"format_version": "1.2", "resource_changes": [], "x": -Infinity}', "-Infinity is not a JSON number"
    ),
    plan_case("plan-huge-float", b'{"format_version": "1.2", "resource_changes": [], "x": 1e999}', "1e999 is not a JSON number"),
    plan_case("plan-10000-deep", b"[" * 10_000 + b"]" * 10_000, "nested deeper than Python's JSON parser allows"),
    plan_case("plan-900-deep-after", deep_after(900), "nested more than 128 levels deep"),
    plan_case("plan-directory", DIR, "is a directory, not a file"),
    plan_case("plan-fifo", FIFO, "is a FIFO (named pipe), not a file"),
    plan_case("plan-symlink-loop", LOOP, "symlink loop"),
    plan_case("plan-dangling-symlink", DANGLING, "dangling symlink"),
    Case("plan-device", ("check", "--plan-json", "us-west-2=/dev/zero", "--no-checkov", "--out", "{tmp}/ev"), "is a device, not a file"),
    Case("plan-missing", ("check", "--plan-json", "us-west-2={tmp}/none.json", "--no-checkov"), "no such file"),
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
    waiver_case("waivers-datetime-expiry", waiver(expires="2030-01-01 10:00:00"), "has a time of day; write a date (YYYY-MM-DD)", 1),
    waiver_case("waivers-expiry-words", waiver(expires="next year"), "expires 'next year' is not YYYY-MM-DD", 1),
    waiver_case("waivers-expiry-number", waiver(expires=20300101), "expires is not a date", 1),
    waiver_case("waivers-expired", waiver(expires="2020-01-01"), "waiver EXPIRED on 2020-01-01", 1),
    waiver_case("waivers-unknown-control", waiver(control="Z9"), "unknown control 'Z9'", 1),
    waiver_case("waivers-missing-fields", "waivers:\n  - control: N1\n", "missing address, reason, owner, ticket, expires", 1),
    waiver_case("waivers-entry-string", "waivers:\n  - just a string\n", "waiver is not a mapping", 1),
    waiver_case("waivers-checkov-string", waiver(checkov="CKV_AWS_1"), "checkov must be a list of check ids", 1),
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
