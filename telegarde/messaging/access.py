"""Who may read which threads and whom each person may write to (registered rules).

A thread is read by its participants only, and a practitioner only while they still
practise in the thread's organisation; the patient reads the threads with them, never
the practitioners' threads about them (second opinions).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from telegarde.accounts.access import organisations_for
from telegarde.accounts.models import Membership, User
from telegarde.core.permissions import has_perm, rule

from .models import Message, Thread

Role = Membership.Role


def _reader_filter(user: User) -> Q:
    return Q(kind=Thread.Kind.PATIENT, patient=user) | Q(
        organisation__in=organisations_for(user, Role.PRACTITIONER)
    )


def unread_messages(user: User) -> QuerySet[Message]:
    """Messages written by others that ``user`` has not read yet."""
    return Message.objects.exclude(author=user).exclude(receipts__user=user)


def threads_for(user: User) -> QuerySet[Thread]:
    """Threads ``user`` takes part in and may still read, newest first, with ``unread``."""
    unread = (
        unread_messages(user)
        .filter(thread=OuterRef("pk"))
        .values("thread")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Thread.objects.filter(participants__user=user)
        .filter(_reader_filter(user))
        .annotate(unread=Coalesce(Subquery(unread), 0))
        .select_related("organisation", "patient")
        .order_by("-last_message_at", "-pk")
    )


def access_thread(user: User, external_id: uuid.UUID) -> Thread:
    """The thread, or the same 404 whether it is missing or forbidden."""
    thread = threads_for(user).filter(external_id=external_id).first()
    if thread is None or not has_perm(user, "message.read_thread", thread):
        raise Http404("thread")
    return thread


def _correspondents(user: User, role: str, where_user_is: str) -> QuerySet[Membership]:
    """Active ``role`` memberships of the organisations where ``user`` is ``where_user_is``."""
    return (
        Membership.objects.filter(
            role=role, organisation__in=organisations_for(user, where_user_is), user__is_active=True
        )
        .exclude(user=user)
        .select_related("user", "organisation")
        .order_by("organisation__name", "user__last_name", "user__first_name")
    )


def practitioners_to_write_to(user: User) -> QuerySet[Membership]:
    """For a patient: the practitioners of the organisations where they are a patient."""
    return _correspondents(user, Role.PRACTITIONER, Role.PATIENT)


def patients_to_write_to(user: User) -> QuerySet[Membership]:
    """For a practitioner: the patients of the organisations where they practise."""
    return _correspondents(user, Role.PATIENT, Role.PRACTITIONER)


def colleagues_to_write_to(user: User) -> QuerySet[Membership]:
    """For a practitioner: the other practitioners of the organisations where they practise."""
    return _correspondents(user, Role.PRACTITIONER, Role.PRACTITIONER)


@rule("message.read_thread")
def _read_thread(user: User, thread: Any) -> bool:
    if not isinstance(thread, Thread):
        return False
    seated = thread.participants.filter(user=user).exists()
    return seated and Thread.objects.filter(_reader_filter(user), pk=thread.pk).exists()


@rule("message.post")
def _post(user: User, thread: Any) -> bool:
    return _read_thread(user, thread)
