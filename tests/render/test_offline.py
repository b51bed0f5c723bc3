import base64
import hashlib
import html
import io
import json
import re
import tarfile
import urllib.error

import branca.colormap
import folium
import pandas as pd
import pytest
from folium import plugins

from planner.errors import InputFileError, PlannerError
from planner.render import offline

# folium writes the attribution into the page JSON-encoded (tojson escapes < > &).
OSM_ATTRIBUTION = (
    json.dumps(
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    )
    .replace("&", "\\u0026")
    .replace("<", "\\u003c")
    .replace(">", "\\u003e")
)

# CDN URLs whose pinned npm version deliberately differs from the one in the URL
# (the URL's exact version is not on npm); documented in docs/offline-maps.md.
SUBSTITUTED = {
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/"
    "leaflet.awesome-markers.js": "leaflet.awesome-markers@2.0.5",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/"
    "leaflet.awesome-markers.css": "leaflet.awesome-markers@2.0.5",
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css": (
        "glyphicons-only-bootstrap@1.0.1"
    ),
}

SCRIPT_SRC_RE = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?([^\"' >]+)", re.IGNORECASE)
LINK_RE = re.compile(r"<link\b[^>]*>", re.IGNORECASE)


def _geojson(escape=True):
    name = '<img src=x onerror="window.__xss=1">'
    name = html.escape(name) if escape else name
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": "a", "name": name, "value": 1.0},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[7.41, 43.72], [7.43, 43.72], [7.43, 43.74], [7.41, 43.72]]],
                },
            },
            {
                "type": "Feature",
                "properties": {"id": "b", "name": "plain", "value": 5.0},
                "geometry": {"type": "LineString", "coordinates": [[7.40, 43.73], [7.44, 43.735]]},
            },
        ],
    }


def build_test_map(escape=True):
    """A map using every folium feature/plugin the planner uses."""
    m = folium.Map(location=[43.73, 7.42], zoom_start=14, tiles="OpenStreetMap")
    cluster = plugins.MarkerCluster(name="Sites").add_to(m)
    folium.Marker([43.73, 7.42], popup="site", icon=folium.Icon(icon="home", angle=15)).add_to(
        cluster
    )
    folium.Marker([43.731, 7.421]).add_to(cluster)
    folium.GeoJson(
        _geojson(escape),
        name="Fiber corridors",
        tooltip=folium.GeoJsonTooltip(fields=["name"]),
        popup=folium.GeoJsonPopup(fields=["name", "value"]),
    ).add_to(m)
    df = pd.DataFrame({"id": ["a", "b"], "value": [1.0, 5.0]})
    shifted = _geojson()  # beside the GeoJson layer so it cannot intercept clicks on it
    for feat in shifted["features"]:
        geom = feat["geometry"]
        rings = geom["coordinates"] if geom["type"] == "Polygon" else [geom["coordinates"]]
        for ring in rings:
            for pt in ring:
                pt[0] += 0.03
    folium.Choropleth(
        geo_data=shifted,
        data=df,
        columns=["id", "value"],
        key_on="feature.properties.id",
        name="Demand",
        legend_name="Demand",
    ).add_to(m)
    branca.colormap.LinearColormap(["green", "red"], vmin=0, vmax=10, caption="Risk").add_to(m)
    plugins.Fullscreen().add_to(m)
    plugins.MeasureControl().add_to(m)
    plugins.MiniMap().add_to(m)
    plugins.HeatMap([[43.735, 7.40, 1.0]], name="Heat").add_to(m)
    folium.LayerControl().add_to(m)
    offline.add_tile_error_notice(m)
    return m


def external_refs(page):
    """Independent scan of a page for external script/stylesheet references."""
    refs = [u for u in SCRIPT_SRC_RE.findall(page) if re.match(r"(https?:)?//", u, re.I)]
    for tag in LINK_RE.findall(page):
        if "stylesheet" in tag.lower():
            href = re.search(r"href\s*=\s*[\"']?([^\"' >]+)", tag, re.I)
            if href and re.match(r"(https?:)?//", href.group(1), re.I):
                refs.append(href.group(1))
    refs += re.findall(r"@import\s+(?:url\()?[\"']?(https?://[^\"')]+)", page, re.I)
    refs += re.findall(r"url\(\s*[\"']?(https?://[^\"')]+)", page, re.I)
    return refs


@pytest.fixture(scope="session")
def assets():
    try:
        return offline.fetch_assets(progress=False)
    except InputFileError as exc:  # no registry access and nothing cached
        pytest.skip(f"npm assets unavailable: {exc}")


