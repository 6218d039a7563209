"""`tapguard check --list [--json]`: the controls, PCI DSS requirements, severities and resource classes, from the catalogue."""

from __future__ import annotations

import json
import sys
from typing import Any

from tapguard.controls import classes, engine
from tapguard.controls.assessment import SEVERITIES

FORMAT = "tapguard.list/1"


def document() -> dict[str, Any]:
    """Everything `--check` and `--skip-check` accept, and what each control is about (format tapguard.list/1)."""
    catalogue = engine.catalogue()
    known = classes.load()
    requirements: dict[str, list[str]] = {}
    for control in catalogue.values():
        for req in control.requirements:
            requirements.setdefault(req, []).append(control.id)
    by_class: dict[str, dict[str, set[str]]] = {}
    for type_class in known.types.values():
        for name in type_class.classes:
            entry = by_class.setdefault(name, {"types": set(), "controls": set()})
            entry["types"].add(type_class.type)
            entry["controls"] |= {f.control for f in type_class.facets.values()}
    return {
        "format": FORMAT,
        "controls": [
            {
                "id": c.id,
                "title": c.title,
                "family": c.family,
                "severity": c.severity,
                "requirements": list(c.requirements),
                "checkov": list(c.scanners.get("checkov", [])),
            }
            for c in catalogue.values()
        ],
        "requirements": dict(sorted(requirements.items())),
        "severities": list(SEVERITIES),
        "classes": {name: {"types": sorted(v["types"]), "controls": sorted(v["controls"])} for name, v in sorted(by_class.items())},
    }


def run(as_json: bool) -> int:
    doc = document()
    if as_json:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return 0
    lines = ["controls (id, severity, family, PCI DSS requirements, title, checkov ids):"]
    for c in doc["controls"]:
        checkov_ids = f"  [{', '.join(c['checkov'])}]" if c["checkov"] else ""
        reqs = ", ".join(c["requirements"]) or "-"
        lines.append(f"  {c['id']:<5} {c['severity']:<8} {c['family']:<16} {reqs:<24} {c['title']}{checkov_ids}")
    lines.append("")
    lines.append("PCI DSS requirements:")
    lines += [f"  {req:<12} {', '.join(ids)}" for req, ids in doc["requirements"].items()]
    lines.append("")
    lines.append(f"severities: {', '.join(doc['severities'])}  (--check SEVERITY: that and higher; --skip-check SEVERITY: that and lower)")
    lines.append("")
    lines.append("resource classes (controls; types):")
    for name, entry in doc["classes"].items():
        lines.append(f"  {name}: {', '.join(entry['controls']) or '-'}; {len(entry['types'])} type(s)")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
