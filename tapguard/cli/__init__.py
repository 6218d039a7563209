"""The command line: `tapguard.cli.parser` builds the parser, one module per command runs it."""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence

from rich.markup import escape

from tapguard.foundation.errors import TapguardError
from tapguard.foundation.extras import missing_extra

INTERNAL_ERROR = 4


def main(argv: Sequence[str] | None = None) -> int:
    from tapguard.cli.common import console
    from tapguard.cli.parser import build_parser

    args = build_parser().parse_args(argv)
    try:
        try:
            return int(args.func(args))
        except ModuleNotFoundError as exc:
            extra = missing_extra(exc, args.command)
            if extra is None:
                raise
            raise extra from exc
    except TapguardError as exc:
        # escaped: messages carry [brackets] (extras, list reprs) that rich would read as markup
        console.print(f"[bold red]tapguard: error:[/] {escape(str(exc))}", soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        console.print("[bold red]tapguard: interrupted[/]")
        return 130
    except BrokenPipeError:  # `tapguard check -o json | head`: the reader left; not an error of ours
        sys.stderr.close()
        return 1
    except OSError as exc:  # disk full, permission denied while writing: the reason, not a traceback
        where = f" ({exc.filename})" if exc.filename else ""
        console.print(f"[bold red]tapguard: error:[/] {exc.strerror or exc}{where}", soft_wrap=True)
        return 2


def run() -> None:
    """The console script: main(), then exit without the collector walking everything the run built.

    A process that is ending has nothing to reclaim; freezing its objects skips the cyclic
    collections of interpreter shutdown (about 1 s after a 5,000-resource plan).
    Tests call main() in-process and keep their collector.
    """
    try:
        code = main()
    except KeyboardInterrupt:  # Ctrl-C before main() could catch it (a slow start still importing its commands)
        sys.stderr.write("tapguard: interrupted\n")
        code = 130
    except Exception:  # a bug, not a finding: never exit 1, which CI reads as "controls failed" (and may let pass)
        import traceback

        traceback.print_exc()
        sys.stderr.write(f"tapguard: internal error (a bug in tapguard, not in your input; please report it): exit {INTERNAL_ERROR}\n")
        code = INTERNAL_ERROR
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
