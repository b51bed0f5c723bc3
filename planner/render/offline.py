"""Make folium maps self-contained: pinned npm assets inlined, offline tile notice."""

from __future__ import annotations

import base64
import hashlib
import html as html_lib
import json
import mimetypes
import os
import re
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from functools import lru_cache
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

from planner._files import atomic_path
from planner._i18n import mark
from planner.errors import InputFileError, PlannerError

__all__ = [
    "ASSETS_ENV_VAR",
    "TILE_ERROR_MESSAGE",
    "add_tile_error_notice",
    "fetch_assets",
    "load_manifest",
    "make_self_contained",
    "manifest_version_key",
    "save_self_contained",
]

#: Environment variable overriding the root folder of the asset cache.
ASSETS_ENV_VAR = "PLANNER_ASSETS_DIR"

#: Text of the banner shown when basemap tiles fail to load.
TILE_ERROR_MESSAGE = mark("Basemap tiles could not load (offline?) - vector layers are still shown")

_DOWNLOAD_TIMEOUT_S = 60
_COMPLETE_MARKER = "complete.json"
_LICENSE_RE = re.compile(r"^(licen[cs]e|copying|mit-licen[cs]e)([.-].*)?$", re.IGNORECASE)
_CSS_URL_RE = re.compile(r"""url\(\s*(?P<q>['"]?)(?P<url>[^'")]*?)(?P=q)\s*\)""")
_SOURCEMAP_RE = re.compile(r"^\s*(//|/\*)[#@]\s*sourceMappingURL=[^\n]*$", re.MULTILINE)
_FONT_FACE_RE = re.compile(r"@font-face\s*\{[^{}]*\}", re.IGNORECASE)
_EXTERNAL_RE = re.compile(r"^(https?:)?//", re.IGNORECASE)
# Extra MIME types that mimetypes may not know on minimal systems.
_MIME = {
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".eot": "application/vnd.ms-fontobject",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".gif": "image/gif",
    ".cur": "image/x-icon",
}


# --------------------------------------------------------------------------- manifest
@lru_cache(maxsize=1)
def load_manifest() -> dict[str, Any]:
    """Return the pinned asset manifest shipped as ``planner/data/assets.lock.json``.

    Returns
    -------
    dict
        ``{"packages": {spec: {...}}, "assets": {cdn_url: {...}}, ...}``; every npm
        package carries its tarball URL, ``dist.integrity`` (sha512) and licence.
    """
    text = resources.files("planner").joinpath("data/assets.lock.json").read_text("utf-8")
    return json.loads(text)


def manifest_version_key(manifest: dict[str, Any] | None = None) -> str:
    """Return the cache sub-folder name: a short hash of the manifest content.

    Parameters
    ----------
    manifest : dict, optional
        Manifest to hash; defaults to :func:`load_manifest`.

    Returns
    -------
    str
        For example ``"folium-0.20.0-1a2b3c4d5e6f"``; changes whenever a pin changes.
    """
    manifest = load_manifest() if manifest is None else manifest
    digest = hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()[:12]
    return f"folium-{manifest.get('folium', 'x')}-{digest}"


def _default_cache_root() -> Path:
    env = os.environ.get(ASSETS_ENV_VAR)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "planner" / "assets"


# --------------------------------------------------------------------------- fetching
def _download(url: str) -> bytes:
    """Download ``url`` over HTTPS; tests monkeypatch this to simulate failures."""
    request = urllib.request.Request(url, headers={"User-Agent": "planner-asset-fetch"})
    with urllib.request.urlopen(request, timeout=_DOWNLOAD_TIMEOUT_S) as response:
        return response.read()


def _check_integrity(data: bytes, integrity: str, label: str) -> None:
    """Raise InputFileError unless ``data`` matches an SRI string ``sha512-<base64>``."""
    algo, _, expected = integrity.partition("-")
    if algo != "sha512" or not expected:
        raise InputFileError(f"assets.lock.json: {label} has no sha512 integrity ({integrity!r})")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != expected:
        raise InputFileError(
            f"integrity check failed for {label}: expected sha512-{expected[:16]}..., "
            f"got sha512-{actual[:16]}... (tampered or corrupt download)"
        )


