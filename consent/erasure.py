"""Free text about a person in this app, redacted at their erasure (register/erasure.py)."""

from dpo_portal.register.erasure import PersonText

FREE_TEXT = [
    # The consent row stays as proof of past lawful processing; its admin log line names the
    # person ("<name> · Service contracts") and its evidence reference may ("form signed by …").
    PersonText("consent.Consent", ("evidence_reference",)),
]
