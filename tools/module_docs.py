"""Write the inputs/outputs tables of every module README between terraform-docs markers.

python tools/module_docs.py          # rewrite
python tools/module_docs.py --check  # exit 1 when a README is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tapguard.planning import hcl  # noqa: E402

BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"


def _cell(value: Any) -> str:
    text = " ".join(str(value).split())
    return text.replace("|", "\\|").replace("${", "$${")


def _type(raw: Any) -> str:
    return "any" if raw is None else str(raw)


def tables(module: Path) -> str:
    variables: list[tuple[str, dict[str, Any]]] = []
    outputs: list[tuple[str, dict[str, Any]]] = []
    for tf in sorted(module.glob("*.tf")):
        data = hcl.load(tf)
        variables += [(b.labels[0], b.attributes) for b in data.children("variable")]
        outputs += [(b.labels[0], b.attributes) for b in data.children("output")]
    lines = ["## Inputs", "", "| name | description | type | default | required |", "|---|---|---|---|---|"]
    for name, body in variables:
        has_default = "default" in body
        raw = body.get("default") if has_default else ""
        default = raw if isinstance(raw, str | hcl.Expression) else json.dumps(raw)
        lines.append(
            f"| `{name}` | {_cell(body.get('description', ''))} | `{_cell(_type(body.get('type')))}` | "
            f"{'`' + _cell(default) + '`' if has_default else ''} | {'no' if has_default else 'yes'} |"
        )
    lines += ["", "## Outputs", "", "| name | description |", "|---|---|"]
    for name, body in outputs:
        lines.append(f"| `{name}` | {_cell(body.get('description', ''))} |")
    return "\n".join(lines)


def render(readme: str, generated: str) -> str:
    if BEGIN not in readme or END not in readme:
        return readme.rstrip() + f"\n\n{BEGIN}\n{generated}\n{END}\n"
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{generated}\n{END}{tail}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    stale = []
    for module in sorted((ROOT / "modules").iterdir()):
        readme = module / "README.md"
        if not module.is_dir():
            continue
        current = readme.read_text() if readme.exists() else f"# {module.name}\n"
        wanted = render(current, tables(module))
        if wanted != current:
            stale.append(str(readme.relative_to(ROOT)))
            if not args.check:
                readme.write_text(wanted)
    if args.check and stale:
        print("out of date: " + ", ".join(stale) + " (run python tools/module_docs.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
