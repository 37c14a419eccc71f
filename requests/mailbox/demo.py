"""The demo's mailbox: Qonshu names its data-protection address (seed 003 §1.3, §7.1). The
password's variable is not set in the demo, so the admin and the dashboard say so and the fetch
does not try the server; two messages wait in the incoming-mail view as if read from it."""

import datetime
import secrets

from django.utils import timezone

from dpo_portal.register.models import Organisation

from .models import IncomingMail, Mailbox, MailboxSecurity

MESSAGES = [
    {
        "sender_name": "Rəşad Məmmədov",
        "sender_email": "rashad.mammadov@example.az",
        "subject": "Şəxsi məlumatlarımın silinməsi",
        "body": (
            "Salam.\n\nQonshu tətbiqindəki hesabımı bağlamışam. Xahiş edirəm, məndə olan bütün "
            "şəxsi məlumatlarımı silin.\n\nHörmətlə,\nRəşad Məmmədov"
        ),
        "days_ago": 1,
    },
    {
        "sender_name": "",
        "sender_email": "news@supplier.example",
        "subject": "Yeni qiymət təklifimiz",
        "body": "Hörmətli tərəfdaş, yeni xidmət paketlərimiz haqqında məlumat əlavə olunur.",
        "days_ago": 2,
    },
]


def load(stdout):
    organisation = Organisation.objects.filter(slug="qonshu").first()
    if organisation is None:
        return
    mailbox, created = Mailbox.objects.get_or_create(
        organisation=organisation,
        defaults={
            "host": "imap.qonshu.example",
            "port": 993,
            "security": MailboxSecurity.TLS,
            "username": "dpo@qonshu.example",
            "password_env": "QONSHU_IMAP_PASSWORD",
        },
    )
    if not created:
        stdout.write("Mailbox: the demo mailbox exists already, nothing added.")
        return
    now = timezone.now()
    for item in MESSAGES:
        IncomingMail.objects.create(
            organisation=organisation,
            mailbox=mailbox,
            message_key=secrets.token_hex(32),
            sender_name=item["sender_name"],
            sender_email=item["sender_email"],
            subject=item["subject"],
            body=item["body"],
            sent_at=now - datetime.timedelta(days=item["days_ago"]),
        )
    stdout.write(f"Mailbox: Qonshu's mailbox and {len(MESSAGES)} messages waiting.")
