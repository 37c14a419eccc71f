"""The grounds on which a subject request may be refused, per regime: code, label, legal reference.

A refusal names one of these (SubjectRequest.refusal_ground holds the code) and a written reason;
the code is stable (it is stored on requests and in audit events), the label and the reference are
what the DPO and the letter show. ``verified`` says whether the reference was checked against the
text of the law; an unverified one is shown as such until someone checks it.

The seeds say the rights "are not absolute: the law may restrict them" (seed 000, 8.2; seed 003,
7.1.1 keeps records the AML/CFT law requires) without naming the articles, hence the flags.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from dpo_portal.register.models import Regime


@dataclass(frozen=True)
class RefusalGround:
    code: str
    label: str
    legal_reference: str
    verified: bool = False

    def __str__(self):
        return f"{self.label} ({self.legal_reference})"


REFUSAL_GROUNDS = {
    Regime.AZERBAIJAN: (
        RefusalGround(
            "identity_not_established",
            _("The requester's identity could not be established"),
            _("Law on Personal Data, art. 7.2; privacy policy 8.3–8.4"),
        ),
        RefusalGround(
            "legal_obligation_to_keep",
            _("A law obliges the organisation to keep the data"),
            _("AML/CFT law: record keeping for at least 5 years after the relationship ends"),
        ),
        RefusalGround(
            "tax_records",
            _("The data belongs to tax records that must be kept"),
            _("Tax Code, art. 71.4"),
        ),
        RefusalGround(
            "legal_claims",
            _("The data is needed for a pending claim or court case"),
            _("Civil Code, art. 373"),
        ),
        RefusalGround(
            "state_security_or_crime",
            _("Disclosure would harm state security, defence or the prevention of crime"),
            _("Law on Personal Data, art. 7.3"),
        ),
        RefusalGround(
            "rights_of_others",
            _("Disclosure would harm the rights and freedoms of other persons"),
            _("Law on Personal Data, art. 7.3"),
        ),
        RefusalGround(
            "right_not_applicable",
            _("The right asked for does not apply to this processing"),
            _("Law on Personal Data, art. 7.2"),
        ),
    ),
    Regime.GDPR: (
        RefusalGround(
            "identity_not_established",
            _("The requester's identity could not be established"),
            _("GDPR Art. 11(2) and 12(2), 12(6)"),
            verified=True,
        ),
        RefusalGround(
            "manifestly_unfounded_or_excessive",
            _("The request is manifestly unfounded or excessive"),
            _("GDPR Art. 12(5)(b)"),
            verified=True,
        ),
        RefusalGround(
            "legal_obligation_to_keep",
            _("A law obliges the organisation to keep the data"),
            _("GDPR Art. 17(3)(b)"),
            verified=True,
        ),
        RefusalGround(
            "legal_claims",
            _("The data is needed for legal claims"),
            _("GDPR Art. 17(3)(e), 18(2), 21(1)"),
            verified=True,
        ),
        RefusalGround(
            "freedom_of_expression",
            _("Freedom of expression and information"),
            _("GDPR Art. 17(3)(a)"),
            verified=True,
        ),
        RefusalGround(
            "public_interest_archiving",
            _("Archiving in the public interest, research or statistics"),
            _("GDPR Art. 17(3)(d) and 89(1)"),
            verified=True,
        ),
        RefusalGround(
            "compelling_legitimate_grounds",
            _("Compelling legitimate grounds override the objection"),
            _("GDPR Art. 21(1)"),
            verified=True,
        ),
        RefusalGround(
            "rights_of_others",
            _("Disclosure would adversely affect the rights and freedoms of others"),
            _("GDPR Art. 15(4) and 20(4)"),
            verified=True,
        ),
        RefusalGround(
            "restricted_by_law",
            _("A Union or Member State law restricts the right"),
            _("GDPR Art. 23"),
            verified=True,
        ),
        RefusalGround(
            "right_not_applicable",
            _("The right asked for does not apply to this processing"),
            _("GDPR Art. 20(1) and 21(1)"),
            verified=True,
        ),
    ),
}

# The longest code, for the model field that stores it.
CODE_MAX_LENGTH = 40


def grounds_for(regime):
    return REFUSAL_GROUNDS.get(regime, ())


def ground_for(regime, code):
    """The ground with this code under the regime, or None (a code of another regime is None)."""
    return next((g for g in grounds_for(regime) if g.code == code), None)


def choices_for(regime):
    """(code, "label — reference") pairs for a select."""
    return [(g.code, f"{g.label} — {g.legal_reference}") for g in grounds_for(regime)]
