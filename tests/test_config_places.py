"""The config's files as commands say them: `--config ./conf/../tracker.toml`
was said back as `/home/me/conf/../tracker.toml` (by `doctor`, in every
config error, and as the directory of the database and key files under it).
Now each is said as the file it is, absolute, without `..`; a clean absolute
path is said as given, as scripts read it."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner
from test_bad_input import CONFIG

from tracker.cli.main import main
from tracker.config.places import tidied


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A directory with ``conf/`` in it, the working directory."""
    (tmp_path / "conf").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMM_TRACKER_CONFIG", raising=False)
    return tmp_path


def write(path, db="t.db", key="main.key"):
    path.write_text(CONFIG.format(db=db, key=f'key_file = "{key}"'))
    (path.parent / "main.key").write_text("places-key-Jq7Lw2\n")
    (path.parent / "main.key").chmod(0o600)
    path.chmod(0o600)


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_doctor_says_the_config_and_its_database_without_dot_dot(home):
    write(home / "tracker.toml", db="conf/../data/t.db")
    (home / "data").mkdir()
    said = run("--config", "./conf/../tracker.toml", "doctor").output
    assert f"config: {home}/tracker.toml is valid" in said
    assert f"database: {home}/data/t.db will be created" in said
    assert f"key: file {home}/main.key" in said
    assert "/../" not in said


def test_a_missing_config_is_named_without_dot_dot(home):
    said = run("--config", "./conf/../nope.toml", "orders")
    assert said.exit_code == 2
    assert said.output == (
        f"smm-tracker: config: config file {home}/nope.toml (from --config) does not exist\n"
    )


def test_the_variable_is_read_alike(home, monkeypatch):
    write(home / "tracker.toml")
    monkeypatch.setenv("SMM_TRACKER_CONFIG", "conf/../tracker.toml")
    assert f"config: {home}/tracker.toml is valid" in run("doctor").output


def test_a_clean_absolute_path_is_said_as_given(home):
    write(home / "tracker.toml")
    assert (
        f"config: {home}/tracker.toml is valid"
        in run("--config", f"{home}/tracker.toml", "doctor").output
    )


def test_dot_dot_after_a_linked_directory_names_the_file_read(home, tmp_path_factory):
    # `linked/..` is the parent of where the link leads, not this directory:
    # dropping it would name a file never read.
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / "sub").mkdir()
    write(elsewhere / "tracker.toml")
    os.symlink(elsewhere / "sub", home / "linked")
    said = run("--config", "linked/../tracker.toml", "doctor").output
    assert f"config: {elsewhere.resolve()}/tracker.toml is valid" in said
    assert tidied(home / "linked" / ".." / "x") == elsewhere.resolve() / "x"


def test_a_config_that_is_a_link_is_named_as_the_link(home, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("real")
    write(elsewhere / "real.toml")
    (home / "main.key").write_text("places-key-Jq7Lw2\n")
    os.symlink(elsewhere / "real.toml", home / "tracker.toml")
    said = run("--config", "./conf/../tracker.toml", "doctor").output
    assert f"config: {home}/tracker.toml is valid" in said  # the database beside the link
    assert f"database: {home}/t.db" in said
