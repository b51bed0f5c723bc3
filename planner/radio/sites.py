"""Mobile sites and sectors: OSM masts, OpenCelliD CSV and per-sector files, defaults filled."""

from __future__ import annotations

import csv
import difflib
import math
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS, Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from planner.config.radio import DEFAULT_BAND_GHZ, RadioConfig
from planner.errors import InputFileError

if TYPE_CHECKING:
    from planner.city import City

__all__ = [
    "OPENCELLID_COLUMNS",
    "SECTOR_COLUMNS",
    "SITE_COLUMNS",
    "SECTOR_FRAME_COLUMNS",
    "BANDS_GHZ",
    "TECHNOLOGIES",
    "osm_sites",
    "read_site_file",
    "build_sites",
    "load_sites",
]

#: Header of the OpenCelliD cell export (``cell_towers.csv`` / per-country files).
OPENCELLID_COLUMNS = [
    "radio",
    "mcc",
    "net",
    "area",
    "cell",
    "unit",
    "lon",
    "lat",
    "range",
    "samples",
    "changeable",
    "created",
    "updated",
    "averageSignal",
]

#: Columns a per-sector site file may carry (CSV: ``lon``/``lat`` in WGS84; GeoJSON/GPKG:
#: point geometry). A row without ``azimuth_deg`` is a whole site: it gets the default sectors.
SECTOR_COLUMNS = [
    "site_id",
    "sector_id",
    "name",
    "operator",
    "lon",
    "lat",
    "technology",
    "band",
    "frequency_ghz",
    "height_m",
    "azimuth_deg",
    "mech_tilt_deg",
    "elec_tilt_deg",
    "eirp_dbm",
    "tx_power_dbm",
    "h_beamwidth_deg",
    "v_beamwidth_deg",
]

#: Columns of the sites frame (one row per site).
SITE_COLUMNS = [
    "site_id",
    "source",
    "technology",
    "height_m",
    "height_source",
    "scenario",
    "n_sectors",
    "is_5g",
    "geometry",
]

#: Columns of the sectors frame (one row per sector, i.e. per cell of the model).
SECTOR_FRAME_COLUMNS = [
    "site",
    "site_id",
    "technology",
    "frequency_ghz",
    "height_m",
    "azimuth_deg",
    "mech_tilt_deg",
    "elec_tilt_deg",
    "tx_power_dbm",
    "eirp_dbm",
    "h_beamwidth_deg",
    "v_beamwidth_deg",
    "defaults",
    "geometry",
]

#: Carrier (GHz) of common 3GPP bands, by number (``n78``, ``b3``, ``B20`` or ``78``).
BANDS_GHZ: dict[str, float] = {
    "1": 2.1,
    "3": 1.8,
    "7": 2.6,
    "8": 0.9,
    "20": 0.8,
    "28": 0.7,
    "38": 2.6,
    "40": 2.3,
    "41": 2.5,
    "77": 3.7,
    "78": 3.5,
    "79": 4.7,
}

#: Accepted technology names and what they mean.
TECHNOLOGIES: dict[str, str] = {
    "nr": "NR",
    "5g": "NR",
    "lte": "LTE",
    "4g": "LTE",
    "umts": "UMTS",
    "3g": "UMTS",
    "gsm": "GSM",
    "2g": "GSM",
    "cdma": "CDMA",
}

_NUMERIC = {  # field: (lowest, highest, inclusive low)
    "frequency_ghz": (0.4, 100.0, False),
    "height_m": (0.0, 1000.0, False),
    "azimuth_deg": (0.0, 360.0, True),
    "mech_tilt_deg": (-10.0, 45.0, True),
    "elec_tilt_deg": (-10.0, 45.0, True),
    "eirp_dbm": (0.0, 100.0, False),
    "tx_power_dbm": (0.0, 80.0, False),
    "h_beamwidth_deg": (0.0, 360.0, False),
    "v_beamwidth_deg": (0.0, 180.0, False),
}


