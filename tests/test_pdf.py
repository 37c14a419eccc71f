"""The one PDF renderer: Azerbaijani text survives, and nothing outside the portal is fetched."""

import subprocess

from dpo_portal.pdf import StaticFilesOnlyFetcher, html_to_pdf


def pdf_text(pdf: bytes) -> str:
    """The text of a PDF as a reader would copy it (poppler's pdftotext)."""
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def test_azerbaijani_letters_are_kept_in_the_pdf():
    pdf = html_to_pdf("<h1>Məlumat subyekti: Şəhla Ağayeva</h1><p>Çıxarış</p>")

    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert "Məlumat subyekti: Şəhla Ağayeva" in text
    assert "Çıxarış" in text


def test_the_portals_static_files_are_read_and_other_urls_refused():
    fetcher = StaticFilesOnlyFetcher()

    stylesheet = fetcher.fetch("http://portal.invalid/static/admin/css/base.css")
    assert stylesheet.headers.get_content_type() == "text/css"
    assert b"body" in stylesheet.read()
    for url in ("http://example.org/x.png", "file:///etc/passwd", "http://portal.invalid/admin/"):
        try:
            fetcher.fetch(url)
        except ValueError:
            continue
        raise AssertionError(f"{url} was fetched")
