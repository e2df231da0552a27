"""The cache is one for every process of the API on a host, and only the service may read it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.cache import cache


def test_what_one_process_caches_another_reads_and_forgets() -> None:
    set_elsewhere = ("import django; django.setup(); from django.core.cache import cache; "
                     "cache.set('shared-cache-test', {'counted': 17}, 60)")
    subprocess.run([sys.executable, "-c", set_elsewhere], check=True, env=os.environ.copy(),
                   timeout=60)
    assert cache.get("shared-cache-test") == {"counted": 17}

    forget_elsewhere = ("import django; django.setup(); from django.core.cache import cache; "
                        "cache.delete('shared-cache-test')")
    subprocess.run([sys.executable, "-c", forget_elsewhere], check=True, env=os.environ.copy(),
                   timeout=60)
    assert cache.get("shared-cache-test") is None


def test_the_cache_directory_is_the_services_alone() -> None:
    cache.set("shared-cache-test", 1, 60)
    directory = Path(str(settings.CACHES["default"]["LOCATION"]))
    assert stat.S_IMODE(directory.stat().st_mode) & 0o077 == 0
