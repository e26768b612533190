"""证明的电子签名: SM2 (GB/T 32918) with SM3, one key per 存档机构, checkable with standard tools.

* A signature is SM2-with-SM3 over the certificate's content snapshot (canonical JSON, UTF-8) with the
  distinguishing ID `1234567812345678` (GB/T 35276's default), DER-encoded — exactly what OpenSSL 3
  verifies: `openssl dgst -sm3 -verify pub.pem -sigopt distid:1234567812345678 -signature sig.der content`.
* The public key is published as PEM SubjectPublicKeyInfo (id-ecPublicKey, curve SM2 1.2.156.10197.1.301).
* The private key lives only as an SM4-GCM token of the PII codec (`agency_signing_key.private_key_enc`,
  marked `pii: text`, so key rotation re-encrypts it); it is made on an agency's first certificate.

The arithmetic is gmssl's (pure Python; pinned in requirements/main.txt); DER via pycryptodomex's asn1.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import secrets

from Cryptodome.Util.asn1 import DerBitString, DerObjectId, DerSequence
from gmssl import sm2
from sqlalchemy import select

from ..models import AgencySigningKey
from .base import Context

DIST_ID = "1234567812345678"  # what gmssl's Z computation uses, and OpenSSL's distid for the check
OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
OID_SM2 = "1.2.156.10197.1.301"
_CURVE = sm2.default_ecc_table
_N = int(_CURVE["n"], 16)


def sm3_hex(data: bytes) -> str:
    """SM3 digest (hex) through OpenSSL's implementation (hashlib), as the PII codec's blind index does."""
    return hashlib.new("sm3", data).hexdigest()


def new_keypair() -> tuple[str, str]:
    """(private key d as 64 hex, public key x‖y as 128 hex)."""
    d = secrets.randbelow(_N - 2) + 1
    d_hex = f"{d:064x}"
    pub = sm2.CryptSM2(private_key=d_hex, public_key="")._kg(d, _CURVE["g"])
    return d_hex, pub


def key_id_of(public_hex: str) -> str:
    return sm3_hex(bytes.fromhex(public_hex))[:16]


def sign(private_hex: str, public_hex: str, message: bytes) -> str:
    """SM2-with-SM3 signature of `message` (Z computed with DIST_ID), DER as hex."""
    crypt = sm2.CryptSM2(private_key=private_hex, public_key=public_hex, asn1=True)
    for _ in range(8):  # gmssl answers None for the (astronomically rare) r = 0 / s = 0 nonces: draw again
        sig = crypt.sign_with_sm3(message, secrets.token_hex(32))
        if sig:
            return sig
    raise RuntimeError("SM2 signing failed")


def verify(public_hex: str, message: bytes, signature_hex: str | None) -> bool:
    if not signature_hex or not public_hex:
        return False
    try:
        crypt = sm2.CryptSM2(private_key=None, public_key=public_hex, asn1=True)
        return bool(crypt.verify_with_sm3(signature_hex, message))
    except (ValueError, TypeError, IndexError, binascii.Error):
        return False


def public_key_der(public_hex: str) -> bytes:
    algorithm = DerSequence([DerObjectId(OID_EC_PUBLIC_KEY), DerObjectId(OID_SM2)])
    return DerSequence([algorithm, DerBitString(b"\x04" + bytes.fromhex(public_hex))]).encode()


def public_key_pem(public_hex: str) -> str:
    body = base64.encodebytes(public_key_der(public_hex)).decode().replace("\n", "")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


def fingerprint(signature_hex: str | None) -> str:
    """The short fingerprint printed on a certificate: SM3 of the signature, 16 hex in groups of four."""
    if not signature_hex:
        return ""
    h = sm3_hex(bytes.fromhex(signature_hex))[:16].upper()
    return " ".join(h[i:i + 4] for i in range(0, 16, 4))


# -- the agency's key ----------------------------------------------------------------------------------------
def agency_key(ctx: Context, agency_code: str) -> AgencySigningKey:
    """The agency's current signing key, made (and its private key sealed by the codec) on first use, inside
    the caller's transaction."""
    row = ctx.session.scalar(select(AgencySigningKey).where(AgencySigningKey.agency_code == agency_code,
                                                            AgencySigningKey.active.is_(True))
                             .order_by(AgencySigningKey.id.desc()).limit(1))
    if row is not None:
        return row
    d_hex, pub = new_keypair()
    row = AgencySigningKey(agency_code=agency_code, key_id=key_id_of(pub), public_key=pub,
                           private_key_enc=ctx.codec.encrypt("text", d_hex), active=True,
                           created_by=ctx.actor.username, updated_by=ctx.actor.username)
    ctx.session.add(row)
    ctx.session.flush()
    return row


def sign_with(ctx: Context, key: AgencySigningKey, message: bytes) -> str:
    return sign(ctx.codec.decrypt("text", key.private_key_enc), key.public_key, message)


def public_key_of(session, key_id: str | None) -> str | None:
    if not key_id:
        return None
    return session.scalar(select(AgencySigningKey.public_key).where(AgencySigningKey.key_id == key_id))
