"""Issue 12, point 10: a wrong value is reported once — never again as a false
second problem through the default that stood in for it — and doctor names
the key source whenever it can be read."""

from __future__ import annotations

import pytest
from simconfig import OFFLINE_CONFIG, TEST_KEY, cli_in

pytestmark = pytest.mark.usefixtures("quick_backoff")  # what is said, not the wait


@pytest.fixture
def cli(tmp_path, monkeypatch):
    cli = cli_in(tmp_path, monkeypatch, None, env={"SMM_TEST_KEY": TEST_KEY})

    def invoke(extra: str, *args: str, panel_extra: str = ""):
        text = OFFLINE_CONFIG.replace(
            'key_env = "SMM_TEST_KEY"\n', f'key_env = "SMM_TEST_KEY"\n{panel_extra}'
        )
        (tmp_path / "tracker.toml").write_text(text + extra)
        return cli(*args)

    return invoke


@pytest.mark.parametrize(
    ("extra", "only_problem"),
    [
        (
            '[schedule]\nstatus_every = "10 parsecs"\nstatus_max_every = "30s"\n',
            "at 'schedule.status_every': '10 parsecs' is not a duration",
        ),
        (
            '[schedule]\nstatus_every = "forever"\nstatus_max_every = "1m"\n',
            "at 'schedule.status_every': 'forever' is not a duration",
        ),
        (
            '[schedule]\nstatus_every = "5m"\nstatus_max_every = "forever"\n',
            "at 'schedule.status_max_every': 'forever' is not a duration",
        ),
        (
            '[refill]\nwindow = "a month"\nfirst_check = "20d"\n',
            "at 'refill.window': 'a month' is not a duration",
        ),
        (
            '[refill]\ndetect = "script"\ncommand = "/bin/true"\n',
            "at 'refill.detect': must be one of panel, command",
        ),
        (
            '[alerts]\nwebhook_url = "https://example.org/hook"\n'
            'webhook_format = "telegram"\ntelegram_chat_id = true\n',
            "at 'alerts.telegram_chat_id': must be a string or an integer",
        ),
        (
            '[[panels]]\nname = 5\nurl = "http://127.0.0.1:9/api/v2"\nkey_env = "SMM_TEST_KEY"\n',
            "at 'panels[1].name': must be a string, not an integer",
        ),
        (
            '[[panels]]\nname = "other"\nurl = 5\nkey_env = "SMM_TEST_KEY"\n',
            "at 'panels[1].url': must be a string, not an integer",
        ),
    ],
)
def test_a_wrong_value_is_one_problem_not_two(cli, tmp_path, extra, only_problem):
    result = cli(extra, "orders")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    config = tmp_path / "tracker.toml"
    assert lines[0].startswith(f"smm-tracker: config {config}: {only_problem}"), result.output


@pytest.mark.parametrize(
    ("extra", "only_problem"),
    [
        (
            '[schedule]\nstatus_evry = "3s"\nstatus_max_every = "1m"\n',
            "at 'schedule.status_evry': unknown key (did you mean 'status_every'?)",
        ),
        (  # no "did you mean": still the only problem
            '[schedule]\nevery = "3s"\nstatus_max_every = "1m"\n',
            "at 'schedule.every': unknown key",
        ),
        (
            '[refill]\nwindw = "60d"\nfirst_check = "40d"\n',
            "at 'refill.windw': unknown key (did you mean 'window'?)",
        ),
        (
            '[refill]\ndetct = "command"\ncommand = "/bin/true"\n',
            "at 'refill.detct': unknown key (did you mean 'detect'?)",
        ),
        (
            '[refill]\ndetect = "command"\ncomand = "/bin/true"\n',
            "at 'refill.comand': unknown key (did you mean 'command'?)",
        ),
        (
            '[alerts]\nwebhook_url = "https://example.org/hook"\n'
            'webhook_format = "telegram"\ntelegram_chatid = "12345"\n',
            "at 'alerts.telegram_chatid': unknown key (did you mean 'telegram_chat_id'?)",
        ),
        (
            "[automation]\nreorder = true\ndaily_cp = 20\n",
            "at 'automation.daily_cp': unknown key (did you mean 'daily_cap'?)",
        ),
    ],
)
def test_a_misspelt_key_is_one_problem_not_two(cli, tmp_path, extra, only_problem):
    # The default standing in for the misspelt key is not compared with the
    # value next to it: the typo alone is reported.
    result = cli(extra, "orders")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    config = tmp_path / "tracker.toml"
    assert lines == [f"smm-tracker: config {config}: {only_problem}"], result.output


