from dpo_portal.register.models import Role

# DPO staff connect systems and keep their maps; compliance officers and auditors read them (a
# map names tables and columns, never a person's data). Runs are written by the services only.
MODELS = ["connectors.connector", "connectors.datamap", "connectors.categorymapping"]
ROLE_GRANTS = {
    Role.DPO: {**dict.fromkeys(MODELS, "view add change"), "connectors.connectorrun": "view"},
    Role.COMPLIANCE: {**dict.fromkeys(MODELS, "view"), "connectors.connectorrun": "view"},
    Role.AUDITOR: {**dict.fromkeys(MODELS, "view"), "connectors.connectorrun": "view"},
}
