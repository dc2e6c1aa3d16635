"""Webhook delivery of recommendations.

The receiver is a real HTTP server on 127.0.0.1 that stands in for Slack's incoming webhooks
(Slack cannot be reached from the test machine): it records every request and answers with
scripted status codes, so retries, errors and the payload are checked over real HTTP.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tfshadow.errors import AlertError
from tfshadow.forecast.alerts import build_payload, redact_url, send_webhook
from tfshadow.forecast.results import Recommendation, Suspect

SECRET_PATH = "/services/T0001/B0002/s3cr3tT0k3n"
START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@dataclass
class Receiver:
    """What the stand-in received, and what it answers next (then 200 ``ok``)."""

    port: int
    requests: list[dict[str, Any]] = field(default_factory=list)
    answers: list[tuple[int, str]] = field(default_factory=list)
    delay: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{SECRET_PATH}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.requests.append(
                {
                    "method": "POST",
                    "path": self.path,
                    "content_type": self.headers.get("Content-Type"),
                    "body": body,
                }
            )
            if state.delay:
                time.sleep(state.delay)
            status, text = state.answers.pop(0) if state.answers else (200, "ok")
            payload = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            state.requests.append({"method": "GET", "path": self.path})
            self.send_error(405)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _rec(severity: str = "critical", **fields: object) -> Recommendation:
    values: dict[str, object] = {
        "resource": "aws_instance.web",
        "metric": "cpu",
        "source": "prometheus",
        "kind": "deviation",
        "window_start": START,
        "window_end": START + timedelta(hours=1),
        "observed": 87.4,
        "expected": 42.1,
        "score": 4.2,
        "threshold": 3.5,
        "severity": severity,
        "suspect": Suspect(
            workspace="default",
            version=7,
            timestamp="2024-05-01T11:50:00Z",
            author="alice",
            description="Bump instance size",
            changed_resource=True,
        ),
        "command": "tfshadow revert 6",
        "reason": "cpu rose after version 7.",
        "created": START + timedelta(hours=1),
    }
    values.update(fields)
    return Recommendation(**values)  # type: ignore[arg-type]


def test_alerts_posts_slack_compatible_json(receiver: Receiver) -> None:
    recs = [_rec("critical"), _rec("warning", resource="aws_db_instance.db", suspect=None)]

    sent = send_webhook(receiver.url, recs, timeout=5, min_severity="warning")

    assert sent == 2
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request["method"] == "POST"
    assert request["path"] == SECRET_PATH
    assert request["content_type"] == "application/json"
    body = json.loads(request["body"])
    assert set(body) == {"text", "blocks", "recommendations"}
    assert body["text"] == "tfshadow: 2 reversion recommendations (1 critical, 1 warning)"
    assert "\n" not in body["text"]
    assert len(body["blocks"]) == 2
    for block in body["blocks"]:
        assert block["type"] == "section"
        assert block["text"]["type"] == "mrkdwn"
    first = body["blocks"][0]["text"]["text"]
    assert "*critical deviation*: cpu on `aws_instance.web`" in first
    assert "suspect: v7 by alice: Bump instance size" in first
    assert "proposed: `tfshadow revert 6`" in first
    assert "2024-05-01 12:00–13:00 UTC" in first
    assert "suspect: none fits" in body["blocks"][1]["text"]["text"]
    assert body["recommendations"] == [r.to_json() for r in recs]


def test_alerts_min_severity_filters(receiver: Receiver) -> None:
    recs = [_rec("info"), _rec("warning"), _rec("critical", resource="aws_instance.db")]

    sent = send_webhook(receiver.url, recs, timeout=5, min_severity="critical")

    assert sent == 1
    body = json.loads(receiver.requests[0]["body"])
    assert [r["resource"] for r in body["recommendations"]] == ["aws_instance.db"]
    assert body["text"] == "tfshadow: 1 reversion recommendation (1 critical)"


def test_alerts_nothing_to_send_posts_nothing(receiver: Receiver) -> None:
    assert send_webhook(receiver.url, [_rec("info")], timeout=5, min_severity="warning") == 0
    assert send_webhook(receiver.url, [], timeout=5, min_severity="info") == 0
    assert receiver.requests == []


def test_alerts_retries_server_error_then_succeeds(receiver: Receiver) -> None:
    receiver.answers = [(500, "internal_error")]

    sent = send_webhook(receiver.url, [_rec()], timeout=5, min_severity="warning")

    assert sent == 1
    assert len(receiver.requests) == 2
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]


def test_alerts_retries_are_bounded(receiver: Receiver) -> None:
    receiver.answers = [(503, "")] * 5

    with pytest.raises(AlertError) as caught:
        send_webhook(receiver.url, [_rec()], timeout=5, min_severity="warning")

    assert len(receiver.requests) == 3  # the first try and two retries
    assert "HTTP 503" in caught.value.message


def test_alerts_not_found_names_host_not_path(receiver: Receiver) -> None:
    receiver.answers = [(404, "no_service")]

    with pytest.raises(AlertError) as caught:
        send_webhook(receiver.url, [_rec()], timeout=5, min_severity="warning")

    line = caught.value.one_line()
    assert len(receiver.requests) == 1  # a 4xx is not retried
    assert f"http://127.0.0.1:{receiver.port}/…" in line
    assert "HTTP 404 (no_service)" in line
    assert caught.value.hint
    assert "services" not in line
    assert "s3cr3t" not in line
    assert "\n" not in line


def test_alerts_error_body_that_is_not_a_code_is_left_out(receiver: Receiver) -> None:
    receiver.answers = [(400, f"Cannot POST {SECRET_PATH}")]

    with pytest.raises(AlertError) as caught:
        send_webhook(receiver.url, [_rec()], timeout=5, min_severity="warning")

    line = caught.value.one_line()
    assert "HTTP 400" in line
    assert "s3cr3t" not in line


def test_alerts_unreachable_names_host_not_path(receiver: Receiver) -> None:
    # A port that was just free: nothing listens there.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(AlertError) as caught:
        send_webhook(
            f"http://127.0.0.1:{port}{SECRET_PATH}", [_rec()], timeout=5, min_severity="info"
        )

    line = caught.value.one_line()
    assert f"cannot reach the alert webhook at http://127.0.0.1:{port}/…" in line
    assert "s3cr3t" not in line


def test_alerts_read_timeout_is_not_retried(receiver: Receiver) -> None:
    receiver.delay = 1.0

    with pytest.raises(AlertError) as caught:
        send_webhook(receiver.url, [_rec()], timeout=0.3, min_severity="warning")

    assert "did not answer within 0.3 s" in caught.value.message
    assert "s3cr3t" not in caught.value.one_line()
    assert len(receiver.requests) == 1


def test_alerts_receiver_trickling_its_answer_is_cut_off() -> None:
    # Each byte arrives within the socket timeout: only a deadline on the whole exchange keeps
    # one slow receiver from holding the analysis for as long as it likes.
    class Trickle(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(1000):
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.1)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    server.daemon_threads = True
    server.block_on_close = False
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}{SECRET_PATH}"
    try:
        started = time.monotonic()
        with pytest.raises(AlertError) as caught:
            send_webhook(url, [_rec()], timeout=0.3, min_severity="warning")
        assert time.monotonic() - started < 0.3 * 3 + 2 + 1
    finally:
        server.shutdown()
        server.server_close()
    assert "did not answer within 0.3 s" in caught.value.message
    assert "s3cr3t" not in caught.value.one_line()


def test_alerts_untrusted_certificate_is_named_not_the_network(tmp_path: Path) -> None:
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(hours=1))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )

    class Ok(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    url = f"https://127.0.0.1:{server.server_address[1]}{SECRET_PATH}"
    try:
        with pytest.raises(AlertError) as caught:
            send_webhook(url, [_rec()], timeout=5, min_severity="warning")
    finally:
        server.shutdown()
        server.server_close()
    line = caught.value.one_line()
    assert "TLS certificate that cannot be verified" in line and "REQUESTS_CA_BUNDLE" in line
    assert "s3cr3t" not in line


def test_alerts_rejects_non_http_url() -> None:
    with pytest.raises(AlertError) as caught:
        send_webhook(
            "ftp://hooks.example/services/s3cr3t", [_rec()], timeout=5, min_severity="info"
        )

    assert "not an http(s) URL" in caught.value.message
    assert "s3cr3t" not in caught.value.one_line()


def test_alerts_redact_url_keeps_scheme_and_host_only() -> None:
    assert redact_url("https://hooks.slack.com/services/T1/B2/abc") == "https://hooks.slack.com/…"
    assert redact_url("https://user:pw@hooks.example:8443/x?token=1") == (
        "https://hooks.example:8443/…"
    )
    assert redact_url("http://[::1]:9000/hook") == "http://[::1]:9000/…"
    assert "pw" not in redact_url("https://user:pw@/x")


def test_alerts_payload_escapes_user_text() -> None:
    suspect = Suspect(
        workspace="default",
        version=3,
        timestamp="2024-05-01T11:50:00Z",
        author="<!channel> & co",
        description="see <https://evil.example|here>",
        changed_resource=False,
    )

    text = build_payload([_rec(suspect=suspect, resource="a.`b`")])["blocks"][0]["text"]["text"]

    assert "&lt;!channel&gt; &amp; co" in text
    assert "<https://evil" not in text
    assert "`a.'b'`" in text


def test_alerts_payload_caps_blocks() -> None:
    payload = build_payload([_rec() for _ in range(60)])

    assert len(payload["blocks"]) == 50
    assert "11 more" in payload["blocks"][-1]["text"]["text"]
    assert len(payload["recommendations"]) == 60