def test_a_cross_check_between_two_written_values_stands_beside_a_typo(cli):
    extra = '[schedule]\nstatus_every = "5m"\nstatus_max_every = "30s"\nservces_every = "1h"\n'
    result = cli(extra, "doctor")
    assert result.exit_code == 1
    assert "at 'schedule.status_max_every': must be at least schedule.status_every (5m)" in (
        result.output
    )
    assert "at 'schedule.servces_every': unknown key (did you mean 'services_every'?)" in (
        result.output
    )


def test_a_true_cross_check_is_still_made(cli):
    result = cli('[schedule]\nstatus_every = "5m"\nstatus_max_every = "30s"\n', "orders")
    assert result.exit_code == 2
    assert "at 'schedule.status_max_every': must be at least schedule.status_every (5m)" in (
        result.output
    )


def test_doctor_names_the_key_source_despite_a_typo_in_the_panel(cli):
    result = cli("", "doctor", panel_extra='timout = "5s"\n')
    assert result.exit_code == 1
    assert "at 'panels[0].timout': unknown key (did you mean 'timeout'?)" in result.output
    assert (
        "skip panel main: key: environment variable SMM_TEST_KEY; "
        "not called: fix its config problems first"
    ) in result.output
    assert "source unknown" not in result.output


def test_doctor_names_the_key_source_despite_a_typo_elsewhere(cli):
    result = cli('[schedule]\nstatus_evry = "1m"\n', "doctor")
    assert "panel main: key: environment variable SMM_TEST_KEY;" in result.output


@pytest.mark.parametrize(
    ("config", "only_problem"),
    [
        (
            '[[panels]]\nnme = "main"\nurl = "http://127.0.0.1:9/api/v2"\nkey_env = "K"\n',
            "at 'panels[0].nme': unknown key (did you mean 'name'?)",
        ),
        (
            '[[panels]]\nname = "main"\nulr = "http://127.0.0.1:9/api/v2"\nkey_env = "K"\n',
            "at 'panels[0].ulr': unknown key (did you mean 'url'?)",
        ),
        (
            '[[panels]]\nname = "main"\nurl = "http://127.0.0.1:9/api/v2"\nkee = "abcdefgh"\n',
            "at 'panels[0].kee': unknown key (did you mean 'key'?)",
        ),
        (
            '[[panel]]\nname = "main"\nurl = "http://127.0.0.1:9/api/v2"\nkey_env = "K"\n',
            "at 'panel': unknown key (did you mean 'panels'?)",
        ),
    ],
)
def test_a_misspelt_required_key_is_one_problem_not_two(
    tmp_path, monkeypatch, config, only_problem
):
    # "is required" beside "did you mean" would be the same mistake twice.
    cli = cli_in(tmp_path, monkeypatch, config, env={"K": TEST_KEY})
    result = cli("orders")
    assert result.exit_code == 2
    said = f"smm-tracker: config {tmp_path / 'tracker.toml'}: {only_problem}"
    assert result.output.strip().splitlines() == [said]


def test_a_required_key_really_missing_is_still_said(tmp_path, monkeypatch):
    cli = cli_in(tmp_path, monkeypatch, '[[panels]]\nname = "main"\nkey_env = "K"\n')
    result = cli("orders")
    assert result.exit_code == 2
    assert "at 'panels[0].url': is required" in result.output


PANEL = 'url = "http://127.0.0.1:9/api/v2"\nkey_env = "K"\n'


