"""One pre-imported checkov process that forks a child per scan: checkov's import is paid once per run, not per scan.

`tapguard check` makes three scans or more (the HCL, then each plan as terraform writes it). Each checkov CLI start
imports about 4 s of modules before it reads a file; on a 2-core machine that runs terraform at the same time, those
seconds are the check's wall time. This worker imports checkov once and forks a child per request, so every scan
starts from the same freshly imported state a CLI start would have, and concurrent scans stay isolated.

Three costs of checkov's own are paid once here instead of per scan or per expression, with the same reports
(tests/controls/test_checkov_worker.py compares them with the CLI's):
  - bc_jsonpath_ng builds its LALR tables anew for every JSONPath it parses (0.1 s each, about 60 per HCL scan
    of our stacks); its grammar is constant and its rule functions keep no state, so one parser per grammar serves;
  - an asteval Interpreter is built for every expression rendered (about 20,000 per HCL scan); one per thread;
  - the plan scan's HCL enrichment (`--repo-root-for-plan-enrichment`) parses the whole repository for each plan;
    `enrich` requests compute it once in this process, so every plan scan forked after it inherits the result.

Protocol (JSON lines). Requests on stdin:
  {"id": N, "argv": [...], "cwd": DIR, "stdout": FILE, "stderr": FILE}   a scan; its output is written to FILE
  {"enrich": DIR}                                                         HCL enrichment of DIR, computed here
Replies on stdout: {"ready": true} once checkov is imported, then one per scan, written by the child when it
ends: {"id": N, "rc": EXIT_CODE}.
The worker exits at end of input.

    python -m tapguard.controls.checkov_worker
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
from concurrent.futures import Future
from typing import Any


def _one_parser_per_grammar() -> None:
    from bc_jsonpath_ng import parser as jsonpath_parser

    original = jsonpath_parser.JsonPathParser.parse_token_stream
    built: dict[tuple[type, str, bool, int], Any] = {}

    def parse_token_stream(self: Any, token_iterator: Any, start_symbol: str = "jsonpath") -> Any:
        # ply's parser keeps its stacks on itself while parsing: one per thread, never shared
        key = (type(self), start_symbol, bool(self.debug), threading.get_ident())
        parser = built.get(key)
        if parser is None:
            captured: list[Any] = []
            real_yacc = jsonpath_parser.ply.yacc.yacc

            def capture(*args: Any, **kwargs: Any) -> Any:
                captured.append(real_yacc(*args, **kwargs))
                return captured[-1]

            jsonpath_parser.ply.yacc.yacc = capture
            try:
                result = original(self, token_iterator, start_symbol)
            finally:
                jsonpath_parser.ply.yacc.yacc = real_yacc
            built[key] = captured[0]
            return result
        return parser.parse(lexer=jsonpath_parser.IteratorToTokenStream(token_iterator))

    jsonpath_parser.JsonPathParser.parse_token_stream = parse_token_stream


def _one_interpreter_per_thread() -> None:
    """checkov builds an asteval Interpreter for every expression it renders (about 20,000 per HCL scan of our
    stacks, 60 us each) over one shared symbol table; `eval` resets an interpreter's per-expression state, so one
    per thread evaluates the same."""
    from checkov.terraform.graph_builder.variable_rendering import safe_eval_functions

    original = safe_eval_functions.get_asteval
    local = threading.local()

    def get_asteval() -> Any:
        if not hasattr(local, "interpreter"):
            local.interpreter = original()
        return local.interpreter

    safe_eval_functions.get_asteval = get_asteval


_ENRICHED: dict[tuple[tuple[str, ...], bool], dict[str, dict[str, Any]]] = {}


def _enrichment_once() -> None:
    from checkov.common.runners.runner_registry import RunnerRegistry

    original = RunnerRegistry.get_enriched_resources

    def get_enriched_resources(repo_roots: list[Any], download_external_modules: bool | None) -> dict[str, dict[str, Any]]:
        key = (tuple(os.path.abspath(r) for r in repo_roots), bool(download_external_modules))  # unset = False
        if key not in _ENRICHED:
            _ENRICHED[key] = original(repo_roots, download_external_modules)
        return _ENRICHED[key]

    RunnerRegistry.get_enriched_resources = staticmethod(get_enriched_resources)


def _scan(request: dict[str, Any], reply_fd: int) -> None:
    """In the forked child: run checkov as its CLI would, with stdout and stderr in the request's files."""
    code = 2
    try:
        for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
            target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
            os.close(target)
        os.chdir(request["cwd"])
        import warnings

        from checkov.main import Checkov

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=SyntaxWarning)
            try:
                rc = Checkov(list(request["argv"])).run()
                code = rc if isinstance(rc, int) else 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException as exc:  # the child reports every failure as an exit code, with the reason on its stderr
        print(f"checkov worker: {type(exc).__name__}: {exc}", file=sys.stderr)
        code = 2
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.write(reply_fd, (json.dumps({"id": request["id"], "rc": code}) + "\n").encode())
        os._exit(0)


