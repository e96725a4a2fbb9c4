#!/usr/bin/env bash
# Time tagwall against the tools an admin would otherwise pick, in one run, on
# the same inputs and the same machine, check that the outputs agree, and
# print the ratios the performance issue sets as targets.
#
#   bash benches/peers.sh            (needs network access to PyPI for the
#                                     Python peers; apt-get installs iprange
#                                     and hyperfine when run as root)
#
# Peers: firehol iprange --optimize (Debian), Python ipaddress.collapse_addresses,
# aggregate6 and aerleon (PyPI). Work files go to target/peers/.
set -euo pipefail
cd "$(dirname "$0")/.."
work=target/peers
mkdir -p "$work"

if ! command -v iprange >/dev/null || ! command -v hyperfine >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iprange hyperfine >/dev/null
  else
    echo "install iprange and hyperfine first (apt-get install iprange hyperfine)" >&2
    exit 2
  fi
fi
if [ ! -x "$work/venv/bin/aclgen" ]; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install -q aggregate6 aerleon
fi
py="$work/venv/bin/python"

cargo build --release -q --bin tagwall --example synth --example parse_only
tw=target/release/tagwall
"target/release/examples/synth" > "$work/synth.txt"
grep -v : "$work/synth.txt" > "$work/synth4.txt"
zcat data/ServiceTags_Public_20250908.json.gz > "$work/public.json"

ratio() { "$py" -c "import json,sys; r=json.load(open(sys.argv[1]))['results']; print('%.2f' % (r[int(sys.argv[3])]['mean']/r[int(sys.argv[2])]['mean']))" "$@"; }
mean_ms() { "$py" -c "import json,sys; r=json.load(open(sys.argv[1]))['results']; print('%.1f' % (r[int(sys.argv[2])]['mean']*1000))" "$@"; }

echo "== machine: $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d)"

echo "== 1. aggregation: 300,000 IPv4 prefixes, whole process against whole process"
$tw aggregate "$work/synth4.txt" > "$work/agg.tagwall"
iprange --optimize "$work/synth4.txt" | sed -E '/\//!s/$/\/32/' > "$work/agg.iprange"
cmp -s "$work/agg.tagwall" "$work/agg.iprange" || { echo "tagwall and iprange disagree" >&2; exit 1; }
hyperfine -N -w 3 -r 20 --export-json "$work/agg4.json" \
  "$tw aggregate $work/synth4.txt" "iprange --optimize $work/synth4.txt" >/dev/null
echo "tagwall $(mean_ms "$work/agg4.json" 0) ms, iprange $(mean_ms "$work/agg4.json" 1) ms: tagwall is $(ratio "$work/agg4.json" 0 1)x faster (target >= 2x)"

echo "== 2. aggregation: 300,000 IPv4 + 100,000 IPv6, against Python"
cat > "$work/collapse.py" <<'PY'
import ipaddress, sys
nets = [ipaddress.ip_network(l.strip()) for l in open(sys.argv[1]) if l.strip()]
v4 = ipaddress.collapse_addresses(n for n in nets if n.version == 4)
v6 = ipaddress.collapse_addresses(n for n in nets if n.version == 6)
sys.stdout.write("".join(f"{n}\n" for n in list(v4) + list(v6)))
PY
$tw aggregate "$work/synth.txt" > "$work/all.tagwall"
"$py" "$work/collapse.py" "$work/synth.txt" > "$work/all.python"
"$work/venv/bin/aggregate6" "$work/synth.txt" > "$work/all.aggregate6"
cmp -s "$work/all.tagwall" "$work/all.python" || { echo "tagwall and ipaddress.collapse_addresses disagree" >&2; exit 1; }
sort "$work/all.tagwall" > "$work/all.tagwall.sorted"; sort "$work/all.aggregate6" > "$work/all.aggregate6.sorted"
cmp -s "$work/all.tagwall.sorted" "$work/all.aggregate6.sorted" || { echo "tagwall and aggregate6 disagree" >&2; exit 1; }
hyperfine -N -w 1 -r 5 --export-json "$work/agg46.json" \
  "$tw aggregate $work/synth.txt" "$py $work/collapse.py $work/synth.txt" "$work/venv/bin/aggregate6 $work/synth.txt" >/dev/null
echo "tagwall $(mean_ms "$work/agg46.json" 0) ms; collapse_addresses $(ratio "$work/agg46.json" 0 1)x slower; aggregate6 $(ratio "$work/agg46.json" 0 2)x slower"

echo "== 3. build --all-tags --target nftables on the real Public file, against reading + parsing it with serde_json"
rm -rf "$work/out-nft"
hyperfine -N -w 5 -r 30 --export-json "$work/nft.json" \
  "target/release/examples/parse_only $work/public.json" \
  "$tw build -q --all-tags --target nftables --input $work/public.json --out $work/out-nft" >/dev/null
echo "parse only $(mean_ms "$work/nft.json" 0) ms, build $(mean_ms "$work/nft.json" 1) ms: build takes $(ratio "$work/nft.json" 0 1)x the parse (target <= 2x)"