def _fail(path: Path | str, row: int | None, field: str, msg: str) -> InputFileError:
    where = f"row {row}, " if row is not None else ""
    return InputFileError(f"{path}: {where}field {field!r}: {msg}")


# ----------------------------------------------------------------- OSM


def osm_sites(city: City) -> gpd.GeoDataFrame:
    """Mobile sites from ``city.telecom`` (features with ``mobile``), one row per site.

    Masts and towers with ``tower:type=communication`` or ``communication:mobile_phone``, and
    ``man_made=antenna`` features (kind ``antenna``, see
    :func:`planner.city.layers.mobile_antenna`), rooftop ones included.

    Parameters
    ----------
    city : City
        The loaded city.

    Returns
    -------
    GeoDataFrame
        ``site_id``, ``source`` (``osm``), ``height_m`` (tagged, NaN if not), point geometry.

    """
    tel = getattr(city, "telecom", None)
    if tel is None or len(tel) == 0 or "mobile" not in tel:
        return gpd.GeoDataFrame(
            {"site_id": [], "source": [], "height_m": []}, geometry=[], crs=city.crs
        )
    tel = tel[tel["mobile"].fillna(False).astype(bool)]
    ids = [f"osm-{t}{i}" for t, i in zip(tel["osm_type"], tel["osm_id"], strict=True)]
    h = pd.to_numeric(tel["height_m"], errors="coerce").to_numpy(float)
    h = np.where(h > 0, h, np.nan)
    return gpd.GeoDataFrame(
        {"site_id": ids, "source": "osm", "height_m": h},
        geometry=shapely.point_on_surface(tel.geometry.to_numpy()),
        crs=city.crs,
    ).reset_index(drop=True)


# ----------------------------------------------------------------- file readers


