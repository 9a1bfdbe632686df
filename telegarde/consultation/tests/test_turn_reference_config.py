"""deploy/coturn/turnserver.conf runs under Debian's coturn, accepts our credentials over
UDP and TLS, and refuses to relay to private and loopback addresses (SSRF).

Only the lines that depend on the machine change for the test: ports, addresses, the
secret, the certificate and the log. Nothing is ever sent to a refused peer: a
permission request goes to coturn alone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import secrets
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from aioice import stun
from aioice.turn import TurnClientUdpProtocol, create_turn_endpoint
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from telegarde.consultation.tests.conftest import (
    Inbox,
    TurnServer,
    free_udp_and_tcp_port,
    require_turnserver,
    running_turnserver,
)
from telegarde.consultation.turn import turn_credentials

REFERENCE = Path(__file__).resolve().parents[3] / "deploy" / "coturn" / "turnserver.conf"
HOST_NAME = "turn.telegarde.test"


def self_signed(work: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST_NAME)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST_NAME)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert, pkey = work / "fullchain.pem", work / "privkey.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    pkey.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, pkey


def localised(config: str, changes: dict[str, str]) -> str:
    """The reference config with each ``key=value`` (or bare ``key``) line of ``changes``
    replaced; a key the reference does not set is an error, so the test follows the file."""
    for key, line in changes.items():
        config, count = re.subn(rf"(?m)^{re.escape(key)}(=.*)?$", line, config)
        assert count == 1, f"the reference config should set {key} once"
    return config


@pytest.fixture(scope="module")
def reference_coturn(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TurnServer, int, Path]]:
    """coturn with the reference config: yields the server, its TLS port and its
    certificate (to trust)."""
    require_turnserver()
    work = tmp_path_factory.mktemp("coturn-reference")
    port, tls_port = free_udp_and_tcp_port(), free_udp_and_tcp_port()
    secret = secrets.token_urlsafe(48)
    cert, pkey = self_signed(work)
    config = localised(
        REFERENCE.read_text(),
        {
            "listening-port": f"listening-port={port}\nlistening-ip=127.0.0.1\nrelay-ip=127.0.0.1",
            "tls-listening-port": f"tls-listening-port={tls_port}",
            "static-auth-secret": f"static-auth-secret={secret}",
            "cert": f"cert={cert}",
            "pkey": f"pkey={pkey}",
            "syslog": f"log-file={work / 'turnserver.log'}\nsimple-log\n"
            f"pidfile={work / 'turnserver.pid'}\nuserdb={work / 'turndb'}",
        },
    )
    (work / "turnserver.conf").write_text(config)
    command = ["/usr/bin/turnserver", "-c", str(work / "turnserver.conf")]
    with running_turnserver(command, port, work):
        yield TurnServer("127.0.0.1", port, secret), tls_port, cert


async def permission_refusal(server: TurnServer, peer: tuple[str, int]) -> int | None:
    """Allocate, then ask for a channel to ``peer`` (which installs a permission, and
    sends nothing to the peer); the error code coturn answers, or None if it agreed."""
    username, password = turn_credentials(server.secret, "5e1f0a", ttl=300)
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: TurnClientUdpProtocol(
            (server.host, server.port), username, password, lifetime=600, channel_refresh_time=500
        ),
        remote_addr=(server.host, server.port),
    )
    try:
        await protocol.connect()
        try:
            await protocol.channel_bind(0x4000, peer)
        except stun.TransactionFailed as refused:
            return refused.response.error_code
        await protocol.delete()
        return None
    finally:
        transport.close()


@pytest.mark.asyncio
async def test_it_allocates_over_udp_with_our_credentials(
    reference_coturn: tuple[TurnServer, int, Path],
) -> None:
    server, _, _ = reference_coturn
    username, password = turn_credentials(server.secret, "5e1f0a", ttl=300)

    transport, _ = await create_turn_endpoint(Inbox, (server.host, server.port), username, password)
    transport.close()

    assert transport.get_extra_info("sockname")[0] == "127.0.0.1"


@pytest.mark.asyncio
async def test_it_allocates_over_tls(reference_coturn: tuple[TurnServer, int, Path]) -> None:
    server, tls_port, cert = reference_coturn
    username, password = turn_credentials(server.secret, "5e1f0a", ttl=300)
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False  # the test connects to 127.0.0.1, not to HOST_NAME

    transport, _ = await create_turn_endpoint(
        Inbox, (server.host, tls_port), username, password, ssl=context, transport="tcp"
    )
    transport.close()

    assert transport.get_extra_info("sockname") is not None


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "peer",
    ["127.0.0.1", "10.20.30.40", "172.16.5.5", "192.168.1.10", "169.254.169.254", "100.64.0.1"],
)
async def test_it_refuses_to_relay_to_an_internal_address(
    reference_coturn: tuple[TurnServer, int, Path], peer: str
) -> None:
    server, _, _ = reference_coturn

    assert await permission_refusal(server, (peer, 9)) == 403