echo "== 4. the default policy rendered, against aerleon --optimize (iptables, nftables, PAN-OS, FortiOS)"
rm -rf "$work/aerleon"; mkdir -p "$work/aerleon/def" "$work/aerleon/policies/pol" "$work/aerleon/out"
printf 'HTTPS = 443/tcp\n' > "$work/aerleon/def/SERVICES.svc"
: > "$work/aerleon/def/NETWORK.net"
for pair in AAD:AzureActiveDirectory ARM:AzureResourceManager AFD:AzureFrontDoor.FirstParty MCR:MicrosoftContainerRegistry; do
  $tw show --input "$work/public.json" "${pair#*:}" | awk -v n="${pair%%:*}" 'NR==1{print n " = " $0; next}{print "      " $0}' >> "$work/aerleon/def/NETWORK.net"
done
for target in "iptables OUTPUT ACCEPT" "nftables mixed OUTPUT" "paloalto from-zone trust to-zone untrust" "fortigate from-zone trust to-zone untrust"; do
  name=${target%% *}
  {
    echo "header {"; echo "  target:: $target"; echo "}"
    for n in AAD ARM AFD MCR; do
      printf 'term allow-%s {\n  destination-address:: %s\n  protocol:: tcp\n  destination-port:: HTTPS\n  action:: accept\n}\n' "$(echo $n | tr A-Z a-z)" "$n"
    done
  } > "$work/aerleon/policies/pol/arc-$name.pol"
done
aerleon_cmd="$work/venv/bin/aclgen --base_directory $work/aerleon/policies --definitions_directory $work/aerleon/def --output_directory $work/aerleon/out --optimize --max_renderers 1"
$aerleon_cmd >/dev/null 2>&1
targets=$($tw targets | grep -E '^[a-z]' | tr '\n' ' ')
tw_cmd="$tw build -q --input $work/public.json --out $work/out-default"
$tw_cmd
# The same address sets, output by output: each of aerleon's four files
# allows exactly the addresses of tagwall's plain lists, in each family it
# writes (its iptables and PAN-OS filters are IPv4 only: "inet" is their
# default; its nftables "mixed" and FortiOS write both).
cat "$work"/out-default/plain/*.txt | $tw aggregate > "$work/tagwall.agg"
v4='([0-9]+\.){3}[0-9]+/[0-9]+'
v6='([0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}/[0-9]+'
out="$work/aerleon/out"
agree() { # what, families (v4 or both), then the prefixes on standard input
  $tw aggregate > "$work/aerleon.agg"
  if [ "$2" = v4 ]; then grep -v : "$work/tagwall.agg" > "$work/tagwall.want"; else cp "$work/tagwall.agg" "$work/tagwall.want"; fi
  cmp -s "$work/aerleon.agg" "$work/tagwall.want" || { echo "aerleon's $1 and tagwall allow different addresses" >&2; exit 1; }
  echo "aerleon's $1 allows the same addresses as tagwall ($(grep -vc : "$work/aerleon.agg") IPv4, $(grep -c : "$work/aerleon.agg") IPv6 prefixes)"
}
grep -ohE "$v4" "$out/arc-iptables" | agree iptables v4
grep -ohE "$v4|$v6" "$out/arc-nftables.nft" | agree nftables both
grep -oE "<ip-netmask>[^<]+" "$out/arc-paloalto.xml" | cut -d'>' -f2 | agree PAN-OS v4
# FortiOS writes IPv4 as address and netmask.
awk '$1 == "set" && $2 == "subnet" { split($4, m, "."); n = 0
       for (i = 1; i <= 4; i++) for (b = 128; b >= 1; b /= 2) if (m[i] >= b) { n++; m[i] -= b }
       print $3 "/" n }
     $1 == "set" && $2 == "ip6" { print $3 }' "$out/arc-fortigate.fgacl" | agree FortiOS both
tw4_cmd="$tw build -q --input $work/public.json --out $work/out-four -t iptables -t nftables -t panos -t fortios"
hyperfine -N -w 3 -r 20 --export-json "$work/render.json" "$tw_cmd" "$tw4_cmd" "$aerleon_cmd" >/dev/null
echo "aerleon (4 targets) $(mean_ms "$work/render.json" 2) ms"
echo "tagwall, all targets ($targets): $(mean_ms "$work/render.json" 0) ms, $(ratio "$work/render.json" 0 2)x faster (target >= 50x)"
echo "tagwall, the same 4 targets: $(mean_ms "$work/render.json" 1) ms, $(ratio "$work/render.json" 1 2)x faster"

echo "== 5. peak memory of build --all-tags, per target (target < 64 MB)"
# Azure NSG, Azure Firewall and AWS prefix lists refuse an export of every
# tag: it would exceed their platform limits (exit code 3, by design).
for t in $targets; do
  rm -rf "$work/out-rss"
  code=0
  /usr/bin/time -f "%M" -o "$work/rss.$t" $tw build -q --all-tags --target "$t" --input "$work/public.json" --out "$work/out-rss" 2>/dev/null || code=$?
  case $code in
    0) echo "--target $t: $(( $(tail -1 "$work/rss.$t") / 1024 )) MB max RSS" ;;
    3) echo "--target $t: refused (the platform's limits)" ;;
    *) echo "--target $t: failed with exit code $code" >&2; exit 1 ;;
  esac
done
