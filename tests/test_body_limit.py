"""Bodies are judged by their headers first: too large (413) or chunked without a size (411), unread."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from consents.models import Upload
from providers.models import Role
from tests import factories

pytestmark = pytest.mark.django_db
MB = 1024 * 1024


class UnreadableBody:
    """A wsgi.input that fails the test if anything reads it."""

    def read(self, *args: object) -> bytes:
        raise AssertionError("the body was read")

    readline = read


def send(client: Client, path: str, length: int | None, **extra: object):
    environ: dict[str, object] = {"wsgi.input": UnreadableBody(), "CONTENT_TYPE": "application/json"}
    if length is not None:
        environ["CONTENT_LENGTH"] = str(length)
    environ.update(extra)
    return client.generic("POST", path, **environ)


def test_api_refuses_an_oversized_body_before_reading_it(settings):
    settings.API_MAX_BODY_BYTES = 2 * MB
    client = Client()
    for path in ("/api/oauth2/token", "/api/sps/700001/brands/700001/consents"):
        response = send(client, path, 2 * MB + 1)
        assert response.status_code == 413
        assert response.json()["errors"][0]["code"] == "ILT413"  # H123 is İYS's "service busy"


def test_api_refuses_a_chunked_body_without_a_length():
    response = send(Client(), "/api/oauth2/token", None, HTTP_TRANSFER_ENCODING="chunked")
    assert response.status_code == 411
    error = response.json()["errors"][0]
    assert error["code"] == "ILT411" and "Content-Length" in error["message"]


def test_upload_page_says_the_file_is_too_big_without_receiving_it(settings):
    settings.UPLOAD_MAX_BYTES = 200 * MB
    membership = factories.MembershipFactory(role=Role.OPERATOR)
    factories.BrandFactory(provider=membership.provider, is_master=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(membership.user)
    response = send(
        client,
        reverse("portal:upload_new"),
        205 * MB,
        CONTENT_TYPE="multipart/form-data; boundary=xyz",
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert "Dosya çok büyük (205.0 MB)" in page and "en fazla 200 MB" in page
    assert 'id="upload-form"' in page  # the upload page itself, ready for the next try
    assert not Upload.objects.exists()


def test_upload_within_the_limit_still_reaches_the_form(settings):
    settings.UPLOAD_MAX_BYTES = 1 * MB
    membership = factories.MembershipFactory(role=Role.OPERATOR)
    brand = factories.BrandFactory(provider=membership.provider, is_master=True)
    client = Client()
    client.force_login(membership.user)
    big = b"recipient\n" + b"0" * (int(1.5 * MB))  # over the file limit, under file + form overhead
    response = client.post(
        reverse("portal:upload_new"),
        {"brand": str(brand.brand_code), "mode": "dry_run", "file": SimpleUploadedFile("a.csv", big)},
    )
    assert response.status_code == 200
    assert "Dosya çok büyük" in str(response.context["form"].errors["file"])


def test_other_pages_refuse_bodies_over_the_default_limit(settings):
    settings.REQUEST_MAX_BODY_BYTES = 1 * MB
    response = send(
        Client(), reverse("citizens:sign_in"), 1 * MB + 1, CONTENT_TYPE="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert "İstek çok büyük" in response.content.decode()


def test_pages_refuse_a_chunked_body_without_a_length():
    response = send(Client(), reverse("citizens:sign_in"), None, HTTP_TRANSFER_ENCODING="chunked")
    assert response.status_code == 411
    assert "Content-Length" in response.content.decode()


@pytest.fixture
def gunicorn_server() -> Iterator[int]:
    """The real WSGI server of production, on a free port, with the test settings."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    try:
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_gunicorn_refuses_a_chunked_body_with_411(gunicorn_server):
    """Under gunicorn a chunked body reaches Django without a Content-Length: refused, not read as empty."""
    body = b'{"grant_type": "password", "username": "u", "password": "p"}'
    conn = http.client.HTTPConnection("127.0.0.1", gunicorn_server, timeout=10)
    # An iterable body goes out chunked, without a Content-Length.
    conn.request(
        "POST", "/api/oauth2/token", body=iter([body]), headers={"Content-Type": "application/json"},
        encode_chunked=True,
    )
    response = conn.getresponse()
    assert response.status == 411
    assert json.loads(response.read())["errors"][0]["code"] == "ILT411"
    conn.close()
