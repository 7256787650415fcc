"""`orders`' note of a panel whose key the panel refuses (``auth_failed``
open) says what fixes it, as ``doctor`` does: the key where the config sets
it (``panels[N].key_env``, ``key_file`` or ``key``), then ``systemctl reload
smm-tracker`` (a key in the config) or ``restart`` (a variable, a key file), or
the next cron run. It sent you to "smm-tracker doctor, or
the log's status_failed lines", which say nothing a refused key needs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from key_fixes import TAKEN, install_units

from tracker.cli.main import main
from tracker.sim.server import PanelServer, SimulatedPanel

KEY = "sim-key-KeyFix7Tq2Wm9"
WRONG = "a-key-the-panel-refuses"
FIX = "fix the key in {place}, then {taken}; from cron, the next run reads it)"


@pytest.fixture
def url():
    server = PanelServer(SimulatedPanel(key=KEY, seed=3)).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("field", "value", "place"),
    [
        ("key_env", '"BAD_KEY"', "panels[1].key_env (environment variable BAD_KEY)"),
        ("key_file", '"bad-key"', "panels[1].key_file (file {dir}/bad-key)"),
        ("key", f'"{WRONG}"', "panels[1].key (inline in config)"),
    ],
)
def test_a_refused_keys_note_says_where_to_fix_it(
    url, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, field, value, place
) -> None:
    install_units(tmp_path, monkeypatch, "system")  # as TAKEN says: systemctl
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    monkeypatch.setenv("SIM_KEY", KEY)
    monkeypatch.setenv("BAD_KEY", WRONG)
    (tmp_path / "bad-key").write_text(WRONG + "\n")
    (tmp_path / "bad-key").chmod(0o600)
    both = ["retries = 0", 'timeout = "5s"']
    config = ["[database]", 'path = "t.db"']
    config += ["[[panels]]", 'name = "main"', f'url = "{url}"', 'key_env = "SIM_KEY"', *both]
    config += ["[[panels]]", 'name = "sim"', f'url = "{url}"', f"{field} = {value}", *both]
    (tmp_path / "tracker.toml").write_text("\n".join(config) + "\n")
    cli = CliRunner()

    def run(*args: str):
        return cli.invoke(main, list(args), catch_exceptions=False)

    assert run("track", "--panel", "sim", "5").exit_code == 0
    assert run("run", "--once").exit_code == 1  # the key refused: auth_failed opens
    listed = run("orders")
    assert listed.exit_code == 0, listed.output
    said = FIX.format(place=place.format(dir=tmp_path), taken=TAKEN[field])
    note = re.fullmatch(
        r"\(sim: the API key is refused since (\S+): its statuses are the last it gave; (.*)\n",
        listed.stderr,
    )
    assert note is not None, listed.stderr
    assert note.group(2) == said
    assert "status_failed" not in listed.stderr and WRONG not in listed.output
    as_json = run("orders", "--json")
    assert as_json.exit_code == 0 and as_json.stderr == ""  # no note field: as it was
    assert '"panel": "sim"' in as_json.stdout
