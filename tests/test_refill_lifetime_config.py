"""refill.lifetime never shorter than refill.window: a lifetime guarantee
ending before a name saying none does, or within refill.first_check, is a
config mistake, said on one line naming both keys."""

from __future__ import annotations

import pytest
from refill_world import DAY
from simconfig import OFFLINE_CONFIG, TEST_KEY, cli_in
from test_config import build, problems, with_value


@pytest.mark.parametrize(
    ("refill", "message"),
    [
        (
            {"lifetime": "20d"},
            "at 'refill.lifetime': must be at least refill.window (30d): a lifetime"
            " guarantee would end before a name saying none does",
        ),
        (
            {"lifetime": "60d", "window": "90d"},
            "at 'refill.lifetime': must be at least refill.window (90d): a lifetime"
            " guarantee would end before a name saying none does",
        ),
        (
            {"lifetime": "2d", "first_check": "3d"},
            "at 'refill.lifetime': must be at least refill.window (30d): ending within"
            " refill.first_check (3d) of completion, no order of a lifetime service would"
            " ever be asked for",
        ),
    ],
)
def test_a_lifetime_shorter_than_the_window_is_one_problem_naming_both(tmp_path, refill, message):
    data = with_value("refill.enabled", True)
    data["refill"].update(refill)
    assert problems(data, tmp_path) == [message]


def test_a_lifetime_as_long_as_the_window_or_left_out_is_no_problem(tmp_path):
    data = with_value("refill.lifetime", "30d")
    assert build(data, tmp_path).refill.lifetime == 30 * DAY
    # Left out: 365d, or refill.window when longer (it was refused).
    assert build(with_value("refill.window", "366d"), tmp_path).refill.lifetime == 366 * DAY
    assert build(with_value("refill.window", "90d"), tmp_path).refill.lifetime == 365 * DAY


def test_a_wrong_first_check_is_said_alone_not_again_through_the_lifetime(tmp_path):
    data = with_value("refill.first_check", "40d")
    data["refill"]["lifetime"] = "20d"
    found = problems(data, tmp_path)
    assert found == ["at 'refill.first_check': must be shorter than refill.window (30d)"]


def test_the_cli_says_the_lifetime_mistake_on_one_line(tmp_path, monkeypatch):
    cli = cli_in(tmp_path, monkeypatch, None, env={"SMM_TEST_KEY": TEST_KEY})
    config = tmp_path / "tracker.toml"
    config.write_text(OFFLINE_CONFIG + '[refill]\nlifetime = "10d"\n')
    result = cli("orders")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"smm-tracker: config {config}: at 'refill.lifetime': must be at least"
        " refill.window (30d): a lifetime guarantee would end before a name saying none does"
    ]
    assert "Traceback" not in result.output
