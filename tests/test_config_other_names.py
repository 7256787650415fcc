"""A key named as other tools or a panel's API page name it (`token`,
`api_token`, `endpoint`, `base_url`, `key_path`, `interval`): "did you mean"
names the config's own, as for a misspelt key, and the key it stands for is
not also said to be missing.

newuser197: `token = "..."` said `unknown key` with no hint, and then `set
exactly one of key_env, key_file or key (got none)`: two problems for one
word, and neither said the token was the key. The value is never said."""

from __future__ import annotations

import pytest
from test_config import KEY, URL, problems


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("token", "key"),
        ("api_token", "key"),
        ("secret", "key"),
        ("password", "key"),
        ("key_path", "key_file"),
        ("keyfile", "key_file"),
    ],
)
def test_a_key_source_named_otherwise_is_one_problem_naming_the_right_name(
    tmp_path, written, meant
):
    data = {"panels": [{"name": "main", "url": URL, written: KEY}]}
    found = problems(data, tmp_path)
    assert found == [f"at 'panels[0].{written}': unknown key (did you mean '{meant}'?)"], found


@pytest.mark.parametrize("written", ["endpoint", "base_url", "host", "api_endpoint"])
def test_the_url_named_otherwise_is_one_problem_naming_url(tmp_path, written):
    data = {"panels": [{"name": "main", written: URL, "key": KEY}]}
    found = problems(data, tmp_path)
    assert found == [f"at 'panels[0].{written}': unknown key (did you mean 'url'?)"], found


@pytest.mark.parametrize("written", ["interval", "poll_interval", "poll_every"])
def test_the_poll_interval_named_otherwise_names_status_every(tmp_path, written):
    data = {"panels": [{"name": "main", "url": URL, "key": KEY}], "schedule": {written: "5m"}}
    found = problems(data, tmp_path)
    assert found == [f"at 'schedule.{written}': unknown key (did you mean 'status_every'?)"], found


def test_another_tools_name_where_its_key_is_not_read_gets_no_guess(tmp_path):
    """`interval` in a panel's table: no status_every there to name."""
    data = {"panels": [{"name": "main", "url": URL, "key": KEY, "interval": "5m"}]}
    found = problems(data, tmp_path)
    assert found == ["at 'panels[0].interval': unknown key"], found
