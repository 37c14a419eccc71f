from dpo_portal.register.models import Role

ALL = "view add change delete"

# The retention report's permission, retention.view_retention_report (RetentionSnapshot's
# Meta.permissions), spelled as "<app>.<name>": "<action>" so it fits the grant format.
REPORT = {"retention.retention_report": "view"}

ROLE_GRANTS = {
    Role.DPO: {
        **REPORT,
        "retention.retentionrule": ALL,
        "retention.record": ALL,
        "retention.legalhold": ALL,
        # Batches are made by the sweep, never by hand; the DPO decides them.
        "retention.disposalbatch": "view change approve sweep",
        "retention.retentionsnapshot": "view",
    },
    Role.COMPLIANCE: {
        **REPORT,
        "retention.retentionrule": "view",
        "retention.legalhold": "view",
    },
    # Managers read the retention report only (aggregates): no Record, hold or batch page.
    Role.MANAGER: {**REPORT},
    Role.AUDITOR: {
        **REPORT,
        "retention.retentionrule": "view",
        "retention.record": "view",
        "retention.legalhold": "view",
        "retention.disposalbatch": "view",
        "retention.retentionsnapshot": "view",
    },
}
