"""A test certification centre made in the suite (root, intermediate, signers), PDFs signed by
pyHanko with its certificates, and a CRL served by a real HTTP server on 127.0.0.1.

Nothing binary is committed: every key, certificate, CRL and PDF is made when a test runs.
"""

import dataclasses
import datetime
import http.server
import io
import threading

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from dpo_portal.pdf import html_to_pdf

NOW = datetime.datetime.now(datetime.UTC)
DAY = datetime.timedelta(days=1)


def _name(common_name, **attributes):
    parts = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    for oid, value in attributes.items():
        parts.append(x509.NameAttribute(getattr(NameOID, oid), value))
    return x509.Name(parts)


@dataclasses.dataclass
class Issued:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def der(self):
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self):
        return self.certificate.public_bytes(serialization.Encoding.PEM)


def _issue(subject, *, issuer=None, ca, not_before=None, not_after=None, crl_url=None, san=None):
    key = ec.generate_private_key(ec.SECP256R1())
    signing_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - 30 * DAY)
        .not_valid_after(not_after or NOW + 365 * DAY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=not ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    if crl_url:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier(crl_url)], None, None, None
                    )
                ]
            ),
            critical=False,
        )
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    return Issued(builder.sign(signing_key, hashes.SHA256()), key)


class CertificationCentre:
    """Root → intermediate → signer certificates, as the national centre issues them."""

    def __init__(self, name="Test Sertifikat Mərkəzi"):
        self.root = _issue(_name(f"{name} Root CA", COUNTRY_NAME="AZ"), ca=True)
        self.intermediate = _issue(
            _name(f"{name} Issuing CA", COUNTRY_NAME="AZ"), issuer=self.root, ca=True
        )

    def signer(self, full_name, fin_value, **options):
        """A signer certificate whose subject serialNumber is ``fin_value`` (e.g. PNOAZ-…)."""
        given, _, surname = full_name.partition(" ")
        subject = _name(
            full_name,
            GIVEN_NAME=given,
            SURNAME=surname or given,
            SERIAL_NUMBER=fin_value,
            COUNTRY_NAME="AZ",
        )
        return _issue(subject, issuer=self.intermediate, ca=False, **options)

    def crl(self, revoked=()):
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.intermediate.certificate.subject)
            .last_update(NOW - DAY)
            .next_update(NOW + DAY)
            .add_extension(x509.CRLNumber(1), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    self.intermediate.key.public_key()
                ),
                critical=False,
            )
        )
        for issued in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(issued.certificate.serial_number)
                .revocation_date(NOW - DAY)
                .build()
            )
        return builder.sign(self.intermediate.key, hashes.SHA256()).public_bytes(
            serialization.Encoding.DER
        )


def application_pdf(text="Ərizə: şəxsi məlumatlarımın silinməsini xahiş edirəm."):
    return html_to_pdf(f"<html lang='az'><body><h1>Ərizə</h1><p>{text}</p></body></html>")


def sign_pdf(data, issued, centre):
    """``data`` signed (PAdES) with ``issued``'s key, the intermediate embedded."""
    key = asn1_keys.PrivateKeyInfo.load(
        issued.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(issued.der),
        signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs(
            [asn1_x509.Certificate.load(centre.intermediate.der)]
        ),
    )
    out = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(data)),
        signers.PdfSignatureMetadata(field_name="Signature1"),
        signer=signer,
    )
    return out.getvalue()


class CrlServer:
    """Serves ``crl`` at /issuing.crl on 127.0.0.1 (a free port) while running."""

    def __init__(self):
        self.crl = b""
        self.requests = 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/pkix-crl")
                self.send_header("Content-Length", str(len(server.crl)))
                self.end_headers()
                self.wfile.write(server.crl)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/issuing.crl"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()
