import copy
import dataclasses
import re
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from tracker.config import load as config_module
from tracker.config.load import config_from_dict, find_config_path, load_config
from tracker.config.model import (
    AlertsConfig,
    AutomationConfig,
    BalanceConfig,
    Config,
    DatabaseConfig,
    LoggingConfig,
    MetricsConfig,
    PanelConfig,
    RefillConfig,
    ScheduleConfig,
    Secret,
)
from tracker.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"
KEY = "f3c9a1d27be84c0e9a6b5d4c3b2a1f00"
URL = "https://panel.example/api/v2"
SECTIONS = {
    "database": DatabaseConfig,
    "schedule": ScheduleConfig,
    "refill": RefillConfig,
    "balance": BalanceConfig,
    "alerts": AlertsConfig,
    "metrics": MetricsConfig,
    "logging": LoggingConfig,
    "automation": AutomationConfig,
}


def minimal(**panel):
    return {"panels": [{"name": "main", "url": URL, "key": KEY, **panel}]}


def build(data, tmp_path, env=None, **kwargs):
    return config_from_dict(data, base_dir=tmp_path, env=env or {}, **kwargs)


def problems(data, tmp_path, env=None, **kwargs):
    with pytest.raises(ConfigError) as caught:
        build(data, tmp_path, env, **kwargs)
    return caught.value.problems


def with_value(path, value):
    """Return the minimal config with dotted ``path`` (``panels[0].x`` allowed) set."""
    data = copy.deepcopy(minimal())
    *parents, last = path.replace("[0]", ".0").split(".")
    node = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    node[last] = value
    return data


# --- the example file -------------------------------------------------------


def test_example_loads_with_the_documented_defaults(monkeypatch):
    config = load_config(str(EXAMPLE), {"SMM_API_KEY": KEY})
    assert config.path == EXAMPLE
    panel = config.panel(None)
    assert panel.key.reveal() == KEY
    assert panel.key_source == "environment variable SMM_API_KEY"
    defaults = build(minimal(), EXAMPLE.parent)
    for section in SECTIONS:
        assert getattr(config, section) == getattr(defaults, section)
    assert panel.key_field == "key_env"
    shown = panel._replace(key=Secret(KEY), key_source="", key_field="")
    documented = defaults.panels[0]._replace(
        name="main", url="https://your-panel.example/api/v2", key_source="", key_field=""
    )
    assert shown == documented


def test_example_documents_every_key():
    text = EXAMPLE.read_text()
    written = set(re.findall(r"^#? ?(\w+) = ", text, flags=re.MULTILINE))
    for cls in [*SECTIONS.values(), PanelConfig]:
        names = getattr(cls, "_fields", None) or [f.name for f in dataclasses.fields(cls)]
        for name in names:
            derived = {"key_source", "key_field", "host", "port", "unread_targets"}  # not written
            if name in derived:
                continue
            assert name in written, f"{cls.__name__}.{name} is not documented"
    assert {"key_env", "key_file", "key"} <= written


def test_example_without_the_key_variable_says_so():
    with pytest.raises(ConfigError) as caught:
        load_config(str(EXAMPLE), {})
    assert caught.value.problems == [
        "at 'panels[0].key_env': environment variable SMM_API_KEY is not set"
    ]


# --- values -----------------------------------------------------------------


def test_minimal_config_gets_defaults_and_absolute_paths(tmp_path):
    config = build(minimal(), tmp_path)
    assert config.database == DatabaseConfig(path=tmp_path / "tracker.db", busy_timeout=10.0)
    assert config.schedule.status_every == 300.0
    assert config.refill.statuses == ("Completed",)
    assert config.balance.low == Decimal(0)
    assert config.metrics.enabled is False
    assert config.path is None


