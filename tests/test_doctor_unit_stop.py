"""doctor's stop-budget line reads the stop timeout the installed unit has:
``TimeoutStopSec=`` in smm-tracker.service where systemd finds it first
(/etc/systemd/system, /usr/lib/systemd/system, a user unit, ...) or a
drop-in (temporary directories stand in for them, through
SMM_TRACKER_UNIT_PATH or run_checks' units), else the shipped unit's 90 s."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli.main import main
from tracker.rules.unit_stop import (
    config_dirs,
    default_stop_timeout,
    search_paths,
    stop_timeout,
    timespan,
)
from tracker.service.doctor import run_checks
from tracker.service.doctor_unit import installed_units

# The panel (port 9: nothing listens) is refused at once: its retry's 1-2 s
# backoff at every doctor run is no part of the stop timeout's line.
pytestmark = pytest.mark.usefixtures("quick_backoff")

# A bound of 30 + 10 = 40 s: under the shipped unit's 90 s.
CONFIG = """
[database]
path = "t.db"
busy_timeout = "10s"
[[panels]]
name = "main"
url = "http://127.0.0.1:9/api/v2"
key_env = "UNIT_STOP_KEY"
timeout = "30s"
"""


def stop_lines(tmp_path: Path, units: Path, timeout: str = "30s") -> list[str]:
    config = tmp_path / "tracker.toml"
    config.write_text(CONFIG.replace('timeout = "30s"', f'timeout = "{timeout}"'))
    checks = run_checks(str(config), {"UNIT_STOP_KEY": "k-Gh4Jk8Lm2Np6"}, units=[[units]])
    return [f"{c.state} {c.name}: {c.detail}" for c in checks if c.name == "stop timeout"]


def test_a_drop_in_that_shortens_the_stop_timeout_is_named(tmp_path):
    # doctor compared with a fixed TimeoutStopSec=90s: a drop-in setting 30s
    # (systemd then kills the daemon mid-commit) and doctor said nothing.
    units = tmp_path / "etc-systemd-system"
    (units / "smm-tracker.service.d").mkdir(parents=True)
    (units / "smm-tracker.service").write_text("[Service]\nTimeoutStopSec=90s\n")
    drop_in = units / "smm-tracker.service.d" / "stop.conf"
    drop_in.write_text("[Service]\nTimeoutStopSec=30s\n")
    assert stop_lines(tmp_path, units) == [
        "warn stop timeout: run stops within 40s of SIGTERM (panel main timeout 30s + "
        "database.busy_timeout 10s: one timeout for all the calls on the wire, which run at "
        "once; a refill call is waited to its deadline), not under the unit's TimeoutStopSec=30s "
        f"(TimeoutStopSec= in {drop_in}): systemd may kill it mid-commit; lower the "
        "timeouts or raise TimeoutStopSec"
    ]


def test_a_longer_stop_timeout_in_the_installed_unit_silences_the_warning(tmp_path):
    units = tmp_path / "units"
    units.mkdir()
    assert stop_lines(tmp_path, units, "2m") != []  # none installed: the shipped 90 s
    (units / "smm-tracker.service").write_text("[Service]\nTimeoutStopSec=5min\n")
    assert stop_lines(tmp_path, units, "2m") == []


def test_without_an_installed_unit_the_shipped_90s_is_said(tmp_path):
    lines = stop_lines(tmp_path, tmp_path / "no-such-dir", "2m")
    assert len(lines) == 1
    assert (
        "not under the unit's TimeoutStopSec=90s (no smm-tracker.service installed: "
        "the shipped unit's): systemd may kill it"
    ) in lines[0]


def unit_stop_timeout(search: list[list[Path]]) -> tuple[float, str]:
    """The stop timeout of the one unit installed, and where it comes from."""
    (unit,) = installed_units(search, config_dirs({}, search))
    return unit.seconds, unit.where


def units_in(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


SYSTEM = ("etc/systemd/system", "usr/local/lib/systemd/system", "usr/lib/systemd/system")


def test_doctor_reads_a_unit_installed_in_usr_lib_and_names_it(tmp_path):
    # doctor read /etc/systemd/system alone: a unit a package installed in
    # /usr/lib/systemd/system with TimeoutStopSec=30s was not seen, and a
    # 40 s stop got no warning.
    unit = tmp_path / "usr/lib/systemd/system/smm-tracker.service"
    units_in(tmp_path, {str(unit): "[Service]\nTimeoutStopSec=30s\n"})
    config = tmp_path / "tracker.toml"
    config.write_text(CONFIG)
    path = ":".join(str(tmp_path / d) for d in SYSTEM)
    result = CliRunner().invoke(
        main,
        ["--config", str(config), "doctor"],
        env={"UNIT_STOP_KEY": "k-Gh4Jk8Lm2Np6", "SMM_TRACKER_UNIT_PATH": path},
    )
    assert [line for line in result.output.splitlines() if "stop timeout" in line] == [
        "warn stop timeout: run stops within 40s of SIGTERM (panel main timeout 30s + "
        "database.busy_timeout 10s: one timeout for all the calls on the wire, which run at "
        "once; a refill call is waited to its deadline), not under the unit's TimeoutStopSec=30s "
        f"(TimeoutStopSec= in {unit}): systemd may kill it mid-commit; lower the "
        "timeouts or raise TimeoutStopSec"
    ]


def test_the_unit_first_in_systemds_order_wins_and_every_directorys_drop_ins_apply(tmp_path):
    units_in(
        tmp_path,
        {
            "etc/systemd/system/smm-tracker.service": "[Service]\nTimeoutStopSec=2min\n",
            "usr/lib/systemd/system/smm-tracker.service": "[Service]\nTimeoutStopSec=30s\n",
            "usr/lib/systemd/system/smm-tracker.service.d/b.conf": "[Service]\nTimeoutSec=45\n",
        },
    )
    search = [[tmp_path / d for d in SYSTEM]]
    drop_in = tmp_path / "usr/lib/systemd/system/smm-tracker.service.d/b.conf"
    assert unit_stop_timeout(search) == (45.0, f"TimeoutSec= in {drop_in}")
    # One of the same name in /etc hides it; another name after it, in
    # /etc's "smm-.service.d" (the name cut after its dash), is read last.
    units_in(
        tmp_path,
        {
            "etc/systemd/system/smm-tracker.service.d/b.conf": "[Service]\n",
            "etc/systemd/system/smm-.service.d/c.conf": "[Service]\nTimeoutSec=3min\n",
        },
    )
    last = tmp_path / "etc/systemd/system/smm-.service.d/c.conf"
    assert unit_stop_timeout(search) == (180.0, f"TimeoutSec= in {last}")


def test_a_user_unit_is_read_when_no_system_unit_is_installed(tmp_path):
    user = tmp_path / "home/u/.config/systemd/user"
    units_in(user, {"smm-tracker.service": "[Service]\n"})
    system = [tmp_path / d for d in SYSTEM]
    assert unit_stop_timeout([system, [user]]) == (
        90.0,
        f"systemd's default, as {user / 'smm-tracker.service'} and its drop-ins leave it",
    )
    assert unit_stop_timeout([system, [tmp_path / "elsewhere"]]) == (
        90.0,
        "no smm-tracker.service installed: the shipped unit's",
    )


def test_a_system_unit_and_a_user_unit_each_get_their_own_line(tmp_path):
    # With both installed, only the system unit was checked: a user unit
    # stopping within 20 s got no warning.
    system = tmp_path / "etc/systemd/system"
    user = tmp_path / "home/u/.config/systemd/user"
    units_in(
        tmp_path,
        {
            f"{system}/smm-tracker.service": "[Service]\nTimeoutStopSec=30s\n",
            f"{user}/smm-tracker.service": "[Service]\nTimeoutStopSec=20s\n",
        },
    )
    config = tmp_path / "tracker.toml"
    config.write_text(CONFIG)
    checks = run_checks(str(config), {"UNIT_STOP_KEY": "k-Gh4Jk8Lm2Np6"}, units=[[system], [user]])
    bound = (
        "warn stop timeout: run stops within 40s of SIGTERM (panel main timeout 30s + "
        "database.busy_timeout 10s: one timeout for all the calls on the wire, which run at "
        "once; a refill call is waited to its deadline), not under the unit's "
    )
    fix = ": systemd may kill it mid-commit; lower the timeouts or raise TimeoutStopSec"
    assert [c.line() for c in checks if c.name == "stop timeout"] == [
        f"{bound}TimeoutStopSec=30s (TimeoutStopSec= in {system}/smm-tracker.service){fix}",
        f"{bound}TimeoutStopSec=20s (TimeoutStopSec= in {user}/smm-tracker.service){fix}",
    ]
    # The user unit's alone warns, the system unit's 2 minutes being enough.
    (system / "smm-tracker.service").write_text("[Service]\nTimeoutStopSec=2min\n")
    checks = run_checks(str(config), {"UNIT_STOP_KEY": "k-Gh4Jk8Lm2Np6"}, units=[[system], [user]])
    assert [c.line() for c in checks if c.name == "stop timeout"] == [
        f"{bound}TimeoutStopSec=20s (TimeoutStopSec= in {user}/smm-tracker.service){fix}",
    ]
    # A user unit masked by an empty file: said so, the system unit still checked.
    (system / "smm-tracker.service").write_text("[Service]\nTimeoutStopSec=30s\n")
    (user / "smm-tracker.service").write_text("")
    checks = run_checks(str(config), {"UNIT_STOP_KEY": "k-Gh4Jk8Lm2Np6"}, units=[[system], [user]])
    assert [c.line() for c in checks if c.name in ("stop timeout", "systemd unit")] == [
        f"{bound}TimeoutStopSec=30s (TimeoutStopSec= in {system}/smm-tracker.service){fix}",
        f"warn systemd unit: {user}/smm-tracker.service is masked (an empty file): systemd "
        "will not start the daemon from it (`systemctl --user start smm-tracker` fails: "
        "the unit is masked), so no stop timeout is checked there; remove it, or put the "
        "unit there, if the daemon should run",
    ]


def test_systemds_search_paths_system_first_then_the_users():
    system, user = search_paths({"HOME": "/home/u", "XDG_RUNTIME_DIR": "/run/user/1000"})
    assert [str(d) for d in system][4:] == [
        "/etc/systemd/system",
        "/etc/systemd/system.attached",
        "/run/systemd/system",
        "/run/systemd/system.attached",
        "/run/systemd/generator",
        "/usr/local/lib/systemd/system",
        "/lib/systemd/system",
        "/usr/lib/systemd/system",
        "/run/systemd/generator.late",
    ]
    assert [str(d) for d in user][:6] == [
        "/home/u/.config/systemd/user.control",
        "/run/user/1000/systemd/user.control",
        "/run/user/1000/systemd/transient",
        "/run/user/1000/systemd/generator.early",
        "/home/u/.config/systemd/user",
        "/etc/xdg/systemd/user",
    ]
    assert "/home/u/.local/share/systemd/user" in [str(d) for d in user]
    # The tests' own: those directories alone.
    assert search_paths({"SMM_TRACKER_UNIT_PATH": "/a:/b", "HOME": "/h"}) == [
        [Path("/a"), Path("/b")]
    ]
    assert search_paths({"SMM_TRACKER_UNIT_PATH": ""}) == [[]]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ([], (90.0, None)),
        ([("u", "[Service]\nTimeoutStopSec=2min 30s\n")], (150.0, "TimeoutStopSec= in u")),
        ([("u", "[Service]\nTimeoutSec=45\n")], (45.0, "TimeoutSec= in u")),
        (  # the last file read wins; an empty assignment is passed over, as systemd does
            [("u", "[Service]\nTimeoutStopSec=2min\n"), ("a.conf", "[Service]\nTimeoutStopSec=\n")],
            (120.0, "TimeoutStopSec= in u"),
        ),
        (
            [("u", "[Service]\nTimeoutSec=2min\n"), ("a.conf", "[Service]\nTimeoutSec= \n")],
            (120.0, "TimeoutSec= in u"),
        ),
        (
            [("u", "[Service]\nTimeoutStopSec=2min\n"), ("a.conf", "[Service]\nTimeoutSec=1min\n")],
            (60.0, "TimeoutSec= in a.conf"),
        ),
        ([("u", "[Unit]\nTimeoutStopSec=2min\n")], (90.0, None)),  # not the service's
        ([("u", "[Service]\n# TimeoutStopSec=2min\n")], (90.0, None)),
        ([("u", "[Service]\nTimeoutStopSec=soon\n")], (90.0, None)),  # systemd ignores it
        ([("u", "[Service]\nTimeoutStopSec=infinity\n")], (math.inf, "TimeoutStopSec= in u")),
    ],
)
def test_the_stop_timeout_is_read_as_systemd_reads_it(files, expected):
    assert stop_timeout(files) == expected


def test_an_empty_timeout_stop_sec_in_a_drop_in_leaves_the_units_own(tmp_path):
    # An empty TimeoutStopSec= in a drop-in was read as "back to systemd's
    # default": doctor compared a 40 s stop with 90 s and said nothing, while
    # systemd, which ignores an assignment it cannot parse as a time span
    # (load-fragment.c, config_parse_sec_fix_0), kept the unit's 30 s and
    # killed the daemon mid-commit.
    units = tmp_path / "etc-systemd-system"
    (units / "smm-tracker.service.d").mkdir(parents=True)
    unit = units / "smm-tracker.service"
    unit.write_text("[Service]\nTimeoutStopSec=30s\n")
    (units / "smm-tracker.service.d" / "reset.conf").write_text("[Service]\nTimeoutStopSec=\n")
    assert stop_lines(tmp_path, units) == [
        "warn stop timeout: run stops within 40s of SIGTERM (panel main timeout 30s + "
        "database.busy_timeout 10s: one timeout for all the calls on the wire, which run at "
        "once; a refill call is waited to its deadline), not under the unit's TimeoutStopSec=30s "
        f"(TimeoutStopSec= in {unit}): systemd may kill it mid-commit; lower the "
        "timeouts or raise TimeoutStopSec"
    ]


def test_time_spans_as_systemd_writes_them():
    assert [timespan(t) for t in ("90", "90s", "1min 30s", "1m30s", "5 min", "1h")] == [
        90.0,
        90.0,
        90.0,
        90.0,
        300.0,
        3600.0,
    ]
    assert timespan("0") == math.inf  # 0 turns the stop timeout off, as infinity
    assert timespan("") is None and timespan("ninety") is None


def doctor_lines(tmp_path: Path, unit_path: str, timeout: str = "30s") -> list[str]:
    """doctor's lines about the installed units, the seam set to unit_path."""
    config = tmp_path / "tracker.toml"
    config.write_text(CONFIG.replace('timeout = "30s"', f'timeout = "{timeout}"'))
    result = CliRunner().invoke(
        main,
        ["--config", str(config), "doctor"],
        env={"UNIT_STOP_KEY": "k-Gh4Jk8Lm2Np6", "SMM_TRACKER_UNIT_PATH": unit_path},
    )
    names = ("warn stop timeout:", "warn systemd unit:")
    return [line for line in result.output.splitlines() if line.startswith(names)]


