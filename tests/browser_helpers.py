"""Small waits for browser tests: a click returns before the browser has navigated."""
from __future__ import annotations

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def wait_for_heading(browser, text: str, timeout: float = 10) -> None:
    def arrived(driver) -> bool:
        try:
            return text in driver.find_element(By.TAG_NAME, "h1").text
        except (StaleElementReferenceException, NoSuchElementException):
            return False

    WebDriverWait(browser, timeout).until(arrived)
