"""The one way in for plans: canaries planted in a real plan (short, numeric, nested, as keys, unmarked credential
names) never leave through any way a plan enters — `check --plan-json`, the pytest plugin, the pre-commit hook — in
any file of the bundle, the outputs, the console, or the cache; and redaction itself, value by value."""

from __future__ import annotations

import copy
import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tapguard.cli import main
from tapguard.planning import intake
from tapguard.planning.redaction import MIRRORS, REDACTED, redact_plan_json

# every canary is a string that must never be found again; each is checked absent from the real plan first
CANARIES = {
    "after_sensitive, one character": "ǂ",
    # a plan is full of random identifiers (moto's IDs, ARN suffixes): a canary must be something none of them holds,
    # or the fixture refuses it (two letters, or five digits, turned up in a fresh clone's plan)
    "after_sensitive, two characters": "Q~",
    "after_sensitive, a number": 735190731,
    "after_sensitive, nested list": "nL#4",
    "after_sensitive, a key of a sensitive map": "kY@2",
    "before_sensitive": "bF&8",
    "sensitive output": "Ou^3",
    "sensitive output change": "Oc^4",
    "sensitive variable": "wX%9",
    "sensitive variable default": "dV!6",
    "unmarked password": "pW~3",
    "unmarked master_password, nested": "mP~5",
    "unmarked token, a number": 864270913,
    "unmarked secret in the configuration": "cF;7",
    "prior_state sensitive_values": "pS^5",
}
FLAG_ADDRESS = "module.api.aws_api_gateway_account.this"


def plant(plan: dict[str, Any]) -> dict[str, Any]:
    """The real plan with every canary planted where a plan may hold a secret, plus a sensitive boolean."""
    data = copy.deepcopy(plan)
    c = CANARIES
    body = next(rc["change"] for rc in data["resource_changes"] if rc["address"] == FLAG_ADDRESS)
    body["after"].update(
        {
            "pin": c["after_sensitive, one character"],
            "code": c["after_sensitive, two characters"],
            "port_secret": c["after_sensitive, a number"],
            "flag": True,
            "nested": [[c["after_sensitive, nested list"]], {"deep": [c["after_sensitive, nested list"]]}],
            "labels": {c["after_sensitive, a key of a sensitive map"]: "v"},
            "password": c["unmarked password"],
            "settings": [{"master_password": c["unmarked master_password, nested"], "token": c["unmarked token, a number"]}],
        }
    )
    body["after_sensitive"] = {**(body.get("after_sensitive") or {}), "pin": True, "code": True, "port_secret": True, "flag": True}
    body["after_sensitive"].update({"nested": True, "labels": True})
    body["before"] = {"old": c["before_sensitive"]}
    body["before_sensitive"] = {"old": True}
    values = data["planned_values"]
    values.setdefault("outputs", {})["db_dsn"] = {"sensitive": True, "value": c["sensitive output"], "type": "string"}
    data.setdefault("output_changes", {})["db_dsn"] = {
        "actions": ["create"],
        "before": None,
        "after": c["sensitive output change"],
        "after_unknown": False,
        "before_sensitive": False,
        "after_sensitive": True,
    }
    root = data["configuration"]["root_module"]
    root.setdefault("variables", {})["db_pin"] = {"sensitive": True, "default": c["sensitive variable default"]}
    data.setdefault("variables", {})["db_pin"] = {"value": c["sensitive variable"]}
    root.setdefault("resources", []).append(
        {
            "address": "aws_x.canary",
            "mode": "managed",
            "type": "aws_x",
            "name": "canary",
            "expressions": {"secret": {"constant_value": c["unmarked secret in the configuration"]}},
        }
    )
    prior = data.setdefault("prior_state", {}).setdefault("values", {}).setdefault("root_module", {})
    prior.setdefault("resources", []).append(
        {
            "address": "data.aws_caller_identity.canary",
            "mode": "data",
            "type": "aws_caller_identity",
            "name": "canary",
            "values": {"user_id": c["prior_state sensitive_values"]},
            "sensitive_values": {"user_id": True},
        }
    )
    return data


def needles() -> list[str]:
    """Each canary as text, also as JSON writes it (a non-ASCII one as an escape)."""
    out: set[str] = set()
    for value in CANARIES.values():
        text = str(value)
        out |= {text, json.dumps(text)[1:-1]}
    return sorted(out)


def leaks(text: str) -> list[str]:
    return [n for n in needles() if n in text]


def files_text(*roots: Path, since: float = 0.0) -> dict[str, str]:
    """Every file under the roots (changed since `since`), gzip members unpacked."""
    found: dict[str, str] = {}
    for root in roots:
        for path in [root] if root.is_file() else root.rglob("*") if root.is_dir() else []:
            if not path.is_file() or path.stat().st_mtime < since:
                continue
            raw = path.read_bytes()
            if path.suffix == ".gz":
                raw = gzip.decompress(raw)
            found[str(path)] = raw.decode("utf-8", errors="replace")
    return found


