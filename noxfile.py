"""Every entry point, the same locally and in CI: `nox -s <session> [-- args]`."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "tests"]
nox.options.error_on_missing_interpreters = True
# uv (requirements/tools.txt) builds a session's virtualenv and installs its lock in seconds; pip took about a minute of
# CPU for the full lock (half of it compiling bytecode), in every fresh clone CI starts from
nox.options.default_venv_backend = "uv|virtualenv"

PYTHON = "3.11"

# requirements/<name>.txt: hash-locked dependencies of one set of extras, all pinned from one resolution of every extra
# (nox -s lock); dev holds test because mypy reads the pytest plugin. requirements/tools.txt (nox, build, twine) is
# resolved apart: checkov pins an old packaging.
LOCKS = {
    "base": (),
    "dev": ("dev", "test"),
    "test": ("drill", "test"),
    "full": ("scan", "drill", "test"),
    "mutants": ("scan", "drill", "test", "mutation"),
}
TOOLS = "requirements/tools"


def install(session: nox.Session, lock: str = "base") -> None:
    """The locked dependencies, hash-checked, then tapguard itself without resolving anything again."""
    session.install("-q", "--require-hashes", "--no-deps", "-r", f"requirements/{lock}.txt")
    session.install("-q", "--no-deps", "-e", ".")
    session.run(*(["uv"] if session.venv_backend == "uv" else ["python", "-m"]), "pip", "check", silent=True)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff (lint + format), mypy on the package, the import contracts, terraform fmt, zizmor on the workflows and the action."""
    install(session, "dev")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")
    session.run("lint-imports")  # the floors, argparse only in cli/, no cycles (pyproject.toml [tool.importlinter])
    session.run("terraform", "fmt", "-check", "-recursive", "modules", "environments", external=True)
    # offline: no GitHub API look-ups; pinned SHAs are checked for form, not resolved
    session.run("zizmor", "--offline", "--min-severity", "medium", ".github/workflows", "action.yml")


@nox.session(python=PYTHON)
def lock(session: nox.Session) -> None:
    """Refresh requirements/*.txt from pyproject.toml (keeps current pins unless: nox -s lock -- --upgrade)."""
    session.install("-q", "uv>=0.5")
    common = ["--universal", "--python-version", PYTHON, "--generate-hashes", "--quiet", "--custom-compile-command", "nox -s lock"]
    universe = Path(session.create_tmp()) / "universe.txt"
    # the current pins, as preferences for the one resolution every set is pinned from
    current = [Path(f"requirements/{name}.txt") for name in ("full", "dev")]
    universe.write_text("".join(path.read_text() for path in current if path.exists()))
    session.run("uv", "pip", "compile", "pyproject.toml", "--all-extras", *common, "-o", str(universe), *session.posargs)
    for name, extras in LOCKS.items():
        flags = [flag for extra in extras for flag in ("--extra", extra)]
        session.run("uv", "pip", "compile", "pyproject.toml", *flags, "-c", str(universe), *common, "-o", f"requirements/{name}.txt")
    session.run("uv", "pip", "compile", f"{TOOLS}.in", *common, "-o", f"{TOOLS}.txt", *session.posargs)


