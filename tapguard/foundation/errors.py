"""The one error type the CLI turns into a single line and an exit code."""


class TapguardError(Exception):
    """A user-facing failure: bad input, missing tool, failed step. Never a traceback."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def __str__(self) -> str:
        return " ".join(str(self.args[0]).split())
