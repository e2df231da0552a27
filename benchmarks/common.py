"""What the benchmarks share: percentiles and the development realm's logins."""

from __future__ import annotations

import json
import math
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Any

from services.demo.loader import DEV_CLIENT, DEV_PASSWORD

__all__ = ["DEV_CLIENT", "DEV_PASSWORD", "dev_tokens", "json_line", "percentile"]


def percentile(values: Sequence[float], q: float) -> float:
    """The value at quantile `q` (0..1) of `values`, nearest rank; NaN for none."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def json_line(figures: dict[str, Any], *, sort_keys: bool = False) -> str:
    """A benchmark's figures as the one JSON line `--json` prints last: a figure with nothing to
    measure (a percentile of no values is NaN) is null, since JSON has no NaN."""
    return json.dumps(_finite(figures), sort_keys=sort_keys, ensure_ascii=False, allow_nan=False)


def dev_tokens(username: str, *, scope: str = "openid") -> dict[str, Any]:
    """The token response of Keycloak's development realm for `username` (password grant, over
    loopback): `access_token`, `refresh_token`, `id_token`, ..."""
    from infra.stack.config import load_config

    url = f"{load_config().keycloak_url}/realms/msc/protocol/openid-connect/token"
    form = urllib.parse.urlencode({"grant_type": "password", "client_id": DEV_CLIENT,
                                   "username": username, "password": DEV_PASSWORD,
                                   "scope": scope}).encode()
    request = urllib.request.Request(url, data=form, method="POST")  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 - loopback
        answer: dict[str, Any] = json.loads(response.read())
    return answer