def test_values_are_converted(tmp_path):
    data = minimal(timeout="1m", balance_low="12.50")
    data["database"] = {"path": "/var/lib/t.db", "busy_timeout": 0}
    data["schedule"] = {"status_every": "2h"}  # status_max_every default follows it up
    data["refill"] = {"statuses": ["partial", "Completed", "Partial"]}
    data["balance"] = {"low": 0.1}
    data["metrics"] = {"listen": "[::1]:9464"}
    data["alerts"] = {"webhook_format": "Telegram", "telegram_chat_id": -1001234}
    data["logging"] = {"level": "DEBUG"}
    config = build(data, tmp_path)
    panel = config.panels[0]
    assert (panel.timeout, panel.connect_timeout) == (60.0, 10.0)
    assert config.balance_low(panel) == Decimal("12.50")
    assert config.balance.low == Decimal("0.1")
    assert config.database == DatabaseConfig(path=Path("/var/lib/t.db"), busy_timeout=0.0)
    assert config.schedule.status_max_every == 7200.0
    assert config.refill.statuses == ("Partial", "Completed")
    assert (config.metrics.host, config.metrics.port) == ("::1", 9464)
    assert config.alerts.webhook_format == "telegram"
    assert config.alerts.telegram_chat_id == "-1001234"
    assert config.logging.level == "debug"


def test_memory_database_is_kept(tmp_path):
    data = minimal()
    data["database"] = {"path": ":memory:"}
    assert str(build(data, tmp_path).database.path) == ":memory:"


def test_refill_command_is_resolved(tmp_path):
    script = tmp_path / "drops.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    data = minimal()
    data["refill"] = {"detect": "command", "command": "drops.sh"}
    assert problems(data, tmp_path) == ["at 'refill.command': 'drops.sh' is not an executable file"]
    data["refill"]["command"] = "./drops.sh"
    assert build(data, tmp_path).refill.command == str(script)
    data["refill"]["command"] = "drops.sh"
    assert build(data, tmp_path, {"PATH": str(tmp_path)}).refill.command == str(script)


# --- mistakes ---------------------------------------------------------------

