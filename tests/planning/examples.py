"""Plan the module examples (modules/<module>/examples/<name>/) with tftest.

tftest runs terraform; tapguard decides where and with what:
- tapguard's CLI config (filesystem mirror, plugin cache) and the embedded AWS endpoint, with any real
  credentials of the caller removed from the environment tftest passes on;
- a hermetic copy in a temporary directory: tftest works in place (setup() writes .terraform, the lock
  file and state into its directory and removes them only when the object is garbage-collected);
- the binary plan stays inside that copy: tftest's plan(output=True) writes it, sensitive values in
  clear, to a NamedTemporaryFile name in $TMPDIR and never removes it, so the plan and show commands
  are run through execute_command with -out inside the copy, which is removed when planning ends;
- what is kept is the redacted plan JSON in tapguard's content-keyed cache (.tapguard/plans/example-*),
  not tftest's cache, which pickles the unredacted plan next to the calling test file (in the repo)
  and keys on the directory path (a fresh temporary path every run);
- tftest logs every line terraform prints at INFO, `show -json` included: its logger is held at WARNING.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import tftest

from tapguard.foundation.errors import TapguardError
from tapguard.planning import localaws, project, toolchain
from tapguard.planning.redaction import redact_plan_json, scrub
from tapguard.planning.runner import cache_key, hermetic_copy, plugin_cache_lock

logging.getLogger("tftest").setLevel(logging.WARNING)  # INFO would echo `show -json`, secrets in clear
MODE = "local"


@dataclass(frozen=True)
class Example:
    module: str
    name: str
    path: Path

    @property
    def label(self) -> str:
        return f"modules/{self.module}/examples/{self.name}"

    @property
    def cache_name(self) -> str:
        return f"example-{self.module}-{self.name}"


def examples(root: Path) -> list[Example]:
    return [
        Example(path.parent.parent.name, path.name, path)
        for path in sorted((root / "modules").glob("*/examples/*"))
        if path.is_dir() and any(path.glob("*.tf"))
    ]


def plan_example(
    example: Example,
    tools: toolchain.Toolchain,
    aws_env: dict[str, str],
    state_dir: Path,
    secrets: Iterable[str] = (),
    scratch: Path | None = None,
) -> Path:
    """The redacted plan JSON of one example: from the cache when the HCL is unchanged, else planned now."""
    env = project.load_environment(example.path, name=example.cache_name)
    out = state_dir / "plans" / env.name / f"{cache_key(env, tools, MODE, {})}.json"
    if out.is_file():
        return out
    with tempfile.TemporaryDirectory(prefix=f"tapguard-{env.name}-", dir=scratch) as tmp:
        workdir = hermetic_copy(env, Path(tmp) / "src")
        test = tftest.TerraformTest(str(workdir), binary=str(tools.binary.path), cache_dir=tmp)
        test.env = {k: v for k, v in os.environ.items() if k not in localaws.CREDENTIAL_ENV and k != "TF_LOG"}
        test.env.update({**tools.env(), **aws_env})
        try:
            with plugin_cache_lock(tools.cli_config.parent):
                test.setup(input=False, color=False)
            test.execute_command("plan", "-input=false", "-lock=false", "-no-color", "-out=plan.bin")
            shown = test.execute_command("show", "-no-color", "-json", "plan.bin").out
        except tftest.TerraformTestError as exc:
            log = state_dir / "logs" / f"{env.name}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(scrub(str(exc), secrets))
            raise TapguardError(f"{example.label}: terraform failed: {_first_error(str(exc))} (full log: {log})") from None
    redacted, _ = redact_plan_json(json.loads(shown))
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".json.tmp")
    partial.write_text(json.dumps(redacted, indent=1, sort_keys=True))
    partial.replace(out)
    return out


def plan_examples(
    found: list[Example],
    tools: toolchain.Toolchain,
    aws_env: dict[str, str],
    state_dir: Path,
    secrets: list[str],
    workers: int,
    scratch: Path | None = None,
) -> dict[str, Path]:
    """Plan every example, a few at a time (terraform spends most of a plan waiting on the provider)."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {e.label: pool.submit(plan_example, e, tools, aws_env, state_dir, secrets, scratch) for e in found}
        return {label: future.result() for label, future in futures.items()}


def _first_error(text: str) -> str:
    lines = [ln.strip(" │╷╵\t") for ln in text.splitlines()]
    for i, line in enumerate(lines):
        if line.startswith("Error:"):
            detail = next((ln for ln in lines[i + 1 :] if ln), "")
            return f"{line} {detail}".strip()
    return next((ln for ln in lines if ln), "no output")