def test_a_masked_unit_is_said_masked_not_read_as_systemds_default(tmp_path):
    # A unit masked by a link to /dev/null in /etc/systemd/system (systemctl
    # mask) was read as an empty unit: doctor compared the stop with
    # "systemd's default, as .../smm-tracker.service and its drop-ins leave
    # it", and never said that systemd will not start the daemon at all.
    units_in(tmp_path, {"usr/lib/systemd/system/smm-tracker.service": "[Service]\n"})
    masked = tmp_path / "etc/systemd/system/smm-tracker.service"
    masked.parent.mkdir(parents=True)
    masked.symlink_to("/dev/null")
    path = ":".join(str(tmp_path / d) for d in SYSTEM)
    assert doctor_lines(tmp_path, path, "2m") == [
        f"warn systemd unit: {masked} is masked (a link to /dev/null): systemd will not "
        "start the daemon from it (`systemctl start smm-tracker` fails: the unit is "
        "masked), so no stop timeout is checked there; `sudo systemctl unmask "
        "smm-tracker` if the daemon should run"
    ]


def test_systemds_configured_default_stop_timeout_is_the_one_compared(tmp_path):
    # A unit setting no TimeoutStopSec= was compared with 90 s, whatever
    # DefaultTimeoutStopSec= system.conf and its drop-ins set: 30 s there (a
    # 40 s stop killed mid-commit) and doctor said nothing.
    stop = "[Manager]\nDefaultTimeoutStopSec="
    units_in(
        tmp_path,
        {
            "usr/lib/systemd/system/smm-tracker.service": "[Service]\nExecStart=/bin/true\n",
            "etc/systemd/system.conf": f"{stop}5min\n",
            # Drop-ins override the main file, read in the order of their names
            # whatever their directory; one in /etc hides /usr/lib's of its name.
            "usr/lib/systemd/system.conf.d/10-vendor.conf": f"{stop}4min\n",
            "etc/systemd/system.conf.d/10-vendor.conf": "[Manager]\n",
            "usr/lib/systemd/system.conf.d/50-site.conf": f"{stop}30s\n",
            "etc/systemd/system.conf.d/20-early.conf": f"{stop}6min\n",
        },
    )
    unit = tmp_path / "usr/lib/systemd/system/smm-tracker.service"
    site = tmp_path / "usr/lib/systemd/system.conf.d/50-site.conf"
    path = ":".join(str(tmp_path / d) for d in SYSTEM)
    assert doctor_lines(tmp_path, path) == [
        "warn stop timeout: run stops within 40s of SIGTERM (panel main timeout 30s + "
        "database.busy_timeout 10s: one timeout for all the calls on the wire, which run at "
        "once; a refill call is waited to its deadline), not under the unit's "
        "TimeoutStopSec=30s (systemd's "
        f"default, DefaultTimeoutStopSec= in {site}, as {unit} and its drop-ins leave "
        "it): systemd may kill it mid-commit; lower the timeouts or raise TimeoutStopSec"
    ]
    # The unit's own TimeoutStopSec= wins over the default.
    units_in(tmp_path, {str(unit): "[Service]\nTimeoutStopSec=2min\n"})
    assert doctor_lines(tmp_path, path) == []


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ([], (90.0, None)),
        ([("s", "[Manager]\nDefaultTimeoutStopSec=30s\n")], (30.0, "DefaultTimeoutStopSec= in s")),
        (  # the last file read wins; an empty or unreadable value is passed over
            [
                ("s", "[Manager]\nDefaultTimeoutStopSec=30s\n"),
                ("a.conf", "[Manager]\nDefaultTimeoutStopSec=\nDefaultTimeoutStopSec=soon\n"),
            ],
            (30.0, "DefaultTimeoutStopSec= in s"),
        ),
        (
            [("s", "[Manager]\nDefaultTimeoutStopSec=0\n")],
            (math.inf, "DefaultTimeoutStopSec= in s"),
        ),
        ([("s", "[Service]\nDefaultTimeoutStopSec=30s\n")], (90.0, None)),  # not the manager's
        ([("s", "[Manager]\n#DefaultTimeoutStopSec=30s\n")], (90.0, None)),  # as shipped
    ],
)
def test_the_managers_default_stop_timeout_is_read_as_systemd_reads_it(files, expected):
    assert default_stop_timeout(files) == expected


