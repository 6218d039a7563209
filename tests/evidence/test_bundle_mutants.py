"""The evidence bundle pinned down where mutation testing found it loose: names, the exact manifest, the entry walk, refusals.

Small bundles in tmp_path, no plans: each test states the exact bytes, names or one-line errors a bundle must give.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import locale
import os
import socket
import stat
import time
from pathlib import Path

import pytest

from tapguard.evidence import bundle as bundles
from tapguard.evidence.bundle import EvidenceBundle, dump_json, entries, entry_kind, read_manifest
from tapguard.foundation.errors import TapguardError

T0 = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_dump_json_is_indented_or_compact_with_one_newline_and_strict_numbers() -> None:
    assert dump_json({"a": [1, 2]}) == '{\n  "a": [\n    1,\n    2\n  ]\n}\n'
    assert dump_json({"a": [1, 2]}, compact=True) == '{"a":[1,2]}\n'
    assert dump_json({"d": dt.date(2026, 1, 2)}, True) == '{"d":"2026-01-02"}\n'
    with pytest.raises(ValueError, match="Out of range float"):
        dump_json({"x": float("nan")})


def test_create_names_the_bundle_by_utc_time_and_sha_and_never_reuses_a_name(tmp_path: Path) -> None:
    base = tmp_path / "deep" / "evidence"
    first = EvidenceBundle.create(base, "abc1234", T0)
    assert first.path == base / "20260304T050607Z-abc1234" and first.path.is_dir()
    (base / "20260304T050607Z-abc1234-2").symlink_to(tmp_path / "nowhere")
    assert EvidenceBundle.create(base, "abc1234", T0).path.name == "20260304T050607Z-abc1234-3"
    assert EvidenceBundle.create(base, "abc1234", T0).path.name == "20260304T050607Z-abc1234-4"
    assert not (tmp_path / "nowhere").exists()


def test_create_without_a_time_uses_now_in_utc(tmp_path: Path) -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    made = EvidenceBundle.create(tmp_path, "abc")
    stamp = dt.datetime.strptime(made.path.name, "%Y%m%dT%H%M%SZ-abc").replace(tzinfo=dt.UTC)
    assert before <= stamp <= dt.datetime.now(dt.UTC)
    assert made.secrets == () and len(made.run_id) == 36 and made.run_id != EvidenceBundle.create(tmp_path, "abc").run_id


def test_create_refuses_a_symlinked_or_file_base_and_an_unsafe_sha(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(TapguardError) as linked:
        EvidenceBundle.create(tmp_path / "link", "abc", T0)
    why = "is a symlink; give the real directory (tapguard does not write through symlinks)"
    assert str(linked.value) == f"--out {tmp_path / 'link'}: {why}"
    (tmp_path / "file").write_text("x")
    with pytest.raises(TapguardError) as file:
        EvidenceBundle.create(tmp_path / "file", "abc", T0)
    assert str(file.value) == f"--out {tmp_path / 'file'}: exists and is not a directory"
    with pytest.raises(TapguardError, match="cannot be used in a file name"):
        EvidenceBundle.create(tmp_path, "../x", T0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "link", "real"] and not any((tmp_path / "real").iterdir())


def test_files_are_written_exactly_and_nested_directories_made(tmp_path: Path) -> None:
    made = EvidenceBundle.create(tmp_path, "abc", T0, secrets=("",))
    assert made.write_text("plans/eu/ä.md", "grüß\n") == made.path / "plans" / "eu" / "ä.md"
    assert (made.path / "plans" / "eu" / "ä.md").read_bytes() == "grüß\n".encode()
    made.write_json("a.json", {"k": [1]}, compact=True)
    assert (made.path / "a.json").read_text() == '{"k":[1]}\n'
    made.write_json("b.json", {"k": 1})
    assert (made.path / "b.json").read_text() == '{\n  "k": 1\n}\n'
    (tmp_path / "src.txt").write_text("copied ✓\n")
    assert made.copy_in("c.txt", tmp_path / "src.txt").read_text() == "copied ✓\n"


def test_a_name_escaping_the_bundle_is_refused(tmp_path: Path) -> None:
    made = EvidenceBundle.create(tmp_path / "ev", "abc", T0)
    (tmp_path / "outside").mkdir()
    (made.path / "plans").symlink_to(tmp_path / "outside")
    for name in ("../x.md", "plans/x.md"):
        with pytest.raises(TapguardError):
            made.write_text(name, "x")
    assert not any((tmp_path / "outside").iterdir()) and not (tmp_path / "ev" / "x.md").exists()


def test_a_secret_is_never_written(tmp_path: Path) -> None:
    made = EvidenceBundle.create(tmp_path, "abc", T0, secrets=("", "hunter2"))
    with pytest.raises(TapguardError) as error:
        made.write_json("r.json", {"password": "xhunter2x"})
    assert str(error.value) == "refusing to write r.json: it would contain a secret value (redaction failed upstream)"
    assert not (made.path / "r.json").exists()


def test_copy_in_gzip_is_deterministic_and_named_gz(tmp_path: Path) -> None:
    source = tmp_path / "plan.json"
    source.write_text('{"a": "ü"}\n' * 1000)
    made = EvidenceBundle.create(tmp_path / "ev", "abc", T0, secrets=("zzz",))
    target = made.copy_in_gzip("plans/p.json", source)
    assert target == made.path / "plans" / "p.json.gz"
    data = target.read_bytes()
    assert gzip.decompress(data) == source.read_bytes()
    assert data[3] == 0 and data[4:8] == b"\0\0\0\0"  # no file name, mtime 0: the same plan gives the same bytes
    assert made.copy_in_gzip("plans/q.json", source).read_bytes() == data


@pytest.mark.parametrize("at", [0, (1 << 20) - 3, (1 << 20) + 5])
def test_copy_in_gzip_finds_a_secret_anywhere_even_across_a_chunk_boundary(tmp_path: Path, at: int) -> None:
    text = "x" * ((1 << 20) + 64)
    source = tmp_path / "plan.json"
    source.write_text(text[:at] + "s3cr3t" + text[at + 6 :])
    made = EvidenceBundle.create(tmp_path / "ev", "abc", T0, secrets=("s3cr3t", "other-longer-secret"))
    with pytest.raises(TapguardError) as error:
        made.copy_in_gzip("plans/p.json", source)
    assert str(error.value) == "refusing to write plans/p.json: it would contain a secret value (redaction failed upstream)"


def test_seal_writes_the_exact_manifest_and_links_the_previous_bundle(tmp_path: Path) -> None:
    base = tmp_path / "ev"
    first = EvidenceBundle.create(base, "abc", T0)
    first.write_text("report.md", "r\n")
    first.write_text("plans/z.json", "{}\n")
    (base / "20260304T050606Z-aaa").mkdir()  # older and unsealed: not a link target
    assert first.seal({"git_sha": "abc", "verdict": "pass"}) == first.path / "manifest.json"
    manifest, raw = read_manifest(first.path)
    assert raw.decode() == dump_json(manifest)
    assert manifest == {
        "format": "tapguard.manifest/3",
        "git_sha": "abc",
        "verdict": "pass",
        "bundle": "20260304T050607Z-abc",
        "run_id": first.run_id,
        "previous": None,
        "files": {"plans/z.json": sha(first.path / "plans" / "z.json"), "report.md": sha(first.path / "report.md")},
    }
    second = EvidenceBundle.create(base, "def", T0 + dt.timedelta(minutes=1))
    (base / "20260304T050608Z-abc").symlink_to(first.path)  # a symlinked bundle never becomes the previous link
    second.seal({})
    link = {"bundle": "20260304T050607Z-abc", "manifest_sha256": sha(first.path / "manifest.json")}
    assert read_manifest(second.path)[0]["previous"] == link
    assert bundles.previous_link(first.path) == {"bundle": second.path.name, "manifest_sha256": sha(second.path / "manifest.json")}
    assert bundles.sealed_bundles(base) == [first.path, second.path]


def test_a_bundle_whose_manifest_is_a_symlink_is_no_previous_link(tmp_path: Path) -> None:
    base = tmp_path / "ev"
    older = base / "20260101T000000Z-a"
    older.mkdir(parents=True)
    (tmp_path / "m.json").write_text("{}")
    (older / "manifest.json").symlink_to(tmp_path / "m.json")
    made = EvidenceBundle.create(base, "b", T0)
    assert bundles.previous_link(made.path) is None


def test_bundle_name_is_lexical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "l").symlink_to(tmp_path / "a" / "b")
    assert bundles.bundle_name(tmp_path / "a" / "b" / "..") == "a"
    assert bundles.bundle_name(tmp_path / "l") == "l"
    monkeypatch.chdir(tmp_path / "a")
    assert bundles.bundle_name(Path(".")) == "a"


def test_entries_walks_without_following_links_and_names_each_odd_entry(tmp_path: Path) -> None:
    root = tmp_path / "b"
    (root / "d" / "e").mkdir(parents=True)
    (root / "z.txt").write_text("z")
    (root / "d" / "a.txt").write_text("a")
    (root / "d" / "e" / "c.txt").write_text("c")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("s")
    (root / "dirlink").symlink_to(tmp_path / "outside")
    (root / "filelink").symlink_to(root / "z.txt")
    os.mkfifo(root / "d" / "fifo")
    (root / "h1").write_text("h")
    os.link(root / "h1", root / "h2")
    found = entries(root)
    assert found.regular == ["d/a.txt", "d/e/c.txt", "z.txt"]
    assert found.directories == ["d", "d/e"]
    assert found.unsafe == ["d/fifo: FIFO", "dirlink: symlink", "filelink: symlink", "h1: hard link (2 links)", "h2: hard link (2 links)"]


def test_entry_kinds(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "link").symlink_to(tmp_path / "fifo")
    (tmp_path / "dir").mkdir()
    assert entry_kind(tmp_path / "fifo") == "FIFO"
    assert entry_kind(tmp_path / "link") == "symlink"
    assert entry_kind(tmp_path / "dir") == "not a regular file"
    assert entry_kind(Path("/dev/null")) == "device"


def sealed_bundle(tmp_path: Path) -> Path:
    made = EvidenceBundle.create(tmp_path / "ev", "abc", T0)
    made.write_text("r.md", "r")
    made.seal({})
    return made.path


def test_read_manifest_refuses_what_is_not_a_sealed_bundle(tmp_path: Path) -> None:
    path = sealed_bundle(tmp_path)
    (tmp_path / "link").symlink_to(path)
    with pytest.raises(TapguardError) as linked:
        read_manifest(tmp_path / "link")
    assert str(linked.value) == f"{tmp_path / 'link'}: the bundle directory is a symlink (to {path}); verify the real directory"
    assert linked.value.exit_code == 1
    with pytest.raises(TapguardError) as missing:
        read_manifest(tmp_path / "none")
    assert (str(missing.value), missing.value.exit_code) == (f"{tmp_path / 'none'}: not an evidence bundle directory", 2)
    manifest = path / "manifest.json"
    manifest.rename(path / "kept.json")
    with pytest.raises(TapguardError) as unsealed:
        read_manifest(path)
    assert (str(unsealed.value), unsealed.value.exit_code) == (f"{path}: no manifest.json; not a sealed evidence bundle", 2)
    manifest.symlink_to(path / "kept.json")
    with pytest.raises(TapguardError) as symlink:
        read_manifest(path)
    assert (str(symlink.value), symlink.value.exit_code) == (f"{manifest}: symlink, not a manifest file", 1)
    manifest.unlink()
    manifest.mkdir()
    with pytest.raises(TapguardError) as directory:
        read_manifest(path)
    assert (str(directory.value), directory.value.exit_code) == (f"{manifest}: not a regular file, not a manifest file", 1)


@pytest.mark.parametrize(
    "text", ["{not json", "[]", '{"files": []}', '{"format": 3}', "[" * 100000], ids=["text", "list", "files list", "no files", "deep"]
)
def test_an_altered_manifest_is_unreadable(tmp_path: Path, text: str) -> None:
    path = sealed_bundle(tmp_path)
    (path / "manifest.json").write_text(text)
    with pytest.raises(TapguardError) as error:
        read_manifest(path)
    assert (str(error.value), error.value.exit_code) == (f"{path / 'manifest.json'}: unreadable manifest (it was altered or truncated)", 2)


def test_sealed_bundles_are_the_real_directories_with_a_manifest_oldest_first(tmp_path: Path) -> None:
    base = tmp_path / "ev"
    newer = sealed_bundle(tmp_path)
    older = base / "20200101T000000Z-x"
    older.mkdir()
    (older / "manifest.json").write_text("{}")
    (base / "30000101T000000Z-link").symlink_to(newer)
    (base / "20250101T000000Z-unsealed").mkdir()
    (base / "20250101T000000Z-file").write_text("x")
    assert bundles.sealed_bundles(base) == [older, newer]


def test_refusals_name_what_was_refused(tmp_path: Path) -> None:
    with pytest.raises(TapguardError) as unsafe:
        EvidenceBundle.create(tmp_path, "../x", T0)
    assert str(unsafe.value).startswith("bundle name '../x' cannot be used in a file name: ")
    made = EvidenceBundle.create(tmp_path / "ev", "abc", T0)
    (made.path / "d.md").mkdir()
    (made.path / "p.json.gz").mkdir()
    with pytest.raises(TapguardError) as directory:
        made.write_text("d.md", "x")
    assert str(directory.value) == "bundle file d.md: is not a regular file; refusing to write through it"
    (tmp_path / "plan.json").write_text("{}")
    with pytest.raises(TapguardError) as gz:
        made.copy_in_gzip("p.json", tmp_path / "plan.json")
    assert str(gz.value) == "bundle file p.json.gz: is not a regular file; refusing to write through it"
    (made.path / "d.md").rmdir()
    made.seal({})
    with pytest.raises(TapguardError) as sealed:
        EvidenceBundle.create(made.path, "abc", T0)
    assert (
        str(sealed.value) == f"--out {made.path}: is the sealed evidence bundle {made.path}; refusing to modify it (choose another place)"
    )


def test_the_second_bundle_of_a_second_takes_suffix_two(tmp_path: Path) -> None:
    assert EvidenceBundle.create(tmp_path, "abc", T0).path.name == "20260304T050607Z-abc"
    assert EvidenceBundle.create(tmp_path, "abc", T0).path.name == "20260304T050607Z-abc-2"


def test_the_default_time_is_utc_whatever_the_local_zone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC-14")
    time.tzset()
    try:
        before = dt.datetime.now(dt.UTC).replace(microsecond=0)
        made = EvidenceBundle.create(tmp_path, "abc")
        after = dt.datetime.now(dt.UTC)
    finally:
        monkeypatch.undo()
        time.tzset()
    stamp = dt.datetime.strptime(made.path.name, "%Y%m%dT%H%M%SZ-abc").replace(tzinfo=dt.UTC)
    assert before <= stamp <= after


def test_a_secret_longer_than_a_chunk_is_found_across_two_chunks(tmp_path: Path) -> None:
    secret = "q" * ((1 << 20) + 10)  # 100 characters in the first 1 MiB chunk, the rest in the second
    source = tmp_path / "plan.json"
    source.write_text("a" * ((1 << 20) - 100) + secret + "a" * 1000)
    made = EvidenceBundle.create(tmp_path / "ev", "abc", T0, secrets=(secret,))
    with pytest.raises(TapguardError, match="would contain a secret value"):
        made.copy_in_gzip("plans/p.json", source)


def test_a_plan_starting_with_the_end_of_a_secret_is_not_refused(tmp_path: Path) -> None:
    source = tmp_path / "plan.json"
    source.write_text("sec, and the rest")
    made = EvidenceBundle.create(tmp_path / "ev", "abc", T0, secrets=("XXXXsec",))
    assert gzip.decompress(made.copy_in_gzip("plans/p.json", source).read_bytes()) == b"sec, and the rest"


def test_an_unreadable_walk_is_named_relative_to_the_bundle(tmp_path: Path) -> None:
    assert entries(tmp_path / "gone").unsafe == [".: unreadable (No such file or directory)"]


def test_sockets_and_block_devices_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a unix socket path must be short
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind("s")
        assert entry_kind(Path("s")) == "socket"
    finally:
        sock.close()
    try:
        os.mknod(tmp_path / "blk", stat.S_IFBLK | 0o600, os.makedev(7, 0))
        block = tmp_path / "blk"
    except PermissionError:
        block = next(p for p in Path("/dev").iterdir() if p.is_block_device())
    assert entry_kind(block) == "device"


def test_sources_are_read_as_utf_8_whatever_the_locale(tmp_path: Path) -> None:
    source = tmp_path / "plan.json"
    source.write_text('{"name": "grüß"}\n', encoding="utf-8")
    made = EvidenceBundle.create(tmp_path / "ev", "abc", T0)
    previous = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")  # an ASCII locale, as on a bare CI runner
    try:
        copied = made.copy_in("plan.json", source)
        zipped = made.copy_in_gzip("plans/p.json", source)
    finally:
        locale.setlocale(locale.LC_CTYPE, previous)
    assert copied.read_bytes() == source.read_bytes() == gzip.decompress(zipped.read_bytes())
