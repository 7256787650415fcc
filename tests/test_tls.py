"""TLS to a real local HTTPS panel: certificates verified against the CA bundle,
which is loaded at the first handshake, never for an http:// panel."""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from quiet_server import QuietServer

from tracker.config.model import PanelConfig, Secret
from tracker.errors import PanelError
from tracker.panel import tls
from tracker.panel.client import PanelClient

KEY = "k3y-for-tls-tests-0123456789"
ROOT = Path(__file__).resolve().parent.parent


class _Panel(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = json.dumps({"balance": "12.50", "currency": "USD"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fresh_context() -> Iterator[None]:
    """Each test starts with a context not made yet, and leaves none behind
    (one trusting a test's certificate must not outlive the test)."""
    tls.context.cache_clear()
    tls._made.clear()
    yield
    tls.context.cache_clear()
    tls._made.clear()


def _make_certificate(where: Path, names: str) -> tuple[Path, Path]:
    """A self-signed certificate for ``names`` (a subjectAltName value)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", f"subjectAltName={names}"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    return _make_certificate(tmp_path, "IP:127.0.0.1,DNS:localhost")


def _serve(certificate: tuple[Path, Path] | None) -> tuple[QuietServer, str]:
    server = QuietServer(_Panel)
    scheme = "http"
    if certificate is not None:
        side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        side.load_cert_chain(str(certificate[0]), str(certificate[1]))
        server.socket = side.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"{scheme}://127.0.0.1:{server.server_address[1]}/api/v2"


def _balance(url: str) -> str:
    client = PanelClient(PanelConfig(name="p", url=url, key=Secret(KEY), retries=0, timeout=10))
    try:
        answer = client.balance()
    finally:
        client.close()
    return f"{answer.balance} {answer.currency}"


def _refusal(certificate: tuple[Path, Path]) -> str:
    """Serve ``certificate``; return the words of the balance call's refusal."""
    server, url = _serve(certificate)
    try:
        with pytest.raises(PanelError) as refused:
            _balance(url)
    finally:
        server.shutdown()
    return str(refused.value)


def _loads(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    loads: list[object] = []
    real = ssl.SSLContext.load_verify_locations

    def load(self: ssl.SSLContext, *args: object, **kwargs: object) -> None:
        loads.append(kwargs or args)
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", load)
    return loads


def test_an_https_panel_is_verified_against_the_bundle_loaded_at_the_first_handshake(
    fresh_context: None, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    loads = _loads(monkeypatch)
    server, url = _serve(certificate)
    try:
        client = PanelClient(PanelConfig(name="p", url=url, key=Secret(KEY), retries=0))
        client.close()
        assert loads == []  # a client made: no bundle read yet
        assert _balance(url) == "12.50 USD"
        assert _balance(url) == "12.50 USD"
    finally:
        server.shutdown()
    assert loads == [{"cafile": str(certificate[0])}]  # once, the one $SSL_CERT_FILE names


def test_a_certificate_the_bundle_does_not_vouch_for_is_refused(
    fresh_context: None, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    said = _refusal(certificate)
    assert "TLS certificate of 127.0.0.1 not accepted: self-signed certificate" in said
    assert "(CA bundle: $SSL_CERT_FILE)" in said  # where a panel's own is trusted


def test_a_certificate_for_another_host_is_refused_without_the_bundle_hint(
    fresh_context: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bundle vouches for it, but not as 127.0.0.1: no other bundle would
    # help, so the message does not send the user to $SSL_CERT_FILE.
    elsewhere = _make_certificate(tmp_path, "DNS:panel.invalid")
    monkeypatch.setenv("SSL_CERT_FILE", str(elsewhere[0]))
    said = _refusal(elsewhere)
    assert "TLS certificate of 127.0.0.1 not accepted: " in said
    assert "mismatch" in said.lower()
    assert "CA bundle" not in said


@pytest.mark.parametrize("flags", [[], ["-E"]])
def test_the_key_log_file_follows_sslkeylogfile_unless_python_ignores_the_environment(
    flags: list[str], tmp_path: Path
) -> None:
    # As ssl.create_default_context: python -E (or -I) turns it off.
    log = tmp_path / "keys.log"
    shown = subprocess.run(
        [sys.executable, *flags, "-c",
         "from tracker.panel import tls; print(tls.context().keylog_filename)"],
        env={**os.environ, "SSLKEYLOGFILE": str(log), "PYTHONPATH": str(ROOT)},
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    assert shown == ("None" if flags else str(log))


def test_an_http_panel_never_loads_the_ca_bundle(
    fresh_context: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads = _loads(monkeypatch)
    server, url = _serve(None)
    try:
        assert _balance(url) == "12.50 USD"
    finally:
        server.shutdown()
    assert loads == []


def test_every_context_made_for_the_clients_is_loaded_before_its_first_handshake(
    fresh_context: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two threads making the first clients at once may each make a context:
    # one left without its bundle would refuse every certificate.
    loads = _loads(monkeypatch)
    first = tls.context()
    tls.context.cache_clear()
    second = tls.context()
    assert first is not second
    assert tls.trusting(first) is first and tls.trusting(second) is second
    assert tls.trusting(first) is first  # loaded once each
    assert len(loads) == 2
    other = ssl.create_default_context()  # not made here: left alone
    assert tls.trusting(other) is other and len(loads) == 2


def test_a_refused_certificate_is_tried_once_not_for_the_whole_retry_budget(
    fresh_context: None, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No retry within the call changes a certificate: one attempt, one line
    # (the daemon asks again at its next run, as for any unreachable panel).
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    server, url = _serve(certificate)
    attempts: list[bool] = []
    panel = PanelConfig(name="p", url=url, key=Secret(KEY), retries=3, retry_budget=600.0)
    client = PanelClient(
        panel, observers=[lambda *call: attempts.append(call[2])], sleep=lambda _s: None
    )
    try:
        with pytest.raises(PanelError) as refused:
            client.balance()
    finally:
        client.close()
        server.shutdown()
    assert attempts == [False]
    assert "not accepted: self-signed certificate" in str(refused.value)
