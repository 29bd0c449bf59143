"""The review app end to end in a real browser: Debian's headless Chromium driven by Selenium.

A live uvicorn on 127.0.0.1 serves a store of real stored papers. The tests accept, reject with a
reason, correct a field and add a finding by selecting text (a real DOM selection), reload and see
all four, export gold and score it with `summarizer eval`; review a 3-finding paper in 4
keystrokes; open one finding in two tabs (a conflict, not a lost update); open a document full of
``<script>`` and ``onerror=`` (inert); and reach the server under another site's name (refused).
Screenshots go to test-artifacts/ (and to $SUMMARIZER_SCREENSHOTS, e.g. docs/screenshots).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_fixtures import seed
from review_fixtures import build_review_store

from summarizer.cli import main
from summarizer.store import Store

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
TOKEN = "browser-token-0123456789"

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip(
        f"Chromium not installed ({CHROMIUM} / {CHROMEDRIVER} missing): "
        "apt-get install -y chromium chromium-driver",
        allow_module_level=True,
    )
webdriver = pytest.importorskip(
    "selenium.webdriver", reason="selenium not installed: pip install -e '.[test]'"
)
pytest.importorskip("starlette", reason="the review extra is not installed: pip install -e '.[review]'")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

from summarizer.review.app import Server  # noqa: E402

SELECT_TEXT = """
const pre = document.getElementById("source"), start = arguments[0], end = arguments[1];
const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
const range = document.createRange();
let node, pos = 0, started = false;
while ((node = walker.nextNode())) {
  const len = node.data.length;
  if (!started && start < pos + len) { range.setStart(node, start - pos); started = true; }
  if (started && end <= pos + len) { range.setEnd(node, end - pos); break; }
  pos += len;
}
const sel = window.getSelection();
sel.removeAllRanges();
sel.addRange(range);
return sel.toString();
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Chromium; evil.test resolves to 127.0.0.1 (a DNS-rebinding page's name)."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        "--host-resolver-rules=MAP evil.test 127.0.0.1",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-review')}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def server(tmp_path: Path, browser: Any) -> Iterator[Server]:
    build_review_store(tmp_path / "store.db").close()
    with Server(tmp_path / "store.db", token=TOKEN, user="ana") as srv:
        browser.get(f"{srv.url}/?token={TOKEN}")  # the printed address: sets the cookie
        yield srv
    browser.delete_all_cookies()


def doc_id(srv: Server, name: str) -> str:
    with Store(srv.db, read_only=True) as store:
        (paper,) = [p for p in store.papers() if p.paper is not None and p.paper.source_name == name]
        return paper.doc_id


def source_text(srv: Server, doc: str) -> str:
    with Store(srv.db, read_only=True) as store:
        (paper,) = [p for p in store.papers() if p.doc_id == doc]
        return paper.source_text


def open_paper(driver: Any, srv: Server, doc: str) -> None:
    driver.get(f"{srv.url}/papers/{doc}")
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "tr.finding.cursor"))


def press(driver: Any, *keys: str) -> None:
    body = driver.find_element(By.TAG_NAME, "body")
    for key in keys:
        body.send_keys(key)


