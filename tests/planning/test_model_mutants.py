"""The plan model at its edges: addresses, actions, paths into values, and references followed through modules.

Synthetic plans (no fixtures) small enough to say exactly which resource an attribute points to.
"""

from __future__ import annotations

from typing import Any

import pytest

from tapguard.planning import model


def rc(address: str, after: dict[str, Any] | None = None, actions: tuple[str, ...] = ("create",), **extra: Any) -> dict[str, Any]:
    """A resource change; the module goes in `module_address` (as terraform writes it), unknown/sensitive as keywords."""
    parts = model.strip_indexes(address).split(".")
    while parts[0] == "module":
        parts = parts[2:]
    mode = "data" if parts[0] == "data" else "managed"
    kind, name = parts[-2:]
    unknown, sensitive = extra.pop("unknown", {}), extra.pop("sensitive", {})
    change = {"actions": list(actions), "after": after or {}, "after_unknown": unknown, "after_sensitive": sensitive}
    return {"address": address, "mode": mode, "type": kind, "name": name, "change": change, **extra}


def plan(changes: list[dict[str, Any]], root: dict[str, Any] | None = None, **data: Any) -> model.Plan:
    return model.from_dict({"format_version": "1.2", "resource_changes": changes, "configuration": {"root_module": root or {}}, **data})


def test_config_address_drops_instance_keys_and_marks_data_sources() -> None:
    p = plan(
        [
            rc('module.kms.aws_kms_key.this["aurora"]', index="aurora", module_address="module.kms"),
            rc('module.net["a"].aws_subnet.private[0]', index=0, module_address='module.net["a"]'),
            rc("aws_vpc.main"),
            rc("data.aws_iam_policy_document.x", actions=("read",)),
        ]
    )
    addresses = {r.address: r.config_address for r in p.resources}
    assert addresses == {
        'module.kms.aws_kms_key.this["aurora"]': "module.kms.aws_kms_key.this",
        'module.net["a"].aws_subnet.private[0]': "module.net.aws_subnet.private",
        "aws_vpc.main": "aws_vpc.main",
        "data.aws_iam_policy_document.x": "data.aws_iam_policy_document.x",
    }
    assert p.instances_of("module.kms.aws_kms_key.this")[0].index == "aurora"
    assert p.instances_of("module.kms.aws_kms_key.other") == []


@pytest.mark.parametrize(
    ("actions", "deleted"),
    [
        (("delete",), True),
        (("forget",), True),
        (("delete", "create"), False),
        (("create", "delete"), False),
        (("forget", "create"), False),
        (("create", "forget"), False),
        (("update",), False),
        (("no-op",), False),
        (("read",), False),
    ],
)
def test_deleted_means_gone_after_the_plan(actions: tuple[str, ...], deleted: bool) -> None:
    p = plan([rc("aws_vpc.main", actions=actions)])
    assert p.resources[0].deleted is deleted
    assert (p.of_type("aws_vpc") == []) is deleted
    assert (p.of_type("aws_vpc", "aws_subnet") == []) is deleted


def test_summary_counts_each_kind_of_change_of_managed_resources() -> None:
    p = plan(
        [
            rc("aws_vpc.a"),
            rc("aws_vpc.b"),
            rc("aws_vpc.c", actions=("update",)),
            rc("aws_vpc.d", actions=("delete",)),
            rc("aws_vpc.e", actions=("delete", "create")),
            rc("aws_vpc.f", actions=("create", "delete")),
            rc("aws_vpc.g", actions=("forget",)),
            rc("aws_vpc.h", actions=("no-op",)),
            {**rc("aws_vpc.i"), "mode": "data"},
        ]
    )
    assert p.summary() == {"add": 2, "change": 1, "destroy": 1, "replace": 2, "forget": 1}
    assert plan([rc("aws_vpc.a", actions=("forget",)), rc("aws_vpc.b", actions=("forget",))]).summary()["forget"] == 2
    assert plan([]).summary() == {"add": 0, "change": 0, "destroy": 0, "replace": 0}


def test_of_type_filters_type_mode_and_deleted() -> None:
    p = plan([rc("aws_vpc.a"), rc("aws_subnet.b"), rc("aws_subnet.c", actions=("delete",)), {**rc("aws_vpc.d"), "mode": "data"}])
    assert [r.address for r in p.of_type("aws_vpc", "aws_subnet")] == ["aws_vpc.a", "aws_subnet.b"]
    assert [r.address for r in p.of_type("aws_vpc", "aws_subnet", mode="data")] == ["aws_vpc.d"]
    assert [r.address for r in p.of_type("aws_vpc", mode="data")] == ["aws_vpc.d"]
    assert [r.address for r in p.of_type("aws_subnet")] == ["aws_subnet.b"]