# ------------------------------------------------------------------ manifest
def test_manifest_pins_are_complete():
    manifest = offline.load_manifest()
    for spec, pkg in manifest["packages"].items():
        assert spec == f"{pkg['name']}@{pkg['version']}"
        assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", pkg["integrity"]), spec
        assert pkg["tarball"].startswith("https://registry.npmjs.org/"), spec
        assert pkg["tarball"].endswith(f"-{pkg['version']}.tgz"), spec
        assert pkg["license"], spec
    for url, entry in manifest["assets"].items():
        assert url.startswith("https://"), url
        assert entry.get("license") or entry.get("package") in manifest["packages"], url


def test_manifest_versions_match_the_cdn_urls():
    manifest = offline.load_manifest()
    checked = 0
    for url, entry in manifest["assets"].items():
        if "package" not in entry:
            continue
        version = manifest["packages"][entry["package"]]["version"]
        wanted = re.search(r"[@/-](\d+\.\d+\.\d+)[/.]", url)
        if url in SUBSTITUTED:
            assert entry["package"] == SUBSTITUTED[url]
        elif wanted:
            assert wanted.group(1) == version, url
            checked += 1
    assert checked >= 15


def test_manifest_covers_folium_and_plugin_defaults():
    urls = set(offline.load_manifest()["assets"])
    declared = [u for _, u in folium.folium._default_js + folium.folium._default_css]
    for cls in (
        plugins.MarkerCluster,
        plugins.Fullscreen,
        plugins.MeasureControl,
        plugins.MiniMap,
        plugins.HeatMap,
        plugins.Draw,
        folium.GeoJson,
        folium.Choropleth,
        folium.LayerControl,
    ):
        declared += [u for _, u in getattr(cls, "default_js", [])]
        declared += [u for _, u in getattr(cls, "default_css", [])]
    assert len(declared) >= 20
    assert sorted(set(declared) - urls) == []


def test_manifest_covers_everything_a_rendered_map_loads():
    page = build_test_map().get_root().render()
    refs = set(external_refs(page))
    assert any("leaflet" in r for r in refs) and any("d3" in r for r in refs)
    assert sorted(refs - set(offline.load_manifest()["assets"])) == []


# ------------------------------------------------------------------ helpers
def test_resolve_relative_and_css_references():
    assert offline._resolve_relative("css/all.min.css", "../webfonts/a.woff2?v=1#x") == (
        "webfonts/a.woff2"
    )
    assert offline._resolve_relative("dist/leaflet.css", "images/layers.png") == (
        "dist/images/layers.png"
    )
    css = "a{b:url(data:x)} c{d:url('#default#VML')} e{f:url(\"./i/p.png\")} g{h:url(//x/y)}"
    assert offline._css_references(css, "dist/s.css") == ["dist/i/p.png"]


def test_prune_font_sources_keeps_only_woff2():
    css = (
        "@font-face{font-family:X;src:url(a.eot);src:url(a.eot?#iefix) format('embedded-opentype'),"
        "url(a.woff2) format('woff2'),url(a.ttf) format('truetype')}"
        "@font-face{font-family:Y;src:url(b.ttf) format('truetype')}"
    )
    out = offline._prune_font_sources(css)
    first, second = re.findall(r"@font-face\{[^}]*\}", out)
    assert re.findall(r"url\(([^)]*)\)", first) == ["a.woff2"]
    assert "font-family:X" in first
    assert re.findall(r"url\(([^)]*)\)", second) == ["b.ttf"]


def test_unused_font_face_aliases_are_dropped():
    css = (
        '.fa{font-family:"Font Awesome 6 Free"}'
        '@font-face{font-family:"Font Awesome 6 Free";src:url(s.woff2) format("woff2")}'
        '@font-face{font-family:"Font Awesome 5 Free";src:url(s.woff2) format("woff2")}'
        "@font-face{font-family:FontAwesome;src:url(s.woff2) format('woff2')}"
    )
    out = offline._drop_unused_font_faces(css)
    assert re.findall(r"@font-face{font-family:([^;]*);", out) == ['"Font Awesome 6 Free"']
    assert out.startswith('.fa{font-family:"Font Awesome 6 Free"}')


def test_inline_code_cannot_close_its_element():
    js = offline._escape_inline('var s = "</script><img src=x>"; // <!-- x', "js")
    assert "</script" not in js.lower() and "<!--" not in js
    css = offline._escape_inline("a{content:'</style>'}", "css")
    assert "</style" not in css.lower()


