import uuid

import django.db.models.deletion
from django.db import migrations, models

from services.tenancy.rls import enable_tenant_isolation


class Migration(migrations.Migration):
    initial = True
    dependencies = [("tenancy", "0001_tenants")]

    operations = [
        migrations.CreateModel(
            name="Centre",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True,
                                        serialize=False)),
                ("name", models.CharField(max_length=200)),
                ("municipality_code", models.CharField(max_length=20)),
                ("kind", models.CharField(
                    choices=[("msc", "Migrant Service Centre"),
                             ("counter", "Migration counter in a regional employment office")],
                    default="msc", max_length=10)),
                ("active", models.BooleanField(default=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("tenant", models.ForeignKey(
                    db_column="tenant_id", editable=False,
                    on_delete=django.db.models.deletion.PROTECT, related_name="+",
                    to="tenancy.tenant")),
            ],
            options={"ordering": ["tenant_id", "name"]},
        ),
        migrations.AddConstraint(
            model_name="centre",
            constraint=models.UniqueConstraint(fields=("tenant", "name"),
                                               name="intake_centre_unique_name"),
        ),
        enable_tenant_isolation("intake_centre"),
    ]