def _read_table(path: Path) -> tuple[pd.DataFrame, CRS | None]:
    """Read a CSV (as text) or a GeoJSON/GPKG (with geometry) into a frame."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputFileError(f"{path}: file not found")
    if suffix == ".csv":
        try:
            with path.open(newline="", encoding="utf-8-sig") as fh:
                rows = list(csv.reader(fh))
        except (OSError, UnicodeDecodeError) as exc:
            raise InputFileError(f"{path}: cannot read as CSV ({exc})") from None
        if not rows:
            raise InputFileError(f"{path}: empty file")
        if rows[0] and rows[0][0].strip().lower() in TECHNOLOGIES and len(rows[0]) == 14:
            rows = [OPENCELLID_COLUMNS, *rows]  # headerless OpenCelliD country file
        header = [c.strip() for c in rows[0]]
        body = [r + [""] * (len(header) - len(r)) for r in rows[1:] if any(x.strip() for x in r)]
        return pd.DataFrame([r[: len(header)] for r in body], columns=header, dtype=object), None
    if suffix in (".geojson", ".json", ".gpkg"):
        try:
            gdf = pyogrio.read_dataframe(path)
        except Exception as exc:  # noqa: BLE001 - any GDAL failure is a bad input file
            raise InputFileError(f"{path}: cannot read ({str(exc).splitlines()[0]})") from None
        return gdf, (CRS.from_user_input(gdf.crs) if gdf.crs is not None else None)
    raise InputFileError(f"{path}: unknown site file type (expected .csv, .geojson or .gpkg)")


def _check_columns(path: Path, columns: list[str], known: list[str], required: list[str]):
    unknown = [c for c in columns if c not in known]
    if unknown:
        close = difflib.get_close_matches(unknown[0], known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known)}"
        raise InputFileError(f"{path}: unknown column {unknown[0]!r} ({hint})")
    missing = [c for c in required if c not in columns]
    if missing:
        raise InputFileError(f"{path}: missing column {missing[0]!r} (required: {required})")


def _numbers(path: Path, df: pd.DataFrame, field: str) -> np.ndarray:
    """Parse a numeric column; blank = NaN (default later); bad or out-of-range = error."""
    out = np.full(len(df), np.nan)
    if field not in df:
        return out
    lo, hi, inclusive = _NUMERIC.get(field, (-math.inf, math.inf, True))
    for i, v in enumerate(df[field].tolist()):
        if v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == "":
            continue
        try:
            x = float(v)
        except (TypeError, ValueError):
            raise _fail(path, i + 1, field, f"{v!r} is not a number") from None
        if not math.isfinite(x) or x > hi or (x < lo if inclusive else x <= lo):
            rel = ">=" if inclusive else ">"
            raise _fail(
                path, i + 1, field, f"{x:g} is out of range (must be {rel} {lo:g}, <= {hi:g})"
            )
        out[i] = x
    return out


def _lonlat(path: Path, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    lon = np.full(len(df), np.nan)
    lat = np.full(len(df), np.nan)
    for name, arr, lim in (("lon", lon, 180.0), ("lat", lat, 90.0)):
        for i, v in enumerate(df[name].tolist()):
            try:
                x = float(v)
            except (TypeError, ValueError):
                raise _fail(path, i + 1, name, f"{v!r} is not a number") from None
            if not math.isfinite(x):
                raise _fail(path, i + 1, name, "missing coordinate")
            if abs(x) > lim:
                raise _fail(
                    path,
                    i + 1,
                    name,
                    f"{x:g} is not a WGS84 degree value (|{name}| <= {lim:g}); projected "
                    "coordinates? CSV site files take lon/lat in EPSG:4326",
                )
            arr[i] = x
    return lon, lat


def _points(path: Path, df: pd.DataFrame, crs: CRS | None, city: City) -> np.ndarray:
    """Site points in the city CRS, from lon/lat columns or the file's geometry."""
    if isinstance(df, gpd.GeoDataFrame) and df.geometry.name in df:
        geoms = df.geometry.to_numpy()
        for i, g in enumerate(geoms):
            if g is None or g.is_empty:
                raise _fail(path, i + 1, "geometry", "missing geometry")
        pts = shapely.point_on_surface(geoms)
        src = crs or CRS.from_epsg(4326)
        if src.is_geographic:
            xy = shapely.get_coordinates(pts)
            _check_degrees(path, xy)
        return gpd.GeoSeries(pts, crs=src).to_crs(city.crs).to_numpy()
    lon, lat = _lonlat(path, df)
    tr = Transformer.from_crs(4326, city.crs, always_xy=True)
    x, y = tr.transform(lon, lat)
    return shapely.points(x, y)


def _check_degrees(path: Path, xy: np.ndarray) -> None:
    bad = np.flatnonzero((np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90))
    if bad.size:
        i = int(bad[0])
        raise _fail(
            path,
            i + 1,
            "geometry",
            f"({xy[i, 0]:g}, {xy[i, 1]:g}) is not in degrees although the file's CRS is "
            "geographic (wrong CRS?)",
        )


def _check_inside(path: Path, pts: np.ndarray, city: City, margin: float, field: str) -> None:
    area = shapely.buffer(city.boundary, margin) if margin > 0 else city.boundary
    shapely.prepare(area)
    outside = np.flatnonzero(~shapely.contains_xy(area, shapely.get_x(pts), shapely.get_y(pts)))
    if outside.size:
        i = int(outside[0])
        km = shapely.distance(city.boundary, pts[i]) / 1000
        raise _fail(
            path,
            i + 1,
            field,
            f"site lies {km:.1f} km outside the city (more than {margin:.0f} m; wrong "
            "coordinates or CRS?)",
        )


def _technology(path: Path, values: list, field: str) -> list[str | None]:
    out: list[str | None] = []
    for i, v in enumerate(values):
        s = "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip()
        if not s:
            out.append(None)
            continue
        tech = TECHNOLOGIES.get(s.lower())
        if tech is None:
            raise _fail(
                path, i + 1, field, f"unknown technology {s!r} (known: NR, LTE, UMTS, GSM, CDMA)"
            )
        out.append(tech)
    return out


