"""The shipped unit, its template (smm-tracker@.service) and the sample config:
verified and scored by systemd-analyze, consistent with each other (the template
hardened as the unit, line for line), and W^X memory (MemoryDenyWriteExecute=)
tried for real."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tracker.config.load import load_config
from tracker.sim.server import PanelServer, SimulatedPanel

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "systemd" / "smm-tracker.service"
TEMPLATE = ROOT / "systemd" / "smm-tracker@.service"
SAMPLE_CONFIG = ROOT / "systemd" / "config.toml"
INSTALLED = "/opt/smm-tracker/venv/bin/smm-tracker"
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")
# systemd-analyze's exposure scale is 0-10; --threshold takes tenths. What is
# left above 0 is network access itself, which the tracker needs.
MAX_EXPOSURE = 1.5


def directives(text: str) -> dict[str, list[str]]:
    """Given a unit file, return each directive's values (a directive may repeat)."""
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            name, _, value = line.partition("=")
            found.setdefault(name.strip(), []).append(value.strip())
    return found


def console_script() -> Path:
    script = Path(sys.executable).with_name("smm-tracker")
    if not script.exists():
        pytest.skip(f"no smm-tracker console script next to {sys.executable}")
    return script


def sections(text: str) -> dict[str, dict[str, list[str]]]:
    """Given a unit file, return each section's directives and their values."""
    found: dict[str, dict[str, list[str]]] = {}
    for part in re.split(r"^(?=\[)", text, flags=re.M)[1:]:
        name = part.splitlines()[0].strip()
        found[name] = directives(part)
    return found


@pytest.fixture(params=[UNIT, TEMPLATE], ids=["unit", "template"])
def local_unit(request, tmp_path) -> Path:
    """A copy of the unit (the template: as its instance smm-tracker@shop2)
    whose ExecStart runs this test environment's smm-tracker."""
    text = request.param.read_text()
    assert INSTALLED in text
    copy = tmp_path / request.param.name.replace("@.", "@shop2.")
    copy.write_text(text.replace(INSTALLED, str(console_script())))
    return copy


@needs_analyze
def test_unit_verifies_clean(local_unit):
    assert ANALYZE is not None
    result = subprocess.run(
        [ANALYZE, "verify", str(local_unit)], capture_output=True, text=True, timeout=60
    )
    # verify exits 0 on some mistakes (an unknown Type= is "ignored"): clean means silent.
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), (
        result.stdout + result.stderr
    )


