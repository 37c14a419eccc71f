"""The real IMAP server of the test services (tests/services.sh starts dovecot and exports
IMAP_HOST, IMAP_PORT, IMAP_USER, IMAP_PASSWORD) and messages for it.

Each test reads its own pair of folders (a fresh name per test), so tests sharing the one
mailbox user never see each other's messages.
"""

import datetime
import email.message
import email.utils
import os
import socket
import uuid

import pytest
from imap_tools import MailBoxUnencrypted

from requests.mailbox.models import Mailbox, MailboxSecurity

PASSWORD_ENV = "TEST_INTAKE_IMAP_PASSWORD"


def imap_server():
    try:
        return {
            "host": os.environ["IMAP_HOST"],
            "port": int(os.environ["IMAP_PORT"]),
            "user": os.environ["IMAP_USER"],
            "password": os.environ["IMAP_PASSWORD"],
        }
    except KeyError as missing:
        raise RuntimeError(
            f"{missing} is not set: run the tests through tests/services.sh, which starts the "
            "IMAP server"
        ) from None


def connect(server, folder="INBOX"):
    return MailBoxUnencrypted(server["host"], server["port"]).login(
        server["user"], server["password"], initial_folder=folder
    )


@pytest.fixture
def private_storage(settings, tmp_path):
    """The attachments storage in the test's own directory."""
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "attachments")},
        },
    }
    return tmp_path / "attachments"


@pytest.fixture
def imap(monkeypatch, private_storage):
    """This test's folders on the real IMAP server (its files in private_storage)."""
    server = imap_server()
    tag = uuid.uuid4().hex[:10]
    server["folder"] = f"intake-{tag}"
    server["processed"] = f"done-{tag}"
    with connect(server) as box:
        box.folder.create(server["folder"])
    monkeypatch.setenv(PASSWORD_ENV, server["password"])
    return server


def make_mailbox(organisation, server, **fields):
    values = {
        "host": server["host"],
        "port": server["port"],
        # Plain IMAP, allowed to a server on this machine only (the model refuses it elsewhere).
        "security": MailboxSecurity.PLAIN,
        "username": server["user"],
        "password_env": PASSWORD_ENV,
        "folder": server["folder"],
        "processed_folder": server["processed"],
        **fields,
    }
    mailbox = Mailbox(organisation=organisation, **values)
    mailbox.full_clean()
    mailbox.save()
    return mailbox


def message(
    *,
    sender,
    subject,
    text,
    message_id=None,
    sent_at=None,
    files=(),
    to="dpo@qonshu.example",
):
    """An RFC 5322 message as bytes; ``files`` are (name, bytes, maintype/subtype)."""
    mail = email.message.EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = email.utils.format_datetime(
        sent_at or datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=3)
    )
    mail["Message-ID"] = message_id or email.utils.make_msgid(domain="example.az")
    mail.set_content(text)
    for name, content, mime in files:
        maintype, subtype = mime.split("/")
        mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return mail.as_bytes()


def append(server, *raw_messages):
    with connect(server) as box:
        for raw in raw_messages:
            box.append(raw, server["folder"])


def folder_subjects(server, folder):
    with connect(server, folder) as box:
        return sorted(m.subject for m in box.fetch(mark_seen=False))


def closed_port():
    """A port of 127.0.0.1 where nothing listens (taken and released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
