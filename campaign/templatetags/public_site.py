"""What every public page's head and header need: canonical and alternate URLs, Open Graph,
links to the same page in the other language, and the quick exit's neutral site."""

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language, get_language_info

from campaign.content import NEUTRAL_SITE

register = template.Library()

OG_LOCALES = {"es": "es_PE", "en": "en_US"}


def absolute(path):
    return settings.SITE_URL.rstrip("/") + path


def alternates(request):
    """[(language code, its own name, the same page's path in it)] for every language."""
    return [
        (code, get_language_info(code)["name_local"], translate_url(request.path, code))
        for code, _name in settings.LANGUAGES
    ]


@register.inclusion_tag("campaign/_seo_head.html", takes_context=True)
def seo_head(context):
    """Description, canonical URL, hreflang alternates and Open Graph tags, from the view's
    `title`, `description` and `og_type`. Absolute URLs come from SITE_URL, never from the request's
    Host header, so a cached page says the same whoever asked first."""
    request = context["request"]
    current = get_language()
    languages = alternates(request)
    return {
        "title": context.get("title", ""),
        "description": context.get("description", ""),
        "og_type": context.get("og_type", "website"),
        "canonical": absolute(request.path),
        "alternates": [(code, absolute(path)) for code, _name, path in languages],
        "default_url": absolute(next(path for code, _name, path in languages if code == settings.LANGUAGE_CODE)),
        "locale": OG_LOCALES.get(current, current),
        "other_locales": [OG_LOCALES.get(code, code) for code, _name, _path in languages if code != current],
    }


@register.inclusion_tag("campaign/_language_links.html", takes_context=True)
def language_links(context):
    """Links to this page in the other languages: plain GETs, so a cached page carries no CSRF token."""
    request = context["request"]
    query = request.META.get("QUERY_STRING", "")
    current = get_language()
    return {
        "languages": [
            (code, name, path + (f"?{query}" if query else ""))
            for code, name, path in alternates(request)
            if code != current
        ]
    }


@register.simple_tag
def quick_exit_url():
    return NEUTRAL_SITE


@register.simple_tag
def help_chat_url():
    """Chat 100's address (settings.HELP_CHAT_URL): the operator moves it when the ministry does."""
    return settings.HELP_CHAT_URL


@register.filter
def language_of(obj, field):
    """{{ item|language_of:"title" }}: the language of the text {{ item|localized:"title" }} shows."""
    return obj.language_of(field)
