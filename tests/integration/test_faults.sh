#!/usr/bin/env bash
# test_faults.sh - trustworthy delivery under faults, on 127.0.0.1 only, with
# mutual TLS as in production:
#   - kill -9 the collector while two agents send; restart: every seq each
#     agent produced reached the RRD exactly once;
#   - the collector stopped for several intervals: the backlog drains;
#   - kill -9 an agent mid-send; restart: no seq gap, no duplicate;
#   - no certificate, a certificate from another CA, a valid certificate
#     claiming another agent's name, an agent not on allow_agents: each
#     refused with a clear log line while the collector keeps serving the
#     others;
#   - garbage bytes, a truncated frame, an oversized length prefix (inside a
#     valid TLS session, and raw): closed, the collector keeps running;
#   - an agent whose clock is an hour ahead (faketime): warned about, clamped;
#   - too many connections from one address, a peer that never handshakes;
#   - the collector's data directory full: clear errors, no crash, recovery.
. "$(dirname "$0")/lib.sh"

MNT=$T/full
umount_full() { mountpoint -q "$MNT" 2>/dev/null && umount "$MNT" || true; }
# lib.sh's trap calls it after the daemons are gone (a daemon using the file
# system would make the unmount fail and leave it mounted)
cleanup_after_daemons() { umount_full; }

port=$(free_port)
mkdir -p "$T/data" "$T/s1" "$T/s2" "$T/st1" "$T/st2"
echo one >"$T/s1/f"
echo two >"$T/s2/f"
collector_conf "$T/collector.conf" "$port" "$T/data" \
	"$(printf 'max_connections_per_address = 12\nhandshake_timeout = 3s\nallow_agents = a1 a2 a6')"
agent_conf "$T/a1.conf" a1 "$port" "$T/st1" 1s "s=$T/s1"
agent_conf "$T/a2.conf" a2 "$port" "$T/st2" 1s "s=$T/s2"

n=0
start_collector() { # a new collector process, logging to $T/collectorN.log
	n=$((n + 1))
	start "collector$n" "$BUILD/shrinkwatch-collector" -v -c "$T/collector.conf"
	cpid=$LAST_PID
	wait_for 10 "collector $n listening" grep -q "listening on 127.0.0.1:$port" "$T/collector$n.log"
}
stored() { cat "$T/data/rrd/$1/agent.seq" 2>/dev/null || echo 0; }
made() { sed -n 's/^seq //p' "$T/st$1/agent.state" 2>/dev/null || echo 0; }
stored_at_least() { [ "$(stored "$1")" -ge "$2" ]; }
alive() { kill -0 "$cpid" 2>/dev/null || fail "the collector died"; }

start_collector
start a1 "$BUILD/shrinkwatch-agent" -c "$T/a1.conf"
a1=$LAST_PID
start a2 "$BUILD/shrinkwatch-agent" -c "$T/a2.conf"
a2=$LAST_PID
wait_for 15 "a1 sends" stored_at_least a1 3
wait_for 15 "a2 sends" stored_at_least a2 3
grep -q "connected to collector 127.0.0.1:$port (TLS)" "$T/a1.log" || fail "a1 is not on TLS"
ok "two agents deliver over mutual TLS"

# ---- kill -9 the collector while agents send ------------------------------
stop "$cpid" KILL
sleep 3
start_collector
before=$(made 1)
wait_for 30 "a1 catches up after the collector's kill -9" stored_at_least a1 "$before"
wait_for 30 "a2 catches up" stored_at_least a2 "$(made 2)"
ok "collector killed with -9 mid-stream: both agents caught up (a1 at seq $(stored a1))"

# ---- collector stopped for several intervals -------------------------------
# ... and meanwhile one record of a2's backlog rots on disk: a2 skips it with
# a log line, the rest survives, and the collector says which seq never came
stop "$cpid"
down_from=$(made 1)
sleep 5
behind=$(( $(made 1) - down_from ))
[ "$behind" -ge 3 ] || fail "a1 made only $behind samples while the collector was down"
stop "$a2"
rotten=$(( $(stored a2) + 2 ))
[ "$(made 2)" -gt "$rotten" ] || fail "a2's backlog is too short to corrupt a record in it"
python3 - "$T/st2/spool" "$rotten" <<'PY' || fail "could not corrupt a2's spool record"
import glob, struct, sys
seq = int(sys.argv[2])
for path in sorted(glob.glob(sys.argv[1] + "/*.seg")):
    data = bytearray(open(path, "rb").read())
    off = 0
    while off + 12 <= len(data):
        assert data[off:off + 4] == b"SWR1"
        n = struct.unpack(">I", data[off + 4:off + 8])[0]
        # the frame: 8-byte header, u16 count, then the sample's u64 seq
        if struct.unpack(">Q", data[off + 22:off + 30])[0] == seq:
            data[off + 40] ^= 0xFF
            open(path, "wb").write(data)
            sys.exit(0)
        off += 12 + n
