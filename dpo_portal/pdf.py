"""PDF rendering for everything the portal prints: letters, certificates, reports.

One way to make a PDF: render an HTML template as for the printable page, then hand the HTML to
WeasyPrint. The renderer never reaches the network: a stylesheet or image is read from the
project's static files (by its /static/ URL) or from a data: URL, and every other URL is refused,
so a letter that quotes a link typed by a person cannot make the server fetch it.
"""

import mimetypes
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

# Relative URLs in a document resolve against this; it names no real host.
_BASE_URL = "http://portal.invalid/"


class StaticFilesOnlyFetcher(URLFetcher):
    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        parts = urlsplit(url)
        if parts.scheme in {"http", "https"} and parts.hostname == "portal.invalid":
            if parts.path.startswith(settings.STATIC_URL):
                found = finders.find(parts.path[len(settings.STATIC_URL) :])
                if found:
                    content_type = mimetypes.guess_type(found)[0] or "application/octet-stream"
                    with open(found, "rb") as handle:
                        return URLFetcherResponse(
                            url, body=handle.read(), headers={"Content-Type": content_type}
                        )
        raise ValueError("A PDF may only use the portal's own static files.")


def html_to_pdf(html: str) -> bytes:
    """The PDF of an HTML document (A4 unless its CSS says otherwise)."""
    return HTML(string=html, base_url=_BASE_URL, url_fetcher=StaticFilesOnlyFetcher()).write_pdf()


def render_pdf(template_name: str, context: dict, *, request=None) -> bytes:
    """Render a template (the same one as the printable page, if it suits) straight to PDF."""
    return html_to_pdf(render_to_string(template_name, context, request=request))
