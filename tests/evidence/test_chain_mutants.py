"""The chain verifier's exact findings, where mutation testing found them loose: every problem line, word for word.

A chain of four signed bundles, then one change at a time (a manifest re-written without the key, a bundle removed,
re-ordered, junk beside the bundles, a wrong expected head); each must give exactly the problem lines below, no more.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tapguard.evidence.chain import verify_chain
from tapguard.foundation.digest import sha256
from tapguard.foundation.errors import TapguardError
from tests.evidence.test_verify_attacks import KEY, bundle

NAMES = [f"20260101T000{n}00Z-abc1234" for n in range(4)]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("chain") / "evidence"
    assert [bundle(base, n).name for n in range(4)] == NAMES
    return base


@pytest.fixture
def work(store: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "evidence"
    shutil.copytree(store, copy, symlinks=True)
    return copy


def digest(base: Path, index: int) -> str:
    return sha256(base / NAMES[index] / "manifest.json")


def rewrite(base: Path, index: int, **fields: object) -> None:
    """The manifest of bundle `index` re-written by someone without the key (the signature is not checked here)."""
    path = base / NAMES[index] / "manifest.json"
    path.write_text(json.dumps(json.loads(path.read_text()) | fields))


def replaced_line(base: Path, index: int, recorded: str) -> str:
    return f"{NAMES[index]}: replaced or its manifest re-written ({NAMES[index + 1]} recorded manifest sha256 {recorded[:16]}…)"


def test_an_intact_chain_is_ok_and_signed_only_with_the_key(store: Path) -> None:
    signed = verify_chain(store, KEY.public_key())
    assert (signed.problems, signed.ok, signed.signed, len(signed.bundles)) == ([], True, True, 4)
    unchecked = verify_chain(store)
    assert (unchecked.problems, unchecked.ok, unchecked.signed) == ([], True, False)
    assert verify_chain(store, expect_head=digest(store, 3)).problems == []


def test_a_symlinked_or_missing_store_is_refused(store: Path, tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to(store)
    with pytest.raises(TapguardError, match=r"is a symlink; verify the real directory") as linked:
        verify_chain(tmp_path / "link")
    assert linked.value.exit_code == 1
    with pytest.raises(TapguardError, match=r"--chain .*nowhere: not a directory"):
        verify_chain(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(TapguardError, match=r"--chain .*empty: no sealed bundle in it"):
        verify_chain(tmp_path / "empty")


def test_junk_beside_the_bundles_is_named_one_line_each(work: Path) -> None:
    (work / "afile").write_text("x")
    (work / "zlink").symlink_to(work / NAMES[0])
    (work / "unsealed").mkdir()
    assert verify_chain(work).problems == [
        "afile: not a bundle directory (a file in the chain)",
        "unsealed: no manifest.json; not a sealed bundle",
        "zlink: not a bundle directory (a symlink in the chain)",
    ]


def test_a_store_of_junk_only_is_a_report_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    report = verify_chain(tmp_path)
    assert (report.problems, report.ok, report.signed) == (["afile: not a bundle directory (a file in the chain)"], False, False)


def test_a_manifest_whose_previous_is_not_a_link(work: Path) -> None:
    recorded = digest(work, 2)
    rewrite(work, 2, previous="x")
    assert verify_chain(work).problems == [f"{NAMES[2]}: manifest 'previous' is not a link", replaced_line(work, 2, recorded)]


def test_a_manifest_naming_no_previous_bundle_in_the_middle_of_the_chain(work: Path) -> None:
    recorded = digest(work, 2)
    rewrite(work, 2, previous=None)
    cut = f"{NAMES[2]}: names no previous bundle although {NAMES[1]} precedes it (replaced, or the chain was cut)"
    assert verify_chain(work).problems == [cut, replaced_line(work, 2, recorded)]


def test_two_bundles_carrying_one_run_id(work: Path) -> None:
    recorded = digest(work, 2)
    run_id = json.loads((work / NAMES[1] / "manifest.json").read_text())["run_id"]
    rewrite(work, 2, run_id=run_id)
    copy = f"{NAMES[2]}: carries the run id of {NAMES[1]} (a copy of another run)"
    assert verify_chain(work).problems == [copy, replaced_line(work, 2, recorded)]


def test_an_unreadable_manifest_is_one_problem_and_breaks_the_next_link(work: Path) -> None:
    recorded = digest(work, 1)
    (work / NAMES[1] / "manifest.json").write_text("{not json")
    report = verify_chain(work)
    assert report.problems == [
        f"{work / NAMES[1] / 'manifest.json'}: unreadable manifest (it was altered or truncated)",
        replaced_line(work, 1, recorded),
    ]
    assert len(report.bundles) == 3


@pytest.mark.parametrize("index", [0, 1, 3])
def test_a_removed_bundle_is_named_with_its_neighbours_and_hash(work: Path, index: int) -> None:
    recorded = digest(work, index)
    shutil.rmtree(work / NAMES[index])
    expected = {
        0: [f"{NAMES[0]}: removed (before {NAMES[1]}; manifest sha256 {recorded[:16]}…)"],
        1: [f"{NAMES[1]}: removed (between {NAMES[0]} and {NAMES[2]}; manifest sha256 {recorded[:16]}…)"],
        3: [],  # the newest has no successor: only the expected head shows it
    }
    assert verify_chain(work).problems == expected[index]


def test_a_re_ordered_pair_points_backwards(work: Path) -> None:
    recorded = digest(work, 2)
    (work / NAMES[1]).rename(work / "tmp")
    (work / NAMES[2]).rename(work / NAMES[1])
    (work / "tmp").rename(work / NAMES[2])
    sealed = "manifest.json was sealed for bundle {!r} but lies in {!r} (renamed, or contents of another run)"
    assert verify_chain(work).problems == [
        f"{NAMES[1]}: " + sealed.format(NAMES[2], NAMES[1]),
        f"{NAMES[1]}: names {NAMES[1]} as previous, but it sorts after {NAMES[0]} (re-ordered)",
        f"{NAMES[2]}: " + sealed.format(NAMES[1], NAMES[2]),
        f"{NAMES[2]}: names {NAMES[0]} as previous, but it sorts after {NAMES[1]} (re-ordered)",
        replaced_line(work, 2, recorded),
    ]


def test_the_first_bundle_naming_a_later_one_sorts_after_nothing(work: Path) -> None:
    rewrite(work, 0, previous={"bundle": NAMES[2], "manifest_sha256": "0" * 64})
    assert f"{NAMES[0]}: names {NAMES[2]} as previous, but it sorts after nothing (re-ordered)" in verify_chain(work).problems


def test_the_expected_head_names_what_follows_it_or_what_is_newest(store: Path) -> None:
    older = digest(store, 1)
    assert verify_chain(store, expect_head=older).problems == [
        f"expected head {older[:16]}… is {NAMES[1]}, but newer bundles follow it that CI did not record: {NAMES[2]}, {NAMES[3]}"
    ]
    newest = f"{NAMES[3]} (manifest sha256 {digest(store, 3)[:16]}…)"
    assert verify_chain(store, expect_head="f" * 64).problems == [
        f"expected head ffffffffffffffff… is not in the chain; the newest is {newest}: the newest bundles were removed or replaced"
    ]


def test_a_wrong_head_adds_to_the_other_problems(work: Path) -> None:
    recorded = digest(work, 1)
    shutil.rmtree(work / NAMES[1])
    newest = f"{NAMES[3]} (manifest sha256 {digest(work, 3)[:16]}…)"
    assert verify_chain(work, expect_head="e" * 64).problems == [
        f"{NAMES[1]}: removed (between {NAMES[0]} and {NAMES[2]}; manifest sha256 {recorded[:16]}…)",
        f"expected head eeeeeeeeeeeeeeee… is not in the chain; the newest is {newest}: the newest bundles were removed or replaced",
    ]
