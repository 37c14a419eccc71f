"""Intake: gap-free references per organisation and year, and the due date set at receipt."""

import datetime
import threading
import zoneinfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from requests.models import RequestChannel, RequestKind, SubjectRequest
from requests.services import register_request
from tests.factories import Role, make_organisation, make_user

BAKU = zoneinfo.ZoneInfo("Asia/Baku")


def new_request(organisation, **fields):
    fields.setdefault("kind", RequestKind.DELETION)
    fields.setdefault("channel", RequestChannel.EMAIL)
    fields.setdefault("requester_name", "Aysel Məmmədova")
    fields.setdefault("requester_email", "aysel@example.az")
    return SubjectRequest(organisation=organisation, **fields)


def on_the_day(request, *, actor=None):
    """Register as on the day it was received (intake refuses future and unexplained old dates)."""
    return register_request(request, actor=actor, today=request.received_at.astimezone(BAKU).date())


@pytest.mark.django_db
def test_references_count_per_organisation_and_restart_each_year():
    first, second = make_organisation(), make_organisation()
    dpo = make_user(Role.DPO, first, second)
    in_2026 = datetime.datetime(2026, 3, 2, 10, tzinfo=BAKU)
    in_2027 = datetime.datetime(2027, 1, 5, 10, tzinfo=BAKU)

    made = [
        on_the_day(new_request(first, received_at=in_2026), actor=dpo).reference,
        on_the_day(new_request(first, received_at=in_2026), actor=dpo).reference,
        on_the_day(new_request(second, received_at=in_2026), actor=dpo).reference,
        on_the_day(new_request(first, received_at=in_2027), actor=dpo).reference,
    ]

    assert made == ["DSR-2026-00001", "DSR-2026-00002", "DSR-2026-00001", "DSR-2027-00001"]


@pytest.mark.django_db
def test_a_request_received_on_new_years_eve_in_baku_takes_that_years_number():
    organisation = make_organisation()
    # 31 December 22:30 in Baku is still 2026 there, although it is 18:30 UTC.
    received = datetime.datetime(2026, 12, 31, 22, 30, tzinfo=BAKU)
    request = on_the_day(new_request(organisation, received_at=received))
    assert request.reference == "DSR-2026-00001"


@pytest.mark.django_db
def test_a_failed_intake_uses_no_number():
    organisation = make_organisation()
    register_request(new_request(organisation), actor=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        register_request(new_request(organisation), actor=None)
        raise IntegrityError("the insert failed after the number was taken")
    third = register_request(new_request(organisation), actor=None)
    assert third.reference.endswith("-00002")


@pytest.mark.django_db
def test_intake_sets_the_due_date_from_the_regime():
    organisation = make_organisation(regime="az")
    # Friday 13 March 2026: Novruz and Ramazan follow; 7 working days end on 2 April.
    received = datetime.datetime(2026, 3, 13, 17, 0, tzinfo=BAKU)
    request = on_the_day(new_request(organisation, received_at=received))
    assert request.due_on == datetime.date(2026, 4, 2)

    gdpr = make_organisation(regime="gdpr")
    received = datetime.datetime(2026, 1, 31, 12, 0, tzinfo=BAKU)
    request = on_the_day(new_request(gdpr, received_at=received))
    assert request.due_on == datetime.date(2026, 2, 28)


@pytest.mark.django_db(transaction=True)
def test_concurrent_intakes_get_consecutive_numbers_without_duplicates():
    organisation = make_organisation()
    workers, per_worker = 6, 5
    barrier = threading.Barrier(workers)
    errors = []

    def intake():
        try:
            barrier.wait()
            for _ in range(per_worker):
                register_request(new_request(organisation), actor=None)
        except Exception as error:  # reported below; a thread cannot fail the test itself
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=intake) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    references = sorted(
        SubjectRequest.objects.filter(organisation=organisation).values_list("reference", flat=True)
    )
    year = timezone.localdate().year
    assert references == [f"DSR-{year}-{n:05d}" for n in range(1, workers * per_worker + 1)]
