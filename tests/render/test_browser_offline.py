import json
import time

import pytest

from planner.render import offline

try:  # works whether or not tests/ is a package
    from tests.test_offline import build_test_map

    from tests import browser
except ImportError:  # pragma: no cover
    import browser
    from test_offline import build_test_map

pytestmark = pytest.mark.browser

XSS_NAME = '<img src=x onerror="window.__xss=1">'


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    browser.require_browser_and_assets()
    folder = tmp_path_factory.mktemp("site")
    offline.save_self_contained(build_test_map(), folder / "map.html")
    shots = tmp_path_factory.mktemp("screenshots")
    # Control page: the same map with the payload NOT escaped, to prove the probe works.
    offline.save_self_contained(build_test_map(escape=False), folder / "unescaped.html")
    with browser.open_page(folder) as (driver, base):
        yield driver, shots, base


def click_polygon(driver):
    from selenium.webdriver.common.action_chains import ActionChains

    # Click inside the triangle (7.41,43.72)-(7.43,43.72)-(7.43,43.74) whose name
    # property is the escaped payload; use the map's own projection to find the pixel.
    map_el, dx, dy, hit = driver.execute_script(
        browser.FIND_MAP + "var p = m.latLngToContainerPoint([43.725, 7.427]);"
        "var size = m.getSize(); var r = m.getContainer().getBoundingClientRect();"
        "var el = document.elementFromPoint(r.left + p.x, r.top + p.y);"
        "return [m.getContainer(), p.x - size.x / 2, p.y - size.y / 2,"
        "        el && el.tagName.toLowerCase()];"
    )
    assert hit == "path"  # the GeoJson polygon is what lies under the pointer
    ActionChains(driver).move_to_element_with_offset(map_el, int(dx), int(dy)).click().perform()


def test_map_works_offline(page):
    driver, shots, _ = page
    assert driver.execute_script("return typeof L !== 'undefined' && typeof jQuery") == "function"
    browser.wait_for(
        driver, "return document.querySelectorAll('path.leaflet-interactive').length >= 2"
    )

    names = driver.execute_script(browser.LAYER_LABELS)
    for layer in ("Fiber corridors", "Sites", "Demand", "Heat"):
        assert layer in names

    attribution = driver.execute_script(
        "return document.querySelector('.leaflet-control-attribution').textContent"
    )
    assert "\u00a9 OpenStreetMap contributors" in attribution

    # The icon fonts load from the inlined woff2 data URIs (no network font).
    for font in ('900 16px "Font Awesome 6 Free"', '16px "Glyphicons Halflings"'):
        statuses = driver.execute_async_script(
            "var done = arguments[arguments.length - 1];"
            "document.fonts.load(arguments[0]).then("
            "  function (faces) { done(faces.map(function (f) { return f.status; })); },"
            "  function (err) { done(['error: ' + err]); });",
            font,
        )
        assert statuses and set(statuses) == {"loaded"}, (font, statuses)
    # Default Leaflet marker icon comes from a data: URI, not a broken imagePath.
    icon_src = driver.execute_script("return new L.Icon.Default()._getIconUrl('icon')")
    assert icon_src.startswith("data:image/png;base64,")

    # Banner appears because tiles cannot load.
    banner = browser.wait_for(
        driver,
        "var b = document.querySelector('.planner-tile-error');"
        "return b && b.offsetParent !== null ? b.textContent : null;",
    )
    assert banner == offline.TILE_ERROR_MESSAGE
    browser.screenshot(driver, shots / "offline-map.png")
    assert (shots / "offline-map.png").stat().st_size > 10_000


def test_clicking_a_feature_opens_an_escaped_popup(page):
    driver, shots, _ = page
    from selenium.webdriver.common.by import By

    click_polygon(driver)
    content = browser.wait_for(driver, browser.POPUP_TEXT)
    assert XSS_NAME in content  # shown literally, as text
    assert driver.find_elements(By.CSS_SELECTOR, ".leaflet-popup-content img") == []
    # Hovering also renders the tooltip; the payload must not have run anywhere.
    time.sleep(0.5)
    assert driver.execute_script("return typeof window.__xss") == "undefined"
    browser.screenshot(driver, shots / "popup.png")


def test_no_severe_javascript_errors(page):
    driver, _, _ = page
    time.sleep(1.0)
    entries = browser.console_logs(driver)
    errors = browser.severe_errors(entries)
    assert errors == [], json.dumps(errors, indent=1)
    # The blocked tile requests were attempted (and ignored as expected noise).
    assert any(browser.is_expected_network_noise(e) for e in entries)


def test_xss_probe_detects_an_unescaped_payload(page):
    driver, _, base = page
    driver.get(f"{base}/unescaped.html")
    browser.wait_for(
        driver, "return document.querySelectorAll('path.leaflet-interactive').length >= 2"
    )
    click_polygon(driver)
    browser.wait_for(driver, "return document.querySelector('.leaflet-popup-content')")
    assert browser.wait_for(driver, "return window.__xss") == 1


def test_network_really_is_blocked(page):
    driver, _, _ = page
    # A CDN fetch from inside the page must fail, proving the page cannot cheat.
    result = driver.execute_async_script(
        "var done = arguments[0];"
        "fetch('https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js')"
        ".then(function () { done('loaded'); }, function () { done('blocked'); });"
    )
    assert result == "blocked"
    errors = browser.severe_errors(browser.console_logs(driver))
    assert any("cdn.jsdelivr.net" in e for e in errors)  # and the harness reports it
