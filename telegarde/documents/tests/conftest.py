"""Fixtures of the document tests: a private documents folder, uploads as a given
persona, and a real clamd (Debian's clamav-daemon) with a signature database written
here, since official signatures cannot be downloaded on this machine."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from telegarde.accounts.models import User
from telegarde.conftest import Personas
from telegarde.documents.actions import do_upload_document
from telegarde.documents.clamd import ClamdAddress, ping
from telegarde.documents.models import Document
from telegarde.documents.worker import scan_due

from .corpus import EICAR

CLAMD = "/usr/sbin/clamd"
# A file that nothing but its hash signature condemns (YARA and the type checks pass it).
HASH_ONLY_SAMPLE = "Résultats biologiques — fichier témoin de Telegarde pour clamd.\n".encode()


@pytest.fixture(autouse=True)
def documents_dir(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "documents"
    settings.DOCUMENTS_DIR = folder
    settings.CLAMD_ADDRESS = None
    settings.YARA_RULES_DIR = None
    # Tests run the scan worker themselves (scan_due), in the test's transaction.
    settings.DOCUMENTS_SCAN = "worker"
    return folder


Upload = Callable[..., Document]


@pytest.fixture
def upload(personas: Personas) -> Upload:
    """``upload(name, data, by=persona, declared="")``: filed into the patient's record."""

    def file(name: str, data: bytes, *, by: User | None = None, declared: str = "") -> Document:
        return do_upload_document(
            SimpleUploadedFile(name, data, content_type=declared),
            patient=personas.patient,
            organisation=personas.organisation,
            acting_user=by or personas.patient,
        )

    return file


@pytest.fixture
def scanned(upload: Upload) -> Callable[..., Document]:
    """Upload, run the scan worker once, and return the document as it is now."""

    def file(name: str, data: bytes, **kwargs: Any) -> Document:
        document = upload(name, data, **kwargs)
        scan_due()
        document.refresh_from_db()
        return document

    return file


@dataclass
class Clamd:
    process: subprocess.Popen[bytes]
    socket: Path
    database: Path
    started_in: float

    @property
    def address(self) -> ClamdAddress:
        return ClamdAddress("unix", path=str(self.socket))

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def write_signatures(database: Path) -> None:
    """An .ndb body signature (hex of the EICAR string) and an .hdb hash signature."""
    database.mkdir(parents=True, exist_ok=True)
    (database / "telegarde-test.ndb").write_text(f"Telegarde.Test.EICAR:0:*:{EICAR.hex()}\n")
    md5 = hashlib.md5(HASH_ONLY_SAMPLE, usedforsecurity=False).hexdigest()
    (database / "telegarde-test.hdb").write_text(
        f"{md5}:{len(HASH_ONLY_SAMPLE)}:Telegarde.Test.HashSample\n"
    )


def start_clamd(folder: Path, database: Path, *, wait: bool = True) -> Clamd:
    """clamd in the foreground with its own configuration (no freshclam, no bytecode)."""
    folder.mkdir(parents=True, exist_ok=True)
    socket = folder / "clamd.sock"
    config = folder / "clamd.conf"
    config.write_text(
        "Foreground yes\n"
        f"LocalSocket {socket}\n"
        f"DatabaseDirectory {database}\n"
        f"TemporaryDirectory {folder}\n"
        "Bytecode no\n"
        "StreamMaxLength 25M\n"
        "LogTime no\n"
    )
    started = time.monotonic()
    process = subprocess.Popen(
        [CLAMD, "--config-file", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    clamd = Clamd(process, socket, database, 0.0)
    if wait:
        deadline = started + 60
        while not ping(clamd.address, timeout=1):
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.communicate(timeout=5)[0] if process.poll() is not None else b""
                process.kill()
                pytest.fail(f"clamd did not answer PING: {output.decode(errors='replace')}")
            time.sleep(0.05)
    clamd.started_in = time.monotonic() - started
    return clamd


@pytest.fixture(scope="session")
def clamd_binary() -> str:
    if shutil.which(CLAMD) is None:
        pytest.fail("clamd is missing: run `make clamav` (installs Debian's clamav-daemon)")
    return CLAMD


@pytest.fixture(scope="session")
def clamd(clamd_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clamd]:
    """A real clamd for the whole session, on a private unix socket."""
    folder = tmp_path_factory.mktemp("clamd")
    write_signatures(folder / "db")
    daemon = start_clamd(folder, folder / "db")
    print(f"clamd answered PING {daemon.started_in:.2f} s after start")
    yield daemon
    daemon.stop()


@pytest.fixture
def with_clamd(settings: Any, clamd: Clamd) -> Clamd:
    settings.CLAMD_ADDRESS = clamd.address
    return clamd
