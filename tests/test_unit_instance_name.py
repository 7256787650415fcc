"""An instance of the shipped template runs as User=smm-tracker-%i, a dynamic
user, whose name systemd takes only strict: letters, digits, "-" and "_", at
most 31 characters (the instance name at most 19). doctor accepted
/etc/smm-tracker/my.shop.toml as smm-tracker@my.shop.service's config and
said nothing, while that instance never starts ("Invalid argument")."""

from __future__ import annotations

import pytest
from simconfig import OFFLINE_CONFIG, TEST_KEY, cli_in
from test_unit_database_place import TEMPLATE

import tracker.rules.secret_files as secret_files

# doctor asks the offline panel (port 9) at the default 4 retries: 10 ms apart.
pytestmark = pytest.mark.usefixtures("quick_backoff")

CANNOT = "which cannot start"


def _doctor(tmp_path, monkeypatch, name: str, template: bool = True) -> list[str]:
    """doctor's lines for the config /etc/smm-tracker/NAME (a temporary
    directory's), the template installed (a fake unit path) or not."""
    etc = tmp_path / "etc" / "smm-tracker"
    etc.mkdir(parents=True, exist_ok=True)
    monkeypatch.setattr(secret_files, "UNIT_CONFIG", etc / "config.toml")
    units = tmp_path / "units"
    units.mkdir(exist_ok=True)
    (units / "smm-tracker@.service").unlink(missing_ok=True)
    if template:
        (units / "smm-tracker@.service").write_text(TEMPLATE.read_text())
    config = etc / name
    config.write_text(OFFLINE_CONFIG)
    config.chmod(0o600)
    env = {"SMM_TEST_KEY": TEST_KEY, "SMM_TRACKER_UNIT_PATH": str(units)}
    result = cli_in(tmp_path, monkeypatch, None, env=env)("--config", str(config), "doctor")
    assert "Traceback" not in result.output
    return result.output.splitlines()


@pytest.mark.parametrize(
    ("name", "wrong", "new"),
    [
        ("my.shop", '"." in it', "my-shop"),
        ("shop2-accounts-europe", "21 characters", "shop2-accounts-euro"),
        ("my\\x2dshop", '"\\" in it', "my-shop"),  # systemd-escape's, as %i spells it
        ("my shop", '" " in it', "my-shop"),
        ("shop.eu.accounts-2026", '21 characters and "." in it', "shop-eu-accounts-20"),
        ("config.", '"." in it', "config2"),  # not smm-tracker.service's config.toml
    ],
)
def test_doctor_warns_of_an_instance_name_systemd_allocates_no_user_for(
    tmp_path, monkeypatch, name, wrong, new
):
    etc = tmp_path / "etc" / "smm-tracker"
    lines = _doctor(tmp_path, monkeypatch, f"{name}.toml")
    assert [line for line in lines if CANNOT in line] == [
        f"warn config: {etc}/{name}.toml is the config of smm-tracker@{name}.service, which "
        f"cannot start: systemd allocates no user smm-tracker-{name} (User=smm-tracker-%i: "
        "an instance name is letters, digits, - and _, at most 19 characters; this one has "
        f"{wrong}): rename it to {etc}/{new}.toml (and {name}.api-key to {new}.api-key; "
        f"its database then in /var/lib/smm-tracker-{new}) and start smm-tracker@{new}"
    ]


@pytest.mark.parametrize(
    "name", ["shop2.toml", "shop_2-eu.toml", f"{'a' * 19}.toml", "config.toml", "my.shop.json"]
)
def test_a_name_an_instance_starts_with_or_no_instances_config_is_not_warned(
    tmp_path, monkeypatch, name
):
    assert not [line for line in _doctor(tmp_path, monkeypatch, name) if CANNOT in line]


def test_without_the_template_installed_no_instance_reads_it(tmp_path, monkeypatch):
    lines = _doctor(tmp_path, monkeypatch, "my.shop.toml", template=False)
    assert not [line for line in lines if CANNOT in line]
