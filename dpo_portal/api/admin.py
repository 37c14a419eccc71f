"""Tokens and webhooks on the System's page, and their own pages.

A DPO creates a token from the system's page (name, scopes, expiry); the next page shows the
secret once — it is not stored — and the lists show it masked, with when and from where it was
last used. Revoking is an action with a confirmation page. The System admin is the register's,
with the API's inlines added (the register does not know the API).
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from dpo_portal.deletion import NeverDeletedAdmin, NeverDeletedInline
from dpo_portal.register import admin as register_admin
from dpo_portal.register.models import System
from dpo_portal.register.scoping import OrganisationScopedAdmin

from . import services
from .models import ApiToken, Scope, WebhookDelivery, WebhookEndpoint


def token_state(token):
    if token.is_revoked:
        return _("Revoked")
    if token.is_expired:
        return _("Expired")
    return _("Active")


def scope_labels(token):
    return ", ".join(str(Scope(scope).label) for scope in token.scopes if scope in Scope.values)


class ApiTokenInline(NeverDeletedInline, admin.TabularInline):
    model = ApiToken
    extra = 0
    fields = [
        "name",
        "masked",
        "scope_list",
        "expires_at",
        "last_used_at",
        "last_used_from",
        "state",
    ]
    readonly_fields = fields
    template = "api/admin/token_inline.html"
    verbose_name_plural = _("API tokens")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("token"))
    def masked(self, obj):
        return obj.masked

    @admin.display(description=_("scopes"))
    def scope_list(self, obj):
        return scope_labels(obj)

    @admin.display(description=_("state"))
    def state(self, obj):
        return token_state(obj)


class WebhookDeliveryInline(NeverDeletedInline, admin.TabularInline):
    model = WebhookDelivery
    fk_name = "endpoint"
    extra = 0
    fields = ["event", "status", "attempts", "last_error", "last_attempt_at", "delivered_at"]
    readonly_fields = fields
    verbose_name_plural = _("Deliveries")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class WebhookInline(NeverDeletedInline, admin.TabularInline):
    """The system's webhooks with their last delivery's state (the deliveries are on the
    webhook's own page)."""

    model = WebhookEndpoint
    extra = 0
    fields = ["url", "active", "last_delivery"]
    readonly_fields = fields
    verbose_name_plural = _("Webhooks")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("last delivery"))
    def last_delivery(self, obj):
        delivery = obj.deliveries.order_by("-created_at", "-pk").first()
        if delivery is None:
            return "—"
        text = _("%(status)s after %(attempts)s attempts") % {
            "status": delivery.get_status_display(),
            "attempts": delivery.attempts,
        }
        if delivery.last_error:
            text = f"{text}: {delivery.last_error}"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:api_webhookendpoint_change", args=[obj.pk]),
            text,
        )


admin.site.unregister(System)


@admin.register(System)
class SystemAdmin(register_admin.SystemAdmin):
    inlines = [*register_admin.SystemAdmin.inlines, ApiTokenInline, WebhookInline]


class TokenCreateForm(forms.Form):
    system = forms.ModelChoiceField(queryset=System.objects.none(), label=_("system"))
    name = forms.CharField(
        label=_("name"),
        max_length=100,
        help_text=_("What uses it, e.g. “loan system nightly push”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    expires_on = forms.DateField(
        label=_("expires on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The token stops working at the start of this day (Baku time)."),
    )

    def __init__(self, *args, systems, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = systems

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day <= timezone.localdate():
            raise ValidationError(_("The expiry must be in the future."))
        if day > timezone.localdate() + datetime.timedelta(days=3 * 366):
            raise ValidationError(_("At most three years ahead: plan a rotation."))
        return day


@admin.register(ApiToken)
class ApiTokenAdmin(NeverDeletedAdmin, OrganisationScopedAdmin):
    list_display = [
        "name",
        "system",
        "masked",
        "scope_list",
        "expires_at",
        "last_used_at",
        "last_used_from",
        "state",
    ]
    list_filter = ["system", "organisation"]
    list_select_related = ("system", "organisation")
    search_fields = ["name", "prefix"]
    actions = ["revoke"]
    fields = [
        "organisation",
        "system",
        "name",
        "masked",
        "scope_list",
        "expires_at",
        "created_by",
        "created_at",
        "last_used_at",
        "last_used_from",
        "revoked_at",
        "revoked_by",
    ]
    readonly_fields = fields

    masked = ApiTokenInline.masked
    scope_list = ApiTokenInline.scope_list
    state = ApiTokenInline.state

    def has_change_permission(self, request, obj=None):
        # Nothing of a token is edited; the change permission lets a DPO revoke (the action).
        return obj is None and super().has_change_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not super().has_change_permission(request):
            actions.pop("revoke", None)
        return actions

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        systems = System.objects.order_by("name")
        if not request.user.is_superuser:
            systems = systems.filter(organisation_id__in=self.organisation_ids(request, "add"))
        form = TokenCreateForm(
            request.POST or None,
            systems=systems,
            initial={
                "system": request.GET.get("system"),
                "scopes": list(Scope.values),
                "expires_on": timezone.localdate() + datetime.timedelta(days=365),
            },
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Create an API token"),
            "form": form,
            "media": self.media + form.media,
        }
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            expires_at = timezone.make_aware(
                datetime.datetime.combine(data["expires_on"], datetime.time())
            )
            token, secret = services.create_token(
                data["system"],
                name=data["name"],
                scopes=data["scopes"],
                expires_at=expires_at,
                actor=request.user,
            )
            context.update(title=_("API token created"), token=token, secret=secret)
            response = TemplateResponse(request, "api/admin/token_created.html", context)
            # The secret is on this page only: no cache keeps it.
            response["Cache-Control"] = "no-store"
            return response
        return TemplateResponse(request, "api/admin/token_create.html", context)

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        tokens = [t for t in queryset.select_related("system") if not t.is_revoked]
        if request.POST.get("post") == "yes":
            for token in tokens:
                services.revoke_token(token, actor=request.user)
            self.message_user(
                request,
                ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", len(tokens))
                % {"n": len(tokens)},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Revoke API tokens"),
            "opts": self.opts,
            "queryset": tokens,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, "api/admin/token_revoke_confirmation.html", context)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(NeverDeletedAdmin, OrganisationScopedAdmin):
    list_display = ["url", "system", "active", "organisation"]
    list_filter = ["system", "organisation"]
    fields = ["organisation", "system", "url", "active"]
    inlines = [WebhookDeliveryInline]

    def get_readonly_fields(self, request, obj=None):
        return ["organisation", "system", "url"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        endpoint, secret = services.add_webhook(obj.system, url=obj.url, actor=request.user)
        obj.pk, obj.secret = endpoint.pk, secret
        return None

    def response_add(self, request, obj, post_url_continue=None):
        # The signing secret, once: every delivery is signed with it (X-DPO-Signature).
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Webhook added"),
            "endpoint": obj,
            "secret": obj.secret,
        }
        response = TemplateResponse(request, "api/admin/webhook_created.html", context)
        response["Cache-Control"] = "no-store"
        return response