@needs_analyze
def test_unit_scores_as_hardened(local_unit):
    assert ANALYZE is not None
    result = subprocess.run(
        [
            ANALYZE,
            "security",
            "--offline=yes",
            f"--threshold={int(MAX_EXPOSURE * 10)}",
            str(local_unit),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    score = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout)
    assert score is not None, result.stdout + result.stderr
    assert result.returncode == 0, f"exposure {score.group(1)} > {MAX_EXPOSURE}"


def test_unit_has_what_the_service_relies_on():
    d = directives(UNIT.read_text())
    assert d["Type"] == ["notify"] and d["NotifyAccess"] == ["main"]
    assert d["ExecStart"] == [f"{INSTALLED} --config /etc/smm-tracker/config.toml run"]
    assert d["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert d["DynamicUser"] == ["yes"] and d["StateDirectory"] == ["smm-tracker"]
    assert d["ConfigurationDirectory"] == ["smm-tracker"]
    assert d["LoadCredential"] == ["api-key:/etc/smm-tracker/api-key"]
    assert d["Restart"] == ["on-failure"] and d["RestartPreventExitStatus"] == ["2"]
    assert "WatchdogSec" in d and "TimeoutStopSec" in d
    assert d["MemoryMax"] == ["512M"] and d["TasksMax"] == ["128"]
    # Two malloc arenas: the daemon's threads otherwise grow RSS by ~24 MB.
    assert "MALLOC_ARENA_MAX=2" in d["Environment"]
    # AF_UNIX must stay: the journal and the notify socket use it.
    assert d["RestrictAddressFamilies"] == ["AF_UNIX AF_INET AF_INET6"]
    assert d["CapabilityBoundingSet"] == [""]
    assert "@system-service" in d["SystemCallFilter"]
    for name in ("NoNewPrivileges", "PrivateTmp", "PrivateDevices", "MemoryDenyWriteExecute"):
        assert d[name] == ["yes"], name
    assert d["ProtectSystem"] == ["strict"] and d["ProtectHome"] == ["yes"]


def test_sample_config_fits_the_unit(tmp_path):
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "api-key").write_text("from-the-credential-123\n")
    config = load_config(str(SAMPLE_CONFIG), {"CREDENTIALS_DIRECTORY": str(credentials)})
    # The database lives in StateDirectory=, the key comes from LoadCredential=.
    assert config.database.path == Path("/var/lib/smm-tracker/tracker.db")
    assert config.panels[0].key.reveal() == "from-the-credential-123"
    assert config.panels[0].key_source == f"file {credentials / 'api-key'}"
    # The shutdown bound the unit documents: calls on the wire, then the queued ones.
    stop = directives(UNIT.read_text())["TimeoutStopSec"][0]
    assert stop == "90s" and config.panels[0].timeout + config.database.busy_timeout < 90


# PR_SET_MDWE (Linux 6.3+) is the kernel's own MemoryDenyWriteExecute=: it is
# inherited across exec, so the real console script runs under it.
MDWE_WRAPPER = textwrap.dedent(
    """
    import ctypes, os, sys
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(65, 1, 0, 0, 0) != 0:  # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN
        sys.exit(77)
    os.execv(sys.argv[1], sys.argv[1:])
    """
)


# The template's own lines: each instance its config, key and state directory.
PER_INSTANCE = {
    ("Unit", "Description"): ["SMM panel order tracker (%i)"],
    ("Service", "ExecStart"): [f"{INSTALLED} --config /etc/smm-tracker/%i.toml run"],
    ("Service", "StateDirectory"): ["smm-tracker-%i"],
    ("Service", "LoadCredential"): ["%i.api-key:/etc/smm-tracker/%i.api-key"],
}


# The template's alone: each instance a dynamic user of its own. The unit
# sets none: systemd names its user after the unit, "smm-tracker".
TEMPLATE_ONLY = {("Service", "User"): ["smm-tracker-%i"]}


def test_the_template_is_the_unit_with_a_config_key_and_database_per_instance():
    unit, template = sections(UNIT.read_text()), sections(TEMPLATE.read_text())
    assert list(template) == list(unit) == ["[Unit]", "[Service]", "[Install]"]
    for (section, name), values in PER_INSTANCE.items():
        assert template[f"[{section}]"].pop(name) == values, name
        unit[f"[{section}]"].pop(name)
    for (section, name), values in TEMPLATE_ONLY.items():
        assert template[f"[{section}]"].pop(name) == values, name
        assert name not in unit[f"[{section}]"], name
    # Everything else, hardening first, in step: a change to one unit alone fails here.
    assert template == unit


def test_sample_config_fits_an_instance_as_the_readme_changes_it(tmp_path):
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "shop2.api-key").write_text("from-the-credential-456\n")
    text = SAMPLE_CONFIG.read_text()
    # README's two changes for smm-tracker@shop2: its database, its key.
    text = text.replace(
        '"/var/lib/smm-tracker/tracker.db"', '"/var/lib/smm-tracker-shop2/tracker.db"'
    )
    text = text.replace('key_file = "api-key"', 'key_file = "shop2.api-key"')
    (tmp_path / "shop2.toml").write_text(text)
    env = {"CREDENTIALS_DIRECTORY": str(credentials)}
    config = load_config(str(tmp_path / "shop2.toml"), env)
    state = sections(TEMPLATE.read_text())["[Service]"]["StateDirectory"][0]
    assert config.database.path.parent == Path("/var/lib", state.replace("%i", "shop2"))
    assert config.panels[0].key.reveal() == "from-the-credential-456"