sys.exit(1)
PY
start a2b "$BUILD/shrinkwatch-agent" -c "$T/a2.conf"
a2=$LAST_PID
wait_for 10 "a2 reports the corrupt record" grep -q "spool: .*corrupt record at offset [0-9]* skipped" "$T/a2b.log"
start_collector
wait_for 30 "the backlog drains" stored_at_least a1 "$(made 1)"
wait_for 30 "a2's backlog drains" stored_at_least a2 "$(made 2)"
wait_for 10 "the collector names the lost seq" \
	grep -q "agent 'a2': seqs $rotten-$rotten never arrived" "$T/collector$n.log"
ok "collector down for 5 intervals: a backlog of $behind samples drained; a2's corrupt record (seq $rotten) skipped, logged on both sides"

# ---- kill -9 the agent mid-send --------------------------------------------
stop "$a1" KILL
start a1b "$BUILD/shrinkwatch-agent" -c "$T/a1.conf"
a1=$LAST_PID
wait_for 10 "a1 reconnects" grep -q "connected to collector" "$T/a1b.log"
wait_for 15 "a1 moves on" stored_at_least a1 $(( $(made 1) + 2 ))
ok "agent killed with -9 and restarted: it carries on from its spool"

# ---- refused clients --------------------------------------------------------
before_a2=$(stored a2)
# (1) no certificate at all
timeout 10 openssl s_client -connect "127.0.0.1:$port" -CAfile "$PKI/ca.crt" \
	-verify_return_error </dev/null >"$T/noclient.out" 2>&1 || true
wait_for 10 "refusal of a client without a certificate" \
	grep -q "refusing 127.0.0.1:[0-9]*: .*peer did not return a certificate" "$T/collector$n.log"
# (2) a certificate from another CA
"$BUILD/shrinkwatchctl" pki init "$T/otherpki" >/dev/null
"$BUILD/shrinkwatchctl" pki issue a3 --dir "$T/otherpki" >/dev/null
mkdir -p "$T/st3"
{
	printf '[agent]\nname = a3\ninterval = 1s\nstate_dir = %s\n' "$T/st3"
	printf '[collector]\naddress = 127.0.0.1:%s\ntls_ca = %s\n' "$port" "$PKI/ca.crt"
	printf 'tls_cert = %s\ntls_key = %s\n' "$T/otherpki/a3.crt" "$T/otherpki/a3.key"
	printf '[store s]\npath = %s\n' "$T/s1"
} >"$T/a3.conf"
start a3 "$BUILD/shrinkwatch-agent" -c "$T/a3.conf"
a3=$LAST_PID
wait_for 10 "refusal of a certificate from another CA" \
	grep -q "refusing 127.0.0.1:[0-9]*: certificate verify failed: unable to get local issuer certificate" \
	"$T/collector$n.log"
stop "$a3"
# (3) a valid certificate, but for another agent's name
pki_agent rogue
mkdir -p "$T/st4"
sed -e "s|^name = a2|name = a2|" -e "s|$T/st2|$T/st4|" -e "s|$PKI/a2\.|$PKI/rogue.|g" \
	"$T/a2.conf" >"$T/a4.conf"
grep -q "rogue.crt" "$T/a4.conf" || fail "could not write the impostor's config"
start a4 "$BUILD/shrinkwatch-agent" -c "$T/a4.conf"
a4=$LAST_PID
wait_for 10 "refusal of an impostor" \
	grep -q "refusing 127.0.0.1:[0-9]*: HELLO for agent 'a2' but the certificate names 'rogue'" \
	"$T/collector$n.log"
wait_for 10 "the impostor is told why" grep -q "refused us (code 4)" "$T/a4.log"
stop "$a4"
# (4) a valid certificate for a name not on the allow-list
agent_conf "$T/a7.conf" a7 "$port" "$T/st7" 1s "s=$T/s1"
mkdir -p "$T/st7"
start a7 "$BUILD/shrinkwatch-agent" -c "$T/a7.conf"
a7=$LAST_PID
wait_for 10 "refusal of an agent not on the allow-list" \
	grep -q "refusing 127.0.0.1:[0-9]*: agent 'a7' is not on the allow-list" "$T/collector$n.log"
