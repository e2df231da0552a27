"""Where municipalities are, so routing can tell a near institution from a far one.

Clients are registered with a municipality code, not an address (personal data stays coarse),
so distance is measured between the centroid of the client's municipality and an institution's
location (its coordinates, or its municipality's centroid). The table covers the municipalities
of the centres the programme runs; a tenant adds more by giving its locations coordinates.
"""

from __future__ import annotations

from math import asin, cos, radians, sin, sqrt

# (latitude, longitude) of the main town of each municipality, to about a kilometre.
MUNICIPALITY_CENTROIDS: dict[str, tuple[float, float]] = {
    "AL-11": (41.3275, 19.8187), "AL-02": (41.3246, 19.4565), "AL-10": (42.0683, 19.5126),
    "AL-12": (40.4660, 19.4914), "AL-06": (40.6186, 20.7808), "AL-03": (41.1125, 20.0822),
    "BA-09": (43.8563, 18.4131), "BA-02": (44.7722, 17.1910), "BA-07": (43.3438, 17.8078),
    "BA-10": (44.5384, 18.6763), "BA-01": (44.8169, 15.8708), "BA-11": (44.2034, 17.9077),
    "HR-21": (45.8150, 15.9819), "HR-17": (43.5081, 16.4402), "HR-08": (45.3271, 14.4422),
    "HR-14": (45.5550, 18.6955), "HR-13": (44.1194, 15.2314), "HR-18": (44.8666, 13.8496),
    "XK-01": (42.6629, 21.1655), "XK-04": (42.2139, 20.7397), "XK-06": (42.6593, 20.2887),
    "XK-02": (42.4635, 21.4694), "XK-05": (42.8914, 20.8660), "XK-07": (42.3702, 21.1483),
    "MK-85": (41.9981, 21.4254), "MK-04": (41.0311, 21.3347), "MK-76": (42.0106, 20.9715),
    "MK-47": (42.1322, 21.7144), "MK-58": (41.1172, 20.8016), "MK-83": (41.7458, 22.1958),
    "ME-16": (42.4304, 19.2594), "ME-12": (42.7731, 18.9445), "ME-02": (42.0931, 19.1003),
    "ME-04": (43.0383, 19.7476), "ME-03": (42.8442, 19.8733),
    "RS-00": (44.7866, 20.4489), "RS-06": (45.2671, 19.8335), "RS-20": (43.3209, 21.8958),
    "RS-12": (44.0128, 20.9114), "RS-01": (46.1000, 19.6658), "RS-18": (43.7258, 20.6894),
}

EARTH_RADIUS_KM = 6371.0


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(radians, (*a, *b))
    h = sin((lat2 - lat1) / 2) ** 2 + cos(lat1) * cos(lat2) * sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(sqrt(h))


def point_of(municipality_code: str, latitude: float | None = None,
             longitude: float | None = None) -> tuple[float, float] | None:
    """A place's coordinates if it has them, else its municipality's centroid, else None."""
    if latitude is not None and longitude is not None:
        return (latitude, longitude)
    return MUNICIPALITY_CENTROIDS.get(municipality_code)