def test_tracker_runs_without_writable_executable_memory(tmp_path):
    script = console_script()
    key = "mdwe-key-Pk4Lr8Tw2Ys6"
    panel = SimulatedPanel(key=key, seed=4)
    with PanelServer(panel) as server:
        ids = panel.seed_orders(3)
        (tmp_path / "tracker.toml").write_text(
            f'[database]\npath = "t.db"\n[[panels]]\nname = "sim"\nurl = "{server.url}"\n'
            f'key = "{key}"\n'
        )
        config = str(tmp_path / "tracker.toml")
        subprocess.run(
            [str(script), "--config", config, "track", *map(str, ids)], check=True, timeout=60
        )
        result = subprocess.run(
            [sys.executable, "-c", MDWE_WRAPPER, str(script), "--config", config, "run", "--once"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    if result.returncode == 77:
        pytest.skip("this kernel has no PR_SET_MDWE (Linux < 6.3)")
    assert result.returncode == 0, result.stderr
    assert panel.calls["status"] == 1


def test_the_service_leaves_no_core_dump_and_creates_files_for_itself_alone():
    # A core dump holds the process's memory: the API key, the webhook and
    # notify URLs with their tokens. The unit allowed one.
    d = directives(UNIT.read_text())
    assert d["LimitCORE"] == ["0"]
    assert d["UMask"] == ["0077"] and d["StateDirectoryMode"] == ["0700"]


# systemd.exec, User=: a dynamic user's name is a strict one, letters, digits,
# "-" and "_", at most 31 characters: "smm-tracker-" leaves an instance 19.
GOOD_INSTANCES = ["shop2", "Shop_2", "1shop", "eu-2", "s" * 19]
BAD_INSTANCES = ["s" * 20, "my.shop", "my\\x2dshop", "my\\x20shop"]  # as systemd-escape writes


def test_each_instance_runs_as_a_user_of_its_own():
    # Without User=, systemd names the dynamic user after the unit's prefix:
    # smm-tracker.service and every instance were one user, "smm-tracker",
    # each daemon able to read the others' key copies in /run/credentials/.
    user = directives(TEMPLATE.read_text())["User"]
    assert directives(TEMPLATE.read_text())["DynamicUser"] == ["yes"]
    assert "User" not in directives(UNIT.read_text())  # named after the unit: smm-tracker
    users = {name: user[0].replace("%i", name) for name in GOOD_INSTANCES}
    assert users["shop2"] == "smm-tracker-shop2"
    assert len(set(users.values()) | {"smm-tracker"}) == len(GOOD_INSTANCES) + 1
    # The instance names the unit's comments promise make strict user names.
    assert "at most 19 characters" in TEMPLATE.read_text()
    strict = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,30}")
    assert all(strict.fullmatch(name) for name in users.values())
    assert not any(strict.fullmatch(user[0].replace("%i", name)) for name in BAD_INSTANCES)


@needs_analyze
@pytest.mark.parametrize("name", GOOD_INSTANCES + BAD_INSTANCES)
def test_systemd_judges_the_instance_names_as_the_unit_says(tmp_path, name):
    # systemd loads a user name that is not a strict one with a notice, and
    # then refuses to allocate a dynamic user of that name: no start.
    assert ANALYZE is not None
    text = TEMPLATE.read_text().replace(INSTALLED, str(console_script()))
    copy = tmp_path / f"smm-tracker@{name}.service"
    copy.write_text(text)
    result = subprocess.run(
        [ANALYZE, "verify", str(copy)], capture_output=True, text=True, timeout=60
    )
    said = (result.stdout + result.stderr).strip()
    assert result.returncode == 0, said
    if name in GOOD_INSTANCES:
        assert said == ""
    else:
        assert said == (
            f"Accepting user/group name 'smm-tracker-{name}', which does not match strict "
            "user/group name rules."
        )
