"""The demo's deletion request blocked in part by an AML/CFT hold: there once, however often the
demo loads, with the screening system kept under the hold and the others erased."""

import io
import random

import pytest

from dpo_portal.register import demo as register_demo
from requests.demo_fulfilment import HOLD_REFERENCE, load_blocked_deletion
from requests.models import KeptReason, RequestKind, SubjectRequest, TaskStatus
from retention.models import LegalHold

pytestmark = pytest.mark.django_db


def test_demo_deletion_is_blocked_in_part_by_the_aml_hold_and_loads_once():
    random.seed(42)
    register_demo.load(io.StringIO(), 5)

    load_blocked_deletion(io.StringIO())
    load_blocked_deletion(io.StringIO())

    request = SubjectRequest.objects.get(kind=RequestKind.DELETION)
    assert request.is_open
    tasks = {task.system.code: task for task in request.tasks.select_related("system")}
    assert set(tasks) >= {"core-loans", "crm", "aml-screening"}
    assert tasks["aml-screening"].status == TaskStatus.KEPT
    assert tasks["aml-screening"].kept_reason == KeptReason.LEGAL_HOLD
    assert tasks["core-loans"].status == TaskStatus.DONE
    assert tasks["crm"].status == TaskStatus.DONE
    assert LegalHold.objects.filter(reference=HOLD_REFERENCE).count() == 1
