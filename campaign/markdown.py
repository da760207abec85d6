"""News bodies: Markdown written by staff in the admin, rendered to HTML that is safe to show
a child on a shared phone.

The HTML is sanitised on the way out, every time (nh3, an allow-list): whatever a staff account
or a stolen session typed, no script, style, frame, form or event handler reaches the page, links
point to http(s), mail or phone only and carry rel="nofollow noopener", and an image is kept only
when it comes from this site: a remote image would tell another server who reads the page.
"""

import html as html_lib
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import markdown as markdown_lib
import nh3
from django.utils.safestring import mark_safe

TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "a", "ul", "ol", "li", "blockquote", "code", "pre",
    "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "img",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"scope"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# Dropped with everything inside them, not just unwrapped.
# The page's title is its only <h1>: a body's headings start one level down.
HEADING = re.compile(r"<(/?)h([1-5])\b", re.IGNORECASE)
CONTENT_TAGS = {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math", "textarea"}


def render_markdown(text):
    """Safe HTML (marked safe) for a Markdown text."""
    html = markdown_lib.markdown(text or "", extensions=["sane_lists"])
    html = HEADING.sub(lambda m: f"<{m[1]}h{int(m[2]) + 1}", html)
    clean = nh3.clean(
        html,
        tags=TAGS,
        clean_content_tags=CONTENT_TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener",
        attribute_filter=_keep_attribute,
    )
    return mark_safe(_drop_remote_images(clean))


def plain_text(text, length=160):
    """The first words of a Markdown text without any markup: for descriptions and summaries."""
    words = html_lib.unescape(nh3.clean(markdown_lib.markdown(text or ""), tags=set())).split()
    summary = " ".join(words)
    return summary if len(summary) <= length else summary[: length - 1].rsplit(" ", 1)[0] + "…"


def is_local(src):
    """Whether an image address stays on this site, as a browser would read it: browsers drop tabs
    and newlines inside a URL and read a backslash as a slash, so "/\\evil.org" is remote."""
    cleaned = "".join(ch for ch in (src or "") if ch not in "\t\n\r").strip().replace("\\", "/")
    if not cleaned or cleaned.startswith("//"):
        return False
    parts = urlsplit(cleaned)
    return not parts.scheme and not parts.netloc


def _keep_attribute(tag, attribute, value):
    if tag == "img" and attribute == "src" and not is_local(value):
        return None
    return value


class _ImageFilter(HTMLParser):
    """Copies nh3's output as it is, leaving out every <img> without a local src."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag == "img" and not is_local(dict(attrs).get("src")):
            return
        self.parts.append(self.get_starttag_text())

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self.parts.append(f"</{tag}>")

    def handle_data(self, data):
        self.parts.append(data)

    def handle_entityref(self, name):
        self.parts.append(f"&{name};")

    def handle_charref(self, name):
        self.parts.append(f"&#{name};")


def _drop_remote_images(html):
    parser = _ImageFilter()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)