def test_env_var_overrides_cache_root(monkeypatch, tmp_path):
    monkeypatch.setenv(offline.ASSETS_ENV_VAR, str(tmp_path / "c"))
    assert offline._default_cache_root() == tmp_path / "c"


# ------------------------------------------------------------------ fetching (no network)
def _fake_package():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in {
            "package/dist/x.css": b"a{background:url(img/p.png)}",
            "package/dist/img/p.png": b"\x89PNG fake",
            "package/LICENSE": b"MIT licence text",
            "package/unused.js": b"nope",
        }.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    data = buf.getvalue()
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    manifest = {
        "schema": 1,
        "folium": "test",
        "packages": {
            "fake@1.0.0": {
                "name": "fake",
                "version": "1.0.0",
                "tarball": "https://registry.npmjs.org/fake/-/fake-1.0.0.tgz",
                "integrity": integrity,
                "license": "MIT",
            }
        },
        "assets": {
            "https://cdn.example/fake@1.0.0/x.css": {"package": "fake@1.0.0", "path": "dist/x.css"}
        },
    }
    return data, manifest


@pytest.fixture
def fake_registry(monkeypatch):
    data, manifest = _fake_package()
    calls = []

    def download(url):
        calls.append(url)
        return state["data"]

    state = {"data": data}
    monkeypatch.setattr(offline, "load_manifest", lambda: manifest)
    monkeypatch.setattr(offline, "_download", download)
    offline._asset_text.cache_clear()
    yield state, calls
    offline._asset_text.cache_clear()


def test_fetch_extracts_needed_files_and_is_idempotent(fake_registry, tmp_path):
    _, calls = fake_registry
    out = offline.fetch_assets(tmp_path, progress=False)
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == [
        "complete.json",
        "fake@1.0.0/LICENSE",
        "fake@1.0.0/dist/img/p.png",
        "fake@1.0.0/dist/x.css",
    ]
    record = json.loads((out / "complete.json").read_text())
    assert record["fake@1.0.0"]["license_files"] == ["LICENSE"]
    assert record["fake@1.0.0"]["sha256"] == {
        rel: hashlib.sha256((out / "fake@1.0.0" / rel).read_bytes()).hexdigest()
        for rel in ("LICENSE", "dist/img/p.png", "dist/x.css")
    }
    assert offline.fetch_assets(tmp_path, progress=False) == out
    assert len(calls) == 1  # second call used the cache
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temp leftovers


