"""Build clusters: street components of the targets' edges, ranked by cost per premise."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.fiber import FiberNetwork
from planner.fiber.netdist import edge_clusters
from planner.plan.result import CLUSTER_COLUMNS

__all__ = ["cluster_table", "piece_clusters", "target_clusters"]


def target_clusters(net: FiberNetwork, target_edges: np.ndarray, bridge_m: float) -> np.ndarray:
    """Cluster id (1..k, by size) of each target: components of its edges plus short bridges."""
    E = net.edges
    if not len(target_edges):
        return np.zeros(0, dtype=np.int64)
    _, lab = edge_clusters(E, target_edges, bridge_m)
    _, inv, cnt = np.unique(lab[E.u_idx[target_edges]], return_inverse=True, return_counts=True)
    rank = np.empty(len(cnt), dtype=np.int64)
    rank[np.argsort(-cnt, kind="stable")] = np.arange(1, len(cnt) + 1)
    return rank[inv]


def piece_clusters(
    piece_owner: np.ndarray, target_cluster: np.ndarray, owner: np.ndarray, seq_pos: np.ndarray
) -> np.ndarray:
    """Each route piece serves the cluster of the next premise built after it in the roll-out."""
    if not len(target_cluster):
        return np.zeros(len(piece_owner), dtype=np.int64)
    sp_ = seq_pos[owner]
    o = np.argsort(sp_, kind="stable")
    k = np.searchsorted(sp_[o], seq_pos[piece_owner])
    return target_cluster[o[np.minimum(k, len(o) - 1)]]


def cluster_table(
    target_cluster: np.ndarray,
    premises: np.ndarray,
    premise_cost: np.ndarray,
    routes: pd.DataFrame,
    premise_phase: np.ndarray,
) -> pd.DataFrame:
    """Premises, cost (drops, stubs, route pieces) and first phase of every cluster, ranked."""
    tcl = target_cluster
    if not len(tcl):
        return pd.DataFrame(columns=CLUSTER_COLUMNS)
    k = int(tcl.max()) + 1
    cost = np.bincount(tcl, weights=premise_cost, minlength=k)
    cost += np.bincount(routes["cluster"], weights=routes["cost"], minlength=k)
    prem = np.bincount(tcl, weights=premises, minlength=k)
    df = pd.DataFrame(
        {"cluster": np.arange(k), "premises": prem.astype(np.int64), "cost": np.round(cost, 2)}
    ).iloc[1:]
    df["cost_per_premise"] = np.round(df["cost"] / df["premises"], 2)
    df["first_phase"] = (
        pd.Series(premise_phase).groupby(tcl).min().reindex(df["cluster"]).to_numpy()
    )
    df["rank"] = df["cost_per_premise"].rank(method="first").astype(int)
    return df.sort_values("rank").reset_index(drop=True)
