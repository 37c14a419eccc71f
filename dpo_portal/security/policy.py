"""Who must sign in with a second factor.

Required for superusers, DPOs and compliance officers (they reach people's identifiers or the
whole register), and for every staff member of an organisation that asks for it
(Organisation.second_factor_for_all_staff). Anyone who enrolled a device must use it, required or
not: a factor one may skip protects nothing.
"""

from django.db.models import Q
from django_otp import user_has_device

from dpo_portal.register.models import Membership, Role

ROLES_REQUIRING_SECOND_FACTOR = (Role.DPO, Role.COMPLIANCE)


def second_factor_required(user):
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(
        Q(role__in=ROLES_REQUIRING_SECOND_FACTOR)
        | Q(organisation__second_factor_for_all_staff=True),
        user=user,
    ).exists()


def must_present_second_factor(user):
    """True when this signed-in user has to enter (or first enrol) a second factor."""
    if not user.is_authenticated or user.is_verified():
        return False
    return second_factor_required(user) or user_has_device(user)
