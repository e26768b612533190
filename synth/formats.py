"""Per-agency landing-file plan: file format, batches, column layout.

Pure functions of (agency code, seed); nothing here touches the disk.

* ``plan_formats(agency_codes, seed)`` → ``{agency: (fmt, batches)}``: which
  of the four landing formats each agency hands in, and whether it hands in
  one batch (``2020-12``) or two (``2020-12`` then ``2021-06``, a later batch
  of corrections and late additions).
* ``source_file(agency, batch, fmt, sheet)`` → the path under the landing
  folder (POSIX separators) that ``synth.writers`` writes and the truth files
  name.
* ``header_layout(agency, sheet, headers, seed)`` → the columns of a sheet in
  the order and spelling the agency's template uses: for some agencies the
  columns come in a shuffled order, for some a few headers carry stray
  half- or full-width spaces (the contract matches headers after trimming).
"""
from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence

import numpy as np

FORMATS = ("xlsx", "csv-utf8", "csv-utf8-bom", "csv-gb18030")
#: Share of agencies per format (quotas, so the mix is exact up to rounding).
DEFAULT_FORMAT_MIX = {"xlsx": 0.40, "csv-utf8": 0.25, "csv-utf8-bom": 0.15, "csv-gb18030": 0.20}
BATCH_FIRST = "2020-12"
BATCH_SECOND = "2021-06"
DEFAULT_TWO_BATCH_SHARE = 0.15
#: Share of agencies whose template has the columns in another order / noisy headers.
SHUFFLED_COLUMNS_SHARE = 0.30
NOISY_HEADERS_SHARE = 0.25
_HEADER_PADS = (" ", "  ", "\u3000", " \u3000")

Plan = dict[str, tuple[str, tuple[str, ...]]]
#: The text encoding of each format (None: xlsx, UTF-8 XML inside the zip).
ENCODINGS = {"xlsx": None, "csv-utf8": "utf-8", "csv-utf8-bom": "utf-8-sig", "csv-gb18030": "gb18030"}


def _key(*parts: object) -> int:
    """A stable 32-bit number for seeding (never Python's salted hash())."""
    return zlib.crc32("\x1f".join(str(p) for p in parts).encode("utf-8"))


def plan_formats(agency_codes: Iterable[str], seed: int, *,
                 mix: dict[str, float] | None = None,
                 two_batch_share: float = DEFAULT_TWO_BATCH_SHARE) -> Plan:
    """{agency: (fmt, batches)} for every agency code (deterministic in `seed`).

    Formats are given out by quota over the agencies in a seeded random
    order (40 % xlsx, 25 % csv-utf8, 15 % csv-utf8-bom, 20 % csv-gb18030 by
    default); ``round(two_batch_share · n)`` agencies get two batches.
    """
    codes = sorted(set(agency_codes))
    mix = dict(DEFAULT_FORMAT_MIX if mix is None else mix)
    unknown = set(mix) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown formats: {sorted(unknown)}")
    n = len(codes)
    rng = np.random.default_rng([seed, 0x5F0F])
    order = rng.permutation(n)
    total = sum(mix.values()) or 1.0
    # largest-remainder quotas
    raw = {f: mix[f] / total * n for f in FORMATS if f in mix}
    counts = {f: int(np.floor(v)) for f, v in raw.items()}
    rest = n - sum(counts.values())
    for f in sorted(raw, key=lambda f: (-(raw[f] - counts[f]), FORMATS.index(f)))[:rest]:
        counts[f] += 1
    fmts: list[str] = []
    for f in FORMATS:
        fmts += [f] * counts.get(f, 0)
    two = set(rng.permutation(n)[: int(round(two_batch_share * n))].tolist())
    plan: Plan = {}
    for rank, i in enumerate(order):
        batches = (BATCH_FIRST, BATCH_SECOND) if rank in two else (BATCH_FIRST,)
        plan[codes[i]] = (fmts[rank], batches)
    return dict(sorted(plan.items()))


def source_file(agency_code: str, batch: str, fmt: str, sheet: str) -> str:
    """Path under the landing folder of the file holding `sheet` of a batch."""
    if fmt == "xlsx":
        return f"{agency_code}/{batch}.xlsx"
    if fmt in FORMATS:
        return f"{agency_code}/{batch}.{sheet}.csv"
    raise ValueError(f"unknown format {fmt!r}")


def header_layout(agency_code: str, sheet: str, headers: Sequence[str], seed: int = 0,
                  *, shuffle: bool | None = None, noisy: bool | None = None) -> list[tuple[str, str]]:
    """[(canonical header, header as written)] in the agency's column order.

    Same for every batch of an agency (an office keeps its template).
    `shuffle` / `noisy` force the choice; by default about 30 % of agencies
    shuffle their columns and 25 % have stray spaces around 1–3 headers.
    """
    rng = np.random.default_rng([seed, _key(agency_code), 0x1A])
    draw_shuffle, draw_noisy = rng.random(2)
    shuffle = bool(draw_shuffle < SHUFFLED_COLUMNS_SHARE) if shuffle is None else shuffle
    noisy = bool(draw_noisy < NOISY_HEADERS_SHARE) if noisy is None else noisy
    srng = np.random.default_rng([seed, _key(agency_code, sheet), 0x1B])
    cols = list(headers)
    if shuffle:
        cols = [cols[i] for i in srng.permutation(len(cols))]
    written = list(cols)
    if noisy and cols:
        k = int(srng.integers(1, min(3, len(cols)) + 1))
        for i in sorted(srng.choice(len(cols), size=k, replace=False).tolist()):
            pad = _HEADER_PADS[int(srng.integers(len(_HEADER_PADS)))]
            where = int(srng.integers(3))
            written[i] = (pad + cols[i]) if where == 0 else (cols[i] + pad) if where == 1 else (pad + cols[i] + pad)
    return list(zip(cols, written))


def layout_summary(agency_code: str, headers_by_sheet: dict[str, Sequence[str]], seed: int = 0) -> dict[str, bool]:
    """{'columns_shuffled': …, 'headers_noisy': …} of an agency's template (for the manifest)."""
    shuffled = noisy = False
    for sheet, headers in headers_by_sheet.items():
        layout = header_layout(agency_code, sheet, headers, seed)
        shuffled |= [c for c, _ in layout] != list(headers)
        noisy |= any(c != w for c, w in layout)
    return {"columns_shuffled": shuffled, "headers_noisy": noisy}
