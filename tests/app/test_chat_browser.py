"""The chat in a real headless Chromium (Debian's chromium + chromedriver, driven by selenium)."""

import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from app.feedback import FeedbackStore
from app.labels import EXAMPLES
from docqa.settings import Settings
from docqa.store import Index
from eval.servers import chromium, free_port, wait_for_port
from ingest.pipeline import ingest
from tests.corpora import small_corpus
from tests.pdfs import make_pdf

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
        yield f"http://127.0.0.1:{port}", tmp_path / "data"
    finally:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture
def artifacts() -> Path:
    """Where the screenshots are kept after the run (test artefacts): DOCQA_TEST_ARTIFACTS or test-artifacts/."""
    folder = Path(os.environ.get("DOCQA_TEST_ARTIFACTS", REPO / "test-artifacts")) / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.skipif(not shutil.which(CHROMIUM) or not shutil.which(CHROMEDRIVER), reason="Debian chromium missing")
def test_example_source_feedback_reload_upload_pdf_source_and_delete_in_a_real_browser(server, tmp_path, artifacts):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    server, data = server
    profile = f"--user-data-dir={tmp_path / 'profile'}"
    driver = chromium(CHROMEDRIVER, profile, "--window-size=1400,1000", binary=CHROMIUM)
    wait = WebDriverWait(driver, 120)
    example = (By.CSS_SELECTOR, ".st-key-example-0 button")  # the first example question's button

    def shot(name: str) -> None:
        driver.save_screenshot(str(artifacts / f"{name}.png"))
        assert (artifacts / f"{name}.png").stat().st_size > 0

    def click(locator: tuple[str, str]) -> None:  # once clickable; again if Streamlit re-rendered it meanwhile
        def clicked(d) -> bool:
            ec.element_to_be_clickable(locator)(d).click()
            return True

        WebDriverWait(driver, 120, ignored_exceptions=(StaleElementReferenceException, AttributeError)).until(clicked)

    def fits() -> None:  # nothing wider than the window: no cut text, no sideways scrolling
        width = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], width

    try:
        driver.get(server)
        click(example)
        # the answer's deltas reach the browser one by one: wait for the last one (the passages read)
        wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Passages lus"))
        page = driver.find_element(By.TAG_NAME, "body").text
        assert "5 000" in page and "[1] etude — p. 2" in page
        click((By.CSS_SELECTOR, "a[href^='#source-']"))  # the answer's [1] leads to it
        assert driver.current_url.split("#")[1].startswith("source-") and "_blank" not in (
            driver.find_element(By.CSS_SELECTOR, "a[href^='#source-']").get_attribute("target") or ""
        )
        click((By.XPATH, "//summary[contains(., '[1] etude')]"))
        quote = (By.XPATH, "//details//strong[contains(., 'Environ 5 000')]")  # the quote, bold in its passage
        wait.until(ec.visibility_of_element_located(quote))
        click((By.XPATH, "//details//label[contains(., 'Lire toute la page')]"))
        wait.until(lambda d: len(d.find_elements(*quote)) == 2)  # and in the whole page
        fits()
        shot("desktop-answer")

        click((By.CSS_SELECTOR, "[data-testid='stFeedback'] button"))  # thumb up
        wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "main"), "Merci pour votre retour"))
        assert [r["rating"] for r in FeedbackStore(data / "feedback.sqlite").rows()] == [1]

        driver.refresh()  # a reload keeps the conversation, open and listed in the sidebar
        sidebar = (By.CSS_SELECTOR, "[data-testid='stSidebar']")
        wait.until(ec.text_to_be_present_in_element(sidebar, EXAMPLES[0]))
        wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "main"), "[1] etude"))
        shot("desktop-reloaded")

        pages = ["Rapport HDH", "Le Health Data Hub héberge 4 millions de dossiers de patients en 2024."]
        report = make_pdf(tmp_path / "rapport.pdf", pages)
        driver.find_element(By.CSS_SELECTOR, "[data-testid='stSidebar'] input[type='file']").send_keys(str(report))
        wait.until(ec.text_to_be_present_in_element(sidebar, "rapport.pdf"))  # the file is in the box
        click((By.XPATH, "//button[contains(., 'Ajouter')]"))
        wait.until(ec.text_to_be_present_in_element(sidebar, "rapport.pdf ajouté"))
        # listed in the same run, under its heading (its deltas may reach the browser just after the message)
        wait.until(ec.text_to_be_present_in_element(sidebar, "Rapport HDH ("))
        fits()
        shot("desktop-uploaded")

        box = driver.find_element(By.CSS_SELECTOR, "textarea[data-testid='stChatInputTextArea']")
        box.send_keys("Combien de dossiers le Health Data Hub héberge-t-il ?", Keys.ENTER)
        source = (By.XPATH, "//summary[contains(., '[1] Rapport HDH — p. 2')]")
        click(source)
        link = (By.XPATH, "//details//a[contains(., 'Ouvrir le PDF à la page 2')]")
        href = wait.until(ec.visibility_of_element_located(link)).get_attribute("href")
        assert href == f"{server}/documents/rapport.pdf#page=2"  # served by the chat itself (app/web.py)
        with urllib.request.urlopen(href.split("#")[0], timeout=30) as pdf:
            assert pdf.headers["content-type"] == "application/pdf" and pdf.read() == report.read_bytes()
        for path in ("etude.pdf", "inconnu.pdf", "..%2F..%2Fdata%2Ffeedback.sqlite"):  # nothing but indexed PDFs
            with pytest.raises(urllib.error.HTTPError, match="HTTP Error 40[04]"):  # 400: Streamlit's path check
                urllib.request.urlopen(f"{server}/documents/{path}", timeout=30)
        shot("desktop-pdf-source")
        chat = driver.current_window_handle
        driver.switch_to.new_window("tab")
        driver.get(href)  # opened as a PDF (Chromium's viewer, at page 2), neither downloaded nor the chat's page
        wait.until(lambda d: d.execute_script("return document.contentType") == "application/pdf")
        driver.close()
        driver.switch_to.window(chat)

        click((By.CSS_SELECTOR, ".st-key-remove-rapport button"))
        wait.until_not(ec.text_to_be_present_in_element(sidebar, "Rapport HDH ("))
        assert not (data / "uploads" / "rapport.pdf").exists()
        with pytest.raises(urllib.error.HTTPError, match="404"):  # a deleted document's file is not served
            urllib.request.urlopen(href.split("#")[0], timeout=30)

        driver.set_window_size(390, 844)  # a phone
        driver.get(server)
        wait.until(ec.element_to_be_clickable(example))
        fits()
        shot("phone-start")
        click(example)
        wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "[1] etude"))
        fits()
        shot("phone-answer")
    finally:
        driver.save_screenshot(str(artifacts / "last.png"))  # where it stopped, should it fail
        driver.quit()
