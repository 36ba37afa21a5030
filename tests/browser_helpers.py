"""Small waits for browser tests: a click returns before the browser has navigated."""
from __future__ import annotations

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import WebDriverWait

# Read the heading in one round trip: an element handle fetched before the old page unloads can
# be gone by the time its text is asked for, and Chromium then answers with a stale-element error
# or, mid-navigation, a generic "Node with given id does not belong to the document".
_HEADING_TEXT = "var h = document.querySelector('h1'); return h ? h.textContent : '';"


def wait_for_heading(browser, text: str, timeout: float = 10) -> None:
    def arrived(driver) -> bool:
        try:
            return text in (driver.execute_script(_HEADING_TEXT) or "")
        except WebDriverException:
            # The page was replaced between the script's start and its answer: ask again.
            return False

    WebDriverWait(browser, timeout).until(arrived)
