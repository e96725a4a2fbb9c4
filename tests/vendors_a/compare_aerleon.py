#!/usr/bin/env python3
"""Compare tagwall's panos, junos and cisco-asa output with aerleon's on one rule.

Not part of the test suite (aerleon is a large Python package): run by hand
after `pip install aerleon` (aclgen on PATH) and `cargo build`:

    python3 tests/vendors_a/compare_aerleon.py [TAGWALL] [RULE]

It builds the default policy on the fixture with tagwall, writes the same rule
(its aggregated prefixes, TCP 443 outbound) as an aerleon policy, runs aclgen
for srx, paloalto and ciscoasa, and checks that each holds exactly the
prefixes tagwall's configuration holds. See docs/targets/comparison.md.
"""
import ipaddress
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def nets(strings):
    return {ipaddress.ip_network(s) for s in strings}


def main():
    tagwall = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/debug/tagwall")
    rule = sys.argv[2] if len(sys.argv) > 2 else "AllowAADOutboundAccess"
    fixture = os.path.join(ROOT, "tests/fixtures/public_20250811.json")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "tw")
        subprocess.run([tagwall, "build", "--quiet", "--input", fixture, "--out", out,
                        "--target", "plain", "--target", "panos", "--target", "junos",
                        "--target", "cisco-asa"], check=True)
        v4 = open(f"{out}/plain/{rule}.ipv4.txt").read().split()
        v6 = open(f"{out}/plain/{rule}.ipv6.txt").read().split()
        want = nets(v4 + v6)
        # tagwall: the rule's groups, read back from its own files.
        panos = open(f"{out}/panos/panos.set").read()
        objects = dict(re.findall(r"^set address (\S+) ip-netmask (\S+)$", panos, re.M))
        tw_panos = nets(objects[m] for m in re.findall(rf"^set address-group {rule}-v[46]-\d+ static (\S+)$", panos, re.M))
        junos = open(f"{out}/junos/junos-security.set").read()
        book = dict(re.findall(r"^set security address-book global address (\S+) (\S+)$", junos, re.M))
        tw_junos = nets(book[m] for m in re.findall(rf"^set security address-book global address-set {rule}-v[46]-\d+ address (\S+)$", junos, re.M))
        asa = open(f"{out}/cisco-asa/asa.cfg").read()
        block = asa.split(f"object-group network {rule}-v4\n")[1].split("object-group")[0]
        tw_asa = {ipaddress.ip_network(f"{a}/{m}") for a, m in re.findall(r"network-object (\S+) (\S+)", block)}

        # aerleon: the same rule.
        aer = os.path.join(tmp, "aer")
        os.makedirs(f"{aer}/def")
        os.makedirs(f"{aer}/pol/pol")
        with open(f"{aer}/def/networks.yaml", "w") as f:
            f.write("networks:\n  RULE:\n    values:\n")
            f.writelines(f"      - address: {p}\n" for p in v4 + v6)
        with open(f"{aer}/def/services.yaml", "w") as f:
            f.write("services:\n  HTTPS:\n    - port: 443\n      protocol: tcp\n")
        with open(f"{aer}/pol/pol/rule.pol.yaml", "w") as f:
            f.write("filters:\n- header:\n    targets:\n"
                    "      srx: from-zone trust to-zone untrust\n"
                    "      paloalto: from-zone trust to-zone untrust mixed\n"
                    "      ciscoasa: tagwall-outbound\n"
                    f"  terms:\n  - name: {rule}\n    destination-address: RULE\n"
                    "    destination-port: HTTPS\n    protocol: tcp\n    action: accept\n")
        subprocess.run(["aclgen", "--base_directory", f"{aer}/pol", "--definitions_directory",
                        f"{aer}/def", "--output_directory", f"{aer}/out"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        srx = open(f"{aer}/out/rule.pol.srx").read()
        aer_srx = nets(re.findall(r"address \S+ ([0-9a-f.:]+/\d+);", srx))
        x = ET.parse(f"{aer}/out/rule.pol.xml")
        addrs = {e.get("name"): e.find("ip-netmask").text for e in x.iter("entry") if e.find("ip-netmask") is not None}
        aer_pa = nets(addrs[m.text] for e in x.iter("entry") if e.find("static") is not None for m in e.find("static"))
        text = open(f"{aer}/out/rule.pol.asa").read()
        aer_asa = {ipaddress.ip_network(f"{a}/{m}") for a, m in re.findall(r" (\d+\.\d+\.\d+\.\d+) (255\.\d+\.\d+\.\d+) ", text)}
        aer_asa |= {ipaddress.ip_network(f"{h}/32") for h in re.findall(r"host (\d+\.\d+\.\d+\.\d+)", text)}

    want4 = {n for n in want if n.version == 4}
    checks = [
        ("junos / aerleon srx", tw_junos, aer_srx, want),
        ("panos / aerleon paloalto", tw_panos, aer_pa, want),
        # aerleon's ciscoasa filter is IPv4 only.
        ("cisco-asa IPv4 / aerleon ciscoasa", tw_asa, aer_asa, want4),
    ]
    ok = True
    for name, ours, theirs, expected in checks:
        same = ours == theirs == expected
        ok &= same
        print(f"{name}: tagwall {len(ours)}, aerleon {len(theirs)}, expected {len(expected)}: "
              f"{'same' if same else 'DIFFERENT'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
