"""Masks for text the pipeline writes about its data (脱敏): check samples in Dagster's run storage, error
messages in the ingest summary. Auditors see where a value failed, never a whole ID or phone number:
`archives_domain.pii.masking` keeps an ID's region and last four, a phone's first three and last four.
"""
from __future__ import annotations

import re
import unicodedata

from archives_domain.pii.masking import mask_id, mask_phone

# (\d also matches full-width digits); not inside a longer run of letters or digits
_ID = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXxＸｘ]|\d{15})(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<![0-9A-Za-z])(?:1\d{10}|0\d{2,3}-\d{7,8})(?![0-9A-Za-z])")
_SPACES = re.compile(r"[\s\u3000]+")
PII_COLUMNS = {"公民身份号码": mask_id, "联系电话": mask_phone}


def redact(text: str) -> str:
    """`text` with every ID-like (15/18 digits) and phone-like number masked."""
    text = _ID.sub(lambda m: mask_id(m.group(0)), text)
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)


def mask_cell(column: str | None, value) -> str | None:
    """A failing cell as a check sample shows it: an ID or phone column's value masked whatever its form
    (spaces and full width removed first), any other value with `redact`."""
    if value is None:
        return None
    text = str(value)
    if column in PII_COLUMNS:
        return PII_COLUMNS[column](_SPACES.sub("", unicodedata.normalize("NFKC", text)))
    return redact(text)
