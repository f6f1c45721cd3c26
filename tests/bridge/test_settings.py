"""Settings precedence: defaults < TOML file < CONTINUO_* environment < flags; errors name the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.errors import ConfigError
from bridge.settings import Settings, load_settings


def test_defaults_listen_on_loopback() -> None:
    settings = load_settings(env={})
    assert (settings.host, settings.port, settings.reply_port) == ("127.0.0.1", 7300, 7301)
    assert settings.output_dir.name == "output"


def test_precedence(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('port = 9000\nreply_port = 9001\nqueue_size = 3\nlog_level = "debug"\n')
    env = {"CONTINUO_REPLY_PORT": "9101", "CONTINUO_QUEUE_SIZE": "4"}
    settings = load_settings(config, env=env, flags={"queue_size": "5", "port": None})
    assert settings.port == 9000  # file
    assert settings.reply_port == 9101  # env beats file
    assert settings.queue_size == 5  # flag beats env
    assert settings.log_level == "debug"


def test_default_config_file_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "config" / "continuo"
    folder.mkdir(parents=True)
    (folder / "config.toml").write_text("port = 7400\n")
    assert load_settings(env={}).port == 7400


@pytest.mark.parametrize(
    "text, words",
    [
        ("prot = 1\n", "unknown setting 'prot'"),
        ("port = 'x'\n", "expected a int"),
        ("port = 99999\n", "out of range"),
        ("log_level = 'loud'\n", "not one of"),
        ("port = \n", "cannot be read"),
    ],
)
def test_bad_config_files_say_what_is_wrong(tmp_path: Path, text: str, words: str) -> None:
    config = tmp_path / "c.toml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=words) as info:
        load_settings(config, env={})
    assert "c.toml" in str(info.value) or "port" in str(info.value)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", env={})


def test_listening_beyond_loopback_needs_an_allow_list() -> None:
    with pytest.raises(ConfigError, match="--allow"):
        load_settings(env={}, flags={"host": "0.0.0.0"})
    settings = load_settings(env={"CONTINUO_ALLOW": "192.168.1.0/24, 10.0.0.5"}, flags={"host": "0.0.0.0"})
    assert settings.allow == ("192.168.1.0/24", "10.0.0.5")
    with pytest.raises(ConfigError, match="not an IP address"):
        load_settings(env={}, flags={"host": "0.0.0.0", "allow": "my-laptop"})


def test_print_config_round_trips(tmp_path: Path) -> None:
    settings = load_settings(env={}, flags={"port": 7555, "allow": "10.0.0.1"})
    config = tmp_path / "c.toml"
    config.write_text(settings.to_toml())
    assert load_settings(config, env={}) == settings


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]
