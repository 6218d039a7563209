"""Every entry point, the same locally and in CI: `nox -s <session> [-- args]`."""

from __future__ import annotations

import nox

nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "tests"]
nox.options.error_on_missing_interpreters = True

PYTHON = "3.11"


def install(session: nox.Session, *extras: str) -> None:
    spec = f".[{','.join(extras)}]" if extras else "."
    session.install("-q", "-e", spec)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff (lint + format), mypy on the package, terraform fmt."""
    install(session, "dev")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")
    session.run("terraform", "fmt", "-check", "-recursive", "modules", "environments", external=True)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The harness's own tests, the PCI suite on real plans, and the lab drills (installs the lab's packages)."""
    install(session, "scan", "dev")  # dev: tftest plans the module examples
    session.run("tapguard", "lab", "install")
    session.run("pytest", "-p", "no:cacheprovider", *session.posargs)


@nox.session(python=PYTHON)
def plan(session: nox.Session) -> None:
    """Plan environments: nox -s plan -- [ENV...] [--aws]."""
    install(session)
    session.run("tapguard", "plan", *session.posargs)


@nox.session(python=PYTHON)
def check(session: nox.Session) -> None:
    """PCI DSS check with evidence: nox -s check -- [ENV...] [--plan-json ENV=PATH] [--aws]."""
    install(session, "scan")
    session.run("tapguard", "check", *session.posargs)


@nox.session(python=PYTHON)
def compliance(session: nox.Session) -> None:
    """The PCI suite as pytest: nox -s compliance -- [--env ENV] [--plan-json ENV=PATH] [--evidence DIR]."""
    install(session)
    session.run("pytest", "compliance_tests", "-p", "no:cacheprovider", *session.posargs)


@nox.session(python=PYTHON)
def drill(session: nox.Session) -> None:
    """Failover drill: nox -s drill -- --target lab|aws [--component aurora|redis|all] [...]."""
    install(session)
    if "aws" not in session.posargs:
        session.run("tapguard", "lab", "install")
    session.run("tapguard", "drill", *session.posargs)


@nox.session(python=PYTHON)
def audit(session: nox.Session) -> None:
    """The main job: plan both stacks, check every PCI control, run a lab drill, write one evidence bundle."""
    install(session, "scan")
    session.run("tapguard", "lab", "install")
    session.run("tapguard", "audit", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks, reported as ratios measured in one run: nox -s bench [-- controls|loop [args]]."""
    install(session, "scan")
    which, args = (session.posargs[0], session.posargs[1:]) if session.posargs[:1] in (["controls"], ["loop"]) else (None, session.posargs)
    if which in (None, "controls"):
        session.run("python", "bench/bench_controls.py", *args)
    if which in (None, "loop"):  # tapguard check (cold, warm) against a bare tapguard plan of both stacks
        session.run("python", "bench/bench_check_loop.py", *([] if which is None else args))