stop "$a7"
[ -d "$T/data/rrd/a3" ] && fail "the other CA's agent got samples stored"
[ -d "$T/data/rrd/a7" ] && fail "an agent not on the allow-list got samples stored"
alive
wait_for 10 "a2 still served" stored_at_least a2 $((before_a2 + 2))
ok "no certificate, another CA's certificate, another agent's name, not on the allow-list: each refused and logged; a2 still served"

# ---- hostile bytes ------------------------------------------------------------
cat >"$T/hostile.py" <<'PY'
import socket, ssl, struct, sys, time
port, ca, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]

def closed(s):
    s.settimeout(10)
    try:
        while True:
            d = s.recv(4096)
            if not d:
                return True
    except (ConnectionResetError, ssl.SSLError, BrokenPipeError):
        return True
    except socket.timeout:
        return False

def tls():
    ctx = ssl.create_default_context(cafile=ca)
    ctx.load_cert_chain(cert, key)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")

results = []
raw = socket.create_connection(("127.0.0.1", port)); raw.sendall(b"\x16\x03\x01garbage" * 50)
results.append(("raw garbage", closed(raw)))
s = tls(); s.sendall(b"this is not a frame at all\n" * 10)
results.append(("garbage inside TLS", closed(s)))
s = tls(); s.sendall(b"SW" + bytes([1, 1]) + struct.pack(">I", 0xFFFFFFF0))
results.append(("oversized length prefix", closed(s)))
s = tls(); s.sendall(b"SW" + bytes([1, 1]) + struct.pack(">I", 100) + b"x" * 10); s.close()
results.append(("truncated frame", True))
stalled = socket.create_connection(("127.0.0.1", port))
t0 = time.monotonic()
results.append(("a peer that never handshakes", closed(stalled) and time.monotonic() - t0 < 8))
many = [socket.create_connection(("127.0.0.1", port)) for _ in range(16)]
shut = sum(1 for c in many[12:] if closed(c))
results.append(("connections past the per-address limit", shut >= 2))
for c in many:
    c.close()
bad = [n for n, ok in results if not ok]
print("closed:", ", ".join(n for n, ok in results if ok))
sys.exit(1 if bad else 0)
PY
python3 "$T/hostile.py" "$port" "$PKI/ca.crt" "$PKI/rogue.crt" "$PKI/rogue.key" >"$T/hostile.out" 2>&1 ||
	fail "a hostile connection was not closed: $(cat "$T/hostile.out")"
grep -q "frame larger than the maximum" "$T/collector$n.log" || fail "no log line for the oversized frame"
grep -q "not a shrinkwatch frame" "$T/collector$n.log" || fail "no log line for garbage"
grep -q "no TLS handshake in time" "$T/collector$n.log" || fail "no log line for the stalled peer"
grep -q "too many connections from this address" "$T/collector$n.log" ||
	fail "no log line for the per-address limit"
alive
wait_for 10 "a2 still served after hostile input" stored_at_least a2 $(( $(stored a2) + 2 ))
ok "$(cat "$T/hostile.out"); collector still serving"

# ---- clock skew: an agent an hour in the future ------------------------------
agent_conf "$T/a6.conf" a6 "$port" "$T/st6" 1s "s=$T/s2"
mkdir -p "$T/st6"
# libfaketime preloaded directly (the faketime wrapper forks, and this test
# must be able to stop the agent by its pid)
libft=$(dpkg -L libfaketime | grep -m1 'libfaketimeMT\.so')
# (an ASan build would refuse a preload that comes before its runtime)
start a6 env LD_PRELOAD="$libft" FAKETIME="+1h" FAKETIME_DONT_FAKE_MONOTONIC=1 \
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
	"$BUILD/shrinkwatch-agent" -c "$T/a6.conf"
a6=$LAST_PID
wait_for 15 "a clock skew warning" grep -q "agent 'a6' .*ahead of the collector's clock (limit 300 s): clock skew" \
	"$T/collector$n.log"
wait_for 15 "a6's samples stored" test -f "$T/data/rrd/a6/s.rrd"
sleep 2
last=$(rrdtool last "$T/data/rrd/a6/s.rrd")
[ "$last" -le "$(( $(date +%s) + 5 ))" ] || fail "a future timestamp reached the RRD: $last vs now $(date +%s)"
stop "$a6"
ok "an agent 1 h ahead: warned about, its samples stored at the collector's time (RRD last update $(( last - $(date +%s) )) s from now)"

