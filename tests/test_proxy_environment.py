"""A proxy variable naming a proxy httpx cannot use: one line, not a traceback.

``HTTPS_PROXY=foo://x`` (a scheme httpx reads none of) or a ``socks5://``
proxy without the socksio package made httpx raise while building the
client: a ValueError or ImportError traceback from every command that talks
to a panel, and `run` had made its database and lock file first. Now: one
line naming the variable (never its value: a proxy URL may carry a
password), exit 2 as for a config problem, and `run` makes nothing.
"""

from __future__ import annotations

import importlib.util

import pytest
from simconfig import cli_in, sim_config

from tracker.panel.proxies import environment_problem

KEY = "proxy-env-Hy6Tg4Rf2Ed8Ws"
PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
NO_PROXY_VARS = ("NO_PROXY", "no_proxy")
# A panel nobody answers at: nothing here may reach it.
CONFIG = sim_config("https://127.0.0.1:9/api/v2")


def cli_with(tmp_path, monkeypatch, proxy: str):
    env: dict[str, str | None] = {name: None for name in (*PROXY_VARS, *NO_PROXY_VARS)}
    env.update(SIM_KEY=KEY, HTTPS_PROXY=proxy)
    return cli_in(tmp_path, monkeypatch, CONFIG, env=env)


@pytest.mark.parametrize("command", [("run", "--once"), ("run", "--once", "--all")])
def test_a_proxy_of_an_unknown_scheme_is_one_line_and_run_makes_nothing(
    tmp_path, monkeypatch, command
):
    cli = cli_with(tmp_path, monkeypatch, "foo://user:s3cret-pass@proxy.test:3128")
    result = cli(*command)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "smm-tracker: $HTTPS_PROXY (or $https_proxy) names a proxy of scheme 'foo', which "
        "httpx cannot use (http, https, socks5, socks5h): fix it or unset it"
    ]
    assert "s3cret-pass" not in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tracker.toml"]


def test_another_command_says_the_same_line(tmp_path, monkeypatch):
    cli = cli_with(tmp_path, monkeypatch, "foo://proxy.test:3128")
    result = cli("services", "--refresh")
    assert result.exit_code == 2, result.output
    assert "$HTTPS_PROXY (or $https_proxy) names a proxy of scheme 'foo'" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.skipif(importlib.util.find_spec("socksio") is not None, reason="socksio installed")
def test_a_socks_proxy_without_socksio_says_what_to_install(tmp_path, monkeypatch):
    cli = cli_with(tmp_path, monkeypatch, "socks5://user:s3cret-pass@127.0.0.1:1080")
    result = cli("run", "--once")
    assert result.exit_code == 2, result.output
    assert "names a SOCKS proxy, but the socksio package is not installed" in result.stderr
    assert "pip install 'httpx[socks]'" in result.stderr
    assert "s3cret-pass" not in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tracker.toml"]


@pytest.mark.parametrize(
    "found",
    [
        {},
        {"https": "http://user:pass@proxy.test:3128"},
        {"http": "proxy.test:3128"},  # no scheme: httpx reads it as http://
        {"all": "https://proxy.test"},
        {"https": "foo://proxy.test", "no": "localhost, *"},  # NO_PROXY=*: none read
    ],
)
def test_proxies_httpx_uses_or_ignores_are_no_problem(found):
    assert environment_problem(found) is None


def test_the_problem_names_the_variable_it_is_in():
    problem = environment_problem({"all": "ftp://proxy.test"})
    assert problem is not None and problem.startswith("$ALL_PROXY (or $all_proxy) names")
