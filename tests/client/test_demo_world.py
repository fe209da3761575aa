"""licmon demo in a GeoIP world (issue 16): real MaxMind files written at start, so the
demo shows countries, travel and an impossible-travel flag."""

import re
import sqlite3
from pathlib import Path

import geoip2.database
from click.testing import CliRunner

from licmon.cli import main


def test_the_demo_shows_countries_and_an_impossible_travel_flag(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--seconds", "4", "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    saw = result.output.split("What the server saw")[1]
    flags = re.search(r"flags raised\s+(.*)", saw)
    assert flags and "impossible_travel" in flags.group(1), saw
    assert re.search(r"honest\s+countries: DE \(4 machines\)", saw), saw
    assert re.search(r"impossible travel\s+countries: (AT|US) .*(US|AT) ", saw + " "), saw
    with geoip2.database.Reader(str(data / "geoip" / "city.mmdb")) as reader:
        assert reader.metadata().database_type == "GeoIP2-City"
    conn = sqlite3.connect(data / "licmon.db")
    try:
        kinds = {row[0] for row in conn.execute("SELECT kind FROM flags")}
        countries = {row[0] for row in conn.execute("SELECT DISTINCT country FROM connections")}
    finally:
        conn.close()
    assert "impossible_travel" in kinds
    assert {"DE", "FR", "JP", "AT", "US"} <= countries
