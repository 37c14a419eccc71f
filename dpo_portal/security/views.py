"""The second-factor pages: enrol an authenticator app (QR code and secret as text), receive the
recovery codes once, and verify at each sign-in with a code from the app or a recovery code.

They look like the admin (its base template and context) and are reached only by a signed-in
staff member: SecondFactorMiddleware sends them here with ?next=.
"""

import base64
from urllib.parse import urlencode

import django_otp
import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

AUTHENTICATOR_NAME = "authenticator"
RECOVERY_CODES_NAME = "recovery codes"


class TokenForm(forms.Form):
    otp_token = forms.CharField(
        label=_("Code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "text"}
        ),
    )

    def clean_otp_token(self):
        return "".join(self.cleaned_data["otp_token"].split()).lower()


def _next_url(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("admin:index")


def _to(view_name, request):
    return redirect(f"{reverse(view_name)}?{urlencode({'next': _next_url(request)})}")


def _page(request, template, **context):
    return render(
        request,
        template,
        {
            **admin.site.each_context(request),
            # The app list would only lead back here until the second factor is entered.
            "is_nav_sidebar_enabled": False,
            "next": _next_url(request),
            **context,
        },
    )


def _qr_svg(text):
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


def _secret_text(device):
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def issue_recovery_codes(user):
    """Replace the user's recovery codes with a fresh set, returned once in clear."""
    StaticDevice.objects.filter(user=user, name=RECOVERY_CODES_NAME).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_CODES_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.SECOND_FACTOR_RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@never_cache
@sensitive_post_parameters("otp_token")
@staff_member_required
def enrol(request):
    user = request.user
    if django_otp.user_has_device(user):
        return _to("security:verify", request)
    # One pending (unconfirmed) device per user, so a reload shows the same secret.
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice(
        user=user, name=AUTHENTICATOR_NAME, confirmed=False
    )
    if device.pk is None:
        device.save()
    form = TokenForm(request.POST or None)
    if form.is_valid():
        verified, _detail = device.verify_is_allowed()
        if verified and device.verify_token(form.cleaned_data["otp_token"]):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                codes = issue_recovery_codes(user)
            django_otp.login(request, device)
            return _page(request, "security/recovery_codes.html", codes=codes)
        form.add_error("otp_token", _("This code is not right. Enter the code the app shows now."))
    return _page(
        request,
        "security/enrol.html",
        title=_("Set up your second factor"),
        form=form,
        qr_svg=_qr_svg(device.config_url),
        secret=_secret_text(device),
    )


@never_cache
@sensitive_post_parameters("otp_token")
@staff_member_required
def verify(request):
    if not django_otp.user_has_device(request.user):
        return _to("security:enrol", request)
    form = TokenForm(request.POST or None)
    if form.is_valid():
        device = django_otp.match_token(request.user, form.cleaned_data["otp_token"])
        if device is not None:
            django_otp.login(request, device)
            return redirect(_next_url(request))
        form.add_error(
            "otp_token",
            _("This code is not right, or was already used. Enter the code the app shows now."),
        )
    return _page(request, "security/verify.html", title=_("Second factor"), form=form)
