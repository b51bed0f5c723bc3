"""Joint plan orchestrator: candidates, coverage matrix, set cover, backhaul, re-route, roll-out."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from threading import Event

import geopandas as gpd
import numpy as np

from planner.city import City
from planner.config.drones import DroneConfig
from planner.config.joint import JointConfig
from planner.config.radio import RadioConfig
from planner.drones import CorridorResult
from planner.errors import AnalysisError
from planner.fiber import FiberCoverage
from planner.joint.backhaul import Routing, joint_routing
from planner.joint.certify import Certificate, better_of, cover_program, solve_program
from planner.joint.costed import Costed, costed_candidates
from planner.joint.cover import (
    CoverModel,
    cover_model,
    exact_covered,
    existing_cover,
    targets_met,
)
from planner.joint.demand import (
    Demand,
    corridor_cells,
    corridor_level,
    key_place_cells,
    population_cells,
)
from planner.joint.powers import radio_scene, site_powers_at
from planner.joint.reroute import Rerouted, corridor_cover, penalty_level, reroute_corridors
from planner.joint.result import JointPlan
from planner.joint.rollout import Item, JointRollout, fibre_items, joint_rollout
from planner.joint.select import (
    CoverInstance,
    Selection,
    cover_instance,
    improve,
    lazy_greedy,
    select_sites,
)
from planner.joint.tables import joint_summary, joint_tables, write_site_file
from planner.plan import FiberPlan
from planner.radio import RadioCoverage, analyze_radio

__all__ = [
    "plan_joint",
    "joint_config",
    "site_demands",
    "cover_model_of",
    "model_pct",
    "rerouted_better",
]


def joint_config(config: JointConfig | dict | None) -> JointConfig:
    """Return ``config`` validated as a :class:`JointConfig` (defaults when None)."""
    return config if isinstance(config, JointConfig) else JointConfig.parse(config)


def site_demands(
    city: City, radio: RadioCoverage, corridors: gpd.GeoDataFrame, jcfg: JointConfig
) -> list[Demand]:
    """Return the coverage targets: corridor metres at flight altitude; people, key places."""
    shape = radio.covered.shape[1:]
    cfg = radio.config
    level = corridor_level(
        radio.heights_m, corridors, cfg.corridor_altitude_m or max(radio.heights_m)
    )
    out = [
        Demand(
            "corridors",
            corridor_cells(corridors, radio.transform, shape, level),
            jcfg.corridor_target_pct / 100,
        )
    ]
    ground = (
        ("population", jcfg.population_target_pct, population_cells),
        ("key_places", jcfg.key_places_target_pct, key_place_cells),
    )
    for name, pct, cells in ground:
        if pct is not None:
            out.append(Demand(name, cells(city, radio.transform, shape), pct / 100))
    return out


def cover_model_of(city, radio: RadioCoverage, costed: Costed, demands: list[Demand]) -> CoverModel:
    """Received power of existing and candidate sites at the demand cells; pairwise matrix.

    When the existing sites already meet every target, the candidates' powers are skipped.
    """
    cfg = radio.config
    secs = [s for s in (radio.sectors, costed.cand.sectors) if len(s)]
    fcs = (
        np.concatenate([s["frequency_ghz"].to_numpy(float) for s in secs]) if secs else np.zeros(1)
    )
    bands = np.unique(np.round(fcs, 4))
    shape = radio.covered.shape[1:]
    scene = radio_scene(city, cfg, radio.transform, shape, radio.heights_m, bands)
    scene.store = True  # keep the existing sites' horizons for their upgrade candidates
    cells = [d.cells for d in demands]
    existing = site_powers_at(scene, radio.sites, radio.sectors, cells)
    scene.store = False
    n = len(costed.cand.sites)
    if targets_met(demands, existing_cover(cfg, existing)[1]):
        return cover_model(cfg, demands, existing, None, n)  # nothing to build: no powers
    cand = site_powers_at(scene, costed.cand.sites, costed.cand.sectors, cells)
    return cover_model(cfg, demands, existing, cand)


def _radio_after(
    city: City, radio: RadioCoverage, costed: Costed, chosen: list[int], corridors, band, work: Path
) -> RadioCoverage:
    """Run the independent check: the radio model on the existing plus the chosen sites.

    With no site chosen the network is the existing one: ``radio`` itself is the answer.
    Only the ground and the corridors' evaluated height are modelled (the claim's level).
    """
    if not chosen:
        return radio
    path = write_site_file(costed.cand, chosen, work / "joint_sites.gpkg")
    cfg: RadioConfig = radio.config
    files = [*cfg.site_files, path] if path is not None else list(cfg.site_files)
    # only the height the corridors are evaluated at (each height is computed on its own)
    level = penalty_level(radio, corridors)
    heights = [radio.heights_m[level]] if level > 0 else cfg.heights_m
    after = cfg.model_copy(update={"site_files": files, "heights_m": heights})
    return analyze_radio(city, after, corridors=corridors, band=band)


def _site_items(cfg, model: CoverModel, sel: Selection, cost: np.ndarray) -> list[Item]:
    """Each chosen site as a roll-out step with the exact corridor pct after it."""
    d = model.demands[0]
    items = []
    for i, j in enumerate(sel.chosen):
        cov = exact_covered(cfg, model, sel.chosen[: i + 1], 0)
        pct = 100 * float(d.cells.weight[cov].sum()) / max(d.total, 1e-9)
        items.append(Item("site", float(cost[j]), pct, f"site {j}"))
    return items


def _route_backhaul(plan: FiberPlan, costed: Costed, sel: Selection):
    """Joint Steiner routing of homes and the chosen new sites (upgrades have backhaul)."""
    kind = costed.cand.table["kind"].to_numpy()
    new = [int(costed.node[j]) for j in sel.chosen if kind[j] != "upgrade"]
    cfg = plan.config
    return joint_routing(
        plan.steiner_instance,
        new,
        min(cfg.steiner_time_limit_s, 10.0),
        min(cfg.steiner_restarts, 1),
    )


def _rollout(plan, radio, model: CoverModel, sel: Selection, costed: Costed, jcfg: JointConfig):
    """Merge the fibre budget curve and the sites into one roll-out."""
    return joint_rollout(
        fibre_items(plan.summary["cost_curve"]),
        _site_items(radio.config, model, sel, costed.total_cost),
        (plan.summary["coverage_pct_before"], model_pct(radio)),
        (jcfg.household_target_pct, jcfg.corridor_target_pct),
        jcfg.phases,
    )


@dataclass
class _Steps:
    """The results of the joint plan's steps, in order."""

    jcfg: JointConfig
    radio: RadioCoverage
    costed: Costed
    model: CoverModel
    cert: Certificate
    sel: Selection
    routing: Routing
    after: RadioCoverage
    rerouted: Rerouted | None
    ro: JointRollout


