"""The access package delivered by an expiring link instead of an e-mail attachment.

The package built by requests/access.py (a background job) is copied into the private
attachments storage under a random name; the person gets a link valid for
PRIVACY_CENTRE["package_link_hours"] and PRIVACY_CENTRE["package_link_downloads"] downloads.
Every download is an audit event; the beat task deletes the file of every link that has expired
or been used up, and the link then answers "expired".
"""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dpo_portal.audit.models import AuditEvent
from dpo_portal.register.models import Organisation

from .. import access, attachments
from ..models import PackageLink
from .links import absolute, digest


class Expired(Exception):
    """The link's time or downloads are used up, or its file is gone."""


def latest_package(request):
    """The newest finished access package of the request (a Job with its ZIP), or None."""
    return access.package_jobs(request).filter(result__isnull=False).first()


@transaction.atomic
def create_link(request, *, actor, now=None):
    """Offer the request's newest access package by link: returns (link, its address)."""
    job = latest_package(request)
    if job is None:
        raise ValidationError(_("Build the access package first: there is none to send."))
    now = now or timezone.now()
    content = bytes(job.result)
    token = secrets.token_urlsafe(32)
    stored = attachments.storage().save(f"{secrets.token_hex(16)}.zip", ContentFile(content))
    limits = settings.PRIVACY_CENTRE
    try:
        link = PackageLink.objects.create(
            organisation_id=request.organisation_id,
            request=request,
            token_digest=digest(token),
            stored_name=stored,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            expires_at=now + datetime.timedelta(hours=limits["package_link_hours"]),
            max_downloads=limits["package_link_downloads"],
            created_by=actor,
        )
    except Exception:
        attachments.storage().delete(stored)
        raise
    AuditEvent.record(
        "requests.package_link_created",
        organisation=request.organisation,
        actor=actor,
        target=request,
        link_id=link.pk,
        job_id=job.pk,
        sha256=link.sha256,
        expires_at=link.expires_at,
        max_downloads=link.max_downloads,
    )
    return link, url_for(request.organisation, token)


def url_for(organisation, token):
    return absolute(
        reverse("privacy:download", kwargs={"organisation": organisation.slug, "token": token})
    )


def link_for_token(organisation, token):
    return (
        PackageLink.objects.filter(organisation=organisation, token_digest=digest(token))
        .select_related("request__organisation")
        .first()
    )


def links_for_person(request):
    return list(request.package_links.order_by("-created_at"))


def filename(link):
    return access.package_filename(link.request)


@transaction.atomic
def take(link, *, now=None):
    """Count one download and open the file; Expired when the link may not give it any more."""
    now = now or timezone.now()
    link = PackageLink.objects.select_for_update().select_related("request").get(pk=link.pk)
    if not link.usable(now):
        raise Expired
    try:
        handle = attachments.storage().open(link.stored_name, "rb")
    except FileNotFoundError:
        raise Expired from None
    PackageLink.objects.filter(pk=link.pk).update(
        downloads=F("downloads") + 1, last_download_at=now
    )
    AuditEvent.record(
        "requests.package_downloaded",
        organisation=Organisation.objects.get(pk=link.organisation_id),
        target=link.request,
        link_id=link.pk,
        download=link.downloads + 1,
        max_downloads=link.max_downloads,
    )
    return handle


def remove_expired(*, now=None):
    """Delete the files of links past their time or their downloads (the beat task). Returns
    the number of files removed; each link's removal is audited."""
    now = now or timezone.now()
    due = PackageLink.objects.filter(file_removed_at__isnull=True).filter(
        Q(expires_at__lte=now) | Q(downloads__gte=F("max_downloads"))
    )
    removed = 0
    storage = attachments.storage()
    for link in due.select_related("request", "organisation"):
        with transaction.atomic():
            PackageLink.objects.filter(pk=link.pk).update(file_removed_at=now, stored_name="")
            AuditEvent.record(
                "requests.package_link_expired",
                organisation=link.organisation,
                target=link.request,
                link_id=link.pk,
                downloads=link.downloads,
            )
            name = link.stored_name
            transaction.on_commit(lambda name=name: storage.delete(name))
        removed += 1
    return removed


def remove_files(request_ids):
    """The requester details of these requests go: their package files go too, at once (the
    links then answer "expired"). Returns the number of files removed."""
    links = PackageLink.objects.filter(request_id__in=request_ids, file_removed_at__isnull=True)
    stored = list(links.exclude(stored_name="").values_list("stored_name", flat=True))
    count = links.update(file_removed_at=timezone.now(), stored_name="")
    storage = attachments.storage()
    transaction.on_commit(lambda: [storage.delete(name) for name in stored])
    return count