MISTAKES = [
    ("database.busy_timeout", "5x", "'5x' is not a duration like 90s, 5m, 24h, 30d"),
    ("database.path", "", "must not be empty"),
    ("database.path", 5, "must be a string, not an integer"),
    ("panels[0].url", "example.com/api", "must be an http(s) URL"),
    ("panels[0].url", "ftp://example.com", "must be an http(s) URL"),
    ("panels[0].url", URL + "?key=x", "must not carry the API key"),
    # A tab or line break inside: the check read past it, every call failed
    # ("Invalid non-printable ASCII character in URL").
    ("panels[0].url", "https://panel.exa\tmple/api/v2", "without a control character in it"),
    ("alerts.webhook_url", "https://hooks.example/x\ny", "without a control character in it"),
    # A blank inside the host: "valid" to doctor, then every call failed on
    # "host exa mple.com not found".
    ("panels[0].url", "https://panel.exa mple/api/v2", "without a blank in its host"),
    ("alerts.webhook_url", "https://hooks .example/x", "without a blank in its host"),
    # A non-breaking or ideographic space (pasted from a chat or a PDF): httpx
    # refused every call ("Invalid IDNA hostname") of a config called valid.
    ("panels[0].url", "https://panel.exa\u00a0mple/api/v2", "without a blank in its host"),
    ("alerts.webhook_url", "https://hooks\u3000.example/x", "without a blank in its host"),
    # A host no lookup can take: a format character (U+202E), a label past
    # 63 characters, an empty one, a broken A-label. "Valid" to doctor, then
    # every call a traceback (UnicodeError, idna.IDNAError) out of httpx or
    # the resolver's thread.
    ("panels[0].url", "https://x\u202ey.example/api/v2", "no name lookup takes it (Invalid char"),
    (
        "panels[0].url",
        f"https://{'a' * 64}.example/api/v2",
        "lookup takes it (label empty or too lo",
    ),
    ("panels[0].url", "https://panel..example/api/v2", "lookup takes it (label empty or too long)"),
    ("panels[0].url", "https://xn--zz.example/api/v2", "lookup takes it (Invalid A-label)"),
    ("panels[0].url", "https://\u2603.example/api/v2", "cannot be looked up"),
    ("alerts.webhook_url", "https://hooks\u202e.example/x", "cannot be looked up"),
    ("panels[0].name", "main panel", "must be letters, digits"),
    ("panels[0].name", "", "must be letters, digits"),
    ("panels[0].timeout", "0s", "must be between 1ms and 10m"),
    ("panels[0].timeout", "1h", "must be between 1ms and 10m"),
    ("panels[0].max_batch", 0, "must be between 1 and 100 (got 0)"),
    ("panels[0].max_batch", 101, "must be between 1 and 100 (got 101)"),
    ("panels[0].max_batch", "100", "must be an integer, not a string"),
    ("panels[0].concurrency", 4.0, "must be an integer, not a float"),
    ("panels[0].concurrency", 33, "must be between 1 and 32"),
    ("panels[0].retries", True, "must be an integer, not a boolean"),
    ("panels[0].retries", 11, "must be between 0 and 10"),
    ("panels[0].requests_per_minute", -1, "must be between 0 and"),
    ("panels[0].balance_low", -5, "must be a number >= 0"),
    ("panels[0].balance_low", "lots", "must be a number"),
    ("schedule", 5, "must be a table, not an integer"),
    ("schedule.status_every", -5, "is not a non-negative number of seconds"),
    ("schedule.status_every", "500ms", "must be between 1s and 30d"),
    ("schedule.status_max_every", "1m", "must be at least schedule.status_every (5m)"),
    ("schedule.late_checks", "1h", 'must be an array of at most 10 durations like ["1h", "6h"'),
    ("schedule.late_checks", ["1h"] * 11, "at most 10 durations like"),
    ("refill.enabled", "yes", "must be true or false, not a string"),
    ("refill.detect", "pannel", "must be one of panel, command (got 'pannel')"),
    ("refill.unknown_service", "ask", "must be one of skip, try"),
    ("refill.statuses", [], "must be a non-empty array"),
    ("refill.statuses", "Completed", "must be a non-empty array"),
    ("refill.first_check", "31d", "must be shorter than refill.window (30d)"),
    ("refill.max_requests", 0, "must be between 1 and"),
    ("refill.window_from_name", "yes", "must be true or false, not a string"),
    ("refill.lifetime", "forever", "is not a duration"),
    ("refill.lifetime", "12h", "must be between 1d and 3660d (got '12h')"),
    ("refill.drop_threshold", 1.5, "must be between 0 and 1 (got 1.5)"),
    ("refill.drop_threshold", float("nan"), "must be between 0 and 1"),
    ("refill.command", "/bin/true", 'is set but refill.detect is "panel"'),
    ("balance.low", -1, "must be a number >= 0"),
    ("balance.recover_margin", -0.1, "must be between 0 and 1"),
    ("alerts.webhook_url", "hooks.slack.com/x", "must be an http(s) URL"),
    ("alerts.webhook_format", "discord", "must be one of json, slack, telegram"),
    ("alerts.telegram_chat_id", "my chat", "must be a numeric chat ID or @channelname"),
    ("metrics.listen", "localhost", "must be host:port"),
    ("metrics.listen", "127.0.0.1:70000", "must be host:port"),
    ("metrics.listen", "[nope]:9464", "must be host:port"),
    # Digits of another script (Arabic-Indic, fullwidth) are no port, chat ID
    # or size, as they are no order ID or duration: ASCII digits only.
    ("metrics.listen", "127.0.0.1:\u0669\u0664\u0666\u0664", "must be host:port"),
    ("alerts.telegram_chat_id", "-\u0661\u0660\u0660", "must be a numeric chat ID"),
    ("panels[0].max_answer", "\uff11\uff16 MB", 'must be a size like "16 MB"'),
    ("logging.level", "verbose", "must be one of debug, info, warning, error"),
    ("logging.format", "xml", "must be one of auto, console, json, text"),
]


@pytest.mark.parametrize(("path", "value", "message"), MISTAKES)
def test_each_mistake_is_reported_at_its_path(tmp_path, path, value, message):
    found = problems(with_value(path, value), tmp_path)
    assert len(found) == 1, found
    assert found[0].startswith(f"at '{path}': ")
    assert message in found[0]


