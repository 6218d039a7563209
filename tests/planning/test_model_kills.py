"""What a user sees of the plan model: summaries, error lines naming the file, and references followed
through nested modules, instance keys, for_each values and up to the depth limit.

Synthetic plans small enough to say exactly which resource an attribute points to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tapguard.planning import model

LIMIT = 32  # hops _follow takes before it reports a chain as unresolved


def change(address: str, actions: tuple[str, ...] = ("create",), index: Any = None, module: str = "") -> dict[str, Any]:
    """A resource change as terraform writes it; type and name read from the address."""
    parts = model.strip_indexes(address).split(".")
    while parts[0] == "module":
        parts = parts[2:]
    entry: dict[str, Any] = {
        "address": address,
        "mode": "data" if parts[0] == "data" else "managed",
        "type": parts[-2],
        "name": parts[-1],
        "change": {"actions": list(actions), "after": {}},
    }
    if index is not None:
        entry["index"] = index
    if module:
        entry["module_address"] = module
    return entry


def plan(changes: list[dict[str, Any]], root: dict[str, Any] | None = None) -> model.Plan:
    return model.from_dict({"format_version": "1.2", "resource_changes": changes, "configuration": {"root_module": root or {}}})


def refs(*names: str) -> dict[str, Any]:
    return {"references": list(names)}


# ---------------------------------------------------------------- summary
def test_summary_counts_every_change_and_destroy_after_a_data_source() -> None:
    p = plan(
        [
            change("data.aws_region.here", ("read",)),
            change("aws_vpc.a", ("update",)),
            change("aws_vpc.b", ("update",)),
            change("aws_vpc.c", ("update",)),
            change("aws_vpc.d", ("delete",)),
            change("aws_vpc.e", ("delete",)),
            change("aws_vpc.f"),
        ]
    )
    assert p.summary() == {"add": 1, "change": 3, "destroy": 2, "replace": 0}


# ---------------------------------------------------------------- loading
def test_a_bad_plan_given_as_bytes_is_named_by_the_name_given(tmp_path: Path) -> None:
    with pytest.raises(model.PlanError) as caught:
        model.parse(b"{not json", "plans/prod.json")
    assert str(caught.value).startswith("plans/prod.json: ")
    with pytest.raises(model.PlanError) as caught:
        model.parse(b'{"resource_changes": []}', "plans/stage.json")
    assert str(caught.value) == "plans/stage.json: no format_version; not the output of `terraform show -json`"


def test_a_bad_plan_file_is_named_by_its_path(tmp_path: Path) -> None:
    bad = tmp_path / "prod.json"
    bad.write_bytes(b'{"format_version": "9.0", "resource_changes": []}')
    with pytest.raises(model.PlanError) as caught:
        model.load(bad)
    assert str(caught.value) == f"{bad}: format_version 9.0 is not supported (tapguard reads 0.1, 0.2 and 1.x)"


def test_a_plan_parsed_from_bytes_keeps_the_path_it_came_from(tmp_path: Path) -> None:
    raw = b'{"format_version": "1.2", "resource_changes": []}'
    origin = tmp_path / "plan.json"
    assert model.parse(raw, "plan.json", origin).path == origin
    assert model.parse(raw, "plan.json").path is None


# ---------------------------------------------------------------- module configuration
def test_a_module_block_is_looked_up_once_even_one_the_configuration_lacks() -> None:
    p = plan([], {"module_calls": {"kms": {"module": {"outputs": {}}}}})
    missing = p.module_config("module.none")
    assert missing == {} and p.module_config("module.none") is missing
    assert p.module_config("module.kms") == {"outputs": {}}


# ---------------------------------------------------------------- references in one module
def test_every_reference_of_an_expression_is_followed_whatever_comes_first() -> None:
    root = {
        "resources": [
            {
                "address": "aws_rds_cluster.db",
                "expressions": {
                    "after_var": refs("var.region", "aws_kms_key.k.arn"),
                    "after_bare_module": refs("module.kms", "aws_kms_key.k"),
                    "two": refs("aws_kms_key.k.arn", "aws_s3_bucket.b.id", "var.region"),
                    "policy": refs("data.aws_iam_policy_document.p.json", "data.aws_iam_policy_document.p"),
                },
            }
        ],
        "module_calls": {"kms": {"module": {}}},
    }
    p = plan(
        [
            change("aws_rds_cluster.db"),
            change("aws_kms_key.k"),
            change("aws_s3_bucket.b"),
            change("data.aws_iam_policy_document.p", ("read",)),
        ],
        root,
    )
    db = p.by_address["aws_rds_cluster.db"]
    assert db.references("after_var") == model.Reference(("aws_kms_key.k",), ("region",))
    assert db.references("after_bare_module") == model.Reference(("aws_kms_key.k",))
    assert db.references("two") == model.Reference(("aws_kms_key.k", "aws_s3_bucket.b"), ("region",))
    assert db.references("policy") == model.Reference(("data.aws_iam_policy_document.p",))


def test_each_count_path_terraform_and_self_point_to_nothing() -> None:
    root = {
        "resources": [
            {
                "address": "aws_s3_bucket.b",
                "count_expression": refs("var.n"),
                "expressions": {"bucket": refs("count.index", "terraform.workspace", "path.root", "self.arn", "each.key")},
            }
        ]
    }
    p = plan([change("aws_s3_bucket.b[0]", index=0)], root)
    assert p.resources[0].references("bucket") == model.Reference(())


def test_a_local_is_reported_as_written_inside_a_module() -> None:
    module = {"resources": [{"address": "aws_kms_key.k", "expressions": {"d": refs('local.names["a"]', "local.names")}}]}
    p = plan([change("module.m.aws_kms_key.k", module="module.m")], {"module_calls": {"m": {"module": module}}})
    assert p.resources[0].references("d") == model.Reference((), (), ('local.names["a"]',))


def test_a_resource_called_value_is_not_taken_for_each_value() -> None:
    root = {"resources": [{"address": "aws_rds_cluster.db", "expressions": {"password": refs("aws_ssm_parameter.value.value")}}]}
    p = plan([change("aws_rds_cluster.db"), change("aws_ssm_parameter.value")], root)
    assert p.by_address["aws_rds_cluster.db"].references("password") == model.Reference(("aws_ssm_parameter.value",))


def test_each_key_is_not_the_for_each_collection() -> None:
    root = {
        "resources": [
            {
                "address": "aws_kms_alias.a",
                "for_each_expression": refs("aws_kms_key.k"),
                "expressions": {"name": refs("each.key"), "bare": refs("each")},
            }
        ]
    }
    p = plan([change("aws_kms_key.k"), change('aws_kms_alias.a["x"]', index="x")], root)
    assert p.by_address['aws_kms_alias.a["x"]'].references("name") == model.Reference(())
    assert p.by_address['aws_kms_alias.a["x"]'].references("bare") == model.Reference(())


def test_an_index_inside_each_value_picks_that_instance() -> None:
    """for_each = { primary = { keys = aws_kms_key.k } }; target_key_id = each.value.keys[1].id (as terraform 1.11 writes it)."""
    root = {
        "resources": [
            {"address": "aws_kms_key.k", "count_expression": refs("var.n")},
            {
                "address": "aws_kms_alias.a",
                "for_each_expression": refs("aws_kms_key.k"),
                "expressions": {"target_key_id": refs("each.value.keys[1].id", "each.value.keys[1]", "each.value.keys", "each.value")},
            },
        ]
    }
    keys = [change("aws_kms_key.k[0]", index=0), change("aws_kms_key.k[1]", index=1)]
    p = plan([*keys, change('aws_kms_alias.a["primary"]', index="primary")], root)
    assert p.by_address['aws_kms_alias.a["primary"]'].references("target_key_id") == model.Reference(("aws_kms_key.k[1]",))


def test_each_value_indexed_directly_is_followed() -> None:
    """for_each = { primary = aws_kms_key.k }; target_key_id = each.value[0].id (as terraform 1.11 writes it)."""
    root = {
        "resources": [
            {"address": "aws_kms_key.k", "count_expression": refs("var.n")},
            {
                "address": "aws_kms_alias.a",
                "for_each_expression": refs("aws_kms_key.k"),
                "expressions": {"target_key_id": refs("each.value[0].id", "each.value[0]", "each.value")},
            },
        ]
    }
    keys = [change("aws_kms_key.k[0]", index=0), change("aws_kms_key.k[1]", index=1)]
    p = plan([*keys, change('aws_kms_alias.a["primary"]', index="primary")], root)
    assert p.by_address['aws_kms_alias.a["primary"]'].references("target_key_id") == model.Reference(("aws_kms_key.k[0]",))


# ---------------------------------------------------------------- instance keys
def test_own_instance_keys_narrow_only_with_each_key_or_count_index() -> None:
    root = {
        "resources": [
            {"address": "aws_kms_key.k", "for_each_expression": refs("var.names")},
            {"address": "aws_subnet.s", "count_expression": refs("var.n")},
            {"address": "aws_rds_cluster.db", "expressions": {"kms_key_id": refs("aws_kms_key.one", "aws_kms_key.k")}},
            {"address": "aws_s3_bucket.b", "for_each_expression": refs("var.names"), "expressions": {"key": refs("aws_kms_key.k.arn")}},
            {
                "address": "aws_kms_alias.a",
                "for_each_expression": refs("var.names"),
                "expressions": {"target_key_id": refs("aws_kms_key.k", "each.key", "var.region", "local.prefix")},
            },
            {
                "address": "aws_route_table_association.r",
                "count_expression": refs("var.n"),
                "expressions": {"subnet_id": refs("aws_subnet.s.id", "count.index")},
            },
        ]
    }
    p = plan(
        [
            change("aws_kms_key.one"),
            change('aws_kms_key.k["x"]', index="x"),
            change('aws_kms_key.k["y"]', index="y"),
            change("aws_subnet.s[0]", index=0),
            change("aws_subnet.s[1]", index=1),
            change("aws_rds_cluster.db"),
            change('aws_s3_bucket.b["x"]', index="x"),
            change('aws_kms_alias.a["x"]', index="x"),
            change("aws_route_table_association.r[1]", index=1),
        ],
        root,
    )
    both = ('aws_kms_key.k["x"]', 'aws_kms_key.k["y"]')
    assert p.by_address["aws_rds_cluster.db"].references("kms_key_id") == model.Reference((*both, "aws_kms_key.one"))
    assert p.by_address['aws_s3_bucket.b["x"]'].references("key") == model.Reference(both)
    assert p.by_address['aws_kms_alias.a["x"]'].references("target_key_id") == model.Reference(
        ('aws_kms_key.k["x"]',), ("region",), ("local.prefix",)
    )
    assert p.by_address["aws_route_table_association.r[1]"].references("subnet_id") == model.Reference(("aws_subnet.s[1]",))


def test_each_key_narrows_to_the_instance_of_the_same_module_only() -> None:
    module = {
        "resources": [
            {"address": "aws_kms_key.k", "for_each_expression": refs("var.names")},
            {
                "address": "aws_kms_alias.a",
                "for_each_expression": refs("var.names"),
                "expressions": {"own": refs("aws_kms_key.k", "each.key")},
            },
            {"address": "aws_kms_alias.b", "for_each_expression": refs("var.names"), "expressions": {"root": refs("var.keys", "each.key")}},
        ]
    }
    root = {
        "resources": [{"address": "aws_kms_key.k"}],
        "module_calls": {"m": {"expressions": {"keys": refs("aws_kms_key.k")}, "module": module}},
    }
    p = plan(
        [
            change('aws_kms_key.k["x"]', index="x"),
            change('aws_kms_key.k["y"]', index="y"),
            change('module.m.aws_kms_key.k["x"]', index="x", module="module.m"),
            change('module.m.aws_kms_key.k["y"]', index="y", module="module.m"),
            change('module.m.aws_kms_alias.a["x"]', index="x", module="module.m"),
            change('module.m.aws_kms_alias.b["x"]', index="x", module="module.m"),
        ],
        root,
    )
    assert p.by_address['module.m.aws_kms_alias.a["x"]'].references("own") == model.Reference(('module.m.aws_kms_key.k["x"]',))
    assert p.by_address['module.m.aws_kms_alias.b["x"]'].references("root") == model.Reference(('aws_kms_key.k["x"]', 'aws_kms_key.k["y"]'))


def test_a_key_on_a_module_variable_picks_the_instance_the_caller_passed() -> None:
    """module m { keys = aws_kms_key.k }; inside: kms_key_id = var.keys["y"].arn"""
    module = {
        "resources": [
            {"address": "aws_rds_cluster.db", "expressions": {"kms_key_id": refs('var.keys["y"].arn', 'var.keys["y"]', "var.keys")}}
        ]
    }
    root = {"module_calls": {"m": {"expressions": {"keys": refs("aws_kms_key.k")}, "module": module}}}
    keys = [change('aws_kms_key.k["x"]', index="x"), change('aws_kms_key.k["y"]', index="y")]
    p = plan([*keys, change("module.m.aws_rds_cluster.db", module="module.m")], root)
    assert p.by_address["module.m.aws_rds_cluster.db"].references("kms_key_id") == model.Reference(('aws_kms_key.k["y"]',))


# ---------------------------------------------------------------- nested modules
def test_references_pass_through_two_levels_of_modules_both_ways() -> None:
    """root: module app { key = aws_kms_key.root }; app: module db { key = var.key }, output key = module.db.key;
    db: aws_rds_cluster.c.kms_key_id = var.key, aws_kms_key.k, output key = aws_kms_key.k.arn"""
    db = {
        "resources": [{"address": "aws_kms_key.k"}, {"address": "aws_rds_cluster.c", "expressions": {"kms_key_id": refs("var.key")}}],
        "outputs": {"key": {"expression": refs("aws_kms_key.k.arn", "aws_kms_key.k")}},
    }
    app = {
        "module_calls": {"db": {"expressions": {"key": refs("var.key")}, "module": db}},
        "outputs": {"key": {"expression": refs("module.db.key", "module.db")}},
    }
    root = {
        "resources": [{"address": "aws_s3_bucket.b", "expressions": {"kms_master_key_id": refs("module.app.key", "module.app")}}],
        "module_calls": {"app": {"expressions": {"key": refs("aws_kms_key.root.arn", "aws_kms_key.root")}, "module": app}},
    }
    nested = "module.app.module.db"
    p = plan(
        [
            change("aws_kms_key.root"),
            change("aws_s3_bucket.b"),
            change(f"{nested}.aws_kms_key.k", module=nested),
            change(f"{nested}.aws_rds_cluster.c", module=nested),
        ],
        root,
    )
    assert p.by_address[f"{nested}.aws_rds_cluster.c"].references("kms_key_id") == model.Reference(("aws_kms_key.root",))
    assert p.by_address["aws_s3_bucket.b"].references("kms_master_key_id") == model.Reference((f"{nested}.aws_kms_key.k",))


def variable_chain(levels: int) -> model.Plan:
    """module m nested `levels` deep, each passing var.key down; the root passes aws_kms_key.k; the innermost uses var.key."""
    inner: dict[str, Any] = {"resources": [{"address": "aws_rds_cluster.db", "expressions": {"kms_key_id": refs("var.key")}}]}
    for level in range(levels):
        passed = refs("aws_kms_key.k.arn", "aws_kms_key.k") if level == levels - 1 else refs("var.key")
        inner = {"module_calls": {"m": {"expressions": {"key": passed}, "module": inner}}}
    inner["resources"] = [{"address": "aws_kms_key.k"}]
    deep = ".".join(["module.m"] * levels)
    return plan([change("aws_kms_key.k"), change(f"{deep}.aws_rds_cluster.db", module=deep)], inner)


def output_chain(levels: int) -> model.Plan:
    """module m nested `levels` deep, each output key = module.m.key; the innermost output is its aws_kms_key.k."""
    inner: dict[str, Any] = {"resources": [{"address": "aws_kms_key.k"}], "outputs": {"key": {"expression": refs("aws_kms_key.k.arn")}}}
    for _ in range(levels - 1):
        inner = {"module_calls": {"m": {"module": inner}}, "outputs": {"key": {"expression": refs("module.m.key", "module.m")}}}
    root = {
        "resources": [{"address": "aws_s3_bucket.b", "expressions": {"key": refs("module.m.key", "module.m")}}],
        "module_calls": {"m": {"module": inner}},
    }
    deep = ".".join(["module.m"] * levels)
    return plan([change("aws_s3_bucket.b"), change(f"{deep}.aws_kms_key.k", module=deep)], root)


def each_value_chain(levels: int) -> model.Plan:
    """variable_chain, but the innermost resource iterates over var.key and uses each.value.arn."""
    p = variable_chain(levels)
    node = p.data["configuration"]["root_module"]
    for _ in range(levels):
        node = node["module_calls"]["m"]["module"]
    node["resources"] = [
        {
            "address": "aws_kms_alias.a",
            "for_each_expression": refs("var.key"),
            "expressions": {"target": refs("each.value.arn", "each.value")},
        }
    ]
    deep = ".".join(["module.m"] * levels)
    return plan(
        [change("aws_kms_key.k"), change(f'{deep}.aws_kms_alias.a["x"]', index="x", module=deep)], p.data["configuration"]["root_module"]
    )


def test_a_variable_chain_is_followed_to_the_limit_and_reported_past_it() -> None:
    at_limit, past = variable_chain(LIMIT), variable_chain(LIMIT + 1)
    assert at_limit.resources[1].references("kms_key_id") == model.Reference(("aws_kms_key.k",))
    assert past.resources[1].references("kms_key_id") == model.Reference((), (), ("aws_kms_key.k", "aws_kms_key.k.arn"))


def test_an_output_chain_is_followed_to_the_limit_and_reported_past_it() -> None:
    at_limit, past = output_chain(LIMIT), output_chain(LIMIT + 1)
    deep = ".".join(["module.m"] * LIMIT)
    assert at_limit.by_address["aws_s3_bucket.b"].references("key") == model.Reference((f"{deep}.aws_kms_key.k",))
    assert past.by_address["aws_s3_bucket.b"].references("key") == model.Reference((), (), ("aws_kms_key.k.arn",))


def test_each_value_counts_as_one_step_of_the_chain() -> None:
    at_limit, past = each_value_chain(LIMIT - 1), each_value_chain(LIMIT)
    assert at_limit.resources[1].references("target") == model.Reference(("aws_kms_key.k",))
    assert past.resources[1].references("target") == model.Reference((), (), ("aws_kms_key.k", "aws_kms_key.k.arn"))


def test_a_module_named_module_is_a_module_like_any_other() -> None:
    """root: module "module" { key = aws_kms_key.root }; inside it: module x { key = var.key }; x: kms_key_id = var.key"""
    x = {"resources": [{"address": "aws_rds_cluster.db", "expressions": {"kms_key_id": refs("var.key")}}]}
    outer = {"module_calls": {"x": {"expressions": {"key": refs("var.key")}, "module": x}}}
    root = {"module_calls": {"module": {"expressions": {"key": refs("aws_kms_key.root")}, "module": outer}}}
    nested = "module.module.module.x"
    p = plan([change("aws_kms_key.root"), change(f"{nested}.aws_rds_cluster.db", module=nested)], root)
    assert p.by_address[f"{nested}.aws_rds_cluster.db"].references("kms_key_id") == model.Reference(("aws_kms_key.root",))


def test_an_instance_key_is_read_without_its_quotes_only() -> None:
    root = {"resources": [{"address": "aws_rds_cluster.db", "expressions": {"kms_key_id": refs('aws_kms_key.k["XX"].arn')}}]}
    keys = [change('aws_kms_key.k["XX"]', index="XX"), change('aws_kms_key.k["Y"]', index="Y")]
    p = plan([*keys, change("aws_rds_cluster.db")], root)
    assert p.by_address["aws_rds_cluster.db"].references("kms_key_id") == model.Reference(('aws_kms_key.k["XX"]',))


def test_a_document_without_a_name_is_called_plan_in_its_error(tmp_path: Path) -> None:
    with pytest.raises(model.PlanError) as caught:
        model.from_dict({"resource_changes": []})
    assert str(caught.value) == "<plan>: no format_version; not the output of `terraform show -json`"
    with pytest.raises(model.PlanError) as caught:
        model.from_dict({"resource_changes": []}, "prod")
    assert str(caught.value).startswith("prod: ")
    origin = tmp_path / "plan.json"
    assert model.from_dict({"format_version": "1.2", "resource_changes": []}, "prod", origin).path == origin


def test_a_change_without_mode_or_name_is_a_managed_resource_with_no_name() -> None:
    bare = {"address": "aws_vpc.main", "type": "aws_vpc", "change": {"actions": ["delete"]}}
    p = model.from_dict({"format_version": "1.2", "resource_changes": [bare]})
    vpc = p.resources[0]
    assert (vpc.mode, vpc.name, vpc.config_address, vpc.module, vpc.index) == ("managed", "", "aws_vpc.", "", None)
    assert p.summary() == {"add": 0, "change": 0, "destroy": 1, "replace": 0}


def test_prior_state_adds_only_data_sources_the_changes_lack() -> None:
    """A data source read at plan time is only in prior_state; one read at apply time is in both (the change wins);
    a managed resource of the state that the plan does not touch is not a resource of the plan."""
    state = [
        {"address": "aws_vpc.untouched", "mode": "managed", "type": "aws_vpc", "name": "untouched", "values": {"id": "vpc-1"}},
        {"address": "data.aws_region.here", "mode": "data", "type": "aws_region", "name": "here", "values": {"name": "prior"}},
        {"address": "data.aws_caller_identity.me", "mode": "data", "type": "aws_caller_identity", "name": "me", "values": {}},
        {"address": "data.bare", "mode": "data"},
    ]
    applied = change("data.aws_region.here", ("read",))
    applied["change"]["after"] = {"name": "planned"}
    p = model.from_dict(
        {
            "format_version": "1.2",
            "resource_changes": [applied],
            "prior_state": {"values": {"root_module": {"resources": state}}},
        }
    )
    assert [r.address for r in p.resources] == ["data.aws_region.here", "data.aws_caller_identity.me", "data.bare"]
    assert p.by_address["data.aws_region.here"].get("name") == "planned"
    me, bare = p.by_address["data.aws_caller_identity.me"], p.by_address["data.bare"]
    assert (me.mode, me.type, me.name, me.actions, me.after, me.after_unknown, me.after_sensitive) == (
        "data",
        "aws_caller_identity",
        "me",
        ("read",),
        {},
        {},
        {},
    )
    assert (bare.type, bare.name, bare.config_address) == ("", "", "data..")


def test_a_configuration_block_without_an_address_belongs_to_no_resource() -> None:
    """Hostile: module_address "module" makes config addresses such as "module.m.None"; an address-less block in module m
    must not be taken for them."""
    blank = {"expressions": {"kms_key_id": refs("aws_kms_key.k")}}
    root = {"resources": [blank], "module_calls": {"m": {"module": {"resources": [blank]}}}}
    odd = [
        {"address": f"module.m.{name}", "module_address": "module", "type": "m", "name": name, "change": {"actions": ["create"]}}
        for name in ("None", "XXXX")
    ]
    p = plan([*odd, change("aws_vpc.a"), change("aws_kms_key.k")], root)
    assert [r.config_address for r in p.resources[:2]] == ["module.m.None", "module.m.XXXX"]
    assert [r.config for r in p.resources] == [{}, {}, {}, {}]
