import django.db.models.deletion
from django.db import migrations, models


def count_the_timings(apps, schema_editor):
    # Exact from the first request after migrating, like the other tallies (0004).
    from reports import tally

    tally.rebuild()


class Migration(migrations.Migration):

    dependencies = [
        ('regions', '0003_unaccent'),
        ('reports', '0004_tallies_counted'),
        ('activities', '0008_activity_workflow_times'),
    ]

    operations = [
        migrations.CreateModel(
            name='TimingTally',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField()),
                ('kind', models.CharField(choices=[('submit', 'days to submit'), ('decide', 'hours to decide')], max_length=6)),
                ('value', models.IntegerField()),
                ('activities', models.IntegerField(default=0)),
                ('region', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='regions.region')),
            ],
            options={
                'verbose_name': 'timing tally',
                'verbose_name_plural': 'timing tallies',
                'constraints': [models.UniqueConstraint(fields=('region', 'month', 'kind', 'value'), name='timing_tally_one_row')],
            },
        ),
        migrations.RunPython(count_the_timings, migrations.RunPython.noop),
    ]
