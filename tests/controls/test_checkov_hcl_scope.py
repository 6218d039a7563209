"""What checkov's HCL scan leaves out: usage examples (never deployed), and never a stack, whatever its folder's name."""

from __future__ import annotations

import re
from pathlib import Path

from tapguard.controls import checkov


def tf(path: Path, body: str = 'resource "aws_s3_bucket" "b" {}\n') -> None:
    path.mkdir(parents=True, exist_ok=True)
    (path / "main.tf").write_text(body)


def skipped(root: Path) -> list[str]:
    args = checkov.hcl_args(root)
    assert args[: len(checkov.HCL_ARGS)] == checkov.HCL_ARGS
    extra = args[len(checkov.HCL_ARGS) :]
    assert extra[::2] == ["--skip-path"] * (len(extra) // 2)
    return extra[1::2]


def test_module_examples_are_left_out_and_a_stack_named_examples_is_not(tmp_path: Path) -> None:
    tf(tmp_path / "modules" / "bucket")
    tf(tmp_path / "modules" / "bucket" / "examples" / "basic")
    tf(tmp_path / "environments" / "examples")  # a stack whose folder happens to be called examples
    tf(tmp_path / "environments" / "prod")
    assert skipped(tmp_path) == ["modules/bucket/examples/"]


def test_a_folder_name_is_data_in_the_skip_pattern(tmp_path: Path) -> None:
    # checkov reads --skip-path as a regular expression: a hostile folder name must match only itself
    name = "m.*(x)|[y]"
    tf(tmp_path / "modules" / name / "examples" / "e")
    tf(tmp_path / "environments" / "prod")
    [pattern] = skipped(tmp_path)
    assert re.fullmatch(pattern, f"modules/{name}/examples/")
    assert not re.search(pattern, "modules/mAAA(x)/examples/") and not re.search(pattern, "environments/prod/")


def test_no_example_and_no_symlink_followed(tmp_path: Path) -> None:
    tf(tmp_path / "environments" / "prod")
    tf(tmp_path / "elsewhere" / "examples" / "e")
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert skipped(tmp_path) == ["elsewhere/examples/"]  # found where it is, not again through the link
    assert checkov.hcl_args(tmp_path / "environments" / "prod") == checkov.HCL_ARGS  # nothing named examples below
