from django.db import migrations, models

from services.tenancy.models import TENANT_NAMES


def add_tenants(apps, schema_editor):
    tenant = apps.get_model("tenancy", "Tenant")
    for code, name in TENANT_NAMES.items():
        tenant.objects.using(schema_editor.connection.alias).update_or_create(
            code=code, defaults={"name": name}
        )


class Migration(migrations.Migration):
    initial = True

    operations = [
        migrations.CreateModel(
            name="Tenant",
            fields=[
                ("code", models.CharField(max_length=2, primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=100)),
            ],
            options={"ordering": ["code"]},
        ),
        migrations.RunPython(add_tenants, migrations.RunPython.noop),
    ]
