"""Apache Kafka in KRaft mode (one combined broker and controller) from Maven Central jars."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Callable
from pathlib import Path

from infra.stack.component import Component
from infra.stack.config import KAFKA_VERSION, SCALA_VERSION
from infra.stack.installers import java21_home, maven_fetch_tree
from infra.stack.process import port_is_open, run, spawn

KAFKA_POM = f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.msc.stack</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>{KAFKA_VERSION}</version>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_{SCALA_VERSION}</artifactId>
      <version>{KAFKA_VERSION}</version>
    </dependency>
    <!-- Kafka 3.x logs through slf4j; reload4j is the binding its own distribution ships. -->
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-reload4j</artifactId>
      <version>1.7.36</version>
    </dependency>
  </dependencies>
</project>
"""

LOG4J_PROPERTIES = """log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
"""


def new_cluster_id(random_bytes: Callable[[], bytes] = lambda: uuid.uuid4().bytes) -> str:
    """A random KRaft cluster id, as Kafka's own Uuid.randomUuid() makes it.

    The id is a UUID in URL-safe base64. Like Kafka, draw again while it starts
    with "-": the storage tool's argument parser would take such an id for an
    option (about one format in 64 failed this way).
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(random_bytes()).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def _accepts_connections(server: str) -> bool:
    host, _, port = server.strip().rpartition(":")
    return port.isdigit() and port_is_open(host.strip("[]"), int(port), timeout=2.0)


def broker_answers(bootstrap: str) -> bool:
    """True when a broker of `bootstrap` answers a metadata request."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    # kafka-python retries a refused bootstrap for half a minute by default: ask the sockets
    # first, and bound its own retries, so that a broker coming back is seen within seconds.
    if not any(_accepts_connections(server) for server in bootstrap.split(",") if server):
        return False
    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000,
                                 bootstrap_timeout_ms=5000, reconnect_backoff_max_ms=1000)
    except (KafkaError, OSError, ValueError):
        return False
    try:
        admin.list_topics()
    except (KafkaError, OSError):
        return False
    finally:
        admin.close()
    return True


class Kafka(Component):
    name = "kafka"
    start_deadline_seconds = 90.0

    @property
    def port(self) -> int:
        return self.config.kafka_port

    @property
    def libs_dir(self) -> Path:
        return self.config.cache / f"kafka_{SCALA_VERSION}-{KAFKA_VERSION}" / "libs"

    @property
    def data_dir(self) -> Path:
        return self.state_dir / "data"

    def install(self) -> None:
        maven_fetch_tree(KAFKA_POM, target=self.libs_dir, what="kafka")

    def _java(self) -> str:
        return str(java21_home() / "bin" / "java")

    def _classpath(self) -> str:
        return f"{self.libs_dir}/*"

    def _write_config(self) -> Path:
        cfg = self.config
        self.state_dir.mkdir(parents=True, exist_ok=True)
        properties = self.state_dir / "server.properties"
        properties.write_text(
            "\n".join(
                [
                    "# Written by `msc stack up`; edit infra/stack/kafka.py instead.",
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@{cfg.host}:{cfg.kafka_controller_port}",
                    f"listeners=PLAINTEXT://{cfg.host}:{cfg.kafka_port},"
                    f"CONTROLLER://{cfg.host}:{cfg.kafka_controller_port}",
                    f"advertised.listeners=PLAINTEXT://{cfg.host}:{cfg.kafka_port}",
                    "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=PLAINTEXT",
                    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                    f"log.dirs={self.data_dir}",
                    "num.partitions=3",
                    "default.replication.factor=1",
                    "offsets.topic.replication.factor=1",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    # Topics come from the topic contracts (`msc migrate`), never from a typo.
                    "auto.create.topics.enable=false",
                    "log.retention.hours=168",
                    "",
                ]
            )
        )
        (self.state_dir / "log4j.properties").write_text(LOG4J_PROPERTIES)
        return properties

    def _format_storage_once(self, properties: Path) -> None:
        if (self.data_dir / "meta.properties").exists():
            return
        cluster_id = new_cluster_id()
        run(
            [
                self._java(), "-cp", self._classpath(),
                f"-Dlog4j.configuration=file:{self.state_dir / 'log4j.properties'}",
                "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(properties),
            ],
            what="kafka: format storage",
        )

    def start(self) -> None:
        properties = self._write_config()
        self._format_storage_once(properties)
        heap = os.environ.get("MSC_KAFKA_HEAP", "-Xms256m -Xmx1g").split()
        spawn(
            [
                self._java(), *heap, "-XX:+UseG1GC", "-Djava.awt.headless=true",
                f"-Dlog4j.configuration=file:{self.state_dir / 'log4j.properties'}",
                f"-Dkafka.logs.dir={self.config.log_dir}",
                "-cp", self._classpath(), "kafka.Kafka", str(properties),
            ],
            log_file=self.log_file,
            pid_file=self.pid_file,
            cwd=self.state_dir,
        )

    def healthy(self) -> bool:
        return broker_answers(self.config.kafka_bootstrap)

    def version(self) -> str:
        return f"Apache Kafka {KAFKA_VERSION} (KRaft)"

