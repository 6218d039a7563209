"""The pre-imported checkov worker reports what checkov's CLI reports, and a worker that is gone is never a result."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tapguard.controls import checkov
from tapguard.controls.checkov_worker import CheckovWorker, WorkerGone

pytestmark = pytest.mark.skipif(importlib.util.find_spec("checkov") is None, reason="checkov is not installed")

ENV = {**os.environ, **checkov.SCAN_ENV}
OUTPUT = ["-o", "json", "--compact", "--skip-download"]


def comparable(node: Any) -> Any:
    """A report with the parts checkov itself varies from run to run taken out: the order of its lists (set order
    follows the hash seed) and `breadcrumbs` (which rendering path reached a value first; two CLI runs differ)."""
    if isinstance(node, dict):
        return {k: comparable(v) for k, v in node.items() if k != "breadcrumbs"}
    if isinstance(node, list):
        return sorted((comparable(v) for v in node), key=lambda v: json.dumps(v, sort_keys=True))
    return node


def cli(args: list[str], cwd: Path) -> tuple[int, Any]:
    exe = checkov.binary()
    assert exe is not None
    proc = subprocess.run([exe, *args, *OUTPUT], cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    return proc.returncode, comparable(json.loads(proc.stdout))


@pytest.fixture
def worker() -> Any:
    started = CheckovWorker(ENV)
    yield started
    started.close()


def test_the_worker_reports_what_the_cli_reports_on_both_stacks(root: Path, env_plans: dict[str, Path], worker: CheckovWorker) -> None:
    # the HCL scan of the whole repository (for_each, dynamic blocks, suppressions: every patched path is taken),
    # then a plan scan enriched from that HCL, asked for the way `tapguard check` asks: enrichment computed once
    plan_args = ["-f", str(env_plans["eu-west-1"]), "--framework", "terraform_plan", "--repo-root-for-plan-enrichment", "."]
    hcl = worker.submit([*checkov.HCL_ARGS, *OUTPUT], str(root))
    worker.enrich(str(root))
    plan = worker.submit([*plan_args, *OUTPUT], str(root))
    for future, args in ((hcl, checkov.HCL_ARGS), (plan, plan_args)):
        code, stdout, _ = future.result(timeout=600)
        expected_code, expected = cli(args, root)
        got = comparable(json.loads(stdout))
        assert code == expected_code, f"checkov {' '.join(args)}: worker exit {code}, CLI exit {expected_code}"
        assert got == expected, f"checkov {' '.join(args)}: the worker's report differs from the CLI's"
        summaries = [r["summary"] for r in (got if isinstance(got, list) else [got])]
        assert sum(s["passed"] for s in summaries) > 100  # a real scan, not two empty reports that agree


def test_a_scan_checkov_refuses_ends_as_the_cli_ends(tmp_path: Path, worker: CheckovWorker) -> None:
    code, stdout, stderr = worker.submit(["-d", str(tmp_path), "--framework", "no-such-framework", *OUTPUT], str(tmp_path)).result(60)
    assert code == 2 and not stdout.strip() and "no-such-framework" in stderr
    reports, error = checkov._run(["-d", str(tmp_path), "--framework", "no-such-framework"], tmp_path)
    assert reports == [] and error is not None and error.startswith("checkov exited 2")


def test_a_worker_that_ends_mid_run_fails_its_scans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gone = CheckovWorker(ENV)
    gone.submit(["--version"], str(tmp_path)).result(60)  # started
    gone._proc.kill()
    gone._proc.wait()
    with pytest.raises(WorkerGone) as ended:
        gone.submit(["-d", ".", "--framework", "terraform", *OUTPUT], str(tmp_path)).result(60)
    assert ended.value.ready
    monkeypatch.setattr(checkov, "_WORKER", [gone])
    reports, error = checkov._run(["-d", ".", "--framework", "terraform"], tmp_path)
    assert reports == [] and error is not None and error.startswith("checkov worker ended")  # never "0 failed"
    gone.close()


def test_a_worker_that_cannot_start_leaves_the_scan_to_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "a" {\n  bucket = "a"\n}\n')
    shadow = tmp_path / "shadow" / "checkov"  # the worker's import fails, as where checkov is not importable
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("print('noise on stdout')\nraise ImportError('not here')\n")
    broken = CheckovWorker({**ENV, "PYTHONPATH": str(shadow.parent)})
    with pytest.raises(WorkerGone) as never:  # whatever the import printed, the client reads on to the end
        broken.submit(["--version"], str(tmp_path)).result(60)
    assert not never.value.ready
    monkeypatch.setattr(checkov, "_WORKER", [broken])
    reports, error = checkov._run(["-d", ".", "--framework", "terraform"], tmp_path)  # through the CLI
    assert error is None and any(c["resource"] == "aws_s3_bucket.a" for r in reports for c in r["results"]["failed_checks"])
    broken.close()


def test_a_closed_worker_ends_its_reply_thread_quietly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad input ends the run while the HCL scan starts: the replies thread may still be reading when close() has
    closed the worker's files; what it meets then (EOF, closed files) ends it quietly, never with a traceback."""
    import threading

    raised: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda hook: raised.append(hook.exc_value))
    busy = CheckovWorker(ENV)
    busy.submit(["-d", str(tmp_path), "--framework", "terraform", *OUTPUT], str(tmp_path))
    busy.close()
    busy._reader.join(timeout=30)
    assert not busy._reader.is_alive() and raised == []
    # the race made certain: the thread's last steps run again on what close() left (a closed stderr file, a pipe at EOF)
    assert busy._last_error() == "checkov worker ended"
    busy._read()
    with pytest.raises(WorkerGone):
        busy.submit(["-d", str(tmp_path)], str(tmp_path))