def _needed_files(manifest: dict[str, Any]) -> dict[str, set[str]]:
    """Map each npm package spec to the asset paths (inside ``package/``) to extract."""
    needed: dict[str, set[str]] = {spec: set() for spec in manifest["packages"]}
    for entry in manifest["assets"].values():
        if "package" in entry:
            needed[entry["package"]].add(entry["path"])
    for spec, pkg in manifest["packages"].items():
        needed[spec].update(pkg.get("extra_files", []))
    return needed


def _css_references(css: str, css_path: str) -> list[str]:
    """Return package-relative paths referenced by ``url(...)`` in a CSS file."""
    out = []
    for match in _CSS_URL_RE.finditer(css):
        ref = match.group("url").strip()
        if not ref or ref.startswith(("data:", "#")) or _EXTERNAL_RE.match(ref):
            continue
        out.append(_resolve_relative(css_path, ref))
    return out


def _resolve_relative(base_file: str, ref: str) -> str:
    """Resolve ``ref`` (minus ``?query``/``#fragment``) relative to ``base_file``'s folder."""
    ref = re.split(r"[?#]", ref, maxsplit=1)[0]
    parts: list[str] = list(PurePosixPath(base_file).parent.parts)
    for part in PurePosixPath(ref).parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _extract_package(
    data: bytes, wanted: set[str], dest: Path, spec: str
) -> tuple[list[str], dict[str, str]]:
    """Extract ``wanted`` files, their CSS ``url()`` targets and licence files from a tarball.

    Returns the package-relative paths of the licence files found and the sha256 (hex) of
    every extracted file, by package-relative path, for :func:`_read_verified`.
    """
    import io

    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = {}
        for member in tar.getmembers():
            if not member.isfile():
                continue
            # npm tarballs put everything under one top folder (usually "package/").
            rel = member.name.split("/", 1)[1] if "/" in member.name else member.name
            members[rel] = member
        licences = [rel for rel in members if "/" not in rel and _LICENSE_RE.match(rel)]
        todo = sorted(wanted) + licences
        done: set[str] = set()
        hashes: dict[str, str] = {}
        while todo:
            rel = todo.pop()
            if rel in done:
                continue
            done.add(rel)
            member = members.get(rel)
            if member is None:
                # url() targets such as IE-only .eot files may be absent: the CSS
                # rewrite will drop them. A missing *asset* is a manifest error.
                if rel in wanted:
                    raise InputFileError(f"assets.lock.json: {spec} has no file {rel!r}")
                continue
            content = tar.extractfile(member).read()
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            hashes[rel] = hashlib.sha256(content).hexdigest()
            if rel.endswith(".css"):
                todo.extend(_css_references(content.decode("utf-8", "replace"), rel))
    return licences, dict(sorted(hashes.items()))


