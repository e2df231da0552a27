import django.db.models.deletion
import django.db.models.functions.datetime
from django.conf import settings
from django.db import migrations, models

from services.tenancy.rls import enable_tenant_isolation

TABLE = "outbox_outboxevent"


def _relay_role(schema_editor):
    return schema_editor.quote_name(str(settings.DATABASES["relay"]["USER"]))


def grant_relay(apps, schema_editor):
    # The relay reads every tenant's rows (its role bypasses row-level security) and marks them
    # published: SELECT and UPDATE on this table, nothing else in the database.
    schema_editor.execute(f"GRANT SELECT, UPDATE ON {TABLE} TO {_relay_role(schema_editor)}")


def revoke_relay(apps, schema_editor):
    schema_editor.execute(f"REVOKE ALL ON {TABLE} FROM {_relay_role(schema_editor)}")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('tenancy', '0001_tenants'),
    ]

    operations = [
        migrations.CreateModel(
            name='OutboxEvent',
            fields=[
                ('sequence', models.BigAutoField(primary_key=True, serialize=False)),
                ('id', models.UUIDField(editable=False, unique=True)),
                ('topic', models.CharField(help_text='Base name, from services.events.topics.', max_length=200)),
                ('partition_key', models.CharField(max_length=200)),
                ('bucket', models.SmallIntegerField()),
                ('event_type', models.CharField(max_length=200)),
                ('envelope', models.JSONField()),
                ('created_at', models.DateTimeField(db_default=django.db.models.functions.datetime.Now())),
                ('published_at', models.DateTimeField(blank=True, null=True)),
                ('attempts', models.PositiveIntegerField(db_default=0)),
                ('last_error', models.TextField(blank=True, db_default='')),
                ('tenant', models.ForeignKey(db_column='tenant_id', editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.tenant')),
            ],
            options={
                'indexes': [models.Index(condition=models.Q(('published_at__isnull', True)), fields=['sequence'], name='outbox_unpublished'), models.Index(condition=models.Q(('published_at__isnull', True)), fields=['bucket', 'sequence'], name='outbox_unpublished_bucket')],
            },
        ),
        enable_tenant_isolation(TABLE),
        migrations.RunPython(grant_relay, revoke_relay),
    ]
