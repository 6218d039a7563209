"""terraform apply/destroy of one environment against the embedded endpoint, bounded in time.

The environment is copied hermetically (as for plans) into a work directory with a local
backend, so nothing is written into environments/. apply and destroy stream terraform's
progress; when the time budget runs out terraform is interrupted (SIGINT: it stops starting
new operations and writes its state) and the error names every resource still pending.

A resource the endpoint cannot create is never dropped silently: it is listed in OFFLINE with
the reason, the apply targets every other resource, and the report carries the list.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tapguard.foundation.errors import TapguardError
from tapguard.planning.model import strip_indexes
from tapguard.planning.project import Environment
from tapguard.planning.redaction import scrub
from tapguard.planning.runner import _first_error, hermetic_copy, plugin_cache_lock
from tapguard.planning.toolchain import Toolchain

# configuration address -> why the embedded endpoint cannot deploy it (judged on the plan as usual).
# Empty since tapguard.e2e.endpoint answers the calls moto lacks; see EXTENDED there for those.
OFFLINE: dict[str, str] = {}

_START = re.compile(r"^(?P<address>\S+): (?P<verb>Creating|Destroying|Modifying|Reading)\.\.\.")
_DONE = re.compile(r"^(?P<address>\S+): (?P<verb>Creation|Destruction|Modifications|Read) complete")
_ELAPSED = re.compile(r"^(?P<address>\S+): Still (creating|destroying|modifying|reading)\.\.\. \[(?P<elapsed>[^\]]+)\]")
_APPLIED = re.compile(r"(Apply|Destroy) complete! Resources: (?P<counts>.*)\.")


@dataclass
class Run:
    """One terraform apply or destroy: how long, what it did, what was left pending."""

    command: str
    seconds: float
    completed: list[str] = field(default_factory=list)
    pending: dict[str, str] = field(default_factory=dict)  # address -> last elapsed seen
    summary: str = ""
    returncode: int = 0
    timed_out: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "seconds": round(self.seconds, 1),
            "completed": len(self.completed),
            "pending": self.pending,
            "summary": self.summary,
            "returncode": self.returncode,
            "timed_out": self.timed_out,
        }


@dataclass
class Workspace:
    """An environment copied into its own directory, initialised against a local backend."""

    env: Environment
    root: Path
    toolchain: Toolchain
    aws_env: dict[str, str]
    secrets: list[str] = field(default_factory=list)
    extra_vars: dict[str, str] = field(default_factory=dict)
    workdir: Path = field(init=False)
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.workdir = hermetic_copy(self.env, self.root / "src")
        self.log = self.root / f"{self.env.name}.log"
        self.log.write_text("")

    @property
    def run_env(self) -> dict[str, str]:
        return {**os.environ, **self.toolchain.env(), **self.aws_env, "TF_IN_AUTOMATION": "1"}

    def _vars(self) -> list[str]:
        args = [f"-var-file={self.env.tfvars.name}"] if self.env.tfvars else []
        return args + [f"-var={k}={v}" for k, v in sorted(self.extra_vars.items())]

    def terraform(self, *args: str, capture: bool = True, timeout: float = 600) -> str:
        cmd = [str(self.toolchain.binary.path), *args]
        proc = subprocess.run(cmd, cwd=self.workdir, env=self.run_env, capture_output=True, text=True, timeout=timeout, check=False)
        # JSON answers (show, output) are evidence elsewhere, not log lines: only what terraform says about itself
        said = proc.stderr if args[0] in ("show", "output", "state") else proc.stdout + proc.stderr
        self._append(f"$ terraform {' '.join(args)}\n{said}")
        if proc.returncode != 0:
            raise TapguardError(f"{self.env.name}: terraform {args[0]} failed: {_first_error(proc.stderr)} (log: {self.log})")
        return proc.stdout if capture else ""

    def init(self) -> None:
        (self.workdir / "tapguard_override.tf").write_text('terraform {\n  backend "local" {}\n}\n')
        if self.toolchain.binary.flavour == "tofu":
            (self.workdir / ".terraform.lock.hcl").unlink(missing_ok=True)
        with plugin_cache_lock(self.toolchain.cli_config.parent):
            self.terraform("init", "-input=false", "-no-color")

    def plan_json(self) -> dict[str, Any]:
        """The full plan of the environment (what is meant to be deployed), as JSON."""
        self.terraform("plan", "-input=false", "-no-color", "-lock=false", "-out=e2e.plan", *self._vars())
        data: dict[str, Any] = json.loads(self.terraform("show", "-json", "e2e.plan"))
        (self.workdir / "e2e.plan").unlink(missing_ok=True)
        return data

    def state_json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.terraform("show", "-json"))
        return data

    def outputs(self) -> dict[str, Any]:
        raw = json.loads(self.terraform("output", "-json") or "{}")
        return {k: v.get("value") for k, v in raw.items()}

    def state_addresses(self) -> list[str]:
        out = self.terraform("state", "list")
        return [line.strip() for line in out.splitlines() if line.strip()]

    def apply(self, targets: list[str], timeout: float) -> Run:
        args = ["apply", "-input=false", "-no-color", "-auto-approve", *self._vars(), *(f"-target={t}" for t in targets)]
        return self._stream("apply", args, timeout)

    def destroy(self, timeout: float) -> Run:
        return self._stream("destroy", ["destroy", "-input=false", "-no-color", "-auto-approve", *self._vars()], timeout)

    def _stream(self, command: str, args: list[str], timeout: float) -> Run:
        """Run terraform, follow its progress lines, interrupt it at the deadline."""
        run = Run(command, 0.0)
        started = time.monotonic()
        cmd = [str(self.toolchain.binary.path), *args]
        proc = subprocess.Popen(
            cmd, cwd=self.workdir, env=self.run_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
        )
        timer = threading.Timer(timeout, self._interrupt, args=(proc, run))
        timer.start()
        lines: list[str] = []
        self._append(f"$ terraform {' '.join(args)}\n")
        try:
            assert proc.stdout is not None
            for raw in proc.stdout:
                line = raw.rstrip("\n")
                lines.append(line)
                self._append(raw)  # as it comes: a stuck apply shows where it is
                if m := _START.match(line):
                    run.pending[m["address"]] = "0s"
                elif m := _ELAPSED.match(line):
                    run.pending[m["address"]] = m["elapsed"]
                elif m := _DONE.match(line):
                    run.pending.pop(m["address"], None)
                    run.completed.append(m["address"])
                elif m := _APPLIED.search(line):
                    run.summary = m["counts"]
            run.returncode = proc.wait()
        finally:
            timer.cancel()
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        run.seconds = time.monotonic() - started
        if run.timed_out:
            names = ", ".join(f"{a} ({e})" for a, e in sorted(run.pending.items())) or "none reported"
            raise TapguardError(
                f"{self.env.name}: terraform {command} did not finish within {timeout:.0f} s; still pending: {names} (log: {self.log})"
            )
        if run.returncode != 0:
            errors = [ln for ln in lines if ln.strip(" │").startswith("Error:")]
            detail = "; ".join(sorted({e.strip(" │") for e in errors})[:5]) or "see the log"
            raise TapguardError(f"{self.env.name}: terraform {command} failed: {detail} (log: {self.log})")
        return run

    @staticmethod
    def _interrupt(proc: subprocess.Popen[str], run: Run) -> None:
        """SIGINT first: terraform stops starting operations and saves its state; SIGKILL if it does not stop."""
        run.timed_out = True
        try:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def _append(self, text: str) -> None:
        with self.log.open("a") as handle:
            handle.write(scrub(text, self.secrets))


def deployable_targets(plan: dict[str, Any], offline: dict[str, str] = OFFLINE) -> tuple[list[str], dict[str, str]]:
    """Every managed resource of the plan by configuration address, less those the endpoint cannot
    create; and those, with the reason, for the report. Empty targets mean: everything."""
    addresses = sorted({strip_indexes(rc["address"]) for rc in plan.get("resource_changes", []) if rc.get("mode", "managed") == "managed"})
    skipped = {a: offline[a] for a in addresses if a in offline}
    if not skipped:
        return [], {}
    return [a for a in addresses if a not in skipped], skipped
