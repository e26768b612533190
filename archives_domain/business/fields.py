"""Form fields as data: what a business form holds and how a typed value becomes a stored one.

A module declares its fields once (`FieldSpec`: column name, Chinese label, kind, choices, length); the
page renders them, the JSON API reads them, and `parse` turns the raw text into typed values. Rules of the
附件: no field is required (三.5) — an empty field is stored empty; a value that cannot be right (an
impossible date, a 身份证 with a wrong check digit, a number that is not one, a choice not offered) is refused
with the field's label in the message, and every field's error is reported at once (`FieldErrors`), so the
page can show them all and keep everything typed.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping

from .base import FieldErrors

KINDS = ("text", "textarea", "date", "int", "decimal", "bool", "choice", "id_number", "phone")


@dataclass(frozen=True)
class FieldSpec:
    name: str  # model attribute / form field name
    label: str  # Chinese label, used in messages
    kind: str = "text"
    choices: tuple[str, ...] = ()
    max_len: int | None = 255
    pii: bool = False  # stored through the PII codec (SM4 + blind index); masked in audit and lists
    help: str | None = None
    readonly: bool = False  # shown, never taken from the form

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown field kind {self.kind}")


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"), re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)
EARLIEST = dt.date(1900, 1, 1)
PHONE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|\d{7,8})$")


def parse_date(text: str, label: str) -> dt.date:
    for pat in _DATE_PATTERNS:
        m = pat.match(text)
        if m:
            y, mo, d = (int(x) for x in m.groups())
            try:
                value = dt.date(y, mo, d)
            except ValueError:
                raise ValueError(f"{label}：{text} 不是有效日期（该月没有这一天或月份不对）") from None
            if value < EARLIEST or value.year > 2100:
                raise ValueError(f"{label}：{text} 超出合理范围（1900 年至 2100 年）")
            return value
    raise ValueError(f"{label}：{text} 不是日期，请按 年-月-日 填写，如 2024-03-15")


def parse_value(spec: FieldSpec, raw: Any) -> Any:
    """The typed value of one field; ValueError with a message naming the field. Empty → None (or False)."""
    if spec.kind == "bool":
        return str(raw).strip().lower() in ("1", "true", "on", "yes", "是", "y") if raw is not None else False
    text = "" if raw is None else str(raw).strip()
    if text == "":
        return None
    label = spec.label
    if spec.kind in ("text", "textarea"):
        if spec.max_len and len(text) > spec.max_len:
            raise ValueError(f"{label}：过长（最多 {spec.max_len} 个字，现有 {len(text)} 个）")
        return text
    if spec.kind == "date":
        return parse_date(text, label)
    if spec.kind == "int":
        if not re.fullmatch(r"\d{1,9}", text):
            raise ValueError(f"{label}：{text} 不是非负整数")
        return int(text)
    if spec.kind == "decimal":
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{label}：{text} 不是数字") from None
        if not value.is_finite() or value < 0 or value >= Decimal("1e10"):
            raise ValueError(f"{label}：{text} 超出范围")
        return value
    if spec.kind == "choice":
        if spec.choices and text not in spec.choices:
            raise ValueError(f"{label}：“{text}”不是可选值（{'/'.join(spec.choices)}）")
        return text
    if spec.kind == "id_number":
        from ..identity import normalize_id, upgrade_id15, validate_id
        number = normalize_id(text)
        if len(number) == 15 and number.isdigit():
            try:
                return upgrade_id15(number)
            except Exception as exc:
                raise ValueError(f"{label}：{exc}") from None
        try:
            return validate_id(number)
        except Exception as exc:  # stdnum's verdict, without the developer's hint at the end
            raise ValueError(f"{label}：{str(exc).split('（可用 id_candidates')[0]}") from None
    if spec.kind == "phone":
        compact = re.sub(r"[\s()（）]", "", text)
        if not PHONE.match(compact):
            raise ValueError(f"{label}：{text} 不是有效的电话号码（手机 11 位，或 区号-号码）")
        return compact
    raise AssertionError(spec.kind)


def parse(specs: Iterable[FieldSpec], raw: Mapping[str, Any], *, only_present: bool = False) -> dict[str, Any]:
    """Typed values of every (non read-only) field; FieldErrors with all the bad fields at once.
    `only_present`: fields absent from `raw` are left out (a JSON API PATCH), not set empty."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in specs:
        if spec.readonly or (only_present and spec.name not in raw):
            continue
        try:
            values[spec.name] = parse_value(spec, raw.get(spec.name))
        except ValueError as exc:
            errors[spec.name] = str(exc)
    if errors:
        raise FieldErrors(errors)
    return values


def labels(specs: Iterable[FieldSpec]) -> dict[str, str]:
    return {s.name: s.label for s in specs}


def apply(row, specs: Iterable[FieldSpec], values: Mapping[str, Any], codec=None) -> None:
    """Set the parsed values on the row; PII fields through the codec (ciphertext + blind index)."""
    for spec in specs:
        if spec.name not in values:
            continue
        if spec.pii:
            codec.set(row, spec.name, values[spec.name])
        else:
            setattr(row, spec.name, values[spec.name])


def masked_values(row, specs: Iterable[FieldSpec], codec=None) -> dict[str, Any]:
    """A row's field values for the audit chain and lists: PII masked, dates as ISO text."""
    out: dict[str, Any] = {}
    for spec in specs:
        if spec.pii:
            out[spec.name] = codec.display(row, spec.name, full=False) if codec is not None else None
            continue
        v = getattr(row, spec.name, None)
        out[spec.name] = v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else (
            str(v) if isinstance(v, Decimal) else v)
    return out


def form_values(row, specs: Iterable[FieldSpec], codec=None, *, full_pii: bool = False) -> dict[str, str]:
    """A row's values as the text an edit form shows (PII in full only when the user may see it)."""
    out: dict[str, str] = {}
    for spec in specs:
        if spec.pii:
            out[spec.name] = codec.display(row, spec.name, full=full_pii) if codec is not None else ""
            continue
        v = getattr(row, spec.name, None)
        if spec.kind == "bool":
            out[spec.name] = "1" if v else ""
        else:
            out[spec.name] = "" if v is None else (v.isoformat() if isinstance(v, dt.date) else str(v))
    return out
