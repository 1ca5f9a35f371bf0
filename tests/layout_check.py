#!/usr/bin/env python3
"""Checks that the source layout is the architecture (README, "How a notification becomes
bytes on a socket"): every header and source of the daemon lives in one of the layer folders
below (the wiring, server and main, at the top), and includes only headers of its own folder
or of a folder before it in LAYERS: never one of a layer above it."""
import os
import re
import sys

root = sys.argv[1]

# Lowest first. A folder may include itself and anything before it.
LAYERS = ["base", "event", "rights", "config", "ops", "redis", "http", "auth", "log", "stream",
          "notify", ""]  # "" = the top: server, main
INCLUDE = re.compile(r'#include "sse_server/(?:(\w+)/)?\w+\.hpp"')

failures = []


def layer_of(relative):
    """The folder of a file under include/sse_server/ or src/ ("" at the top)."""
    parts = relative.split(os.sep)
    return parts[0] if len(parts) > 1 else ""


seen = 0
for base in ("include/sse_server", "src"):
    top = os.path.join(root, base)
    for folder, _, files in os.walk(top):
        for name in files:
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, top)
            mine = layer_of(relative)
            if mine not in LAYERS:
                failures.append(f"{base}/{relative}: in no layer folder ({', '.join(LAYERS[:-1])})")
                continue
            seen += 1
            with open(path) as f:
                for number, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    theirs = m.group(1) or ""
                    if theirs not in LAYERS:
                        failures.append(f"{base}/{relative}:{number}: includes an unknown folder {theirs}")
                    elif LAYERS.index(theirs) > LAYERS.index(mine):
                        failures.append(f"{base}/{relative}:{number}: {mine or 'top'} includes "
                                        f"{theirs or 'top'}, a layer above it: {line.strip()}")

if seen < 50:
    failures.append(f"only {seen} files found: is {root} the source tree?")
for failure in failures:
    print("FAIL", failure)
sys.exit(1 if failures else 0)
