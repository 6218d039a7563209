"""The PCI DSS suite as a pytest plugin: every control of tapguard's catalogue as a test, per environment.

Registered through the `pytest11` entry point "tapguard", so it loads wherever tapguard and
pytest are installed together; `compliance_tests/test_pci.py` is the one test it parametrizes.

Plans each environment for real (embedded AWS endpoint unless --tapguard-aws), or reads plan
JSON produced elsewhere with --tapguard-plan-json ENV=PATH, and evaluates the same engine
`tapguard check` uses. Each test is marked with its PCI DSS requirement ids:
select with -k on the control id or environment, e.g. -k "E1 and us-west-2".
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tapguard.controls.assessment import Assessment

# Loaded by every pytest run where tapguard is installed (the pytest11 entry point): the rest of tapguard is imported
# only once the PCI suite's own tests ask for it, so another project's test run pays nothing for it.


# Every option is namespaced --tapguard-…: the plugin loads in every pytest run of the environment, and another
# project's suite may well have its own --env or --aws.
OPTIONS = ("--tapguard-env", "--tapguard-plan-json", "--tapguard-aws", "--tapguard-waivers", "--tapguard-evidence", "--tapguard-checkov")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tapguard", "tapguard PCI DSS suite (compliance_tests/)")
    group.addoption("--tapguard-env", action="append", default=[], metavar="ENV", help="environment to check (repeatable; default all)")
    group.addoption("--tapguard-plan-json", action="append", default=[], metavar="ENV=PATH", help="plan JSON produced elsewhere")
    group.addoption("--tapguard-aws", action="store_true", help="plan against the real AWS account instead of the embedded endpoint")
    group.addoption("--tapguard-waivers", type=Path, default=None, metavar="FILE", help="waiver file (default waivers.yaml at the root)")
    group.addoption("--tapguard-evidence", type=Path, default=None, metavar="DIR", help="write an evidence bundle into this directory")
    group.addoption("--tapguard-checkov", action="store_true", help="include the checkov baseline in the evidence")


def _environment_names(config: pytest.Config) -> list[str]:
    from tapguard.controls.assessment import parse_plan_json_args
    from tapguard.planning import project

    given = parse_plan_json_args(config.getoption("--tapguard-plan-json"))
    names = list(config.getoption("--tapguard-env")) or list(given)
    if not names:
        names = [e.name for e in project.environments(project.find_root())]
    return names


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # only the suite's own tests: they ask for the compliance run and a (control_id, env) pair
    if not {"compliance_run", "control_id", "env"} <= set(metafunc.fixturenames):
        return
    from tapguard.controls.engine import catalogue

    envs = _environment_names(metafunc.config)
    params = []
    for control in catalogue().values():
        for env in envs:
            marks = [pytest.mark.control(control.id), pytest.mark.family(control.family)]
            if control.requirements:
                marks.append(pytest.mark.pci(*control.requirements))
            params.append(pytest.param(control.id, env, marks=marks, id=f"{control.id}-{env}"))
    metafunc.parametrize(("control_id", "env"), params)


@pytest.fixture(scope="session")
def compliance_run(request: pytest.FixtureRequest) -> Assessment:
    from tapguard.controls import assessment
    from tapguard.controls.assessment import parse_plan_json_args
    from tapguard.planning import localaws, project, toolchain
    from tapguard.planning.runner import PlanRunner

    config = request.config
    root = project.find_root()
    given = parse_plan_json_args(config.getoption("--tapguard-plan-json"))
    names = _environment_names(config)
    envs = project.select(root, [n for n in names if n not in given]) if [n for n in names if n not in given] else []
    secrets: list[str] = []
    planned = []
    if envs:
        state = project.state_dir(root)
        tools = toolchain.discover(state)
        if config.getoption("--tapguard-aws"):
            runner = PlanRunner(tools, state, {}, "aws")
            planned = [runner.plan(e) for e in envs]
        else:
            with localaws.running(envs) as endpoint:
                secrets = endpoint.secret_strings()
                runner = PlanRunner(tools, state, endpoint.env(), "local", secrets=secrets)
                planned = [runner.plan(e) for e in envs]
    plans = assessment.plans_from_args(config.getoption("--tapguard-plan-json"), planned)
    waiver_file = config.getoption("--tapguard-waivers") or root / "waivers.yaml"
    run = assessment.assess(root, project.environments(root) + envs, plans, waiver_file, use_checkov=config.getoption("--tapguard-checkov"))
    config.stash[RUN_KEY] = (run, root, secrets)
    return run


RUN_KEY = pytest.StashKey[Any]()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    out = session.config.getoption("--tapguard-evidence", None)
    stashed = session.config.stash.get(RUN_KEY, None)
    if out and stashed:
        from tapguard.evidence.write import write_bundle

        run, root, secrets = stashed
        bundle = write_bundle(run, root, out, secrets)
        session.config.get_terminal_writer().line(f"tapguard evidence: {bundle.path}")


def assert_control(run: Assessment, control_id: str, env: str) -> None:
    """Fail with every finding (environment, address, attribute, actual, expected), the requirement and the fix."""
    from tapguard.controls.engine import FAIL, UNKNOWN

    result = next((e for e in run.environments if e.name == env), None)
    assert result is not None, f"environment {env} was not evaluated"
    control = run.catalogue[control_id]
    bad = [f for f in result.findings_of(control_id) if f.status in (FAIL, UNKNOWN) and not f.waiver]
    problems = [p for p in run.waivers.problems if p.control == control_id]
    if bad or problems:
        lines = [f.describe(control) for f in bad] + [f"waiver {p.address}: {p.message}" for p in problems]
        lines += [
            "",
            f"PCI DSS {', '.join(control.requirements) or control.family} — {control.title}",
            f"Risk: {control.risk}",
            "Remediation:",
            control.remediation.rstrip(),
            "",
            f"Reproduce: tapguard check {env}   or   pytest compliance_tests -k '{control_id} and {env}'",
        ]
        pytest.fail("\n".join(lines), pytrace=False)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "pci(*ids): PCI DSS v4.0.1 requirement ids")
    config.addinivalue_line("markers", "control(id): tapguard control id")
    config.addinivalue_line("markers", "family(name): the control's family (network, data_protection, ...)")
