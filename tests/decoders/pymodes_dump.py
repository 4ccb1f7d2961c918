#!/usr/bin/env python3
"""Decode a raw-frames file (`*HEX;` per line) with pyModeS 3.x, one JSON object per line.

The reference side of truce-adsb's differential test (crates/truce-adsb/tests/it.rs).
Field names and units are truce's: icao (lower-case hex), df, tc, callsign, altitude (ft,
barometric), gnss_altitude (ft, type codes 20-22), groundspeed (kt), track (deg),
airspeed (kt), heading (deg), vertical_rate (ft/min), squawk, lat, lon, and for DF17/18 the
fields of EXTRA below (category code, target state, operational status, emergency code...). Each object has
`line` (1-based). Frames pyModeS rejects get {"line": n, "error": "..."}.

Positions: pyModeS.decode() decodes one message without context, so the CPR pairing is
done here exactly as truce documents its rule for input without timestamps: per address,
keep the latest even and odd fields; when the other parity is present (same airborne /
surface kind) decode the pair globally (the newer message's zone); surface pairs need a
reference, the aircraft's last position; when global decoding is impossible, decode
locally against the aircraft's last position. The CPR arithmetic itself is pyModeS's
(pyModeS.position._cpr).
"""
import json
import sys

import pyModeS as pms
from pyModeS.position import _cpr


# pyModeS key -> truce field, for the status, target state and operational status messages.
EXTRA = {
    "category": "category",
    "selected_altitude": "selected_altitude",
    "selected_altitude_source": "selected_altitude_source",
    "baro_pressure_setting": "baro_setting",
    "selected_heading": "selected_heading",
    "nac_p": "nacp",
    "nac_v": "nacv",
    "sil": "sil",
    "nic_baro": "nic_baro",
    "version": "version",
    "nic_supplement_a": "nic_a",
    "emergency_state": "emergency",
    "geo_minus_baro": "gnss_baro_diff",
    "vr_source": "vertical_rate_source",
    "airspeed_type": "airspeed_type",
}


def main(path):
    state = {}  # icao -> {"even": (lat, lon, surface), "odd": ..., "last": (lat, lon)}
    out = sys.stdout
    with open(path, encoding="ascii") as f:
        for n, line in enumerate(f, 1):
            text = line.strip()
            if not (text.startswith("*") and text.endswith(";")):
                out.write(json.dumps({"line": n, "error": "not a raw frame"}) + "\n")
                continue
            hexstr = text[1:-1]
            try:
                d = pms.decode(hexstr)
            except Exception as e:  # noqa: BLE001 - any rejection is reported as such
                out.write(json.dumps({"line": n, "error": str(e)}) + "\n")
                continue
            r = {"line": n, "df": d.get("df")}
            if d.get("icao"):
                r["icao"] = d["icao"].lower()
            if d.get("crc_valid") is False:
                r["error"] = "crc"
            tc = d.get("typecode")
            if tc is not None:
                r["tc"] = tc
            df = d.get("df")
            # Of Comm-B (DF20/21) truce reads only BDS 2,0 (the callsign).
            if df in (17, 18, 20, 21) and d.get("callsign") and (df < 20 or d.get("bds") == "2,0"):
                r["callsign"] = d["callsign"].strip("_# ")
            if d.get("altitude") is not None:
                key = "gnss_altitude" if tc in (20, 21, 22) else "altitude"
                r[key] = d["altitude"]
            for k in ("groundspeed", "track", "vertical_rate", "squawk", "airspeed", "heading"):
                if df in (20, 21) and k != "squawk":
                    continue  # Comm-B BDS 5,0 / 6,0 (inferred by pyModeS): not decoded by truce
                if d.get(k) is not None:
                    r[k] = d[k]
            if df in (17, 18):
                for theirs, ours in EXTRA.items():
                    v = d.get(theirs)
                    if v is None or (theirs == "category" and not (tc and 1 <= tc <= 4)):
                        continue
                    if isinstance(v, str):
                        v = {"mcp/fcu": "mcp"}.get(v.lower(), v.lower())
                    r[ours] = v
            if "cpr_format" in d and d.get("cpr_lat") is not None and df in (17, 18):
                surface = tc is not None and 5 <= tc <= 8
                odd = d["cpr_format"] == 1
                st = state.setdefault(r["icao"], {})
                st["odd" if odd else "even"] = (d["cpr_lat"], d["cpr_lon"], surface)
                other = st.get("even" if odd else "odd")
                pos = None
                last = st.get("last")
                if other is not None and other[2] == surface:
                    if odd:
                        e, o = other, st["odd"]
                    else:
                        e, o = st["even"], other
                    if surface:
                        if last is not None:
                            pos = _cpr.surface_position_pair(
                                e[0], e[1], o[0], o[1],
                                lat_ref=last[0], lon_ref=last[1], even_is_newer=not odd,
                            )
                    else:
                        pos = _cpr.airborne_position_pair(e[0], e[1], o[0], o[1], even_is_newer=not odd)
                if pos is None and last is not None:
                    f_ = 1 if odd else 0
                    if surface:
                        pos = _cpr.surface_position_with_ref(f_, d["cpr_lat"], d["cpr_lon"], last[0], last[1])
                    else:
                        pos = _cpr.airborne_position_with_ref(f_, d["cpr_lat"], d["cpr_lon"], last[0], last[1])
                if pos is not None:
                    lat, lon = pos
                    if lon > 180:
                        lon -= 360
                    st["last"] = (lat, lon)
                    r["lat"], r["lon"] = lat, lon
            out.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
