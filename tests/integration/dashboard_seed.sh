# dashboard_seed.sh - seeded data for the dashboard tests (source it after
# lib.sh).  Not a test itself (the name does not start with test_).
#
#   seed_archive_rrd DATA_DIR   data_dir/rrd/vault01/archive.rrd: two days of
#                               5-minute samples, 70 MB lost 6 hours ago
#   seed_ledger DATA_DIR NOW    data_dir/ledger.db with the schema of
#                               docs/ledger.md, an open alert on that loss
#                               (id 1, hostile text in its summary), a
#                               resolved one, a declared deletion, events,
#                               audit rows and two outbox rows
#   png_size FILE               "WIDTHxHEIGHT" from the PNG header, or fails

seed_archive_rrd() {
	local d=$1/rrd/vault01 now step=300 t start bytes objects args=()
	mkdir -p "$d"
	now=$(date +%s)
	start=$(( (now - 2 * 86400) / step * step ))
	rrdtool create "$d/archive.rrd" --step $step --start $((start - step)) \
		DS:bytes:GAUGE:600:0:U DS:objects:GAUGE:600:0:U \
		DS:added_bytes:GAUGE:600:0:U DS:added_objects:GAUGE:600:0:U \
		DS:fs_used:GAUGE:600:0:U DS:fs_size:GAUGE:600:0:U DS:fs_inodes:GAUGE:600:0:U \
		RRA:AVERAGE:0.5:1:1000 RRA:MIN:0.5:1:1000 RRA:MAX:0.5:1:1000 \
		RRA:AVERAGE:0.5:12:1000 RRA:MIN:0.5:12:1000 RRA:MAX:0.5:12:1000
	bytes=500000000; objects=5000
	for ((t = start; t <= now - step; t += step)); do
		bytes=$((bytes + 100000)); objects=$((objects + 1))
		if [ "$t" -ge $((now - 6 * 3600)) ] && [ "$t" -lt $((now - 6 * 3600 + step)) ]; then
			bytes=$((bytes - 70000000)); objects=$((objects - 700))
		fi
		args+=("$t:$bytes:$objects:100000:1:900000000:2000000000:60000")
	done
	rrdtool update "$d/archive.rrd" "${args[@]}"
	echo "$((now - 6 * 3600))" >"$T/drop_time"
}

seed_ledger() {
	local db=$1/ledger.db now=$2 drop
	drop=$(cat "$T/drop_time")
	sqlite3 "$db" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
PRAGMA user_version = 1;
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY, agent TEXT NOT NULL, store TEXT NOT NULL, kind TEXT NOT NULL,
  episode INTEGER NOT NULL, severity TEXT NOT NULL, state TEXT NOT NULL,
  since INTEGER NOT NULL, fired_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  closed_at INTEGER, lost_bytes REAL NOT NULL DEFAULT 0, lost_objects REAL NOT NULL DEFAULT 0,
  expected_bytes REAL, observed_bytes REAL, expected_objects REAL, observed_objects REAL,
  summary TEXT NOT NULL, ack_by TEXT, ack_at INTEGER, ack_comment TEXT,
  explanation_id INTEGER REFERENCES explanations(id), last_notified_at INTEGER,
  UNIQUE (agent, store, kind, episode));
CREATE INDEX alerts_open ON alerts (state) WHERE closed_at IS NULL;
CREATE INDEX alerts_store ON alerts (agent, store, fired_at);
CREATE TABLE alert_events (id INTEGER PRIMARY KEY, alert_id INTEGER NOT NULL REFERENCES alerts(id),
  time INTEGER NOT NULL, state TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX alert_events_alert ON alert_events (alert_id, time);
CREATE TABLE explanations (id INTEGER PRIMARY KEY, agent TEXT NOT NULL, store TEXT NOT NULL,
  start INTEGER NOT NULL, end INTEGER NOT NULL, bytes INTEGER, objects INTEGER,
  reason TEXT NOT NULL, who TEXT NOT NULL, created_at INTEGER NOT NULL,
  alert_id INTEGER REFERENCES alerts(id), revoked_at INTEGER, revoked_by TEXT, revoke_reason TEXT);
CREATE TABLE audit (id INTEGER PRIMARY KEY, time INTEGER NOT NULL, who TEXT NOT NULL,
  action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE outbox (id INTEGER PRIMARY KEY, notifier TEXT NOT NULL,
  alert_id INTEGER NOT NULL REFERENCES alerts(id), state TEXT NOT NULL, payload TEXT NOT NULL,
  created_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL, last_error TEXT);
CREATE TABLE detector_state (agent TEXT NOT NULL, store TEXT NOT NULL, version INTEGER NOT NULL,
  state BLOB NOT NULL, saved_at INTEGER NOT NULL, PRIMARY KEY (agent, store));
INSERT INTO alerts VALUES (1, 'vault01', 'archive', 'drop', 1, 'critical', 'firing',
  $drop, $drop, $drop, NULL, 70000000, 700, 0, -70000000, 0, -700,
  'archive lost 70 MB <script>alert("x")</script> & more', NULL, NULL, NULL, NULL, NULL);
INSERT INTO alerts VALUES (2, 'vault01', 'archive', 'leak', 1, 'warning', 'resolved',
  $((now - 40 * 3600)), $((now - 40 * 3600)), $((now - 30 * 3600)), $((now - 30 * 3600)),
  1000000, 10, 0, -1000000, 0, -10, 'slow leak, resolved', NULL, NULL, NULL, NULL, NULL);
INSERT INTO alert_events VALUES (1, 1, $drop, 'firing', 'lost 70 MB, expected 0 B, observed -70 MB');
INSERT INTO alert_events VALUES (2, 1, $((drop + 300)), 'updated', 'still missing: 700 objects');
INSERT INTO explanations VALUES (1, 'vault01', 'archive', $((now - 20 * 3600)), $((now - 18 * 3600)),
  5000000, NULL, 'court-ordered deletion, case 4711', 'jsmith', $((now - 21 * 3600)), NULL, NULL, NULL, NULL);
INSERT INTO audit VALUES (1, $drop, 'collector', 'alert-fired', 'alert 1', 'drop of 70 MB on vault01/archive');
INSERT INTO audit VALUES (2, $((drop + 600)), 'collector', 'notify', 'alert 1', 'email to evidence-team');
INSERT INTO outbox VALUES (1, 'email', 1, 'firing', '{}', $drop, 1, $now, $((now + 86400)), 'timeout');
INSERT INTO outbox VALUES (2, 'webhook', 1, 'firing', '{}', $drop, 0, $now, $((now + 86400)), NULL);
SQL
}

png_size() {
	python3 - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read(33)
if len(d) < 24 or d[:8] != b"\x89PNG\r\n\x1a\n" or d[12:16] != b"IHDR":
    sys.exit(1)
w, h = struct.unpack(">II", d[16:24])
print(f"{w}x{h}")
PY
}
