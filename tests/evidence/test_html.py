"""report.html as a person sees it: escaped, responsive (no sideways scroll at 600 px), printable.

The overflow check loads the page in headless Chromium at 600 and 1,400 px inside an iframe of a
test-made wrapper page (report.html itself carries no script) and reads the page's scrollWidth."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tapguard.controls import Finding, assessment
from tapguard.evidence import html
from tapguard.planning import project
from tests.evidence.test_outputs import DRILLS, all_failing

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TIMELINE = {"bucket_ms": 100, "t0": 0.0, "ok": [160] * 200 + [0] * 25 + [150] * 200, "fail": [0] * 200 + [3] * 25 + [0] * 200}
TIMELINE["p99_ms"] = [12.0] * 200 + [None] * 25 + [30.0] * 200
WRAPPER = """<!doctype html><html><body style="margin:0">
<iframe id="f" src="report.html" style="width:{width}px;height:900px;border:0"></iframe>
<script>
document.getElementById("f").addEventListener("load", () => {{
  const d = document.getElementById("f").contentDocument.documentElement;
  document.body.setAttribute("data-measure", d.scrollWidth + "x" + d.clientWidth);
}});
</script></body></html>"""


@pytest.fixture(scope="module")
def page(env_plans: dict[str, Path], root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = assessment.assess(root, project.environments(root), env_plans, None, use_checkov=False)
    worst = all_failing(run)
    hostile = Finding("E1", worst.environments[0].name, 'aws_x.y["<script>alert(1)</script>"]', "a", "fail", "<b>x</b>", "y", "<img src=x>")
    worst.environments[0] = dataclasses.replace(worst.environments[0], findings=[*worst.environments[0].findings, hostile])
    worst.drills = [{**DRILLS[0], "timeline": TIMELINE, "marks": {"inject": 20.0, "detect": 21.0, "promote": 22.4, "recover": 22.5}}]
    folder = tmp_path_factory.mktemp("html")
    (folder / "report.html").write_text(html.render(worst, worst.drills))
    return folder / "report.html"


def test_page_is_escaped_self_contained_and_printable(page: Path) -> None:
    text = page.read_text().replace("<wbr>", "")  # a long token may break after its separators
    assert "<script" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<img src=x>" not in text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    assert re.search(r'<svg [^>]*viewBox="0 0 \d+ \d+"', text) and not re.search(r'<svg [^>]*\swidth="\d+"', text)
    assert "@media print" in text and "details::details-content" in text
    # nothing fetched or linked (a plan value may quote a URL as text: an OIDC issuer)
    assert not re.search(r"""(?:href|src|action|xlink:href)\s*=\s*["']?\s*(?:https?:)?//""", text, re.I)


def chromium(*args: str, profile: Path) -> str:
    assert CHROMIUM
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
    flags += ["--disable-sync", "--no-first-run", f"--user-data-dir={profile}", "--hide-scrollbars"]
    proc = subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=120, check=False)
    return proc.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; .ci/run installs it)")
@pytest.mark.parametrize("width", [600, 1400])
def test_no_horizontal_overflow_in_chromium(page: Path, width: int, tmp_path: Path) -> None:
    wrapper = page.parent / f"wrap-{width}.html"
    wrapper.write_text(WRAPPER.format(width=width))
    dom = chromium("--allow-file-access-from-files", "--virtual-time-budget=10000", "--dump-dom", wrapper.as_uri(), profile=tmp_path / "p")
    found = re.search(r'data-measure="(\d+)x(\d+)"', dom)
    assert found, dom[-500:]
    scroll, client = int(found[1]), int(found[2])
    assert client == width and scroll <= client, f"page is {scroll} px wide in a {client} px window"


def test_drills_page_renders_timeline_and_journal() -> None:
    drill = {**DRILLS[0], "timeline": TIMELINE, "marks": {"inject": 20.0}, "experiment": {"target": "lab <postgres>"}}
    drill["run"] = [{"activity": {"name": "kill -9 writer"}, "start": "t0", "end": "t1", "status": "succeeded"}]
    page = html.drills_page([drill], "abc1234")
    assert "kill -9 writer" in page and 'class="timeline"' in page and "lab &lt;postgres&gt;" in page
    assert "after-steady-state not met" in page and '<meta name="viewport"' in page
