"""Turkish first, English available through the language switcher."""
import pytest


@pytest.mark.django_db
def test_turkish_even_when_the_browser_prefers_english(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="tr"' in page and "Vatandaş" in page


@pytest.mark.django_db
def test_english_after_choosing_it(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert 'lang="en"' in page
    assert "Citizen" in page and "Vatandaş" not in page
