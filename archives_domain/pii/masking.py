"""Display masks (脱敏显示) for users without the permission to see values whole."""
from __future__ import annotations


def mask_id(value: str | None) -> str | None:
    """`520102199001011234` → `520102********1234` (region and last four kept)."""
    if not value:
        return value
    if len(value) <= 10:
        return value[:2] + "*" * max(len(value) - 2, 0)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    """Mobile `13812345678` → `138****5678`; landline `0851-12345678` → `0851-****5678`."""
    if not value:
        return value
    if "-" in value:
        area, _, number = value.partition("-")
        return f"{area}-{'*' * max(len(number) - 4, 0)}{number[-4:]}"
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str | None:
    """`张三` → `张*`, `欧阳娜娜` → `欧***`: the surname alone (public pages, another agency's record)."""
    if not value:
        return value
    return value[0] + "*" * max(len(value) - 1, 1)


MASKS = {"id_number": mask_id, "phone": mask_phone, "text": lambda v: None if v is None else "******"}


def mask_value(kind: str, value: str | None) -> str | None:
    return MASKS[kind](value)
