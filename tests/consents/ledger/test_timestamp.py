"""İYS's `/agreements/{reportDate}/timestamp`: the day file's RFC 3161 time-stamp token (`.tsr`), in the shape
İYS's document gives (200, text/plain, a .tsr file), made when the day is built, verifiable by anyone with
standard tools against the file they download."""
from __future__ import annotations

import datetime as dt
import hashlib
import subprocess

import pytest
from asn1crypto import cms, tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from consents.ledger.daily import build_day
from consents.models import DailyReconciliation
from tests.consents.api.support import client_for, make_api_user, official
from tests.consents.api.test_contract import ApiClient

from .test_reconciliation import FILE, TIMESTAMP, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def built_day(brand, move, yesterday):
    move(brand, yesterday, "09:00:00", "+905320000001")
    move(brand, yesterday, "09:30:00", "ayse@ornek.com.tr", channel="EPOSTA")
    return build_day(brand=brand, day=yesterday)


def _fetch(provider, brand, day):
    api = client_for(make_api_user(provider=provider))
    stamp = api.get(url(TIMESTAMP, provider, brand, day))
    data = b"".join(api.get(url(FILE, provider, brand, day)).streaming_content)
    return stamp, data


def _parts(tsr: bytes):
    response = tsp.TimeStampResp.load(tsr)
    assert response["status"]["status"].native == "granted"
    signed = response["time_stamp_token"]["content"]
    assert response["time_stamp_token"]["content_type"].native == "signed_data"
    info = tsp.TSTInfo.load(signed["encap_content_info"]["content"].parsed.dump())
    return signed, info


def _signature_holds(signed: cms.SignedData) -> x509.Certificate:
    """The CMS signature over the signed attributes, the content digest and the ESS certificate id."""
    cert_der = signed["certificates"][0].chosen.dump()
    cert = x509.load_der_x509_certificate(cert_der)
    signer = signed["signer_infos"][0]
    attrs = {a["type"].native: a["values"][0] for a in signer["signed_attrs"]}
    content = signed["encap_content_info"]["content"].parsed.dump()
    assert attrs["content_type"].native == "tst_info"
    assert attrs["message_digest"].native == hashlib.sha384(content).digest()
    ess = attrs["signing_certificate_v2"]["certs"][0]
    assert ess["cert_hash"].native == hashlib.sha256(cert_der).digest()
    to_verify = cms.CMSAttributes(list(signer["signed_attrs"])).dump()
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(signer["signature"].native, to_verify, padding.PKCS1v15(), hashes.SHA384())
    else:
        key.verify(signer["signature"].native, to_verify, ec.ECDSA(hashes.SHA384()))
    return cert


def test_the_official_shape_a_tsr_over_the_days_file(provider, brand, built_day, yesterday):
    operation = official()["paths"]["/sps/{iysCode}/brands/{brandCode}/agreements/{reportDate}/timestamp"]["get"]
    assert list(operation["responses"]["200"]["content"]) == ["text/plain"] and ".tsr" in operation["description"]
    stamp, data = _fetch(provider, brand, yesterday)
    assert stamp.status_code == 200 and stamp["Content-Type"] == "text/plain"
    assert stamp["Content-Disposition"] == f'attachment; filename="{brand.brand_code}-{yesterday}.tsr"'
    signed, info = _parts(stamp.content)
    imprint = info["message_imprint"]
    assert imprint["hash_algorithm"]["algorithm"].native == "sha384"
    assert imprint["hashed_message"].native == hashlib.sha384(data).digest() == bytes.fromhex(built_day.file_hash)
    assert info["gen_time"].native == built_day.built_at.replace(microsecond=0)
    cert = _signature_holds(signed)
    assert ExtendedKeyUsageOID.TIME_STAMPING in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    # Stored when the day was built: the same bytes on every download.
    assert _fetch(provider, brand, yesterday)[0].content == stamp.content
    # Our OpenAPI document declares the answer as İYS's does.
    ours = ApiClient().client.get("/api/openapi.json").json()
    path = "/api/sps/{iysCode}/brands/{brandCode}/agreements/{reportDate}/timestamp"
    assert list(ours["paths"][path]["get"]["responses"]["200"]["content"]) == ["text/plain"]


def test_openssl_verifies_the_token_against_the_downloaded_file(provider, brand, built_day, yesterday, tmp_path):
    stamp, data = _fetch(provider, brand, yesterday)
    signed, _info = _parts(stamp.content)
    (tmp_path / "day.csv").write_bytes(data)
    (tmp_path / "day.tsr").write_bytes(stamp.content)
    (tmp_path / "tsa.pem").write_bytes(
        x509.load_der_x509_certificate(signed["certificates"][0].chosen.dump()).public_bytes(serialization.Encoding.PEM)
    )
    verify = ["openssl", "ts", "-verify", "-in", "day.tsr", "-CAfile", "tsa.pem"]
    ok = subprocess.run([*verify, "-data", "day.csv"], cwd=tmp_path, capture_output=True, text=True)
    assert "Verification: OK" in ok.stdout, ok.stdout + ok.stderr
    # One byte changed in the file: the token no longer matches.
    (tmp_path / "day.csv").write_bytes(data.replace(b"+905320000001", b"+905320000002"))
    bad = subprocess.run([*verify, "-data", "day.csv"], cwd=tmp_path, capture_output=True, text=True)
    assert "Verification: OK" not in bad.stdout


def _rsa_tsa() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(4242).not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


def test_the_key_from_the_environment_signs(provider, brand, move, yesterday, settings):
    key_pem, cert_pem = _rsa_tsa()
    settings.TIMESTAMP_KEY, settings.TIMESTAMP_CERT = key_pem.replace("\n", "\\n"), cert_pem  # one-line form too
    move(brand, yesterday, "09:00:00", "+905320000001")
    build_day(brand=brand, day=yesterday)
    stamp, _data = _fetch(provider, brand, yesterday)
    signed, _info = _parts(stamp.content)
    cert = _signature_holds(signed)
    assert cert.serial_number == 4242 and isinstance(cert.public_key(), rsa.RSAPublicKey)


def test_a_day_built_before_tokens_is_stamped_once_on_request(provider, brand, built_day, yesterday):
    DailyReconciliation.objects.filter(pk=built_day.pk).update(timestamp_token=b"")
    first, data = _fetch(provider, brand, yesterday)
    _signed, info = _parts(first.content)
    assert info["message_imprint"]["hashed_message"].native == hashlib.sha384(data).digest()
    assert bytes(DailyReconciliation.objects.get(pk=built_day.pk).timestamp_token) == first.content
    assert _fetch(provider, brand, yesterday)[0].content == first.content
