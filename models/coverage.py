"""Bestand against Bedarf: places a region's residents can reach, per place they need.

Demand per region is the count of its age group (from the projection, for every projected year) times a norm
(Kita places per child aged 1–5 at a target share, care places per resident aged 80+ …). Supply is the
capacity of the facilities of the norm's type open in that year.

Reachability is the two-step floating catchment area method (2SFCA; Luo & Wang 2003, with the distance decay of
Dai 2010's enhanced variant when ``decay`` is 'gauss'):

1. each facility's places per demand within ``distance_km`` of it (demand weighted by the decay):
   R_j = S_j / Σ_k w(d_kj) · D_k;
2. each region's accessible places per place needed, summed over the facilities within reach:
   A_i = Σ_j w(d_ij) · R_j.

A_i = 1 means the region's need is met by what it can reach; A_i · D_i are its accessible places, and the gap is
what is missing, D_i − A_i · D_i (never below 0). Every place of a facility that some demand can reach is
counted once across the regions (Σ_i A_i · D_i = Σ_j S_j). Distances are straight lines between the regions'
population centres (the centroid of their polygon) and the facilities (their coordinates, else their region's
centre). Without any coordinates, only a region's own facilities count for it (distance 0 inside, none across).
"""

from __future__ import annotations

import numpy as np

EARTH_KM = 6371.0088


def distances_km(lat_a: np.ndarray, lon_a: np.ndarray, lat_b: np.ndarray, lon_b: np.ndarray) -> np.ndarray:
    """Great-circle distances (haversine) between every point of a and every point of b, in km."""
    la, lb = np.radians(lat_a)[:, None], np.radians(lat_b)[None, :]
    dlat = lb - la
    dlon = np.radians(lon_b)[None, :] - np.radians(lon_a)[:, None]
    h = np.sin(dlat / 2) ** 2 + np.cos(la) * np.cos(lb) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def decay_weights(d: np.ndarray, distance_km: float, decay: str = "none") -> np.ndarray:
    """Weight of a distance: 1 within the catchment and 0 beyond ('none'); or a Gaussian falling from 1 at
    distance 0 to 0 at the catchment's edge ('gauss')."""
    inside = d <= distance_km
    if decay == "none":
        return inside.astype(float)
    if decay != "gauss":
        raise ValueError(f"decay must be 'none' or 'gauss'; got {decay!r}")
    edge = np.exp(-0.5)
    w = (np.exp(-0.5 * (d / distance_km) ** 2) - edge) / (1 - edge)
    return np.where(inside, w, 0.0)


def two_step(demand: np.ndarray, capacity: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 2SFCA on a weight matrix (regions × facilities): places per demand of each facility (R_j; NaN where no
    demand reaches it) and accessible places per place needed of each region (A_i; NaN where the region has no
    demand)."""
    demand = np.nan_to_num(np.asarray(demand, float))
    reach = weights.T @ demand                                   # demand within reach of each facility
    ratio = np.divide(capacity, reach, out=np.full(len(capacity), np.nan), where=reach > 0)
    access = weights @ np.nan_to_num(ratio)
    access = np.where(demand > 0, access, np.nan)
    return ratio, access


def in_region(capacity: np.ndarray, facility_region: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """Capacity of the facilities inside each region (the plain count, without reachability)."""
    out = np.zeros(len(regions))
    pos = {r: i for i, r in enumerate(regions)}
    for cap, r in zip(capacity, facility_region):
        if r in pos:
            out[pos[r]] += cap
    return out
