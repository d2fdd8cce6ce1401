"""The one path from user-written Markdown to safe HTML (the only module that imports bleach), and slugs."""
import re
import unicodedata
from functools import lru_cache

import bleach
from bleach.linkifier import Linker
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4",
        "h5", "h6", "hr", "li", "ol", "p", "pre", "strong", "table", "tbody", "td",
        "th", "thead", "tr", "ul",
    }
)
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"], "abbr": ["title"], "th": ["align"], "td": ["align"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # CommonMark with tables and strikethrough; raw HTML in the source stays text.
    return MarkdownIt("commonmark", {"html": False, "linkify": True}).enable(
        ["table", "strikethrough", "linkify"]
    )


def _set_rel(attrs, new=False):
    href_key = (None, "href")
    if href_key in attrs:
        attrs[(None, "rel")] = LINK_REL
    return attrs


@lru_cache(maxsize=1)
def _cleaner() -> bleach.Cleaner:
    return bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )


def render_markdown(source: str) -> str:
    """Markdown source -> HTML that holds only allowlisted tags, attributes and URL schemes."""
    html = _markdown().render(source or "")
    cleaned = _cleaner().clean(html)
    return Linker(callbacks=[_set_rel], skip_tags={"pre", "code"}, parse_email=False).linkify(cleaned)


def sanitise_html(html: str) -> str:
    """Clean already-built HTML with the same allowlist (e.g. text from an import)."""
    return _cleaner().clean(html or "")


def plain_text(source: str) -> Markup:
    """User text shown verbatim, escaped, with line breaks kept."""
    return Markup("<br>").join(escape(line) for line in (source or "").splitlines())


def slug(text: str, separator: str = "-", max_length: int = 70, fallback: str = "") -> str:
    """``text`` as lower-case ASCII words joined by ``separator``, at most ``max_length`` characters.

    "Mångkulturellt ledarskap" -> "mangkulturellt-ledarskap"; ``fallback`` when no letter or digit is left.
    Used for theme addresses, members' handles and export file names alike.
    """
    ascii_text = unicodedata.normalize("NFKD", (text or "").lower()).encode("ascii", "ignore").decode()
    return separator.join(re.findall(r"[a-z0-9]+", ascii_text))[:max_length].strip(separator) or fallback