def states(driver: Any) -> list[str]:
    """The review state of each finding row, read in one script (the rows are swapped after each
    decision, so element handles would go stale)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('tr.finding'), r => r.getAttribute('data-state'))"
    )


def wait_states(driver: Any, expected: list[str]) -> None:
    try:
        WebDriverWait(driver, 10).until(lambda d: states(d) == expected)
    except Exception:
        banner = driver.find_element(By.ID, "banner").text
        raise AssertionError(f"states {states(driver)}, expected {expected}; banner: {banner!r}") from None


def severe(driver: Any) -> list[dict[str, Any]]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_accept_reject_correct_add_persist_and_export_gold(
    browser: Any, server: Server, tmp_path: Path
) -> None:
    doc = doc_id(server, seed("000").stem)
    browser.get_log("browser")
    open_paper(browser, server, doc)
    assert browser.execute_script("return document.getElementById('source').textContent") == source_text(
        server, doc
    )  # offsets in the page are offsets in the stored text
    press(browser, "a")  # accept the first finding
    wait_states(browser, ["accepted", "unreviewed", "unreviewed"])
    press(browser, "r")  # reject the second: the reason list, 2 = wrong therapy
    WebDriverWait(browser, 5).until(lambda d: d.find_element(By.ID, "reject-form").is_displayed())
    press(browser, "2")
    wait_states(browser, ["accepted", "rejected", "unreviewed"])
    press(browser, "e")  # correct the third: its effect
    form = browser.find_element(By.ID, "edit-form")
    WebDriverWait(browser, 5).until(lambda d: form.is_displayed())
    Select(form.find_element(By.NAME, "effect")).select_by_value("reverses_resistance")
    form.find_element(By.NAME, "therapy").send_keys(Keys.ENTER)
    wait_states(browser, ["accepted", "rejected", "corrected"])
    # Add one by selecting its evidence in the text.
    text = source_text(server, doc)
    start = text.index("inducing protective autophagy")
    chosen = browser.execute_script(SELECT_TEXT, start, start + len("inducing protective autophagy"))
    assert chosen == "inducing protective autophagy"
    press(browser, "s")
    form = browser.find_element(By.ID, "edit-form")
    WebDriverWait(browser, 5).until(lambda d: form.is_displayed())
    assert "inducing protective autophagy" in form.find_element(By.CSS_SELECTOR, "[data-slot=quote]").text
    form.find_element(By.NAME, "factor").send_keys("autophagy")
    Select(form.find_element(By.NAME, "factor_type")).select_by_value("pathway")
    form.find_element(By.NAME, "therapy").send_keys("radiotherapy")
    Select(form.find_element(By.NAME, "effect")).select_by_value("promotes_resistance")
    form.find_element(By.NAME, "cancer_type").send_keys("esophageal squamous cell carcinoma", Keys.ENTER)
    wait_states(browser, ["accepted", "rejected", "corrected", "added"])
    # Reload: all four come back from the store.
    browser.refresh()
    WebDriverWait(browser, 10).until(lambda d: len(states(d)) == 4)
    assert states(browser) == ["accepted", "rejected", "corrected", "added"]
    rows = browser.find_elements(By.CSS_SELECTOR, "tr.finding")
    assert "wrong therapy" in rows[1].text and "reverses resistance" in rows[2].text
    marks = browser.find_elements(By.CSS_SELECTOR, 'mark.ev[data-f~="3"]')
    assert "".join(m.text for m in marks) == "inducing protective autophagy"
    assert browser.find_element(By.ID, "paper-state").text == "reviewed"
    assert severe(browser) == []
    # The curated paper as gold, scored by `summarizer eval` against the machine's findings.
    gold = tmp_path / "gold"
    assert main(["export", "--db", str(server.db), "--format", "gold", "-o", str(gold)]) == 0
    assert main(["eval", "--gold", str(gold), "--db", str(server.db), "--json"]) == 0


def test_eval_of_the_exported_gold(browser: Any, server: Server, tmp_path: Path, capsys: Any) -> None:
    doc = doc_id(server, seed("001").stem)
    open_paper(browser, server, doc)
    press(browser, "a", "r", "1")  # accept NEK2, reject TP53 as not a finding
    wait_states(browser, ["accepted", "rejected"])
    gold = tmp_path / "gold"
    assert main(["export", "--db", str(server.db), "--format", "gold", "-o", str(gold)]) == 0
    capsys.readouterr()
    assert main(["eval", "--gold", str(gold), "--db", str(server.db), "--json"]) == 0
    (scored,) = json.loads(capsys.readouterr().out)["documents"]
    assert (scored["tp"], scored["fp"], scored["fn"]) == (1, 1, 0)


def test_accept_all_and_next_in_four_keystrokes(browser: Any, server: Server) -> None:
    doc = doc_id(server, seed("000").stem)
    open_paper(browser, server, doc)
    press(browser, "a", "a", "a")
    wait_states(browser, ["accepted", "accepted", "accepted"])
    press(browser, "n")  # 4 keystrokes in all (the target is at most 6)
    WebDriverWait(browser, 10).until(lambda d: doc not in d.current_url)
    assert "/papers/" in browser.current_url
    assert states(browser) and set(states(browser)) == {"unreviewed"}
    press(browser, "A")  # or every undecided finding at once: A n
    wait_states(browser, ["accepted"] * len(states(browser)))
    press(browser, "?")
    help_box = browser.find_element(By.ID, "help")
    assert help_box.is_displayed() and "accept every undecided finding" in help_box.text


def test_two_tabs_on_one_finding_get_a_conflict_not_a_lost_update(browser: Any, server: Server) -> None:
    doc = doc_id(server, seed("002").stem)
    open_paper(browser, server, doc)
    first = browser.current_window_handle
    browser.switch_to.new_window("tab")
    open_paper(browser, server, doc)
    press(browser, "a")  # the second tab accepts finding 1
    wait_states(browser, ["accepted", "unreviewed"])
    browser.switch_to.window(first)  # the first tab still shows version 0
    assert states(browser) == ["unreviewed", "unreviewed"]
    press(browser, "r", "4")
    banner = browser.find_element(By.ID, "banner")
    WebDriverWait(browser, 10).until(lambda d: banner.is_displayed() and "Conflict" in banner.text)
    assert "changed after you loaded it" in banner.text and "version 1" in banner.text
    wait_states(browser, ["accepted", "unreviewed"])  # the page now shows what is stored
    browser.switch_to.window(first)
    for handle in browser.window_handles:
        if handle != first:
            browser.switch_to.window(handle)
            browser.close()
    browser.switch_to.window(first)


def test_markup_in_a_document_stays_text(browser: Any, server: Server) -> None:
    doc = doc_id(server, "hostile")
    browser.get_log("browser")
    open_paper(browser, server, doc)
    assert browser.execute_script("return window.pwned === undefined")
    assert browser.find_elements(By.CSS_SELECTOR, "#review script, #review img, #source b") == []
    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert heading.startswith("<script>window.pwned = 1</script>")
    pre = browser.execute_script("return document.getElementById('source').textContent")
    assert pre == source_text(server, doc) and 'onerror="window.pwned = 2"' in pre and "\r\n" in pre
    marks = browser.find_elements(By.CSS_SELECTOR, 'mark.ev[data-f~="0"]')
    assert 'onerror="window.pwned = 2"' in "".join(m.text for m in marks)
    browser.get(f"{server.url}/?factor=MDR1")
    assert "<script>" in browser.find_element(By.CSS_SELECTOR, "tr.paper-row a").text
    assert browser.execute_script("return window.pwned === undefined")
    assert severe(browser) == []


def test_another_sites_name_is_refused(browser: Any, server: Server) -> None:
    """evil.test resolves to 127.0.0.1 here, as a rebinding attacker's name would."""
    browser.get(f"http://evil.test:{server.port}/?token={TOKEN}")
    assert "refused: Host" in browser.find_element(By.TAG_NAME, "body").text
    browser.get(f"{server.url}/api/papers")  # the cookie is not the API's token
    assert "missing or wrong token" in browser.find_element(By.TAG_NAME, "body").text


