"""tapguard's own HCL reader: literal values as terraform reads them, resource blocks where they are written, and
the same answers whatever hcl2 library happens to be installed (python-hcl2 8.x, checkov's bc-python-hcl2, none)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tapguard.foundation.errors import TapguardError
from tapguard.planning import hcl, project

ROOT = Path(__file__).resolve().parents[2]
STACKS = sorted(p for p in (ROOT / "environments").iterdir() if p.is_dir())
MODULES = sorted(p for p in (ROOT / "modules").iterdir() if p.is_dir() and any(p.glob("*.tf")))
RESOURCE_LINE = re.compile(r'^resource\s+"([^"]+)"\s+"([^"]+)"\s*\{', re.MULTILINE)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_tfvars_literals(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "terraform.tfvars",
        "# comment\n"
        'name    = "payments/aurora-master" // trailing comment\n'
        "count   = 3\n"
        "ratio   = -1.5e2\n"
        "enabled = true\n"
        "nothing = null\n"
        "/* a block\n   comment */\n"
        'escaped = "quote \\" tab \\t unicode \\u00e9 dollar $${x}"\n'
        "tags = {\n"
        '  "cost-center" = "42"\n'
        '  team: "pay",\n'
        '  us-west-2 = { secret_names = ["a", "b",] }\n'
        "}\n"
        "list = [\n  1,\n  2\n]\n"
        "doc = <<-EOT\n    first\n      second\n    EOT\n",
    )
    assert hcl.load_tfvars(path) == {
        "name": "payments/aurora-master",
        "count": 3,
        "ratio": -150.0,
        "enabled": True,
        "nothing": None,
        "escaped": 'quote " tab \t unicode \u00e9 dollar ${x}',
        "tags": {"cost-center": "42", "team": "pay", "us-west-2": {"secret_names": ["a", "b"]}},
        "list": [1, 2],
        "doc": "first\n  second\n",
    }


@pytest.mark.parametrize(
    "text",
    ["region = var.region\n", 'name = "x-${var.suffix}"\n', "ids = [for x in y : x]\n", 'key = lower("A")\n', "m = { a = local.b }\n"],
)
def test_tfvars_refuse_what_terraform_refuses(tmp_path: Path, text: str) -> None:
    with pytest.raises(TapguardError, match="not a literal value") as raised:
        hcl.load_tfvars(write(tmp_path, "terraform.tfvars", text))
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("text", "line", "why"),
    [
        ('a = "open\n', 1, "unterminated string"),
        ('\nresource "x" "y" {\n  a = 1\n', 2, "never closed"),
        ("a = 1\n/* no end", 2, "unterminated /\\* comment"),
        ("a = <<EOT\nbody\n", 1, "never closed"),
        ("a = 1\na = 2\n", 2, "set twice"),
        ("a = (1\n", 1, "unbalanced"),
        ('a = "\\q"\n', 1, "invalid escape"),
        ("= 1\n", 1, "expected an attribute"),
        ("a = \n", 1, "needs a value"),
    ],
)
def test_syntax_errors_are_one_line_with_file_and_line(tmp_path: Path, text: str, line: int, why: str) -> None:
    path = write(tmp_path, "main.tf", text)
    with pytest.raises(TapguardError, match=why) as raised:
        hcl.load(path)
    assert str(raised.value).startswith(f"{path}:{line}: not valid HCL"), raised.value
    assert "\n" not in str(raised.value)


def test_unreadable_and_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(TapguardError, match="cannot read"):
        hcl.load(tmp_path / "absent.tf")
    binary = tmp_path / "bin.tf"
    binary.write_bytes(b'a = "\xff"\n')
    with pytest.raises(TapguardError, match="not UTF-8"):
        hcl.load(binary)


def test_provider_region(tmp_path: Path) -> None:
    write(tmp_path, "a.tf", 'provider "aws" {\n  alias  = "east"\n  region = "us-east-1"\n}\n')
    write(tmp_path, "b.tf", 'provider "aws" {\n  region = "eu-west-1"\n  default_tags { tags = { a = "b" } }\n}\n')
    assert hcl.provider_region(tmp_path) == "eu-west-1"
    write(tmp_path, "b.tf", 'provider "aws" {\n  region = var.region\n}\n')
    assert hcl.provider_region(tmp_path) is None
    write(tmp_path, "b.tf", 'provider "aws" {\n  region = "${var.region}"\n}\n')
    assert hcl.provider_region(tmp_path) is None


def test_resource_blocks_lines_and_lifecycle(tmp_path: Path) -> None:
    write(
        tmp_path,
        "main.tf",
        'locals {\n  doc = <<EOT\nresource "fake" "inside_heredoc" {\nEOT\n}\n'  # lines 1-5
        'resource "aws_s3_bucket" "logs" {\n'  # 6
        '  bucket = "x-${jsonencode({ a = "}" })}"\n'  # 7: a brace inside a string inside a template
        "  lifecycle {\n    prevent_destroy = true\n    ignore_changes  = [tags]\n  }\n"  # 8-11
        "}\n"  # 12
        'resource "aws_kms_key" "k" { description = "one line" }\n',  # 13
    )
    blocks = hcl.resource_blocks(tmp_path)
    assert [(b.type, b.name, b.line, b.end_line) for b in blocks] == [("aws_s3_bucket", "logs", 6, 12), ("aws_kms_key", "k", 13, 13)]
    assert blocks[0].lifecycle["prevent_destroy"] is True
    assert str(blocks[0].lifecycle["ignore_changes"]) == "[tags]"
    assert blocks[1].lifecycle == {}
    assert blocks[1].block.attributes == {"description": "one line"}


@pytest.mark.parametrize("directory", STACKS + MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_resource_block_of_ours_is_found_on_its_line(directory: Path) -> None:
    """Against an independent reading: terraform fmt puts each resource header at the start of a line."""
    expected = []
    for tf in sorted(directory.glob("*.tf")):
        text = tf.read_text()
        expected += [(tf.name, m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1) for m in RESOURCE_LINE.finditer(text)]
    blocks = hcl.resource_blocks(directory)
    assert [(b.file.name, b.type, b.name, b.line) for b in blocks] == expected
    for b in blocks:
        assert b.file.read_text().splitlines()[b.end_line - 1].rstrip() == "}", f"{b.type}.{b.name} ends on line {b.end_line}"


def test_our_stacks_as_the_project_sees_them() -> None:
    envs = {e.name: e for e in project.environments(ROOT)}
    assert {n: e.region for n, e in envs.items()} == {"us-west-2": "us-west-2", "eu-west-1": "eu-west-1", "ci-identity": "us-west-2"}
    assert envs["us-west-2"].existing_secrets == {"aurora_master": "payments/aurora-master", "redis_auth": "payments/redis-auth"}
    assert envs["ci-identity"].variables["stacks"]["eu-west-1"] == {"secret_names": ["secret-redisauth-dev"]}


def test_tapguard_never_imports_an_hcl2_library() -> None:
    """Whichever `hcl2` is installed (or none), tapguard reads HCL with its own reader."""
    modules = ROOT / "modules"
    code = (
        "import sys; from pathlib import Path; "
        "from tapguard.planning import project, hcl; from tapguard.evidence import sarif; from tapguard.controls.checks import lifecycle; "
        f"project.environments(Path({str(ROOT)!r})); [hcl.resource_blocks(p) for p in Path({str(modules)!r}).iterdir() if p.is_dir()]; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('hcl2', 'lark')))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert proc.stdout.strip() == "[]"
