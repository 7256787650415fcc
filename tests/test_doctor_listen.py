"""doctor's line about `[metrics] listen`: the address bound a moment as the
daemon binds it, then let go. A port another program holds made `run` exit 1
at start (and systemd give up after its restarts) while doctor said all was
well; one the daemon of this config holds is its own, not a failure."""

from __future__ import annotations

import os
import socket
import threading
from http.server import BaseHTTPRequestHandler

import pytest
from click.testing import CliRunner
from ports import free_port
from quiet_server import QuietServer

from tracker.cli.main import main
from tracker.service.lock import DatabaseLock
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "doctor-listen-key-123456"


@pytest.fixture
def doctor(tmp_path, monkeypatch):
    server = PanelServer(SimulatedPanel(key=KEY, seed=1)).start()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    monkeypatch.setenv("SIM_KEY", KEY)

    def run(listen: str) -> tuple[int, list[str]]:
        (tmp_path / "tracker.toml").write_text(
            f'[database]\npath = "t.db"\n[[panels]]\nname = "sim"\nurl = "{server.url}"\n'
            f'key_env = "SIM_KEY"\n[metrics]\nlisten = "{listen}"\n'
        )
        result = CliRunner().invoke(main, ["doctor"], env={"COLUMNS": "400"})
        assert "Traceback" not in result.output
        return result.exit_code, [line for line in result.output.splitlines() if "metrics" in line]

    yield run
    server.stop()


@pytest.fixture
def taken():
    """A port another program listens on (127.0.0.1)."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def in_use(port: int) -> str:
    """doctor's line for 127.0.0.1:port held by another program."""
    return (
        f"FAIL metrics.listen: 127.0.0.1:{port}: cannot listen (Address already in use): run "
        "exits 1 at start; another program listens there (a second smm-tracker, another "
        f"exporter: `ss -ltnp 'sport = :{port}'` names it): stop it, or set metrics.listen "
        "to another port"
    )