def test_the_managers_config_directories_and_the_tests_own():
    system, user = config_dirs({"HOME": "/home/u"})
    assert [str(d) for d in system] == [
        "/etc/systemd",
        "/run/systemd",
        "/usr/local/lib/systemd",
        "/lib/systemd",
        "/usr/lib/systemd",
    ]
    assert [str(d) for d in user] == ["/home/u/.config/systemd", *map(str, system)]
    # SMM_TRACKER_UNIT_PATH set: beside its directories alone; empty, none
    # (the suite's: no test reads this machine's /etc/systemd/system.conf).
    assert config_dirs({"SMM_TRACKER_UNIT_PATH": "/t/etc/systemd/system:/t/usr/lib/x"}) == [
        [Path("/t/etc/systemd"), Path("/t/usr/lib")]
    ]
    assert config_dirs({"SMM_TRACKER_UNIT_PATH": "", "HOME": "/home/u"}) == [[]]


def test_the_user_managers_default_is_its_own_user_conf(tmp_path):
    # A user unit setting no TimeoutStopSec= was compared with 90 s, whatever
    # its manager's user.conf set: 20 s there and doctor said nothing. The
    # user manager reads ~/.config/systemd/user.conf before /etc/systemd's
    # (the first found alone), then the drop-ins; never system.conf.
    user = [tmp_path / "home/u/.config/systemd/user", tmp_path / "etc/systemd/user"]
    stop = "[Manager]\nDefaultTimeoutStopSec="
    units_in(
        tmp_path,
        {
            "home/u/.config/systemd/user/smm-tracker.service": "[Service]\n",
            "home/u/.config/systemd/user.conf": f"{stop}20s\n",
            "etc/systemd/user.conf": f"{stop}5min\n",
            "etc/systemd/system.conf": f"{stop}10s\n",
        },
    )
    config = tmp_path / "tracker.toml"
    config.write_text(CONFIG)
    env = {"UNIT_STOP_KEY": "k-Gh4Jk8Lm2Np6"}
    conf = tmp_path / "home/u/.config/systemd/user.conf"
    unit = user[0] / "smm-tracker.service"
    checks = run_checks(str(config), env, units=[[], user])
    assert [c.line() for c in checks if c.name == "stop timeout"] == [
        "warn stop timeout: run stops within 40s of SIGTERM (panel main timeout 30s + "
        "database.busy_timeout 10s: one timeout for all the calls on the wire, which run at "
        "once; a refill call is waited to its deadline), not under the unit's "
        "TimeoutStopSec=20s (systemd's "
        f"default, DefaultTimeoutStopSec= in {conf}, as {unit} and its drop-ins leave "
        "it): systemd may kill it mid-commit; lower the timeouts or raise TimeoutStopSec"
    ]
    # A drop-in of /etc/systemd/user.conf.d, read after the main file, wins.
    units_in(tmp_path, {"etc/systemd/user.conf.d/60-stop.conf": f"{stop}2min\n"})
    checks = run_checks(str(config), env, units=[[], user])
    assert [c.line() for c in checks if c.name == "stop timeout"] == []