def _bands(path: Path, df: pd.DataFrame) -> np.ndarray:
    out = np.full(len(df), np.nan)
    if "band" not in df:
        return out
    for i, v in enumerate(df["band"].tolist()):
        s = "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip()
        if not s:
            continue
        key = s.lower().lstrip("nb")
        if key not in BANDS_GHZ:
            raise _fail(path, i + 1, "band", f"unknown band {s!r} (known: {', '.join(BANDS_GHZ)})")
        out[i] = BANDS_GHZ[key]
    return out


def _read_opencellid(path: Path, df: pd.DataFrame, city: City, cfg: RadioConfig) -> pd.DataFrame:
    """Group OpenCelliD cells into sites by position; one raw row per (site, technology)."""
    _check_columns(path, list(df.columns), OPENCELLID_COLUMNS, OPENCELLID_COLUMNS)
    tech = _technology(path, df["radio"].tolist(), "radio")
    if any(t is None for t in tech):
        i = tech.index(None)
        raise _fail(path, i + 1, "radio", "missing technology")
    pts = _points(path, df, None, city)
    _check_inside(path, pts, city, cfg.site_margin_m, "lon")
    xy = shapely.get_coordinates(pts)
    order = np.lexsort((xy[:, 1], xy[:, 0]))
    xy, tech = xy[order], [tech[i] for i in order]
    pairs = cKDTree(xy).query_pairs(cfg.site_merge_m, output_type="ndarray")
    n = len(xy)
    adj = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, label = connected_components(adj, directed=False)
    frame = pd.DataFrame({"label": label, "x": xy[:, 0], "y": xy[:, 1], "technology": tech})
    centre = frame.groupby("label")[["x", "y"]].mean()
    rows = frame.drop_duplicates(["label", "technology"]).sort_values(["label", "technology"])
    return pd.DataFrame(
        {
            "site_id": [f"{path.stem}-{k}" for k in rows["label"]],
            "technology": rows["technology"].to_numpy(),
            "geometry": shapely.points(
                centre.loc[rows["label"], "x"].to_numpy(), centre.loc[rows["label"], "y"].to_numpy()
            ),
        }
    )


def _read_sectors(path: Path, df: pd.DataFrame, crs: CRS | None, city: City, cfg: RadioConfig):
    """Per-sector (or per-site) rows of a GeoJSON/GPKG/CSV site file, validated."""
    geo = isinstance(df, gpd.GeoDataFrame)
    cols = [c for c in df.columns if not (geo and c == df.geometry.name)]
    known = [c for c in SECTOR_COLUMNS if not (geo and c in ("lon", "lat"))]
    _check_columns(path, cols, known, [] if geo else ["lon", "lat"])
    pts = _points(path, df, crs, city)
    _check_inside(path, pts, city, cfg.site_margin_m, "geometry" if geo else "lon")
    out = pd.DataFrame({"geometry": pts})
    for f in _NUMERIC:
        out[f] = _numbers(path, df, f)
    band = _bands(path, df)
    out["frequency_ghz"] = np.where(np.isnan(out["frequency_ghz"]), band, out["frequency_ghz"])
    tech = df["technology"].tolist() if "technology" in df else [None] * len(df)
    out["technology"] = _technology(path, tech, "technology")
    if "site_id" in df:
        sid = df["site_id"].astype("string").fillna("").str.strip()
        out["site_id"] = [s or f"{path.stem}-{i + 1}" for i, s in enumerate(sid)]
    else:
        out["site_id"] = [f"{path.stem}-{i + 1}" for i in range(len(df))]
    return out


