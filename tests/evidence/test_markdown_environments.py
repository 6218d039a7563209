"""The PR comment's FAIL line names the failing environments read back from each report's header: whatever the names
hold (backticks included), they come back whole, as CommonMark reads the code spans md_code wrote."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tapguard.evidence import markdown
from tapguard.evidence.text import field, md_code

NAMES = st.text(alphabet=st.sampled_from("ab`-_ .c1"), min_size=1, max_size=12).filter(lambda n: field(n) == n and n.strip())


def header(names: list[str]) -> str:
    return f"Commit abc1234 · environments: {', '.join(md_code(n) for n in names)}"


def test_a_name_with_a_backtick_comes_back_whole() -> None:
    # the regex this replaced read "b`c" as ["b", ","]: the FAIL line named environments that do not exist
    assert markdown._environments(header(["b`c", "eu-west-1"])) == ["b`c", "eu-west-1"]
    assert markdown._environments(header(["`lead", "trail`", "``x``"])) == ["`lead", "trail`", "``x``"]


@settings(max_examples=300, deadline=None)
@given(st.lists(NAMES, min_size=1, max_size=4))
def test_any_names_come_back_as_written(names: list[str]) -> None:
    assert markdown._environments(header(names)) == names


def test_a_report_without_the_header_names_nothing() -> None:
    assert markdown._environments("# tapguard\n\nno header here\n") == []
    assert markdown._code_spans("an unclosed `span and ``another") == []
    assert markdown._code_spans("`a ``b`` c`") == ["a ``b`` c"]  # a run closes only a run of its own length
