"""docs/controls.md: one section per control, anchored `#control-<id>`, the page SARIF's `helpUri` and GitLab's
identifier URLs point at by default. Written from the catalogue (`python -m tapguard.evidence.control_docs > docs/controls.md`);
a test keeps the committed page equal to what the catalogue gives."""

from __future__ import annotations

import re

from tapguard.controls import Control, engine
from tapguard.evidence import remediation


def anchor(control_id: str) -> str:
    return "control-" + re.sub(r"[^a-z0-9-]", "-", control_id.lower())


def section(control: Control) -> str:
    reqs = ", ".join(control.requirements) or f"none (mission: {control.family})"
    return (
        f'<a id="{anchor(control.id)}"></a>\n\n### {control.id} · {control.title}\n\n'
        f"PCI DSS v4.0.1: {reqs} · severity {control.severity} · family {control.family}\n\n"
        f"**Risk.** {' '.join(control.risk.split())}\n\n**Remediation.**\n\n{remediation.markdown(control.remediation)}\n"
    )


def render() -> str:
    controls = engine.catalogue().values()
    index = " · ".join(f"[{c.id}](#{anchor(c.id)})" for c in controls)
    head = (
        "# tapguard controls\n\n"
        "Generated from `tapguard/controls/catalogue.yaml` by `python -m tapguard.evidence.control_docs`; "
        "each control's anchor is what SARIF `helpUri` and GitLab identifiers link to.\n\n" + index + "\n"
    )
    return head + "\n" + "\n".join(section(c) for c in controls)


if __name__ == "__main__":
    print(render(), end="")
