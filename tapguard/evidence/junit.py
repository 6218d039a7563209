"""JUnit XML valid against Jenkins' junit-10.xsd and read by GitLab and GitHub test reporters.

One testsuite per environment (a testcase per control) and one for drills (a testcase per
drill, failing when its verdict fails). junit-10.xsd allows `file` on a testsuite but not on a
testcase, and `properties` only on a testsuite: the suite carries the root module's main.tf and
the plan hash; each failure names file:line of every finding it lists.
"""

from __future__ import annotations

import datetime as dt
import socket
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from tapguard.controls import FAIL, NOT_APPLICABLE, UNKNOWN
from tapguard.controls.assessment import Assessment, drill_measure, drill_passed, drill_verdict
from tapguard.evidence.sarif import locate, root_main
from tapguard.evidence.text import field, finding, log_line, xml


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def _uri(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def _parse(stamp: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(stamp))
    except ValueError:
        return None


def render(run: Assessment, root: Path | None = None) -> str:
    elapsed = ((run.finished or run.started) - run.started).total_seconds()
    # controls are evaluated together, not timed one by one: each case gets its share of the environment's time
    per_case = elapsed / max(len(run.environments) * len(run.catalogue), 1)
    suites = ET.Element("testsuites", name="tapguard compliance")
    total = {"tests": 0, "failures": 0, "errors": 0}
    host = socket.gethostname()
    for env in run.environments:
        failures = skipped = 0
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"pci-dss::{field(env.name)}",
            timestamp=run.started.replace(tzinfo=None).isoformat(timespec="seconds"),
        )
        suite.set("hostname", host)
        main = root_main(env)
        if main:
            suite.set("file", _uri(main, root))
        props = ET.SubElement(suite, "properties")
        for name, value in (("git_sha", run.git_sha), ("plan_sha256", env.plan_sha256), ("region", env.region or "")):
            ET.SubElement(props, "property", name=name, value=field(value))
        for control in run.catalogue.values():
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{field(env.name)}.{control.family}",
                name=f"{control.id} {control.title}",
                time=_seconds(per_case),
            )
            status = env.status_of(control.id)
            mine = env.findings_of(control.id)
            bad = [f for f in mine if f.status in (FAIL, UNKNOWN) and not f.waiver]
            if status == FAIL:
                failures += 1
                lines = []
                for f in bad:
                    where = locate(env, f.address) or ((main, 1) if main else None)
                    at = f" at {_uri(where[0], root)}:{where[1]}" if where else ""
                    lines.append(f"{finding(f, control)}{field(at)}")
                reqs = ", ".join(control.requirements) or control.family
                ET.SubElement(case, "failure", type=control.severity, message=f"PCI DSS {reqs}: {len(bad)} finding(s)").text = (
                    "\n".join(lines) + f"\n\nRemediation:\n{control.remediation.strip()}"
                )
            elif status == NOT_APPLICABLE:
                skipped += 1
                ET.SubElement(case, "skipped", message="not applicable to this stack")
            elif status == "waived":
                waived = [f for f in mine if f.waiver]
                ET.SubElement(case, "system-out").text = "\n".join(
                    f"waived: {field(f.address)} until {field(f.waiver.get('expires') if f.waiver else '')}" for f in waived
                )
        suite.set("tests", str(len(run.catalogue)))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", str(skipped))
        suite.set("time", _seconds(per_case * len(run.catalogue)))
        total["tests"] += len(run.catalogue)
        total["failures"] += failures
    if any(scan.items() for scan in run.checkov):
        suite = checkov_suite(suites, run, host)
        total["tests"] += int(suite.get("tests", "0"))
        total["failures"] += int(suite.get("failures", "0"))
    if run.drills:
        drill_suite(suites, run.drills, host)
        total["tests"] += len(run.drills)
        total["failures"] += sum(1 for d in run.drills if not drill_passed(d))
    for key, count in total.items():
        suites.set(key, str(count))
    suites.set("time", _seconds(sum(float(s.get("time", "0")) for s in suites)))
    for element in suites.iter():  # the last word: nothing XML 1.0 forbids, whatever a field held
        element.text = xml(element.text) if element.text is not None else None
        for key, value in element.attrib.items():
            element.set(key, xml(value))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def checkov_suite(parent: ET.Element, run: Assessment, host: str) -> ET.Element:
    """A testcase per checkov failure (check id, address, file:line, mapped PCI requirement), not only a count."""
    suite = ET.SubElement(parent, "testsuite", name="checkov", hostname=host)
    cases = failures = skipped = 0
    for scan in run.checkov:
        for item in scan.items():
            cases += 1
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"checkov.{field(scan.scope)}",
                name=f"{field(item['check_id'])} {field(item.get('resource'))}",
                time="0.000",
            )
            reqs = field(", ".join(map(str, item.get("requirements") or []))) or "no mapped PCI requirement"
            where = log_line(f"{item.get('file')}:{(item.get('lines') or [''])[0]}") if item.get("file") else "(no file)"
            text = f"{log_line(item.get('message') or item.get('check_name'))}\n{where}\nPCI DSS {reqs}; status {field(item['status'])}"
            if item["status"] == "unverifiable_at_plan":
                skipped += 1
                ET.SubElement(case, "skipped", message=f"{field(item['check_id'])} unverifiable at plan (PCI DSS {reqs})")
                ET.SubElement(case, "system-out").text = text
            else:
                failures += 1
                ET.SubElement(
                    case, "failure", type="checkov", message=f"{field(item['check_id'])} {field(item['status'])} (PCI DSS {reqs})"
                ).text = text
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    suite.set("time", "0.000")
    return suite


def drill_suite(parent: ET.Element, drills: list[dict[str, Any]], host: str) -> ET.Element:
    """A testcase per drill: failure when its verdict fails, with the verdict's reasons."""
    suite = ET.SubElement(parent, "testsuite", name="drills", hostname=host)
    failures = 0
    total = 0.0
    for drill in drills:
        verdict = drill_verdict(drill)
        start, end = _parse(drill.get("start")), _parse(drill.get("end"))
        seconds = (end - start).total_seconds() if start and end else 0.0
        total += seconds
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"drill.{field(drill.get('component', 'unknown'))}",
            name=field(drill.get("title", "drill")),
            time=_seconds(seconds),
        )
        summary = (
            f"downtime {field(drill_measure(verdict, 'downtime_s', 's'))} (limit {field(drill_measure(verdict, 'max_downtime_s', 's'))}), "
            f"acknowledged {field(drill_measure(verdict, 'acknowledged'))} "
            f"({field(verdict.get('acknowledged_without_replica', 0))} without a replica's confirmation), "
            f"lost {field(drill_measure(verdict, 'lost'))}"
        )
        if not drill_passed(drill):
            failures += 1
            given = verdict.get("reasons")
            reasons = [log_line(r) for r in (given if isinstance(given, list) else [given] if given else [])] or [
                "the verdict did not pass"
            ]
            ET.SubElement(case, "failure", type="drill", message=reasons[0]).text = "\n".join(reasons) + "\n" + summary
        ET.SubElement(case, "system-out").text = summary
    suite.set("tests", str(len(drills)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("time", _seconds(total))
    if drills and _parse(drills[0].get("start")):
        stamp = _parse(drills[0].get("start"))
        suite.set("timestamp", stamp.replace(tzinfo=None).isoformat(timespec="seconds") if stamp else "")
    return suite
