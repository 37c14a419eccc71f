from dpo_portal.register.models import Role

# Everyone who may start a job sees the jobs of their organisations; the job's own handler
# decides what its result holds.
ROLE_GRANTS = {
    Role.DPO: {"jobs.job": "view"},
    Role.COMPLIANCE: {"jobs.job": "view"},
    Role.MANAGER: {"jobs.job": "view"},
    Role.AUDITOR: {"jobs.job": "view"},
}
