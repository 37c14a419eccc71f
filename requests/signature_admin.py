"""E-signatures in the admin: the organisation's trust anchors, and "Verify e-signature" on an
attached PDF of the request page (a confirmation page, then the result with its report).

A request or an attachment of another organisation answers 404; checking needs the right to
change the request; auditors read the results.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dpo_portal.register.scoping import OrganisationScopedAdmin, OrganisationScopedForm

from . import signatures
from .models import RequestAttachment, SignatureValidation, TrustAnchor

# --- Trust anchors ----------------------------------------------------------------------------


class TrustAnchorForm(OrganisationScopedForm):
    certificate_file = forms.FileField(
        label=gettext_lazy("certificate file"),
        help_text=gettext_lazy(
            "The certification centre's root (or intermediate) certificate, PEM or DER. In "
            "production: the roots of the national certification services centre."
        ),
    )

    class Meta:
        model = TrustAnchor
        fields = ["organisation", "name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The certificate of an anchor never changes: a new root is a new anchor.
            del self.fields["certificate_file"]

    def clean_certificate_file(self):
        upload = self.cleaned_data["certificate_file"]
        if upload.size > 64 * 1024:
            raise ValidationError(_("A certificate file is at most 64 KB."))
        self.certificate_data = upload.read()
        self.certificate_facts = signatures.read_ca_certificate(self.certificate_data)
        return upload

    def clean(self):
        cleaned = super().clean()
        facts = getattr(self, "certificate_facts", None)
        organisation = cleaned.get("organisation")
        if (
            facts
            and organisation
            and TrustAnchor.objects.filter(
                organisation=organisation, fingerprint=facts.fingerprint
            ).exists()
        ):
            self.add_error(
                "certificate_file",
                _("This certificate is already a trust anchor of the organisation."),
            )
        return cleaned


@admin.register(TrustAnchor)
class TrustAnchorAdmin(OrganisationScopedAdmin):
    form = TrustAnchorForm
    list_display = ["name", "organisation", "subject", "not_after", "fingerprint"]
    list_filter = ["organisation"]
    search_fields = ["name", "subject", "fingerprint"]
    readonly_fields = ["subject", "fingerprint", "not_before", "not_after", "added_by"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["organisation", "name", "certificate_file"]
        return ["organisation", "name", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            signatures.add_trust_anchor(obj, form.certificate_data, actor=request.user)


@admin.register(SignatureValidation)
class SignatureValidationAdmin(OrganisationScopedAdmin):
    """Read-only: a check is made from the request page and is evidence once made."""

    list_display = ["request", "outcome", "validated_at", "validated_by"]
    list_filter = ["organisation", "outcome"]
    list_select_related = ["organisation", "request", "validated_by"]
    search_fields = ["request__reference"]
    exclude = ["signer_name", "signer_fin", "certificate_subject", "report"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- On the request page ----------------------------------------------------------------------


def admin_urls(model_admin):
    def view(func):
        return model_admin.admin_site.admin_view(
            lambda request, object_id, **kwargs: func(model_admin, request, object_id, **kwargs)
        )

    return [
        path(
            "<path:object_id>/attachments/<int:attachment_id>/verify-signature/",
            view(verify_view),
            name="requests_signature_verify",
        ),
        path(
            "<path:object_id>/signatures/<int:validation_id>/",
            view(result_view),
            name="requests_signature_result",
        ),
    ]


def page_context(request, obj):
    return {
        "signature_checks": signatures.latest_checks(obj),
        "may_check_signature": obj.is_open
        and request.user.has_perm("requests.add_signaturevalidation"),
    }


def _page(model_admin, request, obj, template, **context):
    return TemplateResponse(
        request,
        template,
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.opts,
            "original": obj,
            "request_obj": obj,
            **context,
        },
    )


def verify_view(model_admin, request, object_id, attachment_id):
    obj = model_admin.get_object(request, object_id)
    if obj is None:
        raise Http404
    if not model_admin.has_change_permission(request, obj) or not request.user.has_perm(
        "requests.add_signaturevalidation"
    ):
        raise PermissionDenied
    attachment = get_object_or_404(
        RequestAttachment, pk=attachment_id, request=obj, file_type="PDF", removed_at=None
    )
    error = None
    if request.method == "POST":
        try:
            validation = signatures.check_attachment(attachment, actor=request.user)
        except ValidationError as refused:
            error = " ".join(refused.messages)
        else:
            return redirect("admin:requests_signature_result", obj.pk, validation.pk)
    return _page(
        model_admin,
        request,
        obj,
        "requests/admin/signature_confirmation.html",
        title=_("Verify e-signature"),
        attachment=attachment,
        error=error,
        trust_anchors=TrustAnchor.objects.filter(organisation_id=obj.organisation_id),
        subject_fin=obj.subject.fin if obj.subject_id else "",
    )


def result_view(model_admin, request, object_id, validation_id):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    obj = model_admin.get_object(request, object_id)
    if obj is None or not model_admin.has_view_permission(request, obj):
        raise Http404
    validation = get_object_or_404(
        SignatureValidation.objects.select_related("validated_by", "attachment"),
        pk=validation_id,
        request=obj,
    )
    return _page(
        model_admin,
        request,
        obj,
        "requests/admin/signature_result.html",
        title=_("E-signature check"),
        validation=validation,
    )
