"""The report in a real browser: Debian's headless Chromium driven by Selenium.

Opened as file:// with every request recorded (Chrome's performance log): it must load without
console errors or any request but the file itself, every highlighted span must read back as its
quote from the DOM, the atlas table must filter, and full-page screenshots at 1280 and 390 px are
kept under test-artifacts/ for a person to look at.

Needs ``apt-get install chromium chromium-driver`` and the ``selenium`` package (test extra);
skipped with the reason when either is missing.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_fixtures import build_store

from summarizer.outputs.report import write_report

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip(
        f"Chromium not installed ({CHROMIUM} / {CHROMEDRIVER} missing): "
        "apt-get install -y chromium chromium-driver",
        allow_module_level=True,
    )
webdriver = pytest.importorskip(
    "selenium.webdriver", reason="selenium not installed: pip install -e '.[test]'"
)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

# Each piece of every quote, in document order, grouped as "doc_id|finding.evidence" -> text.
READ_HIGHLIGHTS = """
const out = {};
document.querySelectorAll("article.paper").forEach(function (article) {
  article.querySelectorAll("mark.ev").forEach(function (mark) {
    mark.getAttribute("data-ev").split(" ").forEach(function (ev) {
      const key = article.getAttribute("data-doc") + "|" + ev;
      out[key] = (out[key] || "") + mark.textContent;
    });
  });
});
return out;
"""


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """The fixture store's report on disk, and the quotes it must show."""
    folder = tmp_path_factory.mktemp("browser")
    with build_store(folder / "store.db") as store:
        write_report(store, folder / "report.html")
        quotes = {
            f"{p.doc_id}|{fi}.{ei}": ev.quote
            for p in store.papers()
            if p.paper is not None
            for fi, f in enumerate(p.paper.findings)
            for ei, ev in enumerate(f.evidence)
        }
    yield folder / "report.html", quotes


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Chromium for the module, with browser and network logging on."""
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
        "--window-size=1280,900",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    options.add_experimental_option("perfLoggingPrefs", {"enableNetwork": True, "enablePage": False})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def open_report(driver: Any, path: Path) -> None:
    """Load the report and wait until its script has run (the atlas counter is filled)."""
    driver.get(path.as_uri())
    WebDriverWait(driver, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "atlas-count").text.endswith("findings"))


def network_log(driver: Any) -> tuple[list[tuple[str, str, str]], dict[str, str]]:
    """Every request since the log was last read, in any tab or frame, as (request id, document
    URL, URL); and why the browser refused some of them (request id -> reason, e.g. 'csp')."""
    seen, blocked = [], {}
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.requestWillBeSent":
            seen.append((params["requestId"], params.get("documentURL", ""), params["request"]["url"]))
        elif message["method"] == "Network.loadingFailed" and params.get("blockedReason"):
            blocked[params["requestId"]] = params["blockedReason"]
    return seen, blocked


def requests_made(driver: Any) -> list[tuple[str, str]]:
    """(document URL, request URL) of every request since the log was last read."""
    return [(doc, url) for _, doc, url in network_log(driver)[0]]


def test_loads_offline_without_errors(browser: Any, report_file: tuple[Path, dict[str, str]]) -> None:
    path, _ = report_file
    browser.get_log("performance")  # drop what came before
    open_report(browser, path)
    # Exercise the script a little so its errors, if any, show up in the console too.
    Select(browser.find_element(By.ID, "atlas-order")).select_by_value("papers")
    browser.find_element(By.CSS_SELECTOR, 'th[data-sort="therapy"]').click()
    problems = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert problems == []
    seen = requests_made(browser)
    page = path.as_uri()
    assert (page, page) in seen
    # The page itself asked for nothing but its own file; and nothing anywhere went to the network
    # (a fresh Chromium's own start page may load chrome:// resources, which are not the network).
    assert [url for doc, url in seen if doc == page and url != page] == []
    assert [url for _, url in seen if url.startswith(("http:", "https:", "ws:", "wss:", "ftp:"))] == []


def test_csp_blocks_anything_injected(
    browser: Any, report_file: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """Defence in depth: even markup that bypassed escaping could neither run nor fetch."""
    path, _ = report_file
    injected = path.read_text(encoding="utf-8").replace(
        "</body>",
        '<script>document.title = "pwned"</script><img src="https://example.invalid/x.png"></body>',
    )
    hostile = tmp_path / "injected.html"
    hostile.write_text(injected, encoding="utf-8")
    browser.get_log("performance")
    browser.get_log("browser")
    open_report(browser, hostile)
    assert browser.title == "Therapy-resistance review report"
    errors = " ".join(e["message"] for e in browser.get_log("browser"))
    assert "Content Security Policy" in errors
    # Chrome announces the image request, then refuses it before anything leaves the machine.
    seen, blocked = network_log(browser)
    remote = [(rid, url) for rid, _, url in seen if url.startswith(("http:", "https:"))]
    assert remote and all(blocked.get(rid) == "csp" for rid, _ in remote), (remote, blocked)


def test_highlighted_spans_read_back_as_quotes(
    browser: Any, report_file: tuple[Path, dict[str, str]]
) -> None:
    path, quotes = report_file
    open_report(browser, path)
    assert browser.execute_script(READ_HIGHLIGHTS) == quotes


def test_hovering_a_finding_shows_only_its_evidence(
    browser: Any, report_file: tuple[Path, dict[str, str]]
) -> None:
    path, _ = report_file
    open_report(browser, path)
    article = browser.find_element(By.CSS_SELECTOR, 'article[data-doc^="000_"]')
    row = article.find_element(By.CSS_SELECTOR, 'tr.finding[data-f="2"]')
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", row)
    ActionChains(browser).move_to_element(row).perform()
    WebDriverWait(browser, 5).until(lambda d: "focus" in (article.get_attribute("class") or ""))
    on = article.find_elements(By.CSS_SELECTOR, "mark.ev.on")
    assert on and all("2" in (m.get_attribute("data-f") or "").split() for m in on)
    assert "".join(m.text for m in on) == "thereby activating autophagy and leading to radioresistance"
    # Following an atlas link pins the finding it points at.
    browser.execute_script("location.hash = arguments[0]", "f-" + article.get_attribute("id")[6:] + "-0")
    WebDriverWait(browser, 5).until(
        lambda d: (
            article.find_element(By.CSS_SELECTOR, 'tr.finding[data-f="0"]').get_attribute("class")
            == "finding on"
        )
    )


def test_atlas_filters_by_factor(browser: Any, report_file: tuple[Path, dict[str, str]]) -> None:
    path, _ = report_file
    open_report(browser, path)
    table = browser.find_element(By.ID, "atlas-table")
    assert len([r for r in table.find_elements(By.CSS_SELECTOR, "tr.row") if r.is_displayed()]) == 9
    Select(browser.find_element(By.ID, "atlas-factor")).select_by_value("nek2")
    visible = [r for r in table.find_elements(By.CSS_SELECTOR, "tr.row") if r.is_displayed()]
    assert [r.get_attribute("data-factor") for r in visible] == ["nek2", "nek2"]
    assert browser.find_element(By.ID, "atlas-count").text == "2 of 9 findings"
    # Clicking a factor in the graph filters the same way.
    Select(browser.find_element(By.ID, "atlas-factor")).select_by_value("")
    node = browser.find_element(By.CSS_SELECTOR, 'a.node-factor[data-factor="igf1r"]')
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", node)
    node.click()
    WebDriverWait(browser, 5).until(lambda d: d.find_element(By.ID, "atlas-count").text == "2 of 9 findings")
    visible = [r for r in table.find_elements(By.CSS_SELECTOR, "tr.row") if r.is_displayed()]
    assert {r.get_attribute("data-factor") for r in visible} == {"igf1r"}
    # Free text narrows across groups.
    Select(browser.find_element(By.ID, "atlas-factor")).select_by_value("")
    browser.find_element(By.ID, "atlas-search").send_keys("sorafenib")
    assert browser.find_element(By.ID, "atlas-count").text == "4 of 9 findings"


def test_atlas_sorts_within_and_between_groups(
    browser: Any, report_file: tuple[Path, dict[str, str]]
) -> None:
    path, _ = report_file
    open_report(browser, path)

    def groups() -> list[str]:
        return [g.get_attribute("data-factor") for g in browser.find_elements(By.CSS_SELECTOR, "tbody.group")]

    def nek2_therapies() -> list[str]:
        rows = browser.find_elements(By.CSS_SELECTOR, 'tbody.group[data-factor="nek2"] tr.row')
        return [r.find_elements(By.TAG_NAME, "td")[4].text for r in rows]

    assert groups()[:2] == ["ant2", "igf1r"]
    Select(browser.find_element(By.ID, "atlas-order")).select_by_value("papers")
    assert groups()[0] == "nek2"  # the only factor in two papers
    assert nek2_therapies() == ["radiotherapy", "Bortezomib"]  # by paper
    therapy = browser.find_element(By.CSS_SELECTOR, 'th[data-sort="therapy"]')
    therapy.click()
    assert nek2_therapies() == ["Bortezomib", "radiotherapy"]
    assert therapy.get_attribute("aria-sort") == "ascending"
    therapy.click()
    assert nek2_therapies() == ["radiotherapy", "Bortezomib"]
    browser.find_element(By.CSS_SELECTOR, 'th[data-sort="factor"]').click()
    assert groups()[0] == "ant2"
    browser.find_element(By.CSS_SELECTOR, 'th[data-sort="factor"]').click()
    assert groups()[0] == "trim21"


@pytest.mark.parametrize("width", [1280, 390])
def test_screenshots(browser: Any, report_file: tuple[Path, dict[str, str]], width: int) -> None:
    path, _ = report_file
    ARTIFACTS.mkdir(exist_ok=True)
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    try:
        open_report(browser, path)
        # Nothing may stick out sideways: wide tables and the graph scroll inside their own boxes.
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        browser.save_screenshot(str(ARTIFACTS / f"report-{width}-top.png"))
        height = browser.execute_script("return document.documentElement.scrollHeight")
        shot = browser.execute_cdp_cmd(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": min(height, 20000), "scale": 1},
            },
        )
        (ARTIFACTS / f"report-{width}-full.png").write_bytes(base64.b64decode(shot["data"]))
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert (ARTIFACTS / f"report-{width}-full.png").stat().st_size > 10_000
