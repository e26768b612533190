"""Rich text (通知公告 正文) sanitised with nh3: basic formatting only.

Kept: paragraphs, line breaks, bold/italic/underline/strike, headings h3–h5,
lists, block quotes, simple tables and links (http/https/mailto only; they
get rel="noopener noreferrer"). Removed: script/style elements with their
content, every event-handler attribute (on*), style attributes,
javascript:/data: URLs, iframes, forms, images. Done when the text is saved,
so that what the database holds is already safe; the templates still escape
everything except this one sanitised field.
"""
from __future__ import annotations

import html as _html

import nh3

TAGS = {"p", "br", "b", "strong", "i", "em", "u", "s", "h3", "h4", "h5", "ul", "ol", "li", "blockquote",
        "table", "thead", "tbody", "tr", "th", "td", "a", "span", "div", "hr"}
ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
URL_SCHEMES = {"http", "https", "mailto"}
MAX_LENGTH = 60000


def sanitize_html(html: str | None) -> str:
    return nh3.clean((html or "")[:MAX_LENGTH], tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                     clean_content_tags={"script", "style"}, link_rel="noopener noreferrer",
                     strip_comments=True).strip()


def plain_text(html: str | None) -> str:
    """The text alone (for summaries and the audit log)."""
    return _html.unescape(nh3.clean(html or "", tags=set(), clean_content_tags={"script", "style"})).strip()
