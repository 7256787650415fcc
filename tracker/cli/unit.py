"""The ``unit`` command: print the systemd unit shipped inside the package."""

from __future__ import annotations

from importlib.resources import files

import click

from tracker.cli.main import main


@main.command()
def unit() -> None:
    """Print the hardened systemd unit (smm-tracker.service) to stdout.

    \b
    Install it with:
      smm-tracker unit | sudo tee /etc/systemd/system/smm-tracker.service
      sudo systemctl daemon-reload
    """
    click.echo(files("tracker.data").joinpath("smm-tracker.service").read_text(), nl=False)
