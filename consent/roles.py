from dpo_portal.register.models import Role

ALL = "view add change delete"

ROLE_GRANTS = {
    Role.DPO: {
        "consent.legalbasis": "view",
        "consent.processingactivity": ALL,
        "consent.privacynotice": ALL,
        "consent.consent": ALL,
    },
    Role.COMPLIANCE: {
        # Legal bases are shared by every organisation: only superusers change them.
        "consent.legalbasis": "view",
        "consent.processingactivity": ALL,
        "consent.privacynotice": ALL,
        "consent.consent": "view",
    },
    Role.MANAGER: {
        "consent.legalbasis": "view",
        "consent.processingactivity": "view",
        "consent.privacynotice": "view",
    },
    Role.AUDITOR: {
        "consent.legalbasis": "view",
        "consent.processingactivity": "view",
        "consent.privacynotice": "view",
        "consent.consent": "view",
    },
}
