from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "services.api"
    label = "api"
    verbose_name = "API conventions"
