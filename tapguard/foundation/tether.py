"""Run a module as `__main__` for no longer than the process that started it.

`python -m tapguard.foundation.tether MODULE [ARGS...]`, its stdin the read end of a pipe whose write end only the
parent holds. When the parent ends, however it ends (SIGKILL, a CPU limit, a crash), the kernel closes that end; the
read below returns and this process exits at once. The embedded AWS endpoint runs this way: a moto server started in
its own session (so Ctrl-C reaches tapguard first) would otherwise outlive a killed tapguard, holding its port and
memory until someone kills it by hand.
"""

from __future__ import annotations

import os
import runpy
import sys
import threading


def _watch() -> None:
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    os._exit(0)


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit("usage: python -m tapguard.foundation.tether MODULE [ARGS...]")
    module = sys.argv[1]
    sys.argv = sys.argv[1:]
    threading.Thread(target=_watch, name="tether", daemon=True).start()
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