def test_tampered_tarball_fails_integrity_and_leaves_no_cache(fake_registry, tmp_path):
    state, _ = fake_registry
    tampered = bytearray(state["data"])
    tampered[len(tampered) // 2] ^= 0xFF
    state["data"] = bytes(tampered)
    with pytest.raises(InputFileError, match="integrity check failed for fake@1.0.0"):
        offline.fetch_assets(tmp_path, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_offline_without_cache_is_one_clear_line(fake_registry, monkeypatch, tmp_path):
    def refuse(url):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(offline, "_download", refuse)
    with pytest.raises(InputFileError) as err:
        offline.fetch_assets(tmp_path, progress=False)
    msg = str(err.value)
    assert "\n" not in msg and "fake@1.0.0" in msg and offline.ASSETS_ENV_VAR in msg


def test_fake_css_is_inlined_with_data_uri(fake_registry, tmp_path):
    page = '<html><head><link rel="stylesheet" href="https://cdn.example/fake@1.0.0/x.css"/>'
    page += "</head><body></body></html>"
    out = offline.make_self_contained(page, cache_dir=tmp_path)
    b64 = base64.b64encode(b"\x89PNG fake").decode()
    assert f'url("data:image/png;base64,{b64}")' in out
    assert "<link" not in out and external_refs(out) == []


FAKE_PAGE = (
    '<html><head><link rel="stylesheet" href="https://cdn.example/fake@1.0.0/x.css"/>'
    "</head><body></body></html>"
)


@pytest.mark.parametrize(
    ("rel", "evil"),
    [("dist/x.css", b"a{background:url(https://evil.example/x)}"), ("dist/img/p.png", b"EVIL")],
)
def test_a_tampered_cache_file_is_refused_naming_it(fake_registry, tmp_path, rel, evil):
    out = offline.fetch_assets(tmp_path, progress=False)
    (out / "fake@1.0.0" / rel).write_bytes(evil)
    with pytest.raises(InputFileError) as err:
        offline.make_self_contained(FAKE_PAGE, cache_dir=tmp_path)
    msg = str(err.value)
    assert "\n" not in msg and rel in msg and "tampered or corrupt" in msg


def test_a_cache_without_file_hashes_is_fetched_again(fake_registry, tmp_path):
    _, calls = fake_registry
    out = offline.fetch_assets(tmp_path, progress=False)
    record = json.loads((out / "complete.json").read_text())
    del record["fake@1.0.0"]["sha256"]  # as written before per-file hashes existed
    (out / "complete.json").write_text(json.dumps(record))
    (out / "fake@1.0.0" / "dist" / "x.css").write_bytes(b"a{color:red}")  # unverifiable
    assert offline.fetch_assets(tmp_path, progress=False) == out
    assert len(calls) == 2
    assert (out / "fake@1.0.0" / "dist" / "x.css").read_bytes().startswith(b"a{background")
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # old copy and temp removed
    assert "data:image/png;base64," in offline.make_self_contained(FAKE_PAGE, cache_dir=tmp_path)


def test_a_cache_recorded_against_another_lock_is_fetched_again(fake_registry, tmp_path):
    _, calls = fake_registry
    out = offline.fetch_assets(tmp_path, progress=False)
    record = json.loads((out / "complete.json").read_text())
    record["fake@1.0.0"]["integrity"] = "sha512-" + "A" * 86 + "=="
    (out / "complete.json").write_text(json.dumps(record))
    offline.fetch_assets(tmp_path, progress=False)
    assert len(calls) == 2


# ------------------------------------------------------------------ real assets
def test_a_tampered_leaflet_js_lands_in_no_map(assets, tmp_path):
    import shutil

    root = tmp_path / "assets"
    cache = root / assets.name
    shutil.copytree(assets, cache)
    leaflet = cache / "leaflet@1.9.3" / "dist" / "leaflet.js"
    leaflet.write_text(leaflet.read_text() + "\nwindow.__pwned = 1;\n")
    out = tmp_path / "site"
    out.mkdir()
    with pytest.raises(InputFileError) as err:
        offline.save_self_contained(build_test_map(), out / "map.html", cache_dir=root)
    msg = str(err.value)
    assert "\n" not in msg and str(leaflet) in msg
    assert list(out.iterdir()) == []  # nothing written, so no tampered content anywhere


def test_self_contained_map_has_no_external_code(assets, tmp_path):
    m = build_test_map()
    path = offline.save_self_contained(m, tmp_path / "map.html")
    page = path.read_text()
    assert external_refs(page) == []
    assert "<link" not in page.lower() or all(
        "stylesheet" not in t.lower() for t in LINK_RE.findall(page)
    )
    assert OSM_ATTRIBUTION in page
    assert "data:font/woff2;base64," in page  # Font Awesome / glyphicon fonts
    fonts = re.findall(r"data:font/woff2;base64,([A-Za-z0-9+/=]{64})", page)
    assert len(fonts) == len(set(fonts))  # each font file embedded once
    assert "L.Icon.Default.mergeOptions" in page and "data:image/png;base64," in page
    assert page.count("/* leaflet@1.9.3/dist/leaflet.js (BSD-2-Clause)") == 1
    assert offline.TILE_ERROR_MESSAGE in page
    assert list(tmp_path.iterdir()) == [path]  # atomic write left no temp file


def test_unknown_cdn_url_raises_listing_it(assets):
    m = folium.Map()
    m.get_root().header.add_child(folium.JavascriptLink("https://cdn.example.org/new-plugin.js"))
    m.get_root().header.add_child(folium.CssLink("//cdn.example.org/new-plugin.css"))
    with pytest.raises(PlannerError) as err:
        offline.make_self_contained(m.get_root().render())
    assert "https://cdn.example.org/new-plugin.js" in str(err.value)
    assert "https://cdn.example.org/new-plugin.css" in str(err.value)


def test_unpinned_plugin_is_refused(assets):
    m = folium.Map()
    plugins.LocateControl().add_to(m)
    with pytest.raises(PlannerError, match="leaflet-locatecontrol"):
        offline.make_self_contained(m.get_root().render())


def test_tag_text_inside_scripts_is_not_treated_as_a_tag(assets):
    page = (
        "<html><head><script>var s = '<script src=\"https://evil.example/x.js\">';</script>"
        "</head><body></body></html>"
    )
    assert offline.make_self_contained(page) == page