def test_screenshots(browser: Any, server: Server) -> None:
    folders = [ARTIFACTS]
    if os.environ.get("SUMMARIZER_SCREENSHOTS"):
        folders.append(Path(os.environ["SUMMARIZER_SCREENSHOTS"]))
    doc = doc_id(server, seed("000").stem)
    open_paper(browser, server, doc)
    press(browser, "a", "r", "2", "j")
    wait_states(browser, ["accepted", "rejected", "unreviewed"])
    browser.get(f"{server.url}/?therapy=sorafenib")
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "tr.paper-row"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "tr.paper-row")) == 2
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(folder / "review-list-filtered.png"))
    open_paper(browser, server, doc)
    for folder in folders:
        browser.save_screenshot(str(folder / "review-paper.png"))
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    assert (ARTIFACTS / "review-paper.png").stat().st_size > 10_000


def test_promote_a_rejected_candidate(browser: Any, server: Server) -> None:
    doc = doc_id(server, "hostile")
    open_paper(browser, server, doc)
    press(browser, "j")  # from the finding to the rejected candidate below it
    WebDriverWait(browser, 5).until(lambda d: d.find_elements(By.CSS_SELECTOR, "li.candidate.cursor"))
    press(browser, "p")
    form = browser.find_element(By.ID, "edit-form")
    WebDriverWait(browser, 5).until(lambda d: form.is_displayed())
    assert form.find_element(By.NAME, "factor").get_attribute("value") == "ABCG2"
    assert Select(form.find_element(By.NAME, "effect")).first_selected_option.get_attribute("value") == (
        "promotes_resistance"
    )  # read off the candidate's role
    form.find_element(By.NAME, "factor").send_keys(Keys.ENTER)
    wait_states(browser, ["unreviewed", "promoted"])
    assert "promoted" in browser.find_element(By.CSS_SELECTOR, "li.candidate").text
