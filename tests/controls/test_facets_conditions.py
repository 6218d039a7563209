"""The condition language of classes.yaml (controls/facets.py), the closed world and companions, pinned value by value.

A facet's `require`/`deny`/`flag` conditions are data: one operator over one attribute path (or `any_of`), with a
default, an exception (`unless`), wildcards over lists and named parameters. What each operator accepts, how a value
unknown at plan time is read, and the words a finding shows are what every class control inherits.
"""

from __future__ import annotations

from typing import Any

import pytest

from tapguard.controls import FAIL, NOT_APPLICABLE, PASS, UNKNOWN, Context, classes, facets
from tapguard.controls.classes import Classes, Condition, CoveredBy, Facet, TypeClass, Via
from tapguard.foundation.profile import Profile
from tapguard.planning import model
from tests.controls.checks.golden import resource
from tests.controls.checks.golden import synthetic_plan as plan

Row = tuple[Any, ...]


def one(after: dict[str, Any], unknown: dict[str, Any] | None = None, config: dict[str, Any] | None = None) -> model.Resource:
    """aws_thing.t with these values, unknowns and configuration expressions."""
    return plan(resource("aws_thing.t", after, unknown), config={"aws_thing.t": config or {}}).resources[0]


def ctx_of(p: model.Plan, control: str = "X9") -> Context:
    return Context(env="eu-west-1", plan=p, profile=Profile(name="eu-west-1"), control_id=control)


def row(f: Any) -> Row:
    return (f.control, f.address, f.attribute, f.status, f.actual, f.expected, f.message)


def cond(path: str | None, op: str | None, value: Any = None, **kw: Any) -> Condition:
    return Condition(path=path, operator=op, value=value, **kw)


# ---------------------------------------------------------------- operators
@pytest.mark.parametrize(
    ("op", "value", "wanted", "holds"),
    [
        ("is", True, True, True),
        ("is", "TRUE", True, True),  # provider 5.100 types some booleans as text
        ("is", "false", False, True),
        ("is", "yes", True, False),
        ("is", True, 1, False),  # a boolean is not the number 1
        ("is", 1, 1.0, True),
        ("is", 2, "2", False),
        ("is", None, None, True),
        ("is", ["a"], ["a"], True),
        ("is", "TLSv1.2", "tlsv1.2", True),
        ("in", "b", ["a", "b"], True),
        ("in", "c", ["a", "b"], False),
        ("in", ["a", "b"], ["a", "b", "c"], True),  # a list value: every element allowed
        ("in", ["a", "z"], ["a", "b"], False),
        ("in", [], ["a"], False),
        ("not_in", "c", ["a", "b"], True),
        ("not_in", "B", ["a", "b"], False),
        ("min", 7, 7, True),
        ("min", 6.9, 7, False),
        ("min", "30", 7, True),
        ("min", True, 0, False),
        ("min", None, 0, False),
        ("min", "soon", 0, False),
        ("min", [], 0, False),
        ("max", 7, 7, True),
        ("max", 7.1, 7, False),
        ("max", None, 100, False),
        ("nonempty", ["x"], True, True),
        ("nonempty", [], True, False),
        ("nonempty", [{}], True, False),
        ("nonempty", [{}, {}], True, True),
        ("nonempty", "", True, False),
        ("nonempty", None, True, False),
        ("set", "", True, False),
        ("set", None, True, False),
        ("set", 0, True, True),
        ("set", False, True, True),
        ("contains", ["a", "B"], "b", True),
        ("contains", ["a"], "b", False),
        ("contains", "ab", "a", False),
        ("contains_any", ["x", "a"], ["a", "b"], True),
        ("contains_any", ["x"], ["a", "b"], False),
        ("contains_any", "a", ["a"], False),
    ],
)
def test_each_operator_of_classes_yaml_holds_exactly_on_its_values(op: str, value: Any, wanted: Any, holds: bool) -> None:
    assert facets._test(op, value, wanted) is holds


def test_an_operator_classes_yaml_does_not_know_is_an_error_not_a_verdict() -> None:
    with pytest.raises(ValueError, match=r"^between$"):
        facets._test("between", 1, [0, 2])


@pytest.mark.parametrize(("value", "number"), [(3, 3.0), ("2.5", 2.5), (True, None), (False, None), (None, None), ("x", None), ({}, None)])
def test_only_numbers_and_numeric_text_are_numbers(value: Any, number: float | None) -> None:
    assert facets._number(value) == number


