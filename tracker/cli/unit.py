"""The ``unit`` command: print a systemd unit shipped inside the package."""

from __future__ import annotations

from importlib.resources import files

import click

from tracker.cli.main import main


@main.command()
@click.option(
    "--template",
    is_flag=True,
    help="Print the template unit smm-tracker@.service instead: one daemon per "
    "instance (smm-tracker@shop2: /etc/smm-tracker/shop2.toml, its own key and database).",
)
def unit(template: bool) -> None:
    """Print the hardened systemd unit (smm-tracker.service) to stdout.

    \b
    Install it with:
      smm-tracker unit | sudo tee /etc/systemd/system/smm-tracker.service
      sudo systemctl daemon-reload
    or, for a second daemon (README: "A second daemon"):
      smm-tracker unit --template |
        sudo tee /etc/systemd/system/smm-tracker@.service
    """
    name = "smm-tracker@.service" if template else "smm-tracker.service"
    click.echo(files("tracker.data").joinpath(name).read_text(), nl=False)
