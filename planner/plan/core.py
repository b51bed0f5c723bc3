"""Fibre build plan: cheapest street routes, splitters, cabinets, bill of materials, roll-out."""

from __future__ import annotations

import heapq
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import (
    breadth_first_order,
    connected_components,
    depth_first_order,
    dijkstra,
)
from shapely.ops import substring

from planner._files import atomic_path, write_gpkg
from planner.config import FiberConfig
from planner.config.plan import PlanConfig
from planner.errors import AnalysisError, ConfigError, InputFileError
from planner.fiber import FiberNetwork, asset_sources
from planner.fiber.netdist import edge_clusters, sources_from_lines
from planner.fiber.snapping import Snap, snap_point_geometry
from planner.fiber.supply import is_line, read_asset_file
from planner.steiner import steiner_lower_bound, steiner_tree

log = logging.getLogger(__name__)

__all__ = ["FiberPlan", "PlanConfig", "plan_fiber", "write_plan_outputs"]


#: Columns of ``FiberPlan.routes`` (one row per planned street edge piece).
ROUTE_COLUMNS = [
    "edge",
    "u",
    "v",
    "key",
    "length_m",
    "highway",
    "cost_per_m",
    "crossings",
    "duct_m",
    "cost",
    "kind",
    "phase",
    "owner",
    "cluster",
]
#: Columns of ``FiberPlan.cabinets``.
CABINET_COLUMNS = ["cabinet", "splitters", "first_level_splitters", "phase"]
#: Columns of ``FiberPlan.splitters``.
SPLITTER_COLUMNS = ["splitter", "ratio", "premises", "cabinet", "phase"]
#: Columns of ``FiberPlan.drops`` (one row per premise building).
DROP_COLUMNS = ["osm_id", "premises", "drop_m", "cost", "splitter", "cabinet", "phase", "cluster"]
#: Columns of ``FiberPlan.unreachable``.
UNREACHABLE_COLUMNS = ["osm_id", "premises", "fiber_class", "reason"]


@dataclass
class FiberPlan:
    """Result of :func:`plan_fiber` (projected GeoDataFrames, city CRS)."""

    routes: gpd.GeoDataFrame
    splitters: gpd.GeoDataFrame
    cabinets: gpd.GeoDataFrame
    drops: gpd.GeoDataFrame
    bom: pd.DataFrame
    phases: pd.DataFrame
    clusters: pd.DataFrame
    unreachable: gpd.GeoDataFrame
    summary: dict
    config: PlanConfig
    crs: object = None
    timings: dict = field(default_factory=dict)
    steiner_instance: tuple | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"FiberPlan({s['premises_targeted']} premises, {s['route_length_m']:.0f} m, "
            f"{s['capex_total']:.0f} {s['currency']})"
        )


def _highway(G, E) -> tuple[np.ndarray, np.ndarray]:
    """OSM ``highway`` of every edge (first of a list) and whether it was missing.

    Edges without the tag are costed as ``unclassified`` (planner assumption: a minor public
    road, residential trench cost); their number is reported in the plan summary.
    """
    out = np.empty(len(E), dtype=object)
    missing = np.zeros(len(E), dtype=bool)
    for i, (u, v, k) in enumerate(zip(E.u, E.v, E.key, strict=True)):
        h = G.edges[u, v, k].get("highway")
        if h is None:
            missing[i] = True
            h = "unclassified"
        out[i] = h[0] if isinstance(h, list) else str(h)
    return out, missing


def load_ducts(paths: list[str | Path], city, max_outside_m: float) -> gpd.GeoDataFrame:
    """Read operator duct files (asset-file schema and checks, lines only), projected.

    Parameters
    ----------
    paths : list of str or Path
        ``.geojson`` / ``.json`` / ``.gpkg`` files of duct lines (see
        :func:`planner.supply.read_asset_file`).
    city : planner.city.City
        Gives the CRS and the boundary (ducts farther outside are dropped).
    max_outside_m : float
        How far outside the city a duct may lie.

    Returns
    -------
    GeoDataFrame

    Raises
    ------
    InputFileError
        A file is unreadable, fails the asset-file checks, or holds features that are not lines.
    """
    frames = []
    for p in paths:
        g = read_asset_file(p, city.crs, city.boundary, max_outside_m)
        bad = ~is_line(g.geometry.to_numpy())
        if bad.any():
            raise InputFileError(
                f"{p}: {int(bad.sum())} of {len(g)} duct feature(s) are not lines; "
                "duct files must hold LineStrings"
            )
        frames.append(g)
    if not frames:
        return gpd.GeoDataFrame(geometry=[], crs=city.crs)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=city.crs)


def _all_ducts(city, cfg: PlanConfig, fcfg: FiberConfig, ducts) -> gpd.GeoDataFrame | None:
    """Return the ``ducts`` argument plus ``cfg.duct_files`` in the city CRS (None if none)."""
    frames = []
    if ducts is not None and len(ducts):
        if ducts.crs is None:
            raise InputFileError("ducts: the GeoDataFrame has no CRS; set it with set_crs()")
        frames.append(ducts.to_crs(city.crs)[["geometry"]])
    if cfg.duct_files:
        frames.append(load_ducts(cfg.duct_files, city, fcfg.max_asset_outside_m)[["geometry"]])
    if not frames:
        return None
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=city.crs)


