#!/usr/bin/env bash
# test_accounts_compat.sh - the agent's exact accounts (issue 12) against
# collectors of every version, with a real agent on a real tree:
#  - a version-2 collector (vn_collector.py 2): the agent's version-3 HELLO
#    is refused, it says HELLO in version 2 and ships version-1 SAMPLES with
#    no flag a version-2 collector refuses, deletions included;
#  - a version-3 collector (vn_collector.py 3, retention 1 h): POLICY's
#    retention reaches the agent; after 3 young files are deleted (one with a
#    newline in its name) and a case folder of 5 files is renamed, the sample
#    says exactly removed 3 (3 young), moved 5, and the INVENTORY the
#    collector asks for lists exactly the 3 deleted files, byte for byte;
#  - kill -9 of the agent and a restart: no false loss; a damaged manifest
#    is logged and rebuilt, with no loss claimed meanwhile;
#  - the real collector of this tree takes the version-3 samples.
. "$(dirname "$0")/lib.sh"
SW_TLS=0
VN="$(dirname "$0")/vn_collector.py"
mkdir -p "$T/state" "$T/store/2023/case1" "$T/store/2023/case2"
for i in $(seq 5); do
	head -c 1000 /dev/urandom >"$T/store/2023/case1/clip$i.mp4"
	head -c 2000 /dev/urandom >"$T/store/2023/case2/clip$i.mp4"
done
head -c 300 /dev/urandom >"$T/store/2023/case2/clip"$'\n'"new.mp4"

# --- a version-2 collector -------------------------------------------------
port=$(free_port)
agent_conf "$T/agent.conf" evsrv01 "$port" "$T/state" 3s "bodycam=$T/store"
start v2 python3 "$VN" "$port" "$T/v2.events" 2
V2=$LAST_PID
wait_for 10 "the version-2 collector" python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), timeout=1)"
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
AGENT=$LAST_PID
nsamples() { grep -c "^samples " "$1" 2>/dev/null || true; }
# more FILE N: the collector has logged more than N sample frames (polled)
more() { [ "$(nsamples "$1")" -gt "$2" ]; }
wait_for 30 "two sample frames at the version-2 collector" more "$T/v2.events" 1
head -n 1 "$T/v2.events" | grep -q "^refused 3 1$" || fail "the agent did not try version 3 first: $(cat "$T/v2.events")"
grep -q "^hello 2$" "$T/v2.events" || fail "no version-2 HELLO: $(cat "$T/v2.events")"
rm "$T/store/2023/case1/clip5.mp4"
n=$(nsamples "$T/v2.events")
wait_for 20 "a sample after the deletion" more "$T/v2.events" "$((n + 1))"
grep -q "^samples [^1]" "$T/v2.events" && fail "a SAMPLES frame that is not version 1 reached the version-2 collector"
grep -q "^badflags" "$T/v2.events" && fail "a version-3 flag reached the version-2 collector: $(grep badflags "$T/v2.events")"
grep -q "^unexpected\|^refused 3 [^1]" "$T/v2.events" && fail "the version-2 collector got a version-3 message: $(cat "$T/v2.events")"
[ "$(grep -c '^refused' "$T/v2.events")" = 1 ] || fail "version 3 tried again at once: $(cat "$T/v2.events")"
grep -q "refused protocol version 3" "$T/agent.log" || fail "the agent did not say why it stepped down"
ok "version-2 collector: HELLO 3 refused, then version 2 with totals-only samples"
lastA=$(grep "^samples " "$T/v2.events" | tail -n 1 | cut -d' ' -f4)
stop "$AGENT"
kill "$V2"

# --- a version-3 collector -------------------------------------------------
port=$(free_port)
agent_conf "$T/agent.conf" evsrv01 "$port" "$T/state" 3s "bodycam=$T/store"
start v3 python3 "$VN" "$port" "$T/v3.events" 3 bodycam 3600
V3=$LAST_PID
wait_for 10 "the version-3 collector" python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), timeout=1)"
: >"$T/agent.log"
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
AGENT=$LAST_PID
# flags: 8 exact, 16 split against a retention
exact_split() { awk '$1 == "sample" && int($3 / 8) % 4 == 3 { n++ } END { exit !(n >= 1) }' "$T/v3.events"; }
wait_for 30 "an exact sample split against the collector's retention" exact_split
grep -q "^hello 3$" "$T/v3.events" || fail "no version-3 HELLO"
grep -q "retention 3600 s (from the collector)" "$T/agent.log" || fail "POLICY did not reach the agent"
# the spooled samples of the version-2 part travel again, exact: the deletion there
awk -v a="$lastA" '$1 == "sample" && $2 <= a && $4 != 0 { n += $4 } END { exit !(n == 1) }' "$T/v3.events" ||
	fail "the spooled samples lost their exact figures: $(grep ^sample "$T/v3.events")"
