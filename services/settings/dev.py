"""Local development: the native stack on loopback, debug off unless asked for."""

from services.settings.base import *  # noqa: F403 - settings modules extend the base namespace
from services.settings.base import SECRET_KEY as _BASE_SECRET

# A fixed development key: never used outside a developer's own machine (prod refuses it).
SECRET_KEY = _BASE_SECRET or "msc-dev-only-secret-key-not-for-production"  # noqa: S105

# Institutions' test receivers run on this machine during development.
WEBHOOK_ALLOW_PRIVATE = True
