"""Free text about a person in this app, redacted at their erasure (register/erasure.py).

The requester's own fields are blanked whole by services.scrub_requester_details; these are the
texts staff write about the person while answering ("Package sent to <e-mail>", "Deleted
<surname>'s rows…").
"""

from dpo_portal.register.erasure import PersonText

FREE_TEXT = [
    PersonText("requests.SubjectRequest", ("outcome_reason", "extension_reason", "details")),
    PersonText("requests.RequestTask", ("note",), ("request__subject",)),
    PersonText("requests.DeadlineEvent", ("reason",), ("request__subject",)),
    PersonText("requests.ResponseLetter", ("body",), ("request__subject",)),
    PersonText("requests.RequestMessage", ("body",), ("request__subject",)),
]
