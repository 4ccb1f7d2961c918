#!/usr/bin/env python3
"""Helper for scripts/bench-vs-postgis (Python 3.11; standard library, plus geographiclib when present).

Subcommands:

  points     write N deterministic random points as CSV `id,lat,lon` (ids 1..N)
  agreement  read an agreement TOML; write SQL that loads its lines and polygon zones into PostGIS and a
             JSON description of them (ids, geometry, skipped band zones)
  compare    compare truce's NDJSON with the PostGIS result files; write the statistics as JSON and the
             zone mismatches as CSV (the script then measures their distance to the zone edges in PostGIS)
  report     read the timings, the statistics and that edge check; print the Markdown report; exit 1 when a
             disagreement is outside the tolerances

Arbitration. PostGIS's geography ST_Distance finds the nearest part of the line on a sphere and then
measures the spheroidal distance to that part. Far from a wiggly line two parts (often its two ends) can
be nearly equidistant, the sphere picks the wrong one, and the result is too high, by up to ~0.1-0.3 % at
several hundred km. So when geographiclib is importable, every distance disagreement outside the
tolerance is settled against Karney's exact geodesic distance to the line (edges are geodesics, as in
truce): a disagreement where truce is within the tolerance of Karney is reported as a PostGIS error and
does not fail the run. Zone mismatches are settled by an exact (rational) lon/lat point-in-polygon test.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import statistics
import sys
import time
import tomllib
from array import array
from fractions import Fraction
from pathlib import Path

# The box the points are drawn from: around the line of contact.
LON_MIN, LON_MAX = 29.5, 40.5
LAT_MIN, LAT_MAX = 45.0, 51.5

# Tolerances: distance within 0.1 % or 1 m, whichever is larger; zone answers may differ only within 1 m
# of a zone edge.
DIST_REL_TOL = 1e-3
DIST_ABS_TOL_M = 1.0
EDGE_TOL_M = 1.0

LINE_TYPES = {"LineString", "MultiLineString"}
ZONE_TYPES = {"Polygon", "MultiPolygon"}


def die(msg: str) -> None:
    print(f"bench-vs-postgis: {msg}", file=sys.stderr)
    sys.exit(2)


def within_tol(a: float, ref: float) -> bool:
    return abs(a - ref) <= max(DIST_ABS_TOL_M, DIST_REL_TOL * abs(ref))


# --------------------------------------------------------------------------------------------- points


def cmd_points(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    uniform = rng.uniform
    with open(args.out, "w", newline="") as f:
        f.write("id,lat,lon\n")
        buf = []
        for i in range(1, args.n + 1):
            lon = uniform(LON_MIN, LON_MAX)
            lat = uniform(LAT_MIN, LAT_MAX)
            buf.append(f"{i},{lat:.8f},{lon:.8f}\n")
            if len(buf) >= 65536:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))


# ------------------------------------------------------------------------------------------ agreement


def _matches(feat: dict, wanted: str) -> bool:
    props = feat.get("properties") or {}
    return ("id" in feat and str(feat["id"]) == wanted) or ("id" in props and str(props["id"]) == wanted)


def load_geometry(path: Path, feature: str | None, types: set[str], what: str) -> dict:
    """The GeoJSON geometry of `what` from a FeatureCollection, Feature or bare geometry."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        die(f"{what}: cannot read GeoJSON {path}: {e}")
    kind = doc.get("type")
    if kind == "FeatureCollection":
        feats = doc.get("features") or []
    elif kind == "Feature":
        feats = [doc]
    else:
        feats = [{"type": "Feature", "geometry": doc}]
    if feature is not None:
        feats = [f for f in feats if _matches(f, str(feature))]
        if not feats:
            die(f"{what}: no feature with id {feature!r} in {path}")
        if len(feats) > 1:
            die(f"{what}: several features with id {feature!r} in {path}")
    geoms = [f.get("geometry") for f in feats]
    geoms = [g for g in geoms if g and g.get("type") in types]
    if not geoms:
        die(f"{what}: no {'/'.join(sorted(types))} geometry in {path}" + (f" (feature {feature!r})" if feature else ""))
    if len(geoms) == 1:
        return {"type": geoms[0]["type"], "coordinates": geoms[0]["coordinates"]}
    # Several suitable features and none selected: take them all as one multi-geometry.
    single, multi = sorted(types, key=len)
    parts = []
    for g in geoms:
        parts.extend([g["coordinates"]] if g["type"] == single else g["coordinates"])
    print(f"bench-vs-postgis: note: {what}: {len(geoms)} features in {path}, taken together as a {multi}", file=sys.stderr)
    return {"type": multi, "coordinates": parts}


def sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def cmd_agreement(args: argparse.Namespace) -> None:
    toml_path = Path(args.toml)
    try:
        agreement = tomllib.loads(toml_path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        die(f"cannot read agreement {toml_path}: {e}")
    base = toml_path.resolve().parent
    meta: dict = {"agreement": str(toml_path), "lines": [], "zones": [], "skipped_zones": []}
    sql = [
        "CREATE TABLE lines (n int PRIMARY KEY, id text UNIQUE NOT NULL, geog geography NOT NULL);",
        "CREATE TABLE zones (n int PRIMARY KEY, id text UNIQUE NOT NULL, geom geometry NOT NULL);",
    ]
    for n, line in enumerate(agreement.get("lines", []), 1):
        lid = str(line["id"])
        if "geometry" not in line:
            die(f"line {lid!r} has no geometry")
        g = load_geometry(base / line["geometry"], line.get("feature"), LINE_TYPES, f"line {lid!r}")
        parts = [g["coordinates"]] if g["type"] == "LineString" else g["coordinates"]
        meta["lines"].append({"id": lid, "n": n, "vertices": sum(len(p) for p in parts), "parts": parts})
        sql.append(
            f"INSERT INTO lines VALUES ({n}, {sql_str(lid)}, "
            f"ST_SetSRID(ST_GeomFromGeoJSON({sql_str(json.dumps(g))}), 4326)::geography);"
        )
    n = 0
    for zone in agreement.get("zones", []):
        zid = str(zone["id"])
        if "geometry" not in zone:
            meta["skipped_zones"].append(zid)  # a band derived from a line: not a polygon, not compared
            continue
        n += 1
        g = load_geometry(base / zone["geometry"], zone.get("feature"), ZONE_TYPES, f"zone {zid!r}")
        polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        meta["zones"].append(
            {"id": zid, "n": n, "vertices": sum(len(r) for p in polys for r in p), "holes": sum(len(p) - 1 for p in polys), "polygons": polys}
        )
        sql.append(
            f"INSERT INTO zones VALUES ({n}, {sql_str(zid)}, "
            f"ST_SetSRID(ST_GeomFromGeoJSON({sql_str(json.dumps(g))}), 4326));"
        )
    if not meta["lines"] and not meta["zones"]:
        die(f"{toml_path}: no lines and no polygon zones to compare")
    sql += ["CREATE INDEX ON zones USING gist (geom);", "ANALYZE lines;", "ANALYZE zones;"]
    Path(args.out_sql).write_text("\n".join(sql) + "\n")
    Path(args.out_meta).write_text(json.dumps(meta) + "\n")


# ---------------------------------------------------------------------------------------- arbitration


class Karney:
    """Exact geodesic distance from a point to a line whose edges are geodesics (geographiclib)."""

    def __init__(self) -> None:
        from geographiclib.geodesic import Geodesic  # noqa: PLC0415 (optional dependency)

        self.G = Geodesic.WGS84
        self.Geodesic = Geodesic

    def _d(self, lat1: float, lon1: float, lat2: float, lon2: float) -> float:
        return self.G.Inverse(lat1, lon1, lat2, lon2, self.Geodesic.DISTANCE)["s12"]

    def _segment(self, lat: float, lon: float, a: list, b: list) -> float:
        line = self.G.InverseLine(a[1], a[0], b[1], b[0])
        length = line.s13
        mask = self.Geodesic.LATITUDE | self.Geodesic.LONGITUDE

        def f(s: float) -> float:
            p = line.Position(s, mask)
            return self._d(lat, lon, p["lat2"], p["lon2"])

        # Sample, then refine around the best sample by golden-section search.
        k = 16
        xs = [length * i / k for i in range(k + 1)]
        fs = [f(x) for x in xs]
        i = min(range(k + 1), key=fs.__getitem__)
        lo, hi = xs[max(i - 1, 0)], xs[min(i + 1, k)]
        best = fs[i]
        g = (math.sqrt(5) - 1) / 2
        c, d = hi - g * (hi - lo), lo + g * (hi - lo)
        fc, fd = f(c), f(d)
        while hi - lo > 1e-4:
            if fc < fd:
                hi, d, fd = d, c, fc
                c = hi - g * (hi - lo)
                fc = f(c)
            else:
                lo, c, fc = c, d, fd
                d = lo + g * (hi - lo)
                fd = f(d)
        return min(best, fc, fd)

    def distance(self, lat: float, lon: float, parts: list) -> float:
        cands = []
        for part in parts:
            dv = [self._d(lat, lon, v[1], v[0]) for v in part]
            for j in range(len(part) - 1):
                a, b = part[j], part[j + 1]
                half = self._d(a[1], a[0], b[1], b[0]) / 2
                # Every point of the edge is within half its length of an end: a lower bound.
                cands.append((min(dv[j], dv[j + 1]) - half, a, b))
            if len(part) == 1:
                cands.append((dv[0], part[0], part[0]))
        cands.sort(key=lambda t: t[0])
        best = math.inf
        for lb, a, b in cands:
            if lb >= best:
                break
            best = min(best, self._d(lat, lon, a[1], a[0]) if a == b else self._segment(lat, lon, a, b))
        return best


def covers_exact(polys: list, lon: float, lat: float) -> bool:
    """Closed even-odd point-in-polygon test with straight lon/lat edges, in exact rational arithmetic."""
    x, y = Fraction(lon), Fraction(lat)
    inside = False
    for poly in polys:
        for ring in poly:
            pts = [(Fraction(p[0]), Fraction(p[1])) for p in ring]
            for (x1, y1), (x2, y2) in zip(pts, pts[1:]):
                cross = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)
                if cross == 0 and min(x1, x2) <= x <= max(x1, x2) and min(y1, y2) <= y <= max(y1, y2):
                    return True  # on an edge: covered
                if (y1 > y) != (y2 > y):
                    xi = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
                    if x < xi:
                        inside = not inside
    return inside