awk -v a="$lastA" '$1 == "sample" && $2 > a && $4 != 0 { exit 1 }' "$T/v3.events" ||
	fail "a loss claimed before anything was deleted: $(grep ^sample "$T/v3.events")"
ok "version-3 collector: POLICY taken, exact samples (spooled ones too), no loss claimed"

n=$(nsamples "$T/v3.events")
wait_for 20 "a fresh sample" more "$T/v3.events" "$n"
rm "$T/store/2023/case2/clip1.mp4" "$T/store/2023/case2/clip2.mp4" "$T/store/2023/case2/clip"$'\n'"new.mp4"
mv "$T/store/2023/case1" "$T/store/2023/case1-renamed"
wait_for 30 "the inventory" grep -q "^inventory " "$T/v3.events"
line=$(awk -v a="$lastA" '$1 == "sample" && $2 > a && $4 != 0' "$T/v3.events" | head -n 1)
set -- $line
[ "$4" = 3 ] && [ "$5" = 4300 ] && [ "$6" = 3 ] && [ "$7" = 4 ] ||
	fail "want removed 3 (4300 bytes, 3 young) and 4 moved, got: $line"
grep -q "^inventory 1 3 0 3$" "$T/v3.events" || fail "inventory: $(grep '^inventory' "$T/v3.events")"
for p in "b'2023/case2/clip1.mp4' 2000 0" "b'2023/case2/clip2.mp4' 2000 0" "b'2023/case2/clip\\nnew.mp4' 300 0"; do
	grep -qF "item $p" "$T/v3.events" || fail "inventory lacks $p: $(grep '^item' "$T/v3.events")"
done
[ "$(grep -c '^item' "$T/v3.events")" = 3 ] || fail "inventory has more than the deleted: $(grep '^item' "$T/v3.events")"
grep -q "renamed\|case1/" <(grep '^item' "$T/v3.events") && fail "a moved file in the inventory"
ok "3 deletions and a folder rename: removed 3 (young), moved 4, inventory of exactly the 3"

# --- kill -9 and restart: no false loss --------------------------------------
# (the simulated collector acknowledges nothing across connections, so the
# agent sends its spool again: only seqs above lastB are new scans)
maxseq() { awk '$1 == "sample" && $2 > m { m = $2 } END { print m + 0 }' "$T/v3.events"; }
lastB=$(maxseq)
for round in 1 2 3; do
	kill -9 "$AGENT"
	wait "$AGENT" 2>/dev/null || true
	n=$(nsamples "$T/v3.events")
	start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
	AGENT=$LAST_PID
	wait_for 30 "samples after restart $round" more "$T/v3.events" "$((n + 1))"
done
awk -v b="$lastB" '$1 == "sample" && $2 > b && $4 != 0 { exit 1 }' "$T/v3.events" ||
	fail "a loss claimed after kill -9: $(awk -v b="$lastB" '$1 == "sample" && $2 > b' "$T/v3.events")"
grep -q "is damaged" "$T/agent.log" && fail "kill -9 damaged the manifest"
ok "kill -9 three times: no false loss, manifest intact"

stop "$AGENT"
lastC=$(maxseq)
printf 'garbage' | dd of="$T/state/manifest/bodycam.swm" bs=1 seek=100 conv=notrunc 2>/dev/null
n=$(nsamples "$T/v3.events")
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
AGENT=$LAST_PID
wait_for 30 "samples after the damage" more "$T/v3.events" "$((n + 2))"
grep -q "manifest: store 'bodycam': .* is damaged; set aside" "$T/agent.log" || fail "no log line for the damaged manifest"
awk -v c="$lastC" '$1 == "sample" && $2 > c && $4 != 0 { exit 1 }' "$T/v3.events" ||
	fail "a loss claimed while rebuilding"
wait_for 30 "an exact sample after the rebuild" awk -v c="$lastC" \
	'$1 == "sample" && $2 > c && int($3 / 8) % 2 == 1 { n++ } END { exit !n }' "$T/v3.events"
ok "a damaged manifest: logged, rebuilt, no loss claimed"
stop "$AGENT"
kill "$V3"

# --- the real collector of this tree takes version-3 samples ---------------
port=$(free_port)
mkdir -p "$T/data"
collector_conf "$T/collector.conf" "$port" "$T/data"
agent_conf "$T/agent.conf" evsrv01 "$port" "$T/state" 2s "bodycam=$T/store"
start collector "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
wait_for 10 "the collector" python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), timeout=1)"
: >"$T/agent.log"
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
AGENT=$LAST_PID
wait_for 30 "samples stored" test -f "$T/data/rrd/evsrv01/bodycam.rrd"
sleep 3
grep -q "refused\|cannot" "$T/agent.log" && fail "the agent and this collector disagree: $(grep 'refused\|cannot' "$T/agent.log")"
kill -0 "$AGENT" || fail "the agent died"
ok "agent and collector of this tree: version-3 samples stored"
stop "$AGENT"
