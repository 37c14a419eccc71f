from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import user_has_device

from .policy import must_present_second_factor

# Pages a signed-in user reaches before the second factor: signing out, choosing a language,
# the admin's translations for scripts, and the second-factor pages themselves.
OPEN_BEFORE_SECOND_FACTOR = {
    "admin:login",
    "admin:logout",
    "admin:jsi18n",
    "set_language",
    "security:enrol",
    "security:verify",
}


class SecondFactorMiddleware:
    """Send a signed-in user who owes a second factor to verification (or enrolment).

    Runs after django_otp's OTPMiddleware, which has marked request.user verified or not. Every
    view is closed except OPEN_BEFORE_SECOND_FACTOR; static files never reach a view here.
    Also adds the Permissions-Policy header, which Django has no setting for.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is not None and match.view_name in OPEN_BEFORE_SECOND_FACTOR:
            return None
        if not must_present_second_factor(request.user):
            return None
        target = reverse("security:verify" if user_has_device(request.user) else "security:enrol")
        return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
