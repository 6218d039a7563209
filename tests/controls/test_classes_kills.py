"""classes.yaml as its maintainer meets it: every malformed entry is one precise line, every well-formed one parses
to exactly the values the controls read, and the provider-schema check names exactly the paths that do not exist."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tapguard.controls import classes
from tapguard.controls.classes import ClassesError, Condition, CoveredBy, Facet, Via

SOURCE = ["checkov:CKV_AWS_16"]
KNOWN_CLASSES = "data_store, data_in_transit, exposure, identity, keys, logging_sink, dependent, inert"
KNOWN_FACETS = "at_rest, in_transit, public, policy, logging, backup, key, password, detection"
KNOWN_OPERATORS = "is, in, not_in, min, max, nonempty, set, contains, contains_any, in_list"
KNOWN_SOURCES = "checkov:..., config:..., prowler:..., reference:..."
KNOWN_RULE_KINDS = "inline, rule, ingress_rule, egress_rule, nacl_inline, nacl_rule"


def spec(control: str) -> dict[str, Any]:
    return {"control": control, "statement": f"{control} holds", "requirements": ["3.5.1"]}


def document(types: Any = None, **top: Any) -> dict[str, Any]:
    """A minimal well-formed classes document: every facet declared, one encrypted data store unless `types` is given."""
    base: dict[str, Any] = {
        "classes": {"data_store": {"title": "t"}},
        "facets": {
            "at_rest": spec("E8"),
            "in_transit": spec("T5"),
            "public": spec("N2"),
            "policy": spec("I1"),
            "logging": spec("L11"),
            "backup": spec("R12"),
            "detection": spec("D1"),
        },
        "tls": {"modern": ["TLSv1.2", "TLSv1.3"]},
        "provider": {"source": "hashicorp/aws", "version": "5.100.0"},
        "types": types if types is not None else {"aws_db": store()},
    }
    base.update(top)
    return base


def store(**entries: Any) -> dict[str, Any]:
    """A data store type encrypted at rest under `kms_key_id`, with extra keys (facets, classes, sources) from `entries`."""
    return {"classes": ["data_store"], "at_rest": {"cmk": ["kms_key_id"]}, "sources": SOURCE, **entries}


def exposure(**facet: Any) -> dict[str, Any]:
    """An exposure type whose public facet has the given keys."""
    return {"classes": ["exposure"], "public": facet, "sources": SOURCE}


def one(body: dict[Any, Any], rtype: str = "aws_x") -> classes.TypeClass:
    return classes.parse(document({rtype: body}), "w.yaml").types[rtype]


def condition(raw: Any, **extra: Any) -> Condition:
    """The condition `raw` parsed as the single `require` of a public facet."""
    facet = one(exposure(require=[raw], **extra)).facets["public"]
    return facet.require[0]


def error(raw: Any, where: str = "w.yaml") -> str:
    with pytest.raises(ClassesError) as caught:
        classes.parse(raw, where)
    return str(caught.value)


def type_error(body: Any, rtype: str = "aws_x", **top: Any) -> str:
    return error(document({rtype: body}, **top))


def condition_error(raw: Any) -> str:
    return type_error(exposure(require=[{"path": "ok", "set": True}, raw]))


# ------------------------------------------------------------------------------------------- the top level


def test_the_default_location_in_messages_is_classes_yaml() -> None:
    assert error([1, 2], where="classes.yaml") == "classes.yaml: expected a mapping, got list"
    with pytest.raises(ClassesError, match=r"^classes\.yaml: expected a mapping, got list$"):
        classes.parse([1, 2])


@settings(max_examples=40, deadline=None, database=None)
@given(st.one_of(st.none(), st.booleans(), st.integers(), st.text(), st.lists(st.integers(), max_size=3)))
def test_any_non_mapping_document_is_one_line_error_naming_its_type(raw: Any) -> None:
    assert error(raw) == f"w.yaml: expected a mapping, got {type(raw).__name__}"


def test_each_missing_top_level_section_is_named() -> None:
    for section in ("classes", "facets", "types", "provider"):
        raw = document()
        del raw[section]
        assert error(raw) == f"w.yaml: {section}: expected a mapping, got NoneType"
    assert error(document(classes=["data_store"])) == "w.yaml: classes: expected a mapping, got list"
    assert error(document(facets=["at_rest"])) == "w.yaml: facets: expected a mapping, got list"
    assert error(document(provider="5.100.0")) == "w.yaml: provider: expected a mapping, got str"
    assert error(document(types=["aws_db"])) == "w.yaml: types: expected a mapping, got list"


def test_an_unknown_declared_class_is_named_with_the_known_ones() -> None:
    raw = document(classes={"data_store": {}, "zeta": {}, "beta": {}})
    assert error(raw) == f"w.yaml: unknown class 'beta' (known: {KNOWN_CLASSES})"


def test_facet_declarations_are_checked_field_by_field() -> None:
    def with_at_rest(body: Any) -> str:
        raw = document()
        raw["facets"]["at_rest"] = body
        return error(raw)

    raw = document()
    raw["facets"]["secrecy"] = spec("S1")
    assert error(raw) == f"w.yaml: unknown facet 'secrecy' (known: {KNOWN_FACETS})"
    assert with_at_rest("E8") == "w.yaml: facets.at_rest: expected a mapping, got str"
    assert with_at_rest({**spec("E8"), "control": ""}) == "w.yaml: facets.at_rest.control: expected a non-empty string"
    assert with_at_rest({**spec("E8"), "control": 8}) == "w.yaml: facets.at_rest.control: expected a non-empty string"
    assert with_at_rest({**spec("E8"), "statement": None}) == "w.yaml: facets.at_rest.statement: expected a non-empty string"
    assert with_at_rest({"control": "E8", "statement": "s"}) == "w.yaml: facets.at_rest.requirements: expected a list, got NoneType"
    assert with_at_rest({**spec("E8"), "requirements": "3.5.1"}) == "w.yaml: facets.at_rest.requirements: expected a list, got str"
    assert (
        with_at_rest({**spec("E8"), "generalises": ["E1", ""]})
        == "w.yaml: facets.at_rest.generalises: expected a list of non-empty strings"
    )
    assert (
        with_at_rest({**spec("E8"), "generalises": ["E1", 2]}) == "w.yaml: facets.at_rest.generalises: expected a list of non-empty strings"
    )
    assert with_at_rest({**spec("E8"), "generalises": "E1"}) == "w.yaml: facets.at_rest.generalises: expected a list, got str"


def test_facet_declarations_keep_their_values_and_generalise_nothing_by_default() -> None:
    raw = document()
    raw["facets"]["at_rest"] = {"control": "E8", "statement": "encrypted", "requirements": ["3.5.1", "3.6.1"], "generalises": ["E1"]}
    parsed = classes.parse(raw, "w.yaml")
    assert parsed.facets["at_rest"] == classes.FacetSpec("at_rest", "E8", "encrypted", ("3.5.1", "3.6.1"), ("E1",))
    assert parsed.facets["logging"] == classes.FacetSpec("logging", "L11", "L11 holds", ("3.5.1",), ())


def test_tls_lists_are_optional_and_checked() -> None:
    raw = document()
    del raw["tls"]
    assert classes.parse(raw).lists == {}
    assert classes.parse(document()).lists == {"modern": ("TLSv1.2", "TLSv1.3")}
    assert error(document(tls=["TLSv1.2"])) == "w.yaml: tls: expected a mapping, got list"
    assert error(document(tls={"modern": ["TLSv1.2", ""]})) == "w.yaml: tls.modern: expected a list of non-empty strings"
    assert error(document(tls={"modern": "TLSv1.2"})) == "w.yaml: tls.modern: expected a list, got str"


def test_the_provider_version_is_kept_as_text() -> None:
    assert classes.parse(document()).provider_version == "5.100.0"
    assert classes.parse(document(provider={"version": 5})).provider_version == "5"
    assert classes.parse(document(provider={})).provider_version == "None"


def test_stack_controls_map_each_control_to_the_types_it_judges() -> None:
    parsed = classes.parse(document(stack_controls={"E1": ["aws_rds_cluster", "aws_db"], 7: ["aws_db"]}))
    assert parsed.stack_controls == {"E1": frozenset({"aws_rds_cluster", "aws_db"}), "7": frozenset({"aws_db"})}
    assert parsed.judged_by_stack("E1", "aws_db") is True
    assert parsed.judged_by_stack("E1", "aws_s3_bucket") is False
    assert parsed.judged_by_stack("E9", "aws_db") is False
    assert classes.parse(document()).stack_controls == {}
    assert classes.parse(document()).judged_by_stack("E1", "aws_db") is False
    assert error(document(stack_controls=["E1"])) == "w.yaml: stack_controls: expected a mapping, got list"
    assert error(document(stack_controls={"E1": 3})) == "w.yaml: stack_controls.E1: expected a list, got int"
    assert error(document(stack_controls={"E1": [""]})) == "w.yaml: stack_controls.E1: expected a list of non-empty strings"


def test_the_real_stack_controls_name_the_stacks_own_resources() -> None:
    real = classes.load()
    assert real.judged_by_stack("E1", "aws_rds_cluster")
    assert not real.judged_by_stack("E1", "aws_s3_bucket")
    assert real.provider_version == "5.100.0"


# ------------------------------------------------------------------------------------------- a type entry


def test_a_type_entry_must_be_a_mapping_with_known_classes() -> None:
    assert type_error(["data_store"]) == "w.yaml: aws_x: expected a mapping, got list"
    assert type_error({"sources": SOURCE}) == "w.yaml: aws_x.classes: expected a list, got NoneType"
    assert type_error({"classes": "data_store", "sources": SOURCE}) == "w.yaml: aws_x.classes: expected a list, got str"
    assert type_error({"classes": [], "sources": SOURCE}) == "w.yaml: aws_x: no class"
    assert type_error(store(classes=["data_store", "vault"])) == "w.yaml: aws_x: unknown class 'vault'"


def test_a_stray_key_in_a_type_is_named_first_in_sort_order() -> None:
    assert type_error(store(zz=1, encryption={})) == "w.yaml: aws_x: unknown key 'encryption'"


def test_a_type_may_carry_a_reason_and_keeps_it() -> None:
    assert one(store(reason="kept for audit")).reason == "kept for audit"
    assert one(store()).reason is None


def test_a_facet_needs_its_declaration_under_facets() -> None:
    raw = document({"aws_x": store(), "aws_y": {"classes": ["keys"], "key": {}, "sources": SOURCE}})
    assert error(raw) == "w.yaml: aws_y: facet 'key' has no entry under facets:"


def test_a_facet_body_must_be_a_mapping_and_is_located_in_messages() -> None:
    assert type_error(store(logging="on")) == "w.yaml: aws_x.logging: expected a mapping, got str"
    assert type_error(store(logging={"enabled": True})) == "w.yaml: aws_x.logging: unknown key 'enabled'"


def test_a_control_override_replaces_the_facet_control_for_that_type_only() -> None:
    parsed = classes.parse(document({"aws_x": store(control={"at_rest": "E1"}), "aws_y": store()}))
    assert parsed.types["aws_x"].facets["at_rest"].control == "E1"
    assert parsed.types["aws_y"].facets["at_rest"].control == "E8"
    assert type_error(store(control={"at_rest": 7})) == "w.yaml: aws_x.control.at_rest: expected a non-empty string"
    assert parsed.controls() == {"E1", "E8"}


def test_a_control_override_must_be_a_mapping_for_a_facet_the_type_has() -> None:
    assert type_error(store(control="E1")) == "w.yaml: aws_x.control: expected a mapping, got str"
    assert type_error(store(control={"logging": "L1"})) == "w.yaml: aws_x: control override for 'logging' but no logging facet"


def test_a_data_store_must_say_how_it_is_encrypted_at_rest() -> None:
    body = {"classes": ["data_store"], "logging": {}, "sources": SOURCE}
    assert type_error(body) == "w.yaml: aws_x: a data_store must give the at_rest facet (cmk: [] where the service has no customer key)"


def test_an_inert_type_stands_alone_with_a_reason() -> None:
    inert = {"classes": ["inert"], "reason": "no data"}
    parsed = one(inert)
    assert (parsed.inert, parsed.facets, parsed.sources, parsed.reason, parsed.covered_by) == (True, {}, (), "no data", None)
    assert type_error({**inert, "classes": ["inert", "exposure"]}) == "w.yaml: aws_x: an inert type has no other class and no facets"
    assert type_error({**inert, "logging": {}}) == "w.yaml: aws_x: an inert type has no other class and no facets"
    assert type_error({"classes": ["inert"]}) == "w.yaml: aws_x: an inert type needs a reason"
    assert type_error({"classes": ["inert"], "reason": "  "}) == "w.yaml: aws_x: an inert type needs a reason"
    assert type_error({"classes": ["inert"], "reason": 5}) == "w.yaml: aws_x: an inert type needs a reason"


def test_a_dependent_type_names_its_parent() -> None:
    child = one({"classes": ["dependent"], "covered_by": {"type": "aws_db", "ref": "db_id"}, "sources": SOURCE})
    assert child.covered_by == CoveredBy("aws_db", "db_id", False)
    assert child.covered_by.reverse is False
    assert child.facets == {}
    reverse = one({"classes": ["dependent"], "covered_by": {"type": "aws_db", "ref": "child_id", "reverse": True}, "sources": SOURCE})
    assert reverse.covered_by == CoveredBy("aws_db", "child_id", True)
    assert one(store()).covered_by is None


def test_a_dependent_type_without_a_well_formed_parent_is_rejected() -> None:
    dependent = {"classes": ["dependent"], "sources": SOURCE}
    assert type_error(dependent) == "w.yaml: aws_x.covered_by: expected a mapping, got NoneType"
    assert type_error({**dependent, "covered_by": ["aws_db"]}) == "w.yaml: aws_x.covered_by: expected a mapping, got list"
    assert type_error({**dependent, "covered_by": {"ref": "db_id"}}) == "w.yaml: aws_x.covered_by.type: expected a non-empty string"
    assert (
        type_error({**dependent, "covered_by": {"type": "aws_db", "ref": ""}})
        == "w.yaml: aws_x.covered_by.ref: expected a non-empty string"
    )
    assert type_error(store(covered_by={"type": "aws_db", "ref": "id"})) == "w.yaml: aws_x: covered_by belongs to dependent types only"


def test_a_classed_type_needs_a_facet() -> None:
    assert (
        type_error({"classes": ["exposure"], "sources": SOURCE})
        == "w.yaml: aws_x: a classed type needs at least one facet (or be dependent/inert)"
    )


def test_every_mapping_records_a_known_source() -> None:
    assert type_error(store(sources=[])) == "w.yaml: aws_x: no source recorded for the mapping"
    assert type_error({"classes": ["data_store"], "at_rest": {"cmk": []}}) == "w.yaml: aws_x: no source recorded for the mapping"
    assert type_error(store(sources="checkov:CKV_AWS_16")) == "w.yaml: aws_x.sources: expected a list, got str"
    for bad in ("tfsec:aws-rds-encrypt", "checkov", "checkovCKV_AWS_16"):
        assert type_error(store(sources=["config:x", bad])) == f"w.yaml: aws_x: source {bad!r} is not one of {KNOWN_SOURCES}"
    sources = ("checkov:CKV_AWS_16", "config:rds-storage-encrypted [CP3]", "prowler:rds_x", "reference:E1", "reference:see a:b")
    assert one(store(sources=list(sources))).sources == sources


def test_a_type_keeps_its_classes_in_order() -> None:
    parsed = one(store(classes=["exposure", "data_store"], public={}))
    assert parsed.classes == ("exposure", "data_store")
    assert parsed.type == "aws_x" and parsed.aws and not parsed.inert
    assert set(parsed.facets) == {"at_rest", "public"}


# ------------------------------------------------------------------------------------------- a facet entry


def test_a_stray_facet_key_is_named_first_in_sort_order() -> None:
    assert type_error(exposure(zz=1, allow=2)) == "w.yaml: aws_x.public: unknown key 'allow'"


def test_at_rest_needs_cmk_and_cmk_is_a_list_of_paths() -> None:
    assert type_error(store(at_rest={})) == "w.yaml: aws_x.at_rest: at_rest needs cmk (an empty list where the service has no customer key)"
    assert type_error(store(at_rest={"cmk": "kms_key_id"})) == "w.yaml: aws_x.at_rest.cmk: expected a list, got str"
    assert type_error(store(at_rest={"cmk": [""]})) == "w.yaml: aws_x.at_rest.cmk: expected a list of non-empty strings"
    assert one(store(at_rest={"cmk": []})).facets["at_rest"].cmk == ()
    assert one(store(at_rest={"cmk": ["a", "b"]})).facets["at_rest"].cmk == ("a", "b")
    assert one(exposure()).facets["public"].cmk is None


def test_a_facet_with_nothing_set_has_every_default() -> None:
    assert one(exposure()).facets["public"] == Facet(name="public", control="N2")
    facet = one(exposure()).facets["public"]
    assert (facet.flag, facet.via, facet.principal, facet.cmk) == (None, None, None, None)
    assert (facet.require, facet.deny, facet.documents, facet.scoped_by, facet.managed_arns) == ((), (), (), (), ())
    assert (facet.rules, facet.options) == ({}, {})


def test_via_names_the_companion_type_and_its_reference() -> None:
    assert one(store(logging={"via": {"type": "aws_db_log", "ref": "db"}})).facets["logging"].via == Via("aws_db_log", "db")
    assert type_error(store(logging={"via": "aws_db_log"})) == "w.yaml: aws_x.logging.via: expected a mapping, got str"
    assert type_error(store(logging={"via": {"ref": "db"}})) == "w.yaml: aws_x.logging.via.type: expected a non-empty string"
    assert type_error(store(logging={"via": {"type": "aws_db_log"}})) == "w.yaml: aws_x.logging.via.ref: expected a non-empty string"


def test_rules_name_a_known_kind_and_are_kept_as_text() -> None:
    facet = one(exposure(rules={"kind": "inline", "ingress": "ingress", 7: 22, "cidr": None})).facets["public"]
    assert facet.rules == {"kind": "inline", "ingress": "ingress", "7": "22", "cidr": "None"}
    assert type_error(exposure(rules=["inline"])) == "w.yaml: aws_x.public.rules: expected a mapping, got list"
    expected = f"w.yaml: aws_x.public.rules: kind must be one of {KNOWN_RULE_KINDS}"
    assert type_error(exposure(rules={"kind": "egress"})) == expected
    assert type_error(exposure(rules={"ingress": "ingress"})) == expected
    assert one(exposure(rules={})).facets["public"].rules == {}


def test_a_managed_policy_arn_is_one_or_several() -> None:
    def arns(**facet: Any) -> tuple[str, ...]:
        return one({"classes": ["identity"], "policy": facet, "sources": SOURCE}).facets["policy"].managed_arns

    assert arns(managed_arn="policy_arn") == ("policy_arn",)
    assert arns(managed_arns=["a", "b"]) == ("a", "b")
    assert arns(managed_arn="one", managed_arns=["a", "b"]) == ("one",)
    assert arns() == ()
    assert type_error({"classes": ["identity"], "policy": {"managed_arn": ""}, "sources": SOURCE}) == (
        "w.yaml: aws_x.policy.managed_arn: expected a list of non-empty strings"
    )
    assert type_error({"classes": ["identity"], "policy": {"managed_arns": ["a", ""]}, "sources": SOURCE}) == (
        "w.yaml: aws_x.policy.managed_arn: expected a list of non-empty strings"
    )


def test_managed_arns_given_as_one_string_is_an_error_not_a_list_of_characters() -> None:
    with pytest.raises(ClassesError, match=r"^w\.yaml: aws_x\.policy\.managed_arns: expected a list, got str$"):
        one({"classes": ["identity"], "policy": {"managed_arns": "policy_arn"}, "sources": SOURCE})


def test_policy_paths_are_lists_of_strings_and_the_principal_is_kept() -> None:
    def policy(**facet: Any) -> dict[str, Any]:
        return {"classes": ["identity"], "policy": facet, "sources": SOURCE}

    facet = one(policy(documents=["policy"], principal="principal", scoped_by=["source_arn", "source_account"])).facets["policy"]
    assert (facet.documents, facet.principal, facet.scoped_by) == (("policy",), "principal", ("source_arn", "source_account"))
    assert type_error(policy(documents="policy")) == "w.yaml: aws_x.policy.documents: expected a list, got str"
    assert type_error(policy(documents=[None])) == "w.yaml: aws_x.policy.documents: expected a list of non-empty strings"
    assert type_error(policy(scoped_by="source_arn")) == "w.yaml: aws_x.policy.scoped_by: expected a list, got str"
    assert type_error(policy(scoped_by=[""])) == "w.yaml: aws_x.policy.scoped_by: expected a list of non-empty strings"


def test_options_are_the_facet_keys_no_field_holds() -> None:
    every_field = {
        "flag": {"path": "enabled", "is": True},
        "cmk": [],
        "require": [],
        "deny": [],
        "via": {"type": "t", "ref": "r"},
        "documents": [],
        "principal": "p",
        "scoped_by": [],
        "managed_arn": "m",
        "managed_arns": [],
        "rules": {},
    }
    assert one(exposure(**every_field)).facets["public"].options == {}
    options = {"deny_direct": True, "deny_direct_if_set": ["a"], "principal_only": False, "allow_with": "x", "exempt_if_target_of": ["t"]}
    assert one(exposure(**options, principal="p")).facets["public"].options == options


def test_flag_require_and_deny_conditions_are_located_by_index() -> None:
    good = {"path": "ok", "set": True}
    assert type_error(exposure(flag={"path": "x"})) == f"w.yaml: aws_x.public.flag: exactly one operator of {KNOWN_OPERATORS} (found 0)"
    assert (
        type_error(exposure(require=[good, {"path": "x"}]))
        == f"w.yaml: aws_x.public.require[1]: exactly one operator of {KNOWN_OPERATORS} (found 0)"
    )
    assert type_error(exposure(deny=[good, good, {"is": 1}])) == "w.yaml: aws_x.public.deny[2].path: expected a non-empty string"
    assert type_error(exposure(require={"path": "x", "set": True})) == "w.yaml: aws_x.public.require: expected a list, got dict"
    assert type_error(exposure(deny="x")) == "w.yaml: aws_x.public.deny: expected a list, got str"
    facet = one(exposure(flag={"path": "f", "is": 1}, require=[{"path": "r", "min": 2}], deny=[{"path": "d", "in_list": "modern"}])).facets[
        "public"
    ]
    assert facet.flag == Condition(path="f", operator="is", value=1)
    assert facet.require == (Condition(path="r", operator="min", value=2),)
    assert facet.deny == (Condition(path="d", operator="in", value=["TLSv1.2", "TLSv1.3"]),)


def test_tls_lists_reach_flag_and_any_of_conditions() -> None:
    facet = one(exposure(flag={"path": "p", "in_list": "modern"})).facets["public"]
    assert facet.flag == Condition(path="p", operator="in", value=["TLSv1.2", "TLSv1.3"])
    nested = condition({"any_of": [{"path": "a", "in_list": "modern"}, {"path": "b", "set": True}]})
    assert nested.any_of[0] == Condition(path="a", operator="in", value=["TLSv1.2", "TLSv1.3"])


# ------------------------------------------------------------------------------------------- malformed entries accepted today


def test_in_list_naming_a_list_is_a_one_line_error() -> None:
    with pytest.raises(ClassesError, match=r"^w\.yaml: aws_x\.public\.require\[0\]: in_list names \['modern'\], not a list under tls:$"):
        condition({"path": "p", "in_list": ["modern"]})


def test_unknown_keys_of_mixed_types_are_a_one_line_error() -> None:
    """YAML keys may be numbers: an unknown one is named like any other, never a TypeError from sorting."""
    assert type_error(store(**{"zz": 1}) | {1: "x"}) == "w.yaml: aws_x: unknown key 1"
    assert error(document() | {"classes": {"data_store": {}, 1: {}, "zz": {}}}) == (
        f"w.yaml: unknown class 1 (known: {', '.join(classes.CLASS_NAMES)})"
    )
    facet = exposure(require=[{"path": "p", "set": True}], zz=1)
    facet["public"][2] = 0
    assert type_error(facet) == "w.yaml: aws_x.public: unknown key 2"
    assert condition_error({"path": "p", "set": True, "zz": 1, 3: 0}) == "w.yaml: aws_x.public.require[1]: unknown key 3"


def test_a_null_control_override_is_an_error_not_a_control_named_none() -> None:
    with pytest.raises(ClassesError, match=r"^w\.yaml: aws_x\.control\.at_rest: expected a non-empty string$"):
        one(store(control={"at_rest": None}))


def test_a_principal_that_is_not_a_path_is_an_error() -> None:
    with pytest.raises(ClassesError, match=r"^w\.yaml: aws_x\.policy\.principal: expected a non-empty string$"):
        one({"classes": ["identity"], "policy": {"principal": ["principal"]}, "sources": SOURCE})


def test_covered_by_reverse_must_be_a_boolean() -> None:
    reversed_as_text = {"classes": ["dependent"], "covered_by": {"type": "aws_db", "ref": "r", "reverse": "false"}, "sources": SOURCE}
    assert type_error(reversed_as_text) == "w.yaml: aws_x.covered_by.reverse: expected true or false, got str"


# ------------------------------------------------------------------------------------------- a condition


def test_a_condition_is_a_mapping_of_known_keys() -> None:
    assert condition_error("enabled") == "w.yaml: aws_x.public.require[1]: expected a mapping, got str"
    assert condition_error({"path": "p", "is": 1, "zz": 0, "else": 1}) == "w.yaml: aws_x.public.require[1]: unknown key 'else'"


def test_a_condition_has_exactly_one_operator() -> None:
    at = "w.yaml: aws_x.public.require[1]"
    assert condition_error({"path": "p"}) == f"{at}: exactly one operator of {KNOWN_OPERATORS} (found 0)"
    assert condition_error({"path": "p", "is": 1, "min": 1}) == f"{at}: exactly one operator of {KNOWN_OPERATORS} (found 2)"


def test_each_operator_checks_its_value() -> None:
    at = "w.yaml: aws_x.public.require[1]"
    for op in ("in", "not_in", "contains_any"):
        assert condition_error({"path": "p", op: "x"}) == f"{at}: {op} takes a list"
        assert condition({"path": "p", op: ["x"]}) == Condition(path="p", operator=op, value=["x"])
    for op in ("min", "max"):
        assert condition_error({"path": "p", op: "3"}) == f"{at}: {op} takes a number"
        assert condition_error({"path": "p", op: True}) == f"{at}: {op} takes a number"
        assert condition({"path": "p", op: 1.5}).value == 1.5
        assert condition({"path": "p", op: 0}).operator == op
    for op in ("nonempty", "set"):
        assert condition_error({"path": "p", op: 1}) == f"{at}: {op} takes true"
        assert condition_error({"path": "p", op: False}) == f"{at}: {op} takes true"
        assert condition({"path": "p", op: True}) == Condition(path="p", operator=op, value=True)
    for op in ("is", "contains"):
        assert condition({"path": "p", op: "x"}) == Condition(path="p", operator=op, value="x")
    assert condition_error({"path": "p", "in_list": "legacy"}) == f"{at}: in_list names 'legacy', not a list under tls:"
    assert condition({"path": "p", "in_list": "modern"}) == Condition(path="p", operator="in", value=["TLSv1.2", "TLSv1.3"])


def test_a_condition_needs_a_path() -> None:
    assert condition_error({"is": 1}) == "w.yaml: aws_x.public.require[1].path: expected a non-empty string"
    assert condition_error({"path": "", "is": 1}) == "w.yaml: aws_x.public.require[1].path: expected a non-empty string"
    assert condition_error({"path": ["p"], "is": 1}) == "w.yaml: aws_x.public.require[1].path: expected a non-empty string"


def test_a_default_is_recorded_even_when_it_is_null() -> None:
    assert (condition({"path": "p", "is": 1}).default, condition({"path": "p", "is": 1}).has_default) == (None, False)
    assert (condition({"path": "p", "is": 1, "default": None}).default, condition({"path": "p", "is": 1, "default": None}).has_default) == (
        None,
        True,
    )
    assert (condition({"path": "p", "is": 1, "default": 0}).default, condition({"path": "p", "is": 1, "default": 0}).has_default) == (
        0,
        True,
    )


def test_a_parameter_condition_names_its_keys() -> None:
    plain = condition({"path": "parameter.*", "param": "rds.force_ssl", "in": ["1"]})
    assert (plain.param, plain.name_key, plain.value_key) == ("rds.force_ssl", "name", "value")
    custom = condition({"path": "setting.*", "param": "containerInsights", "is": "enabled", "name_key": "key", "value_key": "val"})
    assert (custom.param, custom.name_key, custom.value_key) == ("containerInsights", "key", "val")
    for key in ("param", "name_key", "value_key"):
        broken = {"path": "setting.*", "param": "p", "is": "enabled", key: None}
        assert condition_error(broken) == f"w.yaml: aws_x.public.require[1].{key}: expected a non-empty string"
    assert condition({"path": "p", "is": 1}).param is None


def test_unless_is_a_condition_of_its_own() -> None:
    parsed = condition({"path": "p", "is": 1, "unless": {"path": "q", "set": True}})
    assert parsed.unless == Condition(path="q", operator="set", value=True)
    assert condition({"path": "p", "is": 1}).unless is None
    assert condition_error({"path": "p", "is": 1, "unless": {"path": "q"}}) == (
        f"w.yaml: aws_x.public.require[1].unless: exactly one operator of {KNOWN_OPERATORS} (found 0)"
    )


def test_any_of_stands_alone_with_two_or_more_conditions() -> None:
    at = "w.yaml: aws_x.public.require[1]"
    a, b = {"path": "a", "set": True}, {"path": "b", "is": 1}
    parsed = condition({"any_of": [a, b]})
    assert parsed == Condition(path=None, operator=None, any_of=(Condition("a", "set", True), Condition("b", "is", 1)))
    assert condition_error({"any_of": [a, b], "path": "p"}) == f"{at}: any_of stands alone"
    assert condition_error({"any_of": [a]}) == f"{at}: any_of needs two or more conditions"
    assert condition_error({"any_of": {"a": a}}) == f"{at}.any_of: expected a list, got dict"
    assert condition_error({"any_of": [a, {"path": "b"}]}) == f"{at}.any_of[1]: exactly one operator of {KNOWN_OPERATORS} (found 0)"


def test_helpers_name_what_they_got() -> None:
    with pytest.raises(ClassesError, match=r"^here: expected a list, got dict$"):
        classes._list({}, "here")
    with pytest.raises(ClassesError, match=r"^here: expected a mapping, got int$"):
        classes._mapping(3, "here")
    with pytest.raises(ClassesError, match=r"^here: expected a list of non-empty strings$"):
        classes._strings(["a", 3], "here")
    with pytest.raises(ClassesError, match=r"^here: expected a list, got str$"):
        classes._strings("a", "here")
    with pytest.raises(ClassesError, match=r"^here: expected a non-empty string$"):
        classes._string(3, "here")
    assert classes._strings(["a"], "here") == ["a"]
    assert classes._string("a", "here") == "a"


# ------------------------------------------------------------------------------------------- paths a facet reads


def test_inline_rules_read_fields_of_every_ingress_and_egress_element() -> None:
    facet = Facet(
        "public", "N2", rules={"kind": "inline", "ingress": "ingress", "egress": "egress", "cidr": "cidr_blocks", "port": "from_port"}
    )
    assert list(facet.paths()) == [
        "ingress.cidr_blocks",
        "egress.cidr_blocks",
        "ingress.from_port",
        "egress.from_port",
        "ingress",
        "egress",
    ]
    nacl = Facet("public", "N2", rules={"kind": "nacl_inline", "ingress": "ingress", "cidr": "cidr_block"})
    assert list(nacl.paths()) == ["ingress.cidr_block", "ingress"]
    only_egress = Facet("public", "N2", rules={"kind": "inline", "egress": "egress", "cidr": "cidr_blocks"})
    assert list(only_egress.paths()) == ["egress.cidr_blocks", "egress"]


def test_separate_rule_kinds_read_their_fields_as_they_are() -> None:
    facet = Facet("public", "N2", rules={"kind": "ingress_rule", "ingress": "type", "cidr": "cidr_blocks"})
    assert list(facet.paths()) == ["type", "cidr_blocks"]
    assert list(Facet("public", "N2", rules={"ingress": "type", "cidr": "cidr_blocks"}).paths()) == ["type", "cidr_blocks"]


def test_a_facet_reads_every_path_it_names() -> None:
    facet = one(
        exposure(
            flag={"path": "enabled", "is": True, "unless": {"path": "mode", "set": True}},
            cmk=["kms_key_id"],
            require=[{"any_of": [{"path": "a", "set": True}, {"path": "b", "set": True}]}],
            deny=[{"path": "d", "is": 1}],
            documents=["policy"],
            principal="principal",
            scoped_by=["source_arn"],
            managed_arn="policy_arn",
            rules={"kind": "rule", "cidr": "cidr_blocks"},
        )
    ).facets["public"]
    assert list(facet.paths()) == [
        "enabled",
        "mode",
        "kms_key_id",
        "a",
        "b",
        "d",
        "policy",
        "principal",
        "source_arn",
        "policy_arn",
        "cidr_blocks",
    ]


# ------------------------------------------------------------------------------------------- finding types


def test_types_are_found_by_name_class_and_facet() -> None:
    parsed = classes.parse(
        document(
            {
                "aws_db": store(),
                "aws_sg": exposure(deny=[{"path": "p", "set": True}]),
                "null_resource": {"classes": ["inert"], "reason": "glue"},
            }
        )
    )
    assert parsed.of("aws_db") is parsed.types["aws_db"]
    assert parsed.of("aws_nothing") is None
    assert [t.type for t in parsed.with_class("exposure")] == ["aws_sg"]
    assert [t.type for t in parsed.with_class("inert")] == ["null_resource"]
    assert [t.type for t in parsed.with_facet("at_rest")] == ["aws_db"]
    assert parsed.controls() == {"E8", "N2"}
    assert not parsed.types["null_resource"].aws and parsed.types["null_resource"].inert


# ------------------------------------------------------------------------------------------- loading the file


def test_an_unreadable_or_invalid_file_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(ClassesError) as caught:
        classes.load(missing)
    assert str(caught.value).startswith(f"{missing}: cannot read resource classes: ")
    assert "\n" not in str(caught.value)
    broken = tmp_path / "broken.yaml"
    broken.write_text("types: [\n  a: b\n  - {\n", encoding="utf-8")
    with pytest.raises(ClassesError) as caught:
        classes.load(broken)
    assert str(caught.value).startswith(f"{broken}: cannot read resource classes: ") and "\n" not in str(caught.value)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ClassesError, match=r"cannot read resource classes"):
        classes.load(binary)


def test_a_loaded_file_is_located_by_its_path(tmp_path: Path) -> None:
    bad = tmp_path / "classes.yaml"
    bad.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(ClassesError) as caught:
        classes.load(bad)
    assert str(caught.value) == f"{bad}: expected a mapping, got list"


# ------------------------------------------------------------------------------------------- the provider schema check

BUCKET = {
    "block": {
        "attributes": {
            "kms_key_id": {"type": "string"},
            "tags": {"type": ["map", "string"]},
            "ids": {"type": ["list", "string"]},
            "zones": {"type": ["set", "string"]},
            "settings": {"type": ["list", ["object", {"name": "string", "value": "string"}]]},
            "config": {"type": ["object", {"mode": "string", "inner": ["object", {"x": "string"}], "names": ["set", "string"]}]},
            "ports": {"nested_type": {"nesting_mode": "list", "attributes": {"from": {"type": "number"}}}},
            "grants": {"nested_type": {"nesting_mode": "set", "attributes": {"who": {"type": "string"}}}},
            "options": {"nested_type": {"nesting_mode": "single", "attributes": {"enabled": {"type": "bool"}}}},
            "empty": {"nested_type": {"nesting_mode": "single"}},
        },
        "block_types": {
            "rule": {"nesting_mode": "list", "block": {"attributes": {"days": {"type": "number"}}}},
            "acl": {
                "nesting_mode": "set",
                "block": {"block_types": {"entry": {"nesting_mode": "single", "block": {"attributes": {"id": {"type": "string"}}}}}},
            },
            "logging": {"nesting_mode": "single", "block": {"attributes": {"target": {"type": "string"}}}},
            "parameter": {"nesting_mode": "set", "block": {"attributes": {"name": {"type": "string"}, "value": {"type": "string"}}}},
        },
    }
}
LOG = {"block": {"attributes": {"bucket": {"type": "string"}, "target": {"type": "string"}}}}
PARENT = {"block": {"attributes": {"name": {"type": "string"}, "child_ids": {"type": ["list", "string"]}}}}
SCHEMAS = {"aws_bucket": BUCKET, "aws_bucket_logging": LOG, "aws_parent": PARENT}


@pytest.mark.parametrize(
    "path",
    [
        "kms_key_id",
        "ids.*",
        "ids.0",
        "ids.12",
        "zones.*",
        "settings.*.name",
        "settings.3.value",
        "config.mode",
        "config.inner.x",
        "config.names.*",
        "ports.*.from",
        "ports.0.from",
        "grants.*.who",
        "options.enabled",
        "rule.*.days",
        "rule.1.days",
        "acl.*.entry.id",
        "logging.target",
        "parameter.*.name",
    ],
)
def test_a_path_the_schema_has_is_no_problem(path: str) -> None:
    assert classes._path_problems("aws_bucket", BUCKET["block"], path) == []


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("nope", "no attribute or block 'nope'"),
        ("*", " is not a list"),
        ("tags.*", "tags is not a list"),
        ("kms_key_id.0", "kms_key_id is not a list"),
        ("config.*", "config is not a list"),
        ("options.*", "options is not a list"),
        ("logging.*", "logging is not a list"),
        ("ids.*.x", "cannot descend into ids.* with 'x'"),
        ("settings.*.zzz", "cannot descend into settings.* with 'zzz'"),
        ("settings.name", "cannot descend into settings with 'name'"),
        ("config.other", "cannot descend into config with 'other'"),
        ("config.mode.x", "cannot descend into config.mode with 'x'"),
        ("config.inner.y", "cannot descend into config.inner with 'y'"),
        ("config.inner.*", "config.inner is not a list"),
        ("rule.*.days.*", "rule.*.days is not a list"),
        ("kms_key_id.x", "cannot descend into kms_key_id with 'x'"),
        ("ports.from", "cannot descend into ports with 'from'"),
        ("rule.days", "cannot descend into rule with 'days'"),
        ("ports.*.to", "no attribute or block 'to'"),
        ("grants.*.whom", "no attribute or block 'whom'"),
        ("options.disabled", "no attribute or block 'disabled'"),
        ("empty.x", "no attribute or block 'x'"),
        ("rule.*.months", "no attribute or block 'months'"),
        ("acl.*.entry.key", "no attribute or block 'key'"),
        ("acl.*.other", "no attribute or block 'other'"),
        ("logging.prefix", "no attribute or block 'prefix'"),
    ],
)
def test_a_path_the_schema_lacks_is_one_precise_problem(path: str, problem: str) -> None:
    assert classes._path_problems("aws_bucket", BUCKET["block"], path) == [f"aws_bucket: {path}: {problem}"]


def test_a_parameter_condition_needs_its_name_and_value_keys() -> None:
    block = BUCKET["block"]
    assert classes._param_problems("aws_bucket", block, Condition("parameter.*", "is", "1", param="rds.force_ssl")) == []
    odd = Condition("parameter.*", "is", "1", param="p", name_key="key", value_key="val")
    assert classes._param_problems("aws_bucket", block, odd) == [
        "aws_bucket: parameter.*.key: no attribute or block 'key'",
        "aws_bucket: parameter.*.val: no attribute or block 'val'",
    ]
    assert classes._param_problems("aws_bucket", block, Condition("parameter.*", "is", "1", name_key="key")) == []
    either = Condition(None, None, any_of=(odd, Condition("parameter.*", "is", 1, param="x", value_key="v")))
    assert classes._param_problems("aws_bucket", block, either) == [
        "aws_bucket: parameter.*.key: no attribute or block 'key'",
        "aws_bucket: parameter.*.val: no attribute or block 'val'",
        "aws_bucket: parameter.*.v: no attribute or block 'v'",
    ]


def schema_document(types: dict[str, Any]) -> classes.Classes:
    return classes.parse(document(types))


def test_the_schema_check_passes_paths_that_exist() -> None:
    data = schema_document(
        {
            "aws_bucket": store(
                classes=["data_store", "data_in_transit"],
                at_rest={"flag": {"path": "options.enabled", "is": True}, "cmk": ["kms_key_id"]},
                in_transit={"require": [{"path": "parameter.*", "param": "require_ssl", "in": ["1"]}]},
                logging={"via": {"type": "aws_bucket_logging", "ref": "bucket"}, "require": [{"path": "target", "set": True}]},
            ),
            "aws_child": {"classes": ["dependent"], "covered_by": {"type": "aws_parent", "ref": "child_ids"}, "sources": SOURCE},
            "terraform_data": {"classes": ["inert"], "reason": "glue"},
            "random_id": {"classes": ["inert"], "reason": "glue"},
            "null_resource": {"classes": ["inert"], "reason": "glue"},
            "time_sleep": {"classes": ["inert"], "reason": "glue"},
        }
    )
    child_schema = {"block": {"attributes": {"child_ids": {"type": "string"}}}}
    assert classes.schema_problems(data, {**SCHEMAS, "aws_child": child_schema}) == []


def test_the_schema_check_names_every_missing_type_and_path_in_order() -> None:
    data = schema_document(
        {
            "kubernetes_pod": {"classes": ["inert"], "reason": "other provider"},
            "aws_gone": store(),
            "aws_bucket": store(
                classes=["data_store", "data_in_transit"],
                at_rest={"flag": {"path": "options.on", "is": True}, "cmk": ["kms_key"]},
                in_transit={
                    "require": [{"path": "parameter.*", "param": "require_ssl", "in": ["1"], "name_key": "n"}],
                    "deny": [{"path": "parameter.*", "param": "tls", "in": ["0"], "value_key": "v"}],
                },
                logging={"via": {"type": "aws_bucket_logging", "ref": "bucket_id"}, "require": [{"path": "target_bucket", "set": True}]},
                backup={"via": {"type": "aws_bucket_backup", "ref": "bucket"}, "require": [{"path": "plan", "set": True}]},
                public={"flag": {"path": "parameter.*", "param": "public", "is": "1", "name_key": "k"}},
                detection={"require": [{"path": "detector", "set": True}]},
            ),
            "aws_child": {"classes": ["dependent"], "covered_by": {"type": "aws_parent", "ref": "parent_id"}, "sources": SOURCE},
            "aws_orphan": {"classes": ["dependent"], "covered_by": {"type": "aws_gone_parent", "ref": "id"}, "sources": SOURCE},
            "aws_adopted": {
                "classes": ["dependent"],
                "covered_by": {"type": "aws_parent", "ref": "kids", "reverse": True},
                "sources": SOURCE,
            },
            "aws_owned": {
                "classes": ["dependent"],
                "covered_by": {"type": "aws_parent", "ref": "child_ids", "reverse": True},
                "sources": SOURCE,
            },
        }
    )
    leaf = {"block": {"attributes": {"id": {"type": "string"}}}}
    schemas = {**SCHEMAS, "aws_child": leaf, "aws_orphan": leaf, "aws_adopted": leaf, "aws_owned": leaf}
    assert classes.schema_problems(data, schemas) == [
        "kubernetes_pod: not an aws_ type and not a known glue type",
        "aws_gone: no such resource type in the provider",
        "aws_bucket: options.on: no attribute or block 'on'",
        "aws_bucket: kms_key: no attribute or block 'kms_key'",
        "aws_bucket: parameter.*.n: no attribute or block 'n'",
        "aws_bucket: parameter.*.v: no attribute or block 'v'",
        "aws_bucket: parameter.*.k: no attribute or block 'k'",
        "aws_bucket_logging: bucket_id: no attribute or block 'bucket_id'",
        "aws_bucket_logging: target_bucket: no attribute or block 'target_bucket'",
        "aws_bucket.backup: via type aws_bucket_backup does not exist",
        "aws_bucket: detector: no attribute or block 'detector'",
        "aws_child: parent_id: no attribute or block 'parent_id'",
        "aws_orphan: covered_by type aws_gone_parent does not exist",
        "aws_parent: kids: no attribute or block 'kids'",
    ]


def test_a_via_facet_is_checked_on_the_companion_not_on_the_type() -> None:
    data = schema_document(
        {
            "aws_bucket": store(
                logging={"via": {"type": "aws_bucket_logging", "ref": "bucket"}, "require": [{"path": "kms_key_id", "set": True}]}
            )
        }
    )
    assert classes.schema_problems(data, SCHEMAS) == ["aws_bucket_logging: kms_key_id: no attribute or block 'kms_key_id'"]
    data = schema_document({"aws_bucket": store(logging={"via": {"type": "aws_bucket_logging", "ref": "kms_key_id"}})})
    assert classes.schema_problems(data, SCHEMAS) == ["aws_bucket_logging: kms_key_id: no attribute or block 'kms_key_id'"]


def test_a_parameter_flag_of_a_via_facet_is_checked_on_the_companion() -> None:
    companion = {"block": {"block_types": {"parameter": {"nesting_mode": "set", "block": {"attributes": {"name": {"type": "string"}}}}}}}
    data = schema_document(
        {
            "aws_bucket": store(
                logging={"via": {"type": "aws_p", "ref": "parameter"}, "flag": {"path": "parameter.*", "param": "x", "is": "1"}}
            )
        }
    )
    assert classes.schema_problems(data, {**SCHEMAS, "aws_p": companion}) == [
        "aws_p: parameter.*.value: no attribute or block 'value'",
    ]


def test_the_real_classes_have_only_aws_or_glue_types() -> None:
    real = classes.load()
    glue = [t.type for t in real.types.values() if not t.aws]
    assert all(t.startswith(classes.NON_AWS_PREFIXES) for t in glue)
    problems = classes.schema_problems(real, {})
    assert len(problems) == len([t for t in real.types.values() if t.aws])
    assert all(p.endswith(": no such resource type in the provider") for p in problems)


def test_parse_does_not_change_its_input() -> None:
    raw = document({"aws_x": store(control={"at_rest": "E1"}), "aws_sg": exposure(rules={"kind": "inline", "ingress": "ingress"})})
    before = copy.deepcopy(raw)
    classes.parse(raw)
    assert raw == before
