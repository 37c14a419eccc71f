"""The second factor in the admin: devices are never edited by hand (a TOTP key shown on a page
is a key given away); a superuser resets a user's second factor with an audited action."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .services import reset_second_factor

User = get_user_model()

for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)

admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    actions = [*UserAdmin.actions, "reset_second_factor_action"]

    @admin.action(description=_("Reset second factor"), permissions=["reset_second_factor"])
    def reset_second_factor_action(self, request, queryset):
        if request.POST.get("post"):
            for user in queryset:
                reset_second_factor(user, actor=request.user)
            count = len(queryset)
            self.message_user(
                request,
                ngettext(
                    "The second factor of %(count)d user was reset: they enrol again at their "
                    "next sign-in.",
                    "The second factor of %(count)d users was reset: they enrol again at their "
                    "next sign-in.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )
            return None
        return TemplateResponse(
            request,
            "security/reset_second_factor_confirmation.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Reset second factor"),
                "users": queryset,
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def has_reset_second_factor_permission(self, request):
        return request.user.is_superuser