def read_site_file(path: str | Path, city: City, cfg: RadioConfig) -> pd.DataFrame:
    """Read one site file into raw sector rows (city CRS points; NaN = use the default).

    OpenCelliD CSVs (its 14-column layout, with or without header) are grouped into sites by
    position (cells within ``site_merge_m``); other files carry one row per sector, or per site
    when ``azimuth_deg`` is blank.

    Parameters
    ----------
    path : str or Path
        ``.csv``, ``.geojson`` or ``.gpkg``.
    city : City
        Gives the CRS and the boundary sites must lie near.
    cfg : RadioConfig
        ``site_margin_m`` and ``site_merge_m``.

    Returns
    -------
    DataFrame
        Raw rows with ``site_id``, ``technology``, the numeric fields and ``geometry``.

    Raises
    ------
    InputFileError
        One line naming the file, the row and the field.

    """
    path = Path(path)
    df, crs = _read_table(path)
    if len(df) == 0:
        raise InputFileError(f"{path}: no rows")
    if "radio" in df.columns and "mcc" in df.columns:
        raw = _read_opencellid(path, df, city, cfg)
    else:
        raw = _read_sectors(path, df, crs, city, cfg)
    raw["source"] = path.name
    return raw


# ----------------------------------------------------------------- defaults


def _roof_heights(pts: np.ndarray, city: City) -> np.ndarray:
    """Height (m) of the tallest building each point stands in or on (NaN = none)."""
    top = np.full(len(pts), np.nan)
    b = getattr(city, "buildings", None)
    if not len(pts) or b is None or len(b) == 0:
        return top
    # "intersects": a rooftop antenna node is often a vertex of the building outline
    pidx, bidx = b.sindex.query(pts, predicate="intersects")
    if pidx.size:
        hb = pd.to_numeric(b["height_m"], errors="coerce").to_numpy(float)[bidx]
        np.fmax.at(top, pidx, hb)
    return top


def _site_heights(
    pts: np.ndarray, tagged: np.ndarray, from_osm: np.ndarray, city: City, cfg: RadioConfig
) -> tuple[np.ndarray, list[str]]:
    """Antenna height per site and where it came from.

    A file's ``height_m`` is above ground. An OSM ``height`` on a site standing on a building
    is above ground too unless it does not exceed the roof (then it can only be the antenna's
    own height above the roof: roof + tag). Without a height: on a building, its ``height_m``
    plus ``rooftop_mount_m``; elsewhere ``mast_height_m``.
    """
    h = tagged.astype(float).copy()
    src = np.where(np.isfinite(h), "given", "").astype(object)
    roof = _roof_heights(pts, city)
    on_roof = np.isfinite(roof)
    above_roof = on_roof & np.isfinite(h) & from_osm & (h <= roof)
    h[above_roof] = roof[above_roof] + h[above_roof]
    src[above_roof] = "rooftop + tagged height"
    need = ~np.isfinite(h) & on_roof
    h[need] = roof[need] + cfg.rooftop_mount_m
    src[need] = "rooftop"
    mast = ~np.isfinite(h)
    h[mast] = cfg.mast_height_m
    src[mast] = "mast default"
    return h, list(src)


def _scenarios(
    pts: np.ndarray, heights: np.ndarray, people_xy: np.ndarray, people: np.ndarray, cfg
) -> list[str]:
    if cfg.scenario != "auto":
        return [cfg.scenario] * len(pts)
    xy = shapely.get_coordinates(pts)
    dens = np.zeros(len(pts))
    if len(people_xy) and len(xy):
        tree = cKDTree(people_xy)
        for i, idx in enumerate(tree.query_ball_point(xy, 1000.0)):
            dens[i] = people[idx].sum() / math.pi  # people per km² within 1 km
    out = np.where(dens < cfg.rma_max_density_ppl_km2, "RMa", "UMa").astype(object)
    out[heights <= cfg.umi_max_height_m] = "UMi"
    return list(out)


