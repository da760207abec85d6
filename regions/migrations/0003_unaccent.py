"""The `unaccent` extension, for searches that ignore accents (see prevent_protect/search.py).

Trusted since PostgreSQL 13: the database's owner may create it without being a superuser. SQLite
gets a function of the same name at connection time instead.
"""

from django.db import migrations


def create_unaccent(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")


class Migration(migrations.Migration):
    dependencies = [("regions", "0002_spanish_collation")]

    # Kept on the way back: other databases objects may come to use it.
    operations = [migrations.RunPython(create_unaccent, migrations.RunPython.noop, elidable=False)]