def test_a_daemon_that_only_reads_is_told_what_its_timeout_stands_for(tmp_path):
    """Operator's walk (walkd99): doctor said "run stops within 130s (panel
    main timeout 120s + ...)", as if each call cost a whole timeout, while
    the daemon, SIGTERMed mid-poll against a panel that never answered, was
    gone in a second. What the daemon waits: the calls on the wire, at once
    (a stop sends no new one), each to its whole-call deadline at most, and
    no longer than its own bound (the longest timeout + busy_timeout: then
    it exits anyway). A call that only reads is cut 0.75s after the stop
    once it waits for its answer, but not in its connect or TLS handshake
    (the connect timeout each, measured: a TLS handshake left unanswered
    ended 10s after it began, not at the stop); a call that may act (refill,
    add, cancel) is waited to its deadline. The line says which."""
    units = tmp_path / "etc-systemd-system"
    units.mkdir()
    (units / "smm-tracker.service").write_text("[Service]\nTimeoutStopSec=90s\n")
    config = tmp_path / "tracker.toml"
    config.write_text(CONFIG.replace('"30s"', '"120s"') + "[refill]\nenabled = false\n")
    checks = run_checks(str(config), {"UNIT_STOP_KEY": "k-Gh4Jk8Lm2Np6"}, units=[[units]])
    lines = [f"{c.state} {c.name}: {c.detail}" for c in checks if c.name == "stop timeout"]
    assert lines == [
        "warn stop timeout: run stops within 130s of SIGTERM (panel main timeout 120s + "
        "database.busy_timeout 10s: one timeout for all the calls on the wire, which run at "
        "once; no job sends a refill, add or cancel, and a read's wait for its answer is cut "
        "0.75s after the stop, but not its connect and TLS handshake (up to the connect "
        "timeout each)), not under the unit's TimeoutStopSec=90s (TimeoutStopSec= in "
        f"{units / 'smm-tracker.service'}): systemd may kill it mid-commit; lower the "
        "timeouts or raise TimeoutStopSec"
    ]


