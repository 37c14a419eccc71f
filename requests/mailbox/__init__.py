"""Mailbox intake: each organisation may name an IMAP mailbox; a beat task reads it, every new
message becomes a draft in the incoming-mail view (or, quoting a request's reference, joins that
request's conversation), and the DPO turns a draft into a request or discards it.

models.py   the mailbox setting, the drafts and their attachments
fetch.py    reading the mailbox (imap-tools): drafts, acknowledgements, threading, moving
services.py the DPO's decisions on a draft: a request through the intake service, or discarded
admin.py    the mailbox settings and the incoming-mail view
"""