def test_values_unknowns_and_sensitives_by_dotted_path() -> None:
    after = {"settings": [{"level": "INFO", "n": 0}], "tags": {"Name": "vpc-a"}, "flag": False, "empty": None}
    unknown = {"arn": True, "settings": [{"level": False}], "parts": [True]}
    p = plan([rc("aws_vpc.a", after, unknown=unknown, sensitive={"password": True, "list": [True]})])
    r = p.resources[0]
    assert r.get("settings.0.level") == "INFO" and r.get("settings.0.n") == 0 and r.get("tags.Name") == "vpc-a"
    assert r.get("settings.1.level") is None and r.get("settings.x") is None and r.get("tags.Other", "d") == "d"
    assert r.get("tags.Name.more") is None and r.get("") == after and r.get("settings.-1") is None
    assert r.is_unknown("arn") and not r.is_unknown("settings") and not r.is_unknown("settings.0.level") and not r.is_unknown("x")
    assert r.is_unknown("parts.0")
    assert r.is_sensitive("password") and r.is_sensitive("list.0") and not r.is_sensitive("list") and not r.is_sensitive("flag")
    assert r.has("flag") and r.has("arn") and not r.has("empty") and not r.has("missing") and r.has("settings.0.n")


def test_region_and_version_come_from_the_document() -> None:
    provider = {"provider_config": {"aws": {"expressions": {"region": {"constant_value": "eu-west-1"}}}}}
    p = model.from_dict({"format_version": "1.2", "resource_changes": [], "terraform_version": "1.11.0", "configuration": provider})
    assert (p.region, p.terraform_version) == ("eu-west-1", "1.11.0")
    assert plan([]).terraform_version == "?" and plan([]).region is None
    bare = model.from_dict(
        {
            "format_version": "1.2",
            "resource_changes": [],
            "configuration": {"provider_config": {"aws": {"expressions": {"region": {"references": ["var.r"]}}}}},
        }
    )
    assert bare.region is None
    empty = model.from_dict(
        {
            "format_version": "1.2",
            "resource_changes": [],
            "configuration": {"provider_config": {"aws": {"expressions": {"region": {"constant_value": ""}}}}},
        }
    )
    assert empty.region is None


def test_read_data_sources_come_from_prior_state_once() -> None:
    prior = {
        "values": {
            "root_module": {
                "resources": [
                    {
                        "address": "data.aws_region.here",
                        "mode": "data",
                        "type": "aws_region",
                        "name": "here",
                        "values": {"name": "eu-west-1"},
                    },
                    {"address": "aws_vpc.a", "mode": "managed", "type": "aws_vpc", "name": "a", "values": {}},
                ],
                "child_modules": [
                    {
                        "address": "module.kms",
                        "resources": [
                            {
                                "address": "module.kms.data.aws_caller_identity.me",
                                "mode": "data",
                                "type": "aws_caller_identity",
                                "name": "me",
                                "index": 0,
                                "values": {"account_id": "1"},
                                "sensitive_values": {"account_id": True},
                            }
                        ],
                    }
                ],
            }
        }
    }
    p = plan([rc("aws_vpc.a")], prior_state=prior)
    assert [r.address for r in p.resources] == ["aws_vpc.a", "data.aws_region.here", "module.kms.data.aws_caller_identity.me"]
    region, me = p.by_address["data.aws_region.here"], p.by_address["module.kms.data.aws_caller_identity.me"]
    assert (region.mode, region.type, region.name, region.actions, region.get("name"), region.module) == (
        "data",
        "aws_region",
        "here",
        ("read",),
        "eu-west-1",
        "",
    )
    assert (me.module, me.index, me.is_sensitive("account_id"), me.config_address) == (
        "module.kms",
        0,
        True,
        "module.kms.data.aws_caller_identity.me",
    )
    assert p.of_type("aws_region", mode="data") == [region] and me.plan is p
    assert len(plan([rc("aws_vpc.a")], prior_state=prior).resources) == 3


