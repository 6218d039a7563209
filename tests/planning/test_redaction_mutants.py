"""Redaction pinned down where mutation testing found it loose: every mark, every credential name, every place a secret hides."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tapguard.planning import redaction
from tapguard.planning.redaction import REDACTED, TooDeep, redact, redact_plan_json, scrub

LONG = "correct-horse-battery"  # long enough (>= 8) to be scrubbed wherever else it appears


def change(after: dict[str, Any], sensitive: Any, **more: Any) -> dict[str, Any]:
    return {"resource_changes": [{"address": "x.y", "change": {"after": after, "after_sensitive": sensitive, **more}}]}


def after(doc: dict[str, Any]) -> Any:
    return doc["resource_changes"][0]["change"]["after"]


def test_redact_replaces_marked_values_and_keeps_null_and_unmarked() -> None:
    assert redact("s", True) == REDACTED
    assert redact(4711, True) == REDACTED
    assert redact(False, True) == REDACTED
    assert redact(None, True) is None
    assert redact("s", False) == "s"
    assert redact("s", None) == "s"
    value = {"a": "1", "b": {"c": "2", "d": "3"}, "e": ["4", "5"]}
    assert redact(value, {"b": {"c": True}, "e": [False, True]}) == {"a": "1", "b": {"c": REDACTED, "d": "3"}, "e": ["4", REDACTED]}
    assert value == {"a": "1", "b": {"c": "2", "d": "3"}, "e": ["4", "5"]}  # the input is not changed


def test_redact_returns_what_holds_nothing_sensitive_as_it_is() -> None:
    value = {"a": {"b": [1, 2]}}
    assert redact(value, {}) is value
    assert redact(value, {"a": {"b": [False, False]}}) is value
    assert redact(value, {"z": True}) is value
    listed = [1, 2]
    assert redact(listed, []) is listed
    assert redact(listed, [False]) is listed
    assert redact(listed, [False, True]) == [1, REDACTED]
    assert redact(listed, [True]) == [REDACTED, 2]  # a shorter mirror marks only what it covers
    assert redact({"a": 1}, [True]) == {"a": 1}  # shapes that do not agree mark nothing
    assert redact([1], {"0": True}) == [1]


def test_sensitive_marks_in_every_pair_and_the_secrets_they_removed() -> None:
    doc = {
        "resource_changes": [
            {
                "change": {
                    "before": {"pin": "before-secret-1"},
                    "before_sensitive": {"pin": True},
                    "after": {"pin": "after-secret-22", "port": 15432},
                    "after_sensitive": {"pin": True},
                }
            }
        ],
        "planned_values": {"root_module": {"resources": [{"values": {"pin": "values-secret-333"}, "sensitive_values": {"pin": True}}]}},
    }
    out, secrets = redact_plan_json(doc)
    c = out["resource_changes"][0]["change"]
    assert (c["before"]["pin"], c["after"]["pin"], c["after"]["port"]) == (REDACTED, REDACTED, 15432)
    assert out["planned_values"]["root_module"]["resources"][0]["values"]["pin"] == REDACTED
    assert secrets == {"before-secret-1", "after-secret-22", "values-secret-333"}
    assert doc["resource_changes"][0]["change"]["after"]["pin"] == "after-secret-22"  # a copy by default


def test_in_place_redacts_the_document_itself() -> None:
    doc = change({"pin": LONG}, {"pin": True})
    out, _ = redact_plan_json(doc, in_place=True)
    assert out is doc and after(doc)["pin"] == REDACTED
    fresh = change({"pin": LONG}, {"pin": True})
    copied, _ = redact_plan_json(fresh, in_place=False)
    assert copied is not fresh and after(fresh)["pin"] == LONG


@pytest.mark.parametrize("secret", ["4711", "x", "1234567"])
def test_short_secrets_are_redacted_where_marked_but_not_reported_for_scrubbing(secret: str) -> None:
    out, secrets = redact_plan_json(change({"pin": secret, "note": f"pin {secret}"}, {"pin": True}))
    assert after(out) == {"pin": REDACTED, "note": f"pin {secret}"}  # too short to scrub from other text safely
    assert secrets == set()


def test_a_secret_of_exactly_8_characters_is_scrubbed_elsewhere_too() -> None:
    out, secrets = redact_plan_json(change({"pin": "12345678", "note": "pin=12345678"}, {"pin": True}))
    assert secrets == {"12345678"}
    assert after(out) == {"pin": REDACTED, "note": f"pin={REDACTED}"}


def test_a_secret_is_scrubbed_from_keys_nested_lists_and_json_strings() -> None:
    quoted = 'with "quotes" in it'
    doc = change(
        {"pin": [LONG, quoted], "tags": {f"k-{LONG}": "v"}, "doc": json.dumps({"x": quoted}), "list": [[f"a{LONG}b"]]},
        {"pin": True},
    )
    out, secrets = redact_plan_json(doc)
    assert secrets == {LONG, quoted}
    a = after(out)
    assert a["pin"] == REDACTED
    assert a["tags"] == {f"k-{REDACTED}": "v"}
    assert a["doc"] == json.dumps({"x": REDACTED})
    assert a["list"] == [[f"a{REDACTED}b"]]


def test_sensitive_variables_and_outputs_lose_their_values() -> None:
    doc = {
        "variables": {"db_pass": {"value": "variable-secret"}, "region": {"value": "eu-west-1"}, "gone": {"value": None}},
        "configuration": {"root_module": {"variables": {"db_pass": {"sensitive": True}, "region": {}, "gone": {"sensitive": True}}}},
        "output_changes": {"conn": {"after": "output-secret", "sensitive": True}},
        "planned_values": {
            "outputs": {"conn": {"value": "output-secret", "sensitive": True}, "open": {"value": "fine", "sensitive": False}}
        },
    }
    out, secrets = redact_plan_json(doc)
    assert out["variables"] == {"db_pass": {"value": REDACTED}, "region": {"value": "eu-west-1"}, "gone": {"value": None}}
    assert out["planned_values"]["outputs"] == {
        "conn": {"value": REDACTED, "sensitive": True},
        "open": {"value": "fine", "sensitive": False},
    }
    assert {"variable-secret", "output-secret"} <= secrets


def test_a_sensitive_variable_declaration_loses_its_default() -> None:
    doc = {"configuration": {"root_module": {"variables": {"k": {"default": "default-secret", "sensitive": True, "description": "d"}}}}}
    out, secrets = redact_plan_json(doc)
    assert out["configuration"]["root_module"]["variables"]["k"] == {"default": REDACTED, "sensitive": True, "description": "d"}
    assert secrets == {"default-secret"}


@pytest.mark.parametrize(
    "name", ["password", "PASSWORD", "Password", "token", "api_key", "secret_string", "private_key_pem", "credentials"]
)
def test_credential_names_are_redacted_whatever_the_value_and_unmarked(name: str) -> None:
    doc = change({name: "s3cr3t-value", "nested": {"deep": [{name: 4711}]}, "flag": True}, {})
    out, secrets = redact_plan_json(doc)
    assert after(out) == {name: REDACTED, "nested": {"deep": [{name: REDACTED}]}, "flag": True}
    assert "s3cr3t-value" in secrets


def test_a_credential_name_that_is_only_a_suffix_is_left_alone() -> None:
    doc = change({"manage_master_user_password": True, "password_length": 16, "tokens": "many"}, {})
    out, _ = redact_plan_json(doc)
    assert after(out) == {"manage_master_user_password": True, "password_length": 16, "tokens": "many"}


def test_credential_values_of_every_shape_keep_null_and_references() -> None:
    doc = {
        "configuration": {
            "root_module": {
                "resources": [
                    {
                        "expressions": {
                            "password": {"references": ["var.db_password"], "constant_value": "literal-secret"},
                            "token": None,
                            "secret": [{"a": 1}, None, "listed-secret"],
                        }
                    }
                ]
            }
        }
    }
    out, secrets = redact_plan_json(doc)
    expressions = out["configuration"]["root_module"]["resources"][0]["expressions"]
    assert expressions["password"] == {"references": ["var.db_password"], "constant_value": REDACTED}
    assert expressions["token"] is None
    assert expressions["secret"] == [{"a": REDACTED}, None, REDACTED]
    assert {"literal-secret", "listed-secret"} <= secrets


def test_names_people_chose_are_not_credentials_but_their_contents_are_walked() -> None:
    doc = {
        "configuration": {
            "root_module": {
                "module_calls": {
                    "token": {
                        "source": "./token",
                        "module": {"resources": [{"expressions": {"password": {"constant_value": "inner-secret"}}}]},
                    }
                }
            },
            "provider_config": {"secret": {"name": "secret"}},
        }
    }
    out, _ = redact_plan_json(doc)
    calls = out["configuration"]["root_module"]["module_calls"]
    assert calls["token"]["source"] == "./token"
    assert calls["token"]["module"]["resources"][0]["expressions"]["password"] == {"constant_value": REDACTED}
    assert out["configuration"]["provider_config"]["secret"] == {"name": "secret"}


def test_a_declared_variable_or_output_named_like_a_credential_keeps_its_declaration() -> None:
    doc = {
        "variables": {"password": {"value": "declared-secret"}},
        "configuration": {"root_module": {"variables": {"password": {"description": "the db password", "default": "default-secret"}}}},
    }
    out, secrets = redact_plan_json(doc)
    assert out["variables"] == {"password": {"value": REDACTED}}
    assert out["configuration"]["root_module"]["variables"]["password"] == {"description": "the db password", "default": REDACTED}
    assert {"declared-secret", "default-secret"} <= secrets


def test_mirrors_keep_only_marks() -> None:
    doc = change(
        {"a": 1},
        {"a": "leaked-into-mirror", "b": [True, "x", 3, None, {"c": 4.5}], "d": {"e": False}},
        after_unknown={"f": "also-leaked", "g": [1]},
        before_sensitive="not-a-mirror",
    )
    out, _ = redact_plan_json(doc)
    c = out["resource_changes"][0]["change"]
    assert c["after_sensitive"] == {"a": REDACTED, "b": [True, REDACTED, REDACTED, None, {"c": REDACTED}], "d": {"e": False}}
    assert c["after_unknown"] == {"f": REDACTED, "g": [REDACTED]}
    assert c["before_sensitive"] == REDACTED


def test_a_mirror_of_only_false_marks_nothing_and_the_value_stays() -> None:
    doc = change({"pin": "kept-value-1"}, {"pin": False}, after_unknown=True)
    out, secrets = redact_plan_json(doc)
    assert after(out) == {"pin": "kept-value-1"} and secrets == set()
    assert out["resource_changes"][0]["change"]["after_unknown"] is True


def test_marks_anything() -> None:
    assert redaction._marks_anything(True) is True
    assert redaction._marks_anything(False) is False
    assert redaction._marks_anything(None) is False
    assert redaction._marks_anything({}) is False
    assert redaction._marks_anything([]) is False
    assert redaction._marks_anything("true") is False
    assert redaction._marks_anything({"a": [False, {"b": False}]}) is False
    assert redaction._marks_anything({"a": [False, {"b": True}]}) is True
    assert redaction._marks_anything({"a": object()}) is True  # not a pure mirror: the walk decides


def test_too_deep_is_refused_at_the_limit_plus_one() -> None:
    doc: dict[str, Any] = {"a": {"b": {"c": {}}}}  # levels: root 1, a 2, b 3, c 4
    redact_plan_json(copy.deepcopy(doc), max_depth=4)
    with pytest.raises(TooDeep):
        redact_plan_json(copy.deepcopy(doc), max_depth=3)
    nested: list[Any] = [[[[]]]]
    redact_plan_json({"l": copy.deepcopy(nested)}, max_depth=5)
    with pytest.raises(TooDeep):
        redact_plan_json({"l": copy.deepcopy(nested)}, max_depth=4)
    redact_plan_json(copy.deepcopy(doc))  # no limit: any depth


def test_scrub_takes_the_longest_secret_first_and_escaped_forms() -> None:
    assert scrub("abcdefgh-abcdefghij", ["abcdefgh", "abcdefghij"]) == f"{REDACTED}-{REDACTED}"
    assert scrub('a "q" b', ['"q"']) == f"a {REDACTED} b"
    assert scrub('{"v": "a \\"q\\" b"}', ['a "q" b']) == f'{{"v": "{REDACTED}"}}'
    assert scrub("nothing here", ["absent-secret"]) == "nothing here"
    assert scrub("x", []) == "x"


def test_rules_digest_is_stable_and_depends_on_the_credential_names(monkeypatch: pytest.MonkeyPatch) -> None:
    first = redaction.rules_digest()
    assert first == redaction.rules_digest() and len(first) == 16
    monkeypatch.setattr(redaction, "CREDENTIAL_NAMES", redaction.CREDENTIAL_NAMES | {"pin"})
    assert redaction.rules_digest() != first


def test_secrets_inside_a_marked_object_or_a_longer_list_are_collected() -> None:
    doc = change({"conn": {"user": "app", "pass": LONG}, "pins": ["first-secret-1", "second-not-marked"]}, {"conn": True, "pins": [True]})
    out, secrets = redact_plan_json(doc)
    assert after(out) == {"conn": REDACTED, "pins": [REDACTED, "second-not-marked"]}
    assert secrets == {LONG, "first-secret-1"}


def test_a_list_under_a_named_or_declared_key_is_still_walked_as_values() -> None:
    doc = {"configuration": {"provider_config": [{"password": "in-a-list-secret"}], "outputs": [{"token": "listed-token-1"}]}}
    out, secrets = redact_plan_json(doc)
    assert out["configuration"] == {"provider_config": [{"password": REDACTED}], "outputs": [{"token": REDACTED}]}
    assert {"in-a-list-secret", "listed-token-1"} <= secrets


def test_a_mirror_that_is_a_list_or_holds_objects_is_cleaned_inside() -> None:
    doc = change({"a": 1}, {"d": {"e": "leaked-into-nested-mirror"}}, after_unknown=[True, "leaked", {"x": 2}])
    out, _ = redact_plan_json(doc)
    c = out["resource_changes"][0]["change"]
    assert c["after_sensitive"] == {"d": {"e": REDACTED}}
    assert c["after_unknown"] == [True, REDACTED, {"x": REDACTED}]


def test_too_deep_names_the_limit() -> None:
    with pytest.raises(TooDeep) as caught:
        redact_plan_json({"a": {"b": {}}}, max_depth=2)
    assert caught.value.args == (2,)


def test_a_secret_inside_a_longer_one_does_not_split_it_whatever_their_alphabetical_order() -> None:
    inner, outer = "zzzzzzzz", "aaaa-zzzzzzzz"
    assert scrub(f"x {outer} y {inner}", [inner, outer]) == f"x {REDACTED} y {REDACTED}"
    doc = change({"a": outer, "b": inner, "note": f"{outer} and {inner}"}, {"a": True, "b": True})
    out, _ = redact_plan_json(doc)
    assert after(out)["note"] == f"{REDACTED} and {REDACTED}"
