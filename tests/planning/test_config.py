"""The config file: a foreign layout in ten lines, stack profiles from config or beside the stack, defaults unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tapguard.controls import engine
from tapguard.foundation import config
from tapguard.foundation.errors import TapguardError
from tapguard.planning import model, project
from tapguard.planning.toolchain import parse_version, version_key

TF = 'provider "aws" {\n  region = "us-east-1"\n}\n'
FOREIGN = """[tool.tapguard]
waivers = "compliance/waivers.yaml"
output = ["cli", "sarif"]

[tool.tapguard.environments.prod]
path = "infra/prod"
profile = { region = "us-east-1", min_azs = 3, blue_green = true, max_rotation_days = 7 }

[tool.tapguard.environments.stage]
path = "infra/stage"
"""


@pytest.fixture
def foreign(tmp_path: Path) -> Path:
    for stack in ("prod", "stage"):
        (tmp_path / "infra" / stack).mkdir(parents=True)
        (tmp_path / "infra" / stack / "main.tf").write_text(TF)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "payments"\n\n' + FOREIGN)
    return tmp_path


def test_a_foreign_layout_in_ten_lines(foreign: Path) -> None:
    assert len(FOREIGN.strip().splitlines()) <= 11
    root = project.find_root(foreign / "infra" / "prod")
    assert root == foreign
    envs = {e.name: e for e in project.environments(root)}
    assert sorted(envs) == ["prod", "stage"]
    assert envs["prod"].path == foreign / "infra" / "prod" and envs["prod"].region == "us-east-1"
    cfg = config.load(root)
    assert cfg.waiver_file == foreign / "compliance" / "waivers.yaml" and cfg.output == ("cli", "sarif")
    assert [e.name for e in project.select(root, ["stage"])] == ["stage"]


def test_profiles_from_config_then_beside_the_stack_then_packaged(foreign: Path) -> None:
    (foreign / "infra" / "stage" / "tapguard-profile.yaml").write_text("min_azs: 2\nrequires: [aws_vpc]\n")
    envs = {e.name: e for e in project.environments(foreign)}
    plan = model.from_dict({"format_version": "1.2", "resource_changes": [], "planned_values": {}})
    prod = engine.profile_for("prod", plan, envs["prod"].profile)
    assert (prod.min_azs, prod.blue_green, prod.max_rotation_days, prod.region) == (3, True, 7, "us-east-1")
    stage = engine.profile_for("stage", plan, envs["stage"].profile)
    assert stage.requires == ("aws_vpc",) and stage.min_azs == 2
    packaged = engine.profile_for("eu-west-1", plan, None)
    assert packaged.blue_green is True and packaged.min_azs == 3


def test_globs_name_environments_after_their_directory(foreign: Path) -> None:
    (foreign / "pyproject.toml").unlink()
    (foreign / "tapguard.toml").write_text('environments = ["infra/*"]\n')
    assert [e.name for e in project.environments(foreign)] == ["prod", "stage"]


def test_defaults_reproduce_todays_layout(root: Path) -> None:
    cfg = config.load(root)
    assert cfg.source is None and cfg.environments is None and cfg.output == ("cli",)
    assert [e.name for e in project.environments(root)] == ["ci-identity", "eu-west-1", "us-west-2"]
    assert cfg.waiver_file == root / "waivers.yaml" and cfg.evidence_dir == root / "evidence"


def test_a_profile_from_config_changes_a_verdict(foreign: Path, plan_data: dict[str, dict[str, object]], tmp_path: Path) -> None:
    """min_azs = 4 in the config fails the AZ control on a real us-west-2 plan that passes with the packaged profile."""
    plan_file = tmp_path / "p.json"
    plan_file.write_text(json.dumps(plan_data["us-west-2"]))
    plan = model.load(plan_file)
    configured = engine.profile_for("us-west-2", plan, {"min_azs": 4})
    packaged = engine.profile_for("us-west-2", plan, None)

    def failing(profile: engine.Profile) -> set[str]:
        return {f.control for f in engine.evaluate("us-west-2", plan, profile) if f.status == "fail"}

    assert failing(configured) - failing(packaged)


def test_provider_versions_compare_as_versions() -> None:
    assert sorted(["5.99.1", "5.100.0", "5.9.0"], key=version_key)[-1] == "5.100.0"
    assert parse_version("dev") is None and parse_version("1") is None
    assert parse_version("1.12.0-beta1") is not None and parse_version("v1.11.2") is not None


def test_forbid_scope_all_is_a_declared_boolean(tmp_path: Path) -> None:
    (tmp_path / "tapguard.toml").write_text("forbid_scope_all = true\n")
    assert config.load(tmp_path).forbid_scope_all is True
    assert config.load(tmp_path / "nowhere").forbid_scope_all is False  # no config: waivers with scope all are allowed
    (tmp_path / "tapguard.toml").write_text('forbid_scope_all = "yes"\n')
    with pytest.raises(TapguardError, match=r"tapguard.toml: forbid_scope_all: expected true/false, got a string$"):
        config.load(tmp_path)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("drills = true\n", "drills: expected a path string, got a boolean"),
        ("evidence = ''\n", "evidence: expected a non-empty string"),
        ("output = []\n", "output: expected at least 1 entry"),
        ("output = [1]\n", "output[0]: expected a string, got an integer"),
        ("drill_outputs = 3\n", "drill_outputs: expected a table, got an integer"),
        ("[drill_outputs]\nregion = 3\n", "drill_outputs.region: expected the stack's output name, got an integer"),
        ("environments = 3\n", "environments: expected a list of paths or a table of environments"),
        ("[environments]\nprod = 3\n", "environments.prod: expected a table with path (and profile), got an integer"),
        ('[environments.prod]\npath = "infra/prod"\nprofile = 3\n', "environments.prod.profile: expected a table or a YAML file path"),
        (
            '[environments.prod]\npath = "infra/prod"\nprofile = { region = 3 }\n',
            "prod.profile.region: expected a string or nothing, got an integer",
        ),
        ('[environments.prod]\npath = "infra/prod"\nprofile = { skip = [1] }\n', "prod.profile.skip[0]: expected a string, got an integer"),
        ("[tool.tapguard]\nforbid_scope_all = 1\n", "tool.tapguard.forbid_scope_all: expected true/false, got an integer"),
    ],
)
def test_every_config_key_is_type_checked_naming_the_key(foreign: Path, toml: str, message: str) -> None:
    (foreign / "pyproject.toml").unlink()
    (foreign / "tapguard.toml").write_text(toml)
    with pytest.raises(TapguardError) as caught:
        config.load(foreign)
    assert message in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("kind", "message"), [("dir", "is a directory, not a file"), ("loop", "symlink loop"), ("dangling", "dangling symlink")]
)
def test_a_broken_tapguard_toml_is_named_not_missing(tmp_path: Path, kind: str, message: str) -> None:
    marker = tmp_path / "tapguard.toml"
    if kind == "dir":
        marker.mkdir()
    elif kind == "loop":
        marker.symlink_to(tmp_path / "other.toml")
        (tmp_path / "other.toml").symlink_to(marker)
    else:
        marker.symlink_to(tmp_path / "gone.toml")
    (tmp_path / "sub").mkdir()
    with pytest.raises(TapguardError) as caught:
        project.find_root(tmp_path / "sub")
    assert str(caught.value) == f"{marker}: {message}" or str(caught.value).startswith(f"{marker}: {message}")
    assert "no tapguard project found" not in str(caught.value)
