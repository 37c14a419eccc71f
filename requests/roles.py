from dpo_portal.register.models import Role

ROLE_GRANTS = {
    # DPO staff triage and answer requests. A request is never deleted, even by them: a
    # mistaken intake is closed as withdrawn, so the register of requests has no gaps. The
    # report permission is requests.report_subjectrequest (SubjectRequest's Meta.permissions).
    Role.DPO: {
        "requests.subjectrequest": "view add change report",
        "requests.requesttask": "view add change",
        "requests.taskreceipt": "view",
        "requests.responseletter": "view add",
        "requests.deadlineevent": "view add",
        "requests.requestattachment": "view add",
        "requests.lettertemplate": "view add change",
        "requests.mailbox": "view add change",
        "requests.incomingmail": "view change",
        "requests.trustanchor": "view add change delete",
        "requests.signaturevalidation": "view add",
    },
    # Managers see the request report only: aggregates, never a request or a requester.
    Role.MANAGER: {"requests.subjectrequest": "report"},
    Role.AUDITOR: {
        "requests.subjectrequest": "view report",
        "requests.requesttask": "view",
        "requests.taskreceipt": "view",
        "requests.responseletter": "view",
        "requests.deadlineevent": "view",
        "requests.requestattachment": "view",
        "requests.lettertemplate": "view",
        "requests.mailbox": "view",
        "requests.incomingmail": "view",
        "requests.trustanchor": "view",
        "requests.signaturevalidation": "view",
    },
}
