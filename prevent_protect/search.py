"""Text search that ignores accents and case: "ancash" finds "Áncash", "nino" finds "Niño".

Staff type names as they come (on a phone keyboard, without accents) and expect to find them as
written. PostgreSQL folds with its `unaccent` extension, which regions/migrations/0003_unaccent.py
creates; SQLite, the zero-setup database, gets a function of the same name on each connection, so
both run the same query.
"""

import unicodedata

from django.db.backends.signals import connection_created
from django.db.models import Func, TextField
from django.db.models.lookups import IContains
from django.dispatch import receiver


def unaccented(text):
    """The text without its accents (ñ becomes n, as PostgreSQL's unaccent does)."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


class Unaccent(Func):
    function = "unaccent"
    output_field = TextField()


def contains_folded(field, text):
    """A filter condition: `field` contains `text`, accents and case aside."""
    return IContains(Unaccent(field), unaccented(text))


@receiver(connection_created)
def _sqlite_unaccent(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "unaccent", 1, lambda text: None if text is None else unaccented(text), deterministic=True
        )
