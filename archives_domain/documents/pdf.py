"""The one PDF mechanism: a Jinja2 HTML template of `documents/templates/` → WeasyPrint → PDF bytes.

Every fixed-template document is an HTML file extending `_page.html` (A4, margins, the CJK font, a
footer with the document number), filled by a context dict and laid out by WeasyPrint (pango + harfbuzz,
fonts subset and embedded), Chinese in Noto Serif/Sans CJK SC from Debian's `fonts-noto-cjk`. Templates
autoescape. Images (QR codes, barcodes) go in as `data:` URIs (`png_data_uri`); nothing is fetched from the
network (the URL fetcher refuses everything but data URIs), so a template cannot leak or hang.

Nothing here knows Flask; the app sends the bytes (`ops_app.business_ui.send_pdf`), the portal API will too.
WeasyPrint is imported on first use (its import costs ~0.5 s), and the HTML→PDF font setup is kept per
process (`FontConfiguration`), which is what makes the second document fast.
"""
from __future__ import annotations

import base64
import functools
import io
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).with_name("templates")


class DocumentError(RuntimeError):
    """A document cannot be made (template or layout failure); the message says which document."""


@functools.lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["cn_date"] = cn_date
    env.filters["blank"] = lambda v, width=8: v if v not in (None, "") else "\u3000" * width
    return env


@functools.lru_cache(maxsize=1)
def _fonts():
    from weasyprint.text.fonts import FontConfiguration
    return FontConfiguration()


def _fetcher():
    """Only `data:` URIs are loaded, and any other reference stops the document: a template never reaches the
    network or the disk."""
    from weasyprint.urls import URLFetcher
    return URLFetcher(allowed_protocols=("data",), fail_on_errors=True)


def render_html(template, context: dict[str, Any]) -> str:
    """`template`: a file name of documents/templates, or a Template made by `from_string` (tests)."""
    t = template if hasattr(template, "render") else _env().get_template(template)
    return t.render(**context)


def from_string(source: str):
    return _env().from_string(source)


def render_pdf(template, context: dict[str, Any], *, title: str | None = None) -> bytes:
    """PDF bytes of `template` (a file of documents/templates) filled with `context`."""
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError
    html = render_html(template, {"doc_title": title or "", **context})
    name = title or getattr(template, "name", None) or "文书"
    try:
        doc = HTML(string=html, base_url=str(TEMPLATES), url_fetcher=_fetcher())
        return doc.write_pdf(font_config=_fonts())
    except FatalURLFetchingError as exc:
        raise DocumentError(f"文书“{name}”的模板引用了外部资源：{exc}") from None
    except Exception as exc:  # a layout failure must name the document, not show a traceback
        raise DocumentError(f"无法生成文书“{name}”：{exc}") from exc


def cn_date(value) -> str:
    """2026-12-07 → 2026年12月7日 (the way printed forms write dates); empty stays empty."""
    if not value:
        return ""
    return f"{value.year}年{value.month}月{value.day}日"


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def qr_png(text: str, *, box: int = 6, border: int = 2) -> bytes:
    """A QR code (error correction M) as PNG bytes, for a document or a page."""
    import qrcode
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box, border=border)
    qr.add_data(text)
    qr.make(fit=True)
    buf = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(buf, format="PNG")
    return buf.getvalue()
