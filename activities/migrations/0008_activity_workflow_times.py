from django.conf import settings
from django.db import migrations, models


def times_from_steps(apps, schema_editor):
    # The activities' steps so far, as ActivityQuerySet.times_from_steps reads them (a migration
    # sees the models as they were here, without their methods).
    Activity = apps.get_model("activities", "Activity")
    steps = apps.get_model("activities", "ActivityTransition").objects.filter(activity=models.OuterRef("pk"))
    steps = steps.order_by("-at", "-id").values("at")
    Activity.objects.filter(status__in=["submitted", "approved", "returned"]).update(
        submitted_at=models.Subquery(steps.filter(to_status="submitted")[:1]),
        decided_at=models.Subquery(
            steps.filter(from_status="submitted", to_status__in=["approved", "returned"])[:1]
        ),
    )


# The review queue: the submitted activities, longest waiting first (those without a recorded
# submission before them), a page read from the index instead of sorted.
QUEUE_INDEX = "activity_status_submitted_id"


def queue_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX {QUEUE_INDEX} ON activities_activity (status, submitted_at ASC NULLS FIRST, id)"
        )


def drop_queue_index(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {QUEUE_INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ('activities', '0007_activity_dates_plausible'),
        ('programs', '0001_initial'),
        ('regions', '0003_unaccent'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='activity',
            name='decided_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='decided at'),
        ),
        migrations.AddField(
            model_name='activity',
            name='submitted_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='submitted at'),
        ),
        migrations.RunPython(queue_index, drop_queue_index),
        migrations.RunPython(times_from_steps, migrations.RunPython.noop),
    ]
