"""Property: for any plan JSON — a valid plan with any of the fields tapguard reads replaced by any JSON value, or any
bytes — `tapguard check --plan-json` exits 0, 1 or 2, never with a traceback, and writes nothing outside --out."""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tapguard.cli import main

BASE: dict[str, Any] = {
    "format_version": "1.2",
    "terraform_version": "1.11.4",
    "resource_changes": [
        {
            "address": "module.m.aws_s3_bucket.a",
            "module_address": "module.m",
            "mode": "managed",
            "type": "aws_s3_bucket",
            "name": "a",
            "index": 0,
            "change": {
                "actions": ["create"],
                "before": None,
                "after": {"bucket": "b", "password": "p"},
                "after_unknown": {"arn": True},
                "after_sensitive": {"password": True},
                "before_sensitive": False,
            },
        }
    ],
    "planned_values": {
        "outputs": {"o": {"sensitive": True, "value": "v"}},
        "root_module": {
            "resources": [],
            "child_modules": [{"address": "module.m", "resources": [{"address": "module.m.aws_s3_bucket.a[0]", "values": {}}]}],
        },
    },
    "prior_state": {
        "values": {
            "root_module": {
                "resources": [{"address": "data.aws_x.y", "mode": "data", "type": "aws_x", "values": {}, "sensitive_values": {}}]
            }
        }
    },
    "configuration": {
        "provider_config": {"aws": {"expressions": {"region": {"constant_value": "us-west-2"}}}},
        "root_module": {
            "variables": {"v": {"sensitive": True}},
            "module_calls": {
                "m": {
                    "source": "./m",
                    "expressions": {"x": {"references": ["var.v"]}},
                    "module": {
                        "resources": [{"address": "aws_s3_bucket.a", "expressions": {"bucket": {"constant_value": "b"}}}],
                        "outputs": {},
                    },
                }
            },
        },
    },
    "output_changes": {"o": {"actions": ["create"], "after": "v", "after_sensitive": True}},
    "variables": {"v": {"value": "s"}},
}
# every place of BASE a field tapguard reads sits (what the schema declares)
PATHS: list[tuple[Any, ...]] = [
    (),
    ("resource_changes",),
    ("resource_changes", 0),
    *[("resource_changes", 0, k) for k in ("address", "module_address", "mode", "type", "name", "index", "change")],
    *[("resource_changes", 0, "change", k) for k in ("actions", "after", "after_unknown", "after_sensitive", "before_sensitive", "before")],
    ("resource_changes", 0, "change", "actions", 0),
    ("resource_changes", 0, "change", "after", "password"),
    ("planned_values",),
    ("planned_values", "outputs"),
    ("planned_values", "outputs", "o"),
    ("planned_values", "root_module"),
    ("planned_values", "root_module", "child_modules"),
    ("planned_values", "root_module", "child_modules", 0, "resources"),
    ("planned_values", "root_module", "child_modules", 0, "resources", 0),
    ("prior_state",),
    ("prior_state", "values", "root_module", "resources", 0),
    ("prior_state", "values", "root_module", "resources", 0, "address"),
    ("configuration",),
    ("configuration", "provider_config"),
    ("configuration", "provider_config", "aws", "expressions", "region"),
    ("configuration", "root_module"),
    ("configuration", "root_module", "variables"),
    ("configuration", "root_module", "module_calls"),
    ("configuration", "root_module", "module_calls", "m"),
    ("configuration", "root_module", "module_calls", "m", "expressions", "x"),
    ("configuration", "root_module", "module_calls", "m", "module"),
    ("configuration", "root_module", "module_calls", "m", "module", "resources", 0),
    ("configuration", "root_module", "module_calls", "m", "module", "resources", 0, "expressions"),
    ("output_changes",),
    ("output_changes", "o"),
    ("variables",),
    ("variables", "v"),
    ("format_version",),
    ("errored",),
]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
    | st.sampled_from(["create", "1.2", "module.m", "aws_s3_bucket.a", "\ud800", "[/]", "\x1b[31m", "../../x"])
)
JSON = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=8
)


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    node = doc
    for part in path[:-1]:
        if isinstance(node, dict) and isinstance(part, str):
            node = node.setdefault(part, {})
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return doc
    last = path[-1]
    if isinstance(node, dict) and isinstance(last, str):
        node[last] = value
    if isinstance(node, list) and isinstance(last, int) and last < len(node):
        node[last] = value
    return doc


@st.composite
def plan_bytes(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=64))
    doc: Any = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        doc = _set(doc, draw(st.sampled_from(PATHS)), draw(JSON))
    text = json.dumps(doc)
    return text.encode(draw(st.sampled_from(["utf-8", "utf-16"])), errors="surrogatepass")


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(raw=plan_bytes())
def test_any_plan_exits_0_1_or_2_without_traceback_and_writes_only_under_out(
    raw: bytes, tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(root)
    monkeypatch.setenv("TAPGUARD_REGISTRY", "off")
    case = Path(tempfile.mkdtemp(dir=tmp_path))  # one fresh directory per example (tmp_path is shared by them)
    plan = case / "p.json"
    plan.write_bytes(raw)
    repo_before = _tree(root / "environments")
    code = main(["check", "--plan-json", f"scratch={plan}", "--no-checkov", "--out", str(case / "ev"), "-o", "json", "-o", "sarif"])
    console = capsys.readouterr()
    assert code in (0, 1, 2), console.err
    assert "Traceback" not in console.err + console.out
    if code == 2:
        assert len(console.err.strip().splitlines()) == 1, console.err
    assert _tree(case) - {"p.json"} <= {p for p in _tree(case) if p == "ev" or p.startswith("ev/")}
    assert _tree(root / "environments") == repo_before
