#!/usr/bin/env bash
# test_pipeline.sh - agent -> collector -> alert -> notifiers, with real parts:
# a real agent watches a store and files are deleted behind its back; the
# collector's alert reaches a REAL Prometheus Alertmanager (started here on
# 127.0.0.1 with a temporary config and storage, clustering off), visible
# through its API with our labels, and leaves Alertmanager's active alerts
# once explained with shrinkwatchctl.  A webhook receiver that answers 503
# at first gets the alert anyway, byte for byte as first sent, although the
# collector is killed with SIGKILL between the failed attempts and the
# delivery.
. "$(dirname "$0")/lib.sh"

AM=/usr/bin/prometheus-alertmanager
[ -x "$AM" ] || { echo "SKIP: $AM is not installed (make deps installs prometheus-alertmanager)"; exit 0; }

CTL="$BUILD/shrinkwatchctl"
sock=$T/control.sock
port=$(free_port)
am_port=$(free_port)
hook_port=$(free_port)
mkdir -p "$T/store" "$T/data" "$T/state" "$T/am" "$T/hook"
for i in $(seq 40); do head -c 20000 /dev/urandom >"$T/store/clip$i.mp4"; done

# --- a real Alertmanager --------------------------------------------------
cat >"$T/am/alertmanager.yml" <<'YML'
route:
  receiver: blackhole
  group_wait: 1h
receivers:
  - name: blackhole
YML
start alertmanager "$AM" --config.file="$T/am/alertmanager.yml" --storage.path="$T/am/data" \
	--web.listen-address="127.0.0.1:$am_port" --cluster.listen-address=
# http_get URL: the body, or failure
http_get() { python3 -c 'import sys,urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1"; }
wait_for 60 "alertmanager ready" http_get "http://127.0.0.1:$am_port/-/ready"
ok "alertmanager listening on 127.0.0.1:$am_port"

# --- a webhook receiver that fails while $T/hook/fail exists -------------
cat >"$T/hook/receiver.py" <<'PY'
import http.server, os, sys
d = os.path.dirname(os.path.abspath(__file__))
class H(http.server.BaseHTTPRequestHandler):
    n = 0
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        H.n += 1
        failing = os.path.exists(os.path.join(d, 'fail'))
        name = '%s.%03d' % ('failed' if failing else 'accepted', H.n)
        with open(os.path.join(d, name), 'wb') as f:
            f.write(body)
        self.send_response(503 if failing else 200)
        self.send_header('Content-Length', '0')
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
PY
touch "$T/hook/fail"
start receiver python3 "$T/hook/receiver.py" "$hook_port"

# the purge hour far from now, so no purge window explains our deletions
purge_hour=$(( (10#$(date -u +%H) + 12) % 24 ))
collector_conf "$T/collector.conf" "$port" "$T/data" "control = $sock
repeat_interval = 1h
[detect]
interval = 1s
silence_intervals = 30
purge_at = $(printf %02d "$purge_hour"):00
purge_window = 1m
drop_min_bytes = 1k
drop_min_objects = 2
resolve_after = 100000
[notify am]
type = alertmanager
url = http://127.0.0.1:$am_port
resend_interval = 5s
[notify hook]
type = webhook
url = http://127.0.0.1:$hook_port/shrinkwatch
timeout = 5s"
agent_conf "$T/agent.conf" evsrv01 "$port" "$T/state" 1s "bodycam=$T/store"

ctl() { "$CTL" --socket "$sock" "$@"; }
json_get() { python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
open_drop() { ctl alerts --json | json_get "next((a['id'] for a in j['alerts'] if a['kind']=='drop'), '')"; }
has_drop() { [ -n "$(open_drop)" ]; }
stored() { ctl status --json | json_get "[s['objects'] for s in j['stores'] if s['store']=='bodycam'][0]"; }
stored_is() { [ "$(stored)" = "$1" ]; }
# am_alert ID [QUERY]: Alertmanager's view of our alert as "agent store kind
# alertname severity state", empty if it has none
am_alert() {
	http_get "http://127.0.0.1:$am_port/api/v2/alerts${2:-}" | python3 -c '
import json, sys
for a in json.load(sys.stdin):
    l = a["labels"]
    if l.get("alert_id") == sys.argv[1]:
        print(l["agent"], l["store"], l["kind"], l["alertname"], l["severity"], a["status"]["state"])' "$1"
}

start collector "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
COLL=$LAST_PID
wait_for 10 "control socket" test -S "$sock"
start agent "$BUILD/shrinkwatch-agent" -c "$T/agent.conf"
wait_for 20 "first samples stored" stored_is 40
sleep 3 # a few complete samples: the detector has a previous total

# --- an unexplained drop --------------------------------------------------
rm -f "$T"/store/clip{1..5}.mp4
wait_for 20 "a drop alert" has_drop
id=$(open_drop)
ok "drop alert $id firing"

in_am() { [ "$(am_alert "$id")" = "evsrv01 bodycam drop ShrinkwatchUnexplainedLoss critical active" ]; }
wait_for 20 "alert $id in Alertmanager" in_am
ok "alert $id active in Alertmanager with its labels"

# --- the webhook fails, the collector is killed, the alert still arrives -
failed_attempts() { ls "$T/hook" | grep -c '^failed\.' || true; }
failed_at_least() { [ "$(failed_attempts)" -ge "$1" ]; }
wait_for 20 "a failed webhook attempt" failed_at_least 1
stop "$COLL" KILL
rm -f "$sock"
ok "collector killed with SIGKILL after $(failed_attempts) failed attempt(s)"
n=$(failed_attempts)
start collector2 "$BUILD/shrinkwatch-collector" -c "$T/collector.conf"
COLL=$LAST_PID
wait_for 10 "control socket after kill -9" test -S "$sock"
# the open alert goes back to the Alertmanager notifier's re-send set at once,
# so Alertmanager does not resolve it for lack of refresh
wait_for 10 "open alerts primed after the restart" \
	grep -q "1 open alerts handed to the alertmanager notifiers" "$T/collector2.log"
wait_for 40 "a retry after the restart" failed_at_least $((n + 1))
ok "the restarted collector retried the webhook"
rm -f "$T/hook/fail"
accepted() { ls "$T/hook" | grep -q '^accepted\.'; }
wait_for 90 "the webhook accepted the alert" accepted
first=$(ls "$T/hook" | grep '^failed\.' | sort | head -n 1)
got=$(ls "$T/hook" | grep '^accepted\.' | sort | head -n 1)
cmp -s "$T/hook/$first" "$T/hook/$got" || fail "delivered body differs from the first attempt's"
grep -q "\"id\":$id," "$T/hook/$got" || fail "webhook body lacks alert id $id: $(cat "$T/hook/$got")"
grep -q '"state":"firing"' "$T/hook/$got" || fail "webhook body is not the firing transition"
ok "webhook got alert $id exactly as first sent, across a kill -9"

# --- Alertmanager after the restart: the alert stays active ------------------
in_am || fail "alert $id no longer active in Alertmanager after the restart: $(am_alert "$id")"

# --- explained: Alertmanager no longer has it active ---------------------
ctl explain --alert "$id" --reason "case 4711 closed, clips released by court order" >/dev/null
gone_from_am() { [ -z "$(am_alert "$id" '?active=true')" ]; }
wait_for 40 "alert $id resolved in Alertmanager" gone_from_am
ok "explained alert $id is no longer active in Alertmanager"
