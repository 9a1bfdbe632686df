"""The project's upload handler: files are kept in memory (health data never lands
unencrypted in a temporary file) and each one is cut off as soon as it passes
settings.UPLOAD_MAX_BYTES, before it is received whole."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest

# request.META key: [(file name, bytes received when it was cut off), …]
TOO_LARGE_KEY = "telegarde.uploads_too_large"


def uploads_too_large(request: HttpRequest) -> list[tuple[str, int]]:
    return list(request.META.get(TOO_LARGE_KEY, []))


class CappedMemoryUploadHandler(FileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_BYTES:
            self.buffer = io.BytesIO()
            if self.request is not None:
                self.request.META.setdefault(TOO_LARGE_KEY, []).append(
                    (self.file_name or "", self.received)
                )
            raise SkipFile  # the parser reads and discards the rest of this file
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            self.buffer,
            self.field_name,
            self.file_name,
            self.content_type,
            file_size,
            self.charset,
            self.content_type_extra,
        )
