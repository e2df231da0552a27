"""Keycloak 26 (Quarkus distribution from Maven Central) in development mode with the msc realm."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path

from infra.stack.component import Component
from infra.stack.config import KEYCLOAK_VERSION
from infra.stack.installers import extract_tarball, java21_home, maven_fetch_archive
from infra.stack.process import spawn

REALM_FILE = Path(__file__).resolve().parent.parent / "keycloak" / "realm-msc.json"
REALM = "msc"


class Keycloak(Component):
    name = "keycloak"
    start_deadline_seconds = 240.0

    @property
    def port(self) -> int:
        return self.config.keycloak_port

    @property
    def archive_dir(self) -> Path:
        return self.config.cache / "keycloak"

    @property
    def dist_dir(self) -> Path:
        return self.state_dir / f"keycloak-{KEYCLOAK_VERSION}"

    def install(self) -> None:
        filename = f"keycloak-quarkus-dist-{KEYCLOAK_VERSION}.tar.gz"
        archive = maven_fetch_archive(
            f"org.keycloak:keycloak-quarkus-dist:{KEYCLOAK_VERSION}:tar.gz",
            filename=filename,
            target_dir=self.archive_dir,
            what="keycloak",
        )
        extract_tarball(archive, into=self.state_dir, top_level=f"keycloak-{KEYCLOAK_VERSION}")
        java21_home()

    def _stage_realm(self) -> None:
        """Copy the realm file for import; a changed file means a fresh dev database."""
        realm_bytes = REALM_FILE.read_bytes()
        json.loads(realm_bytes)  # fail here, with the file's name, rather than in Keycloak's log
        digest = hashlib.sha256(realm_bytes).hexdigest()
        stamp = self.state_dir / "imported-realm.sha256"
        if stamp.exists() and stamp.read_text().strip() != digest:
            # start-dev imports a realm only when it does not exist yet; realm-as-code wins.
            shutil.rmtree(self.dist_dir / "data" / "h2", ignore_errors=True)
        import_dir = self.dist_dir / "data" / "import"
        import_dir.mkdir(parents=True, exist_ok=True)
        (import_dir / "msc-realm.json").write_bytes(realm_bytes)
        stamp.write_text(digest + "\n")

    def start(self) -> None:
        self._stage_realm()
        cfg = self.config
        env = {
            **os.environ,
            "JAVA_HOME": str(java21_home()),
            "KC_BOOTSTRAP_ADMIN_USERNAME": "admin",
            "KC_BOOTSTRAP_ADMIN_PASSWORD": cfg.keycloak_admin_password,
        }
        spawn(
            [
                str(self.dist_dir / "bin" / "kc.sh"), "start-dev", "--import-realm",
                f"--http-host={cfg.host}",
                f"--http-port={cfg.keycloak_port}",
                f"--http-management-port={cfg.keycloak_management_port}",
                # A fixed front-end URL keeps `iss` identical however the server is reached.
                f"--hostname={cfg.keycloak_url}",
                "--health-enabled=true",
                "--log-level=INFO",
            ],
            log_file=self.log_file,
            pid_file=self.pid_file,
            env=env,
            cwd=self.dist_dir,
        )

    def healthy(self) -> bool:
        cfg = self.config
        ready = f"http://{cfg.host}:{cfg.keycloak_management_port}/health/ready"
        realm = f"{cfg.keycloak_url}/realms/{REALM}/.well-known/openid-configuration"
        return _http_ok(ready) and _http_ok(realm)

    def version(self) -> str:
        return f"Keycloak {KEYCLOAK_VERSION}"


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 - loopback URL from config
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False
