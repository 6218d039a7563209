"""SARIF that GitHub places: 25 environments of a scratch repository whose stacks live under `infra/`.

Checked against the SARIF 2.1.0 object model (sarif_pydantic) and GitHub's documented limits for code scanning
uploads: at most 20 runs, at most 10 tags per rule, locations relative to the repository root (through
`originalUriBaseIds`), `helpUri` a public http(s) page, unique `partialFingerprints`, and a level and
`security-severity` that follow the verdict."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tapguard.evidence import sarif
from tests.evidence.scratch import CLUSTER, Scratch, scratch

MAX_RUNS, MAX_TAGS = 20, 10


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Scratch:
    for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"):
        monkeypatch.delenv(name, raising=False)
    return scratch(tmp_path, environments=25)


def github_limits(data: dict[str, Any], repo: Path) -> None:
    """What GitHub code scanning documents for an upload, checked one by one."""
    from sarif_pydantic import Sarif

    Sarif.model_validate(data)
    assert data["version"] == "2.1.0"
    assert 1 <= len(data["runs"]) <= MAX_RUNS
    categories = [r["automationDetails"]["id"] for r in data["runs"]]
    assert len(set(categories)) == len(categories), "two runs share a category"
    for run in data["runs"]:
        rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
        assert len(rules) == len(run["tool"]["driver"]["rules"])
        for r in rules.values():
            assert len(r["properties"].get("tags", [])) <= MAX_TAGS, r["id"]
            if "helpUri" in r:
                assert re.match(r"https?://[^/\s]+/", r["helpUri"]) and "file:" not in r["helpUri"], r["helpUri"]
        base = run.get("originalUriBaseIds", {})
        prints = []
        for result in run["results"]:
            rule = rules[result["ruleId"]]
            assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
            prints.append(json.dumps(result["partialFingerprints"], sort_keys=True))
            for loc in result["locations"]:
                artifact = loc["physicalLocation"]["artifactLocation"]
                uri = artifact["uri"]
                assert not re.match(r"^[a-z]+:", uri) and not uri.startswith("/") and ".." not in uri.split("/"), uri
                assert artifact["uriBaseId"] in base and base[artifact["uriBaseId"]]["uri"] == repo.as_uri() + "/"
                assert (repo / uri).is_file(), uri
            if result["level"] == "error":
                assert "security" in rule["properties"]["tags"] and float(rule["properties"]["security-severity"]) > 0
            else:
                assert "security-severity" not in rule["properties"], "an unverifiable result would raise a security alert"
        assert len(prints) == len(set(prints)), "two results share a fingerprint"


def test_25_environments_under_infra_give_sarif_that_github_places(repo: Scratch) -> None:
    data = json.loads(json.dumps(sarif.render(repo.run, repo.root)))
    github_limits(data, repo.repo)
    assert [r["tool"]["driver"]["name"] for r in data["runs"]] == ["tapguard", "checkov"]
    tapguard = data["runs"][0]
    assert tapguard["automationDetails"]["id"].startswith("tapguard/25-environments-")
    results = tapguard["results"]
    envs = {r["properties"]["environment"] for r in results}
    assert len(envs) == 25
    # per environment: E1 fail (its duplicate merged), E8 fail, E1 unverifiable, L1 stack-wide; N1 waived is not an alert
    assert len(results) == 25 * 4
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        by_rule.setdefault(r["ruleId"], []).append(r)
    assert set(by_rule) == {"E1", "E8", "E1/unverified", "L1"}
    uri = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in by_rule["E1"]}
    assert uri == {"infra/modules/db/main.tf"}
    assert {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in by_rule["E1"]} == {1}
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in by_rule["L1"]} == {
        f"infra/environments/env{n:02d}/main.tf" for n in range(25)
    }
    assert {r["level"] for r in by_rule["E1"] + by_rule["E8"] + by_rule["L1"]} == {"error"}
    assert {r["level"] for r in by_rule["E1/unverified"]} == {"note"}
    assert tapguard["properties"]["waived"] == 25
    rules = {r["id"]: r for r in tapguard["tool"]["driver"]["rules"]}
    assert len(rules["L1"]["properties"]["tags"]) == MAX_TAGS and len(rules["L1"]["properties"]["pci-dss"]) == 9
    assert rules["E1"]["helpUri"].endswith("/docs/controls.md#control-e1") and rules["E1"]["helpUri"].startswith("https://")
    checkov = data["runs"][1]
    levels = {(r["ruleId"], r["level"]) for r in checkov["results"]}
    assert levels == {("CKV_AWS_96", "error"), ("CKV_AWS_158/unverified", "note")}
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in checkov["results"]} == {"infra/modules/db/main.tf"}


def test_a_fingerprint_names_environment_control_address_and_attribute(repo: Scratch) -> None:
    data = sarif.render(repo.run, repo.root)
    e1 = [r for r in data["runs"][0]["results"] if r["ruleId"] == "E1"]
    assert len({r["partialFingerprints"]["tapguard/v1"] for r in e1}) == 25
    again = sarif.render(repo.run, repo.root)
    assert [r["partialFingerprints"] for r in again["runs"][0]["results"]] == [r["partialFingerprints"] for r in data["runs"][0]["results"]]
    assert all(r["properties"]["address"] == CLUSTER for r in e1)


def test_one_environment_names_its_category_and_a_project_without_git_is_its_own_root(tmp_path: Path) -> None:
    one = scratch(tmp_path, environments=1, checkov=False)
    (one.repo / ".git").rmdir()
    data = sarif.render(one.run, one.root)
    run = data["runs"][0]
    assert len(data["runs"]) == 1 and run["automationDetails"]["id"] == "tapguard/env00/"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == one.root.as_uri() + "/"
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris == {"modules/db/main.tf", "environments/env00/main.tf"}


def test_help_base_comes_from_the_config_and_a_local_path_is_refused(repo: Scratch) -> None:
    from tapguard.foundation import config
    from tapguard.foundation.errors import TapguardError

    (repo.root / "tapguard.toml").write_text('sarif_help_base = "https://wiki.acme.example/pci/{id}.html"\n')
    rules = sarif.render(repo.run, repo.root)["runs"][0]["tool"]["driver"]["rules"]
    assert {r["helpUri"] for r in rules if r["id"] == "E1"} == {"https://wiki.acme.example/pci/e1.html"}
    for bad in ("file:///usr/lib/python3/site-packages/tapguard", "/opt/tapguard/docs", "https://", "javascript:alert(1)"):
        (repo.root / "tapguard.toml").write_text(f"sarif_help_base = {json.dumps(bad)}\n")
        with pytest.raises(TapguardError, match="sarif_help_base: expected an http"):
            config.load(repo.root)


def test_a_module_outside_the_repository_is_shown_at_its_caller(tmp_path: Path) -> None:
    """A module outside the repository (a sibling checkout) is never given as an absolute path."""
    one = scratch(tmp_path, environments=1, checkov=False)
    (one.repo / ".git").rmdir()
    (one.root / ".git").mkdir()
    outside = tmp_path / "elsewhere" / "db"
    outside.mkdir(parents=True)
    (outside / "main.tf").write_text((one.root / "modules" / "db" / "main.tf").read_text())
    one.run.environments[0].module_sources["module.db"] = outside.resolve()
    data = sarif.render(one.run, one.root)
    text = json.dumps(data)
    assert str(tmp_path / "elsewhere") not in text
    cluster = [r for r in data["runs"][0]["results"] if r["properties"]["address"] == CLUSTER]
    where = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in cluster}
    assert where == {"environments/env00/main.tf"}, "shown at the root module that calls it"


def test_every_control_has_its_help_page_anchor() -> None:
    """The default helpUri (docs/controls.md#control-<id>) names a section that exists: regenerate the page
    (`python -m tapguard.evidence.control_docs > docs/controls.md`) when the catalogue changes."""
    from tapguard.controls import engine
    from tapguard.evidence import control_docs

    page = (Path(__file__).parents[2] / "docs" / "controls.md").read_text()
    for control in engine.catalogue().values():
        uri = sarif.help_uri(control.id, None)
        assert uri.startswith("https://") and uri.endswith(f"/docs/controls.md#{control_docs.anchor(control.id)}")
        assert f'<a id="{control_docs.anchor(control.id)}"></a>' in page, f"docs/controls.md has no section for {control.id}"
