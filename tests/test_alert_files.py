"""`[alerts] webhook_url_file` and `notify_file`: the alert URLs, which hold
tokens, read from a file (a systemd credential) instead of the config file the
service user can read; through the real CLI and the config loader."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tracker.cli.main import main
from tracker.config.load import config_from_dict
from tracker.errors import ConfigError

HOOK = "https://hooks.example/services/T0KEN9xQ2w/B8zR4tP"
TGRAM = "tgram://123456789:AAbbCCddEEffGGhh/987654"


def load(tmp_path, alerts: dict[str, object], env: dict[str, str] | None = None):
    return config_from_dict(
        {
            "database": {"path": "t.db"},
            "panels": [{"name": "p", "url": "https://panel.example/api/v2", "key": "k" * 20}],
            "alerts": alerts,
        },
        base_dir=tmp_path,
        env=env or {},
    )


def problems(tmp_path, alerts: dict[str, object], env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, alerts, env)
    text = "\n".join(caught.value.problems)
    assert "T0KEN9xQ2w" not in text and "AAbbCCdd" not in text
    return text


def test_the_webhook_url_is_read_from_its_file_beside_the_config(tmp_path):
    (tmp_path / "webhook").write_text(f"# the team's Slack\n{HOOK}\n")
    assert load(tmp_path, {"webhook_url_file": "webhook"}).alerts.webhook_url == HOOK


def test_a_relative_file_is_looked_up_in_the_credentials_directory_first(tmp_path):
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "notify").write_text(f"{TGRAM}\n\nntfy://ntfy.sh/alerts-topic\n")
    (tmp_path / "notify").write_text("ntfy://ntfy.sh/the-wrong-one\n")
    pytest.importorskip("apprise", reason="the notify extra: pip install '.[notify]'")
    config = load(tmp_path, {"notify_file": "notify"}, {"CREDENTIALS_DIRECTORY": str(creds)})
    assert config.alerts.notify == (TGRAM, "ntfy://ntfy.sh/alerts-topic")


@pytest.mark.parametrize(
    ("alerts", "content", "said"),
    [
        (
            {"webhook_url_file": "hook", "webhook_url": HOOK},
            HOOK,
            "at 'alerts.webhook_url_file': set webhook_url or webhook_url_file, not both",
        ),
        (
            {"webhook_url_file": "hook"},
            f"{HOOK}\n{HOOK}/2",
            "at 'alerts.webhook_url_file': the file must hold one URL (it holds 2 lines)",
        ),
        (
            {"webhook_url_file": "hook"},
            "hooks.example/services/T0KEN9xQ2w",
            "at 'alerts.webhook_url_file': the file must hold an http(s) URL (not shown)",
        ),
        (
            {"webhook_url_file": "hook"},  # a blank in its host, as webhook_url refuses
            "https://hooks\u00a0.example/services/T0KEN9xQ2w",
            "at 'alerts.webhook_url_file': the file must hold an http(s) URL without a blank in "
            "its host",
        ),
        (
            {"webhook_url_file": "hook"},  # a host no lookup can take, as webhook_url refuses
            "https://hooks\u202e.example/services/T0KEN9xQ2w",
            "at 'alerts.webhook_url_file': the file's URL has a host no name lookup takes "
            "(not shown): it cannot be looked up",
        ),
        (
            {"notify_file": "hook", "notify": [TGRAM]},
            TGRAM,
            "at 'alerts.notify_file': set notify or notify_file, not both",
        ),
        (
            {"notify_file": "hook"},
            "AAbbCCddEEffGGhh-without-a-scheme",
            "at 'alerts.notify_file[0]': must be an Apprise URL like SCHEME://... (not shown)",
        ),
    ],
)
def test_each_mistake_is_one_line_that_never_shows_the_url(tmp_path, alerts, content, said):
    (tmp_path / "hook").write_text(content + "\n")
    assert problems(tmp_path, alerts) == said


@pytest.mark.parametrize("key", ["notify_file", "webhook_url_file"])
def test_a_file_with_no_url_is_said_not_taken_for_no_alerts(tmp_path, key):
    (tmp_path / "urls").write_text("# the Telegram bot, to add\n\n")
    assert (
        problems(tmp_path, {key: "urls"}) == f"at 'alerts.{key}': {tmp_path / 'urls'} holds no URL"
    )


def test_a_missing_file_is_named(tmp_path):
    said = problems(tmp_path, {"notify_file": "nope"}, {"CREDENTIALS_DIRECTORY": "/run/c"})
    assert said == (
        f"at 'alerts.notify_file': {tmp_path / 'nope'} does not exist "
        "(also looked in $CREDENTIALS_DIRECTORY)"
    )


def test_the_cli_says_a_bad_file_in_one_line_and_exits_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hook").write_text("not a url T0KEN9xQ2w\n")
    config = tmp_path / "tracker.toml"
    config.write_text(
        '[database]\npath = "t.db"\n[[panels]]\nname = "p"\n'
        'url = "https://panel.example/api/v2"\nkey_env = "P_KEY"\n'
        '[alerts]\nwebhook_url_file = "hook"\n'
    )
    args = ["--config", str(config), "cancel", "--yes", "5"]
    result = CliRunner(env={"P_KEY": "k" * 20}).invoke(main, args)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"smm-tracker: config {config}: at 'alerts.webhook_url_file': the file must hold an "
        "http(s) URL (not shown)"
    ]


@pytest.mark.parametrize("key", ["webhook_url_file", "notify_file"])
def test_read_commands_leave_the_file_unread_as_they_do_the_key_file(tmp_path, key):
    """Under the unit the file is root's only, or a credential only the service
    sees ($CREDENTIALS_DIRECTORY): reading orders must not need it, as it needs
    no key_file either. The daemon and doctor read it."""
    (tmp_path / "tracker.toml").write_text(
        '[database]\npath = "t.db"\n[[panels]]\nname = "p"\n'
        'url = "https://panel.example/api/v2"\nkey_file = "api-key"\n'
        f'[alerts]\n{key} = "only-the-service-reads-this"\n'
    )
    config = str(tmp_path / "tracker.toml")
    result = CliRunner().invoke(main, ["--config", config, "orders"])
    assert result.exit_code == 1, result.output  # no database yet: not a config problem
    assert "only-the-service-reads-this" not in result.output
    doctor = CliRunner().invoke(main, ["--config", config, "doctor"])
    assert f"at 'alerts.{key}': " in doctor.output
