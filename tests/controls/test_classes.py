"""Resource classes as data (tapguard/controls/classes.yaml): shape, coverage and clear errors for bad data."""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tapguard.controls import classes
from tapguard.errors import TapguardError

ROOT = Path(__file__).resolve().parents[2]
PCI_CLASSES = ("data_store", "data_in_transit", "exposure", "identity", "keys", "logging_sink")


def test_at_least_120_pci_relevant_aws_types_with_a_source_each() -> None:
    data = classes.load()
    judged = [t for t in data.types.values() if t.aws and set(t.classes) & set(PCI_CLASSES)]
    assert len(judged) >= 120
    for t in judged:
        assert t.sources, t.type
        assert t.facets, f"{t.type} is classed but no control reads it"


def test_every_class_has_several_types_and_every_data_store_says_how_it_is_encrypted() -> None:
    data = classes.load()
    for name in PCI_CLASSES:
        assert len(data.with_class(name)) >= 5, name
    for t in data.with_class("data_store"):
        assert t.facets["at_rest"].cmk is not None, t.type


def test_every_resource_type_of_the_stacks_is_classed() -> None:
    declared = set()
    for tf in [*ROOT.glob("modules/**/*.tf"), *ROOT.glob("environments/**/*.tf")]:
        declared |= set(re.findall(r'^resource\s+"([a-z0-9_]+)"', tf.read_text(), re.M))
    data = classes.load()
    assert declared, "no HCL found"
    assert sorted(declared - set(data.types)) == []


def test_the_stacks_own_controls_keep_their_ids_where_they_are_a_special_case() -> None:
    data = classes.load()
    assert data.of("aws_rds_cluster").facets["at_rest"].control == "E1"  # type: ignore[union-attr]
    assert data.of("aws_db_instance").facets["at_rest"].control == "E8"  # type: ignore[union-attr]
    assert data.of("aws_security_group_rule").facets["public"].control == "N3"  # type: ignore[union-attr]
    assert data.of("aws_redshift_cluster").facets["public"].control == "N2"  # type: ignore[union-attr]
    inert = data.of("aws_route_table_association")
    assert inert is not None and inert.inert and inert.reason


@functools.cache
def _pristine() -> dict[str, Any]:
    loaded = yaml.load(classes.CLASSES_FILE.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert isinstance(loaded, dict)
    return loaded


def _raw() -> dict[str, Any]:
    return copy.deepcopy(_pristine())


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["types"]["aws_db_instance"].update(classes=["database"]), "unknown class 'database'"),
        (lambda d: d["types"]["aws_db_instance"].pop("at_rest"), "a data_store must give the at_rest facet"),
        (lambda d: d["types"]["aws_db_instance"]["at_rest"].pop("cmk"), "at_rest needs cmk"),
        (lambda d: d["types"]["aws_db_instance"]["public"]["deny"][0].update(equals=True), "unknown key 'equals'"),
        (lambda d: d["types"]["aws_db_instance"]["public"]["deny"][0].update({"in": [True]}), "exactly one operator"),
        (lambda d: d["types"]["aws_db_instance"]["backup"]["require"][0].update(min="seven"), "min takes a number"),
        (lambda d: d["types"]["aws_db_instance"].update(sources=["stackoverflow:1"]), "source 'stackoverflow:1'"),
        (lambda d: d["types"]["aws_db_instance"].update(sources=[]), "no source recorded"),
        (lambda d: d["types"]["aws_kms_alias"].pop("reason"), "an inert type needs a reason"),
        (lambda d: d["types"]["aws_efs_mount_target"].pop("covered_by"), "covered_by: expected a mapping"),
        (lambda d: d["types"]["aws_lb_listener"]["in_transit"]["deny"][0]["unless"].update(in_list="nope"), "in_list names 'nope'"),
        (lambda d: d["types"]["aws_db_instance"].update(control={"in_transit": "T9"}), "no in_transit facet"),
        (lambda d: d.update(types=[]), "types: expected a mapping"),
    ],
)
def test_bad_class_data_is_a_one_line_error_naming_the_place(mutate: Any, message: str) -> None:
    data = _raw()
    mutate(data)
    with pytest.raises(TapguardError) as caught:
        classes.parse(data, "classes.yaml")
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_unreadable_file_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "classes.yaml"
    bad.write_text("types: [\n")
    with pytest.raises(TapguardError, match="cannot read resource classes"):
        classes.load(bad)


def test_schema_check_reports_unknown_types_and_paths() -> None:
    data = classes.parse(
        {
            "classes": {"data_store": {}},
            "facets": {"at_rest": {"control": "E8", "statement": "s", "requirements": ["3.5.1"]}},
            "provider": {"version": "5.100.0"},
            "types": {
                "aws_db_instance": {"classes": ["data_store"], "sources": ["checkov:CKV_AWS_16"],
                                    "at_rest": {"flag": {"path": "storage_encrypted", "is": True}, "cmk": ["kms_key_idd"]}},
                "aws_not_a_type": {"classes": ["data_store"], "sources": ["checkov:X"], "at_rest": {"cmk": []}},
            },
        }
    )  # fmt: skip
    schema = {"aws_db_instance": {"block": {"attributes": {"storage_encrypted": {"type": "bool"}, "kms_key_id": {"type": "string"}}}}}
    problems = classes.schema_problems(data, schema)
    assert problems == [
        "aws_db_instance: kms_key_idd: no attribute or block 'kms_key_idd'",
        "aws_not_a_type: no such resource type in the provider",
    ]