def test_a_blank_pasted_around_a_url_is_dropped(tmp_path):
    # Kept, every call failed: " https://..." was "Request URL is missing an
    # 'http://' or 'https://' protocol", ".../api/v2 " an HTTP 404 (%20).
    data = with_value("panels[0].url", "  https://panel.example/api/v2 \n")
    data["alerts"] = {"webhook_url": "\thttps://hooks.example/x "}
    config = build(data, tmp_path)
    assert config.panels[0].url == "https://panel.example/api/v2"
    assert config.alerts.webhook_url == "https://hooks.example/x"


def test_refill_statuses_item_is_named_by_index(tmp_path):
    found = problems(with_value("refill.statuses", ["Completed", "Pending"]), tmp_path)
    assert found == ["at 'refill.statuses[1]': must be 'Completed' or 'Partial' (got 'Pending')"]


def test_late_checks_are_read_ascending_each_wrong_one_named_by_index(tmp_path):
    schedule = build(with_value("schedule.late_checks", ["24h", "1h", 600, "1h"]), tmp_path)
    assert schedule.schedule.late_checks == (600.0, 3600.0, 86400.0)
    assert build(with_value("schedule.late_checks", []), tmp_path).schedule.late_checks == ()
    found = problems(with_value("schedule.late_checks", ["1h", "30s", "6 hours", "31d"]), tmp_path)
    assert found == [
        "at 'schedule.late_checks[1]': must be between 1m and 30d (got '30s')",
        "at 'schedule.late_checks[2]': '6 hours' is not a duration like 90s, 5m, 24h, 30d",
        "at 'schedule.late_checks[3]': must be between 1m and 30d (got '31d')",
    ]


@pytest.mark.parametrize(
    ("path", "number"),
    [
        ("panels[0].timeout", 30),
        ("database.busy_timeout", 5),
        ("database.prune_older_than", 3_000_000),  # at least 30d
        ("schedule.late_checks", 7200),
        ("automation.stall_after", 7200),
    ],
)
def test_a_duration_key_given_a_number_in_quotes_says_what_works(tmp_path, path, number):
    # `timeout = "30"` was refused without saying that 30 or "30s" works.
    def given(value):
        return {"schedule.late_checks": [value], "automation.stall_after": {"Pending": value}}.get(
            path, value
        )

    [found] = problems(with_value(path, given(str(number))), tmp_path)
    assert found == (
        f"at '{path}{'[0]' * path.endswith('late_checks')}{'.Pending' * path.startswith('auto')}': "
        f"'{number}' is not a duration like 90s, 5m, 24h, 30d: a number needs its unit "
        f'("{number}s"), or {number} without quotes (seconds)'
    )
    build(with_value(path, given(number)), tmp_path)  # both fixes said work
    build(with_value(path, given(f"{number}s")), tmp_path)


def test_cross_field_requirements(tmp_path):
    data = minimal()
    data["refill"] = {"detect": "command"}
    data["alerts"] = {"webhook_format": "telegram"}
    assert problems(data, tmp_path) == [
        "at 'refill.command': is required when refill.detect = \"command\"",
        "at 'alerts.telegram_chat_id': is required when alerts.webhook_format = \"telegram\"",
    ]


@pytest.mark.parametrize(
    ("panels", "message"),
    [
        (None, "at 'panels': at least one [[panels]] table is required"),
        ([], "at 'panels': at least one [[panels]] table is required"),
        ({"name": "main"}, "at 'panels': must be an array of tables, written [[panels]]"),
        (["main"], "at 'panels[0]': must be a table, not a string"),
    ],
)
def test_panels_must_be_an_array_of_tables(tmp_path, panels, message):
    data = {} if panels is None else {"panels": panels}
    assert message in problems(data, tmp_path)


def test_panel_name_and_url_are_required(tmp_path):
    data = {"panels": [{"key": KEY}]}
    assert problems(data, tmp_path) == [
        "at 'panels[0].name': is required",
        "at 'panels[0].url': is required",
    ]


def test_panel_names_are_unique(tmp_path):
    data = minimal()
    data["panels"].append({"name": "main", "url": URL, "key": KEY})
    assert problems(data, tmp_path) == ["at 'panels[1].name': 'main' is already used by panels[0]"]


