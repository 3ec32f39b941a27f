# history.sh - the demo's month of history, for `make demo` and the browser
# shellcheck shell=bash
# test (source it; needs $BUILD with the programs and build/bench/sendtrace).
#
#   HISTORY_AGENT, HISTORY_STORE, HISTORY_STEP
#                     evsrv01, bodycam, 300: who the history belongs to and
#                     its interval (the store RRD's step)
#   history_conf      prints the collector config section for that store:
#                     its retention (31 days) and purge hour (02:00 UTC), and
#                     a loss alert that stays open until someone acts on it
#   history_send DIR PORT PKI_DIR CONTROL_SOCKET
#                     models a month of the store (packaging/demo/history.py:
#                     DIR/store, DIR/trace-*.csv, DIR/events.sh) and sends
#                     it to the collector on 127.0.0.1:PORT as the agent,
#                     over mutual TLS with PKI_DIR/HISTORY_AGENT.crt
#                     (bench/sendtrace.c): first the samples up to the court
#                     order, then the declared deletion with
#                     `shrinkwatchctl explain`, then the rest.  The
#                     collector's detector judges every sample as it comes
#                     (its purges, the declared deletion, and the alert on
#                     the unexplained loss).  Sets HISTORY_SEQ to the last
#                     seq stored.  Takes a few seconds.
HISTORY_AGENT=evsrv01
HISTORY_STORE=bodycam
HISTORY_STEP=300

history_conf() {
	cat <<CONF
[store $HISTORY_AGENT/$HISTORY_STORE]
retention = 31d
purge_at = 02:00
# a month of 5-minute samples: a loss alert stays open for a week
# unless it is acknowledged or explained
resolve_after = 2016
CONF
}

history_send() {
	local dir=$1 port=$2 pki=$3 sock=$4 here mount out
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	python3 "$here/history.py" "$dir" --step "$HISTORY_STEP"
	# shellcheck source=/dev/null
	. "$dir/events.sh"
	mount=$(stat -c %d "$dir/store")
	send_part() {
		"$BUILD/bench/sendtrace" --port "$port" --agent "$HISTORY_AGENT" \
			--interval "$HISTORY_STEP" --tls "$pki" --mount-id "$mount" "$dir/$1"
	}
	send_part trace-1.csv >/dev/null
	"$BUILD/shrinkwatchctl" --socket "$sock" explain "$HISTORY_AGENT/$HISTORY_STORE" \
		--from "$decl_from" --to "$decl_to" --bytes "$decl_bytes" --objects "$decl_objects" \
		--reason "$decl_reason" >/dev/null
	out=$(send_part trace-2.csv)
	HISTORY_SEQ=${out#last_seq }
}