# ---- every seq exactly once ---------------------------------------------------
stop "$a1"
stop "$a2"
wait_for 20 "a1 drained" stored_at_least a1 "$(made 1)"
wait_for 20 "a2 drained" stored_at_least a2 "$(made 2)"
for ag in 1 2; do
	lost=0
	[ "$ag" = 2 ] && lost=$rotten
	python3 - "$ag" "$(made $ag)" "$lost" "$T"/collector*.log <<'PY' || fail "seq check for a$ag"
import re, sys
agent, last, lost, logs = "a" + sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
pat = re.compile(r"ingest: agent '%s': seq (\d+)-(\d+) \((\d+) samples\): (\d+) stored, (\d+) not newer" % agent)
stored, seen = {}, set()
for path in logs:
    for m in pat.finditer(open(path, errors="replace").read()):
        lo, hi, n, st, old = map(int, m.groups())
        if lo <= lost <= hi and hi - lo == n:
            seen.update(set(range(lo, hi + 1)) - {lost})  # the hole is the lost one
            continue
        assert hi - lo + 1 == n, f"batch {lo}-{hi} of {n} samples is not contiguous"
        seen.update(range(lo, hi + 1))
missing = sorted(set(range(1, last + 1)) - seen - {lost})
if lost in seen:
    print(f"{agent}: seq {lost} was corrupted in the spool, yet it was stored")
    sys.exit(1)
extra = sorted(seen - set(range(1, last + 1)))
if missing or extra:
    print(f"{agent}: missing seqs {missing[:20]}, unexpected {extra[:20]}")
    sys.exit(1)
PY
	[ "$(stored a$ag)" = "$(made $ag)" ] || fail "a$ag: collector stored $(stored a$ag), agent made $(made $ag)"
done
# the RRD itself cannot hold a sample twice (it only takes newer timestamps);
# a resend after a kill is dropped as "not newer", never stored again
rows=$(rrdtool fetch "$T/data/rrd/a1/s.rrd" MAX -r 1 -s -600 | awk 'NF > 1 && $2 != "-nan" && $2 != "nan"' | wc -l)
[ "$rows" -ge "$(( $(made 1) - 2 ))" ] || fail "a1's RRD holds only $rows rows for $(made 1) samples"
ok "every seq 1..$(made 1) of a1 and 1..$(made 2) of a2 (but the corrupted $rotten) reached the RRD, exactly once; $rows rows"

# ---- data directory full ----------------------------------------------------------
stop "$cpid"
mkdir -p "$MNT"
# Room for both of a5's files at a 1 s step (the store RRD, about 46 MB, and
# the detector's, about 64 MB), so that both exist before the disk is filled:
# a file still being created while dd runs would take space and give it back
# when its creation fails, and the disk would not stay full.
mount -t tmpfs -o size=192m tmpfs "$MNT" || fail "cannot mount a tmpfs (needs root)"
port2=$(free_port)
collector_conf "$T/c2.conf" "$port2" "$MNT/data"
agent_conf "$T/a5.conf" a5 "$port2" "$T/st5" 1s "s=$T/s1"
mkdir -p "$T/st5"
start cfull "$BUILD/shrinkwatch-collector" -v -c "$T/c2.conf"
cpid=$LAST_PID
wait_for 10 "collector on the small disk" grep -q "collector: listening on" "$T/cfull.log"
start a5 "$BUILD/shrinkwatch-agent" -c "$T/a5.conf"
a5=$LAST_PID
st5() { cat "$MNT/data/rrd/a5/agent.seq" 2>/dev/null || echo 0; }
m5() { sed -n 's/^seq //p' "$T/st5/agent.state" 2>/dev/null || echo 0; }
st5_at_least() { [ "$(st5)" -ge "$1" ]; }
wait_for 20 "a5 stored on the small disk" st5_at_least 2
wait_for 20 "a5's detector RRD on the small disk" test -s "$MNT/data/detect/a5/s.rrd"
dd if=/dev/zero of="$MNT/filler" bs=1M 2>/dev/null || true
wait_for 20 "a clear error about the full disk" grep -q "No space left on device" "$T/cfull.log"
sleep 3
alive
full_at=$(st5)
rm -f "$MNT/filler"
wait_for 60 "recovery when space returns" st5_at_least $(( $(m5) ))
wait_for 20 "new samples after recovery" st5_at_least $(( $(m5) + 1 ))
ok "data directory full: '$(grep -m1 -o "cannot store.*No space left on device" "$T/cfull.log" | cut -c1-90)...'; no crash; recovered from seq $full_at to $(st5)"
stop "$a5"
stop "$cpid"
umount_full
