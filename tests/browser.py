"""Headless-Chromium helpers for tests: local server, blocked network, console errors."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
CHROMEDRIVER_CANDIDATES = ("/usr/bin/chromedriver",)

# Failed loads that the deliberately blocked network causes and a test expects:
# basemap tiles (any tile server) and the browser's own favicon probe. A failed CDN
# script or stylesheet is NOT in this list, so it shows up as an error.
_TILE_HOSTS = (
    "tile.openstreetmap.org",
    "tile.osm.org",
    "basemaps.cartocdn.com",
    "server.arcgisonline.com",
    "tile.opentopomap.org",
)


#: JS prelude binding ``m`` to the page's folium map (the L.Map on a .folium-map element).
FIND_MAP = (
    "var m = Object.values(window).filter(function (v) {"
    "  return v instanceof L.Map && v.getContainer().classList.contains('folium-map'); })[0];"
)
#: JS returning the text of the open popup, or null when none is open.
POPUP_TEXT = (
    "var p = document.querySelector('.leaflet-popup-content'); return p ? p.textContent : null;"
)
#: JS returning the layer control's labels (their text, trimmed).
LAYER_LABELS = (
    "return Array.from(document.querySelectorAll('.leaflet-control-layers label'))"
    ".map(function (l) { return l.textContent.trim(); });"
)


def _first_existing(candidates: tuple[str, ...], env: str) -> str | None:
    override = os.environ.get(env)
    for path in ((override,) if override else ()) + candidates:
        if path and Path(path).is_file() and os.access(path, os.X_OK):
            return path
    return None


def find_browser() -> tuple[str | None, str | None, str | None]:
    """Return ``(chromium, chromedriver, skip_reason)``; reason is None when usable."""
    chromium = _first_existing(CHROMIUM_CANDIDATES, "PLANNER_CHROMIUM")
    driver = _first_existing(CHROMEDRIVER_CANDIDATES, "PLANNER_CHROMEDRIVER")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return chromium, driver, "selenium is not installed (pip install selenium)"
    if chromium is None:
        return None, driver, "Chromium not found (apt-get install chromium chromium-driver)"
    if driver is None:
        return chromium, None, "chromedriver not found (apt-get install chromium-driver)"
    return chromium, driver, None


def skip_reason() -> str | None:
    """Return why browser tests must be skipped, or None when they can run."""
    return find_browser()[2]


def require_browser_and_assets() -> None:
    """Skip the calling test when Chromium/selenium or the npm map assets are unavailable."""
    from planner.errors import InputFileError
    from planner.render import offline

    reason = skip_reason()
    if reason:
        pytest.skip(f"browser test skipped: {reason}")
    try:
        offline.fetch_assets(progress=False)
    except InputFileError as exc:
        pytest.skip(f"npm assets unavailable: {exc}")


def wait_for(driver: object, script: str, timeout: float = 15.0) -> object:
    """Run ``script`` every 0.2 s until it returns something truthy; return that value."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for: {script}")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextmanager
def serve_folder(folder: str | os.PathLike) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 at a free port; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _dead_port() -> int:
    """A loopback port with nothing listening, used as a black-hole proxy."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def offline_chromium(width: int = 1200, height: int = 800) -> Iterator[object]:
    """Start headless Chromium whose only reachable host is 127.0.0.1.

    All other traffic goes to a proxy port nobody listens on and every host name
    except 127.0.0.1 resolves to NOTFOUND, so any CDN/tile request fails.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path, reason = find_browser()
    if reason:
        raise RuntimeError(reason)
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download
    profile = tempfile.mkdtemp(prefix="planner-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--window-size={width},{height}",
        f"--user-data-dir={profile}",
        f"--proxy-server=http://127.0.0.1:{_dead_port()}",
        "--proxy-bypass-list=127.0.0.1",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=driver_path)
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@contextmanager
def open_page(folder: str | os.PathLike, page: str = "map.html") -> Iterator[tuple[object, str]]:
    """Serve ``folder``, open ``page`` in offline Chromium; yields ``(driver, base_url)``."""
    with serve_folder(folder) as base, offline_chromium() as driver:
        driver.get(f"{base}/{page}")
        yield driver, base


def console_logs(driver: object) -> list[dict]:
    """Return (and drain) all browser console entries collected so far."""
    return list(driver.get_log("browser"))


def is_expected_network_noise(entry: dict) -> bool:
    """True for console lines caused by blocked tile servers or the favicon probe."""
    msg = entry.get("message", "")
    if any(host in msg for host in _TILE_HOSTS):
        return True
    return msg.startswith("http://127.0.0.1:") and "/favicon.ico" in msg


def severe_errors(entries: list[dict]) -> list[str]:
    """SEVERE console messages, minus failed loads from the blocked tile servers."""
    return [
        e["message"]
        for e in entries
        if e.get("level") == "SEVERE" and not is_expected_network_noise(e)
    ]


def screenshot(driver: object, path: str | os.PathLike) -> Path:
    """Save a PNG screenshot of the current page; returns its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not driver.save_screenshot(str(path)):
        raise RuntimeError(f"screenshot failed: {path}")
    return path