def _assemble(
    st: _Steps, city: City, plan: FiberPlan, corridors, timings: dict, cpu: dict
) -> JointPlan:
    """Build the tables, the JointPlan and its summary from the steps' results."""
    tables = joint_tables(
        st.radio.config, st.costed, st.sel, st.model, st.routing, st.ro, plan, city.crs
    )
    before, _ = corridor_cover(st.radio, corridors.corridors)
    final = st.after.corridors
    if st.rerouted is not None and rerouted_better(st.rerouted, st.after):
        final = st.rerouted.corridors
    result = JointPlan(
        config=st.jcfg,
        candidates=tables.candidates,
        sites=tables.sites,
        sectors=tables.sectors,
        backhaul=tables.backhaul,
        corridors_before=before,
        corridors_after=final,
        radio_after=st.after,
        certificate=st.cert,
        routing=st.routing,
        phases=st.ro.phases,
        curve=st.ro.curve,
        rerouted=st.rerouted.result
        if st.rerouted is not None and rerouted_better(st.rerouted, st.after)
        else None,
        timings=timings,
        cpu_timings=cpu,
        costed=st.costed,
        model=st.model,
        selection=st.sel,
        radio_before=st.radio,
    )
    result.summary = joint_summary(result, st.radio, st.model, st.sel, plan, st.rerouted, st.costed)
    result.summary["rollout"]["meet_both"] = st.ro.meet
    return result


@contextmanager
def _timed(timings: dict, cpu: dict, name: str, digits: int = 3) -> Iterator[None]:
    """Add the body's wall seconds to ``timings[name]`` and its CPU seconds to ``cpu[name]``.

    Added, not replaced: the steps after the selection run twice when the MILP's cover
    replaces the greedy one, and the summary's seconds count both runs.
    """
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        timings[name] = round(timings.get(name, 0.0) + time.perf_counter() - t0, digits)
        cpu[name] = round(cpu.get(name, 0.0) + time.process_time() - c0, digits)