def test_the_resource_fields_come_from_the_change() -> None:
    p = plan([rc('module.kms.aws_kms_key.this["a"]', {"x": 1}, actions=("update",), index="a", module_address="module.kms")])
    r = p.resources[0]
    assert (r.address, r.module, r.mode, r.type, r.name, r.index, r.actions, r.after) == (
        'module.kms.aws_kms_key.this["a"]',
        "module.kms",
        "managed",
        "aws_kms_key",
        "this",
        "a",
        ("update",),
        {"x": 1},
    )
    assert r.plan is p and p.by_address[r.address] is r
    gone = plan([{**rc("aws_vpc.a", actions=("delete",)), "change": {"actions": ["delete"], "after": None}}]).resources[0]
    assert (gone.after, gone.after_unknown, gone.after_sensitive) == ({}, {}, {})


def test_references_follow_variables_and_outputs_into_the_resource() -> None:
    """aws_rds_cluster.db.kms_key_id = module.kms.arn; module kms: output arn = aws_kms_key.this[var.name].arn."""
    root = {
        "resources": [{"address": "aws_rds_cluster.db", "expressions": {"kms_key_id": {"references": ["module.kms.arn", "module.kms"]}}}],
        "module_calls": {
            "kms": {
                "expressions": {"name": {"references": ["var.key_name"]}},
                "module": {
                    "outputs": {"arn": {"expression": {"references": ["aws_kms_key.this.arn", "aws_kms_key.this"]}}},
                    "resources": [{"address": "aws_kms_key.this", "expressions": {"description": {"references": ["var.name"]}}}],
                },
            }
        },
    }
    p = plan([rc("aws_rds_cluster.db"), rc("module.kms.aws_kms_key.this", module_address="module.kms")], root)
    db, key = p.by_address["aws_rds_cluster.db"], p.by_address["module.kms.aws_kms_key.this"]
    assert db.references("kms_key_id") == model.Reference(("module.kms.aws_kms_key.this",))
    assert db.referenced("kms_key_id") == [key] and db.referenced("kms_key_id", "aws_kms_key") == [key]
    assert db.referenced("kms_key_id", "aws_s3_bucket") == []
    assert key.references("description") == model.Reference((), ("key_name",))
    assert db.references("nothing") == model.Reference(())
    assert p.module_config("module.kms") is p.module_config("module.kms")
    assert "outputs" in p.module_config("module.kms") and p.module_config("") is p.module_config("")


def test_references_that_cannot_be_followed_are_reported() -> None:
    root = {
        "resources": [
            {
                "address": "aws_rds_cluster.db",
                "expressions": {
                    "a": {"references": ["module.kms.missing", "local.key", "each.key", "path.module", "aws_kms_key.none"]},
                    "b": {"references": ["module.kms"]},
                },
            }
        ],
        "module_calls": {"kms": {"module": {"outputs": {"missing": {"expression": {"constant_value": "x"}}}}}},
    }
    p = plan([rc("aws_rds_cluster.db")], root)
    db = p.resources[0]
    assert db.references("a") == model.Reference((), (), ("aws_kms_key.none", "local.key", "module.kms.missing"))
    assert db.references("b") == model.Reference(())
    assert db.references("unset") == model.Reference(())
    orphan = model.Resource("x.y", "", "managed", "x", "y", None, ("create",), {}, {}, {})
    assert orphan.references("a") == model.Reference(())


def test_a_module_variable_given_a_constant_is_not_followed() -> None:
    root = {
        "module_calls": {
            "m": {
                "expressions": {"name": {"constant_value": "k"}},
                "module": {"resources": [{"address": "aws_kms_key.k", "expressions": {"d": {"references": ["var.name", "var.other"]}}}]},
            }
        }
    }
    p = plan([rc("module.m.aws_kms_key.k", module_address="module.m")], root)
    assert p.resources[0].references("d") == model.Reference(())


