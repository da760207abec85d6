"""Names sort in Spanish on PostgreSQL: Amazonas, Áncash, Apurímac, … (see prevent_protect/collation.py).

The collation goes on the columns, not on each query, so that every `order_by("name")`, Meta ordering,
admin column and API `?ordering=name` follows it without knowing it exists. It is set here rather than
with `db_collation` on the fields because SQLite, the zero-setup database, has no ICU collation to
name: the models' state stays as it was (nothing for makemigrations to see), and SQLite keeps
sorting by code point. A later AlterField of one of these columns rebuilds its type without the
collation: tests/test_spanish_order.py checks every column still has it.
"""

from django.db import migrations

# prevent_protect.collation.COLLATION, written out: a migration must not change when the code does.
COLLATION = "es_icu"

# Every name that a list, dropdown, table, report or API sorts by.
COLUMNS = [
    ("regions", "Region", "name"),
    ("activities", "Institution", "name"),
    ("activities", "SupportNetwork", "name"),
    ("programs", "Program", "name"),
    # Programs, and services under them, are listed by short name ("Warmi Ñan" after "INABIF").
    ("programs", "Program", "acronym"),
    ("programs", "Service", "name"),
    ("programs", "Indicator", "name"),
]


def _collated(field, collation):
    name, path, args, kwargs = field.deconstruct()
    collated = field.__class__(*args, **{**kwargs, "db_collation": collation})
    collated.set_attributes_from_name(name)
    collated.model = field.model
    return collated


def _alter(apps, schema_editor, *, forwards):
    if schema_editor.connection.vendor != "postgresql":
        return
    if forwards:
        # Its own name rather than the predefined "es-x-icu", which exists only where initdb imported
        # ICU's locales; CREATE COLLATION needs only a server built with ICU (Debian's and the
        # official images are).
        schema_editor.execute(f"CREATE COLLATION IF NOT EXISTS {COLLATION} (provider = icu, locale = 'es')")
    for app_label, model_name, field_name in COLUMNS:
        model = apps.get_model(app_label, model_name)
        plain = model._meta.get_field(field_name)
        collated = _collated(plain, COLLATION)
        # Rewrites `ALTER COLUMN … TYPE varchar(n) COLLATE …` from the field, and rebuilds its indexes.
        old, new = (plain, collated) if forwards else (collated, plain)
        schema_editor.alter_field(model, old, new)
    if not forwards:
        schema_editor.execute(f"DROP COLLATION IF EXISTS {COLLATION}")


def spanish_collation(apps, schema_editor):
    _alter(apps, schema_editor, forwards=True)


def code_point_collation(apps, schema_editor):
    _alter(apps, schema_editor, forwards=False)


class Migration(migrations.Migration):
    dependencies = [
        ("regions", "0001_initial"),
        ("programs", "0001_initial"),
        ("activities", "0001_initial"),
    ]

    operations = [migrations.RunPython(spanish_collation, code_point_collation, elidable=False)]
