"""Optional request signing with a Kalshi API key (RSA-PSS, SHA-256).

Kalshi authenticates a request by three headers: `KALSHI-ACCESS-KEY` (the key id),
`KALSHI-ACCESS-TIMESTAMP` (milliseconds) and `KALSHI-ACCESS-SIGNATURE`, the base64 RSA-PSS
signature (MGF1-SHA256, salt length = digest length) of `timestamp_ms + METHOD + path`, where the
path includes `/trade-api/v2` and excludes the query string. The market-data endpoints are public;
signing only matters for higher tiers' budgets and private endpoints.

Key material never leaves this module in a printable form: the signer's repr shows nothing of the
key, errors name the problem but not the content, and the client never logs headers.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kalshi_core.kalshi.errors import KalshiAuthError

if TYPE_CHECKING:
    from kalshi_core.settings import Settings

_ENDPOINT = "auth"


class RequestSigner:
    """Signs requests for one API key."""

    __slots__ = ("_key", "_key_id")

    def __init__(self, key_id: str, private_key: rsa.RSAPrivateKey) -> None:
        if not key_id:
            raise KalshiAuthError(_ENDPOINT, "API key id is empty")
        self._key_id = key_id
        self._key = private_key

    def __repr__(self) -> str:
        return "RequestSigner(key_id=***)"

    @classmethod
    def from_pem(cls, key_id: str, pem: bytes) -> RequestSigner:
        """Load an unencrypted PEM private key (PKCS#1 or PKCS#8), as Kalshi issues them."""
        # Keys pasted into environment variables often carry literal "\n" sequences.
        if b"\\n" in pem and b"\n" not in pem.strip():
            pem = pem.replace(b"\\n", b"\n")
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            # The exception text could quote the input; say what is wrong, not what it was.
            raise KalshiAuthError(
                _ENDPOINT, "private key is not an unencrypted PEM RSA private key"
            ) from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise KalshiAuthError(_ENDPOINT, "private key is not an RSA key")
        return cls(key_id, key)

    @classmethod
    def from_settings(cls, settings: Settings) -> RequestSigner | None:
        """A signer when settings carry a key id and a private key (inline or a PEM path);
        None when neither is set; a clear error when only one half is configured."""
        key_id = settings.kalshi_api_key_id
        inline = settings.kalshi_private_key
        path = settings.kalshi_private_key_path
        has_key = inline is not None or path is not None
        if not key_id and not has_key:
            return None
        if not key_id:
            raise KalshiAuthError(
                _ENDPOINT,
                "a private key is configured but KALSHI_API_KEY_ID is not; set both or neither",
            )
        if not has_key:
            raise KalshiAuthError(
                _ENDPOINT,
                "KALSHI_API_KEY_ID is set but no private key is "
                "(KALSHI_PRIVATE_KEY_PATH or KALSHI_PRIVATE_KEY); set both or neither",
            )
        if inline is not None:
            pem = inline.get_secret_value().encode()
        else:
            assert path is not None
            try:
                pem = Path(path).expanduser().read_bytes()
            except OSError as exc:
                raise KalshiAuthError(
                    _ENDPOINT, f"cannot read KALSHI_PRIVATE_KEY_PATH {path}: {exc.strerror}"
                ) from None
        return cls.from_pem(key_id, pem)

    def sign(self, message: bytes) -> str:
        signature = self._key.sign(
            message,
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH),
            hashes.SHA256(),
        )
        return base64.b64encode(signature).decode("ascii")

    def headers(self, method: str, path: str, timestamp_ms: int | None = None) -> dict[str, str]:
        """The three auth headers for a request to `path` (query string is stripped)."""
        ts = str(int(time.time() * 1000) if timestamp_ms is None else timestamp_ms)
        bare_path = path.split("?", 1)[0]
        return {
            "KALSHI-ACCESS-KEY": self._key_id,
            "KALSHI-ACCESS-TIMESTAMP": ts,
            "KALSHI-ACCESS-SIGNATURE": self.sign(f"{ts}{method.upper()}{bare_path}".encode()),
        }