# ---------------------------------------------------------------- the words of a finding
@pytest.mark.parametrize(
    ("condition", "deny", "text"),
    [
        (cond("a", "is", True), False, "a = True"),
        (cond("a", "is", "x"), True, "not a = 'x'"),
        (cond("a", "in", ["x", "y"]), False, "a one of ['x', 'y']"),
        (cond("a", "not_in", ["x"]), False, "a none of ['x']"),
        (cond("a", "min", 7), False, "a >= 7"),
        (cond("a", "max", 90), False, "a <= 90"),
        (cond("a", "nonempty", True), False, "a set and non-empty"),
        (cond("a", "set", True), False, "a set"),
        (cond("a", "contains", "x"), False, "a contains 'x'"),
        (cond("a", "contains_any", ["x"]), False, "a contains any of ['x']"),
        (cond("p.*", "is", "on", param="log_min"), False, "p.*[log_min] = 'on'"),
        (cond("a", "is", False, unless=cond("b", "set", True)), False, "a = False (unless b set)"),
        (cond("a", "is", False, unless=cond("b", "set", True)), True, "not a = False (unless b set)"),
        (cond(None, None, any_of=(cond("a", "set", True), cond("b", "is", 1))), False, "a set or b = 1"),
        (cond(None, None, any_of=(cond("a", "set", True), cond("b", "is", 1))), True, "not (a set or b = 1)"),
    ],
)
def test_a_condition_is_described_in_the_words_a_finding_shows(condition: Condition, deny: bool, text: str) -> None:
    assert facets._describe(condition, deny) == text


# ---------------------------------------------------------------- wildcard paths
@pytest.mark.parametrize(
    ("node", "path", "paths"),
    [
        ({"l": [{"k": 1}, {"k": 2}]}, "l.*.k", ["l.0.k", "l.1.k"]),
        ({"l": []}, "l.*.k", []),
        ({"l": "text"}, "l.*.k", []),
        ({"l": [[1, 2], [3]]}, "l.*.*", ["l.0.0", "l.0.1", "l.1.0"]),
        ({"l": [{"k": 1}]}, "l.0.k", ["l.0.k"]),
        ({"l": [{"k": 1}]}, "l.3.k", []),
        ({"l": [{"k": 1}]}, "l.3", ["l.3"]),
        ({}, "a.b", ["a.b"]),
        ({}, "a.*.b", []),
        ({"a": {}}, "a.b.c", ["a.b.c"]),
        ({"a": {}}, "a.b.*", []),
        ({"a": None}, "a.*.b", []),
        (None, "a", ["a"]),
        ({"a": [{"b": [{"c": 1}, {"c": 2}]}, {"b": []}]}, "a.*.b.*.c", ["a.0.b.0.c", "a.0.b.1.c"]),
    ],
)
def test_a_wildcard_path_expands_to_every_element_present(node: Any, path: str, paths: list[str]) -> None:
    assert list(facets._expand(node, path.split("."), "")) == paths


# ---------------------------------------------------------------- holding on a resource
def test_any_of_holds_when_one_alternative_holds_and_is_unknown_only_when_none_fails_for_sure() -> None:
    r = one({"a": True, "b": None, "c": False}, {"b": True})
    yes, no, unknown = cond("a", "is", True), cond("c", "is", True), cond("b", "is", True)
    assert facets._holds(r, cond(None, None, any_of=(no, yes))) is True
    assert facets._holds(r, cond(None, None, any_of=(unknown, yes))) is True
    assert facets._holds(r, cond(None, None, any_of=(no, unknown))) is None
    assert facets._holds(r, cond(None, None, any_of=(no, no))) is False


def test_an_exception_that_holds_meets_a_requirement_and_silences_a_deny() -> None:
    r = one({"public": True, "waiver": "yes"})
    denied = cond("public", "is", True, unless=cond("waiver", "is", "yes"))
    assert facets._holds(r, denied) is True
    assert facets._holds(r, denied, any_element=True) is False
    r = one({"public": True, "waiver": "no"})
    assert facets._holds(r, denied, any_element=True) is True


