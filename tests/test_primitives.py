import os
import time

import numpy as np
import pytest
import rasterio
from hypothesis import given, settings
from hypothesis import strategies as st

from planner._csgraph import cheapest_edges, symmetric_csr
from planner._files import atomic_dir, clean_stale_temporaries
from planner._progress import timed
from planner._raster import Grid, write_cog

edges = st.lists(
    st.tuples(st.integers(0, 7), st.integers(0, 7), st.floats(0, 100, allow_nan=False)),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(edges)
def test_cheapest_edges_matches_a_dict_of_minima(es):
    u = np.array([e[0] for e in es], dtype=np.int64)
    v = np.array([e[1] for e in es], dtype=np.int64)
    w = np.array([e[2] for e in es], dtype=float)
    best: dict[tuple[int, int], tuple[float, int]] = {}
    for i, (a, b, c) in enumerate(es):
        if a == b:
            continue
        key = (min(a, b), max(a, b))
        if key not in best or c < best[key][0]:
            best[key] = (c, i)
    lo, hi, ww, idx = cheapest_edges(u, v, w)
    got = {(int(a), int(b)): (float(c), int(i)) for a, b, c, i in zip(lo, hi, ww, idx, strict=True)}
    assert got == best
    assert list(zip(lo, hi, strict=True)) == sorted(best)


@settings(max_examples=100, deadline=None)
@given(edges)
def test_symmetric_csr_equals_the_dense_matrix(es):
    u = np.array([e[0] for e in es], dtype=np.int64)
    v = np.array([e[1] for e in es], dtype=np.int64)
    w = np.array([e[2] for e in es], dtype=float)
    lo, hi, ww, _ = cheapest_edges(u, v, w)
    m, order = symmetric_csr(lo, hi, ww, 8, return_order=True)
    dense = np.full((8, 8), np.nan)
    for a, b, c in zip(lo, hi, ww, strict=True):
        dense[a, b] = dense[b, a] = c
    assert m.has_sorted_indices
    assert m.nnz == 2 * lo.size  # zero weights stay explicit entries
    coo = m.tocoo()
    for r, c, x in zip(coo.row, coo.col, coo.data, strict=True):
        assert dense[r, c] == x
    assert np.array_equal(ww[order], m.data)


def test_grid_covering_and_cog(tmp_path):
    g = Grid.covering((100.0, 200.0, 351.0, 420.0), 50.0)
    transform, shape = g
    assert shape == (5, 6) and transform.c == 100.0 and transform.f == 420.0
    assert g.resolution == 50.0
    snapped = Grid.covering((101.0, 199.0, 150.0, 260.0), 50.0, snap=True)
    assert snapped.transform.c == 100.0
    bands = np.arange(2 * 5 * 6, dtype="float32").reshape(2, 5, 6)
    out = write_cog(tmp_path / "x.tif", bands, transform, "EPSG:3067", -1.0, ["a", "b"])
    with rasterio.open(out) as src:
        assert src.count == 2 and src.descriptions == ("a", "b")
        assert np.array_equal(src.read(), bands)
        assert src.profile.get("tiled") or src.block_shapes[0] != (1, 6)
    assert [p.name for p in tmp_path.iterdir()] == ["x.tif"]


def test_cog_from_memory_and_from_a_plain_file_are_the_same_cog(tmp_path, monkeypatch):
    import planner._raster as raster

    rng = np.random.default_rng(3)
    bands = rng.normal(size=(2, 700, 900)).astype("float32")
    bands[0, :40] = np.nan
    transform = Grid.covering((0.0, 0.0, 9000.0, 7000.0), 10.0).transform
    args = (bands, transform, "EPSG:3067", float("nan"), ["a", "b"])
    mem = write_cog(tmp_path / "mem.tif", *args)
    monkeypatch.setattr(raster, "MEM_SOURCE_BYTES", 0)  # the temporary plain GeoTIFF
    plain = write_cog(tmp_path / "plain.tif", *args)
    assert mem.read_bytes() == plain.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mem.tif", "plain.tif"]
    with rasterio.open(mem) as src:
        assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        assert src.compression.name.lower() == "deflate" and src.profile["tiled"]
        assert src.overviews(1) and src.descriptions == ("a", "b")
        assert np.array_equal(src.read(), bands, equal_nan=True)
        assert src.tags(ns="IMAGE_STRUCTURE").get("PREDICTOR") == "3"  # floating point


def test_cog_predictor_follows_the_data_type(tmp_path):
    transform = Grid.covering((0.0, 0.0, 600.0, 500.0), 10.0).transform
    ints = (np.arange(50 * 60) % 7).astype("int8").reshape(50, 60)
    with rasterio.open(write_cog(tmp_path / "i.tif", ints, transform, "EPSG:3067")) as src:
        assert src.tags(ns="IMAGE_STRUCTURE").get("PREDICTOR") == "2"  # horizontal
        assert np.array_equal(src.read(1), ints)


def test_timed_records_seconds():
    t = {}
    with timed(t, "x"):
        time.sleep(0.01)
    assert 0.005 < t["x"] < 1.0


def test_atomic_dir_does_not_follow_symlinks_of_old_outputs(tmp_path):
    out = tmp_path / "city"
    out.mkdir()
    (out / "keep.txt").write_text("kept")
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    os.symlink(secret, out / "x")
    with atomic_dir(out, keep_existing=True) as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt", "new.txt"]
    assert not any("secret" in p.read_text() for p in out.iterdir())


def test_stale_temporaries_of_dead_runs_are_removed(tmp_path):
    out = tmp_path / "city"
    dead = tmp_path / ".tmp-city-abc"
    dead.mkdir()
    (dead / ".pid").write_text("999999999")
    old = tmp_path / ".old-city-999999999"
    old.mkdir()
    alive = tmp_path / ".tmp-city-live"
    alive.mkdir()
    (alive / ".pid").write_text(str(os.getpid()))
    other = tmp_path / ".tmp-othercity-x"
    other.mkdir()
    removed = clean_stale_temporaries(out)
    assert sorted(p.name for p in removed) == [".old-city-999999999", ".tmp-city-abc"]
    assert alive.exists() and other.exists()
    with atomic_dir(out) as tmp:
        (tmp / "a").write_text("a")
    assert not (out / ".pid").exists()


def test_atomic_dir_failure_keeps_previous(tmp_path):
    out = tmp_path / "city"
    with atomic_dir(out) as tmp:
        (tmp / "a").write_text("1")
    with pytest.raises(RuntimeError), atomic_dir(out) as tmp:
        (tmp / "a").write_text("2")
        raise RuntimeError("boom")
    assert (out / "a").read_text() == "1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["city"]


def test_thread_map_keeps_the_order_and_uses_the_threads():
    """Oracle: the list comprehension; with 3 threads the items run in other threads."""
    import threading

    from planner._threads import thread_map

    seen = set()

    def f(x):
        seen.add(threading.current_thread().name)
        return x * x

    assert thread_map(f, range(20), 1, "t") == [x * x for x in range(20)]
    assert seen == {threading.current_thread().name}
    seen.clear()
    assert thread_map(f, range(20), 3, "t") == [x * x for x in range(20)]
    assert seen and all(n.startswith("t") for n in seen)
    assert thread_map(f, [], 4, "t") == []
