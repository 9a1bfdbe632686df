"""State changes of secure messaging; each records its security event in the same
transaction. Events never carry a message's content, only its length."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from telegarde.accounts.models import Organisation, User
from telegarde.core.events import record_event
from telegarde.core.outbound import send_verified_mail
from telegarde.core.permissions import has_perm
from telegarde.core.vault import seal_text
from telegarde.documents.actions import do_upload_document

from .access import unread_messages
from .models import Attachment, Message, ReadReceipt, Thread, ThreadParticipant

MAX_MESSAGE_CHARS = 10_000
MAX_ATTACHMENTS = 5


def _event(action: str, thread: Thread, **kwargs: object) -> None:
    record_event(
        action,
        organisation=thread.organisation,
        target=thread,
        target_type="thread",
        **kwargs,  # type: ignore[arg-type]
    )


def clean_body(text: str) -> str:
    """The message text as stored, or a ValidationError on ``body``."""
    text = text.strip()
    if not text:
        raise ValidationError({"body": _("Le message est vide.")})
    if len(text) > MAX_MESSAGE_CHARS:
        raise ValidationError(
            {"body": _("Le message dépasse %(n)d caractères.") % {"n": MAX_MESSAGE_CHARS}}
        )
    return text


@transaction.atomic
def do_start_thread(
    *,
    organisation: Organisation,
    patient: User,
    kind: str,
    recipient: User,
    body: str,
    acting_user: User,
    request: HttpRequest | None = None,
    files: Sequence[UploadedFile[bytes]] = (),
) -> Thread:
    """A new thread about ``patient`` between ``acting_user`` and ``recipient``, with its
    first message. Whom one may write to is decided by the access helpers that offered
    ``recipient``; the thread's kind says whether the patient takes part."""
    text = clean_body(body)
    if kind not in Thread.Kind.values:
        raise ValidationError({"recipient": _("Type de conversation inconnu.")})
    thread = Thread.objects.create(
        organisation=organisation, patient=patient, kind=kind, created_by=acting_user
    )
    seats = {acting_user, recipient}
    if kind == Thread.Kind.PATIENT:
        seats.add(patient)
    ThreadParticipant.objects.bulk_create(ThreadParticipant(thread=thread, user=u) for u in seats)
    _event(
        "message.thread.created",
        thread,
        actor=acting_user,
        request=request,
        data={
            "kind": kind,
            "patient": str(patient.external_id),
            "participants": len(seats),
        },
    )
    do_post_message(thread, text, acting_user=acting_user, request=request, files=files)
    return thread


@transaction.atomic
def do_post_message(
    thread: Thread,
    body: str,
    *,
    acting_user: User,
    request: HttpRequest | None = None,
    files: Sequence[UploadedFile[bytes]] = (),
) -> Message:
    """A message in ``thread``, sealed at rest, with ``files`` filed into the patient's
    record through the documents pipeline (each pending until scanned clean, or refused);
    the other participants are told by mail that there is a new message (nothing more)."""
    if not has_perm(acting_user, "message.post", thread):
        raise ValidationError(_("Vous ne participez pas à cette conversation."))
    text = clean_body(body)
    if len(files) > MAX_ATTACHMENTS:
        too_many = _("Joignez au plus %(n)d fichiers à un message.") % {"n": MAX_ATTACHMENTS}
        raise ValidationError({"attachments": too_many})
    message = Message(thread=thread, author=acting_user)
    message.sealed_body = seal_text(message.context, text)
    message.save()
    for uploaded in files:
        try:
            document = do_upload_document(
                uploaded,
                patient=thread.patient,
                organisation=thread.organisation,
                acting_user=acting_user,
                request=request,
            )
        except PermissionDenied as refused:
            not_here = _("Vous ne pouvez pas joindre de fichier au dossier de ce patient.")
            raise ValidationError({"attachments": not_here}) from refused
        Attachment.objects.create(message=message, document=document)
    thread.last_message_at = message.created
    thread.save(update_fields=["last_message_at"])
    _event(
        "message.posted",
        thread,
        actor=acting_user,
        request=request,
        data={
            "message": str(message.external_id),
            "length": len(text),
            "attachments": len(files),
        },
    )
    _notify_others(thread, message)
    return message


def _notify_others(thread: Thread, message: Message) -> None:
    """One mail per burst: someone who already has an unread message here is not mailed
    again until they have read it."""
    others = User.objects.filter(
        pk__in=thread.participants.exclude(user=message.author).values("user"), is_active=True
    )
    for user in others:
        earlier = unread_messages(user).filter(thread=thread).exclude(pk=message.pk)
        if earlier.exists():
            continue
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("Vous avez un nouveau message")
        send_verified_mail(
            recipient_email=user.email,
            recipient_id=str(user.external_id),
            subject=subject,
            template="messaging/mail/new_message.txt",
            context={},
            purpose="message.notification",
        )


@transaction.atomic
def do_mark_thread_read(
    thread: Thread, *, acting_user: User, request: HttpRequest | None = None
) -> int:
    """Read receipts for every message of ``thread`` that ``acting_user`` had not read;
    returns how many."""
    unread = list(unread_messages(acting_user).filter(thread=thread).values_list("pk", flat=True))
    if not unread:
        return 0
    now = timezone.now()
    # Two tabs reading at once: the second receipt of a message is ignored.
    ReadReceipt.objects.bulk_create(
        [ReadReceipt(message_id=pk, user=acting_user, read_at=now) for pk in unread],
        ignore_conflicts=True,
    )
    _event(
        "message.read", thread, actor=acting_user, request=request, data={"messages": len(unread)}
    )
    return len(unread)


def do_record_thread_read(thread: Thread, *, request: HttpRequest) -> None:
    """Access audit: someone other than the patient read a thread about the patient."""
    if request.user.pk == thread.patient_id:
        return
    record_event(
        "patient.record.viewed",
        request=request,
        organisation=thread.organisation,
        target=thread.patient,
        data={"reason": "message", "record": "messages", "thread": str(thread.external_id)},
    )
