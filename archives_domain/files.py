"""图片上传: images attached to a business record, stored under the var dir and listed in `attachment`.

* Only images: JPEG, PNG or TIFF, recognised from the content by Pillow (the name and the
  browser's Content-Type are not trusted), at most `MAX_BYTES` and `MAX_PIXELS`.
* The file is stored as `attachments/<agency>/<yyyy>/<random>.<ext>` under `ARCHIVES_VAR_DIR`
  (the user's file name never becomes a path); written to a temporary file, then renamed.
* The original name is kept for display only, sanitised (`clean_filename`): no directories,
  control characters or characters reserved on Windows, at most 100 characters.
* `sm3` (hex) proves the stored bytes unchanged.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

def N_(text: str) -> str:  # marks a msgid for the app's catalogue (ops_app translates it)
    return text

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "TIFF": ("image/tiff", "tif")}
_RESERVED = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


class UploadError(ValueError):
    """The file is refused; the message (Chinese msgid, translated by the view) is for the user."""


@dataclass(frozen=True)
class Stored:
    filename: str
    content_type: str
    size_bytes: int
    sm3: str
    storage_key: str


def clean_filename(name: str | None, ext: str) -> str:
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = _RESERVED.sub("_", name).strip(" .")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = stem[:90] or "upload"
    return f"{stem}.{suffix[:9] or ext}" if suffix or ext else stem


def identify(data: bytes) -> tuple[str, str]:
    """(content type, extension) of an image Pillow recognises and can read, else UploadError."""
    from PIL import Image
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format
            if fmt not in FORMATS:
                raise UploadError(N_("只能上传 JPEG、PNG 或 TIFF 图片"))
            if img.width * img.height > MAX_PIXELS:
                raise UploadError(N_("图片像素过大"))
            img.verify()
    except UploadError:
        raise
    except Exception:
        raise UploadError(N_("文件不是可识别的图片（只能上传 JPEG、PNG 或 TIFF 图片）")) from None
    return FORMATS[fmt]


def store(var_dir: str | Path, agency_code: str, original_name: str | None, data: bytes) -> Stored:
    if not data:
        raise UploadError(N_("请选择要上传的文件"))
    if len(data) > MAX_BYTES:
        raise UploadError(N_("文件过大（不超过 5 MB）"))
    content_type, ext = identify(data)
    key = f"attachments/{agency_code}/{dt.date.today():%Y}/{secrets.token_hex(16)}.{ext}"
    path = Path(var_dir) / key
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o640)
    os.replace(tmp, path)
    return Stored(clean_filename(original_name, ext), content_type, len(data), hashlib.new("sm3", data).hexdigest(),
                  key)


def remove(var_dir: str | Path, storage_key: str) -> None:
    """Undo a store whose database row did not commit."""
    try:
        (Path(var_dir) / storage_key).unlink()
    except FileNotFoundError:
        pass