def test_a_value_left_out_is_read_as_the_default_the_data_gives_and_none_without_one() -> None:
    r = one({"retention": None})
    assert facets._holds(r, cond("retention", "min", 7, default=30, has_default=True)) is True
    assert facets._holds(r, cond("retention", "min", 7)) is False
    assert facets._holds(r, cond("retention", "is", None)) is True
    assert facets._holds(one({"l": []}), cond("l.*.x", "is", 1, default=1, has_default=True)) is True
    assert facets._holds(one({"l": []}), cond("l.*.x", "is", 1)) is False
    assert facets._holds(one({"l": []}), cond("l.*.x", "is", None)) is True


def test_a_wildcard_requirement_holds_for_every_element_and_a_wildcard_deny_fires_on_any() -> None:
    r = one({"l": [{"tls": "1.2"}, {"tls": "1.0"}]})
    c = cond("l.*.tls", "is", "1.2")
    assert facets._holds(r, c) is False
    assert facets._holds(r, c, any_element=True) is True
    assert facets._holds(one({"l": [{"tls": "1.0"}]}), c, any_element=True) is False


def test_a_value_unknown_at_plan_is_unknown_except_a_set_or_nonempty_test_of_a_configured_attribute() -> None:
    computed = one({"key": None, "name": None}, {"key": True, "name": True}, config={"key": {"references": ["aws_kms_key.k"]}})
    assert facets._holds(computed, cond("key", "set", True)) is True
    assert facets._holds(computed, cond("key", "nonempty", True)) is True
    assert facets._holds(computed, cond("name", "set", True)) is False  # computed, never written: the provider's empty default
    assert facets._holds(computed, cond("key", "is", "x")) is None
    assert facets._holds(computed, cond("name", "min", 1)) is None


def test_a_wildcard_over_a_list_unknown_at_plan_is_unknown() -> None:
    r = one({"rules": None}, {"rules": True})
    assert facets._holds(r, cond("rules.*.port", "is", 443)) is None
    assert facets._values(r, cond("rules.*.port", "is", 443)) is None
    known = one({"rules": [{"port": 1}, {"port": None}]}, {"rules": [{}, {"port": True}]})
    assert facets._values(known, cond("rules.*.port", "is", 443)) == [(1, False), (None, True)]
    assert facets._holds(known, cond("rules.*.port", "is", 443)) is None


def test_a_named_parameter_is_read_from_the_element_that_names_it() -> None:
    params = [{"name": "rds.force_ssl", "value": "1"}, {"name": "log_connections", "value": "0"}]
    r = one({"parameter": params})
    c = cond("parameter.*", "is", "1", param="rds.force_ssl")
    assert facets._values(r, c) == [("1", False)]
    assert facets._holds(r, c) is True
    assert facets._holds(r, cond("parameter.*", "is", "1", param="log_connections")) is False
    assert facets._values(r, cond("parameter.*", "is", "1", param="absent")) == []
    assert facets._holds(r, cond("parameter.*", "is", "1", param="absent", default="1", has_default=True)) is True
    keyed = one({"parameter": [{"key": "rds.force_ssl", "val": "1"}]})
    assert facets._values(keyed, cond("parameter.*", "is", "1", param="rds.force_ssl", name_key="key", value_key="val")) == [("1", False)]
    unknown = one({"parameter": None}, {"parameter": True})
    assert facets._values(unknown, c) is None
    assert facets._holds(unknown, c) is None
    computed_value = one({"parameter": [{"name": "rds.force_ssl", "value": None}]}, {"parameter": [{"value": True}]})
    assert facets._values(computed_value, c) == [(None, True)]


def test_the_actual_value_shown_is_the_value_the_list_or_each_alternative() -> None:
    r = one({"a": 1, "b": None, "l": [{"k": "x"}, {"k": "y"}]})
    assert facets._actual(r, cond("a", "is", 2)) == 1
    assert facets._actual(r, cond("missing", "is", 2)) is None
    assert facets._actual(r, cond("l.*.k", "is", "x")) == ["x", "y"]
    assert facets._actual(r, cond(None, None, any_of=(cond("a", "is", 2), cond("l.*.k", "is", "x"), cond("b", "set", True)))) == {
        "a": 1,
        "b": None,
    }
    assert facets._actual(r, cond(None, None, any_of=(cond("l.*.k", "is", "x"), cond("l.*.k", "is", "y")))) is None
    assert facets._actual(one({"rules": None}, {"rules": True}), cond("rules.*.p", "is", 1)) == []


