"""The platform's own processes (`msc relay`, `msc stream`) aimed at a fault proxy, and a way to
see whom they are really talking to."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from tests.kafka_helpers import REPO

# /proc/net/tcp state of an established connection.
_ESTABLISHED = "01"


def msc_process(log_path: Path, args: list[str], env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """`msc <args>` on this run's database, topics and ClickHouse database, with `env` on top
    (e.g. a component's address replaced by a proxy's), logging to a file."""
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "services.settings.test", **env}
    for name in ("MSC_TEST_RUN_ID", "MSC_PG_DATABASE", "MSC_KAFKA_TOPIC_PREFIX",
                 "MSC_CLICKHOUSE_DATABASE"):
        assert full_env.get(name), f"{name} is set by services.settings.test"
    with log_path.open("ab") as log:
        return subprocess.Popen([sys.executable, "-m", "services.cli", *args], cwd=REPO,
                                env=full_env, stdout=log, stderr=subprocess.STDOUT)


def _address(hex_address: str) -> tuple[str, int]:
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    # The kernel prints each 32-bit word of the address in host (little-endian) order.
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    address = ipaddress.ip_address(words)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address), int(port, 16)


def tcp_peers(pid: int) -> set[tuple[str, int]]:
    """The remote (host, port) of every established TCP connection process `pid` holds."""
    inodes: set[str] = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    peers: set[tuple[str, int]] = set()
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == _ESTABLISHED and fields[9] in inodes:
                peers.add(_address(fields[2]))
    return peers