def plan_joint(
    city: City,
    coverage: FiberCoverage,
    plan: FiberPlan,
    corridors: CorridorResult,
    radio: RadioCoverage | None = None,
    config: JointConfig | dict | None = None,
    drones: DroneConfig | None = None,
    radio_config: RadioConfig | None = None,
    work_dir: str | Path | None = None,
) -> JointPlan:
    """Plan new 5G sites for the drone corridors, their fibre backhaul and one roll-out.

    Parameters
    ----------
    city : City
        The loaded city.
    coverage, plan : FiberCoverage, FiberPlan
        The fibre analysis and build plan (its ``steiner_instance`` is re-routed with the sites).
    corridors : CorridorResult
        The drone corridors (re-routed coverage-aware when ``drones`` is given).
    radio : RadioCoverage, optional
        The radio model on the existing sites with these corridors (computed if None).
    config : JointConfig or dict, optional
        The ``joint:`` section (defaults and sources in ``planner.config.joint.SOURCES``).
    drones : DroneConfig, optional
        The corridors' config: needed to re-route them coverage-aware (skipped if None);
        the re-routing reuses the corridors' own inputs (``corridors.inputs``, config included).
    radio_config : RadioConfig, optional
        Used when ``radio`` is None.
    work_dir : path, optional
        Folder for the chosen sites' site file (default: a temporary folder).

    Returns
    -------
    JointPlan

    """
    jcfg, timings, cpu = joint_config(config), {}, {}
    if plan.steiner_instance is None or coverage.network is None:
        raise AnalysisError("joint plan: the fibre plan has no routing instance to add sites to")
    band = (drones.band.min_m, drones.band.max_m) if drones is not None else (60.0, 120.0)
    with _timed(timings, cpu, "radio_before", 3):
        if radio is None:
            radio = analyze_radio(city, radio_config, corridors=corridors.corridors, band=band)
    with _timed(timings, cpu, "candidates", 3):
        costed = costed_candidates(city, coverage, plan, radio, corridors, jcfg)
        demands = site_demands(city, radio, corridors.corridors, jcfg)
    with _timed(timings, cpu, "coverage_matrix", 3):
        model = cover_model_of(city, radio, costed, demands)
    with _timed(timings, cpu, "set_cover", 3):
        inst = cover_instance(model, costed.total_cost)
        greedy = improve(inst, lazy_greedy(inst))
        program = cover_program(inst, greedy.chosen, jcfg.milp_time_limit_s, jcfg.milp_replace_pct)
    run = _Downstream(city, plan, radio, costed, model, inst, corridors, drones, jcfg, band)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="planner-milp") as pool:
        # the certificate's MILP (one core, GIL released) runs beside the steps after the
        # selection, taken on the greedy + local search picks; they are redone if the MILP
        # finds a cover cheaper by milp_replace_pct
        pending = pool.submit(_thread_timed, timings, cpu, "certificate", solve_program, program)
        after = run.steps(greedy, timings, cpu, work_dir, stop=program.beaten)
        cert = pending.result()
    sel = better_of(inst, greedy, cert, jcfg.milp_replace_pct)
    if sel is not greedy or after is None:
        after = run.steps(sel, timings, cpu, work_dir)
    return _assemble(
        _Steps(jcfg, radio, costed, model, cert, *after), city, plan, corridors, timings, cpu
    )


def _thread_timed(timings: dict, cpu: dict, name: str, fn: Callable, *args):
    """Run ``fn(*args)`` in this thread; record its wall and this thread's CPU seconds."""
    t0, c0 = time.perf_counter(), time.thread_time()
    out = fn(*args)
    timings[name] = round(time.perf_counter() - t0, 3)
    cpu[name] = round(time.thread_time() - c0, 3)
    return out


@dataclass
class _Downstream:
    """The joint plan's steps after the site selection, from any selection."""

    city: City
    plan: FiberPlan
    radio: RadioCoverage
    costed: Costed
    model: CoverModel
    inst: CoverInstance
    corridors: CorridorResult
    drones: DroneConfig | None
    jcfg: JointConfig
    band: tuple[float, float]

    def steps(
        self, chosen: Selection, timings: dict, cpu: dict, work_dir, stop: Event | None = None
    ) -> tuple | None:
        """SINR repair, backhaul, the radio check, the re-route and the roll-out.

        Returns None, between two steps, once ``stop`` is set (the picks were superseded).
        """
        radio, corridors = self.radio, self.corridors
        with _timed(timings, cpu, "sinr_repair", 3):
            sel = select_sites(radio.config, self.model, self.inst, chosen)
        with _timed(timings, cpu, "backhaul", 3):
            routing = _route_backhaul(self.plan, self.costed, sel)
        if stop is not None and stop.is_set():
            return None
        with _timed(timings, cpu, "radio_after", 3), tempfile.TemporaryDirectory() as tmp:
            work = Path(work_dir) if work_dir is not None else Path(tmp)
            work.mkdir(parents=True, exist_ok=True)
            args = (self.city, radio, self.costed, sel.chosen, corridors.corridors, self.band)
            after = _radio_after(*args, work)
        if stop is not None and stop.is_set():
            return None
        with _timed(timings, cpu, "reroute", 3):
            rerouted = _reroute(self.city, self.drones, after, self.jcfg, corridors)
        with _timed(timings, cpu, "rollout", 3):
            ro = _rollout(self.plan, radio, self.model, sel, self.costed, self.jcfg)
        return sel, routing, after, rerouted, ro


def _reroute(city, drones, after: RadioCoverage, jcfg: JointConfig, corridors) -> Rerouted | None:
    """Re-route the corridors coverage-aware, unless there is nothing to gain.

    Skipped without the drone config, without corridors, or when the corridors are already
    fully covered after the plan (no route can cover more).
    """
    pct = model_pct(after)
    if drones is None or len(corridors.corridors) == 0 or pct >= 100.0:
        return None
    return reroute_corridors(city, after, jcfg, corridors, pct)


def rerouted_better(rerouted: Rerouted, after: RadioCoverage) -> bool:
    """Keep the re-routed corridors only when their coverage is at least the original's."""
    new = rerouted.network.get("covered_pct")
    return new is not None and new >= model_pct(after) - 1e-9


def model_pct(radio: RadioCoverage) -> float:
    """Route-network coverage (pct) the radio model reports (0 when none)."""
    v = radio.summary.get("route_network", {}).get("covered_pct", {}).get("value")
    return float(v) if v is not None else 0.0
