"""TOTP second factor (动态口令, RFC 6238 via pyotp): secrets, codes, QR code, policy.

The secret is stored SM4-encrypted through the PII codec (kind `text`) in
`ab_user.totp_secret_enc`; `ab_user.totp_last_step` records the last time step
accepted, so a code is never accepted twice. Codes of the previous, current
and next 30-second step are accepted (clock drift of a phone).
"""
from __future__ import annotations

import base64
import hmac
import io
import time

import pyotp
import qrcode
from flask import current_app

from archives_domain.accounts import grants

ISSUER = "贵州省流动人员人事档案管理系统"
WINDOW = (0, -1, 1)


def _codec():
    return current_app.extensions["archives_codec"]


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits


def encrypt(secret: str) -> str:
    return _codec().encrypt("text", secret)


def secret_of(user) -> str | None:
    return _codec().decrypt("text", user.totp_secret_enc) if user.totp_secret_enc else None


def matching_step(secret: str | None, code: str | None, now: float | None = None) -> int | None:
    """The time step whose code equals `code` within the window, or None."""
    code = (code or "").strip().replace(" ", "")
    if not secret or len(code) != 6 or not code.isdigit():
        return None
    otp = pyotp.TOTP(secret)
    base = otp.timecode(now if now is not None else time.time())
    for offset in WINDOW:
        if hmac.compare_digest(otp.generate_otp(base + offset), code):
            return base + offset
    return None


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The QR code as an inline PNG (CSP img-src allows `data:`); drawn on the server, nothing leaves it."""
    img = qrcode.make(uri, box_size=6, border=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def grouped(secret: str) -> str:
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def required(session, user) -> bool:
    return grants.totp_required_for(session, current_app.config["ARCHIVES_SEAL_KEY"], user.id)
