"""SARIF 2.1.0 for GitHub code scanning: one run per environment, every result located.

Rules carry the `security` tag (GitHub applies `security-severity` only then), PCI DSS tags,
markdown help with the remediation, and a helpUri to the check's source at the run's commit.
A finding on a resource is located at its block; a D1 finding at the line it names; an
aggregate finding (a stack-wide requirement) at the root module's main.tf.
"""

from __future__ import annotations

import inspect
import os
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

from tapguard.controls import FAIL, UNKNOWN, Control
from tapguard.controls.assessment import Assessment, EnvironmentResult
from tapguard.evidence import remediation
from tapguard.evidence.text import field
from tapguard.planning import hcl
from tapguard.planning.model import strip_indexes

LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_HCL_WHERE = re.compile(r"^(?P<file>[^\s:/]+\.tf):(?P<line>\d+) (?P<type>[\w-]+)\.(?P<name>[\w-]+)$")


@cache
def _blocks(directory: Path) -> dict[tuple[str, str], hcl.ResourceBlock]:
    return {(b.type, b.name): b for b in hcl.resource_blocks(directory)}


def locate(env: EnvironmentResult, address: str) -> tuple[Path, int] | None:
    """module.kms.aws_kms_key.this["aurora"] -> (modules/kms/main.tf, line); "main.tf:12 aws_x.y" (D1) -> that line."""
    named = _HCL_WHERE.match(address)
    if named:
        for directory in env.hcl_dirs:
            block = _blocks(directory).get((named["type"], named["name"])) if directory.is_dir() else None
            if block and block.file.name == named["file"] and block.line == int(named["line"]):
                return block.file, block.line
        return None
    bare = strip_indexes(address)
    parts = bare.split(".")
    module_parts: list[str] = []
    while len(parts) >= 2 and parts[0] == "module":
        module_parts += parts[:2]
        parts = parts[2:]
    if parts and parts[0] == "data":
        parts = parts[1:]
    if len(parts) != 2:
        return None
    module = ".".join(module_parts)
    stack: Path | None = env.module_sources.get(module) if module else (env.hcl_dirs[0] if env.hcl_dirs else None)
    if stack is None or not stack.is_dir():
        return None
    block = _blocks(stack).get((parts[0], parts[1]))
    return (block.file, block.line) if block else None


def root_main(env: EnvironmentResult) -> Path | None:
    """Where a stack-wide finding lives: the root module's main.tf (or its first .tf file)."""
    if not env.hcl_dirs or not env.hcl_dirs[0].is_dir():
        return None
    main = env.hcl_dirs[0] / "main.tf"
    return main if main.is_file() else next(iter(sorted(env.hcl_dirs[0].glob("*.tf"))), None)


