"""The public status page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from telegarde.consultation.models import StatusNotice

URL = reverse("status")


def test_it_says_all_is_well_to_anyone(client: Client, db: Any) -> None:
    response = client.get(URL)

    assert response.status_code == 200
    assert response.context["overall"] == "ok"
    assert response["Refresh"] == "60"


def test_it_shows_a_current_notice_as_degraded(client: Client, db: Any) -> None:
    StatusNotice.objects.create(level="degraded", message="Vidéo instable chez un opérateur")

    response = client.get(URL)

    assert response.context["overall"] == "degraded"
    assert "Vidéo instable chez un opérateur" in response.content.decode()


def test_it_shows_an_outage(client: Client, db: Any) -> None:
    StatusNotice.objects.create(level="outage", message="Panne")

    assert client.get(URL).context["overall"] == "outage"


def test_it_leaves_out_past_and_future_notices(client: Client, db: Any) -> None:
    now = timezone.now()
    StatusNotice.objects.create(
        level="outage", message="Hier", starts_at=now - timedelta(2), ends_at=now - timedelta(1)
    )
    StatusNotice.objects.create(level="maintenance", message="Demain", starts_at=now + timedelta(1))

    response = client.get(URL)

    assert response.context["overall"] == "ok"
    assert list(response.context["notices"]) == []