# -------------------------------------------------------------------------------------------- compare


def read_pg_distances(path: Path, n: int) -> array:
    d = array("d", [math.nan]) * (n + 1)
    with open(path, newline="") as f:
        for row in csv.reader(f):
            d[int(row[0])] = float(row[1])
    return d


def _quantile(xs: list[float], q: float) -> float:
    if not xs:
        return math.nan
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))]


def cmd_compare(args: argparse.Namespace) -> None:
    meta = json.loads(Path(args.meta).read_text())
    n = args.n
    outdir = Path(args.dir)
    line_ids = [l["id"] for l in meta["lines"]]
    zone_ids = [z["id"] for z in meta["zones"]]
    zone_set = set(zone_ids)

    pg = {l["id"]: read_pg_distances(outdir / f"postgis-distance-{l['n']}.csv", n) for l in meta["lines"]}
    pg_zones: dict[int, set[str]] = {}
    zone_by_n = {str(z["n"]): z["id"] for z in meta["zones"]}
    with open(outdir / "postgis-zones.csv", newline="") as f:
        for pid, zn in csv.reader(f):
            pg_zones.setdefault(int(pid), set()).add(zone_by_n[zn])

    tr = {lid: array("d", [math.nan]) * (n + 1) for lid in line_ids}
    problems: list[str] = []  # structural problems in truce's output: always fatal
    zone_mismatch: list[tuple[int, str, str]] = []  # (id, zone, the engine whose answer has it)
    truce_zone_hits = 0
    seen = 0
    bad_order = 0
    with open(args.truce) as f:
        for lineno, text in enumerate(f, 1):
            try:
                rec = json.loads(text)
                pid = int(rec["id"])
            except (ValueError, KeyError, TypeError) as e:
                if len(problems) < 20:
                    problems.append(f"output line {lineno}: cannot read a record ({e}): {text[:200].strip()}")
                continue
            seen += 1
            if pid != lineno:
                bad_order += 1
                if bad_order <= 5:
                    problems.append(f"output line {lineno} has id {pid} (expected one record per input line, in input order)")
            if not 1 <= pid <= n:
                continue
            lines = rec.get("lines") or {}
            for lid in line_ids:
                v = lines.get(lid)
                dist = v.get("distance_m") if isinstance(v, dict) else None
                if isinstance(dist, (int, float)) and not isinstance(dist, bool):
                    tr[lid][pid] = float(dist)
            tz = {z for z in (rec.get("zones") or []) if z in zone_set}
            truce_zone_hits += len(tz)
            pz = pg_zones.get(pid, set())
            if tz != pz:
                zone_mismatch += [(pid, z, "truce") for z in sorted(tz - pz)]
                zone_mismatch += [(pid, z, "postgis") for z in sorted(pz - tz)]
    if seen != n:
        problems.append(f"truce wrote {seen} readable records for {n} input points")
    if bad_order > 5:
        problems.append(f"... {bad_order} records in all out of order")

    per_line = []
    offenders = []  # (rel, abs, id, line, postgis, truce)
    for lid in line_ids:
        p, t = pg[lid], tr[lid]
        absd = array("d")
        reld = array("d")
        signed = 0.0
        missing = bad = 0
        worst = (-1.0, 0)
        for i in range(1, n + 1):
            pv, tv = p[i], t[i]
            if math.isnan(tv) or math.isnan(pv):
                missing += 1
                if missing <= 5:
                    problems.append(f"point {i}, line `{lid}`: no distance (PostGIS {pv}, truce {tv})")
                continue
            a = abs(tv - pv)
            r = a / pv if pv > 0 else (0.0 if a == 0 else math.inf)
            absd.append(a)
            reld.append(r)
            signed += (tv - pv) / pv if pv > 0 else 0.0
            if not within_tol(tv, pv):
                bad += 1
                offenders.append((r, a, i, lid, pv, tv))
            if a > worst[0]:
                worst = (a, i)
        if missing > 5:
            problems.append(f"line `{lid}`: {missing} points without a distance in all")
        per_line.append(
            {
                "id": lid,
                "compared": len(absd),
                "missing": missing,
                "outside_tolerance": bad,
                "max_abs_m": max(absd) if absd else math.nan,
                "median_abs_m": statistics.median(absd) if absd else math.nan,
                "p99_abs_m": _quantile(list(absd), 0.99),
                "max_rel": max(reld) if reld else math.nan,
                "median_rel": statistics.median(reld) if reld else math.nan,
                "mean_signed_rel": signed / len(absd) if absd else math.nan,
                "worst_abs_point": worst[1],
                "worst_abs_postgis_m": p[worst[1]] if worst[1] else math.nan,
                "worst_abs_truce_m": t[worst[1]] if worst[1] else math.nan,
            }
        )
    offenders.sort(reverse=True)

    sample = sorted({1 + (j * n) // args.karney_sample for j in range(args.karney_sample)}) if args.karney_sample > 0 else []
    wanted = {o[2] for o in offenders} | {z[0] for z in zone_mismatch} | {s["worst_abs_point"] for s in per_line}
    wanted |= set(sample)
    points: dict[int, tuple[float, float]] = {}
    with open(args.points, newline="") as f:
        r = csv.reader(f)
        next(r)
        for row in r:
            i = int(row[0])
            if i in wanted:
                points[i] = (float(row[1]), float(row[2]))

    # Settle the distance disagreements against Karney.
    karney = None
    if not args.no_arbiter:
        try:
            karney = Karney()
        except ImportError:
            print("bench-vs-postgis: geographiclib not importable: distance disagreements are not arbitrated", file=sys.stderr)
    parts = {l["id"]: l["parts"] for l in meta["lines"]}
    arbitrated = []
    t0 = time.monotonic()
    todo = offenders[: args.arbitrate_max] if karney is not None else []
    if todo:
        print(f"bench-vs-postgis: settling {len(todo)} distance disagreement(s) against Karney ...", file=sys.stderr)
        for r_, a, i, lid, pv, tv in todo:
            lat, lon = points[i]
            k = karney.distance(lat, lon, parts[lid])
            arbitrated.append(
                {
                    "id": i, "line": lid, "lat": lat, "lon": lon, "postgis_m": pv, "truce_m": tv, "karney_m": k,
                    "abs_m": a, "rel": r_, "truce_ok": within_tol(tv, k), "postgis_ok": within_tol(pv, k),
                }
            )
    arb_secs = time.monotonic() - t0
    unsettled = [
        {"id": i, "line": lid, "lat": points[i][0], "lon": points[i][1], "postgis_m": pv, "truce_m": tv, "abs_m": a, "rel": r_}
        for (r_, a, i, lid, pv, tv) in offenders[len(arbitrated):]
    ]
    # Also measure the worst absolute difference per line against Karney (a cheap, telling sample).
    if karney is not None:
        for s in per_line:
            i = s["worst_abs_point"]
            if i:
                s["worst_abs_karney_m"] = karney.distance(points[i][0], points[i][1], parts[s["id"]])

    # Both engines against Karney on an evenly spread sample of the points.
    sample_stats = []
    if karney is not None and sample:
        print(f"bench-vs-postgis: checking both engines against Karney on {len(sample)} points ...", file=sys.stderr)
        for lid in line_ids:
            errs = {"postgis": [], "truce": []}
            for i in sample:
                pv, tv = pg[lid][i], tr[lid][i]
                if math.isnan(pv) or math.isnan(tv):
                    continue
                k = karney.distance(points[i][0], points[i][1], parts[lid])
                errs["postgis"].append((abs(pv - k), abs(pv - k) / k if k > 0 else 0.0, i, pv, k))
                errs["truce"].append((abs(tv - k), abs(tv - k) / k if k > 0 else 0.0, i, tv, k))
            st = {"id": lid, "points": len(errs["truce"])}
            for eng, e in errs.items():
                if e:
                    st[eng] = {
                        "max_abs_m": max(x[0] for x in e),
                        "median_abs_m": statistics.median(x[0] for x in e),
                        "max_rel": max(x[1] for x in e),
                        "outside_tolerance": sum(1 for x in e if x[0] > max(DIST_ABS_TOL_M, DIST_REL_TOL * x[4])),
                    }
            sample_stats.append(st)

    zones_by_id = {z["id"]: z["polygons"] for z in meta["zones"]}
    with open(outdir / "zone-mismatches.csv", "w", newline="") as f:
        w = csv.writer(f)
        for pid, z, who in zone_mismatch:
            w.writerow([pid, z, who])
    result = {
        "n": n,
        "records": seen,
        "problems": problems,
        "lines": per_line,
        "distance_disagreements": len(offenders),
        "arbiter": "Karney (geographiclib)" if karney is not None else None,
        "arbiter_seconds": arb_secs,
        "karney_sample": sample_stats,
        "arbitrated": arbitrated,
        "unsettled": unsettled[: max(args.show, 0) * 10],
        "unsettled_count": len(unsettled),
        "postgis_zone_hits": sum(len(v) for v in pg_zones.values()),
        "truce_zone_hits": truce_zone_hits,
        "zone_mismatches": [
            {
                "id": pid, "zone": z, "only_in": who, "lat": points[pid][0], "lon": points[pid][1],
                "exact_covered": covers_exact(zones_by_id[z], points[pid][1], points[pid][0]),
            }
            for pid, z, who in zone_mismatch
        ],
    }
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")


# --------------------------------------------------------------------------------------------- report


def fmt_rate(n: int, secs: float | None) -> str:
    if not secs or secs <= 0 or math.isnan(secs):
        return "–"
    r = n / secs
    if r >= 1e6:
        return f"{r / 1e6:.2f} M"
    if r >= 1e3:
        return f"{r / 1e3:.0f} k"
    return f"{r:.0f}"


def fmt_m(x: float) -> str:
    if x is None or math.isnan(x):
        return "–"
    return f"{x:,.3f} m" if x < 10 else f"{x:,.1f} m"


def cmd_report(args: argparse.Namespace) -> None:
    outdir = Path(args.dir)
    env = json.loads(Path(args.env).read_text())
    meta = json.loads(Path(args.meta).read_text())
    timings = json.loads((outdir / "timings.json").read_text())
    n = env["points"]
    cmp_path = outdir / "compare.json"
    cmp = json.loads(cmp_path.read_text()) if cmp_path.exists() else None
    edge: dict[tuple[int, str], float] = {}
    if cmp is not None and (outdir / "zone-mismatches-edge.csv").exists():
        with open(outdir / "zone-mismatches-edge.csv", newline="") as f:
            for pid, z, within, dist in csv.reader(f):
                edge[(int(pid), z)] = (within == "t", float(dist))

    pgt = timings["postgis"]
    pg_line = pgt["lines"]  # {line id: seconds}
    pg_lines_total = sum(pg_line.values())
    pg_zones = pgt.get("zones")
    pg_total = pg_lines_total + (pg_zones or 0.0)
    tr_total = timings.get("truce")
    runs = env["runs"]
    line_ids = [l["id"] for l in meta["lines"]]
    zones = meta["zones"]

    out: list[str] = []
    p = out.append
    p(f"### truce vs PostGIS: {n:,} random points")
    p("")
    p(
        f"Points uniform in lon {LON_MIN}–{LON_MAX}°E, lat {LAT_MIN}–{LAT_MAX}°N (seed {env['seed']}); "
        f"agreement `{env['agreement_rel']}`: {len(line_ids)} line(s), {len(zones)} polygon zone(s)"
        + (f" (band zones not compared: {', '.join(f'`{z}`' for z in meta['skipped_zones'])})" if meta["skipped_zones"] else "")
        + f". Times are the median of {runs} run(s)."
    )
    p("")
    p("| | PostGIS s | PostGIS points/s | truce s | truce points/s | truce speed-up |")
    p("|---|---:|---:|---:|---:|---:|")
    for l in meta["lines"]:
        s = pg_line[l["id"]]
        p(f"| distance to `{l['id']}` ({l['vertices']:,} vertices) | {s:.2f} | {fmt_rate(n, s)} | | | |")
    if len(line_ids) != 1:
        both = "both lines" if len(line_ids) == 2 else f"all {len(line_ids)} lines"
        p(f"| (a) distance to {both} | {pg_lines_total:.2f} | {fmt_rate(n, pg_lines_total)} | | | |")
    if pg_zones is not None:
        nv = sum(z["vertices"] for z in zones)
        p(f"| (b) zones ({len(zones)} polygons, {nv:,} vertices) | {pg_zones:.2f} | {fmt_rate(n, pg_zones)} | | | |")
    if tr_total:
        p(
            f"| **(c) everything** | {pg_total:.2f} | {fmt_rate(n, pg_total)} | {tr_total:.2f} | "
            f"{fmt_rate(n, tr_total)} | **{pg_total / tr_total:.1f}×** |"
        )
    else:
        p(f"| (c) everything | {pg_total:.2f} | {fmt_rate(n, pg_total)} | not run | | |")
    pi = pgt.get("zones_points_index")
    if pi:
        p(
            f"| *for reference:* (b) with a GiST index on the points instead | {pi['query']:.2f} | {fmt_rate(n, pi['query'])} "
            f"| | | (+ {pi['index']:.2f} s to build that index) |"
        )
    p("")
    p(
        "PostGIS: one statement per line (`ST_Distance` on geography, spheroid, line as a constant InitPlan so "
        "parallel workers run) and one for the zones (`JOIN zones ON ST_Covers`, GiST index on the zones), each "
        "streamed by `psql \\copy` to a CSV file; loading the points is not counted; (c) is their sum. "
        "truce: the whole `truce classify` run, CSV in, NDJSON out, all lines, sides and zones in one pass, "
        "so only its total is measured."
    )
    p("")
    p(
        f"Machine: `nproc` = {env['nproc']}, {env['cpu']}; PostgreSQL {env['pg_version']}, PostGIS {env['postgis_version']} "
        f"(GEOS {env['geos_version']}, PROJ {env['proj_version']}), max_parallel_workers_per_gather = {env['pg_workers']}, JIT off; "
        f"truce {env.get('truce_version') or '(not run)'}"
        + (
            f", {timings['truce_cpu']:.2f} CPU-s in {tr_total:.2f} s (≈ {timings['truce_cpu'] / tr_total:.1f} cores busy)"
            if tr_total and timings.get("truce_cpu") is not None
            else ""
        )
        + f". Load average before / after: {env['loadavg_before']} / {env.get('loadavg_after', '?')}"
        + (" (the machine was not idle: these figures are noisy)." if float(env["loadavg_before"].split()[0]) > 0.5 else ".")
    )
    p("")

    failed = False
    if cmp is None:
        p("Agreement: not checked (truce was not run).")
        text = "\n".join(out)
        print(text)
        (outdir / "report.md").write_text(text + "\n")
        return
    p(f"#### Agreement ({cmp['records']:,} points)")
    p("")
    p(
        "Tolerance: distance within 0.1 % or 1 m, whichever is larger; zone answers may differ only within 1 m of "
        "a zone edge. Differences are truce − PostGIS."
    )
    p("")
    p("| line | points | max abs | median abs | 99th pct abs | max rel | median rel | mean signed rel | outside tolerance |")
    p("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in cmp["lines"]:
        p(
            f"| `{s['id']}` | {s['compared']:,} | {fmt_m(s['max_abs_m'])} | {fmt_m(s['median_abs_m'])} | {fmt_m(s['p99_abs_m'])} "
            f"| {100 * s['max_rel']:.4f} % | {100 * s['median_rel']:.5f} % | {100 * s['mean_signed_rel']:+.5f} % | {s['outside_tolerance']:,} |"
        )
        if s["missing"]:
            failed = True
    ks = cmp.get("karney_sample") or []
    if ks:
        p("")
        p(
            f"Both engines against Karney's exact geodesic distance (edges as geodesics) on {ks[0]['points']:,} evenly "
            "spread points:"
        )
        p("")
        p("| line | PostGIS max abs err | PostGIS median abs err | PostGIS max rel err | truce max abs err | truce median abs err | truce max rel err |")
        p("|---|---:|---:|---:|---:|---:|---:|")
        for st in ks:
            pe, te = st.get("postgis"), st.get("truce")
            if pe and te:
                p(
                    f"| `{st['id']}` | {fmt_m(pe['max_abs_m'])} | {fmt_m(pe['median_abs_m'])} | {100 * pe['max_rel']:.4f} % "
                    f"| {fmt_m(te['max_abs_m'])} | {fmt_m(te['median_abs_m'])} | {100 * te['max_rel']:.4f} % |"
                )
    arb = cmp["arbitrated"]
    pg_wrong = [a for a in arb if a["truce_ok"]]
    truce_wrong = [a for a in arb if not a["truce_ok"]]
    unsettled = cmp["unsettled_count"]
    p("")
    if cmp["distance_disagreements"]:
        if cmp["arbiter"]:
            p(
                f"Distance disagreements outside the tolerance: {cmp['distance_disagreements']:,}. Against Karney's exact "
                f"geodesic distance: truce within tolerance in {len(pg_wrong):,} (PostGIS's error: it picks the nearest "
                f"part of the line on a sphere), truce outside in {len(truce_wrong):,}"
                + (f", {unsettled:,} not checked (over `--arbitrate-max`)" if unsettled else "")
                + "."
            )
        else:
            p(f"Distance disagreements outside the tolerance: {cmp['distance_disagreements']:,} (not arbitrated: no geographiclib).")
    else:
        p("Distance disagreements outside the tolerance: none.")
    if truce_wrong or unsettled:
        failed = True
    zm = cmp["zone_mismatches"]
    near = [m for m in zm if edge.get((m["id"], m["zone"]), (False, math.nan))[0]]
    far = [m for m in zm if not edge.get((m["id"], m["zone"]), (False, math.nan))[0]]
    p("")
    p(
        f"Zones: {cmp['postgis_zone_hits']:,} (point, zone) hits in PostGIS, {cmp['truce_zone_hits']:,} in truce; "
        f"{len(zm)} mismatch(es), {len(near)} of them within 1 m of a zone edge (allowed), {len(far)} not."
    )
    if far or cmp["problems"]:
        failed = True
    p("")
    if pg_wrong:
        def pick(cands: list, k: int) -> list:
            seen, res = set(), []
            for a in cands:
                if a["id"] not in seen:
                    seen.add(a["id"])
                    res.append(a)
            return res[:k]

        worst = pick(sorted(pg_wrong, key=lambda a: -a["rel"]), 3)
        close = pick(sorted((a for a in pg_wrong if a["karney_m"] < 50_000), key=lambda a: -a["abs_m"]), 3)
        p("PostGIS distance errors (truce agrees with Karney): the largest, and the largest within 50 km of the line:")
        p("")
        for a in worst + [a for a in close if a not in worst]:
            p(
                f"- point {a['id']} (lat {a['lat']:.8f}, lon {a['lon']:.8f}), `{a['line']}`: PostGIS {a['postgis_m']:,.1f} m, "
                f"truce {a['truce_m']:,.1f} m, Karney {a['karney_m']:,.1f} m "
                f"(PostGIS {a['postgis_m'] - a['karney_m']:+,.1f} m, {100 * (a['postgis_m'] - a['karney_m']) / a['karney_m']:+.3f} %)"
            )
        p("")
    text = "\n".join(out)
    print(text)
    (outdir / "report.md").write_text(text + "\n")

    if near:
        print("Zone mismatches within 1 m of an edge (allowed):")
        for m in near[: args.show]:
            d = edge[(m["id"], m["zone"])][1]
            print(
                f"- point {m['id']} (lat {m['lat']:.8f}, lon {m['lon']:.8f}): `{m['zone']}` only in {m['only_in']}'s answer, "
                f"{d:.3f} m from its edge; exact test says {'covered' if m['exact_covered'] else 'not covered'}"
            )
        print()
    if failed:
        print("#### DISAGREEMENTS OUTSIDE THE TOLERANCES\n")
        for msg in cmp["problems"][: args.show * 2]:
            print(f"- {msg}")
        for a in sorted(truce_wrong, key=lambda a: -abs(a["truce_m"] - a["karney_m"]))[: args.show]:
            print(
                f"- point {a['id']} (lat {a['lat']:.8f}, lon {a['lon']:.8f}), line `{a['line']}`: truce {a['truce_m']:.3f} m, "
                f"PostGIS {a['postgis_m']:.3f} m, Karney {a['karney_m']:.3f} m (truce − Karney {a['truce_m'] - a['karney_m']:+.3f} m)"
            )
        for o in cmp["unsettled"][: args.show]:
            print(
                f"- point {o['id']} (lat {o['lat']:.8f}, lon {o['lon']:.8f}), line `{o['line']}`: truce {o['truce_m']:.3f} m, "
                f"PostGIS {o['postgis_m']:.3f} m ({100 * o['rel']:.4f} %; not arbitrated)"
            )
        for m in far[: args.show]:
            d = edge.get((m["id"], m["zone"]), (False, math.nan))[1]
            print(
                f"- point {m['id']} (lat {m['lat']:.8f}, lon {m['lon']:.8f}): zone `{m['zone']}` only in {m['only_in']}'s answer, "
                f"{d:.3f} m from its edge; exact test says {'covered' if m['exact_covered'] else 'not covered'}"
            )
        print()
        sys.exit(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("points")
    a.add_argument("--n", type=int, required=True)
    a.add_argument("--seed", type=int, required=True)
    a.add_argument("--out", required=True)
    a = sub.add_parser("agreement")
    a.add_argument("--toml", required=True)
    a.add_argument("--out-sql", required=True)
    a.add_argument("--out-meta", required=True)
    a = sub.add_parser("compare")
    a.add_argument("--meta", required=True)
    a.add_argument("--n", type=int, required=True)
    a.add_argument("--dir", required=True)
    a.add_argument("--truce", required=True)
    a.add_argument("--points", required=True)
    a.add_argument("--out", required=True)
    a.add_argument("--show", type=int, default=10)
    a.add_argument("--arbitrate-max", type=int, default=20000)
    a.add_argument("--no-arbiter", action="store_true")
    a.add_argument("--karney-sample", type=int, default=200)
    a = sub.add_parser("report")
    a.add_argument("--dir", required=True)
    a.add_argument("--env", required=True)
    a.add_argument("--meta", required=True)
    a.add_argument("--show", type=int, default=10)
    args = ap.parse_args()
    {"points": cmd_points, "agreement": cmd_agreement, "compare": cmd_compare, "report": cmd_report}[args.cmd](args)


if __name__ == "__main__":
    main()
