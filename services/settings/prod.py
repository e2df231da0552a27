"""Production: every secret from the environment, secure cookies and headers."""

import os

from django.core.exceptions import ImproperlyConfigured

from services.events.pseudonym import DEV_SECRET
from services.settings.base import *  # noqa: F403 - settings modules extend the base namespace
from services.settings.base import SECRET_KEY

if len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("MSC_SECRET_KEY must be set to at least 32 random characters")

if os.environ.get("MSC_PSEUDONYM_SECRET", DEV_SECRET) == DEV_SECRET:
    raise ImproperlyConfigured("MSC_PSEUDONYM_SECRET must be set to a long random secret")

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
