"""`smm-tracker prune 1d` said click's "Missing option '--older-than'." alone:
the one usage line now says the form to use (`prune --older-than 1d`), exit
2 as before, nothing read or deleted."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tracker.cli.main import main


@pytest.mark.parametrize(
    ("args", "form"),
    [(["1d"], "prune --older-than 1d"), (["400d", "--yes"], "prune --older-than 400d")],
)
def test_prune_with_the_age_as_an_argument_says_the_form_to_use(tmp_path, args, form):
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "none.toml"), "prune", *args])
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("smm-tracker: Missing option '--older-than'"), line
    assert form in line, line


def test_prune_alone_says_the_form_too(tmp_path):
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "none.toml"), "prune"])
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert "prune --older-than DURATION" in line, line
