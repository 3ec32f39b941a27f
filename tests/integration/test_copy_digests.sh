#!/usr/bin/env bash
# test_copy_digests.sh - the agent's copy digests (issue 13) with a real
# agent on real trees and a scripted version-3 collector (dig_collector.py)
# that asks DIGREQ as the real collector will:
#   - a tree copied with `cp -a` to a second store: equal root digests and
#     totals, with names that are hostile (a newline, invalid UTF-8);
#   - one file deleted at the destination: after the next scan the root
#     digests differ; descending by name hash only (SW_DIG_BYHASH, no name
#     on the wire) leads to exactly the directory and the missing entry;
#     there, with SW_DIG_NAMES (the administrator's request), its name;
#   - restored: equal again;
#   - no such directory, content digests, an unknown store: clear answers;
#     a malformed DIGREQ closes the link and the agent reconnects;
#   - hash_contents = yes on both stores: once hashed, equal content digests;
#     one byte of a destination file corrupted (same size): the content
#     digests differ while the names-and-sizes digests still agree, and
#     descending by content finds exactly that file.
SW_TLS=0
. "$(dirname "$0")/lib.sh"
DC="$(dirname "$0")/dig_collector.py"

mkdir -p "$T/state" "$T/src"
for c in 1 2 3 4; do
	for i in $(seq 25); do
		mkdir -p "$T/src/2023/case$c/cam$((i % 3))"
		head -c $((c * 100 + i)) /dev/zero >"$T/src/2023/case$c/cam$((i % 3))/clip$i.mp4"
	done
done
printf 'x' >"$T/src/2023/case2/clip"$'\n'"new.mp4"
printf 'yy' >"$T/src/2023/case2/"$'\xff\xfe'".mp4"
cp -a "$T/src" "$T/dst"

port=$(free_port)
agent_conf "$T/agent.conf" evsrv01 "$port" "$T/state" 2s "src=$T/src" "dst=$T/dst"
: >"$T/requests"
start dc python3 "$DC" "$port" "$T/events" "$T/requests"
wait_for 10 "the collector" python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), timeout=1)"
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
AGENT=$LAST_PID

nsamp() { grep -c "^sample $1 " "$T/events" 2>/dev/null || true; }
more() { [ "$(nsamp "$1")" -gt "$2" ]; }
# fresh_scans: waits until both stores have sent two more samples (a scan
# that started after whatever the test just did)
fresh_scans() {
	local a b
	a=$(nsamp src) b=$(nsamp dst)
	wait_for 30 "two fresh src samples" more src "$((a + 1))"
	wait_for 30 "two fresh dst samples" more dst "$((b + 1))"
}
rid=0
# ask FLAGS STORE DIR: sends a DIGREQ after the next sample, waits for the
# answer's last frame, and sets REPLY to its "digests" line (RID its id)
ask() {
	rid=$((rid + 1))
	printf '%d %d %s %s\n' "$rid" "$1" "$2" "$3" >>"$T/requests"
	wait_for 30 "the answer to request $rid" grep -q "^digests $rid [13] \|^digests $rid 2 " "$T/events"
	REPLY=$(grep "^digests $rid " "$T/events" | tail -n 1)
	RID=$rid
}
field() { echo "$REPLY" | cut -d' ' -f"$1"; }
SELF=4 NAMES=2 BYHASH=8 CONTENT=1

wait_for 30 "samples of both stores" sh -c "grep -q '^sample src ' '$T/events' && grep -q '^sample dst ' '$T/events'"
fresh_scans
ask $SELF src ""
src_root=$(field 5) src_files=$(field 6) src_bytes=$(field 7)
[ "$(field 3)" = 1 ] || fail "src root not answered: $REPLY"
ask $SELF dst ""
[ "$(field 3)" = 1 ] || fail "dst root not answered: $REPLY"
[ "$src_files" = 102 ] || fail "src holds 102 files, the digests say $src_files: $REPLY"
[ "$(field 5)" = "$src_root" ] && [ "$(field 6)" = "$src_files" ] && [ "$(field 7)" = "$src_bytes" ] ||
	fail "a cp -a copy does not compare equal: src $src_root $src_files $src_bytes, dst $REPLY"
