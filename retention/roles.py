from dpo_portal.register.models import Role

ALL = "view add change delete"

ROLE_GRANTS = {
    Role.DPO: {
        "retention.retentionrule": ALL,
        "retention.record": ALL,
        "retention.legalhold": ALL,
        # Batches are made by the sweep, never by hand; the DPO decides them.
        "retention.disposalbatch": "view change approve sweep",
        "retention.retentionsnapshot": "view",
    },
    Role.COMPLIANCE: {
        "retention.retentionrule": "view",
        "retention.legalhold": "view",
    },
    # Managers read the retention report only (aggregates): no Record, hold or batch page.
    Role.MANAGER: {},
    Role.AUDITOR: {
        "retention.retentionrule": "view",
        "retention.record": "view",
        "retention.legalhold": "view",
        "retention.disposalbatch": "view",
        "retention.retentionsnapshot": "view",
    },
}
