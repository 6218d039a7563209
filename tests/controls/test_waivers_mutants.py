"""Waivers pinned down where mutation testing found them loose: matching, ordering, counting, the problems a bad waiver becomes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from tapguard.controls import waivers
from tapguard.controls.engine import FAIL, NOT_APPLICABLE, PASS, UNKNOWN, Finding
from tapguard.foundation.errors import TapguardError

TODAY = dt.date(2030, 1, 15)
KNOWN = ("E1", "E2", "N3")


def entry(**override: Any) -> dict[str, Any]:
    base = {"control": "E1", "address": "aws_rds_cluster.a", "reason": "r", "owner": "o", "ticket": "T-1", "expires": "2030-01-15"}
    return {k: v for k, v in {**base, **override}.items() if v is not None}


def write(tmp_path: Path, *entries: dict[str, Any]) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(yaml.safe_dump({"waivers": list(entries)}))
    return path


def load(tmp_path: Path, *entries: dict[str, Any], forbid: bool = False) -> waivers.WaiverSet:
    return waivers.load(write(tmp_path, *entries), KNOWN, today=TODAY, forbid_scope_all=forbid)


def finding(control: str = "E1", address: str = "aws_rds_cluster.a", status: str = FAIL, env: str = "eu-west-1") -> Finding:
    return Finding(control, env, address, "storage_encrypted", status, False, True, "not encrypted")


@pytest.mark.parametrize(
    ("value", "glob", "matched"),
    [
        ("abc", "abc", True),
        ("abc", "abd", False),
        ("xbc", "abc", False),  # a mismatch before any star must not backtrack
        ("abc", "ab", False),
        ("ab", "abc", False),
        ("abc", "a?c", True),
        ("ac", "a?c", False),
        ("abc", "?", False),
        ("", "*", True),
        ("", "", True),
        ("", "?", False),
        ("abc", "a*", True),
        ("abc", "*c", True),
        ("abc", "*b", False),
        ("abcbd", "a*bd", True),  # backtracks past the first b
        ("abcbx", "a*bd", False),
        ("aXbYc", "a*b*c", True),
        ("abc", "a**", True),
        ("abc", "abc*", True),
        ("abc", "abc**?", False),
        ("a.b", "a?b", True),
        ("a[b]", "a[b]", True),
        ("axb", "a[x]b", False),  # brackets are literal, not a class
        ("aab", "*ab", True),
        ("xaab", "*aab", True),
    ],
)
def test_matches_is_exact_with_star_and_question_mark_only(value: str, glob: str, matched: bool) -> None:
    assert waivers.matches(value, glob) is matched


@pytest.mark.parametrize(
    ("glob", "every"), [("*", True), ("*.*", True), ("?*", True), ("**", True), ("*?.", True), ("?", False), (".", False), ("a*", False)]
)
def test_covers_every_address_needs_a_star_and_nothing_that_names(glob: str, every: bool) -> None:
    assert waivers.covers_every_address(glob) is every


def test_a_missing_file_or_none_is_no_waivers(tmp_path: Path) -> None:
    for path in (None, tmp_path / "absent.yaml"):
        loaded = waivers.load(path, KNOWN, today=TODAY)
        assert (loaded.valid, loaded.problems, loaded.source) == ([], [], path)


def test_a_dangling_symlink_is_read_and_refused(tmp_path: Path) -> None:
    link = tmp_path / "waivers.yaml"
    link.symlink_to(tmp_path / "nowhere.yaml")
    with pytest.raises(TapguardError):
        waivers.load(link, KNOWN, today=TODAY)


@pytest.mark.parametrize("document", ["[]", "waivers: {}", "other: []", "waivers: 3"])
def test_the_top_level_must_be_a_waivers_list(tmp_path: Path, document: str) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(document)
    with pytest.raises(TapguardError, match="expected a top-level 'waivers:' list"):
        waivers.load(path, KNOWN, today=TODAY)


def test_an_empty_file_is_refused_as_not_a_list(tmp_path: Path) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text("")
    with pytest.raises(TapguardError, match="waivers:"):
        waivers.load(path, KNOWN, today=TODAY)


def test_a_waiver_is_valid_through_its_expiry_day_and_expired_the_day_after(tmp_path: Path) -> None:
    on_the_day = load(tmp_path, entry(expires="2030-01-15"))
    assert [w.control for w in on_the_day.valid] == ["E1"] and on_the_day.problems == []
    day_after = load(tmp_path, entry(expires="2030-01-14"))
    assert day_after.valid == []
    [problem] = day_after.problems
    assert (problem.control, problem.environment, problem.address, problem.attribute, problem.status) == (
        "E1",
        "*",
        "waivers.yaml#waivers[0]",
        "waiver",
        FAIL,
    )
    assert problem.expected == "a valid, unexpired waiver"
    assert problem.message == "waiver EXPIRED on 2030-01-14 (owner o, ticket T-1): the control fails again"


def test_today_defaults_to_the_utc_date(tmp_path: Path) -> None:
    today = dt.datetime.now(dt.UTC).date()
    path = write(tmp_path, entry(expires=(today - dt.timedelta(days=1)).isoformat()), entry(expires=today.isoformat()))
    loaded = waivers.load(path, KNOWN)
    assert [w.index for w in loaded.valid] == [1]
    assert [p.address for p in loaded.problems] == ["waivers.yaml#waivers[0]"]


def test_problems_are_numbered_by_position_and_an_unknown_control_goes_under_waivers(tmp_path: Path) -> None:
    loaded = load(tmp_path, entry(), entry(control="ZZ9"), entry(control="E2", expires="2000-01-01"))
    assert [w.index for w in loaded.valid] == [0]
    assert [(p.control, p.address) for p in loaded.problems] == [
        ("WAIVERS", "waivers.yaml#waivers[1]"),
        ("E2", "waivers.yaml#waivers[2]"),
    ]
    assert loaded.problems[0].message == "malformed waiver: unknown control 'ZZ9'"


def test_every_address_without_scope_all_and_scope_all_with_a_name_are_problems(tmp_path: Path) -> None:
    loaded = load(tmp_path, entry(address="*"), entry(address="aws_rds_cluster.a", scope="all"), entry(address="*", scope="all"))
    assert [w.index for w in loaded.valid] == [2]
    first, second = loaded.problems
    assert first.message.startswith("waiver covers every resource of E1 (address '*') without `scope: all`")
    assert "name the resources" in first.message
    assert second.message == "malformed waiver: `scope: all` is for address '*', not 'aws_rds_cluster.a'"


def test_forbid_scope_all_turns_only_scope_all_waivers_into_problems(tmp_path: Path) -> None:
    loaded = load(tmp_path, entry(address="*", scope="all"), entry(), forbid=True)
    assert [w.index for w in loaded.valid] == [1]
    [problem] = loaded.problems
    assert problem.message == "waiver with `scope: all` for E1: forbidden by forbid_scope_all in the config"
    allowed = load(tmp_path, entry(address="*", scope="all"), entry(), forbid=False)
    assert [w.index for w in allowed.valid] == [0, 1] and allowed.problems == []


def test_a_valid_waiver_keeps_every_field(tmp_path: Path) -> None:
    [w] = load(tmp_path, entry(environment="eu-*", checkov=["CKV_AWS_16"], reason="why", owner="me", ticket="SEC-9")).valid
    assert (w.index, w.control, w.address, w.reason, w.owner, w.ticket, w.expires, w.environment, w.checkov, w.scope, w.used) == (
        0,
        "E1",
        "aws_rds_cluster.a",
        "why",
        "me",
        "SEC-9",
        dt.date(2030, 1, 15),
        "eu-*",
        ["CKV_AWS_16"],
        None,
        0,
    )
    assert w.as_dict() == {
        "control": "E1",
        "address": "aws_rds_cluster.a",
        "environment": "eu-*",
        "scope": None,
        "reason": "why",
        "owner": "me",
        "ticket": "SEC-9",
        "expires": "2030-01-15",
        "checkov": ["CKV_AWS_16"],
        "used": 0,
    }


def test_the_environment_defaults_to_every_environment(tmp_path: Path) -> None:
    [w] = load(tmp_path, entry()).valid
    assert w.environment == "*"
    assert w.covers(finding(env="anything")) is True


def test_covers_needs_control_address_and_environment_all_three(tmp_path: Path) -> None:
    [w] = load(tmp_path, entry(environment="eu-*")).valid
    assert w.covers(finding()) is True
    assert w.covers(finding(control="E2")) is False
    assert w.covers(finding(address="aws_rds_cluster.b")) is False
    assert w.covers(finding(env="us-west-2")) is False


def test_apply_waives_failing_and_unknown_findings_only_and_counts_them(tmp_path: Path) -> None:
    ws = load(tmp_path, entry())
    findings = [finding(status=s) for s in (FAIL, UNKNOWN, PASS, NOT_APPLICABLE)]
    out = ws.apply(findings)
    assert [f.waiver is not None for f in out] == [True, True, False, False]
    assert out[0].waiver == {**ws.valid[0].as_dict(), "used": 1}  # the waiver as it was when it claimed the finding
    assert ws.valid[0].used == 2


def test_apply_appends_the_problems_after_the_findings(tmp_path: Path) -> None:
    ws = load(tmp_path, entry(), entry(control="ZZ9"))
    out = ws.apply([finding(control="E2")])
    assert [f.control for f in out] == ["E2", "WAIVERS"]
    assert out[0].waiver is None


def test_a_named_waiver_claims_a_finding_before_a_scope_all_one_whatever_the_file_order(tmp_path: Path) -> None:
    ws = load(tmp_path, entry(address="*", scope="all", reason="broad"), entry(reason="named"))
    [claimed] = ws.apply([finding()])
    assert claimed.waiver is not None and claimed.waiver["reason"] == "named"
    assert [w.used for w in ws.valid] == [0, 1]
    assert ws.scope_all() == [{**ws.valid[0].as_dict(), "hides": 0}]
    [other] = ws.apply([finding(address="aws_rds_cluster.zzz")])
    assert other.waiver is not None and other.waiver["reason"] == "broad"


def test_scope_all_lists_what_hides_most_first(tmp_path: Path) -> None:
    ws = load(tmp_path, entry(control="E1", address="*", scope="all"), entry(control="E2", address="*", scope="all"))
    ws.apply([finding(control="E2"), finding(control="E2", address="x"), finding(control="E1")])
    assert [(w["control"], w["hides"]) for w in ws.scope_all()] == [("E2", 2), ("E1", 1)]


def test_report_splits_used_unused_scope_all_and_invalid(tmp_path: Path) -> None:
    ws = load(tmp_path, entry(), entry(control="E2"), entry(control="N3", address="*", scope="all"), entry(control="ZZ9"))
    ws.apply([finding()])
    report = ws.report()
    assert report["source"] == str(tmp_path / "waivers.yaml")
    assert [w["control"] for w in report["used"]] == ["E1"]
    assert [w["control"] for w in report["unused"]] == ["E2", "N3"]
    assert [w["control"] for w in report["scope_all"]] == ["N3"]
    assert [f["control"] for f in report["invalid"]] == ["WAIVERS"]
    assert waivers.WaiverSet(source=None, valid=[], problems=[]).report()["source"] is None


def test_checkov_waiver_matches_check_address_and_environment(tmp_path: Path) -> None:
    ws = load(tmp_path, entry(checkov=["CKV_AWS_16"], environment="eu-*"))
    assert ws.checkov_waiver("CKV_AWS_17", "aws_rds_cluster.a", "eu-west-1") is None
    assert ws.checkov_waiver("CKV_AWS_16", "aws_rds_cluster.b", "eu-west-1") is None
    assert ws.checkov_waiver("CKV_AWS_16", "aws_rds_cluster.a", "us-west-2") is None
    assert ws.valid[0].used == 0
    assert ws.checkov_waiver("CKV_AWS_16", "aws_rds_cluster.a", "eu-west-1") is ws.valid[0]
    assert ws.checkov_waiver("CKV_AWS_16", "aws_rds_cluster.a", "eu-west-1") is ws.valid[0]
    assert ws.valid[0].used == 2


def test_checkov_prefers_a_named_waiver_over_scope_all(tmp_path: Path) -> None:
    ws = load(
        tmp_path, entry(address="*", scope="all", checkov=["CKV_AWS_16"], reason="broad"), entry(checkov=["CKV_AWS_16"], reason="named")
    )
    hit = ws.checkov_waiver("CKV_AWS_16", "aws_rds_cluster.a", "eu-west-1")
    assert hit is not None and hit.reason == "named"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"expires": "15/01/2030"}, "'15/01/2030' is not YYYY-MM-DD"),
        ({"owner": None, "ticket": None}, "missing owner, ticket"),
        ({"reason": ""}, "missing reason"),
    ],
)
def test_bad_entries_say_what_is_wrong(tmp_path: Path, override: dict[str, Any], message: str) -> None:
    with pytest.raises(TapguardError, match=message):
        load(tmp_path, entry(**override))


def test_a_datetime_expiry_is_refused_with_its_value(tmp_path: Path) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text("waivers:\n- {control: E1, address: a, reason: r, owner: o, ticket: t, expires: 2030-01-15 10:00:00}\n")
    with pytest.raises(TapguardError, match=r"expires: 2030-01-15 10:00:00 has a time of day; write a date \(YYYY-MM-DD\)$"):
        waivers.load(path, KNOWN, today=TODAY)


def test_a_long_bad_date_is_quoted_cut_to_40_characters(tmp_path: Path) -> None:
    with pytest.raises(TapguardError) as caught:
        load(tmp_path, entry(expires="x" * 100))
    assert repr("x" * 40) in str(caught.value) and "x" * 41 not in str(caught.value)


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text("waivers: []\n" + "#" * waivers.MAX_WAIVER_BYTES)
    with pytest.raises(TapguardError):
        waivers.load(path, KNOWN, today=TODAY)
    assert waivers.MAX_WAIVER_BYTES == 4 * 1024 * 1024
