"""PostgreSQL 15 from Debian's packages, run as a private cluster in the stack's home."""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql

from infra.stack.component import Component
from infra.stack.config import POSTGRES_MAJOR
from infra.stack.installers import apt_install
from infra.stack.process import StackError, run, spawn, stop_pid, write_pid

BIN = Path(f"/usr/lib/postgresql/{POSTGRES_MAJOR}/bin")


class Postgres(Component):
    name = "postgres"
    start_deadline_seconds = 60.0

    @property
    def port(self) -> int:
        return self.config.postgres_port

    @property
    def data_dir(self) -> Path:
        return self.state_dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.state_dir / "socket"

    @property
    def _run_as(self) -> str | None:
        # The server refuses to run as root; Debian's package creates the `postgres` user.
        return "postgres" if os.geteuid() == 0 else None

    def install(self) -> None:
        if not (BIN / "postgres").exists():
            apt_install([f"postgresql-{POSTGRES_MAJOR}"], what="postgres")

    def _chown(self, *paths: Path) -> None:
        if self._run_as is None:
            return
        entry = pwd.getpwnam(self._run_as)
        for path in paths:
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _initdb(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(mode=0o700, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        self._chown(self.state_dir, self.data_dir, self.socket_dir)
        with tempfile.NamedTemporaryFile("w", delete=False, dir=self.state_dir) as pwfile:
            pwfile.write(self.config.postgres_superuser_password + "\n")
        pw_path = Path(pwfile.name)
        self._chown(pw_path)
        try:
            run(
                [
                    str(BIN / "initdb"), "-D", str(self.data_dir), "-U", "postgres",
                    f"--pwfile={pw_path}", "--auth-local=scram-sha-256",
                    "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8",
                ],
                what="postgres: initdb",
                user=self._run_as,
            )
        finally:
            pw_path.unlink(missing_ok=True)

    def start(self) -> None:
        if not (self.data_dir / "PG_VERSION").exists():
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self._initdb()
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        self._remove_stale_lock()
        spawn(
            [
                str(BIN / "postgres"), "-D", str(self.data_dir),
                "-c", f"port={self.port}",
                "-c", f"listen_addresses={self.config.host}",
                "-c", f"unix_socket_directories={self.socket_dir}",
                "-c", "max_connections=200",
                "-c", "shared_buffers=256MB",
                "-c", "password_encryption=scram-sha-256",
            ],
            log_file=self.log_file,
            pid_file=self.pid_file,
            user=self._run_as,
        )

    def _remove_stale_lock(self) -> None:
        """Drop a postmaster.pid left by a killed server whose pid now names another program.

        PostgreSQL itself refuses to start while that pid is alive, whatever the process is.
        """
        lock = self.data_dir / "postmaster.pid"
        try:
            pid = int(lock.read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return  # no such process: PostgreSQL removes the stale file itself
        if b"postgres" not in cmdline:
            lock.unlink(missing_ok=True)

    def superuser_connect(self, dbname: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host=self.config.host, port=self.port, user="postgres", dbname=dbname,
            password=self.config.postgres_superuser_password, connect_timeout=3,
            autocommit=True,
        )

    def healthy(self) -> bool:
        try:
            with self.superuser_connect() as conn:
                conn.execute("SELECT 1")
        except psycopg.Error:
            return False
        return True

    def after_start(self) -> None:
        # runuser forks the server, so record the postmaster's own pid once it has written it.
        postmaster_pid = self.data_dir / "postmaster.pid"
        if postmaster_pid.exists():
            write_pid(self.pid_file, int(postmaster_pid.read_text().splitlines()[0]))
        ensure_roles_and_database(self, self.config.postgres_database)

    def version(self) -> str:
        try:
            with self.superuser_connect() as conn:
                row = conn.execute("SHOW server_version").fetchone()
        except psycopg.Error:
            return f"PostgreSQL {POSTGRES_MAJOR}"
        return f"PostgreSQL {row[0] if row else POSTGRES_MAJOR}"

    def stop(self) -> bool:
        if self.recorded_pid() is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        try:
            run(
                [str(BIN / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"],
                what="postgres: pg_ctl stop",
                user=self._run_as,
                timeout=60,
            )
        except StackError:
            return stop_pid(self.pid_file)
        self.pid_file.unlink(missing_ok=True)
        return True

    def create_database(self, name: str) -> None:
        """Create a database owned by the owner role, with the app role allowed to connect."""
        ensure_roles_and_database(self, name)

    def drop_database(self, name: str) -> None:
        with self.superuser_connect() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))


# Built-in functions the client search applies to columns (`intake.search`). Under row-level
# security PostgreSQL uses an index for a condition only when its functions are LEAKPROOF (they
# could otherwise reveal, by an error, something of a row the policy hides); without this the
# trigram indexes are never used for the application role. Each can raise an error only because
# of its pattern argument, and the platform passes only constants there (it never runs SQL of a
# user's making), so no row's content can leak through them. Only a superuser can mark them, in
# each database (pg_dump does not keep the mark).
LEAKPROOF_FUNCTIONS = (
    "pg_catalog.textlike(text, text)",
    "pg_catalog.replace(text, text, text)",
    "pg_catalog.regexp_replace(text, text, text, text)",
)


def ensure_roles_and_database(pg: Postgres, database: str) -> None:
    """Owner role (owns the tables, runs migrations), app role (no ownership, no BYPASSRLS) and
    relay role (reads every tenant's outbox, so BYPASSRLS; its only grants come from the outbox
    migration)."""
    cfg = pg.config
    with pg.superuser_connect() as conn:
        for role, password, rls in (
            (cfg.postgres_owner, cfg.postgres_owner_password, sql.SQL("NOBYPASSRLS")),
            (cfg.postgres_app_user, cfg.postgres_app_password, sql.SQL("NOBYPASSRLS")),
            (cfg.postgres_relay_user, cfg.postgres_relay_password, sql.SQL("BYPASSRLS")),
        ):
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone()
            verb = sql.SQL("ALTER") if exists else sql.SQL("CREATE")
            conn.execute(
                sql.SQL(
                    "{} ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE {} PASSWORD {}"
                ).format(verb, sql.Identifier(role), rls, sql.Literal(password))
            )
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database]
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8'").format(
                sql.Identifier(database), sql.Identifier(cfg.postgres_owner)))
        conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(
            sql.Identifier(database)))
        conn.execute(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
            sql.Identifier(database), sql.Identifier(cfg.postgres_app_user)))
        conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(database), sql.Identifier(cfg.postgres_relay_user)))
    with pg.superuser_connect(database) as conn:
        conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(
            sql.Identifier(cfg.postgres_owner)))
        for function in LEAKPROOF_FUNCTIONS:
            conn.execute(f"ALTER FUNCTION {function} LEAKPROOF")
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        for role in (cfg.postgres_app_user, cfg.postgres_relay_user):
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(
                sql.Identifier(role)))
        # Tables the owner creates later (migrations) are readable and writable by the app role;
        # row-level security, not ownership, decides which rows it sees.
        conn.execute(sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public "
            "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}"
        ).format(sql.Identifier(cfg.postgres_owner), sql.Identifier(cfg.postgres_app_user)))
        conn.execute(sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public "
            "GRANT USAGE, SELECT ON SEQUENCES TO {}"
        ).format(sql.Identifier(cfg.postgres_owner), sql.Identifier(cfg.postgres_app_user)))
