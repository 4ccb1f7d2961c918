"""Writes N random observations as truce CSV (the ingest benchmarks' input): uniform in lon 29.5-40.5,
lat 45-51.5, times in 2026-11-10..28, sorted by time, fixed seed 11 (every run writes the same file).

usage: python3 scripts/bench.d/observations.py N OUT.csv
"""
import random
import sys

n, out = int(sys.argv[1]), sys.argv[2]
random.seed(11)
cats = ["explosion_impact", "explosion_outgoing", "explosion_airburst", "explosion_undetermined", "bursts_and_shots",
        "muzzle_flash", "illumination_flare", "projectile_in_flight", "weapon_sighting"]
classes = ["tanks", "artillery_100mm", "mlrs", "heavy_mlrs"]
teams = ["MT-Kharkiv-1", "MT-Donetsk-2", "MT-Zaporizhzhia-3", "MT-Kherson-4"]
rows = []
for i in range(1, n + 1):
    c = random.choice(cats)
    w = random.choice(classes) if c == "weapon_sighting" else ""
    t = f"2026-11-{random.randint(10, 28):02d}T{random.randint(0, 23):02d}:{random.randint(0, 59):02d}:00Z"
    rows.append((t, f"i{i:07d},{t},{random.uniform(45.0, 51.5):.6f},{random.uniform(29.5, 40.5):.6f},{c},{w},{random.randint(1, 9)},patrol,{random.choice(teams)}\n"))
rows.sort()
with open(out, "w") as f:
    f.write("id,time,lat,lon,category,weapon_class,count,observer_means,observer_team\n")
    f.writelines(r for _, r in rows)
