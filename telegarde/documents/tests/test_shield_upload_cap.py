"""The shield lets a body of the upload cap through on the upload route only."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from telegarde.security.shield.classify import classify
from telegarde.security.shield.protocol import request_problem


def scope(path: str, length: int) -> dict[str, object]:
    return {"type": "http", "path": path, "headers": [(b"content-length", str(length).encode())]}


def test_an_upload_of_the_cap_passes_on_the_upload_route_only(personas: object) -> None:
    upload_path = reverse("documents:upload", args=["3f1c8d6e-2b9a-4d1e-8a7b-0c2d4e6f8a9b"])
    assert classify("http", upload_path) == "upload"
    body = settings.UPLOAD_MAX_BYTES + 64 * 1024  # the file and its multipart framing
    cfg = settings.SHIELD
    assert request_problem(scope(upload_path, body), cfg, "upload") is None
    assert request_problem(scope("/accueil/", body), cfg, classify("http", "/accueil/")) == (
        413, "too_large"
    )  # fmt: skip
    too_big = cfg.body_cap("upload") + 1
    assert request_problem(scope(upload_path, too_big), cfg, "upload") == (413, "too_large")
    assert cfg.body_timeout_for("upload") > cfg.body_timeout
    assert cfg.largest_body() == cfg.body_cap("upload")