def test_instance_keys_narrow_references_to_the_matching_instance() -> None:
    root = {
        "resources": [
            {"address": "aws_kms_key.k", "for_each_expression": {"references": ["var.names"]}},
            {
                "address": "aws_kms_alias.a",
                "expressions": {"target_key_id": {"references": ["aws_kms_key.k", "each.key"]}},
            },
            {
                "address": "aws_rds_cluster.db",
                "expressions": {"kms_key_id": {"references": ['aws_kms_key.k["y"].arn', 'aws_kms_key.k["y"]', "aws_kms_key.k"]}},
            },
            {
                "address": "aws_s3_bucket.b",
                "count_expression": {"references": ["var.n"]},
                "expressions": {"k": {"references": ["aws_kms_key.k"]}},
            },
        ]
    }
    keys = [rc('aws_kms_key.k["x"]', index="x"), rc('aws_kms_key.k["y"]', index="y")]
    p = plan([*keys, rc('aws_kms_alias.a["x"]', index="x"), rc("aws_rds_cluster.db"), rc("aws_s3_bucket.b[0]", index=0)], root)
    assert p.by_address['aws_kms_alias.a["x"]'].references("target_key_id").resources == ('aws_kms_key.k["x"]',)
    assert p.by_address["aws_rds_cluster.db"].references("kms_key_id").resources == ('aws_kms_key.k["y"]',)
    assert p.by_address["aws_s3_bucket.b[0]"].references("k").resources == ('aws_kms_key.k["x"]', 'aws_kms_key.k["y"]')
    assert p.by_address['aws_kms_key.k["x"]'].for_each_refs == ["var.names"]
    assert p.by_address["aws_s3_bucket.b[0]"].for_each_refs == ["var.n"]


def test_each_value_follows_the_for_each_expression() -> None:
    root = {
        "resources": [
            {"address": "aws_kms_key.k"},
            {
                "address": "aws_kms_alias.a",
                "for_each_expression": {"references": ["aws_kms_key.k"]},
                "expressions": {"target_key_id": {"references": ["each.value.arn", "each.value"]}},
            },
        ]
    }
    p = plan([rc("aws_kms_key.k"), rc('aws_kms_alias.a["x"]', index="x")], root)
    assert p.by_address['aws_kms_alias.a["x"]'].references("target_key_id").resources == ("aws_kms_key.k",)


def test_a_reference_cycle_stops_and_is_reported() -> None:
    loop = {"expressions": {"v": {"references": ["var.v"]}}}
    root = {"module_calls": {"m": {**loop, "module": {"module_calls": {"m": {**loop, "module": {}}}}}}}
    node = root["module_calls"]["m"]["module"]["module_calls"]["m"]
    for _ in range(40):
        node["module"] = {"module_calls": {"m": {**loop, "module": {}}}}
        node = node["module"]["module_calls"]["m"]
    node["module"] = {"resources": [{"address": "aws_kms_key.k", "expressions": {"d": {"references": ["var.v"]}}}]}
    deep = ".".join(["module.m"] * 42)
    p = plan([rc(f"{deep}.aws_kms_key.k", module_address=deep)], root)
    found = p.resources[0].references("d")
    assert found.resources == () and found.root_variables == () and found.unresolved == ("var.v",)


@pytest.mark.parametrize(
    ("address", "stripped", "keys"),
    [
        ('module.a["x"].aws_vpc.b[0]', "module.a.aws_vpc.b", ["x", "0"]),
        ('aws_vpc.b["a.b[1]"]', "aws_vpc.b", ["a.b[1]"]),
        ('aws_vpc.b["q\\"x"]', "aws_vpc.b", ['q\\"x']),
        ("aws_vpc.b", "aws_vpc.b", []),
    ],
)
def test_instance_keys_are_stripped_and_read(address: str, stripped: str, keys: list[str]) -> None:
    assert model.strip_indexes(address) == stripped
    assert model._index_keys(address) == keys


def test_module_parts_and_most_specific_references() -> None:
    assert model._module_parts('module.a["k"].module.b') == ["a", "b"]
    assert model._module_parts("") == [] and model._module_parts("module.a") == ["a"]
    assert model._most_specific(["aws_kms_key.k", "aws_kms_key.k.arn", "aws_kms_key.k[0]", "var.x"]) == [
        "aws_kms_key.k.arn",
        "aws_kms_key.k[0]",
        "var.x",
    ]
    assert model._most_specific(["a", "ab"]) == ["a", "ab"]
    assert model._most_specific([".x", "x"]) == [".x", "x"]


def test_collector_is_paused_and_restored() -> None:
    import gc

    assert gc.isenabled()
    with model.collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with model.collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(KeyError), model.collector_paused():
        raise KeyError("x")
    assert gc.isenabled()


def test_parse_and_load_go_through_intake(tmp_path: Any) -> None:
    raw = b'{"format_version": "1.2", "resource_changes": []}'
    p = model.parse(raw, "mine")
    assert p.resources == [] and p.path is None
    f = tmp_path / "plan.json"
    f.write_bytes(raw)
    loaded = model.load(f)
    assert loaded.path == f and loaded.data["format_version"] == "1.2"
    with pytest.raises(model.PlanError, match="format_version"):
        model.from_dict({"resource_changes": []}, "bad")
