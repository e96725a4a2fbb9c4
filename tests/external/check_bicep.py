#!/usr/bin/env python3
"""Parse tagwall's Bicep output with pycep-parser (PyPI), an independent
Bicep parser, and check that it holds the NSG rules the ARM template holds.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install pycep-parser
    /tmp/venv/bin/python tests/external/check_bicep.py tests/golden/azure-nsg/*/nsg-rules.bicep

Optional: not part of CI (it needs a package from PyPI).
"""
import json
import sys
from pathlib import Path

from pycep import BicepParser


def main(paths):
    parser = BicepParser()
    for bicep in map(Path, paths):
        tree = parser.parse(file_path=bicep)
        rules = {
            name: r["config"]["properties"]
            for name, r in tree["resources"].items()
            if r["type"].endswith("/securityRules")
        }
        arm = json.loads(bicep.with_name("nsg-rules.arm.json").read_text())
        priorities = sorted(r["properties"]["priority"] for r in arm["resources"])
        parsed = sorted(int(p["priority"]) for p in rules.values())
        assert parsed == priorities, f"{bicep}: priorities {parsed} != ARM {priorities}"
        print(f"{bicep}: {len(rules)} security rules, as in the ARM template")


if __name__ == "__main__":
    main(sys.argv[1:])