def test_one_account_under_two_panel_names_is_refused(tmp_path):
    # Panel c's entry given panel d's url and key (pasted by hand): every
    # order of c would be asked of d's account, and where their order IDs
    # overlap, d's answers stored as c's statuses.
    (tmp_path / "d.key").write_text(KEY + "\n")
    data = {
        "panels": [
            {"name": "c", "url": "HTTPS://Panel.example/api/v2/", "key": KEY},
            {"name": "d", "url": URL, "key_file": "d.key"},
        ]
    }
    found = problems(data, tmp_path)
    assert found == [
        "at 'panels[1]': 'd' has the url and key of panels[0] ('c'): one account configured "
        "twice, its answers stored for both panels' orders; put back the key (or url) "
        "copied from the other panel"
    ]
    assert KEY not in str(found)


@pytest.mark.parametrize(
    "other",
    [
        "https://www.panel.example/api/v2",  # the same site with www.
        "https://panel.example:443/api/v2",  # its default port written out
        "http://panel.example/api/v2",  # plain http: the same panel, the same account
        "https://WWW.Panel.Example.:443/api/v2/",  # all of it, and a root dot
    ],
)
def test_one_account_under_two_spellings_of_its_host_is_refused(tmp_path, other):
    # The same panel reached under two host names (with and without www.) or
    # schemes, with one key: still one account configured twice.
    data = minimal()
    data["panels"].append({"name": "second", "url": other, "key": KEY})
    found = problems(data, tmp_path)
    assert len(found) == 1 and "'second' has the url and key of panels[0] ('main')" in found[0]


@pytest.mark.parametrize(
    "other",
    [
        "https://api.panel.example/api/v2",  # another host name than www.
        "https://panel.example:8443/api/v2",  # another port
        "https://panel.example/other/api/v2",  # another path
    ],
)
def test_one_key_at_another_endpoint_is_not_refused(tmp_path, other):
    data = minimal()
    data["panels"].append({"name": "second", "url": other, "key": KEY})
    assert [p.name for p in build(data, tmp_path).panels] == ["main", "second"]


def test_two_accounts_on_one_panel_are_two_panels(tmp_path):
    data = minimal()
    data["panels"].append({"name": "second", "url": URL, "key": KEY[::-1]})
    assert [p.name for p in build(data, tmp_path).panels] == ["main", "second"]
    # Commands that read no key (orders, history, track) cannot tell: not refused.
    data["panels"][1]["key"] = KEY
    assert len(build(data, tmp_path, resolve_keys=False).panels) == 2


def test_three_mistakes_are_reported_together(tmp_path):
    data = minimal(url="not a url")
    data["schedule"] = {"status_every": "5x"}
    data["refill"] = {"max_requests": 0}
    with pytest.raises(ConfigError) as caught:
        build(data, tmp_path)
    paths = [re.match(r"at '([^']+)'", p).group(1) for p in caught.value.problems]
    assert paths == ["panels[0].url", "schedule.status_every", "refill.max_requests"]
    assert "schedule.status_every" in str(caught.value)


def test_unknown_keys_are_reported_with_a_suggestion(tmp_path):
    data = minimal(timout="5s")
    data["schedule"] = {"status_evry": "5m"}
    data["refil"] = {}
    assert sorted(problems(data, tmp_path)) == [
        "at 'panels[0].timout': unknown key (did you mean 'timeout'?)",
        "at 'refil': unknown key (did you mean 'refill'?)",
        "at 'schedule.status_evry': unknown key (did you mean 'status_every'?)",
    ]


# --- reading files ----------------------------------------------------------


def test_malformed_toml_names_file_line_and_column(tmp_path):
    path = tmp_path / "tracker.toml"
    path.write_text('[database]\npath = "x.db"\nbusy_timeout = \n')
    with pytest.raises(ConfigError) as caught:
        load_config(str(path), {})
    [message] = caught.value.problems
    assert message.startswith(f"{path}: invalid TOML: ")
    assert "line 3, column" in message
    assert caught.value.__suppress_context__


