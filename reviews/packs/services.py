"""The pack's jobs: requested once, built by a worker with its progress on the row, swept up
when the broker or a worker lost them, and frozen once presented.

A pack row is the record of the work to do: it is written `queued` before the broker hears of
it (published on commit), a worker takes it with a conditional UPDATE (a second delivery finds
it taken), and one partial unique constraint keeps a second Generate from starting a second job
for the same month and filters.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import FileResponse, Http404
from django.utils import timezone

from metrics.formats import day_label, moment_label
from metrics.windows import month_end
from objectives.models import Perspective
from perfmgmt.celery import app as celery_app
from perfmgmt.models import Membership, Organization, Role, Team
from perfmgmt.periods import last_closed_month, org_now, org_today, working_days_after
from perfmgmt.permissions import can_see_packs
from perfmgmt.selectors import display_name
from perfmgmt.tenancy import org_scope
from perfmgmt.validation import ensure_allowed, ensure_same_org
from reviews.exports import XLSX_TYPE
from reviews.models import (
    ACTIVE_PACK_STATUSES,
    MeetingKind,
    Pack,
    PackStatus,
    ReminderKind,
    ReviewMeeting,
)
from reviews.packs.data import data_as_of, pack_data, scope_key, scoped_kpis
from reviews.packs.pdf import render_pdf
from reviews.packs.xlsx import render_xlsx
from reviews.reminders import deliver, org_link

logger = logging.getLogger(__name__)

PACK_TASK = "reviews.tasks.pack_build_task"
# A queued pack still waiting this long after it was handed to the broker was lost on the way.
REQUEUE_AFTER = dt.timedelta(seconds=120)
OLDEST_MONTH = dt.date(2000, 1, 1)


def _enqueue(pack: Pack) -> None:
    """Hand the pack to a worker once its row has committed; a failed publish is logged, and
    the sweep hands the pack out again when the broker is back."""

    def publish() -> None:
        celery_app.send_task(PACK_TASK, args=(pack.organization_id, str(pack.pk)), retry=False)

    transaction.on_commit(publish, robust=True)


def _check_month(org: Organization, month: dt.date) -> dt.date:
    month = month.replace(day=1)
    this_month = org_today(org).replace(day=1)
    if not OLDEST_MONTH <= month <= this_month:
        raise ValidationError(
            {"month": f"Choose a month from {OLDEST_MONTH:%B %Y} to {this_month:%B %Y}."}
        )
    return month


def _check_filters(
    org: Organization, teams: Sequence[str], perspectives: Sequence[str]
) -> tuple[list[str], list[str]]:
    teams, perspectives = sorted(set(teams)), sorted(set(perspectives))
    with org_scope(org):
        known = set(Team.objects.filter(slug__in=teams).values_list("slug", flat=True))
    unknown = [t for t in teams if t not in known]
    if unknown:
        raise ValidationError(
            {"teams": f"No such team in this organisation: {', '.join(unknown)}."}
        )
    wrong = [p for p in perspectives if p not in Perspective.values]
    if wrong:
        raise ValidationError({"perspectives": f"Not a perspective: {', '.join(wrong)}."})
    return teams, perspectives


def pack_request(
    *,
    org: Organization,
    actor: Membership | None,
    month: dt.date,
    teams: Sequence[str] = (),
    perspectives: Sequence[str] = (),
) -> tuple[Pack, bool]:
    """Start generating the pack of `month`, or find the job already doing it: (pack, started).

    `actor` None is the automatic monthly pack. A pack for the same month and filters that is
    queued or running is that job; any other request makes the next version.
    """
    if actor is not None:
        ensure_allowed(can_see_packs(actor), "Only finance, executives and admins make packs.")
    month = _check_month(org, month)
    teams, perspectives = _check_filters(org, teams, perspectives)
    key = scope_key(teams, perspectives)
    with org_scope(org):
        same = Pack.objects.filter(month=month, scope_key=key)
        for _ in range(3):  # two requests racing for one version: the loser looks again
            active = same.filter(status__in=ACTIVE_PACK_STATUSES).first()
            if active is not None:
                return active, False
            version = (same.aggregate(v=Max("version"))["v"] or 0) + 1
            try:
                with transaction.atomic():
                    pack = Pack.objects.create(
                        organization=org,
                        month=month,
                        teams=teams,
                        perspectives=perspectives,
                        scope_key=key,
                        version=version,
                        automatic=actor is None,
                        requested_by=actor.user if actor else None,
                        step="Waiting for a worker",
                    )
                    _enqueue(pack)
            except IntegrityError:
                continue
            return pack, True
    raise ValidationError("Another pack for this month is being started; try again.")


def pack_retry(*, org: Organization, actor: Membership, pack: Pack) -> Pack:
    """Queue a failed pack again (same version)."""
    ensure_allowed(can_see_packs(actor), "Only finance, executives and admins make packs.")
    with org_scope(org):
        try:
            with transaction.atomic():
                queued = Pack.objects.filter(pk=pack.pk, status=PackStatus.FAILED).update(
                    status=PackStatus.QUEUED,
                    error="",
                    progress=0,
                    step="Waiting for a worker",
                    due_at=timezone.now(),
                    started_at=None,
                    finished_at=None,
                )
                if queued:
                    _enqueue(pack)
        except IntegrityError:
            raise ValidationError("A pack for this month is being generated already.") from None
        if not queued:
            raise ValidationError("Only a pack that failed can be tried again.")
        return Pack.objects.get(pk=pack.pk)


def pack_present(
    *,
    org: Organization,
    actor: Membership,
    pack: Pack,
    meeting: ReviewMeeting | None = None,
) -> Pack:
    """Mark a ready pack as presented: its files are drawn once more from the same snapshot
    with the "as presented" stamp, and never change after that."""
    ensure_allowed(can_see_packs(actor), "Only finance, executives and admins present packs.")
    ensure_same_org(org, meeting=meeting)
    if meeting is not None and meeting.kind != MeetingKind.MONTHLY:
        raise ValidationError({"meeting": "Choose a monthly business review."})
    with org_scope(org):
        try:
            with transaction.atomic():
                done = Pack.objects.filter(
                    pk=pack.pk, status=PackStatus.DONE, presented_at=None
                ).update(
                    presented_at=timezone.now(),
                    presented_by=actor.user,
                    presented_meeting=meeting,
                    status=PackStatus.QUEUED,
                    progress=0,
                    step="Stamping as presented",
                    due_at=timezone.now(),
                )
                if done:
                    _enqueue(pack)
        except IntegrityError:
            raise ValidationError(
                "Another version of this pack is being generated; present it once that is done."
            ) from None
        if not done:
            raise ValidationError("Only a ready pack that was not presented yet can be presented.")
        return Pack.objects.get(pk=pack.pk)


def _progress(pack: Pack, percent: int, step: str) -> None:
    with org_scope(pack.organization):
        Pack.objects.filter(pk=pack.pk, status=PackStatus.RUNNING).update(
            progress=percent, step=step
        )


def _meta(org: Organization, pack: Pack) -> dict[str, Any]:
    requested = display_name(pack.requested_by) if pack.requested_by else "Automatic monthly pack"
    return {
        "version": pack.version,
        "generated_by": requested,
        "generated_at": moment_label(org_now(org, pack.started_at or timezone.now())),
        "data_as_of": moment_label(org_now(org, pack.data_as_of)) if pack.data_as_of else "no data",
    }


def _stamp(org: Organization, pack: Pack) -> dict[str, str] | None:
    if pack.presented_at is None:
        return None
    meeting = pack.presented_meeting
    on = meeting.held_on if meeting else org_now(org, pack.presented_at).date()
    return {"meeting": str(meeting.get_kind_display()) if meeting else "", "on": day_label(on)}


def pack_file_name(pack: Pack, ext: str) -> str:
    return f"{pack.organization.slug}-business-review-{pack.month:%Y-%m}-v{pack.version}.{ext}"


PACK_FILE_TYPES = {
    "pdf": "application/pdf",
    "xlsx": XLSX_TYPE,
}


def pack_file_response(pack: Pack, ext: str) -> FileResponse:
    """One of a ready pack's files as a download that no cache keeps (404 before it is ready);
    the page and the API serve them through here, after their own permission check."""
    stored = pack.pdf if ext == "pdf" else pack.xlsx
    if pack.status != PackStatus.DONE or not stored:
        raise Http404("This pack has no file yet.")
    response = FileResponse(
        stored.open("rb"),
        as_attachment=True,
        filename=pack_file_name(pack, ext),
        content_type=PACK_FILE_TYPES[ext],
    )
    response["Cache-Control"] = "private, no-store"
    return response


def pack_build(*, org: Organization, pack_id: uuid.UUID | str) -> Pack | None:
    """Make the pack's files (the worker's part); None when another worker took it."""
    now = timezone.now()
    with org_scope(org):
        taken = Pack.objects.filter(pk=pack_id, status=PackStatus.QUEUED).update(
            status=PackStatus.RUNNING, started_at=now, progress=5, step="Reading the numbers"
        )
        if not taken:
            return None
        pack = Pack.objects.select_related("organization", "requested_by", "presented_meeting").get(
            pk=pack_id
        )
    try:
        if pack.snapshot is None:
            kpis = scoped_kpis(org=org, teams=pack.teams, perspectives=pack.perspectives)
            pack.data_as_of = data_as_of(org=org, kpis=kpis, month=pack.month)
            pack.snapshot = pack_data(
                org=org, month=pack.month, teams=pack.teams, perspectives=pack.perspectives
            )
            with org_scope(org):
                Pack.objects.filter(pk=pack.pk).update(
                    snapshot=pack.snapshot, data_as_of=pack.data_as_of
                )
        _progress(pack, 35, "Laying out the PDF")
        meta = _meta(org, pack)
        stamp = _stamp(org, pack)
        pdf, pages = render_pdf({"data": pack.snapshot, "pack": pack, "meta": meta, "stamp": stamp})
        _progress(pack, 80, "Writing the workbook")
        stamp_text = f"As presented on {stamp['on']}" if stamp else ""
        workbook = render_xlsx(pack.snapshot, {**meta, "stamp": stamp_text})
        _progress(pack, 95, "Saving the files")
        _save_files(pack, pdf, workbook, pages)
    except Exception as exc:
        logger.exception("Pack %s of organisation %s failed", pack.pk, org.pk)
        pack_fail(
            org=org,
            pack_id=pack.pk,
            error=f"The pack could not be generated ({type(exc).__name__}).",
        )
        return None
    with org_scope(org):
        return Pack.objects.get(pk=pack.pk)


def _save_files(pack: Pack, pdf: bytes, workbook: bytes, pages: int) -> None:
    old = [f.name for f in (pack.pdf, pack.xlsx) if f.name]
    pack.pdf.save(pack_file_name(pack, "pdf"), ContentFile(pdf), save=False)
    pack.xlsx.save(pack_file_name(pack, "xlsx"), ContentFile(workbook), save=False)
    with org_scope(pack.organization):
        saved = Pack.objects.filter(pk=pack.pk, status=PackStatus.RUNNING).update(
            pdf=pack.pdf.name,
            xlsx=pack.xlsx.name,
            pdf_pages=pages,
            status=PackStatus.DONE,
            progress=100,
            step="Ready",
            finished_at=timezone.now(),
        )
    storage = pack.pdf.storage
    # The stamped files replace the unstamped ones; files of a run that lost its row go too.
    for name in old if saved else [pack.pdf.name, pack.xlsx.name]:
        if name:
            storage.delete(name)


def pack_fail(*, org: Organization, pack_id: uuid.UUID | str, error: str) -> bool:
    with org_scope(org):
        return bool(
            Pack.objects.filter(pk=pack_id, status__in=ACTIVE_PACK_STATUSES).update(
                status=PackStatus.FAILED,
                error=error + " Try again; if it fails again, tell your administrator.",
                step="Failed",
                finished_at=timezone.now(),
            )
        )


def packs_sweep(*, now: dt.datetime | None = None) -> list[Pack]:
    """Packs to hand out again (queued, lost by the broker); packs whose worker died are
    closed as failed. Conditional UPDATEs: two beats never act twice."""
    now = now or timezone.now()
    lost = now - dt.timedelta(seconds=settings.TASK_LOST_AFTER)
    again = []
    stale = Pack.objects.with_scopes_disabled().filter(
        status=PackStatus.QUEUED, due_at__lt=now - REQUEUE_AFTER
    )
    for pack in stale:
        if (
            Pack.objects.with_scopes_disabled()
            .filter(pk=pack.pk, status=PackStatus.QUEUED, due_at=pack.due_at)
            .update(due_at=now)
        ):
            again.append(pack)
    dead = Pack.objects.with_scopes_disabled().filter(
        status=PackStatus.RUNNING, started_at__lt=lost
    )
    dead.update(
        status=PackStatus.FAILED,
        step="Failed",
        error="The worker stopped before the pack was finished. Try again.",
        finished_at=now,
    )
    for pack in again:
        with transaction.atomic():
            _enqueue(pack)
    return again


def auto_pack_day(org: Organization, month: dt.date) -> dt.date | None:
    """The day the automatic pack of `month` is made (None: switched off)."""
    if settings.PACK_AUTO_WORKING_DAY <= 0:
        return None
    return working_days_after(month_end(month), settings.PACK_AUTO_WORKING_DAY)


def packs_auto(*, org: Organization, now: dt.datetime | None = None) -> Pack | None:
    """Start the automatic pack of the last closed month on its day, once."""
    month = last_closed_month(org, now)
    day = auto_pack_day(org, month)
    if day is None or org_today(org, now) < day:
        return None
    with org_scope(org):
        if Pack.objects.filter(month=month, automatic=True).exists():
            return None
    try:
        pack, started = pack_request(org=org, actor=None, month=month)
    except ValidationError:
        return None  # another beat made it meanwhile
    return pack if started else None


def pack_announce(*, org: Organization, pack: Pack) -> int:
    """Tell executives and finance that a pack is ready: a link, never the file itself."""
    link = org_link(org, "reviews:packs") + f"?pack={pack.pk}"
    with org_scope(org):
        people = [
            m.user
            for m in Membership.objects.select_related("user").filter(
                role__in=[Role.EXECUTIVE, Role.FINANCE], user__is_active=True
            )
        ]
    subject = f"Business-review pack for {pack.month:%B %Y} is ready ({org.name})"
    return sum(
        deliver(
            org=org,
            user=person,
            kind=ReminderKind.PACK_READY,
            period=f"{pack.month:%Y-%m}",
            subject=subject,
            body=f"Version {pack.version} of the pack is ready (sign in to download):\n{link}",
        )
        for person in people
    )
