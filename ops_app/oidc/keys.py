"""The provider's signing key (RS256, in the key folder beside the PII key file) and its JWKS.

RS256, not SM2: Superset's OpenID client (Authlib) verifies RSA/EC signatures only. The key is made once
(0600, created exclusively so that two workers starting together keep one key) and read on every use.
"""
from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_NAME = "oidc-signing.pem"
ALG = "RS256"


def key_path(settings) -> Path:
    return Path(settings.pii_key_file).parent / KEY_NAME


def load_or_create(path: Path) -> bytes:
    """The PEM of the private key; made on first use."""
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_bytes()  # another worker made it first
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
    return path.read_bytes()


def _b64(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(pem: bytes) -> dict:
    """The public key as a JWK, its `kid` the SHA-256 of the modulus (changes with the key)."""
    numbers = serialization.load_pem_private_key(pem, password=None).public_key().public_numbers()
    kid = hashlib.sha256(numbers.n.to_bytes(256, "big")).hexdigest()[:16]
    return {"kty": "RSA", "use": "sig", "alg": ALG, "kid": kid, "n": _b64(numbers.n), "e": _b64(numbers.e)}