# ---------------------------------------------------------------- a condition's finding
@pytest.mark.parametrize(
    ("condition", "deny", "what", "finding"),
    [
        (cond("a", "min", 7), False, "too few", ("a", FAIL, 5, "a >= 7", "too few")),
        (cond("a", "min", 5), False, "too few", ("a", PASS, 5, "a >= 5", "as required")),
        (cond("a", "is", 5), True, "five", ("a", FAIL, 5, "not a = 5", "five")),
        (cond("a", "is", 6), True, "six", ("a", PASS, 5, "not a = 6", "as required")),
        (cond("u", "is", 1), False, "x", ("u", UNKNOWN, "(known after apply)", "u = 1", "unknown at plan time")),
        (
            cond(None, None, any_of=(cond("b", "set", True), cond("a", "is", 6))),
            False,
            "neither",
            ("b", FAIL, {"a": 5, "b": None}, "b set or a = 6", "neither"),
        ),
    ],
)
def test_a_condition_finding_passes_fails_or_is_unknown_with_every_field_set(
    condition: Condition, deny: bool, what: str, finding: Row
) -> None:
    p = plan(resource("aws_thing.t", {"a": 5, "u": None}, {"u": True}))
    got = facets._condition_finding(ctx_of(p), p.resources[0], condition, deny=deny, what=what)
    assert row(got) == ("X9", "aws_thing.t", *finding)


def test_a_denied_setting_without_its_exception_fails_on_the_exception_attribute() -> None:
    p = plan(resource("aws_thing.t", {"public": True, "acl": "open"}))
    ctx, r = ctx_of(p), p.resources[0]
    c = cond("public", "is", True, unless=cond("acl", "is", "private"))
    assert row(facets._condition_finding(ctx, r, c, deny=True, what="it must not be public: public = True is not allowed")) == (
        "X9", "aws_thing.t", "acl", FAIL, "open", "acl = 'private'",
        "it must not be public: with public = True, acl = 'private' is required",
    )  # fmt: skip
    # a requirement whose exception fails is judged on its own path
    assert row(facets._condition_finding(ctx, r, cond("public", "is", False, unless=cond("acl", "is", "x")), deny=False, what="w")) == (
        "X9", "aws_thing.t", "public", FAIL, True, "public = False (unless acl = 'x')", "w",
    )  # fmt: skip


# ---------------------------------------------------------------- the closed world (C1) and coverage
def closed(*types: TypeClass) -> Classes:
    return Classes(provider_version="5.100.0", facets={}, lists={}, types={t.type: t for t in types})


def test_the_closed_world_names_unknown_inert_and_dependent_resources_and_skips_the_classed_ones() -> None:
    data = closed(
        TypeClass("aws_kms_key", ("keys",), {"key": Facet(name="key", control="K1")}),
        TypeClass("aws_glue", ("inert",), {}, reason="carries no data"),
        TypeClass("aws_kms_alias", ("dependent",), {}, covered_by=CoveredBy("aws_kms_key", "target_key_id")),
        TypeClass("aws_s3_policy", ("dependent",), {}, covered_by=CoveredBy("aws_s3_bucket", "policy", reverse=True)),
    )
    p = plan(
        resource("aws_kms_key.k", {"key_id": "k"}),
        resource("aws_glue.g", {}),
        resource("aws_mystery.m", {}),
        resource("aws_kms_alias.in_plan", {"target_key_id": None}),
        resource("aws_kms_alias.outside", {"target_key_id": "arn:aws:kms:eu-west-1:1:key/x"}),
        resource("aws_s3_policy.p", {"id": "pol"}),
        resource("aws_s3_bucket.b", {"policy": "pol"}),
        resource("aws_mystery.read", {}, mode="data"),
        config={"aws_kms_alias.in_plan": {"target_key_id": {"references": ["aws_kms_key.k.arn", "aws_kms_key.k"]}}},
    )
    classed, unassessed, of_plan = "a resource type classed in classes.yaml", "unassessed: no class knows this type", "of the plan"
    assert [row(f) for f in facets.closed_world(ctx_of(p, "C1"), data)] == [
        ("C1", "aws_glue.g", "type", NOT_APPLICABLE, "aws_glue", "classed", "inert: carries no data"),
        ("C1", "aws_mystery.m", "type", FAIL, "aws_mystery", classed, unassessed),
        ("C1", "aws_kms_alias.in_plan", "target_key_id", PASS, "aws_kms_key.k", f"a aws_kms_key {of_plan}", "judged through aws_kms_key.k"),
        ("C1", "aws_kms_alias.outside", "target_key_id", UNKNOWN, "arn:aws:kms:eu-west-1:1:key/x", f"a aws_kms_key {of_plan}",
         "its aws_kms_key is not in this plan"),
        ("C1", "aws_s3_policy.p", "policy", PASS, "aws_s3_bucket.b", f"a aws_s3_bucket {of_plan}", "judged through aws_s3_bucket.b"),
        ("C1", "aws_s3_bucket.b", "type", FAIL, "aws_s3_bucket", classed, unassessed),
    ]  # fmt: skip
    assert facets.coverage(p, data) == (5, 7, ["aws_mystery", "aws_s3_bucket"])


