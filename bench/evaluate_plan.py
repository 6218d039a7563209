"""The measured side of bench_controls.py: tapguard's controls on one plan JSON, as `tapguard check --plan-json` runs
them (through the one way in: bounded read, schema, redaction), with nothing of the benchmark harness imported.

    python bench/evaluate_plan.py PLAN_JSON      # prints the number of findings
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from tapguard import controls
from tapguard.planning import model


def main() -> int:
    plan = model.load(Path(sys.argv[1]))
    print(len(controls.evaluate("bench", plan)))
    gc.freeze()  # as the tapguard console script ends (tapguard.cli.run): no collector walk at shutdown
    return 0


if __name__ == "__main__":
    sys.exit(main())
