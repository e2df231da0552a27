from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "services.tenancy"
    label = "tenancy"
    verbose_name = "Tenancy"
