"""The DSR receipt in the console (issue 16): formatted with UTC times and names, and
downloadable as text and JSON; the export downloadable as JSON."""

import html
import json
import re
import urllib.parse

from tests.staff.conftest import StaffWorld
from tests.staff.fixtures import build_scene

WHY = "data-subject request DSR-31"


def downloads(page: str) -> dict[str, tuple[str, str]]:
    """download file name -> (media type, decoded content)."""
    found = {}
    for name, media, body in re.findall(
        r'<a download="([^"]+)" href="data:([^;]+);charset=utf-8,([^"]*)"', page
    ):
        found[name] = (media, urllib.parse.unquote(html.unescape(body)))
    return found


async def test_the_erase_receipt_is_formatted_and_downloadable(sworld: StaffWorld) -> None:
    scene = await build_scene(sworld)
    dpo = await scene.browser("dpo")
    form = {"kind": "license", "value": str(scene.acme_license), "justification": WHY}
    page = await (
        await dpo.post("/staff/dsr", {**form, "action": "erase", "confirmed": "1"})
    ).text()
    files = downloads(page)
    (text_name,) = [n for n in files if n.endswith(".txt")]
    (json_name,) = [n for n in files if n.endswith(".json")]
    assert re.fullmatch(r"licmon-dsr-erase-\d{4}-\d\d-\d\dT\d{6}Z\.txt", text_name), text_name
    media, text = files[text_name]
    assert media == "text/plain"
    assert "Action: erase" in text and f"Justification: {WHY}" in text
    assert re.search(r"When: \d{4}-\d\d-\d\d \d\d:\d\d UTC", text)
    assert "By: dpo (user:" in text and re.search(r"Erased: \d+ rows?", text)
    assert re.search(r"connections: erased \d+ rows? \(ids ", text)
    receipt = json.loads(files[json_name][1])
    assert receipt["action"] == "dsr.erase" and receipt["at"].endswith("Z")
    assert '<pre class="receipt">' in page
    assert not re.search(r"<dd>1[67]\d{8}</dd>", page)  # no raw epoch on the page


async def test_the_export_is_downloadable_as_json(sworld: StaffWorld) -> None:
    scene = await build_scene(sworld)
    dpo = await scene.browser("dpo")
    form = {"kind": "license", "value": str(scene.acme_license), "justification": WHY}
    page = await (await dpo.post("/staff/dsr", {**form, "action": "export"})).text()
    files = downloads(page)
    (name,) = files
    exported = json.loads(files[name][1])
    assert name.startswith("licmon-dsr-export-") and exported["records"]
    assert any(r["machine"] == "acme-machine-0000" for r in exported["records"])
