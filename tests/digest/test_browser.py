"""The HTML digest in a real headless browser: Debian's ``chromium`` driven by selenium
through ``chromium-driver``. The layout is measured by the browser itself (an element's
bounding box), and screenshots at 1200 px and 400 px width are written under
docs/screenshots/ (generated, not committed: see docs/screenshots/README.md).

Skipped, with the missing package named, where chromium or its driver is not installed
(.ci/run installs both).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.digest.support import build_demo_db
from tests.digest.test_html import ecmon

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium (the test extra) missing")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
FIRST_SCREEN_PX = 1000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("Debian package chromium is not installed (apt-get install chromium)")
    if DRIVER is None:
        pytest.skip(
            "Debian package chromium-driver is not installed (apt-get install chromium-driver)"
        )
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="ecmon-chromium-")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def digest_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("browser")
    db = build_demo_db(tmp / "demo.db")
    out = tmp / "digest.html"
    ecmon(tmp, "--db", str(db), "digest", "--format", "html", "--output", str(out))
    return out


def open_at_width(browser: Any, page: Path, width: int) -> None:
    browser.set_window_size(width, 1000)
    browser.get(page.as_uri())
    # The window's outer size includes no chrome in headless mode, but measure to be sure.
    inner = browser.execute_script("return window.innerWidth")
    browser.set_window_size(width + (width - inner), 1000)


def top_of(browser: Any, element_id: str) -> float:
    top = browser.execute_script(
        "const e = document.getElementById(arguments[0]);"
        "return e ? e.getBoundingClientRect().top + window.scrollY : null;",
        element_id,
    )
    assert top is not None, f"no element #{element_id}"
    return float(top)


def full_page_screenshot(browser: Any, width: int, target: Path) -> None:
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(width, min(int(height) + 20, 8000))
    target.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(target))


def test_the_chain_is_on_the_first_screen_at_1200_px(browser: Any, digest_file: Path) -> None:
    open_at_width(browser, digest_file, 1200)
    assert browser.execute_script("return window.innerWidth") == 1200
    top = top_of(browser, "timeline")
    print(f"chain section top at 1200 px: {top:.0f} px")  # the figure, for the record (-s)
    assert top < FIRST_SCREEN_PX, f"the chain section starts at {top:.0f} px"
    assert top < top_of(browser, "new-listings")
    text = browser.find_element("id", "timeline").text
    assert "商务部公告2025年第27号" in text and "商务部公告2025年第50号" in text
    full_page_screenshot(browser, 1200, SCREENSHOTS / "digest-1200.png")


def test_the_digest_fits_a_400_px_phone(browser: Any, digest_file: Path) -> None:
    open_at_width(browser, digest_file, 400)
    inner = browser.execute_script("return window.innerWidth")
    scroll = browser.execute_script("return document.documentElement.scrollWidth")
    assert scroll <= inner, f"the page is {scroll} px wide in a {inner} px window"
    assert top_of(browser, "timeline") < top_of(browser, "new-listings")
    full_page_screenshot(browser, 400, SCREENSHOTS / "digest-400.png")
    assert (SCREENSHOTS / "digest-400.png").stat().st_size > 10_000


@pytest.fixture(scope="module")
def large_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The labelled-synthetic day of 150 new entities (tests/digest/support.large_day)."""
    from monitor.digest.render import render_digest
    from tests.digest.test_large_day import large_model

    out = tmp_path_factory.mktemp("large") / "digest-150.html"
    out.write_text(render_digest(large_model(150), "html"), encoding="utf-8")
    return out


@pytest.mark.parametrize("width", [1200, 400])
def test_a_150_entity_day_keeps_the_chain_on_the_first_screen(
    browser: Any, large_file: Path, width: int
) -> None:
    open_at_width(browser, large_file, width)
    top = top_of(browser, "timeline")
    height = browser.execute_script("return document.documentElement.scrollHeight")
    print(f"150 entities at {width} px: chain top {top:.0f} px, page {height} px")  # (-s)
    assert top < top_of(browser, "new-listings")
    if width == 1200:
        assert top < FIRST_SCREEN_PX, f"the chain section starts at {top:.0f} px"
    scroll = browser.execute_script("return document.documentElement.scrollWidth")
    assert scroll <= browser.execute_script("return window.innerWidth")
