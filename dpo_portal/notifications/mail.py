"""The one way the portal renders a mail: a plain-text part that is not HTML-escaped, and an HTML
part that is.

Mail templates live under an ``email/`` folder of a template directory
(``templates/<app>/email/<name>.txt``, optionally ``<name>.html`` beside it). The ``.txt`` is
rendered by the "text" template engine (autoescape off), so ``"AllAll Finance" MMC & Co`` reads
as written, not ``&quot;AllAll Finance&quot; MMC &amp; Co``. The HTML part is the ``.html``
template rendered with autoescape on, or, without one, the text part escaped and broken into
paragraphs. tests/test_mail_templates.py renders every template under an ``email/`` folder.
"""

from dataclasses import dataclass

from django.template import TemplateDoesNotExist
from django.template.defaultfilters import linebreaks_filter
from django.template.loader import render_to_string
from django.utils.html import escape


@dataclass(frozen=True)
class Mail:
    text: str
    html: str


def render_text(template_name, context):
    """A plain-text template (mail body, letter) with nothing HTML-escaped."""
    return render_to_string(template_name, context, using="text")


def render_mail(template_name, context):
    """``template_name`` without its extension, e.g. "requests/email/overdue_reminder"."""
    text = render_text(f"{template_name}.txt", context)
    try:
        html = render_to_string(f"{template_name}.html", context, using="django")
    except TemplateDoesNotExist:
        # escape() always escapes; the text part comes back marked safe, which linebreaks
        # alone would trust.
        html = linebreaks_filter(escape(text))
    return Mail(text=text, html=html)
