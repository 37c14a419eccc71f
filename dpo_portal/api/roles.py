from dpo_portal.register.models import Role

ROLE_GRANTS = {
    # The DPO creates and revokes a system's tokens and webhooks (on the system's page).
    Role.DPO: {
        "api.apitoken": "view add change",
        "api.webhookendpoint": "view add change",
        "api.webhookdelivery": "view",
    },
    Role.AUDITOR: {
        "api.apitoken": "view",
        "api.webhookendpoint": "view",
        "api.webhookdelivery": "view",
    },
}