def doctor_with(tmp_path, monkeypatch, config: str) -> tuple[int, list[str]]:
    """Run doctor on ``config``; return its exit status and metrics.listen lines."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    (tmp_path / "tracker.toml").write_text(config)
    result = CliRunner().invoke(main, ["doctor"], env={"COLUMNS": "400"})
    assert "Traceback" not in result.output
    return result.exit_code, [
        line for line in result.output.splitlines() if "metrics.listen:" in line
    ]


def test_a_port_another_program_listens_on_fails(doctor, taken):
    code, lines = doctor(f"127.0.0.1:{taken}")
    assert code == 1
    assert lines == [in_use(taken)]


def test_a_free_port_is_ok_and_let_go_at_once(doctor):
    port = free_port()
    code, lines = doctor(f"127.0.0.1:{port}")
    assert code == 0
    assert lines == [f"ok   metrics.listen: 127.0.0.1:{port} is free: run can listen there"]
    with socket.socket() as daemon:  # the daemon's start finds it free after doctor
        daemon.bind(("127.0.0.1", port))
        daemon.listen()


def test_the_daemons_own_port_beside_it_is_a_warning(doctor, tmp_path, taken):
    # doctor run beside the daemon it checks: the port taken, the database's
    # lock held by a `run`, nothing answering /metrics there (a daemon too
    # busy to answer, or another program): most likely its own, a warning.
    with DatabaseLock(tmp_path / "t.db"):
        code, lines = doctor(f"127.0.0.1:{taken}")
    assert code == 0
    [line] = lines
    assert line.startswith(
        f"warn metrics.listen: 127.0.0.1:{taken} is in use, and the smm-tracker daemon "
        f"(pid {os.getpid()}) runs on this config's database: its own endpoint, most likely, "
        "not a failure;"
    )


def test_the_daemons_own_port_through_another_name_of_its_database_is_a_warning(
    doctor, tmp_path, taken
):
    # The daemon runs on a hard link to this config's database (its lock
    # file beside the other name): doctor said another program held the port.
    (tmp_path / "t.db").touch()
    (tmp_path / "data").mkdir()
    os.link(tmp_path / "t.db", tmp_path / "data" / "t.db")
    with DatabaseLock(tmp_path / "data" / "t.db"):
        code, lines = doctor(f"127.0.0.1:{taken}")
    assert code == 0, lines
    [line] = lines
    assert line.startswith(
        f"warn metrics.listen: 127.0.0.1:{taken} is in use, and the smm-tracker daemon "
        f"(pid {os.getpid()}) runs on this config's database"
    )


@pytest.fixture
def endpoint():
    """A port answering /metrics with the tracker's own metrics, as the daemon's does."""

    class Metrics(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = b"# TYPE smm_tracker_up gauge\nsmm_tracker_up 1.0\n"
            self.send_response(200 if self.path == "/metrics" else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = QuietServer(Metrics)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_the_daemons_own_endpoint_answering_there_is_ok(doctor, tmp_path, endpoint):
    # Beside the daemon, the port answers /metrics with the tracker's own
    # metrics: its endpoint, said ok (a warn at every doctor run beside a
    # healthy daemon taught the reader to skip warnings).
    with DatabaseLock(tmp_path / "t.db"):
        code, lines = doctor(f"127.0.0.1:{endpoint}")
    assert code == 0
    assert lines == [
        f"ok   metrics.listen: 127.0.0.1:{endpoint}: the running daemon (pid {os.getpid()}) "
        "serves its metrics there"
    ]


def test_a_run_once_holding_the_database_serves_no_endpoint(doctor, tmp_path, taken):
    with DatabaseLock(tmp_path / "t.db", once=True):
        code, lines = doctor(f"127.0.0.1:{taken}")
    assert code == 1 and lines[0].startswith(f"FAIL metrics.listen: 127.0.0.1:{taken}: cannot")


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("nosuch.invalid", "host nosuch.invalid not found: "),
        ("192.0.2.1", "192.0.2.1 is not an address of this machine: "),  # TEST-NET-1
    ],
)
def test_a_host_not_found_or_not_this_machines_is_said(doctor, host, why):
    code, [line] = doctor(f"{host}:9464")
    assert code == 1
    assert line.startswith(f"FAIL metrics.listen: {host}:9464: cannot listen ({why}")
    assert line.endswith(
        "run exits 1 at start; set metrics.listen to an address of this machine: "
        "127.0.0.1:9464 (loopback) or 0.0.0.0:9464 (every interface)"
    )


def test_checked_when_another_section_is_not_valid(tmp_path, monkeypatch, taken):
    # A config failing validation elsewhere (here [schedule]) had no
    # metrics.listen line at all, where the database and panels were checked.
    code, lines = doctor_with(
        tmp_path,
        monkeypatch,
        '[database]\npath = "t.db"\n[schedule]\nstatus_every = "soon"\n'
        f'[metrics]\nlisten = "127.0.0.1:{taken}"\n',
    )
    assert code == 1 and lines == [in_use(taken)]


def test_not_checked_when_its_own_section_is_not_valid(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    (tmp_path / "tracker.toml").write_text(
        '[database]\npath = "t.db"\n[metrics]\nlisten = "nowhere"\n'
    )
    result = CliRunner().invoke(main, ["doctor"], env={"COLUMNS": "400"})
    assert "Traceback" not in result.output and result.exit_code == 1
    assert [line for line in result.output.splitlines() if "metrics.listen:" in line] == []
    assert "metrics.listen" in result.output  # the config problem names it


def test_no_line_without_an_endpoint(doctor):
    code, lines = doctor("")
    assert code == 0 and lines == []


def test_checked_when_the_database_section_is_not_valid(tmp_path, monkeypatch, taken):
    # [database] failing validation left [metrics] listen unchecked, though
    # its own section was valid: the taken port showed only at the next start.
    code, lines = doctor_with(
        tmp_path, monkeypatch, f'[database]\npath = 5\n[metrics]\nlisten = "127.0.0.1:{taken}"\n'
    )
    assert code == 1
    assert lines == [in_use(taken)]


def test_a_free_port_is_said_when_the_database_section_is_not_valid(tmp_path, monkeypatch):
    port = free_port()
    code, lines = doctor_with(
        tmp_path, monkeypatch, f'[database]\nbusy_timeout = "x"\n[metrics]\nlisten = ":{port}"\n'
    )
    assert code == 1  # the [database] problem
    assert lines == [f"ok   metrics.listen: *:{port} is free: run can listen there"]


def test_the_daemons_endpoint_when_the_database_section_is_not_valid(
    tmp_path, monkeypatch, endpoint
):
    # No database to read the lock of: the tracker's own metrics answering
    # there say it is a running daemon's endpoint, not another program's.
    code, lines = doctor_with(
        tmp_path, monkeypatch, f'[database]\npath = 5\n[metrics]\nlisten = "127.0.0.1:{endpoint}"\n'
    )
    assert code == 1  # the [database] problem
    assert lines == [
        f"ok   metrics.listen: 127.0.0.1:{endpoint}: the running daemon serves its metrics there"
    ]
