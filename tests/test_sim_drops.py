"""`simulate --quirk drops=SHARE`: an ended order's count drops by up to
SHARE each simulated day, so a refill restores something (Completed) where
every refill the simulator took ended Rejected ("nothing dropped"), and
the refill path could not be practised end to end."""

from __future__ import annotations

import re
import time

import pytest
from click.testing import CliRunner
from refill_world import DAY
from test_cli_simulate_init import Simulator, _cli

from tracker.cli.main import main
from tracker.config.load import load_config
from tracker.sim.scripts import quirks_from
from tracker.sim.server import SERVICE_FOLLOWERS

SIM_DAY = 600.0  # the World's stages are a minute: a simulated day of ten


def _refill_status(w, order_id: int) -> list[str]:
    listed = w.cli("refills", "--order", str(order_id)).stdout.splitlines()[1:]
    return [line.split()[3] for line in listed]


@pytest.mark.parametrize(("quirks", "ends"), [(["drops=0.2"], "Completed"), ([], "Rejected")])
def test_an_ended_orders_count_drops_each_simulated_day_and_a_refill_restores_it(
    world, clock, quirks, ends
):
    w = world(
        script=quirks_from(quirks),
        day=SIM_DAY,
        refill_cooldown=SIM_DAY,
        refill='first_check = "10m"\ncooldown = "10m"',
    )
    w.sync_services()
    order = w.order(SERVICE_FOLLOWERS)
    w.poll()
    full = w.panel.current_count(order)
    clock.advance(SIM_DAY - 1)
    assert w.panel.current_count(order) == full  # a whole simulated day first
    clock.advance(1)
    lost = full - w.panel.current_count(order)
    assert (50 <= lost <= 200) if quirks else lost == 0  # a quarter of 20% to 20% of 1000
    assert w.round() and _refill_status(w, order) == ["Pending"]
    clock.advance(300)  # two stages: done
    assert w.round() and _refill_status(w, order) == [ends]
    assert w.panel.current_count(order) == full
    clock.advance(SIM_DAY)  # another day's drop; the panel's cooldown (a simulated day) over
    assert w.round() and _refill_status(w, order) == ["Pending", ends]
    clock.advance(30 * DAY)  # never more than it delivered
    assert w.panel.current_count(order) >= full - 1000


def test_simulate_drops_writes_a_config_whose_refills_keep_its_pace(tmp_path):
    from tracker.cli.simulate_config import config_text

    (tmp_path / "tracker.toml").write_text(config_text("http://127.0.0.1:8484/api/v2", 60.0))
    config = load_config(str(tmp_path / "tracker.toml"), env={"SMM_SIM_KEY": "k-123456"})
    assert (config.refill.first_check, config.refill.cooldown) == (60.0, 60.0)
    assert (config.refill.window, config.schedule.refill_every) == (1800.0, 10.0)
    help_text = CliRunner().invoke(main, ["simulate", "--help"], terminal_width=200).output
    assert "drops=SHARE" in help_text


@pytest.mark.parametrize(
    ("quirk", "said"),
    [
        ("drops=20%", "--quirk: drops: '20%' is not a share from 0 to 1 (0.2 is 20%)"),
        ("drops=2", "--quirk: drops: '2' is not a share from 0 to 1 (0.2 is 20%)"),
        ("drops", "--quirk: quirk drops needs a value: drops=0.2 (a share: 0.2 is 20%)"),
        # Accepted before, and silently no drops at all.
        *(
            (
                f"drops={zero}",
                f"--quirk: drops: {zero!r} drops nothing: give a share above 0, "
                "up to 1 (0.2 is 20%), or leave the quirk out",
            )
            for zero in ("0", "0.0", "-0")
        ),
    ],
)
def test_simulate_names_a_drops_share_it_cannot_read(quirk, said):
    result = CliRunner().invoke(main, ["simulate", "--port", "0", "--quirk", quirk])
    assert result.exit_code == 2 and result.output == f"smm-tracker: {said}\n"


@pytest.mark.parametrize("zero", ["0", "0.0", "-0", "0e3"])
def test_a_drops_share_of_zero_is_refused_not_taken_for_no_drops(zero):
    # `simulate --quirk drops=0` served a panel where nothing dropped, without
    # a word: the quirk named and doing nothing.
    with pytest.raises(ValueError, match="drops nothing"):
        quirks_from([f"drops={zero}"])
    assert quirks_from([]).drops == 0.0  # left out: no drops, as ever


def test_a_trial_with_drops_shows_a_refill_restoring_a_drop(tmp_path):
    # The README's trial: simulate --quirk drops with a written config, orders
    # added, run --once until the automatic refill has run its course.
    sim = Simulator(tmp_path, "--speed", "0.2", "--quirk", "drops=0.2", "--config-out", "t.toml")
    try:
        text = "\n".join(sim.until("serving until Ctrl-C"))
        assert "drops: an ended order loses up to 20% of its count each simulated day" in text
        key = re.search(r"^key: (\S+)$", text, re.M).group(1)
        env = {**sim.env, "SMM_SIM_KEY": key, "SMM_TRACKER_CONFIG": str(tmp_path / "t.toml")}
        add = ["add", "--service", str(SERVICE_FOLLOWERS), "--link", "https://x/y"]
        for _ in range(6):  # about one in seven ends Partial or Canceled
            # In this process (a process each: 0.5-1 s of start-up apiece).
            added = CliRunner().invoke(main, [*add, "--quantity", "100"], env=env)
            assert added.exit_code == 0, added.output
        listed = ""
        for _ in range(60):  # each run --once a little later: the simulated days pass
            ran = _cli(tmp_path, env, "run", "--once", "--all")
            assert ran.returncode == 0, ran.stdout + ran.stderr
            listed = _cli(tmp_path, env, "refills").stdout
            if " Completed " in listed:
                break
            time.sleep(0.3)
    finally:
        sim.stop()
    assert " Completed " in listed and " auto " in listed, listed
