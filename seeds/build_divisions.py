"""Generate ``seeds/data/divisions.csv``: Guizhou's divisions (GB/T 2260).

Source: python-stdnum's ``stdnum/cn/loc.dat`` (taken from the Chinese
Wikipedia lists of division codes), section ``52 province="贵州省"``, read
through ``importlib.resources``. Standard library only.

    python seeds/build_divisions.py            # rewrite the CSV
    python seeds/build_divisions.py --check    # exit 1 if the CSV is stale

What the generator does with loc.dat:

* Every code of the 52 section becomes one row, current and historical codes
  alike (``520000`` is the province, ``52xx00`` the prefectures, the rest
  county-level units, including the ``52xx01 市辖区`` placeholders).
* A name may carry its validity as ``[from-to]``, ``[-to]`` or ``[from-]``
  (years, both ends inclusive; a missing end is open). ``valid_from`` is the
  earliest start over all the names of the code (empty if any name has an
  open start) and ``valid_to`` the latest end (empty = still valid).
* Where a code had several names over time (e.g. ``520201``:
  ``[-1986]水城特区,[1987-]钟山区``) the row keeps the most recent name (the
  one with the latest end, then the latest start) in ``name``; the earlier
  names are kept, in loc.dat's own ``[from-to]name`` notation and joined by
  ``;``, in the extra column ``former_names`` so that a lookup by year can
  still answer the name in force then. ``former_names`` is not a column of the
  ``division`` table; the loader ignores it.
* ``level`` is 省级 / 地级 / 县级 by the shape of the code; ``parent_code`` is
  the ``52xx00`` prefecture of a county (the province for a prefecture);
  ``prefecture`` is that prefecture's (most recent) name, and a prefecture's
  own name on its own row.
"""
from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from importlib import resources
from pathlib import Path

PROVINCE = "52"
OUT = Path(__file__).resolve().parent / "data" / "divisions.csv"
COLUMNS = ["code", "name", "province", "prefecture", "level", "parent_code",
           "valid_from", "valid_to", "former_names"]

_LINE = re.compile(r'^(\s*)(\d+)\s+(\w+)="(.*)"\s*$')
_ENTRY = re.compile(r"^\[(\d*)-(\d*)\](.+)$")


def read_loc_dat() -> str:
    return resources.files("stdnum.cn").joinpath("loc.dat").read_text(encoding="utf-8")


def parse_section(text: str, province: str = PROVINCE) -> dict[str, list[tuple[int | None, int | None, str]]]:
    """{6-digit code: [(from, to, name), ...]} for one province of loc.dat."""
    codes: dict[str, list[tuple[int | None, int | None, str]]] = {}
    inside = False
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if not m:
            continue
        indent, number, _kind, value = m.groups()
        if not indent:
            inside = number == province
            continue
        if not inside:
            continue
        entries = []
        for part in value.split(","):
            part = part.strip()
            e = _ENTRY.match(part)
            if e:
                start, end, name = e.groups()
                entries.append((int(start) if start else None, int(end) if end else None, name.strip()))
            else:
                entries.append((None, None, part))
        codes[province + number] = entries
    return codes


def _fmt(start: int | None, end: int | None, name: str) -> str:
    if start is None and end is None:
        return name
    return f"[{start or ''}-{end or ''}]{name}"


def build_rows(codes: dict[str, list[tuple[int | None, int | None, str]]]) -> list[dict[str, str]]:
    inf = float("inf")

    def recency(entry):
        start, end, _ = entry
        return (inf if end is None else end, -inf if start is None else start)

    current: dict[str, str] = {}
    info = {}
    for code, entries in codes.items():
        latest = max(entries, key=recency)
        starts = [s for s, _, _ in entries]
        ends = [e for _, e, _ in entries]
        valid_from = None if None in starts else min(starts)
        valid_to = None if None in ends else max(ends)
        former = [_fmt(*e) for e in entries if e is not latest]
        current[code] = latest[2]
        info[code] = (latest[2], valid_from, valid_to, former)

    province_code = PROVINCE + "0000"
    province_name = current.get(province_code, "")
    rows = []
    for code in sorted(codes):
        name, valid_from, valid_to, former = info[code]
        if code == province_code:
            level, parent, prefecture = "省级", "", ""
        elif code.endswith("00"):
            level, parent, prefecture = "地级", province_code, name
        else:
            level = "县级"
            parent = code[:4] + "00"
            if parent not in current:
                parent = province_code
            prefecture = current.get(parent, "") if parent != province_code else ""
        rows.append({
            "code": code, "name": name, "province": province_name, "prefecture": prefecture,
            "level": level, "parent_code": parent,
            "valid_from": "" if valid_from is None else str(valid_from),
            "valid_to": "" if valid_to is None else str(valid_to),
            "former_names": ";".join(former),
        })
    return rows


def render(rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the CSV is current")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    content = render(build_rows(parse_section(read_loc_dat())))
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == content
        print(f"{args.out}: {'up to date' if same else 'STALE'}")
        return 0 if same else 1
    args.out.write_text(content, encoding="utf-8")
    print(f"wrote {args.out} ({content.count(chr(10)) - 1} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