def repository_url(root: Path) -> str | None:
    """The project's own web address: the GitHub repository of the CI run, else the https form of `origin`."""
    server, repo = os.environ.get("GITHUB_SERVER_URL"), os.environ.get("GITHUB_REPOSITORY")
    if server and repo:
        return f"{server.rstrip('/')}/{repo}"
    try:
        git = ["git", "-C", str(root), "remote", "get-url", "origin"]
        proc = subprocess.run(git, check=False, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    url = proc.stdout.strip()
    ssh = re.fullmatch(r"git@([\w.-]+):(.+?)(\.git)?", url)
    if ssh:
        return f"https://{ssh[1]}/{ssh[2]}"
    https = re.fullmatch(r"(https://[^@\s]+?)(\.git)?", url)  # never a URL with credentials in it
    return https[1] if https else None


def _uri(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _source(control: Control, root: Path) -> tuple[str, int] | None:
    try:
        fn = inspect.unwrap(control.check)
        file = Path(inspect.getsourcefile(fn) or "")
        return _uri(file, root), fn.__code__.co_firstlineno  # its first decorator's line, as getsourcelines says
    except (OSError, TypeError, KeyError):
        return None


def rule(control: Control, root: Path, repo: str | None, sha: str) -> dict[str, Any]:
    reqs = ", ".join(control.requirements) or f"mission: {control.family}"
    help_md = (
        f"**PCI DSS v4.0.1 {reqs}** · severity {control.severity}\n\n**Risk.** {control.risk}\n\n"
        f"**Remediation.**\n\n{remediation.markdown(control.remediation)}\n"
    )
    out: dict[str, Any] = {
        "id": control.id,
        "name": re.sub(r"[^0-9A-Za-z]+", " ", control.title).title().replace(" ", ""),
        "shortDescription": {"text": control.title},
        "fullDescription": {"text": control.risk},
        "help": {"text": f"PCI DSS {reqs}. Risk: {control.risk} Remediation: {control.remediation.strip()}", "markdown": help_md},
        "defaultConfiguration": {"level": LEVEL.get(control.severity, "warning")},
        "properties": {
            "tags": ["security", "compliance", "PCI-DSS", *(f"PCI-DSS-{r}" for r in control.requirements), control.family],
            "security-severity": _score(control.severity),
            "precision": "high",
            "problem.severity": LEVEL.get(control.severity, "warning").replace("note", "recommendation"),
        },
    }
    where = _source(control, root)
    if repo and where:
        out["helpUri"] = f"{repo}/blob/{sha}/{where[0]}#L{where[1]}"
    return out


def render(run: Assessment, root: Path) -> dict[str, Any]:
    import tapguard

    repo = repository_url(root)
    driver: dict[str, Any] = {"name": "tapguard", "version": tapguard.__version__, "semanticVersion": tapguard.__version__}
    if repo:
        driver["informationUri"] = repo
    runs = []
    for env in run.environments:
        rules = [rule(c, root, repo, run.git_sha) for c in run.catalogue.values()]
        index = {c: i for i, c in enumerate(run.catalogue)}
        results = []
        for f in env.findings:
            if f.status not in (FAIL, UNKNOWN) or f.waiver:
                continue
            control = run.catalogue.get(f.control)
            where = locate(env, f.address)
            aggregate = where is None
            if where is None:
                main = root_main(env)
                where = (main, 1) if main else None
            location: dict[str, Any] = {"logicalLocations": [{"fullyQualifiedName": field(f.address), "kind": "resource"}]}
            if where:
                location["physicalLocation"] = {"artifactLocation": {"uri": _uri(where[0], root)}, "region": {"startLine": where[1]}}
            text = (
                f"[{field(env.name)}] {field(f.address)} {field(f.attribute)}".rstrip()
                + f": {field(f.message)} (actual {field(remediation.value(f.actual))}, expected {field(f.expected)})"
            )
            result: dict[str, Any] = {
                "ruleId": f.control,
                "level": LEVEL.get(control.severity if control else "medium", "warning"),
                "message": {"text": text + (" — a stack-wide finding, shown at the root module" if aggregate else "")},
                "locations": [location],
                "partialFingerprints": {"tapguard/v1": ":".join(field(x) for x in (env.name, f.control, f.address, f.attribute))},
            }
            if f.control in index:
                result["ruleIndex"] = index[f.control]
            results.append(result)
        runs.append(
            {
                "tool": {"driver": {**driver, "rules": rules}},
                "automationDetails": {"id": f"tapguard/{field(env.name)}/"},
                "originalUriBaseIds": {"SRCROOT": {"uri": root.resolve().as_uri() + "/"}},
                "versionControlProvenance": [{"repositoryUri": repo, "revisionId": run.git_sha}] if repo else [],
                "results": results,
            }
        )
    if any(scan.items() for scan in run.checkov):
        runs.append(checkov_run(run, root))
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": runs}


def checkov_run(run: Assessment, root: Path) -> dict[str, Any]:
    """checkov's failures itemized as a second tool: check id, address, file:line, mapped PCI requirement."""
    rules: dict[str, dict[str, Any]] = {}
    results = []
    fallback = next((m for m in (root_main(e) for e in run.environments) if m), None)
    for scan in run.checkov:
        for item in scan.items():
            check_id = field(item["check_id"])
            name = field(item.get("check_name") or check_id)
            reqs = [field(r) for r in item.get("requirements") or []]
            rules.setdefault(
                check_id,
                {
                    "id": check_id,
                    "name": check_id,
                    "shortDescription": {"text": name},
                    "fullDescription": {"text": name},
                    "help": {"text": f"{name} (checkov {check_id}); PCI DSS {', '.join(reqs) or 'no mapped requirement'}"},
                    "properties": {
                        "tags": [
                            "security",
                            "checkov",
                            *(f"PCI-DSS-{r}" for r in reqs),
                            *(f"tapguard-{field(c)}" for c in item.get("controls") or []),
                        ],
                        "security-severity": "7.0",
                    },
                },
            )
            resource = field(item.get("resource"))
            location: dict[str, Any] = {"logicalLocations": [{"fullyQualifiedName": resource, "kind": "resource"}]}
            file, lines = item.get("file"), item.get("lines") or []
            if file:
                uri, line = field(file).lstrip("/"), int(lines[0]) if lines and lines[0] else 1
            elif fallback is not None:
                uri, line = _uri(fallback, root), 1
            else:
                uri = ""
            if uri:
                location["physicalLocation"] = {"artifactLocation": {"uri": uri}, "region": {"startLine": max(line, 1)}}
            what = field(item.get("message") or name)
            mapped = ", ".join(reqs) or "unmapped"
            results.append(
                {
                    "ruleId": check_id,
                    "level": "note" if item["status"] == "unverifiable_at_plan" else "error",
                    "message": {"text": f"[{field(scan.scope)}] {resource}: {what} ({field(item['status'])}; PCI DSS {mapped})"},
                    "locations": [location],
                    "partialFingerprints": {"checkov/v1": f"{field(scan.scope)}:{check_id}:{resource}"},
                }
            )
    return {
        "tool": {"driver": {"name": "checkov", "informationUri": "https://www.checkov.io", "rules": list(rules.values())}},
        "automationDetails": {"id": "tapguard/checkov/"},
        "results": results,
    }


def _score(severity: str) -> str:
    return {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}.get(severity, "5.0")
