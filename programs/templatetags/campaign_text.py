from django import template
from django.utils.formats import number_format

from prevent_protect import typography

register = template.Library()


@register.filter
def localized(obj, field):
    """{{ objective|localized:"title" }}: the text in the page's language (see Bilingual)."""
    return obj.localized(field)


@register.filter
def unbroken_ranges(text):
    """{{ label|unbroken_ranges }}: see prevent_protect.typography."""
    return typography.unbroken_ranges(text)


@register.filter
def grouped(value):
    """{{ count|grouped }}: a number with the language's thousands separator ("43 386", "43,386"),
    as the charts print it; `localize` alone leaves it ungrouped."""
    return "—" if value is None else number_format(value, force_grouping=True)
