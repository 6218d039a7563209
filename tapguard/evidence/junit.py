"""JUnit XML for GitLab, Jenkins and GitHub test reporters.

One testsuite per environment (a testcase per control), one for checkov, one for drills (a testcase per drill named
`drill.<component>` / `<fault>`, failing when its verdict fails). Each testcase carries `file` and `line` (the block
of its first failing finding, else the root module's main.tf), where GitLab reads them; the suite carries `file` and
the plan hash in `properties`. Times are real or absent: controls are evaluated together, so a control's case has no
`time` (never the run's time divided by the number of cases); a drill's case has its measured duration.

The Jenkins xunit plugin's junit-10.xsd declares `name`, `time`, `classname` and `group` on a testcase and nothing
else, so `file`/`line` are the one departure from it (the same as pytest's xunit1 family); Jenkins' JUnit plugin
and GitLab ignore attributes they do not know. Everything else validates against junit-10.xsd.
"""

from __future__ import annotations

import datetime as dt
import socket
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from tapguard.controls import FAIL, NOT_APPLICABLE, UNKNOWN
from tapguard.controls.assessment import Assessment, drill_measure, drill_passed, drill_verdict
from tapguard.evidence.published import in_repository, locate, repository_root, root_main, verdict_of
from tapguard.evidence.text import field, finding, log_line, xml


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def _uri(path: Path, root: Path | None) -> str:
    """Relative to the git repository root (GitLab and CI reporters resolve it from the checkout), else the project root."""
    if root is not None:
        for base in (repository_root(root), root.resolve()):
            inside = in_repository(path, base)
            if inside:
                return inside
    return path.as_posix()


def _parse(stamp: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(stamp))
    except ValueError:
        return None


def render(run: Assessment, root: Path | None = None) -> str:
    elapsed = ((run.finished or run.started) - run.started).total_seconds() if run.finished else None
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
            # controls are evaluated together, not timed one by one: a case has no time rather than a made-up one
            case = ET.SubElement(suite, "testcase", classname=f"{field(env.name)}.{control.family}", name=f"{control.id} {control.title}")
            status = env.status_of(control.id)
            mine = env.findings_of(control.id)
            bad = [f for f in mine if f.status in (FAIL, UNKNOWN) and not f.waiver]
            shown = bad or [f for f in mine if verdict_of(f)]
            where_first = (locate(env, shown[0].address) if shown else None) or ((main, 1) if main else None)
            if where_first:
                case.set("file", _uri(where_first[0], root))
                case.set("line", str(where_first[1]))
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
                why = run.skipped.get(control.id)  # --check / --skip-check said so: the reason, not "not applicable"
                ET.SubElement(case, "skipped", message=field(f"skipped: {why}") if why else "not applicable to this stack")
            elif status == "waived":
                waived = [f for f in mine if f.waiver]
                ET.SubElement(case, "system-out").text = "\n".join(
                    f"waived: {field(f.address)} until {field(f.waiver.get('expires') if f.waiver else '')}" for f in waived
                )
        suite.set("tests", str(len(run.catalogue)))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", str(skipped))
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
    if elapsed is not None:
        suites.set("time", _seconds(elapsed))  # the run's real duration
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
    return suite


def drill_suite(parent: ET.Element, drills: list[dict[str, Any]], host: str) -> ET.Element:
    """A testcase per drill: failure when its verdict fails, with the verdict's reasons."""
    suite = ET.SubElement(parent, "testsuite", name="drills", hostname=host)
    failures = 0
    total = 0.0
    timed = False
    for n, drill in enumerate(drills, 1):
        verdict = drill_verdict(drill)
        start, end = _parse(drill.get("start")), _parse(drill.get("end"))
        component, fault = identity(drill, n)
        case = ET.SubElement(suite, "testcase", classname=f"drill.{field(component)}", name=field(fault))
        seconds = _duration(start, end)
        if seconds is not None:
            total += seconds
            timed = True
            case.set("time", _seconds(seconds))
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
        ET.SubElement(case, "system-out").text = f"{field(drill.get('title', ''))}\n{summary}".lstrip()
    suite.set("tests", str(len(drills)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    if timed:
        suite.set("time", _seconds(total))
    if drills and _parse(drills[0].get("start")):
        stamp = _parse(drills[0].get("start"))
        suite.set("timestamp", stamp.replace(tzinfo=None).isoformat(timespec="seconds") if stamp else "")
    return suite


def _duration(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    """A drill's measured seconds, or None when its journal does not say (never a guessed zero)."""
    try:
        seconds = (end - start).total_seconds() if start and end else None
    except TypeError:  # one stamp with a zone, one without
        return None
    return seconds if seconds is not None and seconds >= 0 else None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def identity(drill: dict[str, Any], n: int) -> tuple[str, str]:
    """(component, fault) of a drill journal: the experiment's, else the journal's own keys, else its title; never `unknown`."""
    given = drill.get("experiment")
    experiment: dict[str, Any] = given if isinstance(given, dict) else {}
    aimed = experiment.get("target")
    target: dict[str, Any] = aimed if isinstance(aimed, dict) else {}
    title = _text(drill.get("title"))
    component = _text(experiment.get("component")) or _text(drill.get("component")) or _text(target.get("engine"))
    fault = _text(experiment.get("fault")) or _text(drill.get("fault"))
    if not fault and title:
        fault = title.removeprefix(component).strip() if component else title
    return component or (title.split()[0] if title else f"drill-{n}"), fault or title or f"run-{n}"
