"""Decodes an NMEA file with pyais and prints one JSON object per message, in truce-ais's field names
and units, for the differential test (crates/truce-ais/tests/it.rs).

    python tests/decoders/pyais_dump.py FILE

Each output object has "line" (1-based line number of the message's last sentence) so the test can
match messages one to one. Lines pyais refuses print {"line": N, "error": "..."}. Not-available values
(lon 181, lat 91, speed 102.3, course 360, heading 511, ...) are left out, as truce-ais does.
"""

import json
import sys

from pyais import NMEAMessage
from pyais.exceptions import InvalidNMEAMessageException, MissingMultipartMessageException
from pyais.constants import TurnRate

NA = {"lon": 181.0, "lat": 91.0, "speed": 102.3, "course": 360.0, "heading": 511}


def fields(msg, decoded):
    d = decoded.asdict()
    t = d["msg_type"]
    out = {"msg_type": t, "repeat": d.get("repeat"), "mmsi": int(d["mmsi"])}
    tb = msg.tag_block
    if tb is not None:
        tb.init()
        if tb.receiver_timestamp:
            out["c"] = int(tb.receiver_timestamp)
        if tb.source_station:
            out["station"] = tb.source_station

    def put(name, value):
        if value is None:
            return
        out[name] = value

    for k in ("lon", "lat", "speed", "course", "heading"):
        if k in d and d[k] is not None:
            v = d[k]
            if t == 27:
                # pyais gives type 27 in the same units: degrees (1/10 min), knots, degrees.
                if (k == "lon" and v == 181.0) or (k == "lat" and v == 91.0) or (k == "speed" and v == 63) or (k == "course" and v == 511):
                    continue
            elif k in NA and v == NA[k]:
                continue
            if k == "lon" and abs(v) > 180 or k == "lat" and abs(v) > 90:
                continue
            if k == "course" and v > 360:
                continue
            if k == "heading" and v > 359:
                continue
            if k == "speed" and v > 102.2:
                continue
            put(k, v)
    for k in ("status", "accuracy", "raim", "maneuver", "second", "epfd", "ais_version", "dte", "cs", "display",
              "dsc", "band", "msg22", "assigned", "aid_type", "off_position", "virtual_aid", "partno",
              "model", "serial", "gnss", "mothership_mmsi"):
        if k in d and d[k] is not None:
            v = d[k]
            out[k] = int(v) if not isinstance(v, bool) else v
    if t in (1, 2, 3) and d.get("turn") is not None and not isinstance(d["turn"], TurnRate):
        out["turn"] = float(d["turn"])
    for k in ("shipname", "callsign", "destination", "vendorid"):
        if k in d and d[k]:
            out[k] = d[k]
    if "name" in d:
        name = (d.get("name") or "") + (d.get("name_ext") or "")
        if name:
            out["name"] = name
    for k in ("ship_type", "imo", "to_bow", "to_stern", "to_port", "to_starboard"):
        if k in d and d[k]:
            out[k] = int(d[k])
    if "draught" in d and d["draught"]:
        out["draught"] = d["draught"]
    # Not available: second 60-63, year/month/day 0, hour 24, minute 60 (left out, as truce-ais does).
    if out.get("second", 0) >= 60:
        del out["second"]
    valid = {"year": lambda v: v != 0, "month": lambda v: 1 <= v <= 12, "day": lambda v: v != 0,
             "hour": lambda v: v < 24, "minute": lambda v: v < 60}
    if t == 4:
        for k in ("year", "month", "day", "hour", "minute"):
            if valid[k](d[k]):
                out[k] = d[k]
    if t == 5:
        for k in ("month", "day", "hour", "minute"):
            if valid[k](d[k]):
                out["eta_" + k] = d[k]
    return out


def main():
    path = sys.argv[1]
    pending = {}
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith(b"#"):
                continue
            try:
                msg = NMEAMessage(line)
            except Exception as e:  # pyais raises several types for malformed lines
                print(json.dumps({"line": n, "error": f"{type(e).__name__}: {e}"}))
                continue
            if msg.frag_cnt > 1:  # pyais's is_multi is also true for 1-of-1 with a sequence id
                key = (msg.seq_id, msg.channel)
                if msg.frag_num == 1:
                    pending[key] = [msg]
                    continue
                parts = pending.get(key)
                if not parts or parts[-1].frag_num != msg.frag_num - 1:
                    pending.pop(key, None)
                    print(json.dumps({"line": n, "error": "fragment without its predecessor"}))
                    continue
                parts.append(msg)
                if msg.frag_num < msg.frag_cnt:
                    continue
                del pending[key]
                try:
                    msg = NMEAMessage.assemble_from_iterable(parts)
                except (InvalidNMEAMessageException, MissingMultipartMessageException) as e:
                    print(json.dumps({"line": n, "error": f"{type(e).__name__}: {e}"}))
                    continue
                tag_from = parts[0]
            else:
                tag_from = msg
            try:
                decoded = msg.decode()
                obj = fields(tag_from, decoded)
            except Exception as e:
                print(json.dumps({"line": n, "error": f"{type(e).__name__}: {e}"}))
                continue
            obj["line"] = n
            print(json.dumps(obj))


if __name__ == "__main__":
    main()
