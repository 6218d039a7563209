"""YAML that cannot attack its reader: the safe loader with limits on aliases and depth, one-line errors."""

from __future__ import annotations

from typing import Any

import yaml

from tapguard.foundation.errors import TapguardError

MAX_ALIASES = 40  # a waiver file needs few anchors; thousands are an entity-expansion ("billion laughs") attack
MAX_YAML_DEPTH = 64


class _LimitedLoader(yaml.SafeLoader):
    """The safe loader, refusing alias floods and deep nesting before anything is constructed."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise _YamlLimit(f"more than {MAX_ALIASES} aliases (an entity-expansion attack?)")
        self.depth += 1
        if self.depth > MAX_YAML_DEPTH:
            raise _YamlLimit(f"nested more than {MAX_YAML_DEPTH} levels deep")
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _YamlLimit(Exception):
    pass


def safe_yaml(text: str, name: str) -> Any:
    """yaml.safe_load with limits; every problem is one line naming the file."""
    loader = _LimitedLoader(text)
    try:
        return loader.get_single_data()
    except _YamlLimit as exc:
        raise TapguardError(f"{name}: refused: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise TapguardError(f"{name}: not valid YAML{where} ({problem})") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # constructors: bad timestamps, huge ints
        raise TapguardError(f"{name}: unreadable YAML value ({type(exc).__name__}: {str(exc)[:80]})") from None
    finally:
        loader.dispose()