ok "a cp -a copy (hostile names included): equal root digests, 102 files, $src_bytes bytes"

victim="$T/dst/2023/case3/cam1/clip7.mp4"
rm "$victim"
fresh_scans
ask $SELF dst ""
[ "$(field 5)" != "$src_root" ] || fail "the root digest did not change after a deletion"
[ "$(field 6)" = 101 ] || fail "dst should count 101 files: $REPLY"
ok "one file deleted at the destination: the root digests differ (101 files)"

# descend by name hash only, as a continuous check does
path="" depth=0
while :; do
	ask $BYHASH src "$path"
	grep "^entry $RID " "$T/events" | awk '{print $7, $8, $3}' | sort >"$T/a"
	ask $BYHASH dst "$path"
	grep "^entry $RID " "$T/events" | awk '{print $7, $8, $3}' | sort >"$T/b"
	grep -q "^entry $RID .* b'[^']" "$T/events" && fail "a name travelled without SW_DIG_NAMES"
	diff_d=$(join -j1 "$T/a" "$T/b" | awk '$3 == "D" && $2 != $4 {print $1}')
	n=$(echo "$diff_d" | grep -c . || true)
	if [ "$n" = 0 ]; then
		break
	fi
	[ "$n" = 1 ] || fail "more than one directory differs at '$path': $diff_d"
	path="${path:+$path/}#$diff_d"
	depth=$((depth + 1))
	[ "$depth" -lt 6 ] || fail "descended too deep: $path"
done
[ "$depth" = 3 ] || fail "the difference should be 3 levels down (2023/case3/cam1), found at depth $depth: $path"
missing=$(join -v1 -j1 "$T/a" "$T/b")
[ "$(echo "$missing" | grep -c .)" = 1 ] || fail "expected one entry missing at the destination: $missing"
[ "$(join -v2 -j1 "$T/a" "$T/b" | grep -c . || true)" = 0 ] || fail "entries only at the destination"
want=$(python3 -c "import hashlib; print(hashlib.sha256(b'clip7.mp4').digest()[:16].hex())")
[ "${missing%% *}" = "$want" ] || fail "the missing entry is not clip7.mp4's hash: $missing"
ok "descending by name hash only: 3 levels, exactly one missing entry, the deleted file's"

ask $((BYHASH | NAMES)) src "$path"
grep -q "^entry $RID F .* b'clip7.mp4'$" "$T/events" || fail "no name with SW_DIG_NAMES"
grep -q "sending .* names (request $RID" "$T/agent.log" || fail "sending names is not logged"
ok "with SW_DIG_NAMES (an administrator's request) the entries carry their names, logged"

ask $NAMES src "2023/case2"
grep -qF "b'clip\\nnew.mp4'" "$T/events" && grep -qF "b'\\xff\\xfe.mp4'" "$T/events" ||
	fail "hostile names not exact on the wire: $(grep "^entry $RID " "$T/events")"
grep -q "^badhash" "$T/events" && fail "a name that does not hash to its name_hash"
ok "hostile names travel byte for byte and hash to their name_hash"

head -c 307 /dev/zero >"$victim"
touch -r "$T/src/2023/case3/cam1/clip7.mp4" "$victim"
fresh_scans
ask $SELF dst ""
[ "$(field 5)" = "$src_root" ] || fail "restored, the digests still differ: $REPLY"
ok "the file restored: equal again"

ask $SELF dst "2023/nope"
[ "$(field 3)" = 3 ] || fail "no such directory: $REPLY"
ask $CONTENT dst ""
[ "$(field 3)" = 2 ] && echo "$REPLY" | grep -q "hash_contents = yes" || fail "content digests: $REPLY"
ask $SELF other ""
[ "$(field 3)" = 2 ] && echo "$REPLY" | grep -q "store 'other'" || fail "unknown store: $REPLY"
ok "no such directory (3), content digests and an unknown store refused with a reason (2)"