@pytest.mark.parametrize(
    ("sections", "acts"),
    [
        ("", "a refill call"),  # refills are on by default
        (
            "[refill]\nenabled = false\n[automation]\nreorder = true\ndaily_cap = 5\n"
            "cancel_pending = true\n",
            "an add or cancel call",
        ),
        (
            "[automation]\nreorder = true\ndaily_cap = 5\ncancel_pending = true\ndry_run = true\n",
            "a refill call",  # a dry run sends no add, no cancel
        ),
    ],
)
def test_a_daemon_that_may_act_is_told_which_call_takes_the_timeout(tmp_path, sections, acts):
    units = tmp_path / "etc-systemd-system"
    units.mkdir()
    (units / "smm-tracker.service").write_text("[Service]\nTimeoutStopSec=90s\n")
    config = tmp_path / "tracker.toml"
    config.write_text(CONFIG.replace('"30s"', '"120s"') + sections)
    checks = run_checks(str(config), {"UNIT_STOP_KEY": "k-Gh4Jk8Lm2Np6"}, units=[[units]])
    (line,) = [c.detail for c in checks if c.name == "stop timeout"]
    assert line.startswith(
        "run stops within 130s of SIGTERM (panel main timeout 120s + database.busy_timeout "
        "10s: one timeout for all the calls on the wire, which run at once; "
        f"{acts} is waited to its deadline), "
    )