@pytest.mark.parametrize(
    ("config", "problems"),
    [
        (  # the panel's name misspelt: not also "'main' is not a configured panel name"
            f'[[panels]]\nnme = "main"\n{PANEL}[automation]\ndaily_cap_panels = {{ main = 20 }}\n',
            ["at 'panels[0].nme': unknown key (did you mean 'name'?)"],
        ),
        (
            f'[[panel]]\nname = "main"\n{PANEL}[automation]\ndaily_cap_panels = {{ main = 20 }}\n',
            ["at 'panel': unknown key (did you mean 'panels'?)"],
        ),
        (
            f'[[panels]]\nname = "ma in"\n{PANEL}[automation]\n'
            "daily_cap_panels = { main = 20 }\n",
            ["at 'panels[0].name': must be letters, digits, '_', '.' or '-' (got 'ma in')"],
        ),
        (  # the name misspelt in the table: said once, with the name meant
            f'[[panels]]\nname = "main"\n{PANEL}[automation]\ndaily_cap_panels = {{ mian = 20 }}\n',
            [
                "at 'automation.daily_cap_panels.mian': is not a configured panel name "
                "(did you mean 'main'?)"
            ],
        ),
        (  # a wrong cap: not also "daily_cap must be above 0" against the caps left
            f'[[panels]]\nname = "main"\n{PANEL}[automation]\nreorder = true\n'
            'daily_cap_panels = { main = "lots" }\n',
            ["at 'automation.daily_cap_panels.main': must be a number (got 'lots')"],
        ),
        (  # two mistakes in one entry are two lines, and no third about daily_cap
            f'[[panels]]\nname = "main"\n{PANEL}[automation]\nreorder = true\n'
            "daily_cap_panels = { mian = -1 }\n",
            [
                "at 'automation.daily_cap_panels.mian': is not a configured panel name "
                "(did you mean 'main'?)",
                "at 'automation.daily_cap_panels.mian': must be a number >= 0 (got -1)",
            ],
        ),
    ],
)
def test_a_misspelt_panel_name_and_daily_cap_panels_are_one_problem(
    tmp_path, monkeypatch, config, problems
):
    cli = cli_in(tmp_path, monkeypatch, config, env={"K": TEST_KEY})
    result = cli("orders")
    assert result.exit_code == 2
    if len(problems) == 1:
        said = [f"smm-tracker: config {tmp_path / 'tracker.toml'}: {problems[0]}"]
    else:
        said = [f"smm-tracker: config {tmp_path / 'tracker.toml'} has {len(problems)} problems:"]
        said += [f"  {p}" for p in problems]
    assert result.output.strip().splitlines() == said


@pytest.mark.parametrize(
    ("config", "where"),
    [
        ('[database]\npath = "a\\u0000b.db"\n', "database.path"),
        ('[[panels]]\nname = "x"\nurl = "http://127.0.0.1:9/"\nkey_file = "k\\u0000"\n', None),
        ('[alerts]\nnotify_file = "n\\u0000"\n', "alerts.notify_file"),
        ('[alerts]\nwebhook_url_file = "w\\u0000"\n', "alerts.webhook_url_file"),
    ],
)
def test_a_nul_character_in_a_file_name_is_a_config_error(tmp_path, monkeypatch, config, where):
    # TOML lets "\u0000" through; every os call on such a path raises ValueError.
    cli = cli_in(tmp_path, monkeypatch, None, env={"SMM_TEST_KEY": TEST_KEY})
    text = OFFLINE_CONFIG.replace('[database]\npath = "t.db"\n', "")
    (tmp_path / "tracker.toml").write_text(
        config + text if "[database]" in config else text + config
    )
    where = where or "panels[1].key_file"
    for command in [("track", "5"), ("run", "--once")]:
        result = cli(*command)
        assert result.exit_code == 2, result.output
        assert f"at '{where}': must not contain a NUL character (\\u0000)" in result.output
    result = cli("doctor")
    assert result.exit_code == 1
    said = f"FAIL config: {tmp_path / 'tracker.toml'}: at '{where}': must not contain a NUL"
    assert said in result.output


def test_a_problem_names_the_file_it_is_in_of_the_places_a_config_is_looked_up(
    tmp_path, monkeypatch
):
    # ./tracker.toml is fine; $SMM_TRACKER_CONFIG, read first, holds the typo:
    # "at 'schedule.status_evry'" alone sent the operator to the file they
    # had open, which has no such line.
    cli = cli_in(tmp_path, monkeypatch, OFFLINE_CONFIG, env={"SMM_TEST_KEY": TEST_KEY})
    etc = tmp_path / "etc"
    etc.mkdir()
    named = etc / "config.toml"
    named.write_text(OFFLINE_CONFIG + '[schedule]\nstatus_evry = "3m"\n')
    monkeypatch.setenv("SMM_TRACKER_CONFIG", str(named))
    problem = "at 'schedule.status_evry': unknown key (did you mean 'status_every'?)"
    for command in [("orders",), ("track", "5"), ("run", "--once"), ("run",)]:
        result = cli(*command)
        assert result.exit_code == 2, (command, result.output)
        assert result.output == f"smm-tracker: config {named}: {problem}\n", command
    result = cli("doctor")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == f"FAIL config: {named}: {problem}"
