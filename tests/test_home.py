import pytest
from selenium.webdriver.common.by import By


@pytest.mark.django_db
def test_home_page_renders_in_turkish(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "İleti Yönetim Sistemi" in response.content.decode()


@pytest.mark.browser
def test_home_page_in_real_browser(browser):
    browser.get(browser.live_server_url + "/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "İleti Yönetim Sistemi"
