#!/usr/bin/env python3
"""Print the median and mean of every criterion benchmark of this crate from target/criterion.

Usage (after `cargo bench -p kdp-migrate-benches`): python3 benches/medians.py [target-dir]
"""
import glob
import json
import os
import sys

target = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "target")
GROUPS = ("decision (1,000 APIs)", "build", "response rewrite")


def human(ns: float) -> str:
    for unit, scale in (("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.2f} {unit}"
    return f"{ns:.0f} ns"


for path in sorted(glob.glob(os.path.join(target, "criterion", "*", "*", "new", "estimates.json"))):
    with open(path.replace("estimates.json", "benchmark.json")) as f:
        bench = json.load(f)
    if bench["group_id"] not in GROUPS:
        continue
    with open(path) as f:
        estimates = json.load(f)
    median = estimates["median"]
    print(
        f"| {bench['group_id']} / {bench['function_id']} | {human(median['point_estimate'])} "
        f"| {human(median['confidence_interval']['lower_bound'])} – {human(median['confidence_interval']['upper_bound'])} "
        f"| {human(estimates['mean']['point_estimate'])} |"
    )
