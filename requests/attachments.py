"""Files that come with a request: the scanned application, the identity document copy, letters
and e-mails from the requester.

They are kept in the private "attachments" storage (settings.STORAGES), never under MEDIA_ROOT
or STATIC_ROOT and never given a URL: the request page's download view checks organisation and
role and streams the file. A file is accepted by what it is, not by what it is called: its first
bytes must be those of a PDF, JPEG, PNG, TIFF, DOCX or e-mail (.eml) message. On disk it gets a
random name, so no path says whose it is. When the requester details are scrubbed the files go
from storage (after the scrub's transaction commits, so a rolled-back scrub loses nothing).
"""

import email.parser
import email.policy
import io
import secrets
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from dpo_portal.audit.models import AuditEvent

from .models import AttachmentKind, RequestAttachment

STORAGE_ALIAS = "attachments"
ACCEPTED_TYPES = ("PDF", "JPEG", "PNG", "TIFF", "DOCX", "EML")
CONTENT_TYPES = {
    "PDF": "application/pdf",
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "TIFF": "image/tiff",
    "DOCX": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "EML": "message/rfc822",
}
EXTENSIONS = {
    "PDF": "pdf",
    "JPEG": "jpg",
    "PNG": "png",
    "TIFF": "tif",
    "DOCX": "docx",
    "EML": "eml",
}
# Headers every mail client writes; a message needs two of them among its first lines.
_EMAIL_HEADERS = {"from", "to", "subject", "date", "message-id", "mime-version", "received"}


def storage():
    return storages[STORAGE_ALIAS]


def max_bytes():
    return settings.REQUEST_ATTACHMENT_MAX_BYTES


def detect_type(head: bytes, file) -> str | None:
    """The file's type from its content (one of ACCEPTED_TYPES), or None."""
    if head.startswith(b"%PDF-"):
        return "PDF"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if head.startswith(b"PK\x03\x04"):
        return "DOCX" if _is_docx(file) else None
    if _is_email(head):
        return "EML"
    return None


def _is_docx(file):
    """A Word document is a zip whose content types declare the main document part."""
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" not in names or "word/document.xml" not in names:
                return False
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > 1024 * 1024:  # a zip bomb in disguise
                return False
            return b"wordprocessingml.document.main" in archive.read(info)
    except (zipfile.BadZipFile, KeyError, OSError):
        return False
    finally:
        file.seek(0)


def _is_email(head):
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = head.decode("latin-1") if b"\x00" not in head else ""
        except UnicodeDecodeError:
            return False
    if "\x00" in text or not text.strip():
        return False
    headers = email.parser.Parser(policy=email.policy.compat32).parse(
        io.StringIO(text), headersonly=True
    )
    return len({key.lower() for key in headers.keys()} & _EMAIL_HEADERS) >= 2


def check_upload(upload):
    """Refuse a file that is too big or not one of the accepted types; return its type."""
    if upload.size > max_bytes():
        raise ValidationError(
            _("The file is %(size)s; an attachment may be at most %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(max_bytes())}
        )
    if upload.size == 0:
        raise ValidationError(_("The file is empty."))
    upload.seek(0)
    head = upload.read(4096)
    upload.seek(0)
    file_type = detect_type(head, upload)
    if file_type is None:
        raise ValidationError(
            _(
                "This file is not a PDF, JPEG, PNG, TIFF, Word (DOCX) document or e-mail (EML), "
                "whatever its name says: it was not attached."
            )
        )
    return file_type


@transaction.atomic
def attach_file(request, upload, *, kind, actor):
    """Keep ``upload`` with the request under a random name; return the attachment."""
    if kind not in AttachmentKind.values:
        raise ValidationError(_("Say what the document is."))
    if request.requester_scrubbed:
        raise ValidationError(_("The requester details of this request have been removed."))
    file_type = check_upload(upload)
    stored_name = f"{secrets.token_hex(16)}.{EXTENSIONS[file_type]}"
    stored_name = storage().save(stored_name, upload)
    try:
        attachment = RequestAttachment.objects.create(
            organisation_id=request.organisation_id,
            request=request,
            kind=kind,
            file_type=file_type,
            size=upload.size,
            stored_name=stored_name,
            original_name=(upload.name or "")[:255],
            uploaded_by=actor,
        )
    except Exception:
        storage().delete(stored_name)  # no file left behind without its row
        raise
    AuditEvent.record(
        "requests.attachment_added",
        organisation=request.organisation,
        actor=actor,
        target=request,
        attachment_id=attachment.pk,
        document=kind,
        file_type=file_type,
        size=upload.size,
    )
    return attachment


def open_file(attachment):
    if attachment.is_removed or not attachment.stored_name:
        raise FileNotFoundError
    return storage().open(attachment.stored_name, "rb")


def download_name(attachment):
    """A name for the browser that says what the file is, not whose it is."""
    return (
        f"{attachment.request.reference}-{attachment.kind}-{attachment.pk}."
        f"{EXTENSIONS[attachment.file_type]}"
    )


def remove_files(request_ids):
    """Forget the attachments of these requests: names blanked now, files deleted from storage
    once the transaction commits. Returns the number of attachments removed."""
    attachments = RequestAttachment.objects.filter(
        request_id__in=request_ids, removed_at__isnull=True
    )
    stored = list(attachments.exclude(stored_name="").values_list("stored_name", flat=True))
    count = attachments.update(original_name="", stored_name="", removed_at=timezone.now())

    def delete_from_storage():
        files = storage()
        for name in stored:
            files.delete(name)

    transaction.on_commit(delete_from_storage)
    return count
