"""The web pages' Django app."""

from __future__ import annotations

import logging

from django.apps import AppConfig

logger = logging.getLogger(__name__)


class WebConfig(AppConfig):
    name = "services.web"
    label = "web"
    verbose_name = "Web pages"

    def ready(self) -> None:
        """Compile a translation catalog edited since its last build, so that no process
        starts with stale translations; after a build step this finds nothing to do."""
        from services.web.i18n import compile_catalogs

        try:
            compiled = compile_catalogs()
        except OSError as unwritable:  # a read-only install: its build step compiled them
            logger.warning("cannot compile the translation catalogs: %s", unwritable)
            return
        if compiled:
            logger.info("compiled %d translation catalog(s)", len(compiled))