printf '%d %d %s %s\n' 999 0 src "../etc" >>"$T/requests"
wait_for 30 "the malformed request refused" grep -q "malformed or early DIGREQ" "$T/agent.log"
kill -0 "$AGENT" || fail "the agent died on a malformed DIGREQ"
ask $SELF src ""
[ "$(field 5)" = "$src_root" ] || fail "after reconnecting: $REPLY"
ok "a malformed DIGREQ closes the link; the agent reconnects and answers"

# --- content ------------------------------------------------------------------
stop "$AGENT"
sed -i 's|^path = \(.*\)$|path = \1\nhash_contents = yes|' "$T/agent.conf"
grep -c "^hash_contents = yes" "$T/agent.conf" | grep -qx 2 || fail "config: $(cat "$T/agent.conf")"
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
AGENT=$LAST_PID
zero=$(printf '0%.0s' $(seq 64))
# hashed STORE DIR: every file entry of DIR carries a content hash
hashed() {
	ask $CONTENT "$1" "$2"
	[ "$(field 3)" = 1 ] && [ "$(field 8)" -gt 0 ] &&
		! grep "^entry $RID F " "$T/events" | awk '{print $8}' | grep -qx "$zero"
}
deadline=$((SECONDS + 60))
until hashed src 2023/case2/cam0 && hashed dst 2023/case2/cam0; do
	[ "$SECONDS" -lt "$deadline" ] || fail "the files were not hashed in 60 s: $(grep hashes "$T/agent.log")"
done
grep -q "hashes: store 'dst': .* files hashed" "$T/agent.log" || fail "no hashing logged"
ask $((CONTENT | SELF)) src ""
csrc=$(field 5)
ask $((CONTENT | SELF)) dst ""
[ "$(field 5)" = "$csrc" ] || fail "a cp -a copy differs by content: $csrc vs $REPLY"
ok "hash_contents = yes: every file hashed (logged), equal content digests"

bad="$T/dst/2023/case2/cam0/clip3.mp4"
printf 'X' | dd of="$bad" bs=1 seek=10 conv=notrunc 2>/dev/null
deadline=$((SECONDS + 60))
while ask $((CONTENT | SELF)) dst "" && [ "$(field 5)" = "$csrc" ]; do
	[ "$SECONDS" -lt "$deadline" ] || fail "a corrupted byte did not change the content digest in 60 s"
done
ask $SELF src ""
nsrc=$(field 5)
ask $SELF dst ""
[ "$(field 5)" = "$nsrc" ] || fail "names and sizes should still agree: $REPLY"
path=""
for _ in 1 2 3 4; do
	ask $((BYHASH | CONTENT)) src "$path"
	grep "^entry $RID " "$T/events" | awk '{print $7, $8, $3}' | sort >"$T/a"
	ask $((BYHASH | CONTENT)) dst "$path"
	grep "^entry $RID " "$T/events" | awk '{print $7, $8, $3}' | sort >"$T/b"
	d=$(join -j1 "$T/a" "$T/b" | awk '$2 != $4 {print $1, $3}')
	[ "$(echo "$d" | grep -c .)" = 1 ] || fail "not exactly one differing entry under '$path': $d"
	[ "${d#* }" = F ] && break
	path="${path:+$path/}#${d%% *}"
done
want=$(python3 -c "import hashlib; print(hashlib.sha256(b'clip3.mp4').digest()[:16].hex())")
[ "${d%% *}" = "$want" ] || fail "the differing file is not clip3.mp4: $d under $path"
[ "$(echo "$path" | tr '/' '\n' | grep -c .)" = 3 ] || fail "clip3.mp4 lies 3 levels down, not at '$path'"
ok "one byte corrupted at the destination: content digests differ, names and sizes agree, and descending by content finds exactly that file"

stop "$AGENT"