def edge_costs(
    city,
    net: FiberNetwork,
    cfg: PlanConfig,
    ducts: gpd.GeoDataFrame | None = None,
    buffer_m: float | None = None,
) -> dict[str, np.ndarray]:
    """Per-metre unit cost, crossings and total build cost of every street edge.

    Parameters
    ----------
    city : planner.city.City
        The loaded city (graph with ``highway`` tags, CRS).
    net : FiberNetwork
        The prepared street network.
    cfg : PlanConfig
        Unit costs.
    ducts : GeoDataFrame, optional
        Existing duct lines (with a CRS).
    buffer_m : float, optional
        Half-width of the corridor in which street length counts as inside a duct; default
        ``FiberConfig.route_buffer_m`` (15 m, street half-width plus positional error).

    Returns
    -------
    dict of ndarray
        ``highway``, ``highway_missing`` (no tag: costed as ``unclassified``), ``unit`` (per
        metre, after aerial), ``per_m`` (after duct reuse), ``crossings`` (0, 0.5 or 1: half a
        crossing per end at an intersection of degree >= 3), ``duct_m`` (length in existing
        ducts) and ``cost``.

    Raises
    ------
    InputFileError
        ``ducts`` has no CRS.
    """
    E = net.edges
    if buffer_m is None:
        buffer_m = FiberConfig.model_fields["route_buffer_m"].default
    hw, missing = _highway(city.graph, E)
    trench = np.array([cfg.trench(h) for h in hw])
    aerial = np.isin(hw, list(cfg.aerial_highways))
    unit = np.where(aerial, np.minimum(trench, cfg.aerial_per_m), trench)
    duct_m = np.zeros(len(E))
    if ducts is not None and len(ducts):
        if ducts.crs is None:
            raise InputFileError("ducts: the GeoDataFrame has no CRS; set it with set_crs()")
        d = ducts.to_crs(city.crs)
        src = sources_from_lines(E, d.geometry.to_numpy(), buffer_m)
        np.add.at(duct_m, src.edge, src.end - src.start)
        duct_m = np.minimum(duct_m, E.length)
    deg = np.bincount(E.u_idx, minlength=E.n_nodes) + np.bincount(E.v_idx, minlength=E.n_nodes)
    cross = 0.5 * ((deg[E.u_idx] >= 3).astype(float) + (deg[E.v_idx] >= 3))
    per_m = unit * (1.0 - cfg.duct_reuse_discount * duct_m / np.maximum(E.length, 1e-9))
    cost = E.length * per_m + cfg.crossing * cross
    return {
        "highway": hw,
        "highway_missing": missing,
        "unit": unit,
        "per_m": per_m,
        "crossings": cross,
        "duct_m": duct_m,
        "cost": cost,
    }


def _central_offices(net, comp, comps, t_node, t_w, coords) -> dict[int, int]:
    """One central-office node per street component: least premise-weighted distance.

    Candidates are the 8 nodes nearest the premise-weighted centroid of the component's targets;
    for components with >= 50 target buildings the candidate with the least total street
    distance to the targets wins (one Dijkstra per candidate), otherwise the nearest node.
    """
    out = {}
    t_comp = comp[t_node]
    by_t = np.argsort(t_comp, kind="stable")
    by_n = np.argsort(comp, kind="stable")
    t_sorted, n_sorted = t_comp[by_t], comp[by_n]
    for c in comps:
        ti = by_t[np.searchsorted(t_sorted, c) : np.searchsorted(t_sorted, c, side="right")]
        w = t_w[ti]
        cen = (coords[t_node[ti]] * w[:, None]).sum(0) / w.sum()
        nodes = by_n[np.searchsorted(n_sorted, c) : np.searchsorted(n_sorted, c, side="right")]
        d2 = ((coords[nodes] - cen) ** 2).sum(1)
        cand = nodes[np.argsort(d2, kind="stable")[:8]]
        if len(ti) >= 50 and len(cand) > 1:
            D = dijkstra(net.csr, directed=False, indices=cand)
            tot = (D[:, t_node[ti]] * w).sum(1)
            out[c] = int(cand[int(np.argmin(tot))])
        else:
            out[c] = int(cand[0])
    return out


