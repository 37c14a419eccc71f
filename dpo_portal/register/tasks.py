from celery import shared_task

from . import reminders


@shared_task
def send_system_registration_reminders():
    """Weekly: tell each organisation's DPOs and compliance officers which systems hold data on
    1,000+ subjects without a state registration. Returns the number of mails sent."""
    return reminders.send_system_registration_reminders()


@shared_task
def send_calendar_decision_reminders():
    """Mondays in December: DPOs are asked to record the Cabinet's decision on the coming year's
    days off, until it is recorded. Returns the number of mails sent."""
    return reminders.send_calendar_decision_reminders()