@nox.session(python=PYTHON)
def package(session: nox.Session) -> None:
    """Build the sdist and wheel and check their metadata renders on PyPI: python -m build, twine check --strict."""
    session.install("-q", "--require-hashes", "-r", f"{TOOLS}.txt")
    out = Path(session.create_tmp()) / "dist"
    shutil.rmtree(out, ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", str(out), ".")
    session.run("twine", "check", "--strict", *map(str, sorted(out.iterdir())))


# a worker per core, plus one for the lab's drills, which mostly wait for failovers (conftest.py groups them)
PARALLEL = ("-n", str((os.cpu_count() or 1) + 1), "--dist", "loadgroup")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The harness's own tests, the PCI suite on real plans, the lab drills (installs the lab's packages), and the fresh
    installs: `pip install .` in a new virtualenv plans, checks and writes evidence; the action and the pre-commit hook
    on a scratch repository."""
    install(session, "full")
    session.run("tapguard", "lab", "install")
    # the 20 slowest (setup included) are listed at the end: where the test command's minutes go
    session.run("pytest", "-p", "no:cacheprovider", *PARALLEL, "--durations=20", *session.posargs)


@nox.session(python=PYTHON)
def tests_base(session: nox.Session) -> None:
    """The base install ([drill,test]: no checkov, no hcl2 library): the tests whose behaviour differs there (marked
    `base` in conftest.py), not the whole suite again."""
    install(session, "test")
    session.run("pytest", "tests", "-p", "no:cacheprovider", *PARALLEL, "-m", "base", *session.posargs)


@nox.session(python=PYTHON)
def plan(session: nox.Session) -> None:
    """Plan environments: nox -s plan -- [ENV...] [--aws]."""
    install(session, "base")
    session.run("tapguard", "plan", *session.posargs)


@nox.session(python=PYTHON)
def check(session: nox.Session) -> None:
    """PCI DSS check with evidence: nox -s check -- [ENV...] [--plan-json ENV=PATH] [--aws]."""
    install(session, "full")
    session.run("tapguard", "check", *session.posargs)


@nox.session(python=PYTHON)
def compliance(session: nox.Session) -> None:
    """The PCI suite as pytest: nox -s compliance -- [--tapguard-env ENV] [--tapguard-plan-json ENV=PATH] [--tapguard-evidence DIR]."""
    install(session, "test")
    session.run("pytest", "compliance_tests", "-p", "no:cacheprovider", *session.posargs)


@nox.session(python=PYTHON)
def drill(session: nox.Session) -> None:
    """Failover drill: nox -s drill -- --target lab|aws [--component aurora|redis|all] [...]."""
    install(session, "test")
    if "aws" not in session.posargs:
        session.run("tapguard", "lab", "install")
    session.run("tapguard", "drill", *session.posargs)


@nox.session(python=PYTHON)
def audit(session: nox.Session) -> None:
    """The main job: plan both stacks, check every PCI control, run a lab drill, write one evidence bundle."""
    install(session, "full")
    session.run("tapguard", "lab", "install")
    session.run("tapguard", "audit", *session.posargs)


@nox.session(python=PYTHON)
def evidence(session: nox.Session) -> None:
    """Evidence bundles: nox -s evidence -- verify DIR [--key PUB] | verify --chain DIR | sign DIR --sign-key env:NAME | comment DIR..."""
    install(session)
    session.run("tapguard", "evidence", *session.posargs)


@nox.session(python=PYTHON)
def e2e(session: nox.Session) -> None:
    """Deploy every stack to the embedded AWS endpoint (one account: side by side), check and drill what was deployed,
    destroy it, prove nothing is left: nox -s e2e -- [ENV...] [--out DIR] [--apply-timeout S]. Then record the module
    tests' deployments (tests/terraform/<module>/tf_resources.json, replayed by `nox -s tests`)."""
    install(session, "full")
    session.run("tapguard", "e2e", *session.posargs)
    session.run("pytest", "-p", "no:cacheprovider", "tests/terraform", env={"TAPGUARD_TF_RECORD": "1"})


# the modules that decide verdicts, in the order a short run should take them ([tool.mutmut] only_mutate lists them all)
MUTATED = (
    "tapguard.controls.waivers", "tapguard.controls.engine", "tapguard.controls.assessment", "tapguard.planning.redaction",
    "tapguard.drill.verdict", "tapguard.evidence.signing", "tapguard.evidence.sarif", "tapguard.controls.checks",
    "tapguard.controls.classes", "tapguard.controls.facets", "tapguard.controls.accounts", "tapguard.controls.iam_policy",
    "tapguard.planning.model", "tapguard.evidence.bundle",
    "tapguard.evidence.chain", "tapguard.evidence.junit", "tapguard.evidence.markdown", "tapguard.drill.probe",
)  # fmt: skip


@nox.session(python=PYTHON)
def mutants(session: nox.Session) -> None:
    """Mutation testing of the modules that decide verdicts (mutmut, two workers, module by module): prints the score per
    module and every surviving mutant; fails when a survivor is not justified in mutants/survivors.toml or a module scores
    under 80 %: nox -s mutants [-- tapguard.controls.waivers ...]."""
    install(session, "mutants")
    # mutmut copies tapguard/ into mutants/ once and refreshes only its .py files: bring the package data up to date too
    for data in Path("tapguard").rglob("*"):
        if data.is_file() and data.suffix not in (".py", ".pyc") and (Path("mutants") / data.parent).is_dir():
            shutil.copy2(data, Path("mutants") / data)
    # mutmut re-traces only new tests: a function added since the last run would read as "no tests" under the old map
    Path("mutants/mutmut-stats.json").unlink(missing_ok=True)
    for module in session.posargs or MUTATED:
        # named mutants are always retested; mutants/ (git-ignored) keeps the copy, the plans and the test map between runs
        session.run("mutmut", "run", "--max-children", "2", f"{module}.*")
    session.run("python", "tools/mutation_report.py", "--survivors", "mutants/survivors.toml", "--json", "mutants/report.json")


BENCHMARKS = {
    "controls": "bench/bench_controls.py",  # controls against checkov on a 5,000-resource plan (CPU and memory, paired rounds)
    "loop": "bench/bench_check_loop.py",  # tapguard check (cold, warm) against a bare tapguard plan of both stacks
    "bundle": "bench/bench_bundle.py",  # the evidence bundle of a 200 MB plan, this tree against an earlier commit
    "big": "bench/bench_big_plan.py",  # a 1,000,000-resource plan: evaluated within 3 min and 3 GB, or refused up front
}


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Every benchmark, or one: nox -s bench [-- controls|loop|bundle|big [args]]; paired rounds, medians with their spread."""
    install(session, "full")
    which, args = (session.posargs[0], session.posargs[1:]) if session.posargs[:1] and session.posargs[0] in BENCHMARKS else (None, [])
    for name, script in BENCHMARKS.items():
        if which in (None, name):
            session.run("python", script, *args)
