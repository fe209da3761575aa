import dataclasses
import re
from pathlib import Path

import pytest

from licmon.config import SETTING_NAMES, Settings, describe, env_name, load_settings
from licmon.errors import ConfigError

README = Path(__file__).resolve().parents[1] / "README.md"


def test_defaults() -> None:
    settings = load_settings(environ={})
    assert settings == Settings()
    assert settings.data_dir == Path("licmon-data")


def test_precedence_file_then_environment_then_flags(tmp_path: Path) -> None:
    config = tmp_path / "licmon.toml"
    config.write_text(
        'port = 9000\nhost = "0.0.0.0"\nserver_id = "from-file"\ntrusted_proxies = ["10.0.0.0/8"]\n'
    )
    settings = load_settings(
        config,
        environ={"LICMON_PORT": "9100", "LICMON_HOST": "::"},
        overrides={"port": 9200, "host": None},
    )
    assert settings.port == 9200  # flag beats environment beats file
    assert settings.host == "::"  # environment beats file
    assert settings.server_id == "from-file"
    assert settings.trusted_proxies == ("10.0.0.0/8",)


def test_config_file_from_environment(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("max_body_bytes = 1024\n")
    assert load_settings(environ={"LICMON_CONFIG": str(config)}).max_body_bytes == 1024


def test_lists_and_booleans_from_the_environment() -> None:
    settings = load_settings(environ={"LICMON_TRUSTED_PROXIES": "10.0.0.0/8, ::1/128"})
    assert settings.trusted_proxies == ("10.0.0.0/8", "::1/128")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("port = 'eighty'", "setting port has an invalid value"),
        ("prot = 80", "unknown settings: prot"),
        ("port = [", "cannot be read"),
        ("port = true", "setting port has an invalid value"),
    ],
)
def test_bad_config_files_are_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings(config, environ={})


def test_missing_config_file() -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(Path("/nonexistent/licmon.toml"), environ={})


def test_bad_environment_value() -> None:
    with pytest.raises(ConfigError, match=r"setting port"):
        load_settings(environ={"LICMON_PORT": "80a"})


def test_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = dataclasses.field(default="", metadata={"help": "x", "secret": True})
    fake = dataclasses.make_dataclass(
        "Fake", [("token", str, secret)], bases=(Settings,), frozen=True
    )
    monkeypatch.setattr("licmon.config.Settings", fake)
    rows = {row["name"]: row["value"] for row in describe(fake(token="hunter2"))}  # type: ignore[call-arg]
    assert rows["token"] == "********"


def test_every_setting_has_help() -> None:
    for field in dataclasses.fields(Settings):
        assert field.metadata["help"].strip()


def test_readme_documents_every_setting() -> None:
    text = README.read_text()
    missing = [
        name for name in SETTING_NAMES if not re.search(rf"`{name}`.*`{env_name(name)}`", text)
    ]
    assert not missing, f"README misses settings: {missing}"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "write_batch_max = 0",
            "setting write_batch_max = 0 is out of range: it must be between 1",
        ),
        ("nonce_memory = -1", "setting nonce_memory = -1 is out of range: it must be between 1"),
        ("port = 70000", "setting port = 70000 is out of range"),
        ("shutdown_timeout = -1.0", "setting shutdown_timeout = -1.0 is out of range"),
        ("proxy_header = 'X-Real-IP'", "must be one of X-Forwarded-For, Forwarded"),
        ("log_level = 'LOUD'", "setting log_level = 'LOUD' is out of range"),
    ],
)
def test_a_setting_outside_its_range_is_one_clear_error(
    tmp_path: Path, content: str, message: str
) -> None:
    config = tmp_path / "range.toml"
    config.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings(config, environ={})


def test_every_number_setting_declares_its_range() -> None:
    undeclared = [
        f.name
        for f in dataclasses.fields(Settings)
        if f.type in (int, float, "int", "float")
        and f.metadata["valid"].at_least is None
        and f.metadata["valid"].at_most is None
    ]
    assert undeclared == []


def test_case_folded_choices_accept_any_case() -> None:
    assert load_settings(environ={"LICMON_SQLITE_SYNCHRONOUS": "normal"}).sqlite_synchronous
