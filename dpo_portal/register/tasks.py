from celery import shared_task

from . import reminders


@shared_task
def send_system_registration_reminders():
    """Weekly: tell each organisation's DPOs and compliance officers which systems hold data on
    1,000+ subjects without a state registration. Returns the number of mails sent."""
    return reminders.send_system_registration_reminders()