@pytest.mark.parametrize(
    ("actions", "after", "live"),
    [
        (["create"], {"a": 1}, True),
        (["no-op"], {"a": 1}, True),
        (["update"], {}, True),
        (["delete"], None, False),
        (["forget"], None, False),
        (["create", "forget"], {"a": 1}, False),  # kept in the state no longer: not managed after the plan
        (["delete", "create"], {"a": 1}, True),
        (["delete", "create"], {}, False),
        (["create", "delete"], None, False),
    ],
)
def test_only_managed_resources_that_exist_after_the_plan_are_live(actions: list[str], after: Any, live: bool) -> None:
    change = resource("aws_kms_key.k", after or {})
    change["change"] = {**change["change"], "actions": actions, "after": after}
    read = resource("data.aws_kms_key.d", {"a": 1}, mode="data")
    p = plan(change, read)
    assert [r.address for r in facets.live_managed(p)] == (["aws_kms_key.k"] if live else [])
    assert facets.coverage(p, classes.load())[1] == (1 if live else 0)


# ---------------------------------------------------------------- companions
def test_companions_are_found_by_reference_and_by_a_literal_id_bucket_arn_or_name_each_once() -> None:
    p = plan(
        resource("aws_s3_bucket.b", {"bucket": "logs", "arn": "arn:aws:s3:::logs", "id": "logs", "name": None}),
        resource("aws_s3_bucket.other", {"bucket": "other", "id": "other"}),
        resource("aws_pab.by_ref", {"bucket": None}),
        resource("aws_pab.by_name", {"bucket": "logs"}),
        resource("aws_pab.by_arn", {"bucket": ["x", "arn:aws:s3:::logs", ""]}),
        resource("aws_pab.blank", {"bucket": ""}),
        resource("aws_pab.elsewhere", {"bucket": "other"}),
        config={"aws_pab.by_ref": {"bucket": {"references": ["aws_s3_bucket.b.id", "aws_s3_bucket.b"]}}},
    )
    b = p.by_address["aws_s3_bucket.b"]
    assert [c.address for c in facets.companions(p, b, "aws_pab", "bucket")] == ["aws_pab.by_ref", "aws_pab.by_name", "aws_pab.by_arn"]
    assert [c.address for c in facets.companions(p, p.by_address["aws_s3_bucket.other"], "aws_pab", "bucket")] == ["aws_pab.elsewhere"]
    assert facets.companions(p, b, "aws_pab", "policy") == []
    assert facets.companions(p, b, "aws_none", "bucket") == []
    # another plan (same addresses, other values) is indexed on its own
    q = plan(resource("aws_s3_bucket.b", {"bucket": "logs", "id": "logs"}), resource("aws_pab.x", {"bucket": "logs"}))
    assert [c.address for c in facets.companions(q, q.by_address["aws_s3_bucket.b"], "aws_pab", "bucket")] == ["aws_pab.x"]


