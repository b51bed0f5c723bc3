"""The run's combined map in network-blocked headless Chromium: layers, hex popup, no XSS."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from planner.plan import CABINET_COLUMNS, DROP_COLUMNS, ROUTE_COLUMNS, FiberPlan
from planner.render import maps

try:  # works whether or not tests/ is a package
    from tests import browser
    from tests.conftest import SHARED_FILES
    from tests.render.test_maps import XSS_NAME, frame, synthetic_drones, typed, xss_city
except ImportError:  # pragma: no cover
    import browser
    from conftest import SHARED_FILES
    from test_maps import XSS_NAME, frame, synthetic_drones, typed, xss_city

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "outputs" / "screenshots"
DOC_IMG = ROOT / "docs" / "img" / "map.png"
CITIES = ["helsinki", "liechtenstein"]


def _analyses(city):
    """The real fibre analysis and stand-in corridors (the browser checks the map, not them)."""
    from planner.fiber import analyze_fiber

    return analyze_fiber(city), synthetic_drones(city)


@pytest.fixture(scope="module", params=CITIES)
def page(request, tmp_path_factory):
    browser.require_browser_and_assets()
    from planner.city import load_city

    if request.param == "helsinki":
        city = load_city(progress=False)
    else:
        path = SHARED_FILES[request.param]
        if not path.is_file():
            pytest.skip(f"{path} not present (../shared is absent)")
        city = load_city(path, progress=False)
    city = xss_city(city)
    fiber, drones = _analyses(city)
    folder = tmp_path_factory.mktemp(f"site-{request.param}")
    maps.write_maps(folder, city, fiber=fiber, drones=drones)
    info = json.loads((folder / "maps.json").read_text())["map.html"]
    with browser.open_page(folder) as (driver, _):
        yield driver, request.param, info


def test_layer_control_lists_expected_layers(page):
    driver, _, info = page
    names = browser.wait_for(driver, browser.LAYER_LABELS, timeout=20.0)
    assert sorted(names) == sorted(["OpenStreetMap", "Light basemap", *info["layers"]])
    for prefix in (
        "Coverage hexes r9",
        "Premises: unserved",
        "Gap clusters",
        "No-fly",
        "Ground risk",
        "Drone corridors",
        "Hubs",
    ):
        assert any(n.startswith(prefix) for n in names), (prefix, names)
    attribution = driver.execute_script(
        "return document.querySelector('.leaflet-control-attribution').textContent"
    )
    assert "\u00a9 OpenStreetMap contributors" in attribution


def test_click_on_a_hex_opens_its_popup(page):
    from selenium.webdriver.common.action_chains import ActionChains

    driver, city, _ = page
    # Candidate hexes (most premises first) and their centre pixels, from the map itself.
    hexes = driver.execute_script(
        browser.FIND_MAP + "var out = [];"
        "m.eachLayer(function (l) {"
        "  if (l.feature && l.feature.properties && l.feature.properties.h3 &&"
        "      l.feature.properties.resolution === '9' && l.getBounds) {"
        "    var p = m.latLngToContainerPoint(l.getBounds().getCenter()); var s = m.getSize();"
        "    if (p.x > 250 && p.y > 120 && p.x < s.x - 300 && p.y < s.y - 150)"
        "      out.push([l.feature.properties.h3, +l.feature.properties.premises,"
        "                p.x - s.x / 2, p.y - s.y / 2]);"
        "  }});"
        "out.sort(function (a, b) { return b[1] - a[1]; }); return [m.getContainer(), out];"
    )
    map_el, cands = hexes
    assert cands, "no resolution-9 hexagon visible on the map"
    for h3_id, _, dx, dy in cands[:8]:
        ActionChains(driver).move_to_element_with_offset(map_el, int(dx), int(dy)).click().perform()
        time.sleep(0.4)
        text = driver.execute_script(browser.POPUP_TEXT) or ""
        if h3_id in text:
            assert "coverage (%)" in text and "premises" in text
            SHOTS.mkdir(parents=True, exist_ok=True)
            shot = browser.screenshot(driver, SHOTS / f"{city}-hex-popup.png")
            assert shot.stat().st_size > 20_000
            # the README image is refreshed on request only, so test runs keep the tree clean
            if city == "helsinki" and (
                not DOC_IMG.exists() or os.environ.get("PLANNER_UPDATE_DOC_IMG") == "1"
            ):
                DOC_IMG.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(shot, DOC_IMG)
            return
    raise AssertionError(f"no click opened a hexagon popup; last popup text: {text!r}")


def test_xss_payload_in_a_building_name_does_not_run(page):
    driver, _, _ = page
    # Open the popup of every feature whose name carries the payload (buildings, assets,
    # zones) through Leaflet's own click handling; hover tooltips too.
    opened = driver.execute_script(
        browser.FIND_MAP + "m.closePopup(); var n = 0;"
        "m.eachLayer(function (l) {"
        "  var p = l.feature && l.feature.properties;"
        "  if (p && String(p.name || '').indexOf('onerror') >= 0) {"
        "    var ll = l.getBounds ? l.getBounds().getCenter() : l.getLatLng();"
        "    l.fire('mouseover', {latlng: ll}, true); l.fire('click', {latlng: ll}, true);"
        "    n += 1;"
        "  }}); return n;"
    )
    assert opened >= 1
    content = browser.wait_for(
        driver,
        "var t = Array.from(document.querySelectorAll('.leaflet-popup-content'))"
        ".map(function (p) { return p.textContent; }).join(' | ');"
        "return t.indexOf('onerror') >= 0 ? t : null;",
        timeout=20.0,
    )
    assert XSS_NAME in content  # shown literally, as text
    time.sleep(0.5)
    assert driver.execute_script("return typeof window.__xss") == "undefined"
    assert (
        driver.execute_script(
            "return document.querySelectorAll('.leaflet-popup-content img, .leaflet-tooltip img')"
            ".length"
        )
        == 0
    )


def test_no_severe_javascript_errors(page):
    driver, city, _ = page
    time.sleep(1.0)
    errors = browser.severe_errors(browser.console_logs(driver))
    assert errors == [], json.dumps(errors, indent=1)
    assert (
        driver.execute_script(
            "return document.querySelectorAll('.leaflet-control-minimap, .leaflet-control-measure,"
            " .leaflet-control-zoom-fullscreen, .leaflet-control-scale').length"
        )
        >= 4
    )
    browser.screenshot(driver, SHOTS / f"{city}-map.png")


@pytest.fixture(scope="module")
def layer_name_page(helsinki, tmp_path_factory):
    """A run whose no-fly kinds and a plan phase carry the payload."""
    browser.require_browser_and_assets()
    drones = synthetic_drones(helsinki, kinds=("hospital", XSS_NAME))
    streets = helsinki.layers()["streets"].head(2)
    routes = frame(
        ROUTE_COLUMNS,
        {"phase": ["1", XSS_NAME], "length_m": [10.0, 20.0], "cost": [1.0, 2.0]},
        streets.geometry.to_numpy(),
        streets.crs,
    )
    cabinets = frame(CABINET_COLUMNS, {}, [], streets.crs)
    drops = frame(DROP_COLUMNS, {}, [], streets.crs)
    plan = typed(FiberPlan, routes=routes, cabinets=cabinets, drops=drops, summary={})
    folder = tmp_path_factory.mktemp("site-layer-names")
    maps.write_maps(folder, helsinki, plan=plan, drones=drones)
    with browser.open_page(folder) as (driver, _):
        yield driver


def test_xss_payload_in_a_layer_name_does_not_run(layer_name_page):
    driver = layer_name_page
    names = browser.wait_for(driver, browser.LAYER_LABELS, timeout=20.0)
    for prefix in ("No-fly: ", "Planned routes: phase "):
        assert f"{prefix}{XSS_NAME} (1)" in names, (prefix, names)  # shown literally, as text
    time.sleep(0.5)
    assert driver.execute_script("return typeof window.__xss") == "undefined"
    assert (
        driver.execute_script(
            "return document.querySelectorAll('.leaflet-control-layers img').length"
        )
        == 0
    )
