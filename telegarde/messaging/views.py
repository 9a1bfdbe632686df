"""Secure messaging pages: inbox, a thread (read, reply), a new thread. Thin: access,
validate, call the action, respond."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from telegarde.accounts.http import AuthenticatedRequest
from telegarde.core.vault import open_text
from telegarde.scheduling.forms import apply_errors

from . import actions
from .access import access_thread, threads_for
from .forms import NewThreadForm, ReplyForm
from .models import Thread

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
    return _thread_page(request, access_thread(request.user, thread_id), ReplyForm())


@login_required
@require_POST
def reply(request: AuthenticatedRequest, thread_id: uuid.UUID) -> HttpResponse:
    the_thread = access_thread(request.user, thread_id)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            actions.do_post_message(
                the_thread, form.cleaned_data["body"], acting_user=request.user, request=request
            )
            return redirect("messaging:thread", thread_id=the_thread.external_id)
        except ValidationError as error:
            apply_errors(form, error)
    return _thread_page(request, the_thread, form, status=400)


def _thread_page(
    request: AuthenticatedRequest, the_thread: Thread, form: ReplyForm, status: int = 200
) -> HttpResponse:
    """Shows the messages (an audited read of the patient's data) and marks them read."""
    actions.do_record_thread_read(the_thread, request=request)
    actions.do_mark_thread_read(the_thread, acting_user=request.user, request=request)
    messages = the_thread.messages.select_related("author").prefetch_related("receipts__user")
    shown = [
        {
            "message": message,
            "body": open_text(message.context, message.sealed_body),
            "receipts": [r for r in message.receipts.all() if r.user_id != message.author_id],
        }
        for message in messages
    ]
    context = {
        "thread": the_thread,
        "shown": shown,
        "participants": the_thread.participants.select_related("user"),
        "form": form,
    }
    return render(request, "messaging/thread.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def new_thread(request: AuthenticatedRequest) -> HttpResponse:
    form = NewThreadForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            started = actions.do_start_thread(
                **form.start,
                body=form.cleaned_data["body"],
                acting_user=request.user,
                request=request,
            )
            return redirect("messaging:thread", thread_id=started.external_id)
        except ValidationError as error:
            apply_errors(form, error)
    status = 400 if form.is_bound else 200
    return render(request, "messaging/new_thread.html", {"form": form}, status=status)