# ---------------------------------------------------------------- judging one resource through its facet
def test_a_target_of_an_exempting_companion_passes_as_exempt() -> None:
    facet = Facet(
        name="logging",
        control="L4",
        require=(cond("logging", "set", True),),
        options={"exempt_if_target_of": [{"type": "aws_s3_bucket_logging", "ref": "target_bucket", "why": "it is the log bucket"}]},
    )
    p = plan(
        resource("aws_s3_bucket.logs", {"bucket": "logs", "logging": None}),
        resource("aws_s3_bucket.data", {"bucket": "data", "logging": None}),
        resource("aws_s3_bucket_logging.l", {"bucket": "data", "target_bucket": "logs"}),
    )
    ctx = ctx_of(p, "L4")
    assert [row(f) for f in facets.judge(ctx, closed(), p.by_address["aws_s3_bucket.logs"], facet)] == [
        (
            "L4",
            "aws_s3_bucket.logs",
            "logging",
            PASS,
            "aws_s3_bucket_logging.l",
            "exempt",
            "logging: it is the log bucket (aws_s3_bucket_logging.l)",
        )
    ]
    assert [row(f) for f in facets.judge(ctx, closed(), p.by_address["aws_s3_bucket.data"], facet)] == [
        ("L4", "aws_s3_bucket.data", "logging", FAIL, None, "logging set", "it must log: logging set is required")
    ]


def test_through_companions_a_resource_without_one_fails_and_one_good_companion_is_enough() -> None:
    facet = Facet(name="logging", control="L6", via=Via("aws_flow_log", "vpc_id"), require=(cond("traffic_type", "is", "ALL"),))
    p = plan(
        resource("aws_vpc.bare", {"id": "vpc-1"}),
        resource("aws_vpc.v", {"id": "vpc-2"}),
        resource("aws_flow_log.reject", {"vpc_id": "vpc-2", "traffic_type": "REJECT"}),
        resource("aws_flow_log.all", {"vpc_id": "vpc-2", "traffic_type": "ALL"}),
        resource("aws_vpc.w", {"id": "vpc-3"}),
        resource("aws_flow_log.only_reject", {"vpc_id": "vpc-3", "traffic_type": "REJECT"}),
    )
    ctx = ctx_of(p, "L6")
    assert [row(f) for f in facets.judge(ctx, closed(), p.by_address["aws_vpc.bare"], facet)] == [
        ("L6", "aws_vpc.bare", "aws_flow_log", FAIL, None, "an aws_flow_log for this resource", "no aws_flow_log configures it")
    ]
    assert [row(f) for f in facets.judge(ctx, closed(), p.by_address["aws_vpc.v"], facet)] == [
        ("L6", "aws_vpc.v", "aws_flow_log.traffic_type", PASS, "ALL", "traffic_type = 'ALL'", "as required")
    ]
    assert [row(f) for f in facets.judge(ctx, closed(), p.by_address["aws_vpc.w"], facet)] == [
        (
            "L6",
            "aws_vpc.w",
            "aws_flow_log.traffic_type",
            FAIL,
            "REJECT",
            "traffic_type = 'ALL'",
            "it must log: traffic_type = 'ALL' is required",
        )
    ]


def test_a_public_setting_that_fails_on_a_companion_is_reported_where_it_is_fixed() -> None:
    facet = Facet(name="public", control="P1", via=Via("aws_pab", "bucket"), require=(cond("block", "is", True), cond("name", "set", True)))
    p = plan(resource("aws_s3_bucket.b", {"bucket": "b"}), resource("aws_pab.p", {"bucket": "b", "block": False, "name": "n"}))
    assert [row(f) for f in facets.judge(ctx_of(p, "P1"), closed(), p.by_address["aws_s3_bucket.b"], facet)] == [
        ("P1", "aws_pab.p", "block", FAIL, False, "block = True", "it must not be publicly reachable: block = True is required"),
        ("P1", "aws_s3_bucket.b", "aws_pab.name", PASS, "n", "name set", "as required"),
    ]


def test_a_covered_resource_gets_only_the_failures_the_class_adds_and_other_controls_facets_are_left_alone() -> None:
    facet = Facet(name="logging", control="L4", require=(cond("a", "is", 1), cond("b", "is", 1)))
    other = Facet(name="logging", control="L5", require=(cond("a", "is", 1),))
    data = closed(
        TypeClass("aws_thing", ("logging_sink",), {"logging": facet}), TypeClass("aws_other", ("logging_sink",), {"logging": other})
    )
    p = plan(resource("aws_thing.seen", {"a": 1, "b": 2}), resource("aws_thing.new", {"a": 1, "b": 2}), resource("aws_other.o", {"a": 2}))
    ctx = ctx_of(p, "L4")
    ctx.covered = {"aws_thing.seen"}
    assert [(f.address, f.attribute, f.status) for f in facets.facet_findings(ctx, data, "logging", "L4")] == [
        ("aws_thing.seen", "b", FAIL),
        ("aws_thing.new", "a", PASS),
        ("aws_thing.new", "b", FAIL),
    ]
    assert list(facets.facet_findings(ctx, data, "backup", "L4")) == []


