"""Free text about a person in this app, redacted at their erasure (register/erasure.py)."""

from dpo_portal.register.erasure import PersonText

FREE_TEXT = [
    # Only its admin log line: the external id is the system's key of the disposal evidence and
    # part of a unique constraint, so it is not rewritten.
    PersonText("retention.Record"),
    PersonText(
        "retention.LegalHold",
        ("reason", "reference", "release_reason"),
        ("subject", "record__subject"),
    ),
]
