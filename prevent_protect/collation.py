"""Names sorted as a Spanish reader expects them: Amazonas, Áncash, Apurímac, …, not Áncash after Ucayali.

One rule, in two places:
- PostgreSQL sorts the name columns with the `es_icu` collation (ICU, Spanish), which
  regions/migrations/0002_spanish_collation.py sets on them; every `order_by("name")`, Meta
  ordering, admin column and API `?ordering=name` follows it with no code of its own.
- Python sorts with `spanish_key` what the database does not (lists put together in Python, the
  public release tables). It follows ICU's Spanish order: letters first, accents ignored
  (á = a), then case; ñ is a letter of its own, after n. SQLite, the zero-setup database, has no
  ICU: there the database sorts by code point and only Python's sorts are Spanish.
"""

import unicodedata

COLLATION = "es_icu"

# Ñ sorts after every word that goes on with N (Nuñoa < Ñahuimpuquio), before O: the highest
# code point after "n" puts it there without disturbing the other letters.
_ENYE = "n\U0010ffff"
# Spaces and punctuation sort before digits and letters, as in ICU: "¡Actuemos Ya!" comes first
# and "Lima Metropolitana" before "Limache".
_PUNCTUATION = "\x01"


def spanish_key(text):
    """A sort key for `sorted(…, key=…)`: accents and case only break ties, ñ follows n."""
    text = text or ""
    # Decomposed, "ñ" is "n" with a combining tilde: joined back first, so that stripping the
    # accents below does not turn it into an "n".
    decomposed = unicodedata.normalize("NFD", text).replace("n\u0303", "ñ").replace("N\u0303", "Ñ")
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    primary = "".join(char if char.isalnum() else _PUNCTUATION + char for char in bare.casefold())
    primary = primary.replace("ñ", _ENYE)
    # Unaccented before accented, then lower case before upper case, as ICU does; the text itself
    # last, so that different names never compare equal.
    accents = decomposed.casefold().replace("ñ", _ENYE)
    return (primary, accents, decomposed.swapcase(), text)


def spanish_sorted(items, key=str):
    """`items` in Spanish order of `key(item)` (the item's text by default)."""
    return sorted(items, key=lambda item: spanish_key(key(item)))
