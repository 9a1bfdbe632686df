"""Secure messaging pages: inbox, a thread (read, reply), a new thread. Thin: access,
validate, call the action, respond."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from telegarde.accounts.http import AuthenticatedRequest
from telegarde.core.vault import open_text
from telegarde.documents.models import Document
from telegarde.documents.uploads import uploads_too_large
from telegarde.scheduling.forms import apply_errors

from . import actions
from .access import access_thread, threads_for
from .forms import NewThreadForm, ReplyForm
from .models import Message, Thread

INBOX_SIZE = 200


@never_cache
@login_required
@require_GET
def inbox(request: AuthenticatedRequest) -> HttpResponse:
    threads = threads_for(request.user).prefetch_related("participants__user")[:INBOX_SIZE]
    return render(request, "messaging/inbox.html", {"threads": threads})


@never_cache
@login_required
@require_GET
def thread(request: AuthenticatedRequest, thread_id: uuid.UUID) -> HttpResponse:
    return _thread_page(request, access_thread(request.user, thread_id), ReplyForm(None))


@login_required
@require_POST
def reply(request: AuthenticatedRequest, thread_id: uuid.UUID) -> HttpResponse:
    the_thread = access_thread(request.user, thread_id)
    form = ReplyForm(request.POST, request.FILES)
    message = _post(
        request,
        form,
        lambda: actions.do_post_message(
            the_thread,
            form.cleaned_data["body"],
            acting_user=request.user,
            request=request,
            files=form.cleaned_data["attachments"],
        ),
    )
    if message is None:
        return _thread_page(request, the_thread, form, status=400)
    return redirect("messaging:thread", thread_id=the_thread.external_id)


@login_required
@require_http_methods(["GET", "POST"])
def new_thread(request: AuthenticatedRequest) -> HttpResponse:
    form = NewThreadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST":
        started = _post(
            request,
            form,
            lambda: actions.do_start_thread(
                **form.start,
                body=form.cleaned_data["body"],
                acting_user=request.user,
                request=request,
                files=form.cleaned_data["attachments"],
            ),
        )
        if started is not None:
            return redirect("messaging:thread", thread_id=started.external_id)
    status = 400 if form.is_bound else 200
    return render(request, "messaging/new_thread.html", {"form": form}, status=status)


def _post[T: (Message, Thread)](
    request: AuthenticatedRequest, form: Form, action: Callable[[], T]
) -> T | None:
    """Run ``action`` for a valid ``form`` (errors go on the form, the text stays in it);
    a file cut off at the size cap is refused before anything is posted."""
    for name, _size in uploads_too_large(request):
        form.add_error("attachments", _("« %(name)s » est trop volumineux.") % {"name": name})
    if not form.is_valid():
        return None
    try:
        result = action()
    except ValidationError as error:
        apply_errors(form, error)
        return None
    message = result if isinstance(result, Message) else result.messages.get()
    for attachment in message.attachments.select_related("document"):
        if attachment.document.status == Document.Status.REJECTED:
            messages.error(
                request,
                _("« %(name)s » est refusé : %(reason)s.")
                % {
                    "name": attachment.document.name,
                    "reason": attachment.document.get_verdict_display().lower(),
                },
            )
    return result


def _thread_page(
    request: AuthenticatedRequest, the_thread: Thread, form: ReplyForm, status: int = 200
) -> HttpResponse:
    """Shows the messages (an audited read of the patient's data) and marks them read."""
    actions.do_record_thread_read(the_thread, request=request)
    actions.do_mark_thread_read(the_thread, acting_user=request.user, request=request)
    shown = [
        {
            "message": message,
            "body": open_text(message.context, message.sealed_body),
            "receipts": [r for r in message.receipts.all() if r.user_id != message.author_id],
            "attachments": [a.document for a in message.attachments.all()],
        }
        for message in the_thread.messages.select_related("author").prefetch_related(
            "receipts__user", "attachments__document"
        )
    ]
    context = {
        "thread": the_thread,
        "shown": shown,
        "participants": the_thread.participants.select_related("user"),
        "form": form,
    }
    return render(request, "messaging/thread.html", context, status=status)
