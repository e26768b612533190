"""The one codec for personal data (个人敏感信息编解码).

Stored form of an ID or phone number, two columns per value:
  `<name>_enc`  `SM4G1.<kid>.<base64url(nonce ‖ ciphertext ‖ tag)>` — SM4-GCM,
                a fresh 96-bit nonce each time, the value's kind as associated
                data (a token moved into a column of another kind fails);
  `<name>_bidx` HMAC-SM3 over the normalised value under the index key, hex —
                equal values give equal digests, so exact lookups and
                一人多档 checks work without decrypting.
Columns are declared with `info={"pii": kind}` on the `_enc` column; code that
walks the schema (key rotation, the plaintext scan test) finds them by that.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .keyring import Keyring
from .masking import mask_value

PREFIX = "SM4G1"
NONCE_BYTES = 12
TAG_BYTES = 16
KINDS = ("id_number", "phone", "text")
_SPACES = re.compile(r"[\s\u3000]+")


class PiiError(RuntimeError):
    """A value could not be encrypted or decrypted."""


class PiiKeyError(PiiError):
    """The key file does not fit the data: unknown key id or wrong key."""


def normalize(kind: str, value: str) -> str:
    """The form that is encrypted and indexed: no spaces; ID letters upper-case.

    `text` (free text such as review candidates) is kept as it is."""
    if kind not in KINDS:
        raise PiiError(f"未知的敏感字段类型：{kind}")
    if kind == "text":
        return value
    value = _SPACES.sub("", value)
    return value.upper() if kind == "id_number" else value


class PiiCodec:
    def __init__(self, keyring: Keyring):
        self.keyring = keyring

    # -- values -----------------------------------------------------------
    def encrypt(self, kind: str, value: str | None) -> str | None:
        return self.encrypt_many(kind, [value])[0]

    def encrypt_many(self, kind: str, values) -> list[str | None]:
        """SM4-GCM tokens of a column of values (None for empty): the key schedule and the fresh nonces drawn
        once for the column (the loader seals 1.9 M values)."""
        values = list(values)
        kid = self.keyring.active
        algorithm = algorithms.SM4(self.keyring.key(kid))
        aad = kind.encode()
        nonces = os.urandom(NONCE_BYTES * len(values))
        prefix = f"{PREFIX}.{kid}."
        out: list[str | None] = []
        for i, value in enumerate(values):
            if value is None or value == "":
                out.append(None)
                continue
            nonce = nonces[i * NONCE_BYTES:(i + 1) * NONCE_BYTES]
            enc = Cipher(algorithm, modes.GCM(nonce)).encryptor()
            enc.authenticate_additional_data(aad)
            body = enc.update(normalize(kind, value).encode("utf-8")) + enc.finalize()
            out.append(prefix + base64.urlsafe_b64encode(nonce + body + enc.tag).decode().rstrip("="))
        return out

    def decrypt(self, kind: str, token: str | None) -> str | None:
        if token is None or token == "":
            return None
        kid, blob = self._split(token)
        try:
            key = self.keyring.key(kid)
        except KeyError:
            raise PiiKeyError(f"密文使用的密钥 {kid} 不在密钥文件中；请检查 ARCHIVES_PII_KEY_FILE") from None
        raw = base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4))
        nonce, body, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
        dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
        dec.authenticate_additional_data(kind.encode())
        try:
            return (dec.update(body) + dec.finalize()).decode("utf-8")
        except InvalidTag:
            raise PiiKeyError(f"无法解密（密钥 {kid} 与数据不符，或密文被篡改）") from None

    def blind_index(self, kind: str, value: str | None) -> str | None:
        return self.blind_index_many(kind, [value])[0]

    def blind_index_many(self, kind: str, values) -> list[str | None]:
        """HMAC-SM3 blind indexes of a column of values (None for empty): the keyed state prepared once."""
        base = hmac.new(self.keyring.index_key, kind.encode() + b"\x1f", "sm3")
        out: list[str | None] = []
        for value in values:
            if value is None or value == "":
                out.append(None)
                continue
            h = base.copy()
            h.update(normalize(kind, value).encode("utf-8"))
            out.append(h.hexdigest())
        return out

    def seal(self, kind: str, value: str | None) -> tuple[str | None, str | None]:
        return self.encrypt(kind, value), self.blind_index(kind, value)

    def needs_reencrypt(self, token: str | None) -> bool:
        return bool(token) and self._split(token)[0] != self.keyring.active

    def reencrypt(self, kind: str, token: str) -> str:
        return self.encrypt(kind, self.decrypt(kind, token))

    @staticmethod
    def key_id(token: str) -> str:
        return PiiCodec._split(token)[0]

    @staticmethod
    def _split(token: str) -> tuple[str, str]:
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != PREFIX:
            raise PiiError("不是本系统的密文格式")
        return parts[1], parts[2]

    # -- mapped objects ---------------------------------------------------
    @staticmethod
    def kind_of(obj_or_cls: Any, name: str) -> str:
        cls = obj_or_cls if isinstance(obj_or_cls, type) else type(obj_or_cls)
        try:
            return cls.__table__.c[f"{name}_enc"].info["pii"]
        except KeyError:
            raise PiiError(f"{cls.__name__}.{name} 不是敏感字段") from None

    def set(self, obj: Any, name: str, value: str | None) -> None:
        """Write a PII attribute: sets `<name>_enc` and `<name>_bidx` together."""
        token, digest = self.seal(self.kind_of(obj, name), value)
        setattr(obj, f"{name}_enc", token)
        setattr(obj, f"{name}_bidx", digest)

    def get(self, obj: Any, name: str) -> str | None:
        return self.decrypt(self.kind_of(obj, name), getattr(obj, f"{name}_enc"))

    def display(self, obj: Any, name: str, *, full: bool) -> str | None:
        """The value as a user may see it: whole only with the explicit permission."""
        kind = self.kind_of(obj, name)
        value = self.decrypt(kind, getattr(obj, f"{name}_enc"))
        return value if full else mask_value(kind, value)

    def lookup(self, cls: Any, name: str, value: str):
        """A where-clause for an exact match on a PII attribute."""
        return getattr(cls, f"{name}_bidx") == self.blind_index(self.kind_of(cls, name), value)

    def fingerprint(self, kid: str) -> str:
        """A check value of a key, stored in the database to detect a wrong key file."""
        key = self.keyring.index_key if kid == "index" else self.keyring.key(kid)
        return hmac.new(key, b"gz-archives pii key check", "sm3").hexdigest()[:32]
