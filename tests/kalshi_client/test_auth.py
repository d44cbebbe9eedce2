"""Contract: with a key id and an RSA private key configured, every request carries
KALSHI-ACCESS-KEY/-TIMESTAMP/-SIGNATURE, the signature is RSA-PSS(SHA-256, salt = digest length)
over `timestamp_ms + METHOD + path` (with /trade-api/v2, without the query) and verifies with the
public key; half a configuration is a clear error; no key material ever reaches the logs."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import httpx
import orjson
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kalshi_core.kalshi import KalshiAuthError, KalshiClient, RequestSigner
from kalshi_core.logs import JsonFormatter
from kalshi_core.settings import Settings

KEY_ID = "a1b2c3d4-key-id-0000-feedfacecafe"


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def pem(private_key: rsa.RSAPrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def _verify(public_key: rsa.RSAPublicKey, headers: httpx.Headers, method: str, path: str) -> None:
    message = f"{headers['KALSHI-ACCESS-TIMESTAMP']}{method}{path}".encode()
    public_key.verify(
        base64.b64decode(headers["KALSHI-ACCESS-SIGNATURE"]),
        message,
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH),
        hashes.SHA256(),
    )


def test_signature_verifies_with_public_key(private_key: rsa.RSAPrivateKey, pem: bytes) -> None:
    signer = RequestSigner.from_pem(KEY_ID, pem)
    h = httpx.Headers(
        signer.headers("get", "/trade-api/v2/markets?limit=5", timestamp_ms=1703123456789)
    )
    assert h["KALSHI-ACCESS-KEY"] == KEY_ID
    assert h["KALSHI-ACCESS-TIMESTAMP"] == "1703123456789"
    _verify(private_key.public_key(), h, "GET", "/trade-api/v2/markets")  # query stripped
    with pytest.raises(InvalidSignature):  # a different path must not verify
        _verify(private_key.public_key(), h, "GET", "/trade-api/v2/events")
    assert KEY_ID not in repr(signer)


async def test_signed_requests_through_the_client_and_no_key_in_logs(
    private_key: rsa.RSAPrivateKey,
    pem: bytes,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    key_file = tmp_path / "kalshi.pem"
    key_file.write_bytes(pem)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(503)  # one retry, so the retry path logs too
        return httpx.Response(200, content=orjson.dumps({"markets": [], "cursor": ""}))

    async def no_sleep(_: float) -> None:
        return None

    settings = Settings(
        kalshi_base_url="http://127.0.0.1:8765/trade-api/v2",
        kalshi_api_key_id=KEY_ID,
        kalshi_private_key_path=key_file,
        kalshi_rate_limit_per_s=0,
    )
    caplog.set_level(logging.DEBUG)
    async with KalshiClient.from_settings(
        settings, transport=httpx.MockTransport(handler), sleep=no_sleep
    ) as c:
        listing = await c.get_markets(status="open")
        assert KEY_ID not in repr(c)
    assert listing.stats.retries == 1
    assert len(seen) == 2
    for req in seen:
        _verify(private_key.public_key(), req.headers, "GET", "/trade-api/v2/markets")
    # everything logged (plain and as the JSON lines the workbench writes) is free of key material
    formatter = JsonFormatter()
    text = "\n".join(r.getMessage() + formatter.format(r) for r in caplog.records)
    assert caplog.records  # the retry was logged
    signature = seen[0].headers["KALSHI-ACCESS-SIGNATURE"]
    body = b"".join(pem.splitlines()[1:-1]).decode()
    for secret in (KEY_ID, signature, body[:40], body[-40:], "PRIVATE KEY"):
        assert secret not in text


def test_inline_key_with_escaped_newlines(pem: bytes) -> None:
    inline = pem.decode().replace("\n", "\\n")
    s = Settings(kalshi_api_key_id=KEY_ID, kalshi_private_key=inline)
    signer = RequestSigner.from_settings(s)
    assert signer is not None
    assert "KALSHI-ACCESS-SIGNATURE" in signer.headers("GET", "/trade-api/v2/markets")


def test_half_configured_auth_is_a_clear_error(tmp_path: Path) -> None:
    assert RequestSigner.from_settings(Settings()) is None
    with pytest.raises(KalshiAuthError, match="no private key"):
        RequestSigner.from_settings(Settings(kalshi_api_key_id=KEY_ID))
    with pytest.raises(KalshiAuthError, match="KALSHI_API_KEY_ID is not"):
        RequestSigner.from_settings(Settings(kalshi_private_key="x"))
    with pytest.raises(KalshiAuthError, match="cannot read KALSHI_PRIVATE_KEY_PATH"):
        RequestSigner.from_settings(
            Settings(kalshi_api_key_id=KEY_ID, kalshi_private_key_path=tmp_path / "missing.pem")
        )
    secret_garbage = (
        "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n-----END RSA PRIVATE KEY-----"
    )
    with pytest.raises(KalshiAuthError) as info:
        RequestSigner.from_settings(
            Settings(kalshi_api_key_id=KEY_ID, kalshi_private_key=secret_garbage)
        )
    assert "c2VjcmV0LWJ5dGVz" not in str(info.value)
