from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "services.api"
    label = "api"
    verbose_name = "API conventions"

    def ready(self) -> None:
        # Registers the bearer scheme with drf-spectacular's extension registry.
        from services.auth import schema  # noqa: F401
