"""A webhook URL no retry can cure, in words naming the setting to fix.

The judgement is the panel client's (:mod:`tracker.panel.misdirected`): a
host the resolver says does not exist (EAI_NONAME), an ``https://`` URL on a
port that answers plain HTTP, a refused TLS certificate. Each happens while
connecting, before a byte of the POST is written, and each stays as it is
until someone edits ``alerts.webhook_url`` (or the receiver changes): an
alert's retries would spend its whole retry budget (60 s) to fail the same
way, while the alerts behind it waited. A resolver that cannot answer now
(EAI_AGAIN) and a refused port are not judged here: retried as before.

The words name the setting, never the URL nor its host: the URL holds a token.
"""

from __future__ import annotations

import ssl

import httpx

from tracker.panel.misdirected import USE_HTTP, causes, no_such_host, no_tls, refused_certificate

SETTING = "alerts.webhook_url (or webhook_url_file)"


def hopeless(exc: httpx.ConnectError, *, proxied: bool) -> str | None:
    """Given a failure to connect to the webhook, return why no retry will
    deliver the alert, and what to fix; None when a retry may.

    ``proxied``: a proxy from the environment carried the POST, so a host not
    found or a plain-HTTP answer may be the proxy's: retried, as a panel's.
    """
    if not proxied and no_such_host(exc):
        return f"the webhook URL's host does not exist (the resolver said so): check {SETTING}"
    reason = None if proxied else no_tls(exc)
    if reason is not None:
        plain = "the webhook answered plain HTTP on an https:// URL"
        return f"{plain}: {USE_HTTP} in {SETTING} ({reason})"
    if refused_certificate(exc):
        return (
            f"the webhook's TLS certificate was refused ({_why(exc)}): check {SETTING}, "
            "the receiver's certificate, or the CA bundle ($SSL_CERT_FILE)"
        )
    return None


def unconnected(exc: httpx.ConnectError) -> str:
    """Given a failure to connect that a retry may cure, return it in words:
    a refused port asks whether the receiver is up and the port right (it
    said "no answer (ConnectError)", for a receiver that did answer: no)."""
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes(exc)):
        return f"connection refused: is the receiver up, and the port in {SETTING} right?"
    return "no answer (ConnectError)"


def _why(exc: BaseException) -> str:
    """OpenSSL's reason for refusing the certificate, cut before the host it
    may quote ("Hostname mismatch, certificate is not valid for 'x'.")."""
    for cause in causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError) and cause.verify_message:
            return str(cause.verify_message).split(",")[0].strip().rstrip(".")
    return "not verified"
