"""doctor run as root, a metrics port below 1024: root binds it, so doctor
said `ok ... is free`, but the shipped unit runs the daemon as an
unprivileged user with no capabilities, whose start fails there
(Permission denied, exit 1). Now a warning, in the daemon's own words."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from tracker.cli.main import main
from tracker.service import doctor_listen, metrics_http

WARNING = (
    "warn metrics.listen: 127.0.0.1:{port} is free to root, doctor's user here, but a port "
    "below {first} needs root and the shipped systemd unit runs the daemon as an "
    "unprivileged user with no capabilities (no CAP_NET_BIND_SERVICE): its start there "
    "fails (run exits 1); set metrics.listen to a port above 1023"
)


@pytest.fixture
def doctor(tmp_path, monkeypatch):
    """Run doctor on a config listening on 127.0.0.1:port, as root (uid 0)
    or not, every port free (as it is to root): return its metrics lines."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    monkeypatch.setattr(metrics_http, "bind_failure", lambda host, port: None)

    def run(port: int, uid: int = 0) -> list[str]:
        monkeypatch.setattr(os, "geteuid", lambda: uid)
        (tmp_path / "tracker.toml").write_text(
            f'[database]\npath = "t.db"\n[metrics]\nlisten = "127.0.0.1:{port}"\n'
        )
        result = CliRunner().invoke(main, ["doctor"], env={"COLUMNS": "400"})
        assert "Traceback" not in result.output
        return [line for line in result.output.splitlines() if "metrics.listen" in line]

    return run


@pytest.fixture
def first_port(tmp_path, monkeypatch):
    """Set the kernel's first unprivileged port (net.ipv4.ip_unprivileged_port_start)."""

    def set_to(first: int) -> None:
        setting = tmp_path / "ip_unprivileged_port_start"
        setting.write_text(f"{first}\n")
        monkeypatch.setattr(doctor_listen, "UNPRIVILEGED_START", setting, raising=False)

    set_to(1024)
    return set_to


@pytest.mark.parametrize("port", [80, 443, 1023])
def test_a_port_below_1024_as_root_is_a_warning(doctor, first_port, port):
    assert doctor(port) == [WARNING.format(port=port, first=1024)]


def test_a_port_from_1024_as_root_is_ok(doctor, first_port):
    assert doctor(1024) == ["ok   metrics.listen: 127.0.0.1:1024 is free: run can listen there"]


def test_any_user_may_bind_it_when_the_kernel_says_so(doctor, first_port):
    # net.ipv4.ip_unprivileged_port_start = 0 (as in many containers): no
    # capability needed, the unit's user binds port 80 too.
    first_port(0)
    assert doctor(80) == ["ok   metrics.listen: 127.0.0.1:80 is free: run can listen there"]
    first_port(100)
    assert doctor(80) == [WARNING.format(port=80, first=100)]


def test_not_said_when_doctor_is_not_root(doctor, first_port):
    # Not root, doctor's own bind meets what the daemon's would: refused, it
    # fails in the daemon's words (tests/test_metrics.py); bound, it is free.
    assert doctor(80, uid=1000) == [
        "ok   metrics.listen: 127.0.0.1:80 is free: run can listen there"
    ]


def test_the_shipped_unit_grants_no_capability_to_bind_it():
    # The warning says the unit's user has no CAP_NET_BIND_SERVICE: if the
    # unit grants it some day, the warning must go with it.
    from importlib.resources import files

    unit = files("tracker.data").joinpath("smm-tracker.service").read_text()
    lines = [line.strip() for line in unit.splitlines() if not line.lstrip().startswith("#")]
    assert "CapabilityBoundingSet=" in lines and "AmbientCapabilities=" in lines
    assert "CAP_NET_BIND_SERVICE" not in "\n".join(lines)
    assert "DynamicUser=yes" in lines and not any(line.startswith("User=root") for line in lines)
