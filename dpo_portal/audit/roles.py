from dpo_portal.register.models import Role

ROLE_GRANTS = {
    Role.DPO: {"audit.auditevent": "view"},
    Role.COMPLIANCE: {"audit.auditevent": "view"},
    Role.AUDITOR: {"audit.auditevent": "view"},
}
