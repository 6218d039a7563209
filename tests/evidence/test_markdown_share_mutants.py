"""How the PR comment shares its limit between reports: the report that needs fewer characters is served first
(whatever its count of sections) and its unused share goes to the others; no character is lost to rounding.

Reports are built by hand (a PASS heading and sections split by the section marker) so their sizes are exact; the
smallest limit at which the comment keeps every section was found by search and is pinned below.
"""

from __future__ import annotations

import pytest

from tapguard.evidence import markdown

BREAK = f"\n{markdown.SECTION}\n"


def report(*sections: str) -> str:
    return markdown.MARKER + BREAK + BREAK.join([markdown.PASS_HEADING, *sections]) + "\n"


def whole(*reports: str) -> str:
    """The comment that keeps every section of `reports`, in that order."""
    bodies = [f"\n\n{markdown.SECTION}\n\n".join([markdown.PASS_HEADING, *r.split(BREAK)[2:]]).strip() for r in reports]
    lead = f"## tapguard: ✅ **PASS** · {len(reports)} report(s), all passed"
    return f"{markdown.MARKER}\n\n{lead}\n\n" + "\n\n".join(f"{b}\n\n{markdown.SECTION}" for b in bodies) + "\n"


SHORT_250 = report(*(f"### s{n:03d}" for n in range(250)))  # 9,328 characters of room: many small sections
SHORT_300 = report(*(f"### s{n:03d}" for n in range(300)))  # 11,178
ONE_LONG_9028 = report("x" * 8921)  # 9,028: fewer characters than SHORT_250, far fewer sections
ONE_LONG_11428 = report("x" * 11321)  # 11,428: 250 more than SHORT_300, 299 fewer sections


@pytest.mark.parametrize(
    ("reports", "limit"),
    [((SHORT_250, ONE_LONG_9028), 18_716), ((ONE_LONG_9028, SHORT_250), 18_716), ((SHORT_300, ONE_LONG_11428), 22_887)],
)
def test_the_report_that_needs_less_is_served_first_whatever_its_sections(reports: tuple[str, str], limit: int) -> None:
    assert markdown.comment(list(reports), limit=limit) == whole(*reports)
    assert "section(s) left out" in markdown.comment(list(reports), limit=limit - 1)


def test_no_character_of_the_limit_is_lost_to_rounding() -> None:
    # both need more than half of the odd budget (2,296 - 77 of head - 2 per report = 2,215): 1,107 to the first, 1,108 to the second
    smaller, larger = report("a" * 900), report("b" * 1001)
    assert markdown.comment([smaller, larger], limit=2296) == whole(smaller, larger)
    assert "section(s) left out" in markdown.comment([smaller, larger], limit=2295)
