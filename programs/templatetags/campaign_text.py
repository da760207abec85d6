from django import template

register = template.Library()


@register.filter
def localized(obj, field):
    """{{ objective|localized:"title" }}: the text in the page's language (see Bilingual)."""
    return obj.localized(field)