@pytest.fixture(scope="module")
def canary_plan(plan_data: dict[str, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    original = json.dumps(plan_data["us-west-2"], ensure_ascii=False)
    assert not leaks(original), "a canary is already in the real plan: choose another"
    path = tmp_path_factory.mktemp("canary") / "plan.json"
    path.write_text(json.dumps(plant(plan_data["us-west-2"])))
    assert len(leaks(path.read_text())) >= len(CANARIES) - 1  # planted (the non-ASCII one as an escape)
    return path


def test_every_canary_is_redacted_where_it_was_planted(canary_plan: Path) -> None:
    data, removed = intake.read(canary_plan)
    assert not leaks(json.dumps(data, ensure_ascii=False)), leaks(json.dumps(data, ensure_ascii=False))
    body = next(rc["change"] for rc in data["resource_changes"] if rc["address"] == FLAG_ADDRESS)
    assert body["after"]["flag"] == REDACTED  # a boolean marked sensitive: replaced, not kept as true
    assert body["after"]["settings"] == [{"master_password": REDACTED, "token": REDACTED}]
    assert "pW~3" not in removed  # short secrets are replaced where they sit, never scrubbed from every other string


def test_check_plan_json_leaks_nothing(
    canary_plan: Path, tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.time() - 1
    monkeypatch.chdir(root)
    outs = tmp_path / "outs"
    argv = ["check", "--plan-json", f"us-west-2={canary_plan}", "--no-checkov", "--out", str(tmp_path / "ev")]
    argv += [a for name in ("json", "sarif", "junit", "md", "html", "cli") for a in ("-o", name)] + ["--output-file-path", str(outs)]
    code = main(argv)
    console = capsys.readouterr()
    assert code in (0, 1), console.err
    written = files_text(tmp_path / "ev", outs, intake.admitted_dir(), root / ".tapguard", since=started)
    assert any(name.endswith(".plan.json.gz") for name in written), sorted(written)
    assert len([n for n in written if str(outs) in n]) >= 5
    found = {name: leaks(text) for name, text in written.items() if leaks(text)}
    found.update({stream: leaks(text) for stream, text in (("stdout", console.out), ("stderr", console.err)) if leaks(text)})
    assert not found


def test_pytest_plugin_leaks_nothing(canary_plan: Path, tmp_path: Path, root: Path) -> None:
    evidence = tmp_path / "ev"
    cmd = [sys.executable, "-m", "pytest", "compliance_tests", "-q", "-p", "no:cacheprovider", "-rf", "--tb=long"]
    cmd += ["--tapguard-plan-json", f"us-west-2={canary_plan}", "--tapguard-evidence", str(evidence)]
    env = {**os.environ, "TAPGUARD_REGISTRY": "off"}
    done = subprocess.run(cmd, cwd=root, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    assert "passed" in done.stdout
    written = files_text(evidence)
    assert any(name.endswith(".plan.json.gz") for name in written), sorted(written)
    found = {name: leaks(text) for name, text in written.items() if leaks(text)}
    found.update({stream: leaks(text) for stream, text in (("stdout", done.stdout), ("stderr", done.stderr)) if leaks(text)})
    assert not found


def test_precommit_hook_leaks_nothing(
    canary_plan: Path, root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(root)
    code = main(["hook", "--stack", "environments/us-west-2", "--plan-json", f"us-west-2={canary_plan}"])
    console = capsys.readouterr()
    assert code in (0, 1), console.err
    assert "plan-level check of us-west-2" in console.out
    assert not leaks(console.out + console.err)


@pytest.mark.parametrize(("encoding", "bom"), [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-8", b"\xef\xbb\xbf")])
def test_a_utf16_plan_is_checked_redacted_and_leaves_no_temporary_file(
    canary_plan: Path,
    encoding: str,
    bom: bytes,
    tmp_path: Path,
    root: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(root)
    plan = tmp_path / "plan.json"
    plan.write_bytes(bom + canary_plan.read_text().encode(encoding))
    out = tmp_path / "ev"
    code = main(["check", "--plan-json", f"scratch={plan}", "--no-checkov", "--out", str(out), "-o", "json"])
    console = capsys.readouterr()
    assert code in (0, 1), console.err
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    bundled = next(out.rglob("scratch.plan.json.gz"))
    text = gzip.decompress(bundled.read_bytes()).decode("utf-8")
    assert json.loads(text)["format_version"]
    assert not leaks(text) and not leaks(console.out + console.err)


# ---------------------------------------------------------------- redaction, value by value (short and odd secrets)
def _change(after: dict[str, Any], after_sensitive: Any) -> dict[str, Any]:
    rc = {"address": "aws_x.y", "type": "aws_x", "change": {"actions": ["create"], "after": after, "after_sensitive": after_sensitive}}
    return {"format_version": "1.2", "resource_changes": [rc]}


ODD_SECRETS: list[tuple[str, dict[str, Any], Any]] = [
    ("one character", _change({"pin": "7"}, {"pin": True}), "7"),
    ("four digits as a string", _change({"pin": "4711"}, {"pin": True}), "4711"),
    ("an integer", _change({"port": 15432}, {"port": True}), 15432),
    ("a float", _change({"ratio": 0.25}, {"ratio": True}), 0.25),
    ("false", _change({"flag": False}, {"flag": True}), False),
    ("true", _change({"flag": True}, {"flag": True}), True),
    ("nested list", _change({"l": [["x1"], ["y2"]]}, {"l": [[True], [True]]}), "y2"),
    ("whole list", _change({"l": ["a", 1, True]}, {"l": True}), "a"),
    ("map key", _change({"m": {"k9": "v"}}, {"m": True}), "k9"),
    ("unmarked password", _change({"password": "pw"}, {}), "pw"),
    ("unmarked Password (case)", _change({"Password": "pw"}, {}), "pw"),
    ("unmarked DB_PASSWORD", _change({"environment": [{"variables": {"DB_PASSWORD": "p2"}}]}, {}), "p2"),
    ("unmarked token, a number", _change({"token": 42}, {}), 42),
    ("unmarked private_key in a list", _change({"keys": [{"private_key": "k"}]}, {}), "k"),
    ("unmarked auth_token, boolean", _change({"auth_token": True}, {}), True),
    (
        "sensitive output",
        {"format_version": "1.2", "planned_values": {"outputs": {"o": {"sensitive": True, "value": "o1"}}}},
        "o1",
    ),
    (
        "output change",
        {"format_version": "1.2", "resource_changes": [], "output_changes": {"o": {"after": 9, "after_sensitive": True}}},
        9,
    ),
    (
        "sensitive variable",
        {
            "format_version": "1.2",
            "resource_changes": [],
            "variables": {"v": {"value": "v1"}},
            "configuration": {"root_module": {"variables": {"v": {"sensitive": True, "default": "d1"}}}},
        },
        "v1",
    ),
    (
        "sensitive variable default",
        {
            "format_version": "1.2",
            "resource_changes": [],
            "configuration": {"root_module": {"variables": {"v": {"sensitive": True, "default": "d1"}}}},
        },
        "d1",
    ),
    (
        "unmarked variable named password",
        {"format_version": "1.2", "resource_changes": [], "variables": {"password": {"value": 7}}},
        7,
    ),
    (
        "resource_drift",
        {"format_version": "1.2", "resource_changes": [], "resource_drift": _change({"a": "d"}, {"a": True})["resource_changes"]},
        "d",
    ),
    (
        "prior_state data source",
        {
            "format_version": "1.2",
            "resource_changes": [],
            "prior_state": {
                "values": {
                    "root_module": {
                        "resources": [{"address": "data.x.y", "mode": "data", "values": {"a": "p"}, "sensitive_values": {"a": True}}]
                    }
                }
            },
        },
        "p",
    ),
]


def _holds(node: Any, needle: Any) -> bool:
    """Is `needle` anywhere in the document's values (not its sensitivity mirrors), as a value or a key, with its type?"""
    if type(node) is type(needle) and node == needle:
        return True
    if isinstance(node, dict):
        return any(_holds(k, needle) or _holds(v, needle) for k, v in node.items() if k not in MIRRORS)
    if isinstance(node, list):
        return any(_holds(v, needle) for v in node)
    return False


@pytest.mark.parametrize(("name", "doc", "secret"), ODD_SECRETS, ids=[c[0] for c in ODD_SECRETS])
def test_short_and_odd_secrets_are_redacted(name: str, doc: dict[str, Any], secret: Any) -> None:
    assert _holds(doc, secret)
    redacted, _ = redact_plan_json(doc)
    assert not _holds(redacted, secret), redacted


def test_what_is_not_secret_stays() -> None:
    doc = _change({"manage_master_user_password": True, "port": 5432, "name": "db", "password": None}, {"password": True})
    doc["configuration"] = {"root_module": {"module_calls": {"token": {"source": "./t", "module": {}}}, "resources": []}}
    after = redact_plan_json(doc)[0]["resource_changes"][0]["change"]["after"]
    assert after == {"manage_master_user_password": True, "port": 5432, "name": "db", "password": None}
    assert redact_plan_json(doc)[0]["configuration"]["root_module"]["module_calls"]["token"]["source"] == "./t"


def test_a_mirror_holds_only_marks() -> None:
    mirror = redact_plan_json(_change({"a": "x"}, {"a": "s3", "b": [True, 7]}))[0]["resource_changes"][0]["change"]["after_sensitive"]
    assert mirror == {"a": REDACTED, "b": [True, REDACTED]}


def test_a_key_that_looks_like_anything_is_still_walked() -> None:
    """The walk marks mirror containers by identity, not by a key: no key a plan can hold exempts a credential."""
    for key in ("\u0000mirror", "after_sensitive_", "mirror", ""):
        doc = _change({key: {"password": "hunter2"}}, {})
        assert not _holds(redact_plan_json(doc)[0], "hunter2"), key


@pytest.mark.parametrize("where", ["after", "after_unknown", "after_sensitive"])
def test_nesting_is_bounded_in_values_and_in_mirrors(tmp_path: Path, where: str) -> None:
    deep: Any = True
    for _ in range(intake.MAX_DEPTH):
        deep = [deep]
    doc = _change({}, {})
    doc["resource_changes"][0]["change"][where] = {"x": deep}
    plan = tmp_path / "deep.json"
    plan.write_text(json.dumps(doc))
    with pytest.raises(intake.PlanError, match=f"nested more than {intake.MAX_DEPTH} levels deep"):
        intake.read(plan)
    doc["resource_changes"][0]["change"]["after"] = doc["resource_changes"][0]["change"]["after_sensitive"] = {"x": [deep] * 2}
    plan.write_text(json.dumps(doc))
    with pytest.raises(intake.PlanError, match=f"nested more than {intake.MAX_DEPTH} levels deep"):  # a marked pair, too
        intake.read(plan)
    doc = _change({}, {})
    doc["resource_changes"][0]["change"][where] = {"x": deep[0][0][0][0][0][0][0][0][0][0]}  # comfortably within the limit
    plan.write_text(json.dumps(doc))
    intake.read(plan)


# ---------------------------------------------------------------- bounds and shapes that are valid
def test_limits_are_declared_and_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = tmp_path / "p.json"
    plan.write_text(json.dumps(_change({}, {})))
    monkeypatch.setattr(intake, "MAX_RESOURCES", 0)
    with pytest.raises(intake.PlanError, match="resource_changes holds 1 entries, more than the 0 tapguard evaluates"):
        intake.read(plan)
    monkeypatch.setattr(intake, "MAX_PLAN_BYTES", 10)
    with pytest.raises(intake.PlanError, match="larger than the 10 bytes tapguard reads"):
        intake.read(plan)


def test_modules_50_deep_are_a_valid_plan(
    tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.cli.test_hostile_inputs import deep_modules

    monkeypatch.chdir(root)
    plan = tmp_path / "deep.json"
    plan.write_bytes(deep_modules(50))
    assert intake.read(plan)[0]["configuration"]["root_module"]["module_calls"]["m0"]["source"] == "./m"
    code = main(["check", "--plan-json", f"scratch={plan}", "--no-checkov", "--out", str(tmp_path / "ev")])
    assert code in (0, 1), capsys.readouterr().err


def test_the_redacted_copy_is_what_later_steps_read(canary_plan: Path) -> None:
    copy_path = intake.admit_file("us-west-2", canary_plan, "--plan-json")
    assert copy_path.parent == intake.admitted_dir() and copy_path != canary_plan
    assert not leaks(copy_path.read_text(encoding="utf-8"))
    assert not [p for p in copy_path.parent.iterdir() if p.name.endswith(".tmp")]


def test_the_plan_cache_key_follows_tapguards_version_and_redaction_rules(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tapguard
    from tapguard.planning import project, redaction, runner

    class Binary:
        flavour, version = "terraform", "1.11.4"

    class Tools:
        binary = Binary()

        def provider_version(self) -> str:
            return "5.100.0"

    env = project.select(root, ["ci-identity"])[0]

    def key() -> str:
        return runner.cache_key(env, Tools(), "local", {})  # type: ignore[arg-type]

    first = key()
    assert key() == first
    monkeypatch.setattr(tapguard, "__version__", "9.9.9")
    second = key()
    assert second != first
    monkeypatch.setattr(redaction, "CREDENTIAL_NAMES", redaction.CREDENTIAL_NAMES | {"pin"})
    assert key() != second


def test_a_plan_at_the_byte_limit_is_evaluated_from_its_copy(canary_plan: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tapguard.planning import model

    indented = canary_plan.with_name("indented.json")
    indented.write_text(json.dumps(json.loads(canary_plan.read_text()), indent=1))
    monkeypatch.setattr(intake, "MAX_PLAN_BYTES", indented.stat().st_size)
    copy_path = intake.admit_file("us-west-2", indented, "--plan-json")
    assert len(model.load(copy_path).resources) > 100