def test_non_utf8_file_is_a_config_error(tmp_path):
    path = tmp_path / "tracker.toml"
    path.write_bytes(b'[database]\npath = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(str(path), {})


def test_relative_paths_follow_the_config_file(tmp_path, monkeypatch):
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "main.key").write_text(KEY + "\n")
    (etc / "t.toml").write_text(
        f'[database]\npath = "data/t.db"\n[[panels]]\nname = "a"\nurl = "{URL}"\n'
        'key_file = "main.key"\n'
    )
    monkeypatch.chdir(tmp_path)
    config = load_config("etc/t.toml", {})
    assert config.path == etc / "t.toml"
    assert config.database.path == etc / "data" / "t.db"
    assert config.panels[0].key.reveal() == KEY


@pytest.fixture
def places(tmp_path, monkeypatch):
    """Give each lookup place its own file; nothing exists until a test writes it."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    system = tmp_path / "etc" / "config.toml"
    monkeypatch.setattr(config_module, "SYSTEM_CONFIG", system)
    return {
        "explicit": tmp_path / "explicit.toml",
        "env": tmp_path / "env.toml",
        "local": cwd / "tracker.toml",
        "system": system,
    }


def test_lookup_order(places):
    env = {"SMM_TRACKER_CONFIG": str(places["env"])}
    places["system"].parent.mkdir()
    for path in places.values():
        path.write_text("")
    assert find_config_path(str(places["explicit"]), env) == places["explicit"]
    assert find_config_path(None, env) == places["env"]
    assert find_config_path(None, {}) == places["local"]
    places["local"].unlink()
    assert find_config_path(None, {"SMM_TRACKER_CONFIG": ""}) == places["system"]


def test_named_config_must_exist(places):
    places["local"].write_text("")  # must not be used instead
    with pytest.raises(ConfigError) as caught:
        find_config_path(str(places["explicit"]), {})
    assert caught.value.problems == [
        f"config file {places['explicit']} (from --config) does not exist"
    ]
    with pytest.raises(ConfigError, match=r"env\.toml \(from \$SMM_TRACKER_CONFIG\)"):
        find_config_path(None, {"SMM_TRACKER_CONFIG": str(places["env"])})


@pytest.mark.parametrize(
    ("make", "state"),
    [(Path.mkdir, "is not a file"), (lambda p: p.symlink_to(p.name), "is a symbolic link loop")],
    ids=["directory", "loop"],
)
def test_a_directory_or_a_loop_at_a_default_place_is_said_not_passed_over(places, make, state):
    # ./tracker.toml made a directory by mistake: reading /etc's config instead
    # would run with another setup without a word.
    make(places["local"])
    places["system"].parent.mkdir()
    places["system"].write_text("")
    with pytest.raises(ConfigError) as caught:
        find_config_path(None, {})
    assert caught.value.problems == [f"config file {places['local']} {state}; pass --config PATH"]


def test_a_named_symbolic_link_loop_is_said_to_be_one(places):
    places["explicit"].symlink_to(places["explicit"])
    with pytest.raises(ConfigError) as caught:
        find_config_path(str(places["explicit"]), {})
    assert caught.value.problems == [
        f"config file {places['explicit']} (from --config) is a symbolic link loop"
    ]


@pytest.mark.parametrize("name", ["b" * 300 + ".toml", "a/" * 3000 + "x.toml"])
def test_a_config_path_too_long_to_open_is_said_so_cut(tmp_path, monkeypatch, name):
    # A name past 255 bytes, a path past 4096: one short line, not a
    # traceback's "File name too long" with the whole path said back.
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        find_config_path(name, {})
    [message] = caught.value.problems
    assert message.endswith("(from --config) is too long a path for the filesystem")
    assert message.startswith(f"config file {tmp_path}") and len(message) < 200
    assert f"({len(str(tmp_path / name))} characters)" in message


def test_a_config_path_that_cannot_be_looked_at_says_why(places, monkeypatch):
    # A directory on the way this user may not enter (root is never refused:
    # the refusal is made here).
    def refused(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "stat", refused)
    with pytest.raises(ConfigError) as caught:
        find_config_path(str(places["explicit"]), {})
    assert caught.value.problems == [
        f"config file {places['explicit']} (from --config) cannot be looked at: Permission denied"
    ]


def test_no_config_anywhere_names_the_places_tried(places):
    with pytest.raises(ConfigError) as caught:
        load_config(None, {})
    [message] = caught.value.problems
    assert str(places["local"]) in message
    assert str(places["system"]) in message
    assert "--config" in message
    assert "smm-tracker init" in message  # a first day's next step: write one


# --- keys -------------------------------------------------------------------


def panel_with(tmp_path, env=None, **key_fields):
    data = {"panels": [{"name": "main", "url": URL, **key_fields}]}
    return build(data, tmp_path, env).panels[0]


def test_key_from_environment(tmp_path):
    panel = panel_with(tmp_path, {"PANEL_KEY": f" {KEY}\n"}, key_env="PANEL_KEY")
    assert panel.key.reveal() == KEY
    assert panel.key_source == "environment variable PANEL_KEY"


def test_key_from_file_next_to_config(tmp_path):
    (tmp_path / "main.key").write_text(f"\n{KEY}\n")
    panel = panel_with(tmp_path, key_file="main.key")
    assert panel.key.reveal() == KEY
    assert panel.key_source == f"file {tmp_path / 'main.key'}"


@pytest.mark.parametrize("written", [f"\ufeff{KEY}\r\n", f"\ufeff{KEY}", f"{KEY}\r\n"])
def test_key_file_as_a_windows_editor_saves_it(tmp_path, written):
    # Notepad's "UTF-8 with BOM" and CRLF: the BOM was sent as part of the key
    (tmp_path / "main.key").write_bytes(written.encode())
    assert panel_with(tmp_path, key_file="main.key").key.reveal() == KEY


def test_key_file_prefers_credentials_directory(tmp_path):
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "main.key").write_text("from-systemd")
    (tmp_path / "main.key").write_text("from-config-dir")
    env = {"CREDENTIALS_DIRECTORY": str(credentials)}
    panel = panel_with(tmp_path, env, key_file="main.key")
    assert panel.key.reveal() == "from-systemd"
    assert panel.key_source == f"file {credentials / 'main.key'}"
    (credentials / "main.key").unlink()
    assert panel_with(tmp_path, env, key_file="main.key").key.reveal() == "from-config-dir"


def test_key_inline(tmp_path):
    panel = panel_with(tmp_path, key=KEY)
    assert panel.key.reveal() == KEY
    assert panel.key_source == "inline in config"


@pytest.mark.parametrize(
    ("key_fields", "env", "files", "message"),
    [
        ({}, {}, {}, "at 'panels[0]': set exactly one of key_env, key_file or key (got none)"),
        (
            {"key_env": "K", "key": KEY},
            {"K": KEY},
            {},
            "at 'panels[0]': set exactly one of key_env, key_file or key (got key_env and key)",
        ),
        ({"key_env": "K"}, {}, {}, "at 'panels[0].key_env': environment variable K is not set"),
        (
            {"key_env": "K"},
            {"K": "  "},
            {},
            "at 'panels[0].key_env': environment variable K is empty",
        ),
        ({"key_env": "1-K"}, {}, {}, "at 'panels[0].key_env': must be the name of"),
        ({"key": ""}, {}, {}, "at 'panels[0].key': must be a non-empty string"),
        ({"key": 12345}, {}, {}, "at 'panels[0].key': must be a non-empty string"),
        ({"key_file": "k"}, {}, {}, "at 'panels[0].key_file': file {d}/k does not exist"),
        ({"key_file": "k"}, {}, {"k": "\n"}, "at 'panels[0].key_file': file {d}/k is empty"),
        ({"key_file": "k"}, {}, {"k": "a b"}, "must hold only the key"),
        (
            {"key_env": "K"},
            {"K": "apikey: a1b2c3"},
            {},
            "at 'panels[0].key_env': environment variable K must hold only the key (it holds",
        ),
        ({"key": "a1b2c3 d4e5f6"}, {}, {}, "at 'panels[0].key': must be only the key (it holds"),
        ({"key_file": "k"}, {}, {"k": b"\xff\xfe"}, "is not UTF-8 text"),
        ({"key_file": "."}, {}, {}, "at 'panels[0].key_file': cannot read file"),
    ],
)
def test_key_problems(tmp_path, key_fields, env, files, message):
    for name, content in files.items():
        mode = "wb" if isinstance(content, bytes) else "w"
        with open(tmp_path / name, mode) as handle:
            handle.write(content)
    found = problems({"panels": [{"name": "m", "url": URL, **key_fields}]}, tmp_path, env)
    assert len(found) == 1, found
    assert message.format(d=tmp_path) in found[0]


def test_resolve_keys_false_skips_key_lookup(tmp_path):
    data = {"panels": [{"name": "a", "url": URL, "key_env": "MISSING"}]}
    panel = build(data, tmp_path, {}, resolve_keys=False).panels[0]
    assert panel.key == Secret("")
    assert not panel.key
    assert panel.key_source == "environment variable MISSING"


def test_key_never_appears_in_repr_or_str(tmp_path):
    config = build(minimal(), tmp_path)
    assert KEY not in repr(config)
    assert KEY not in str(config.panels[0])
    assert repr(config.panels[0].key) == str(config.panels[0].key) == "'***'"
    assert f"{config.panels[0].key}" == "'***'"


def test_webhook_url_is_kept_out_of_repr(tmp_path):
    secret_hook = "https://hooks.slack.com/services/T000/B000/XXXXSECRET"
    config = build(with_value("alerts.webhook_url", secret_hook), tmp_path)
    assert config.alerts.webhook_url == secret_hook
    assert "XXXXSECRET" not in repr(config)


@pytest.mark.parametrize("field", ["key_env", "key_file"])
def test_a_key_pasted_as_a_name_is_not_echoed(tmp_path, field):
    found = problems({"panels": [{"name": "m", "url": URL, field: KEY}]}, tmp_path)
    assert found and not any(KEY in p for p in found)


def test_problems_never_contain_an_inline_key(tmp_path):
    data = minimal(key_env="SMM_API_KEY", url="bad")  # two sources plus another mistake
    found = problems(data, tmp_path)
    assert len(found) == 2
    assert not any(KEY in p for p in found)


# --- choosing a panel -------------------------------------------------------


def test_panel_lookup(tmp_path):
    one = build(minimal(), tmp_path)
    assert one.panel(None).name == "main"
    data = minimal()
    data["panels"].append({"name": "b", "url": URL, "key": KEY[::-1]})  # another account
    two = build(data, tmp_path)
    assert two.panel("b").name == "b"
    with pytest.raises(ConfigError) as caught:
        two.panel(None)
    assert caught.value.problems == ["several panels are configured (main, b): pass --panel NAME"]
    with pytest.raises(ConfigError) as caught:
        two.panel("x")
    assert caught.value.problems == ["no panel named 'x' (configured: main, b)"]


def test_config_is_frozen(tmp_path):
    config = build(minimal(), tmp_path)
    with pytest.raises(AttributeError):  # a named tuple: "can't set attribute"
        config.schedule.status_every = 1.0  # type: ignore[misc]
    assert isinstance(config, Config)


def test_toml_round_trip_of_the_example_is_plain_tables():
    # Guards the example against drifting into keys only a comment mentions.
    data = tomllib.loads(EXAMPLE.read_text())
    assert set(data) == {*SECTIONS, "panels"}


def test_example_comments_start_in_one_column():
    # A key's comment beside it starts where every other one does (a value
    # too long for that column has its comment on the line before): they
    # were ragged, at columns 30, 32, 33, 36, 46 and 77.
    columns = {}
    for number, line in enumerate(EXAMPLE.read_text().splitlines(), 1):
        setting = re.match(r"(# )?[a-z_]+ = ", line)
        if setting and "#" in line[setting.end() :]:
            columns[number] = line.index("#", setting.end()) + 1
    assert len(columns) > 50 and set(columns.values()) == {30}, columns
