"""ClickHouse from Debian's `clickhouse-server` package, with a project-local config and data."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from xml.sax.saxutils import escape

from clickhouse_driver import Client
from clickhouse_driver.errors import Error as ClickHouseError

from infra.stack.component import Component
from infra.stack.installers import apt_install
from infra.stack.process import spawn

SERVER = "/usr/sbin/clickhouse-server"

# clickhouse-driver logs a traceback for every refused connection; a health probe expects those.
logging.getLogger("clickhouse_driver.connection").setLevel(logging.CRITICAL)

CONFIG_TEMPLATE = """<?xml version="1.0"?>
<!-- Written by `msc stack up`; edit infra/stack/clickhouse.py instead. -->
<yandex>
    <logger>
        <level>warning</level>
        <log>{log_dir}/clickhouse-server.log</log>
        <errorlog>{log_dir}/clickhouse-server.err.log</errorlog>
        <size>100M</size>
        <count>3</count>
    </logger>
    <listen_host>{host}</listen_host>
    <tcp_port>{tcp_port}</tcp_port>
    <http_port>{http_port}</http_port>
    <max_connections>256</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>
    <path>{data_dir}/</path>
    <tmp_path>{data_dir}/tmp/</tmp_path>
    <user_files_path>{data_dir}/user_files/</user_files_path>
    <format_schema_path>{data_dir}/format_schemas/</format_schema_path>
    <users_config>{users_file}</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
</yandex>
"""

USERS_TEMPLATE = """<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <load_balancing>random</load_balancing>
        </default>
    </profiles>
    <users>
        <default>
            <!-- Loopback only: a password adds nothing on one machine; production sets one. -->
            <password>{password}</password>
            <networks><ip>::1</ip><ip>127.0.0.1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
"""


class ClickHouse(Component):
    name = "clickhouse"
    start_deadline_seconds = 60.0

    @property
    def port(self) -> int:
        return self.config.clickhouse_port

    @property
    def config_file(self) -> Path:
        return self.state_dir / "config.xml"

    def install(self) -> None:
        if shutil.which(SERVER) is None:
            apt_install(["clickhouse-server", "clickhouse-client"], what="clickhouse")

    def _write_config(self) -> None:
        data_dir = self.state_dir / "data"
        for sub in ("tmp", "user_files", "format_schemas"):
            (data_dir / sub).mkdir(parents=True, exist_ok=True)
        log_dir = self.config.log_dir / "clickhouse"
        log_dir.mkdir(parents=True, exist_ok=True)
        users_file = self.state_dir / "users.xml"
        users_file.write_text(USERS_TEMPLATE.format(password=""))
        self.config_file.write_text(
            CONFIG_TEMPLATE.format(
                log_dir=escape(str(log_dir)),
                host=escape(self.config.host),
                tcp_port=self.config.clickhouse_port,
                http_port=self.config.clickhouse_http_port,
                data_dir=escape(str(data_dir)),
                users_file=escape(str(users_file)),
            )
        )

    def start(self) -> None:
        self._write_config()
        spawn(
            [SERVER, f"--config-file={self.config_file}"],
            log_file=self.log_file,
            pid_file=self.pid_file,
            cwd=self.state_dir,
        )

    def client(self) -> Client:
        return Client(
            host=self.config.host, port=self.port, connect_timeout=2, send_receive_timeout=10
        )

    def healthy(self) -> bool:
        try:
            self.client().execute("SELECT 1")
        except (ClickHouseError, OSError, EOFError):
            return False
        return True

    def version(self) -> str:
        try:
            rows = self.client().execute("SELECT version()")
        except (ClickHouseError, OSError, EOFError):
            return "ClickHouse"
        return f"ClickHouse {rows[0][0]}"