def test_through_companions_only_the_first_good_one_is_reported() -> None:
    facet = Facet(name="logging", control="L6", via=Via("aws_flow_log", "vpc_id"), require=(cond("traffic_type", "is", "ALL"),))
    p = plan(
        resource("aws_vpc.v", {"id": "vpc-2"}),
        resource("aws_flow_log.a", {"vpc_id": "vpc-2", "traffic_type": "ALL"}),
        resource("aws_flow_log.b", {"vpc_id": "vpc-2", "traffic_type": "ALL"}),
    )
    assert [row(f) for f in facets.judge(ctx_of(p, "L6"), closed(), p.by_address["aws_vpc.v"], facet)] == [
        ("L6", "aws_vpc.v", "aws_flow_log.traffic_type", PASS, "ALL", "traffic_type = 'ALL'", "as required")
    ]


def test_a_companion_finding_without_an_attribute_is_named_by_the_companion_type() -> None:
    facet = Facet(name="logging", control="L6", via=Via("aws_flow_log", "vpc_id"))
    p = plan(resource("aws_vpc.v", {"id": "vpc-2"}), resource("aws_flow_log.a", {"vpc_id": "vpc-2"}))
    assert [row(f) for f in facets.judge(ctx_of(p, "L6"), closed(), p.by_address["aws_vpc.v"], facet)] == [
        ("L6", "aws_vpc.v", "aws_flow_log", FAIL, None, "a logging rule", "classes.yaml gives aws_flow_log an empty logging facet")
    ]


def test_a_stale_companion_index_of_another_plan_at_the_same_address_is_never_used() -> None:
    import weakref

    p = plan(resource("aws_s3_bucket.b", {"bucket": "logs"}), resource("aws_pab.real", {"bucket": "logs"}))
    other = plan(resource("aws_pab.stale", {"bucket": "logs"}))
    # what a freed plan whose id was reused would leave behind: an index of another plan under this plan's key
    facets._companions[(id(p), "aws_pab", "bucket")] = (weakref.ref(other), {"=logs": other.resources})
    assert [c.address for c in facets.companions(p, p.by_address["aws_s3_bucket.b"], "aws_pab", "bucket")] == ["aws_pab.real"]


def test_companions_ignore_identifying_values_that_are_not_text() -> None:
    p = plan(
        resource("aws_thing.t", {"id": 7, "bucket": ["b"], "arn": None, "name": "n"}),
        resource("aws_pab.by_number", {"bucket": 7}),
        resource("aws_pab.by_object", {"bucket": {"name": "n"}}),
        resource("aws_pab.by_name", {"bucket": "n"}),
    )
    assert [c.address for c in facets.companions(p, p.by_address["aws_thing.t"], "aws_pab", "bucket")] == ["aws_pab.by_name"]


def test_a_facet_that_only_denies_direct_attachment_judges_the_policy_not_an_empty_facet() -> None:
    facet = Facet(name="policy", control="I2", options={"deny_direct": True})
    p = plan(resource("aws_iam_user_policy_attachment.a", {"user": "alice"}))
    assert [row(f) for f in facets.judge(ctx_of(p, "I2"), closed(), p.resources[0], facet)] == [
        ("I2", "aws_iam_user_policy_attachment.a", "user", FAIL, "alice", "policies granted through groups or roles",
         "policy attached directly to a user (7.2.2)"),
    ]  # fmt: skip


def test_a_key_path_over_a_list_the_plan_marks_unknown_by_a_star_key_is_still_expanded() -> None:
    """A hostile plan may name a key "*" in after_unknown: a wildcard path is expanded over the values, never read as
    one unknown attribute."""
    p = plan(
        resource("aws_instance.i", {"ebs_block_device": []}, {"ebs_block_device": {"*": {"kms_key_id": True}}}),
        config={"aws_instance.i": {"ami": {"constant_value": "ami-1"}}},
    )
    assert [row(f) for f in facets._cmk(ctx_of(p, "E8"), p.resources[0], "ebs_block_device.*.kms_key_id")] == [
        ("E8", "aws_instance.i", "ebs_block_device.*.kms_key_id", FAIL, None, "a customer-managed aws_kms_key",
         "no customer-managed key (none configured)"),
    ]  # fmt: skip