def build_sites(
    raw: pd.DataFrame,
    city: City,
    cfg: RadioConfig,
    people_xy: np.ndarray | None = None,
    people: np.ndarray | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Fill every missing field with its default and split raw rows into sites and sectors.

    Parameters
    ----------
    raw : DataFrame
        Rows of :func:`osm_sites` / :func:`read_site_file` (``site_id``, ``geometry``, optional
        numeric fields, ``technology``, ``source``).
    city : City
        For rooftop heights (``city.buildings``) and the CRS.
    cfg : RadioConfig
        The defaults.
    people_xy, people : ndarray, optional
        Building points and people, for the ``auto`` scenario choice.

    Returns
    -------
    tuple of GeoDataFrame
        ``(sites, sectors)`` with :data:`SITE_COLUMNS` and :data:`SECTOR_FRAME_COLUMNS`.

    """
    raw = _complete(raw)
    if len(raw) == 0:
        return _empty(city)
    first = raw.groupby("site_id", sort=False).head(1).reset_index(drop=True)
    pts = first["geometry"].to_numpy()
    from_osm = (first["source"] == "osm").to_numpy(bool)
    hs, hsrc = _site_heights(pts, first["height_m"].to_numpy(float), from_osm, city, cfg)
    if people_xy is None or people is None:
        people_xy, people = _building_people(city)
    pxy, ppl = people_xy, people
    site_index = {s: i for i, s in enumerate(first["site_id"])}
    raw = raw.assign(site=raw["site_id"].map(site_index))
    raw["height_m"] = np.where(raw["height_m"].isna(), hs[raw["site"]], raw["height_m"])
    sectors = _expand_sectors(raw, cfg)
    techs = sectors.groupby("site")["technology"].agg(lambda s: ";".join(sorted(set(s))))
    sites = gpd.GeoDataFrame(
        {
            "site_id": first["site_id"].to_numpy(),
            "source": first["source"].to_numpy(),
            "technology": techs.reindex(range(len(first))).to_numpy(),
            "height_m": hs,
            "height_source": hsrc,
            "scenario": _scenarios(pts, hs, pxy, ppl, cfg),
            "n_sectors": sectors.groupby("site").size().reindex(range(len(first))).to_numpy(),
            "is_5g": [("NR" in str(t).split(";")) for t in techs.reindex(range(len(first)))],
        },
        geometry=list(pts),
        crs=city.crs,
    )
    return sites, gpd.GeoDataFrame(sectors, geometry="geometry", crs=city.crs)


def _building_people(city: City) -> tuple[np.ndarray, np.ndarray]:
    b = getattr(city, "buildings", None)
    if b is None or len(b) == 0:
        return np.zeros((0, 2)), np.zeros(0)
    xy = shapely.get_coordinates(shapely.point_on_surface(b.geometry.to_numpy()))
    col = b["people"] if "people" in b else b["premises"] * 2.3
    return xy, pd.to_numeric(col, errors="coerce").fillna(0).to_numpy(float)


def _complete(raw: pd.DataFrame) -> pd.DataFrame:
    raw = raw.copy()
    for f in _NUMERIC:
        if f not in raw:
            raw[f] = np.nan
        raw[f] = pd.to_numeric(raw[f], errors="coerce").astype(float)
    if "technology" not in raw:
        raw["technology"] = None
    raw["source"] = raw["source"] if "source" in raw else "file"
    key = pd.DataFrame(
        {
            "s": raw["site_id"],
            "t": raw["technology"].astype(object).where(raw["technology"].notna(), ""),
            "f": raw["frequency_ghz"].fillna(-1),
        }
    )
    dup = key.duplicated(keep="first") & raw["azimuth_deg"].isna()
    return raw[~dup].reset_index(drop=True)


def _expand_sectors(raw: pd.DataFrame, cfg: RadioConfig) -> pd.DataFrame:
    """One row per sector: rows without azimuth become ``sector_azimuths_deg`` sectors."""
    whole = raw["azimuth_deg"].isna().to_numpy()
    n_az = len(cfg.sector_azimuths_deg)
    reps = np.where(whole, n_az, 1)
    idx = np.repeat(np.arange(len(raw)), reps)
    sec = raw.iloc[idx].reset_index(drop=True)
    k = np.concatenate([np.arange(r) for r in reps]) if len(reps) else np.zeros(0, int)
    fill_az = np.asarray(cfg.sector_azimuths_deg)[np.minimum(k, n_az - 1)]
    defaulted: list[list[str]] = [[] for _ in range(len(sec))]
    az_default = whole[idx]
    sec["azimuth_deg"] = np.where(az_default, fill_az, sec["azimuth_deg"])
    for i in np.flatnonzero(az_default):
        defaulted[i].append("azimuth_deg")
    tech = sec["technology"].astype(object).to_numpy()
    no_tech = pd.isna(tech)
    tech = np.where(no_tech, "NR", tech)
    band = np.array([DEFAULT_BAND_GHZ.get(t, cfg.frequency_ghz) for t in tech])
    band = np.where(tech == "NR", cfg.frequency_ghz, band)
    sec["technology"] = tech
    fills = {
        "frequency_ghz": band,
        "mech_tilt_deg": cfg.mech_tilt_deg,
        "elec_tilt_deg": cfg.elec_tilt_deg,
        "h_beamwidth_deg": cfg.h_beamwidth_deg,
        "v_beamwidth_deg": cfg.v_beamwidth_deg,
    }
    for f, v in fills.items():
        miss = sec[f].isna().to_numpy()
        sec[f] = np.where(miss, v, sec[f])
        for i in np.flatnonzero(miss):
            defaulted[i].append(f)
    for i in np.flatnonzero(no_tech):
        defaulted[i].append("technology")
    _powers(sec, cfg, defaulted)
    sec["defaults"] = [";".join(d) for d in defaulted]
    return sec[SECTOR_FRAME_COLUMNS].reset_index(drop=True)


def _powers(sec: pd.DataFrame, cfg: RadioConfig, defaulted: list[list[str]]) -> None:
    """Transmit power from the file, else EIRP minus the antenna's peak gain, else default."""
    peak = cfg.element_gain_dbi + 10 * math.log10(cfg.vertical_elements)
    tx = sec["tx_power_dbm"].to_numpy(float)
    eirp = sec["eirp_dbm"].to_numpy(float)
    from_eirp = np.isnan(tx) & np.isfinite(eirp)
    tx = np.where(from_eirp, eirp - peak, tx)
    miss = np.isnan(tx)
    tx = np.where(miss, cfg.tx_power_dbm, tx)
    sec["tx_power_dbm"] = tx
    sec["eirp_dbm"] = np.where(np.isfinite(eirp), eirp, tx + peak)
    for i in np.flatnonzero(miss):
        defaulted[i].append("tx_power_dbm")


def _empty(city: City) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    sites = gpd.GeoDataFrame(
        {c: [] for c in SITE_COLUMNS if c != "geometry"}, geometry=[], crs=city.crs
    )
    sectors = gpd.GeoDataFrame(
        {c: [] for c in SECTOR_FRAME_COLUMNS if c != "geometry"}, geometry=[], crs=city.crs
    )
    return sites, sectors


def load_sites(
    city: City,
    cfg: RadioConfig,
    people_xy: np.ndarray | None = None,
    people: np.ndarray | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """All sites of the analysis: OSM masts (if ``use_osm_sites``) plus every site file.

    Parameters
    ----------
    city : City
        The loaded city.
    cfg : RadioConfig
        ``site_files``, ``use_osm_sites`` and the defaults.
    people_xy, people : ndarray, optional
        Building points and people (``auto`` scenario).

    Returns
    -------
    tuple of GeoDataFrame
        ``(sites, sectors)``, see :func:`build_sites`.

    """
    frames = []
    if cfg.use_osm_sites:
        osm = osm_sites(city)
        if len(osm):
            frames.append(pd.DataFrame(osm))
    for path in cfg.site_files:
        frames.append(read_site_file(path, city, cfg))
    if not frames:
        return _empty(city)
    raw = pd.concat(frames, ignore_index=True)
    return build_sites(raw, city, cfg, people_xy, people)
