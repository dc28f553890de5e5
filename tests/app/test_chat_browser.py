"""The chat in a real headless Chromium (Debian's chromium + chromedriver, driven by selenium)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from docqa.settings import Settings
from docqa.store import Index
from eval.servers import chromium, free_port, wait_for_port
from ingest.pipeline import ingest
from tests.corpora import small_corpus

REPO = Path(__file__).resolve().parents[2]
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def server(tmp_path):
    corpus = small_corpus(tmp_path / "corpus")
    settings = Settings(data_dir=tmp_path / "data")
    assert ingest([corpus], Index(settings), settings).ok
    port = free_port()
    env = {**os.environ, "DOCQA_DATA_DIR": str(tmp_path / "data")}
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "web", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait(timeout=10)


@pytest.mark.skipif(not shutil.which(CHROMIUM) or not shutil.which(CHROMEDRIVER), reason="Debian chromium missing")
def test_question_in_a_real_browser_shows_answer_and_source(server, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    profile = f"--user-data-dir={tmp_path / 'profile'}"
    driver = chromium(CHROMEDRIVER, profile, "--window-size=1280,1600", binary=CHROMIUM)
    try:
        driver.get(server)
        wait = WebDriverWait(driver, 120)
        box = wait.until(
            ec.presence_of_element_located((By.CSS_SELECTOR, "textarea[data-testid='stChatInputTextArea']"))
        )
        box.send_keys("Combien d'emplois d'ici 2025 ?", Keys.ENTER)
        wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "[1] etude"))
        page = driver.find_element(By.TAG_NAME, "body").text
        assert "5 000" in page and "p. 2" in page
        driver.find_element(By.XPATH, "//summary[contains(., '[1] etude')]").click()
        wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Environ 5 000"))
        driver.save_screenshot(str(tmp_path / "chat.png"))
        assert (tmp_path / "chat.png").stat().st_size > 0
    finally:
        driver.quit()
