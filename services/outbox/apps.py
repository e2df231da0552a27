from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "services.outbox"
    label = "outbox"
    verbose_name = "Event outbox"

    def ready(self) -> None:
        from services.events.registry import load_app_events

        # Producers validate against the registry, so it must be complete in every process.
        load_app_events()
