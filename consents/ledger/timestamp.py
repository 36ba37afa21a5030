"""RFC 3161 time-stamp tokens over each brand's day file, as İYS's `/agreements/{reportDate}/timestamp` serves
them (`.tsr`: a DER TimeStampResp whose token is a CMS SignedData over a TSTInfo).

The token says: this registry's time-stamping key saw the SHA-384 `hashValue` of the day's movement file at
`genTime`. Anyone can check it with standard tools against the file they download:

    openssl ts -verify -data day.csv -in day.tsr -CAfile ileti-tsa.pem

Which key signs (settings, read from the environment): TIMESTAMP_KEY / TIMESTAMP_CERT (PEM text) or
TIMESTAMP_KEY_FILE / TIMESTAMP_CERT_FILE (paths): an RSA or EC key and its certificate, which should carry the
critical extended key usage timeStamping (RFC 3161 §2.3). Without them a key and a self-signed certificate are
generated once and kept in MEDIA_ROOT/ledger/tsa/ (development and demos; `manage.py check --deploy` warns),
so tokens made earlier keep verifying against the same certificate. The certificate travels inside every token
(CMS `certificates`); operators publish it so that businesses can pin it (docs/ledger.md).

Made with asn1crypto (the ASN.1 structures) and cryptography (the signature); no network, no TSA service.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import algos, cms, core, tsp, x509
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings

# ileti's time-stamp policy: an OID under 2.25 (ITU-T X.667, a UUID as an integer), which needs no registration.
POLICY_OID = "2.25." + str(uuid.UUID("6c1b7e0e-3a1f-4b4e-9d0c-1e7e5a161607").int)
_lock = threading.Lock()


@dataclass(frozen=True)
class Signer:
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    cert_der: bytes

    @property
    def cert(self) -> x509.Certificate:
        return x509.Certificate.load(self.cert_der)


def _pem(text_setting: str, file_setting: str) -> bytes | None:
    text = getattr(settings, text_setting, "") or ""
    if text:
        return text.replace("\\n", "\n").encode()
    path = getattr(settings, file_setting, "") or ""
    return Path(path).read_bytes() if path else None


def _generated(directory: Path) -> tuple[bytes, bytes]:
    """A development TSA: an EC P-384 key and a self-signed time-stamping certificate, made once."""
    key_path, cert_path = directory / "tsa-key.pem", directory / "tsa-cert.pem"
    if key_path.exists() and cert_path.exists():
        return key_path.read_bytes(), cert_path.read_bytes()
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP384R1())
    name = cx509.Name([
        cx509.NameAttribute(NameOID.COMMON_NAME, "ileti zaman damgası (geliştirme)"),
        cx509.NameAttribute(NameOID.ORGANIZATION_NAME, "ileti"),
    ])
    now = dt.datetime.now(dt.UTC)
    cert = (
        cx509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(cx509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(cx509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(cx509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
        ), critical=True)
        .sign(key, hashes.SHA384())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    # Written aside, then renamed: two processes generating at once leave one complete pair.
    for path, data, mode in ((key_path, key_pem, 0o600), (cert_path, cert_pem, 0o644)):
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(data)
        temporary.chmod(mode)
        temporary.replace(path)
    return key_path.read_bytes(), cert_path.read_bytes()


def signer() -> Signer:
    """The configured key and certificate, or the generated development pair."""
    with _lock:
        key_pem, cert_pem = _pem("TIMESTAMP_KEY", "TIMESTAMP_KEY_FILE"), _pem("TIMESTAMP_CERT", "TIMESTAMP_CERT_FILE")
        if key_pem is None or cert_pem is None:
            key_pem, cert_pem = _generated(Path(settings.MEDIA_ROOT) / "ledger" / "tsa")
        key = serialization.load_pem_private_key(key_pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise ValueError("TIMESTAMP_KEY must be an RSA or EC private key")
        cert = cx509.load_pem_x509_certificate(cert_pem)
        return Signer(key=key, cert_der=cert.public_bytes(serialization.Encoding.DER))


def _sign(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, data: bytes) -> tuple[str, bytes]:
    if isinstance(key, rsa.RSAPrivateKey):
        return "sha384_rsa", key.sign(data, padding.PKCS1v15(), hashes.SHA384())
    return "sha384_ecdsa", key.sign(data, ec.ECDSA(hashes.SHA384()))


def make_token(*, file_hash: str, at: dt.datetime, serial: int | None = None) -> bytes:
    """The DER TimeStampResp (status granted) stamping a SHA-384 hex digest at `at`."""
    sign_with = signer()
    cert = sign_with.cert
    info = tsp.TSTInfo({
        "version": "v1",
        "policy": POLICY_OID,
        "message_imprint": tsp.MessageImprint({
            "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha384"}),
            "hashed_message": bytes.fromhex(file_hash),
        }),
        "serial_number": serial if serial is not None else uuid.uuid4().int,
        "gen_time": core.GeneralizedTime(at.astimezone(dt.UTC).replace(microsecond=0)),
        "tsa": x509.GeneralName(name="directory_name", value=cert.subject),
    })
    content = info.dump()
    signed_attrs = cms.CMSAttributes([
        cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
        cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha384(content).digest()]}),
        # RFC 5816: names the signing certificate by its SHA-256, so it cannot be swapped for another.
        cms.CMSAttribute({"type": "signing_certificate_v2", "values": [tsp.SigningCertificateV2({
            "certs": [tsp.ESSCertIDv2({
                "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                "cert_hash": hashlib.sha256(sign_with.cert_der).digest(),
            })],
        })]}),
    ])
    algorithm, signature = _sign(sign_with.key, signed_attrs.dump())
    signed_data = cms.SignedData({
        "version": "v3",
        "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha384"})],
        "encap_content_info": {"content_type": "tst_info", "content": core.ParsableOctetString(content)},
        "certificates": [cert],
        "signer_infos": [cms.SignerInfo({
            "version": "v1",
            "sid": cms.SignerIdentifier(name="issuer_and_serial_number", value=cms.IssuerAndSerialNumber({
                "issuer": cert.issuer, "serial_number": cert.serial_number,
            })),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha384"}),
            "signed_attrs": signed_attrs,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": algorithm}),
            "signature": signature,
        })],
    })
    return tsp.TimeStampResp({
        "status": tsp.PKIStatusInfo({"status": "granted"}),
        "time_stamp_token": cms.ContentInfo({"content_type": "signed_data", "content": signed_data}),
    }).dump()


def configured() -> bool:
    """Whether a real key and certificate are configured (not the generated development pair)."""
    return bool(
        (getattr(settings, "TIMESTAMP_KEY", "") or getattr(settings, "TIMESTAMP_KEY_FILE", ""))
        and (getattr(settings, "TIMESTAMP_CERT", "") or getattr(settings, "TIMESTAMP_CERT_FILE", ""))
    )
