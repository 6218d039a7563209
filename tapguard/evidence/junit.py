"""JUnit XML: one testsuite per environment, one testcase per control (CI test reporters read it)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tapguard.controls import FAIL, NOT_APPLICABLE, UNKNOWN
from tapguard.controls.assessment import Assessment


def render(run: Assessment) -> str:
    suites = ET.Element("testsuites", name="tapguard compliance")
    for env in run.environments:
        failures = skipped = 0
        suite = ET.SubElement(suites, "testsuite", name=f"pci-dss::{env.name}")
        for control in run.catalogue.values():
            case = ET.SubElement(suite, "testcase", classname=f"{env.name}.{control.family}", name=f"{control.id} {control.title}")
            status = env.status_of(control.id)
            bad = [f for f in env.findings if f.control == control.id and f.status in (FAIL, UNKNOWN) and not f.waiver]
            if status == FAIL:
                failures += 1
                text = "\n".join(f.describe(control) for f in bad)
                ET.SubElement(
                    case, "failure", message=f"PCI DSS {', '.join(control.requirements) or control.family}: {len(bad)} finding(s)"
                ).text = f"{text}\n\nRemediation:\n{control.remediation}"
            elif status == NOT_APPLICABLE:
                skipped += 1
                ET.SubElement(case, "skipped", message="not applicable to this stack")
            props = ET.SubElement(case, "properties")
            for req in control.requirements:
                ET.SubElement(props, "property", name="pci_dss", value=req)
        suite.set("tests", str(len(run.catalogue)))
        suite.set("failures", str(failures))
        suite.set("skipped", str(skipped))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
