"""The output registry: `-o NAME` on stdout, `--output-file-path` and the bundle are the same bytes for every format."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tapguard.cli import outputs
from tapguard.cli.parser import build_parser
from tapguard.controls import assessment
from tapguard.controls.assessment import Assessment
from tapguard.evidence import formats
from tapguard.evidence.write import write_bundle
from tapguard.foundation import config
from tapguard.foundation.errors import TapguardError
from tapguard.planning import project
from tests.evidence.test_outputs import DRILLS


@pytest.fixture(scope="module")
def run_with_drills(env_plans: dict[str, Path], root: Path) -> Assessment:
    run = assessment.assess(root, project.environments(root), env_plans, None, use_checkov=False)
    run.drills = DRILLS
    return run


def no_cli() -> str:
    raise AssertionError("the console report is not a bundled format")


@pytest.mark.parametrize("fmt", [f.name for f in formats.BUNDLED])
def test_stdout_file_and_bundle_are_the_same_bytes(
    fmt: str, run_with_drills: Assessment, root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = write_bundle(run_with_drills, root, tmp_path / "evidence")
    in_bundle = (bundle.path / formats.FORMATS[fmt].file_name).read_bytes()
    capsys.readouterr()
    outputs.emit([fmt], None, run_with_drills, root, no_cli)
    assert capsys.readouterr().out.encode() == in_bundle
    (written,) = outputs.emit([fmt], tmp_path / "out", run_with_drills, root, no_cli)
    assert written.name == formats.FORMATS[fmt].file_name
    assert written.read_bytes() == in_bundle


def test_the_bundle_holds_every_bundled_format_and_not_cli(run_with_drills: Assessment, root: Path, tmp_path: Path) -> None:
    bundle = write_bundle(run_with_drills, root, tmp_path)
    names = {p.name for p in bundle.path.iterdir()}
    assert {f.file_name for f in formats.BUNDLED} <= names
    assert formats.FORMATS["cli"].file_name not in names


def test_junit_on_stdout_has_relative_paths_like_the_bundle(run_with_drills: Assessment, root: Path) -> None:
    text = outputs.render("junit", run_with_drills, root, no_cli)
    assert str(root) not in text and 'file="environments/' in text


def test_every_flag_and_the_config_take_the_registry(tmp_path: Path) -> None:
    parser = build_parser()
    for name in formats.NAMES:
        assert parser.parse_args(["check", "-o", name]).output == [name]
    with pytest.raises(SystemExit):
        parser.parse_args(["check", "-o", "pdf"])
    (tmp_path / "tapguard.toml").write_text('output = ["sarif", "md", "sarif"]\n')
    cfg = config.load(tmp_path)
    assert outputs.selected(argparse.Namespace(output=None), cfg) == ["sarif", "md"]
    assert outputs.selected(argparse.Namespace(output=["junit"]), cfg) == ["junit"]
    (tmp_path / "tapguard.toml").write_text('output = ["pdf"]\n')
    with pytest.raises(TapguardError, match=r"tapguard.toml: output: unknown format 'pdf' \(choose from cli, json"):
        outputs.selected(argparse.Namespace(output=None), config.load(tmp_path))


def test_a_format_without_a_writer_cannot_be_rendered_from_an_assessment(run_with_drills: Assessment, root: Path) -> None:
    with pytest.raises(ValueError, match="rendered by the command"):
        formats.FORMATS["cli"].render(run_with_drills, root)