def plan_fiber(city, coverage, config: PlanConfig | None = None, ducts=None, network=None):
    """Plan the cheapest fibre build that passes every premise not passed today.

    Parameters
    ----------
    city : planner.city.City
        The loaded city (projected).
    coverage : planner.fiber.FiberCoverage
        Result of :func:`planner.fiber.analyze_fiber` for the same city; its drop limit is used.
    config : PlanConfig, optional
        Unit costs, architecture, budgets (defaults and sources in ``planner.costs.SOURCES``).
    ducts : GeoDataFrame, optional
        Existing duct lines (with a CRS), added to those of ``config.duct_files``; street
        length within ``coverage.config.route_buffer_m`` of one gets ``duct_reuse_discount``.
    network : FiberNetwork, optional
        A prepared street network to reuse; by default ``coverage.network``.

    Returns
    -------
    FiberPlan

    Raises
    ------
    AnalysisError
        No target premise can be connected to existing fibre.
    ConfigError
        ``budget`` is smaller than the cheapest cluster of the plan.
    InputFileError
        A duct file is bad or ``ducts`` has no CRS.

    Notes
    -----
    See docs/plan.md. Targets are ``near`` and ``unserved`` premises; the Steiner terminal of a
    target is the end node of its street edge nearest to it; roots are virtual nodes at every
    existing fibre interval (joined to the edge's ends at the partial trench cost) or, in
    greenfield, one central office per street component. Partial-edge stubs then bring fibre
    within the drop limit of every target.
    """
    cfg = config or PlanConfig()
    drop_limit = coverage.config.drop_limit_m
    t = {}
    t0 = time.perf_counter()
    net = network or coverage.network or FiberNetwork.from_graph(city.graph)
    E = net.edges
    n, L = E.n_nodes, E.length
    ducts = _all_ducts(city, cfg, coverage.config, ducts)
    ec = edge_costs(city, net, cfg, ducts, coverage.config.route_buffer_m)
    n_no_hw = int(ec["highway_missing"].sum())
    if n_no_hw:
        log.info("%d street edges have no highway tag: costed as 'unclassified'", n_no_hw)
    t["costs"] = time.perf_counter() - t0

    # ------------------------------------------------------------------ targets
    t0 = time.perf_counter()
    P = coverage.premises
    cls = P["fiber_class"].to_numpy()
    e_all = P["edge"].to_numpy().astype(np.int64)
    snap_all = P["snap_m"].to_numpy().astype(float)
    greenfield = bool(coverage.kpis.get("greenfield", False))
    reason = np.full(len(P), "", dtype=object)
    cand = np.isin(cls, ["near", "unserved", "unreachable"])
    reason[cand & (e_all < 0)] = "farther than max_snap_m from any street"
    reason[cand & (e_all >= 0) & (snap_all >= drop_limit)] = (
        "building farther from the street than the drop limit"
    )
    _, comp = connected_components(net.csr, directed=False)
    reach_comp = np.zeros(comp.max() + 1 if n else 0, dtype=bool)
    if not greenfield:
        if coverage.sources is not None and net is coverage.network:
            src = coverage.sources
        else:
            src, _ = asset_sources(net, coverage.assets, coverage.config)
        reach_comp[comp[E.u_idx[src.edge]]] = True
    else:
        src = None
    ok = cand & (reason == "")
    p_comp = np.where(e_all >= 0, comp[E.u_idx[np.maximum(e_all, 0)]], -1)
    no_fibre = ok & ~reach_comp[np.maximum(p_comp, 0)]
    new_site = greenfield or cfg.new_sites_for_unreachable
    if not new_site:
        reason[no_fibre] = "no street path to existing fibre"
        ok &= ~no_fibre
    tid = np.flatnonzero(ok)
    if not len(tid):
        if no_fibre.any():
            raise AnalysisError(
                f"{int(no_fibre.sum())} target premises are unreachable from any fibre asset "
                "(no street path); set plan.new_sites_for_unreachable: true"
            )
        log.warning("no premise to plan for: every premise is passed or unreachable")
    te = e_all[tid]
    to = P["offset_m"].to_numpy()[tid].astype(float)
    ts = snap_all[tid]
    tw = P["premises"].to_numpy()[tid].astype(float)
    t_node = np.where(to <= L[te] / 2, E.u_idx[te], E.v_idx[te])

    # ------------------------------------------------------------------ graph + roots
    coords = np.array([[city.graph.nodes[i]["x"], city.graph.nodes[i]["y"]] for i in E.node_ids])
    G = nx.Graph()
    G.add_nodes_from(range(n))
    G.add_edges_from(
        (int(a), int(b), {"cost": float(c), "eid": i, "a": 0.0, "b": float(ln)})
        for i, (a, b, c, ln) in enumerate(zip(E.u_idx, E.v_idx, ec["cost"], L, strict=True))
    )
    roots: list[int] = []
    virtual = {}
    if src is not None and len(src):
        for k, (e, s0, s1) in enumerate(zip(src.edge, src.start, src.end, strict=True)):
            vn = n + k
            virtual[vn] = (int(e), float(s0), float(s1))
            G.add_edge(
                vn, int(E.u_idx[e]), cost=float(s0 * ec["per_m"][e]), eid=int(e), a=0.0, b=float(s0)
            )
            G.add_edge(
                vn,
                int(E.v_idx[e]),
                cost=float((L[e] - s1) * ec["per_m"][e]),
                eid=int(e),
                a=float(s1),
                b=float(L[e]),
            )
            roots.append(vn)
    cos = {}
    if new_site and len(tid):
        need = np.unique(comp[t_node]) if greenfield else np.unique(comp[t_node[no_fibre[tid]]])
        cos = _central_offices(net, comp, need, t_node, tw, coords)
        roots.extend(cos.values())
    t["targets"] = time.perf_counter() - t0

    # ------------------------------------------------------------------ Steiner forest
    t0 = time.perf_counter()
    terms = np.unique(t_node).tolist()
    T = (
        steiner_tree(
            G,
            terms,
            roots=roots,
            weight="cost",
            time_limit=cfg.steiner_time_limit_s,
            restarts=cfg.steiner_restarts,
        )
        if terms
        else nx.Graph()
    )
    if T.graph.get("unreachable"):
        raise AnalysisError(f"{len(T.graph['unreachable'])} terminals not connected to a root")
    t["steiner"] = time.perf_counter() - t0
    bound = None
    if cfg.optimality_bound and terms:
        t0 = time.perf_counter()
        lb, info = steiner_lower_bound(
            G,
            terms,
            roots=roots,
            weight="cost",
            time_limit=cfg.bound_time_limit_s,
            full_output=True,
        )
        st_cost = float(T.graph["cost"])
        bound = {
            "routing_steiner_cost": round(st_cost, 2),
            "routing_lower_bound": round(lb, 2),
            "routing_gap_pct": round(100 * (st_cost / lb - 1), 4) if lb > 0 else None,
            "routing_bound_is_optimum": bool(info["exact"]),
        }
        t["bound"] = time.perf_counter() - t0

    # ------------------------------------------------------------------ rooted forest
    t0 = time.perf_counter()
    tn = np.array(sorted(T.nodes), dtype=np.int64)
    # position in the forest of every instance node (street and virtual), -1 if not in it
    pos = np.full(G.number_of_nodes(), -1, dtype=np.int64)
    pos[tn] = np.arange(len(tn))
    S = len(tn)  # super root
    t_edges = np.array(list(T.edges), dtype=np.int64).reshape(-1, 2)
    tre = list(zip(pos[t_edges[:, 0]].tolist(), pos[t_edges[:, 1]].tolist(), strict=True))
    rootpos = pos[np.asarray(roots, dtype=np.int64)] if roots else np.zeros(0, dtype=np.int64)
    rootpos = rootpos[rootpos >= 0]
    ra = np.r_[pos[t_edges[:, 0]], np.full(len(rootpos), S)].astype(np.int64)
    rb = np.r_[pos[t_edges[:, 1]], rootpos].astype(np.int64)
    A = sp.coo_matrix((np.ones(len(ra)), (ra, rb)), shape=(S + 1, S + 1)).tocsr()
    order, parent = breadth_first_order(A, S, directed=False, return_predecessors=True)
    # pieces: (eid, a, b, cost, owner=child node position)
    pe, pa, pb, pc, pown = [], [], [], [], []
    for x, y in tre:
        d = T.edges[tn[x], tn[y]]
        child = y if parent[y] == x else x
        pe.append(d["eid"]), pa.append(d["a"]), pb.append(d["b"])
        pc.append(d["cost"]), pown.append(child)
    pieces = pd.DataFrame(
        {"edge": pe, "a": pa, "b": pb, "cost": pc, "owner": pown, "kind": "route"}
    )
    # covered ranges per target edge: pieces, existing intervals (owner = super root), nodes
    rng_parts = [pieces[["edge", "a", "b", "owner"]]]
    if src is not None and len(src):
        rng_parts.append(pd.DataFrame({"edge": src.edge, "a": src.start, "b": src.end, "owner": S}))
    ue = np.unique(te)
    for end, at in ((E.u_idx, 0.0), (E.v_idx, None)):
        nodes = end[ue]
        inT = pos[nodes] >= 0
        x = np.full(inT.sum(), 0.0) if at == 0.0 else L[ue[inT]]
        rng_parts.append(pd.DataFrame({"edge": ue[inT], "a": x, "b": x, "owner": pos[nodes[inT]]}))
    ranges = pd.concat(rng_parts, ignore_index=True)
    ranges = ranges[ranges["edge"].isin(ue)].reset_index(drop=True)
    ranges["rid"] = np.arange(len(ranges))
    tp = pd.DataFrame({"i": np.arange(len(tid)), "edge": te, "o": to, "s": ts})
    m = tp.merge(ranges, on="edge")
    m["d"] = np.maximum(0.0, np.maximum(m["a"] - m["o"], m["o"] - m["b"]))
    best = m.sort_values(["i", "d"]).drop_duplicates("i").set_index("i").sort_index()
    if len(best) != len(tid):
        raise AnalysisError("internal: a target premise's street edge is not on the plan")
    dist = best["d"].to_numpy()
    owner = best["owner"].to_numpy()
    # stubs: extend the nearest range along the edge until the drop limit is met
    r = np.maximum(drop_limit - ts - 1e-3, 0.0)
    needs = dist > r
    stub_cost_of = np.zeros(len(tid))
    stubs = pd.DataFrame(columns=["edge", "a", "b", "cost", "owner", "kind"])
    if needs.any():
        b = best[needs].copy()
        b["r"] = r[needs]
        left = b["b"] <= b["o"]
        b["sa"] = np.where(left, b["b"], b["o"] + b["r"])
        b["sb"] = np.where(left, b["o"] - b["r"], b["a"])
        g = b.reset_index().groupby(["rid", left.to_numpy()])
        st = g.agg(
            edge=("edge", "first"),
            a=("sa", "min"),
            b=("sb", "max"),
            owner=("owner", "first"),
            members=("i", list),
        ).reset_index(drop=True)
        # a left and a right stub meeting in the same gap are merged into one
        st = st.sort_values(["edge", "a"]).reset_index(drop=True)
        grp = (st["edge"] != st["edge"].shift()) | (st["a"] > st["b"].shift().fillna(-1))
        st["g"] = grp.cumsum()
        st = st.groupby("g").agg(
            edge=("edge", "first"),
            a=("a", "min"),
            b=("b", "max"),
            owner=("owner", "first"),
            members=("members", "sum"),
        )
        st["cost"] = (st["b"] - st["a"]) * ec["per_m"][st["edge"].to_numpy()]
        st["kind"] = "stub"
        for c, mem in zip(st["cost"], st["members"], strict=True):
            stub_cost_of[mem] += c / len(mem)
        dist = np.where(needs, r, dist)
        stubs = st[["edge", "a", "b", "cost", "owner", "kind"]]
    pieces = pd.concat([pieces, stubs], ignore_index=True)
    drop_m = dist + ts
    t["stubs"] = time.perf_counter() - t0

    # ------------------------------------------------------------------ architecture
    t0 = time.perf_counter()
    ratio = cfg.split_ratio // cfg.first_level_ratio if cfg.two_level else cfg.split_ratio
    # depth-first order along the forest keeps splitter groups local
    dfo = depth_first_order(A, S, directed=False, return_predecessors=False)
    rank = np.empty(S + 1, dtype=np.int64)
    rank[dfo] = np.arange(len(dfo))
    top = _top_root(parent, S, order)
    porder = np.lexsort((to, te, rank[owner]))
    split_of = np.empty(len(tid), dtype=np.int64)
    n_split, cur, cur_top, groups = -1, 0, -2, []
    for i in porder:
        w = int(tw[i])
        if w > ratio:
            n_split += 1
            split_of[i] = n_split
            groups.append([i])
            extra = -(-w // ratio) - 1
            groups.extend([[i]] * extra)
            n_split += extra
            cur = ratio
            continue
        if cur_top != top[owner[i]] or cur + w > ratio or n_split < 0:
            n_split += 1
            groups.append([])
            cur, cur_top = 0, top[owner[i]]
        split_of[i] = n_split
        groups[n_split].append(i)
        cur += w
    snap_pts = snap_point_geometry(E, Snap(te, to, ts, np.ones(len(te), dtype=bool)))
    spl_pt = np.array([snap_pts[g[len(g) // 2]] for g in groups], dtype=object)
    n_spl = len(groups)
    per_cab = cfg.splitters_per_cabinet * (cfg.first_level_ratio if cfg.two_level else 1)
    cab_of_spl = np.arange(n_spl) // per_cab
    n_cab = int(cab_of_spl.max()) + 1 if n_spl else 0
    cab_pt = np.array(
        [spl_pt[min(c * per_cab + per_cab // 2, n_spl - 1)] for c in range(n_cab)], dtype=object
    )
    if cfg.two_level:
        l1 = np.bincount(cab_of_spl, minlength=n_cab)
        l1 = -(-l1 // cfg.first_level_ratio)
        n_l1 = int(l1.sum())
    else:
        l1 = np.zeros(n_cab, dtype=np.int64)
        n_l1 = 0
    olt_ports = n_l1 if cfg.two_level else n_spl
    t["architecture"] = time.perf_counter() - t0

    # ------------------------------------------------------------------ roll-out (Horn)
    t0 = time.perf_counter()
    node_cost = np.zeros(S + 1)
    np.add.at(
        node_cost,
        pieces["owner"].to_numpy(dtype=np.int64)[pieces["kind"] == "route"],
        pieces["cost"].to_numpy()[pieces["kind"] == "route"],
    )
    drop_cost = cfg.drop_per_premise * tw + cfg.drop_per_m * drop_m
    equip_per_prem = (cfg.splitter + cfg.olt_port) / ratio + cfg.cabinet / (per_cab * ratio)
    np.add.at(node_cost, owner, drop_cost + stub_cost_of + equip_per_prem * tw)
    node_w = np.bincount(owner, weights=tw, minlength=S + 1)
    seq = _horn(parent, node_w, node_cost, S, order)  # BFS: parents first
    seq_pos = np.empty(S + 1, dtype=np.int64)
    seq_pos[seq] = np.arange(len(seq))
    phase_node = np.ones(S + 1, dtype=np.int64)
    if cfg.phase_budget:
        ph, spent = 1, 0.0
        for v in seq:
            if spent > 0 and spent + node_cost[v] > cfg.phase_budget:
                ph, spent = ph + 1, 0.0
            phase_node[v] = ph
            spent += node_cost[v]
    p_phase = phase_node[owner]
    spl_phase = np.array([p_phase[g].min() for g in groups], dtype=np.int64)
    # cabinets take consecutive runs of per_cab splitters (cab_of_spl = arange // per_cab)
    cab_phase = (
        np.minimum.reduceat(spl_phase, np.arange(0, n_spl, per_cab))
        if n_spl
        else np.zeros(0, dtype=np.int64)
    )
    pieces["phase"] = phase_node[pieces["owner"].to_numpy(dtype=np.int64)]
    t["rollout"] = time.perf_counter() - t0

    # ------------------------------------------------------------------ outputs
    t0 = time.perf_counter()
    routes = _route_frame(pieces, E, ec, city.crs)
    # clusters: street components of the targets' edges (+ short bridges), like gap clusters
    tcl = _target_clusters(net, te, coverage.config.gap_bridge_m)
    routes["cluster"] = _piece_cluster(routes, tcl, te, owner, seq_pos)
    p_cost = drop_cost + stub_cost_of
    clusters = _cluster_table(tcl, tw, p_cost, routes, p_phase, seq_pos[owner])
    prem = P.iloc[tid]
    drops = gpd.GeoDataFrame(
        {
            "osm_id": prem["osm_id"].to_numpy(),
            "premises": tw.astype(np.int64),
            "drop_m": np.round(drop_m, 2),
            "cost": np.round(drop_cost, 2),
            "splitter": split_of,
            "cabinet": cab_of_spl[split_of] if n_spl else split_of,
            "phase": p_phase,
            "cluster": tcl,
        },
        geometry=_drop_lines(prem.geometry.to_numpy(), snap_pts, E, te, to, dist, best),
        crs=city.crs,
    )
    splitters = gpd.GeoDataFrame(
        {
            "splitter": np.arange(n_spl),
            "ratio": f"1:{ratio}",
            "premises": np.bincount(split_of, weights=tw, minlength=n_spl).astype(np.int64),
            "cabinet": cab_of_spl,
            "phase": spl_phase,
        },
        geometry=list(spl_pt),
        crs=city.crs,
    )
    cabinets = gpd.GeoDataFrame(
        {
            "cabinet": np.arange(n_cab),
            "splitters": np.bincount(cab_of_spl, minlength=n_cab),
            "first_level_splitters": l1,
            "phase": cab_phase,
        },
        geometry=list(cab_pt),
        crs=city.crs,
    )
    bad = np.flatnonzero(reason != "")
    unreachable = gpd.GeoDataFrame(
        {
            "osm_id": P["osm_id"].to_numpy()[bad],
            "premises": P["premises"].to_numpy()[bad],
            "fiber_class": cls[bad],
            "reason": reason[bad],
        },
        geometry=P.geometry.to_numpy()[bad],
        crs=city.crs,
    )
    bom = _bom(cfg, routes, drops, ratio, n_spl, n_l1, n_cab, olt_ports)
    phases = _phases(routes, drops, spl_phase, cab_phase, l1, cfg, tw, n_spl)
    capex = float(bom["total"].sum())
    budget = _budget_mode(cfg, seq, node_cost, node_w, parent, S, capex, float(tw.sum()))
    if cos:
        co_pts = [shapely.Point(*coords[v]) for v in cos.values()]
    else:
        co_pts = []
    total = float(P["premises"].sum())
    passed0 = float(P.loc[cls == "passed", "premises"].sum())
    targeted = float(tw.sum())
    summary = {
        "route_length_m": round(float(routes["length_m"].sum()), 1),
        "route_cost": round(float(routes["cost"].sum()), 2),
        "premises_targeted": int(targeted),
        "buildings_targeted": len(tid),
        "premises_not_plannable": int(P["premises"].to_numpy()[bad].sum()),
        "premises_passed_before": int(passed0),
        "premises_passed_after": int(passed0 + targeted),
        "coverage_pct_before": round(100 * passed0 / total, 2) if total else 0.0,
        "coverage_pct_after": round(100 * (passed0 + targeted) / total, 2) if total else 0.0,
        "capex_total": round(capex, 2),
        "capex_per_premise": round(capex / targeted, 2) if targeted else None,
        "currency": cfg.currency,
        "splitters": n_spl,
        "split_ratio": cfg.split_ratio,
        "two_level": cfg.two_level,
        "first_level_splitters": n_l1,
        "cabinets": n_cab,
        "olt_ports": olt_ports,
        "greenfield": greenfield,
        "central_offices": [[round(p.x, 1), round(p.y, 1)] for p in co_pts],
        "central_office_method": (
            "one per street component with targets: the node (of the 8 nearest the premise-"
            "weighted centroid) with the least total street distance to the targets"
            if cos
            else None
        ),
        "phases": phases.to_dict(orient="records"),
        "budget": budget,
        "cost_curve": _cost_curve(seq, node_cost, node_w, passed0, total),
        "assumptions": cfg.report(),
        "drop_limit_m": drop_limit,
        "duct_length_m": round(float(ducts.geometry.length.sum()), 1)
        if ducts is not None and len(ducts)
        else 0.0,
        "duct_reused_m": round(float(routes["duct_m"].sum()), 1),
        "street_edges_without_highway": n_no_hw,
        "street_edges_without_highway_costed_as": "unclassified",
    }
    if bound is not None:
        summary.update(bound)
    t["outputs"] = time.perf_counter() - t0
    plan = FiberPlan(
        routes=routes,
        splitters=splitters,
        cabinets=cabinets,
        drops=drops,
        bom=bom,
        phases=phases,
        clusters=clusters,
        unreachable=unreachable,
        summary=summary,
        config=cfg,
        crs=city.crs,
        timings=t,
        steiner_instance=(G, terms, roots, T),
    )
    return plan


def _cost_curve(seq, node_cost, node_w, passed0: float, total: float, points: int = 200):
    """Premises passed and coverage against cumulative cost along the roll-out order.

    The budget-mode curve: each point is what a budget equal to its ``cost`` passes when
    the plan is built in Horn order (equipment spread per premise, as in the phases).
    """
    cost = np.cumsum(node_cost[seq])
    prem = passed0 + np.cumsum(node_w[seq])
    if len(seq) == 0:
        return []
    pick = np.unique(np.linspace(0, len(seq) - 1, min(points, len(seq))).astype(int))
    return [
        {
            "cost": round(float(cost[i]), 2),
            "premises": int(prem[i]),
            "coverage_pct": round(100 * float(prem[i]) / total, 3) if total else 0.0,
        }
        for i in pick
    ]


def _top_root(parent: np.ndarray, S: int, order: np.ndarray) -> np.ndarray:
    """Return the super root's child above each node (its tree of the forest)."""
    top = np.full(S + 1, S, dtype=np.int64)
    for v in order[1:]:
        p = parent[v]
        top[v] = v if p == S else top[p]
    return top


def _horn(parent, w, c, S, order) -> np.ndarray:
    """Roll-out order of a rooted forest maximising premises passed per cost spent so far.

    Horn's algorithm for out-tree precedence (1|outtree|sum w_j C_j): repeatedly merge the
    group with the highest premises/cost ratio into its parent's group, appending its
    sequence (linked lists, heap; O(n log n)). Returns node positions, super root first.
    """
    N = S + 1
    W, C = w.astype(float).copy(), c.astype(float).copy()
    nxt = np.full(N, -1, dtype=np.int64)
    tail = np.arange(N)
    head_of = np.arange(N)  # union-find parent
    alive = np.ones(N, dtype=bool)

    def find(x):
        while head_of[x] != x:
            head_of[x] = head_of[head_of[x]]
            x = head_of[x]
        return x

    def key(v):
        return -(W[v] / C[v]) if C[v] > 0 else -np.inf

    heap = [(key(v), int(v)) for v in order if v != S]
    heapq.heapify(heap)
    ver = {}
    while heap:
        k, v = heapq.heappop(heap)
        if not alive[v] or find(v) != v or ver.get(v, k) != k:
            continue
        p = find(parent[v])
        nxt[tail[p]] = v
        tail[p] = tail[v]
        W[p] += W[v]
        C[p] += C[v]
        head_of[v] = p
        alive[v] = False
        if p != S:
            ver[p] = key(p)
            heapq.heappush(heap, (ver[p], int(p)))
    seq, x = [], S
    while x != -1:
        seq.append(x)
        x = nxt[x]
    return np.array(seq, dtype=np.int64)


def _route_frame(pieces: pd.DataFrame, E, ec, crs) -> gpd.GeoDataFrame:
    e = pieces["edge"].to_numpy(dtype=np.int64)
    a, b = pieces["a"].to_numpy(float), pieces["b"].to_numpy(float)
    full = (a <= 1e-9) & (b >= E.length[e] - 1e-9)
    geoms = E.geometry[e].copy()
    for i in np.flatnonzero(~full):
        geoms[i] = substring(E.geometry[e[i]], a[i], b[i])
    keep = (b - a) > 1e-6
    return gpd.GeoDataFrame(
        {
            "edge": e,
            "u": E.u[e],
            "v": E.v[e],
            "key": E.key[e],
            "length_m": np.round(b - a, 3),
            "highway": ec["highway"][e],
            "cost_per_m": np.round(ec["per_m"][e], 4),
            "crossings": np.where(full, ec["crossings"][e], 0.0),
            # duct length in the piece, pro rata (matches the per-metre cost of the piece)
            "duct_m": np.round(ec["duct_m"][e] * (b - a) / np.maximum(E.length[e], 1e-9), 3),
            "cost": pieces["cost"].to_numpy(float),
            "kind": pieces["kind"].to_numpy(),
            "phase": pieces["phase"].to_numpy(),
            "owner": pieces["owner"].to_numpy(dtype=np.int64),
        },
        geometry=geoms,
        crs=crs,
    )[keep | (pieces["cost"].to_numpy(float) > 0)].reset_index(drop=True)


def _target_clusters(net, te: np.ndarray, bridge_m: float) -> np.ndarray:
    """Cluster id (1..k, by size) of each target: components of its edges plus short bridges."""
    E = net.edges
    if not len(te):
        return np.zeros(0, dtype=np.int64)
    _, lab = edge_clusters(E, te, bridge_m)
    _, inv, cnt = np.unique(lab[E.u_idx[te]], return_inverse=True, return_counts=True)
    rank = np.empty(len(cnt), dtype=np.int64)
    rank[np.argsort(-cnt, kind="stable")] = np.arange(1, len(cnt) + 1)
    return rank[inv]


def _piece_cluster(routes, tcl, te, owner, seq_pos) -> np.ndarray:
    """Each route piece serves the cluster of the next premise built after it in the roll-out."""
    if not len(tcl):
        return np.zeros(len(routes), dtype=np.int64)
    sp_ = seq_pos[owner]
    o = np.argsort(sp_, kind="stable")
    k = np.searchsorted(sp_[o], seq_pos[routes["owner"].to_numpy(dtype=np.int64)])
    return tcl[o[np.minimum(k, len(o) - 1)]]


def _cluster_table(tcl, tw, p_cost, routes, p_phase, p_seq) -> pd.DataFrame:
    if not len(tcl):
        return pd.DataFrame(columns=["cluster", "premises", "cost", "cost_per_premise", "rank"])
    k = int(tcl.max()) + 1
    cost = np.bincount(tcl, weights=p_cost, minlength=k)
    cost += np.bincount(routes["cluster"], weights=routes["cost"], minlength=k)
    prem = np.bincount(tcl, weights=tw, minlength=k)
    df = pd.DataFrame(
        {"cluster": np.arange(k), "premises": prem.astype(np.int64), "cost": np.round(cost, 2)}
    ).iloc[1:]
    df["cost_per_premise"] = np.round(df["cost"] / df["premises"], 2)
    df["first_phase"] = pd.Series(p_phase).groupby(tcl).min().reindex(df["cluster"]).to_numpy()
    df["rank"] = df["cost_per_premise"].rank(method="first").astype(int)
    return df.sort_values("rank").reset_index(drop=True)


def _drop_lines(pts, snap_pts, E, te, to, dist, best) -> np.ndarray:
    """Premise -> snap point -> point on the street where the fibre is reached."""
    if not len(te):
        return np.array([], dtype=object)
    target = np.where(best["b"].to_numpy() <= to, to - dist, to + dist)
    target = np.clip(target, 0, E.length[te])
    reach = shapely.line_interpolate_point(E.geometry[te], target)
    c = np.stack(
        [
            shapely.get_coordinates(pts),
            shapely.get_coordinates(snap_pts),
            shapely.get_coordinates(reach),
        ],
        axis=1,
    )
    return shapely.linestrings(c)


def _bom(cfg, routes, drops, ratio, n_spl, n_l1, n_cab, olt_ports) -> pd.DataFrame:
    """Bill of materials: one line per item, quantity x unit cost, labour/material split."""
    rows = []
    civil = routes.assign(civil=routes["cost"] - routes["crossings"] * cfg.crossing)
    for hw, g in civil.groupby("highway"):
        rows.append(("trench", str(hw), "m", g["length_m"].sum(), None, g["civil"].sum()))
    rows.append(
        (
            "crossing",
            "street crossing (bore)",
            "each",
            routes["crossings"].sum(),
            cfg.crossing,
            routes["crossings"].sum() * cfg.crossing,
        )
    )
    rows.append(
        (
            "drop",
            "drop termination",
            "premise",
            drops["premises"].sum(),
            cfg.drop_per_premise,
            drops["premises"].sum() * cfg.drop_per_premise,
        )
    )
    rows.append(("drop", "drop cable", "m", drops["drop_m"].sum(), cfg.drop_per_m, None))
    rows.append(("splitter", f"splitter 1:{ratio}", "each", n_spl, cfg.splitter, None))
    if n_l1:
        rows.append(
            (
                "splitter",
                f"splitter 1:{cfg.first_level_ratio} (cabinet)",
                "each",
                n_l1,
                cfg.splitter,
                None,
            )
        )
    rows.append(("cabinet", "street cabinet", "each", n_cab, cfg.cabinet, None))
    rows.append(("olt_port", "OLT PON port", "each", olt_ports, cfg.olt_port, None))
    df = pd.DataFrame(rows, columns=["category", "item", "unit", "quantity", "unit_cost", "total"])
    df["total"] = df["total"].fillna(df["quantity"] * df["unit_cost"])
    df["unit_cost"] = df["unit_cost"].fillna(df["total"] / df["quantity"].replace(0, np.nan))
    # drop cost per metre is computed from unrounded lengths in drops["cost"]; keep exact sum
    exact_drop = float(drops["cost"].sum()) - float(drops["premises"].sum()) * cfg.drop_per_premise
    df.loc[(df["category"] == "drop") & (df["unit"] == "m"), "total"] = exact_drop
    df["labour"] = df["total"] * cfg.labour_share
    df["material"] = df["total"] - df["labour"]
    df["currency"] = cfg.currency
    return df


def _phases(routes, drops, spl_phase, cab_phase, l1, cfg, tw, n_spl) -> pd.DataFrame:
    k = int(max([1, *routes["phase"].tolist(), *drops["phase"].tolist()]))
    idx = np.arange(1, k + 1)
    route = routes.groupby("phase")["cost"].sum().reindex(idx, fill_value=0.0)
    length = routes.groupby("phase")["length_m"].sum().reindex(idx, fill_value=0.0)
    drop = drops.groupby("phase")["cost"].sum().reindex(idx, fill_value=0.0)
    prem = drops.groupby("phase")["premises"].sum().reindex(idx, fill_value=0)
    nspl = np.bincount(spl_phase, minlength=k + 1)[1:]
    ncab = np.bincount(cab_phase, minlength=k + 1)[1:]
    nl1 = np.bincount(cab_phase, weights=l1, minlength=k + 1)[1:] if len(l1) else np.zeros(k)
    ports = nl1 if cfg.two_level else nspl
    crossings = routes.groupby("phase")["crossings"].sum().reindex(idx, fill_value=0.0)
    equip = (nspl + nl1) * cfg.splitter + ncab * cfg.cabinet + ports * cfg.olt_port
    # route cost already includes crossings
    capex = route.to_numpy() + drop.to_numpy() + equip
    df = pd.DataFrame(
        {
            "phase": idx,
            "route_length_m": np.round(length.to_numpy(), 1),
            "premises_passed": prem.to_numpy().astype(np.int64),
            "route_cost": np.round(route.to_numpy(), 2),
            "crossings": crossings.to_numpy(),
            "drop_cost": np.round(drop.to_numpy(), 2),
            "equipment_cost": np.round(equip, 2),
            "capex": capex,
        }
    )
    df["cumulative_capex"] = df["capex"].cumsum()
    df["cumulative_premises"] = df["premises_passed"].cumsum()
    df["capex"] = df["capex"].round(2)
    df["cumulative_capex"] = df["cumulative_capex"].round(2)
    return df


def _budget_mode(cfg, seq, node_cost, node_w, parent, S, capex, targeted) -> dict | None:
    """With budget B pass the most premises: Horn prefix, then greedy fill of what still fits."""
    if cfg.budget is None:
        return None
    # cheapest single step that passes anything: least root-path cost to a premise node
    path = np.zeros(S + 1)
    order = seq  # parents precede children in Horn's sequence
    for v in order[1:]:
        path[v] = node_cost[v] + (path[parent[v]] if parent[v] != S else 0.0)
    has = node_w > 0
    cheapest = float(path[has].min()) if has.any() else 0.0
    if cfg.budget < cheapest:
        raise ConfigError(
            f"plan.budget = {cfg.budget:g} is smaller than the cheapest cluster of the "
            f"plan ({cheapest:.0f} {cfg.currency})"
        )
    built = np.zeros(S + 1, dtype=bool)
    built[S] = True
    spent, got = 0.0, 0.0
    for v in order[1:]:
        if built[parent[v]] and spent + node_cost[v] <= cfg.budget:
            built[v] = True
            spent += node_cost[v]
            got += node_w[v]
    return {
        "budget": cfg.budget,
        "spent": round(float(spent), 2),
        "premises_passed": int(got),
        "premises_full_plan": int(targeted),
        "share_of_full_plan_pct": round(float(100 * got / targeted), 2) if targeted else 0.0,
        "full_plan_capex": round(capex, 2),
        "method": "Horn order (premises per cost, out-tree precedence), greedy fill; "
        "equipment amortised per premise",
    }


def write_plan_outputs(plan: FiberPlan, out_dir: str | Path) -> list[Path]:
    """Write ``fiber_plan.gpkg`` and ``bom.csv``; return the paths.

    The GeoPackage holds WGS84 layers ``routes``, ``cabinets``, ``splitters``, ``drops`` and
    ``unreachable`` and is written to a temporary name first (atomic replace).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = ("routes", "cabinets", "splitters", "drops", "unreachable")
    gpkg = write_gpkg({n: getattr(plan, n) for n in names}, out / "fiber_plan.gpkg", plan.crs)
    bom = out / "bom.csv"
    with atomic_path(bom) as tmp:
        plan.bom.to_csv(tmp, index=False)
    return [gpkg, bom]