def serve() -> None:
    import warnings

    # terraform plans while these scans run: on a busy machine it goes first, the scans take the cycles it leaves
    os.nice(10)
    reply_fd = os.dup(1)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # nothing checkov prints in this process may corrupt the replies

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=SyntaxWarning)
        import checkov.main  # noqa: F401  (the import every scan would pay)
        from bc_jsonpath_ng import parse
        from bc_jsonpath_ng.ext import parse as parse_extended

    _one_parser_per_grammar()
    _one_interpreter_per_thread()
    _enrichment_once()
    parse("$.warm"), parse_extended("$.warm")  # both JSONPath grammars' tables, built before any child is forked
    # children are reaped here, not by the kernel (SIG_IGN): a waited-for child's CPU time and peak memory count in
    # this process's RUSAGE_CHILDREN, and so in whatever measures tapguard (benchmarks); their replies say how they ended
    signal.signal(signal.SIGCHLD, _reap)
    os.write(reply_fd, b'{"ready": true}\n')
    for line in sys.stdin:
        request = json.loads(line)
        if "enrich" in request:
            from checkov.common.runners.runner_registry import RunnerRegistry

            RunnerRegistry.get_enriched_resources([request["enrich"]], False)
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        if os.fork() == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # checkov's own subprocesses are waited for by checkov
            _scan(request, reply_fd)
    # the client closed our stdin: the run is over. Wait for the scans still running (their CPU and memory count in
    # this process's children, as above), then end without the interpreter's teardown of every checkov module, which
    # took 0.8-1.6 s at the end of each `tapguard check` while its caller waited
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
        except InterruptedError:
            continue
    os._exit(0)


def _reap(signum: int = 0, frame: Any = None) -> None:
    """Wait for every child that has ended (a SIGCHLD handler)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class WorkerGone(RuntimeError):
    """The worker ended before answering. `ready` says whether it had started: one that never could (checkov does
    not import here) leaves the scan to checkov's CLI; one that ended mid-run (interrupted, killed) fails the scan."""

    def __init__(self, why: str, ready: bool) -> None:
        super().__init__(why)
        self.ready = ready


class CheckovWorker:
    """The client: one worker process per tapguard run, shared by the threads that scan."""

    def __init__(self, env: dict[str, str]) -> None:
        import subprocess
        import tempfile

        self._dir = tempfile.mkdtemp(prefix="tapguard-checkov-")
        self._errors = open(os.path.join(self._dir, "worker.stderr"), "w+b")  # noqa: SIM115 (closed in close())
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tapguard.controls.checkov_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            env=env,
            text=True,
            bufsize=1,
        )
        self._lock = threading.Lock()
        self._pending: dict[int, Future[int]] = {}
        self._gone: str | None = None  # why the worker ended, once it has
        self._ready = False
        self._next = 0
        self._reader = threading.Thread(target=self._read, name="checkov-worker-replies", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        try:
            for line in self._proc.stdout:
                try:
                    reply = json.loads(line)
                except ValueError:
                    continue  # not a reply (the worker writes nothing else there): never a reason to stop reading
                if not isinstance(reply, dict):
                    continue
                if "ready" in reply:
                    self._ready = True
                    continue
                with self._lock:
                    future = self._pending.pop(reply["id"], None)
                if future is not None:
                    future.set_result(int(reply["rc"]))
        except (ValueError, OSError):  # the pipe was closed under us (close() at exit, e.g. after a bad-input error)
            pass
        why = self._last_error()
        with self._lock:
            self._gone = why
            pending, self._pending = self._pending, {}
        for future in pending.values():
            future.set_exception(WorkerGone(why, self._ready))

    def _last_error(self) -> str:
        try:
            self._errors.seek(0)
            lines = self._errors.read().decode(errors="replace").strip().splitlines()
        except (ValueError, OSError):  # already closed: the run is ending
            return "checkov worker ended"
        return f"checkov worker ended: {lines[-1][:200]}" if lines else "checkov worker ended"

    def _send(self, request: dict[str, Any]) -> None:
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            raise WorkerGone(self._last_error(), self._ready) from None

    def submit(self, argv: list[str], cwd: str) -> Future[tuple[int, str, str]]:
        """One scan; its future holds checkov's exit code, stdout and stderr."""
        done: Future[tuple[int, str, str]] = Future()
        with self._lock:
            if self._gone is not None:
                raise WorkerGone(self._gone, self._ready)
            self._next += 1
            number = self._next
            base = os.path.join(self._dir, str(number))
            exited: Future[int] = Future()
            self._pending[number] = exited
            try:
                self._send({"id": number, "argv": argv, "cwd": cwd, "stdout": f"{base}.out", "stderr": f"{base}.err"})
            except WorkerGone:
                del self._pending[number]
                raise

        def finished(exited: Future[int]) -> None:
            error = exited.exception()
            if error is not None:
                done.set_exception(error)
                return
            outputs = []
            try:
                for suffix in (".out", ".err"):
                    with open(base + suffix, encoding="utf-8", errors="replace") as handle:
                        outputs.append(handle.read())
                    os.unlink(base + suffix)
            except OSError as exc:
                done.set_exception(WorkerGone(f"checkov worker: no output of scan {number} ({exc.strerror})", True))
                return
            done.set_result((exited.result(), outputs[0], outputs[1]))

        exited.add_done_callback(finished)
        return done

    def enrich(self, root: str) -> None:
        """Compute the plan scans' HCL enrichment of `root` in the worker, so plan scans forked later inherit it."""
        with self._lock:
            if self._gone is None:
                self._send({"enrich": os.path.abspath(root)})

    def close(self) -> None:
        import shutil

        if self._proc.stdin is not None and not self._proc.stdin.closed:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except Exception:
            self._proc.kill()
        self._errors.close()
        shutil.rmtree(self._dir, ignore_errors=True)


if __name__ == "__main__":
    serve()
