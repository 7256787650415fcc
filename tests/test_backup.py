"""`smm-tracker backup DEST`: a verified copy, never an accidental overwrite.

The copy taken while the daemon writes is in test_service_run.py.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import stat
import subprocess
import sys

import pytest
from click.testing import CliRunner

from tracker.cli.main import main
from tracker.clock import utcnow
from tracker.store.orders import Store


@pytest.fixture
def backup(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    (tmp_path / "tracker.toml").write_text(
        '[database]\npath = "t.db"\n[[panels]]\nname = "main"\n'
        'url = "https://panel.invalid/api/v2"\nkey = "k-1234567890abcdef"\n'
    )
    store = Store(tmp_path / "t.db")
    store.track("main", [1, 2, 3], utcnow())
    store.close()

    def run(*args: str):
        return CliRunner().invoke(main, ["backup", *args], catch_exceptions=False)

    return run


def test_backup_writes_a_checked_self_contained_copy(backup, tmp_path):
    result = backup("copy.db")
    assert result.exit_code == 0, result.output
    assert "3 orders" in result.output and "integrity ok" in result.output
    conn = sqlite3.connect(tmp_path / "copy.db")
    assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 3
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith((".copy", "copy"))) == [
        "copy.db"
    ]  # no partial file, no -wal left beside it


def test_the_line_names_both_files_by_their_full_path(backup, tmp_path):
    # A restore (or a cron mail) reads where the copy is: "to copy.db" said
    # nothing of the directory the command ran in, where the database's
    # path was given in full.
    result = backup("copy.db")
    assert result.exit_code == 0, result.output
    assert f"backed up {tmp_path / 't.db'} to {tmp_path / 'copy.db'}: " in result.output


def test_the_line_on_a_terminal_is_wrapped_at_its_words(backup, tmp_path, monkeypatch):
    # 97 columns on an 80-column terminal for a database two folders deep:
    # the terminal broke a path inside it. Piped, one line (scripts, cron).
    from tracker.cli import screen

    piped = backup("piped.db")
    assert piped.stdout.count("\n") == 1, piped.stdout
    monkeypatch.setenv("COLUMNS", "60")
    monkeypatch.setattr(screen, "stdout_is_terminal", lambda: True)
    result = backup("copy.db")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) > 1 and all(len(line) <= 60 for line in lines), lines
    said = "".join(lines).replace(" ", "")  # every character kept
    assert said.startswith(f"backedup{tmp_path / 't.db'}to{tmp_path / 'copy.db'}:")
    assert said.endswith("3orders,0transitions;integrityok")


def test_a_backup_of_one_order_says_one_order(backup, tmp_path):
    # "1 orders, 0 transitions".
    store = Store(tmp_path / "t.db")
    with store.write() as db:
        db.execute("DELETE FROM orders WHERE order_id > 1")
    store.close()
    result = backup("copy.db")
    assert result.exit_code == 0, result.output
    assert "MB, 1 order, 0 transitions; integrity ok" in result.output, result.output


def test_an_existing_destination_needs_force(backup, tmp_path):
    (tmp_path / "copy.db").write_text("keep me")
    refused = backup("copy.db")
    assert refused.exit_code == 2  # a usage mistake, as for init and simulate --config-out
    assert refused.output == ("smm-tracker: backup: copy.db exists; use --force to overwrite it\n")
    assert (tmp_path / "copy.db").read_text() == "keep me"
    assert backup("--force", "copy.db").exit_code == 0
    assert (tmp_path / "copy.db").read_bytes().startswith(b"SQLite format 3")


def test_dash_is_no_destination(backup, tmp_path):
    # It was a file named "-" in the current directory, not stdout.
    result = backup("-")
    assert result.exit_code == 2
    assert (
        result.output
        == "smm-tracker: backup: DEST -: name the file to write (./- for a file named '-')\n"
    )
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize(
    ("dest", "message"),
    [
        ("missing/copy.db", "does not exist"),
        ("backups/", "'backups/' ends in '/', a directory's name, and there is no such"),
        ("old.db", "exists; use --force"),  # was tracker.toml, the config: no destination
        ("", "backup: DEST is empty; name the file to write"),  # it said ". is a directory"
    ],
)
def test_bad_destinations_are_one_line(backup, tmp_path, dest, message):
    (tmp_path / "old.db").write_text("an earlier copy")
    result = backup(dest)
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "backups").exists()  # `backup backups/` wrote a file named backups


def _unwritable_directory() -> str:
    """Return a directory that refuses a new file even to root (and so to anyone)."""
    for where in ("/sys", "/proc"):
        try:
            open(f"{where}/.smm-tracker-probe", "wb").close()
        except OSError:
            return where
    pytest.skip("no directory here refuses a new file")


def test_an_unwritable_destination_names_its_directory_not_the_database(backup, tmp_path):
    where = _unwritable_directory()
    result = backup(f"{where}/copy.db")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"smm-tracker: backup: cannot write in {where}: "
    )
    assert "t.db" not in result.output  # the source database is not to blame
    assert "Traceback" not in result.output


def test_backing_up_onto_the_database_itself_is_refused(backup, tmp_path):
    result = backup("--force", "t.db")
    assert result.exit_code == 1 and "the database itself" in result.output
    assert sqlite3.connect(tmp_path / "t.db").execute("SELECT count(*) FROM orders").fetchone()


def _special(kind: str, path) -> None:
    """Make a node of ``kind`` at ``path`` (never a real /dev node)."""
    if kind == "char":
        try:
            os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # as /dev/null
        except PermissionError:
            pytest.skip("mknod of a character device needs root")
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        with socket.socket(socket.AF_UNIX) as listener:
            listener.bind(path.name)  # relative (the cwd): a long tmp path is past AF_UNIX's limit


@pytest.mark.parametrize(
    ("kind", "named", "still"),
    [
        ("char", "a character device", stat.S_ISCHR),
        ("fifo", "a FIFO", stat.S_ISFIFO),
        ("socket", "a socket", stat.S_ISSOCK),
    ],
)
@pytest.mark.parametrize("via_link", [False, True])
@pytest.mark.parametrize("force", [["--force"], []])
def test_force_never_replaces_a_device_fifo_or_socket(
    backup, tmp_path, kind, named, still, via_link, force
):
    # `backup --force /dev/null` turned the machine's /dev/null into a regular file.
    node = tmp_path / "null"
    _special(kind, node)
    dest = "null"
    if via_link:
        (tmp_path / "link").symlink_to("null")
        dest = "link"
    result = backup(*force, dest)
    assert result.exit_code == 2
    assert result.output == (
        f"smm-tracker: backup: {dest} is {named}, not a regular file; name a file to write\n"
    )
    assert still(os.stat(node).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["null", "t.db", "tracker.toml", *(["link"] if via_link else [])]
    )  # nothing written beside it either


def test_a_destination_made_special_during_the_copy_is_left_alone(backup, tmp_path, monkeypatch):
    from tracker.store import backup as module

    verify = module._verify

    def meanwhile(copy, dest):  # another program puts a FIFO there while the copy is checked
        os.mkfifo(dest)
        return verify(copy, dest)

    monkeypatch.setattr(module, "_verify", meanwhile)
    result = backup("copy.db")
    assert result.exit_code == 1
    assert "copy.db is a FIFO, not a regular file" in result.output
    assert stat.S_ISFIFO(os.stat(tmp_path / "copy.db").st_mode)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".copy.db")]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("t.db", "the destination is the database itself; name another file"),
        ("t.db.lock", "t.db.lock is the database's lock file; name another file"),
        ("t.db-wal", "t.db-wal is the database's write-ahead log; name another file"),
    ],
)
def test_the_database_and_its_files_are_refused_without_force_too(backup, tmp_path, name, message):
    # `backup tracker.db` said "tracker.db exists; use --force to overwrite it":
    # a next step pointing at the live database, which --force then refused.
    (tmp_path / "t.db.lock").write_text("4242")
    (tmp_path / "t.db-wal").write_bytes(b"")
    result = backup(name)
    assert result.exit_code == 1
    assert result.output == f"smm-tracker: backup: {message}\n"
    assert "--force" not in result.output
    assert (tmp_path / "t.db.lock").read_text() == "4242"


def test_a_symlink_loop_as_destination_is_no_traceback(backup, tmp_path):
    # Path.resolve() raised "RuntimeError: Symlink loop" out of the check for
    # the database's own files: a traceback. A loop leads nowhere, as a
    # dangling symlink: the copy takes its place.
    (tmp_path / "loop").symlink_to("loop")
    result = backup("loop")
    assert result.exit_code == 0 and "integrity ok" in result.output
    conn = sqlite3.connect(tmp_path / "loop")
    assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 3
    conn.close()


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("t.db-wal", "write-ahead log"),
        ("t.db-shm", "shared-memory index"),
        ("t.db-journal", "rollback journal"),
        ("t.db.lock", "lock file"),
        ("sub/../t.db.lock", "lock file"),
    ],
)
def test_the_files_beside_the_database_are_no_destination(backup, tmp_path, name, what):
    (tmp_path / "sub").mkdir()
    (tmp_path / "t.db.lock").write_text("4242")  # a running daemon's, as it writes it
    result = backup("--force", name)
    assert result.exit_code == 1
    assert result.output == (
        f"smm-tracker: backup: {name} is the database's {what}; name another file\n"
    )
    assert (tmp_path / "t.db.lock").read_text() == "4242"  # the lock a daemon holds is left alone


@pytest.mark.parametrize("name", ["tracker.toml", "sub/../tracker.toml", "link.toml"])
def test_the_config_in_use_is_no_destination_even_with_force(backup, tmp_path, name):
    # Walk: `backup --force tracker.toml` (a tab completion's pick) wrote the
    # database over the config the command had just read: the panels, their
    # keys and every setting lost, the daemon's next reload refused.
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.toml").symlink_to(tmp_path / "tracker.toml")
    config = (tmp_path / "tracker.toml").read_text()
    result = backup("--force", name)
    assert result.exit_code == 1
    assert result.output == (
        f"smm-tracker: backup: {name} is the config file in use "
        f"({tmp_path / 'tracker.toml'}); name another file\n"
    )
    assert (tmp_path / "tracker.toml").read_text() == config
    assert backup(name).output == result.output  # not "exists; use --force", refused then
    assert backup("copy.db").exit_code == 0  # any other file is written as before


_SECRETS = (
    '[[panels]]\nname = "main"\nurl = "https://panel.invalid/api/v2"\n'
    'key_file = "keys/main.key"\n'
    '[[panels]]\nname = "other"\nurl = "https://other.invalid/api/v2"\n'
    'key_file = "other.key"\n'
    '[alerts]\nwebhook_url_file = "hook.url"\nnotify_file = "notify.urls"\n'
    '[refill]\ndetect = "command"\ncommand = "./count.sh"\n'
)


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("keys/main.key", "the API key file of panel main (panels[0].key_file)"),
        ("keys/../other.key", "the API key file of panel other (panels[1].key_file)"),
        ("key-link", "the API key file of panel main (panels[0].key_file)"),
        ("hook.url", "the webhook URL file (alerts.webhook_url_file)"),
        ("notify.urls", "the notification URL file (alerts.notify_file)"),
        ("count.sh", "the drop-detection program (refill.command)"),
    ],
)
def test_the_files_the_config_names_are_no_destination_even_with_force(
    backup, tmp_path, name, what
):
    # Walk: `backup --force` refused the config itself but wrote the database
    # over its key_file (the API key lost) or an alert URL file (a webhook's
    # secret URL lost), whatever the command had just read the config of.
    (tmp_path / "keys").mkdir()
    files = {
        "keys/main.key": "k-main-1234567890abcdef\n",
        "other.key": "k-other-1234567890abcdef\n",
        "hook.url": "https://hooks.example/T0/SECRET\n",
        "notify.urls": "tgram://bot-token/chat\n",
        "count.sh": "#!/bin/sh\necho 100\n",
    }
    for path, text in files.items():
        (tmp_path / path).write_text(text)
    (tmp_path / "count.sh").chmod(0o755)
    (tmp_path / "key-link").symlink_to(tmp_path / "keys/main.key")
    (tmp_path / "tracker.toml").write_text('[database]\npath = "t.db"\n' + _SECRETS)
    for force in (["--force"], []):  # never "exists; use --force": refused then too
        result = backup(*force, name)
        assert result.exit_code == 1, result.output
        assert result.output == f"smm-tracker: backup: {name} is {what}; name another file\n"
    for path, text in files.items():
        assert (tmp_path / path).read_text() == text
        assert text.strip() not in result.output
    assert backup("copy.db").exit_code == 0  # any other file is written as before


def test_a_sigterm_during_the_copy_leaves_no_partial_file(backup, tmp_path):
    # systemd stopping the backup timer's unit (a shutdown): the default action
    # left a hidden copy as large as the database beside DEST, for good. It
    # ends as every writing command's SIGTERM does: 143, "stopped by SIGTERM".
    script = (
        "import os, signal, sys\n"
        "from tracker.store import backup\n"
        "verify = backup._verify\n"
        "def stopped(copy, dest):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    return verify(copy, dest)\n"
        "backup._verify = stopped\n"
        "from tracker.cli.main import main\n"
        "main(['backup', 'copy.db'])\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": root},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 143, done.stderr  # 130 is a Ctrl-C's
    assert done.stderr == "smm-tracker: stopped by SIGTERM\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    assert not (tmp_path / "copy.db").exists()


@pytest.mark.parametrize(
    ("database_mode", "copy_mode"), [(0o600, 0o600), (0o640, 0o640), (0o444, 0o644), (0o400, 0o600)]
)
def test_a_copy_is_no_more_readable_than_the_database(backup, tmp_path, database_mode, copy_mode):
    # Made as root under umask 022, the copy of a 0600 database was 0644:
    # every user could read the orders, links and charges in it. A 0444
    # database's 0444 copy could not be written by SQLite (no root powers).
    os.chmod(tmp_path / "t.db", database_mode)
    previous = os.umask(0o022)
    try:
        assert backup("copy.db").exit_code == 0
        assert backup("copy.db", "--force").exit_code == 0  # a replaced copy too
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "copy.db").stat().st_mode) == copy_mode


def test_a_link_planted_where_the_copy_is_written_truncates_nothing(backup, tmp_path):
    # Run as root into a directory others may write, the half-written copy
    # (.DEST.partial-PID, a name anyone can guess) followed a planted link.
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / f".copy.db.partial-{os.getpid()}").symlink_to(victim)
    assert backup("copy.db").exit_code == 0
    assert victim.read_text() == "precious"
    assert (
        sqlite3.connect(tmp_path / "copy.db").execute("SELECT count(*) FROM orders").fetchone()[0]
        == 3
    )


def test_a_destination_with_control_characters_is_said_escaped(backup, tmp_path):
    # A name pasted with a terminal's BEL and escape: written as given, said
    # escaped, as every error line says a path.
    result = backup("copy\x07\x1b[2J.db")
    assert result.exit_code == 0 and (tmp_path / "copy\x07\x1b[2J.db").exists()
    assert f"to {tmp_path}/copy\\x07\\x1b[2J.db: " in result.output, result.output
    assert "\x07" not in result.output and "\x1b" not in result.output


def test_the_help_says_the_restore_the_readme_says():
    # `backup --help` said "copy DEST over database.path": the old
    # database's -wal, replayed over a copy made another way, undoes the
    # restore; the README's restore deletes it first.
    shown = CliRunner().invoke(main, ["backup", "--help"], terminal_width=80).output
    words = " ".join(shown.split())
    assert "delete database.path's -wal and -shm files, copy DEST over database.path" in words


def test_a_database_on_a_read_only_mount_is_named_not_the_destination(
    backup, tmp_path, monkeypatch
):
    # On a read-only mount SQLite cannot make the WAL database's -shm: its
    # first read fails "unable to open database file", which the copy blamed
    # on DEST ("cannot open database copy.db: check permissions"), a file in
    # a directory anyone may write. No test mounts one: the first read's
    # failure and the filesystem's flag are faked.
    from collections import namedtuple

    class Unopenable:  # the source's connection, as SQLite answers it there
        def execute(self, *args):
            raise sqlite3.OperationalError("unable to open database file")

        def close(self):
            pass

    connect = sqlite3.connect
    source = str(tmp_path / "t.db")
    monkeypatch.setattr(
        sqlite3,
        "connect",
        lambda p, *a, **k: Unopenable() if str(p) == source else connect(p, *a, **k),
    )
    real = os.statvfs
    flagged = namedtuple("StatVFS", "f_flag f_bavail")(os.ST_RDONLY, 100)
    monkeypatch.setattr(os, "statvfs", lambda p: flagged if str(p) == str(tmp_path) else real(p))
    (tmp_path / "out").mkdir()
    result = backup(str(tmp_path / "out" / "copy.db"))
    assert result.exit_code == 1
    assert result.output == (
        f"smm-tracker: database {tmp_path / 't.db'} is read-only: the filesystem holding "
        f"{tmp_path} is mounted read-only\n"
    )
    assert list((tmp_path / "out").iterdir()) == []  # no partial copy left
