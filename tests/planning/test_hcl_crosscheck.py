"""tapguard's HCL reader against the hcl2 library checkov brings (the scan extra): the same tfvars and resource blocks.

Apart from test_hcl.py, which the base install runs again (no hcl2 library there, and nothing to compare with)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tapguard.planning import hcl
from tests.planning.test_hcl import MODULES, STACKS


def _unquote(value: Any) -> Any:
    """python-hcl2 >= 7 keeps the quotes of strings and of object keys; bc-python-hcl2 does not."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return json.loads(value)
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items() if not str(k).startswith("__")}
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    return value


def _hcl2_attributes(data: dict[str, Any]) -> dict[str, Any]:
    """bc-python-hcl2 wraps every attribute value in a one-element list; python-hcl2 8.x does not."""
    wrapped = all(isinstance(v, list) and len(v) == 1 for v in data.values())
    return {k: _unquote(v[0] if wrapped else v) for k, v in data.items()}


def test_agrees_with_the_installed_hcl2_library() -> None:
    """Cross-check with whichever hcl2 is installed (checkov's bc-python-hcl2 with [scan], python-hcl2 otherwise)."""
    hcl2 = pytest.importorskip("hcl2")
    for stack in STACKS:
        tfvars = stack / "terraform.tfvars"
        if tfvars.is_file():
            with tfvars.open() as handle:
                theirs = _hcl2_attributes(hcl2.load(handle))
            assert hcl.load_tfvars(tfvars) == theirs, stack.name
    for directory in STACKS + MODULES:
        for tf in sorted(directory.glob("*.tf")):
            with tf.open() as handle:
                data = hcl2.load(handle)
            theirs = sorted((_unquote(t), _unquote(n)) for entry in data.get("resource", []) for t, named in entry.items() for n in named)
            ours = sorted((b.type, b.name) for b in hcl.resource_blocks(directory) if b.file == tf)
            assert ours == theirs, tf
