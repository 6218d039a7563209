"""The mutation score of the modules that decide verdicts, from mutmut's results under mutants/ (nox -s mutants).

Prints, per module, killed / survived / no tests / timeouts and the score (killed + timeouts over every mutant
checked), then every surviving mutant. Exits 1 when a survivor is not justified in mutants/survivors.toml
(`"<mutant name>" = "why it is equivalent"`), or when a module's score is under the floor; a listed mutant that
is now killed is reported, so the list shrinks with the tests.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections import Counter
from pathlib import Path

# mutmut's exit codes (mutmut/stats.py): a kill is a test failing or pytest erroring under the mutant
KILLED = {1, 3, 37}
TIMEOUT = {36, 24, -24, 152, 255}
SURVIVED = {0}
NO_TESTS = {5, 33}
NOT_CHECKED = {None, 2, 34}


def status(code: int | None) -> str:
    for name, codes in (
        ("killed", KILLED),
        ("timeout", TIMEOUT),
        ("survived", SURVIVED),
        ("no tests", NO_TESTS),
        ("not checked", NOT_CHECKED),
    ):
        if code in codes:
            return name
    return "suspicious"


def load(root: Path) -> dict[str, dict[str, int | None]]:
    """module -> mutant name -> exit code, from every mutants/<path>.py.meta."""
    results: dict[str, dict[str, int | None]] = {}
    for meta in sorted(root.rglob("*.py.meta")):
        module = meta.relative_to(root).with_suffix("").with_suffix("").as_posix().replace("/", ".")
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        if codes:
            results[module] = codes
    return results


def justified(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    table = tomllib.loads(path.read_text()).get("survivors", {})
    empty = [name for name, reason in table.items() if not str(reason).strip()]
    if empty:
        raise SystemExit(f"{path}: a survivor needs a one-line reason: {', '.join(empty)}")
    return {str(name): str(reason) for name, reason in table.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("mutants"))
    parser.add_argument("--survivors", type=Path, default=Path("mutants/survivors.toml"))
    parser.add_argument("--floor", type=float, default=80.0, help="minimum score per module, in percent")
    parser.add_argument("--json", type=Path, help="also write the table and the survivors here")
    args = parser.parse_args(argv)

    results = load(args.root)
    kept = justified(args.survivors)
    rows, survivors, low = [], [], []
    print(f"{'module':44} {'killed':>6} {'timeout':>7} {'survived':>8} {'no tests':>8} {'unchecked':>9} {'score':>7}")
    for module, codes in results.items():
        counts = Counter(status(code) for code in codes.values())
        checked = sum(counts[s] for s in ("killed", "timeout", "survived", "no tests", "suspicious"))
        if not checked:
            continue  # not run yet (nox -s mutants -- <other module>): no score to claim
        score = 100.0 * (counts["killed"] + counts["timeout"]) / checked
        rows.append({"module": module, **counts, "score": round(score, 1)})
        print(
            f"{module:44} {counts['killed']:>6} {counts['timeout']:>7} {counts['survived']:>8} {counts['no tests']:>8}"
            f" {counts['not checked']:>9} {score:>6.1f}%"
        )
        if score < args.floor:
            low.append(f"{module} {score:.1f}%")
        survivors += [name for name, code in codes.items() if status(code) in ("survived", "no tests", "suspicious")]

    unexplained = [name for name in survivors if name not in kept]
    print(f"\n{len(survivors)} surviving mutants, {len(survivors) - len(unexplained)} justified in {args.survivors}:")
    for name in survivors:
        print(f"  {name}: {kept.get(name, 'NOT JUSTIFIED (mutmut show ' + name + ')')}")
    killed_now = sorted(name for name in kept if any(status(codes.get(name)) in ("killed", "timeout") for codes in results.values()))
    for name in killed_now:
        print(f"  listed but now killed (remove it from {args.survivors}): {name}")
    if args.json:
        args.json.write_text(json.dumps({"modules": rows, "survivors": {n: kept.get(n) for n in survivors}}, indent=2))
    if not rows:
        print("no mutmut results under", args.root, file=sys.stderr)
        return 1
    if unexplained or low:
        print(f"\nFAILED: {len(unexplained)} survivors without a reason; modules under {args.floor:.0f} %: {', '.join(low) or 'none'}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
