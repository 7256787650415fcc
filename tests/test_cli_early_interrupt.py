"""Ctrl-C before a command's own handling (while it is imported, while the
group reads its options) exits 130 with one line, as every command does."""

from __future__ import annotations

from click.testing import CliRunner

from tracker.cli.main import main


def test_ctrl_c_while_a_command_is_loaded_exits_130_in_one_line(monkeypatch, tmp_path):
    # The group imports a command's module when it is first asked for it.
    def loading(self, ctx, name):
        raise KeyboardInterrupt

    monkeypatch.setattr(type(main), "get_command", loading)
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "none.toml"), "orders"])
    assert result.exit_code == 130
    assert "Aborted!" not in result.output
    assert result.output.strip().splitlines() == ["smm-tracker: interrupted"]


def test_ctrl_c_while_the_group_reads_its_options_exits_130(monkeypatch, tmp_path):
    import tracker.cli.main as cli_main

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_main, "Context", interrupted)
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "none.toml"), "orders"])
    assert result.exit_code == 130
    assert result.output.strip().splitlines() == ["smm-tracker: interrupted"]
