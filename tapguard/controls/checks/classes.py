"""Class-level controls (issue 11): every resource of every classed type, judged by the facets classes.yaml
gives it. New controls (E8, T5, L11, R12, I5) are registered here; where a stack control is a special case of
a class control (E1..E7, T1..T4, N1..N6, I1, I4, K1, K2, L1..L10) the class findings extend it under the same
id for the types its own check does not read. C1 is the closed world; C2 checks a plan is its environment's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from tapguard.controls import classes, facets
from tapguard.controls.engine import FAIL, NOT_APPLICABLE, PASS, Context, Finding, check, extend

NEW_CONTROLS = ("E8", "T5", "L11", "R12", "I5")


def _class_control(facet: str, control: str, standalone: bool) -> Callable[[Context], Iterable[Finding]]:
    def run(ctx: Context) -> Iterator[Finding]:
        seen = False
        for finding in facets.facet_findings(ctx, classes.load(), facet, control):
            seen = True
            yield finding
        if standalone and not seen:
            yield ctx.finding(f"(no {facet} resource)", "", NOT_APPLICABLE, None, "a resource of the class", "no resource in this plan")

    run.__name__ = f"class_{facet}_{control}"
    return run


def _register() -> None:
    data = classes.load()
    pairs = sorted({(name, tc.facets[name].control) for tc in data.types.values() for name in tc.facets})
    for facet, control in pairs:
        if control in NEW_CONTROLS:
            check(control)(_class_control(facet, control, standalone=True))
        else:
            extend(control, _class_control(facet, control, standalone=False))


_register()


def closed_world(ctx: Context) -> Iterator[Finding]:
    data = classes.load()
    yield from facets.closed_world(ctx, data)
    assessed, total, unknown = facets.coverage(ctx.plan, data)
    if not total:
        yield ctx.finding("(plan)", "coverage", NOT_APPLICABLE, "0 managed resources", "every managed resource classed", "nothing managed")
        return
    yield ctx.verdict(
        not unknown,
        "(plan)",
        "coverage",
        f"{assessed}/{total} managed resources assessed",
        "every managed resource of a classed type",
        f"unassessed types: {', '.join(unknown)}",
    )


_MODULE = re.compile(r'^\s*module\s+"([^"]+)"', re.M)
_RESOURCE = re.compile(r'^\s*resource\s+"([^"]+)"\s+"([^"]+)"', re.M)


def plan_is_the_environments(ctx: Context) -> Iterator[Finding]:
    """A plan given for an environment must visibly be that environment's: same region, same root module."""
    if ctx.profile.region and ctx.plan.region and ctx.plan.region != ctx.profile.region:
        yield ctx.fail(
            "(plan)", "provider.aws.region", ctx.plan.region, ctx.profile.region, "the plan is for another region than this environment"
        )
    elif ctx.profile.region:
        yield ctx.verdict(
            ctx.plan.region == ctx.profile.region,
            "(plan)",
            "provider.aws.region",
            ctx.plan.region,
            ctx.profile.region,
            "the plan does not pin the environment's region",
        )
    if not ctx.hcl_dirs:
        yield ctx.finding("(plan)", "configuration", NOT_APPLICABLE, None, "the environment's HCL", "no HCL to compare with")
        return
    text = "\n".join(p.read_text(errors="replace") for p in sorted(ctx.hcl_dirs[0].glob("*.tf")))
    declared = {f"module.{m}" for m in _MODULE.findall(text)} | {f"{t}.{n}" for t, n in _RESOURCE.findall(text)}
    root = ctx.plan.data.get("configuration", {}).get("root_module", {})
    planned = {f"module.{m}" for m in root.get("module_calls", {})} | {str(r.get("address")) for r in root.get("resources", [])}
    planned = {a for a in planned if not a.startswith("data.")}
    declared = {a for a in declared if not a.startswith("data.")}
    foreign = sorted(planned - declared)
    status = FAIL if planned and (foreign or not planned & declared) else PASS
    yield ctx.finding(
        "(plan)",
        "configuration.root_module",
        status,
        foreign[:5] or sorted(planned)[:5],
        f"the root module of {ctx.hcl_dirs[0].name}",
        "the plan's root module is not this environment's configuration" if status == FAIL else "as required",
    )


# the registry: plain functions registered after their definitions rather than @check-decorated, because mutmut
# (nox -s mutants) does not mutate decorated functions and these bodies decide PASS/FAIL
check("C1")(closed_world)
check("C2")(plan_is_the_environments)