def fetch_assets(cache_dir: str | os.PathLike | None = None, progress: bool = True) -> Path:
    """Download, verify and unpack every pinned npm asset into a local cache.

    Tarballs come from the npm registry over HTTPS (no ``npm`` needed), are checked
    against the manifest's sha512 ``dist.integrity`` and only the files the maps need
    (plus CSS ``url()`` targets and licence files) are kept. The cache folder is built
    in a temporary sibling and renamed into place, so it is either complete or absent.

    Parameters
    ----------
    cache_dir : path-like, optional
        Root of the cache. Default: ``$PLANNER_ASSETS_DIR`` if set, else
        ``~/.cache/planner/assets`` (``$XDG_CACHE_HOME`` respected).
    progress : bool
        Print one line per downloaded package on stderr.

    Returns
    -------
    pathlib.Path
        ``<root>/<version-key>``, holding ``<name>@<version>/<path>`` files and
        ``complete.json`` (package, version, licence, licence files, sha256 per file).
        A cache from before per-file hashes, or whose recorded sha512 differs from the
        lock file's, is fetched again.

    Raises
    ------
    InputFileError
        When the registry cannot be reached and the cache is empty, or a download
        fails its integrity check.
    """
    manifest = load_manifest()
    root = Path(cache_dir).expanduser() if cache_dir is not None else _default_cache_root()
    final = root / manifest_version_key(manifest)
    if _is_current(_read_record(final), manifest):
        return final
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputFileError(f"asset cache folder {root} cannot be created: {exc}") from None
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    try:
        needed = _needed_files(manifest)
        record = {
            spec: _fetch_package(spec, pkg, needed[spec], tmp, final, progress)
            for spec, pkg in manifest["packages"].items()
        }
        (tmp / _COMPLETE_MARKER).write_text(json.dumps(record, indent=2) + "\n")
        _install(tmp, final, manifest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _fetch_package(
    spec: str, pkg: dict[str, Any], wanted: set[str], tmp: Path, final: Path, progress: bool
) -> dict[str, Any]:
    """Download one package, check its sha512, extract what the maps need into ``tmp``.

    Returns its ``complete.json`` record: licence, licence files, tarball, integrity and
    the sha256 of every extracted file.
    """
    url = pkg["tarball"]
    if progress:
        print(f"planner: fetching {spec} from {url}", file=sys.stderr)
    try:
        data = _download(url)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InputFileError(
            f"cannot download {spec} from {url} ({reason}); offline and no asset "
            f"cache at {final} - run planner.render.offline.fetch_assets() with network "
            f"access or point {ASSETS_ENV_VAR} at a filled cache"
        ) from None
    _check_integrity(data, pkg["integrity"], f"{spec} ({url})")
    licences, files = _extract_package(data, wanted, tmp / spec, spec)
    return {
        "license": pkg["license"],
        "license_files": licences,
        "tarball": url,
        "integrity": pkg["integrity"],
        "sha256": files,
    }


def _install(tmp: Path, final: Path, manifest: dict[str, Any]) -> None:
    """Rename the filled ``tmp`` to ``final``, replacing an outdated cache there."""
    old = None
    if final.exists():  # a cache from before per-file hashes, or not matching the lock
        old = final.with_name(f".old-{os.getpid()}-{final.name}")
        os.replace(final, old)
    try:
        os.replace(tmp, final)
    except OSError:
        # Another process finished first (target exists and is non-empty).
        if not _is_current(_read_record(final), manifest):
            raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------- verification
def _read_record(cache: Path) -> dict[str, Any] | None:
    """Return the cache's ``complete.json`` (None when absent or unreadable)."""
    try:
        record = json.loads((cache / _COMPLETE_MARKER).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _is_current(record: dict[str, Any] | None, manifest: dict[str, Any]) -> bool:
    """Return True when ``record`` covers every pinned package, with the lock's integrity.

    A cache written before per-file hashes were recorded (no ``sha256``) is not current:
    :func:`fetch_assets` fetches it again rather than inline unverifiable files.
    """
    if record is None:
        return False
    return all(
        isinstance(record.get(spec), dict)
        and record[spec].get("integrity") == pkg["integrity"]
        and isinstance(record[spec].get("sha256"), dict)
        for spec, pkg in manifest["packages"].items()
    )


def _read_verified(cache: Path, spec: str, rel: str) -> bytes:
    """Read ``<cache>/<spec>/<rel>`` after checking it against its recorded sha256.

    ``complete.json`` records the sha256 of each file as extracted from the tarball that
    matched the lock file's sha512 (and :func:`fetch_assets` checks the recorded sha512
    against the lock), so a file changed since - a tampered ``leaflet.js`` - is refused
    with one line naming it instead of landing in every map.
    """
    path = cache / spec / rel
    if not path.is_file():
        raise InputFileError(f"asset cache {cache} lacks {spec}/{rel}; delete it and refetch")
    data = path.read_bytes()
    record = _read_record(cache) or {}
    expected = (record.get(spec) or {}).get("sha256", {}).get(rel)
    if expected is None or hashlib.sha256(data).hexdigest() != expected:
        raise InputFileError(
            f"asset cache file {path} does not match the sha256 recorded when it was "
            f"fetched and verified (tampered or corrupt); delete {cache} and fetch again"
        )
    return data


# --------------------------------------------------------------------------- inlining
def _data_uri(data: bytes, path: str) -> str:
    suffix = PurePosixPath(path).suffix.lower()
    mime = _MIME.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def _prune_font_sources(css: str) -> str:
    """Keep only the woff2 source of each ``@font-face`` that offers one.

    Every browser able to run Leaflet 1.9 reads woff2; dropping the eot/woff/ttf/svg
    fallbacks shrinks an inlined Font Awesome from ~1.3 MB to ~0.4 MB of base64.
    """

    def fix(block: re.Match[str]) -> str:
        text = block.group(0)
        if "woff2" not in text:
            return text
        woff2 = re.search(r"""url\([^)]*\.woff2[^)]*\)\s*format\(\s*['"]?woff2['"]?\s*\)""", text)
        if woff2 is None:
            return text
        body = re.sub(r"\bsrc\s*:[^;}]*;?", "", text)
        return body.replace("{", "{src:" + woff2.group(0) + ";", 1)

    return _FONT_FACE_RE.sub(fix, css)


def _drop_unused_font_faces(css: str) -> str:
    """Drop ``@font-face`` rules whose family the stylesheet itself never uses.

    Font Awesome 6's ``all.css`` declares its three font files again under the Font Awesome
    4 and 5 family names (compatibility aliases no rule of the sheet refers to); inlined, each
    file would be embedded three times (~0.75 MB of base64 per map). Icons keep working
    through the ``fa-*`` classes, which use the Font Awesome 6 families.
    """
    rest = _FONT_FACE_RE.sub("", css)

    def keep(block: re.Match[str]) -> str:
        family = re.search(r"""font-family\s*:\s*(['"]?)([^;'"}]+)\1""", block.group(0))
        return block.group(0) if family is None or family.group(2) in rest else ""

    return _FONT_FACE_RE.sub(keep, css)


def _inline_css_urls(css: str, css_path: str, cache: Path, spec: str, label: str) -> str:
    def repl(match: re.Match[str]) -> str:
        ref = match.group("url").strip()
        if not ref or ref.startswith(("data:", "#")):
            return match.group(0)
        if _EXTERNAL_RE.match(ref):
            raise PlannerError(f"{label}: stylesheet references external url {ref}")
        rel = _resolve_relative(css_path, ref)
        return f'url("{_data_uri(_read_verified(cache, spec, rel), rel)}")'

    return _CSS_URL_RE.sub(repl, css)


def _fa_rotate_css() -> str:
    """Recreate folium's ``leaflet.awesome.rotate.css``: 359 ``.fa-rotate-N`` rules."""
    return "".join(
        f".fa-rotate-{n}{{-ms-transform:rotate({n}deg);-webkit-transform:rotate({n}deg);"
        f"transform:rotate({n}deg)}}"
        for n in range(1, 360)
    )


def _python_package_file(entry: dict[str, Any]) -> bytes:
    data = resources.files(entry["python_package"]).joinpath(entry["path"]).read_bytes()
    _check_integrity(data, entry["integrity"], f"{entry['python_package']}/{entry['path']}")
    return data


@lru_cache(maxsize=64)
def _asset_text(url: str, cache: str) -> tuple[str, str]:
    """Return ``(kind, text)`` for a manifest URL, kind being ``"js"`` or ``"css"``."""
    manifest = load_manifest()
    entry = manifest["assets"][url]
    kind = "css" if entry.get("path", url).endswith(".css") or url.endswith(".css") else "js"
    if "generated" in entry:
        return kind, _fa_rotate_css()
    if "python_package" in entry:
        text = _python_package_file(entry).decode("utf-8")
        origin = f"{entry['path']} from the {entry['python_package']} package"
        banner = f"/* {origin}, {entry['license']} */\n"
        return kind, banner + _SOURCEMAP_RE.sub("", text)
    spec = entry["package"]
    pkg = manifest["packages"][spec]
    raw = _read_verified(Path(cache), spec, entry["path"])
    text = _SOURCEMAP_RE.sub("", raw.decode("utf-8"))
    label = f"{spec}/{entry['path']}"
    if kind == "css":
        text = _drop_unused_font_faces(_prune_font_sources(text))
        text = _inline_css_urls(text, entry["path"], Path(cache), spec, label)
    banner = f"/* {label} ({pkg['license']}) from {pkg['tarball']} */\n"
    return kind, banner + text


def _leaflet_icon_script(cache: Path) -> str:
    """Script pointing ``L.Icon.Default`` at data-URI marker images (no imagePath lookup)."""
    manifest = load_manifest()
    spec = next(s for s in manifest["packages"] if s.startswith("leaflet@"))
    uris = {
        key: _data_uri(_read_verified(cache, spec, f"dist/images/{name}"), name)
        for key, name in [
            ("iconUrl", "marker-icon.png"),
            ("iconRetinaUrl", "marker-icon-2x.png"),
            ("shadowUrl", "marker-shadow.png"),
        ]
    }
    return (
        "if (typeof L !== 'undefined' && L.Icon && L.Icon.Default) {"
        "L.Icon.Default.imagePath = '';"
        f"L.Icon.Default.mergeOptions({json.dumps(uris)});}}"
    )


class _TagFinder(HTMLParser):
    """Locate real ``<script src>`` and ``<link>`` tags (not text inside scripts)."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self._line_starts = [0]
        for m in re.finditer("\n", source):
            self._line_starts.append(m.end())
        self.source = source
        self.tags: list[dict[str, Any]] = []
        self._open_script: dict[str, Any] | None = None

    def _offset(self) -> int:
        line, col = self.getpos()
        return self._line_starts[line - 1] + col

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._record(tag, attrs, self_closing=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._record(tag, attrs, self_closing=True)

    def _record(self, tag: str, attrs: list[tuple[str, str | None]], self_closing: bool) -> None:
        start = self._offset()
        end = start + len(self.get_starttag_text() or "")
        attr = {k.lower(): (v or "") for k, v in attrs}
        if tag == "script" and attr.get("src"):
            item = {"tag": "script", "start": start, "end": end, "attrs": attr}
            self.tags.append(item)
            if not self_closing:
                self._open_script = item
        elif tag == "link":
            self.tags.append({"tag": "link", "start": start, "end": end, "attrs": attr})

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._open_script is not None:
            start = self._offset()
            close = self.source.find(">", start)
            self._open_script["end"] = close + 1
            self._open_script = None


def _escape_inline(text: str, kind: str) -> str:
    """Stop inlined code from closing its own ``<script>``/``<style>`` element early."""
    if kind == "js":
        text = re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)
        return text.replace("<!--", "<\\!--")
    return re.sub(r"</(style)", r"<\\/\1", text, flags=re.IGNORECASE)


def make_self_contained(html: str, cache_dir: str | os.PathLike | None = None) -> str:
    """Inline every CDN script and stylesheet of a folium page from the pinned cache.

    Parameters
    ----------
    html : str
        Rendered folium HTML (``Map.get_root().render()``).
    cache_dir : path-like, optional
        Cache root passed to :func:`fetch_assets` (which runs if the cache is empty).

    Returns
    -------
    str
        HTML whose scripts/styles are all inline; CSS images and fonts become data
        URIs and Leaflet's default marker icons use data URIs too.

    Raises
    ------
    PlannerError
        Listing every external script or stylesheet URL that the manifest lacks.
    """
    manifest = load_manifest()
    finder = _TagFinder(html)
    finder.feed(html)
    finder.close()
    replacements: list[tuple[int, int, str]] = []
    unknown: list[str] = []
    cache: Path | None = None
    for tag in finder.tags:
        attrs = tag["attrs"]
        if tag["tag"] == "script":
            url = attrs["src"]
        else:
            rels = attrs.get("rel", "").lower().split()
            is_css = "stylesheet" in rels or attrs.get("as") == "style"
            is_code = "preload" in rels or "modulepreload" in rels or "import" in rels
            if not (is_css or is_code):
                continue  # icons, canonical links etc. do not load code
            url = attrs.get("href", "")
        url = html_lib.unescape(url).strip()
        if not _EXTERNAL_RE.match(url):
            continue
        if url.startswith("//"):
            url = "https:" + url
        if url not in manifest["assets"]:
            unknown.append(url)
            continue
        if cache is None:
            cache = fetch_assets(cache_dir, progress=False)
        kind, text = _asset_text(url, str(cache))
        text = _escape_inline(text, kind)
        if kind == "css":
            block = f"<style>\n{text}\n</style>"
        else:
            block = f"<script>\n{text}\n</script>"
            if manifest["assets"][url].get("package", "").startswith("leaflet@"):
                block += f"\n<script>{_leaflet_icon_script(cache)}</script>"
        replacements.append((tag["start"], tag["end"], block))
    if unknown:
        listed = ", ".join(sorted(set(unknown)))
        raise PlannerError(
            f"no pinned offline copy for external asset(s): {listed} - add them to "
            "planner/data/assets.lock.json"
        )
    out = []
    pos = 0
    for start, end, block in sorted(replacements):
        out.append(html[pos:start])
        out.append(block)
        pos = end
    out.append(html[pos:])
    return "".join(out)


def save_self_contained(
    folium_map_or_figure: Any, path: str | os.PathLike, cache_dir: str | os.PathLike | None = None
) -> Path:
    """Render a folium Map/Figure, inline its assets and write it atomically.

    Parameters
    ----------
    folium_map_or_figure : folium.Map or branca.element.Figure
        Anything with ``get_root().render()``.
    path : path-like
        Output ``.html`` file; written via a temporary file and ``os.replace``.
    cache_dir : path-like, optional
        Asset cache root, see :func:`fetch_assets`.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    root = folium_map_or_figure.get_root()
    html = make_self_contained(root.render(), cache_dir=cache_dir)
    path = Path(path)
    if not path.parent.is_dir():
        raise InputFileError(f"output folder {path.parent} does not exist")
    with atomic_path(path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- tile notice
def add_tile_error_notice(m: Any, message: str = TILE_ERROR_MESSAGE) -> Any:
    """Show a visible banner on ``m`` when any of its tile layers fires ``tileerror``.

    Vector layers are unaffected; the banner appears once (click hides it). Tile
    layers added later (e.g. through a LayerControl) are watched as well.

    Parameters
    ----------
    m : folium.Map
        The map to decorate.
    message : str
        Banner text, inserted as plain text (``textContent``), never parsed as HTML.

    Returns
    -------
    folium.Map
        ``m``, for chaining.
    """
    from branca.element import MacroElement
    from jinja2 import Template

    class _TileErrorNotice(MacroElement):
        _template = Template(
            """
            {% macro header(this, kwargs) %}
            <style>
            .planner-tile-error {position:absolute; bottom:28px; left:50%;
              transform:translateX(-50%); z-index:1000; max-width:80%;
              background:#fff3cd; color:#664d03; border:1px solid #e0c36a;
              border-radius:4px; padding:6px 12px; font:13px/1.4 sans-serif;
              box-shadow:0 1px 4px rgba(0,0,0,.3); cursor:pointer;}
            </style>
            {% endmacro %}
            {% macro script(this, kwargs) %}
            (function (map) {
              var banner = null;
              function show() {
                if (banner) { return; }
                banner = document.createElement('div');
                banner.className = 'planner-tile-error';
                banner.setAttribute('role', 'status');
                banner.title = 'click to hide';
                banner.textContent = {{ this.message|tojson }};
                banner.addEventListener('click', function () {
                  banner.style.display = 'none';
                });
                map.getContainer().appendChild(banner);
              }
              function watch(layer) {
                if (layer instanceof L.TileLayer && !layer._plannerWatched) {
                  layer._plannerWatched = true;
                  layer.on('tileerror', show);
                }
              }
              map.eachLayer(watch);
              map.on('layeradd', function (e) { watch(e.layer); });
            })({{ this._parent.get_name() }});
            {% endmacro %}
            """
        )

        def __init__(self, text: str) -> None:
            super().__init__()
            self._name = "TileErrorNotice"
            self.message = text

    m.add_child(_TileErrorNotice(message))
    return m
