"""The privacy centre's forms. Every field has a label and help in the person's language; bad
input comes back with the field's message and nothing typed is lost."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dpo_portal.register.models import FIN_HELP, ID_DOCUMENT_HELP, PHONE_HELP

from .. import attachments, deadlines, lifecycle, services
from ..models import AttachmentKind, RequestKind, SubjectRequest, kinds_for_regime

# Kinds answered without knowing who asks (how data is protected in general) need only a name
# and an address to answer to; every other kind asks how the register may find the person.
IDENTITY_FIELDS = ("requester_fin", "requester_id_document", "requester_phone")
# A correction or an objection says what it is about.
DETAILS_REQUIRED = frozenset({RequestKind.CORRECTION, RequestKind.OBJECTION})


def offered_kinds(organisation, on=None):
    """[(kind, label, plain description)] the organisation's regime offers today: the kinds of
    the version in force (with its plain-language text), else the shipped list."""
    version = deadlines.version_for(organisation.regime, on or timezone.localdate())
    if version is not None:
        offers = list(version.kinds.all())
        return [
            (o.kind, RequestKind(o.kind).label, o.description)
            for o in offers
            if o.kind in RequestKind.values
        ]
    return [(kind.value, kind.label, "") for kind in kinds_for_regime(organisation.regime)]


def needs_identity(kind):
    return kind not in lifecycle.KINDS_WITHOUT_IDENTITY


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if not data:
            return []
        items = data if isinstance(data, (list, tuple)) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class HoneypotMixin(forms.Form):
    # Hidden from people by the stylesheet and from screen readers by aria-hidden on its row;
    # robots fill every field. A filled one is answered like any other, and dropped.
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    @property
    def is_robot(self):
        return bool(self.data.get("website"))


class RequestForm(HoneypotMixin):
    requester_name = forms.CharField(label=_("Your full name"), max_length=200)
    requester_email = forms.EmailField(
        label=_("Your e-mail address"),
        help_text=_("We send a confirmation link here; your request counts once you confirm."),
    )
    requester_fin = forms.CharField(
        label=_("FIN (personal identification number)"),
        max_length=12,
        required=False,
        help_text=FIN_HELP,
    )
    requester_id_document = forms.CharField(
        label=_("Identity document number"),
        max_length=20,
        required=False,
        help_text=ID_DOCUMENT_HELP,
    )
    requester_phone = forms.CharField(
        label=_("Phone"), max_length=30, required=False, help_text=PHONE_HELP
    )
    details = forms.CharField(
        label=_("What you ask"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=5000,
    )
    upload = forms.FileField(
        label=_("Document (optional)"),
        required=False,
        help_text=_(
            "Your signed application or a copy of your identity document: PDF, JPEG, PNG, TIFF "
            "or Word (DOCX)."
        ),
    )
    upload_kind = forms.ChoiceField(
        label=_("The document is"),
        choices=[
            (AttachmentKind.APPLICATION, AttachmentKind.APPLICATION.label),
            (AttachmentKind.ID_COPY, AttachmentKind.ID_COPY.label),
        ],
        required=False,
    )

    def __init__(self, *args, organisation, kind, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation, self.kind = organisation, kind
        if not needs_identity(kind):
            for name in IDENTITY_FIELDS:
                del self.fields[name]
        if kind in DETAILS_REQUIRED:
            self.fields["details"].required = True
            self.fields["details"].help_text = _("Say what should change and why.")

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload:
            attachments.check_upload(upload)
        return upload

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        request = SubjectRequest(
            organisation=self.organisation,
            kind=self.kind,
            **{name: data.get(name, "") or "" for name in self.requester_fields()},
        )
        errors = services.intake_errors(request)
        errors.pop("received_at", None)
        errors.pop("registered_late_reason", None)
        if errors:
            raise ValidationError(errors)
        if data.get("upload") and not data.get("upload_kind"):
            self.add_error("upload_kind", _("Say what the document is."))
        return data

    def requester_fields(self):
        return [name for name in SubjectRequest.REQUESTER_FIELDS if name in self.fields]


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the e-mail"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class StatusLookupForm(HoneypotMixin):
    reference = forms.CharField(label=_("Reference"), max_length=20, help_text="DSR-2026-00042")
    secret = forms.CharField(
        label=_("Secret"),
        max_length=40,
        help_text=_("From the e-mail that confirmed your request."),
        widget=forms.PasswordInput(render_value=True),
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=10_000,
    )
    files = MultipleFileField(
        label=_("Attach files (optional)"),
        required=False,
        help_text=_("PDF, JPEG, PNG, TIFF or Word (DOCX)."),
    )

    def clean_files(self):
        files = self.cleaned_data.get("files") or []
        for upload in files:
            attachments.check_upload(upload)
        return files

    def clean(self):
        data = super().clean()
        if not self.errors and not (data.get("body") or "").strip() and not data.get("files"):
            raise ValidationError(_("Write the message or attach a file."))
        return data
