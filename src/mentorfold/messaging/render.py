"""Message text to safe HTML: Markdown when the library is there, then nh3 keeps only harmless tags and links."""

from __future__ import annotations

import html

import nh3

try:  # Markdown is optional: without it messages are plain text with line breaks.
    import markdown
except ImportError:  # pragma: no cover - depends on the environment
    markdown = None

ALLOWED_TAGS = {"p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def message_to_safe_html(text: str) -> str:
    """No scripts, no event handlers, no images, only http(s) links (``javascript:`` links lose their href)."""
    if markdown is not None:
        rendered = markdown.markdown(text, extensions=[], output_format="html")
    else:  # pragma: no cover
        paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
        rendered = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    return nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel="nofollow noopener noreferrer",
    )