def test_an_exception_message_keeps_the_statement_whole_when_the_denied_value_holds_a_colon() -> None:
    p = plan(resource("aws_thing.t", {"role": "arn:aws:iam::aws:policy/AdministratorAccess", "boundary": None}))
    c = cond("role", "is", "arn:aws:iam::aws:policy/AdministratorAccess", unless=cond("boundary", "set", True))
    got = facets._condition_finding(ctx_of(p), p.resources[0], c, deny=True, what=f"no admin: {facets._describe(c, False)} is not allowed")
    assert got.message == "no admin: with role = 'arn:aws:iam::aws:policy/AdministratorAccess', boundary set is required"


def test_a_deny_of_any_alternative_fires_on_one_element_of_a_wildcard_alternative() -> None:
    r = one({"listeners": [{"protocol": "HTTPS"}, {"protocol": "HTTP"}], "plain": False})
    c = cond(None, None, any_of=(cond("listeners.*.protocol", "is", "HTTP"), cond("plain", "is", True)))
    assert facets._holds(r, c, any_element=True) is True
    assert facets._holds(r, c) is False


def test_a_nested_attribute_computed_at_apply_is_set_when_its_block_is_configured() -> None:
    r = one({"logging": [{"bucket": None}]}, {"logging": [{"bucket": True}]}, config={"logging": [{"bucket": {"references": ["x"]}}]})
    assert facets._holds(r, cond("logging.0.bucket", "set", True)) is True
    assert (
        facets._holds(one({"logging": [{"bucket": None}]}, {"logging": [{"bucket": True}]}), cond("logging.0.bucket", "set", True)) is False
    )


def test_every_element_is_read_after_one_computed_at_apply() -> None:
    r = one({"rules": [{"target": None}, {"target": ""}]}, {"rules": [{"target": True}, {}]}, config={"rules": [{}, {}]})
    assert facets._holds(r, cond("rules.*.target", "set", True)) is False
    ok = one({"rules": [{"target": None}, {"target": "t"}]}, {"rules": [{"target": True}, {}]}, config={"rules": [{}, {}]})
    assert facets._holds(ok, cond("rules.*.target", "set", True)) is True


def test_a_list_unknown_at_plan_is_unknown_whatever_letters_its_name_ends_with() -> None:
    r = one({"boX": None}, {"boX": True})
    assert facets._values(r, cond("boX.*.a", "is", 1)) is None


@pytest.mark.parametrize(
    ("node", "path", "paths"),
    [
        ({"l": [{"m": [{"k": 1}, {"k": 2}]}]}, "l.0.m.*.k", ["l.0.m.0.k", "l.0.m.1.k"]),
        ({"a": 5}, "a.b.c", ["a.b.c"]),
    ],
)
def test_an_indexed_element_is_expanded_further_and_a_scalar_keeps_the_rest_of_the_path(node: Any, path: str, paths: list[str]) -> None:
    assert list(facets._expand(node, path.split("."), "")) == paths


def test_a_condition_without_a_path_names_no_attribute_and_without_an_operator_reads_as_set() -> None:
    assert facets._first_path(Condition(path=None, operator=None)) == ""
    assert facets._describe(Condition(path="a", operator=None), False) == "a set"


def test_a_document_other_than_policy_computed_at_apply_is_rebuilt_from_its_own_attribute() -> None:
    trust = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}'
    p = plan(
        resource("aws_iam_role.r", {"name": "r", "policy": None}, {"assume_role_policy": True}),
        resource("data.aws_iam_policy_document.d", {"json": trust}, mode="data"),
        config={
            "aws_iam_role.r": {
                "assume_role_policy": {"references": ["data.aws_iam_policy_document.d.json", "data.aws_iam_policy_document.d"]}
            }
        },
    )
    expected = "no Allow of * on *, no Allow to Principal * without a Condition"
    assert row(facets._document(ctx_of(p, "I1"), p.by_address["aws_iam_role.r"], "assume_role_policy")) == (
        "I1", "aws_iam_role.r", "assume_role_policy", PASS, "no wildcard grants (rebuilt from configuration)", expected, "as required",
    )  # fmt: skip
