"""Writes N observations spread over a year of a mission as truce CSV, in time order: the 365 days before
END (a date, UTC midnight; the DAYS days before it when given, e.g. 36.5: the same rate over fewer
days), uniform in lon 29.5-40.5, lat 45-51.5, categories and weapon classes as the ingest benchmark's,
fixed seed 13 (every run writes the same file). Input of `scripts/bench-year`.

usage: python3 scripts/bench.d/year.py N OUT.csv END [DAYS]
"""
import datetime
import random
import sys

n, out, end = int(sys.argv[1]), sys.argv[2], sys.argv[3]
days = float(sys.argv[4]) if len(sys.argv) > 4 else 365
random.seed(13)
cats = ["explosion_impact", "explosion_outgoing", "explosion_airburst", "explosion_undetermined", "bursts_and_shots",
        "muzzle_flash", "illumination_flare", "projectile_in_flight", "weapon_sighting"]
classes = ["tanks", "artillery_100mm", "mlrs", "heavy_mlrs"]
teams = ["MT-Kharkiv-1", "MT-Donetsk-2", "MT-Zaporizhzhia-3", "MT-Kherson-4"]
year_s = days * 86_400
start = datetime.datetime.fromisoformat(end).replace(tzinfo=datetime.timezone.utc) - datetime.timedelta(seconds=year_s)
step = year_s / n
with open(out, "w") as f:
    f.write("id,time,lat,lon,category,weapon_class,count,observer_means,observer_team\n")
    for i in range(n):
        # Even spacing plus jitter inside the step keeps the file in time order without sorting 10 M rows.
        t = start + datetime.timedelta(seconds=int(i * step + random.random() * step))
        c = random.choice(cats)
        w = random.choice(classes) if c == "weapon_sighting" else ""
        f.write(f"y{i:08d},{t:%Y-%m-%dT%H:%M:%SZ},{random.uniform(45.0, 51.5):.6f},{random.uniform(29.5, 40.5):.6f},"
                f"{c},{w},{random.randint(1, 9)},patrol,{random.choice(teams)}\n")
