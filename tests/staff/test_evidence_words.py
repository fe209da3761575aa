"""A flag's evidence reads as sentences (issue 16): the evidence real detectors draft, worded
without leftovers, on the flag page and in ``licmon flags show``."""

import asyncio
from pathlib import Path

from click.testing import CliRunner

from licmon.cli import main
from licmon.domain.detectors import DetectorSet, FlagDraft, FlagKind, Severity, Thresholds
from licmon.domain.evidence_text import duration, explain
from licmon.domain.flags import FlagRaise
from licmon.store.sqlite import SqliteStore
from tests.abuse.events import T0, event, located
from tests.staff.conftest import StaffWorld
from tests.staff.fixtures import build_scene
from tests.staffer import staff_token

WHY = "ticket ABUSE-12: checking the travel"


def drafted(events: list, kind: FlagKind) -> FlagDraft:
    detectors = DetectorSet(Thresholds(clock_learn_samples=2, travel_return_seconds=0))
    drafts = [d for e in events for d in detectors.observe(e, e.at) if d.kind is kind]
    assert drafts, f"no {kind} drafted"
    return drafts[0]


def travel() -> FlagDraft:
    return drafted(
        [located(T0, 52.52, 13.40), located(T0 + 600, 35.68, 139.69, address="203.0.113.9")],
        FlagKind.IMPOSSIBLE_TRAVEL,
    )


def test_durations_read_as_people_say_them() -> None:
    assert duration(86400) == "1 day"
    assert duration(3 * 3600) == "3 hours"
    assert duration(600) == "10 minutes"
    assert duration(-7200) == "2 hours"
    assert duration(45) == "45 seconds"


def test_real_detector_evidence_is_worded_without_raw_leftovers() -> None:
    sharing = drafted(
        [event(T0 + n, machine=f"m-{n}", max_machines=2) for n in range(3)],
        FlagKind.MACHINE_SHARING,
    )
    clock = drafted(
        [event(T0 + n * 60, client_time=T0 + n * 60 + 30) for n in range(3)]
        + [event(T0 + 600, client_time=T0 + 600 - 5 * 3600)],
        FlagKind.CLOCK_TAMPERING,
    )
    for draft in (sharing, clock, travel()):
        sentences = explain(draft.kind.value, draft.evidence)
        text = " ".join(sentences)
        assert sentences and "_" not in text, text  # no key name left over
    assert "3 different machines checked in within 1 day; the license allows 2." in explain(
        "machine_sharing", sharing.evidence
    )
    assert "5 hours behind" in " ".join(explain("clock_tampering", clock.evidence))
    assert "km/h" in " ".join(explain("impossible_travel", travel().evidence))


def test_unknown_keys_are_still_shown() -> None:
    assert explain("machine_sharing", {"machines_seen": 4, "note": "x"})[-1] == "note: x."
    assert explain("made_up_kind", {"a_b": [1, 2]}) == ["a b: 1, 2."]
    assert explain("seat_overuse", {}) == []


async def test_the_flag_page_words_the_evidence(sworld: StaffWorld) -> None:
    scene = await build_scene(sworld)
    (flag_id,) = await sworld.store.raise_flags([FlagRaise(travel(), T0 + 30 * 86400)])
    analyst = await scene.browser("analyst")
    page = await analyst.post(
        f"/staff/flags/{flag_id}/evidence",
        {"purpose": "license.enforcement.abuse", "justification": WHY},
    )
    text = await page.text()
    assert page.status == 200
    assert "faster than anyone travels" in text and "km/h" in text
    assert "<summary>Stored values</summary>" in text  # the raw values only folded away


def test_flags_show_words_the_evidence(tmp_path: Path) -> None:
    env = {"LICMON_DATA_DIR": str(tmp_path / "data"), "LICMON_CONFIG": ""}
    runner = CliRunner(env=env)
    for args in (("org", "add", "acme"), ("product", "add", "viewer")):
        assert runner.invoke(main, list(args)).exit_code == 0
    runner.invoke(main, ["license", "add", "--org", "acme", "--product", "viewer"])
    database = tmp_path / "data" / "licmon.db"

    async def raise_flag() -> None:
        store = SqliteStore(database)
        await store.open()
        evidence = {"refused_machines": 4, "seats": 2, "window_seconds": 3600}
        draft = FlagDraft(FlagKind.SEAT_OVERUSE, Severity.MEDIUM, 1, T0, evidence)
        await store.raise_flags([FlagRaise(draft, 2**40)])
        await store.close()

    asyncio.run(raise_flag())
    runner.env["LICMON_TOKEN"] = staff_token(database)
    shown = runner.invoke(main, ["flags", "show", "1", "--justification", "ticket ABUSE-9"])
    assert shown.exit_code == 0, shown.output
    assert "4 machines were refused a seat within 1 hour; the license has 2 seats." in shown.stdout
    assert "window_seconds" not in shown.stdout
