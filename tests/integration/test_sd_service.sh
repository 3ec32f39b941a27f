#!/usr/bin/env bash
# test_sd_service.sh - both daemons speak the systemd service protocol the
# shipped units rely on (Type=notify, WatchdogSec=, ExecReload=, socket
# activation), checked the way systemd sees it: a notify socket of our own in
# NOTIFY_SOCKET, WATCHDOG_USEC/WATCHDOG_PID set, and for the collector a
# listening socket passed as fd 3 with LISTEN_FDS/LISTEN_PID, as
# shrinkwatch-collector.socket does.  Asserts READY=1 with a STATUS=,
# STATUS= updates, WATCHDOG=1 pings, RELOADING=1 then READY=1 on SIGHUP,
# STOPPING=1 and exit 0 on SIGTERM, and that the collector serves agents on
# the passed socket instead of binding its configured address.
set -euo pipefail
: "${BUILD:?BUILD must name the build directory}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_sd_service.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

python3 - "$BUILD" "$tmp" <<'PY'
import os, select, signal, socket, subprocess, sys, time

build, tmp = sys.argv[1], sys.argv[2]
LIMIT = 30.0  # a guard against hanging, not a speed requirement
failures = 0

def note(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures += 1

class Notify:
    """systemd's end of NOTIFY_SOCKET."""
    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.seen = []

    def wait(self, pred, what, proc):
        """Waits for a message pred accepts; returns it or None."""
        end = time.monotonic() + LIMIT
        while time.monotonic() < end:
            # a daemon may send its last message and exit before we read it:
            # give up only once nothing is left on the socket
            exited = proc.poll() is not None
            r, _, _ = select.select([self.sock], [], [], 0 if exited else 0.2)
            if not r and exited:
                print(f"     the daemon exited ({proc.returncode}) waiting for {what}")
                return None
            if not r:
                continue
            msg = self.sock.recv(4096).decode(errors="replace")
            self.seen.append(msg)
            if pred(msg):
                return msg
        print(f"     no {what}; seen: {self.seen[-5:]!r}")
        return None

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port

def fields(msg):
    return dict(l.split("=", 1) for l in msg.split("\n") if "=" in l)

def start(argv, notify, listen_sock=None):
    env = dict(os.environ, NOTIFY_SOCKET=notify.path, WATCHDOG_USEC="400000")
    env.pop("JOURNAL_STREAM", None)
    env.pop("LISTEN_FDS", None)
    env.pop("LISTEN_PID", None)
    # sh exports its own pid and execs the daemon, so the pid systemd would
    # name in WATCHDOG_PID and LISTEN_PID is the daemon's.
    wrap = 'export WATCHDOG_PID=$$; '
    pass_fds = ()
    duped = False
    if listen_sock is not None:
        if listen_sock.fileno() != 3:
            os.dup2(listen_sock.fileno(), 3, inheritable=True)
            duped = True
        pass_fds = (3,)
        wrap += 'export LISTEN_FDS=1 LISTEN_PID=$$; '
    wrap += 'exec "$0" "$@"'
    err = open(os.path.join(tmp, os.path.basename(argv[0]) + ".stderr"), "w+")
    p = subprocess.Popen(["sh", "-c", wrap] + argv, env=env, pass_fds=pass_fds,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
    if duped:
        os.close(3)
    return p, err

def protocol(name, proc, notify, err, after_ready=None):
    m = notify.wait(lambda m: "READY=1" in m.split("\n"), f"{name}: READY=1", proc)
    note(m is not None and fields(m).get("STATUS", "") != "",
         f"{name}: READY=1 with a STATUS= ({fields(m).get('STATUS') if m else None!r})")
    if m is None:
        proc.kill()
        proc.wait()
        err.seek(0)
        print("     its stderr:\n" + "".join("     " + l for l in err.readlines()[-10:]))
        return
    if after_ready:
        after_ready()
    m = notify.wait(lambda m: m == "WATCHDOG=1", f"{name}: WATCHDOG=1", proc)
    note(m is not None, f"{name}: WATCHDOG=1 from the loop")
    m = notify.wait(lambda m: m == "WATCHDOG=1", f"{name}: a second WATCHDOG=1", proc)
    note(m is not None, f"{name}: WATCHDOG=1 again")
    proc.send_signal(signal.SIGHUP)
    m = notify.wait(lambda m: "RELOADING=1" in m.split("\n"), f"{name}: RELOADING=1", proc)
    note(m is not None and "MONOTONIC_USEC" in fields(m),
         f"{name}: SIGHUP sends RELOADING=1 with MONOTONIC_USEC")
    m = notify.wait(lambda m: "READY=1" in m.split("\n"), f"{name}: READY=1 after reload", proc)
    note(m is not None, f"{name}: READY=1 ends the reload")
    proc.send_signal(signal.SIGTERM)
    m = notify.wait(lambda m: "STOPPING=1" in m.split("\n"), f"{name}: STOPPING=1", proc)
    note(m is not None, f"{name}: SIGTERM sends STOPPING=1")
    try:
        rc = proc.wait(timeout=LIMIT)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait()
    note(rc == 0, f"{name}: exits 0 on SIGTERM (exit {rc})")

# ---- collector, socket-activated -----------------------------------------
activated = socket.socket()
activated.bind(("127.0.0.1", 0))
activated.listen(16)
act_port = activated.getsockname()[1]
conf_port = free_port()
os.mkdir(os.path.join(tmp, "data"))
conf = os.path.join(tmp, "collector.conf")
with open(conf, "w") as f:
    f.write(f"[collector]\nlisten = 127.0.0.1:{conf_port}\n"
            f"data_dir = {tmp}/data\ninsecure = yes\nmin_interval = 1s\n")
notify = Notify(os.path.join(tmp, "notify-collector"))
proc, err = start([os.path.join(build, "shrinkwatch-collector"), "-c", conf], notify, activated)
activated.close()

def collector_uses_passed_socket():
    c = socket.create_connection(("127.0.0.1", act_port), timeout=LIMIT)
    c.sendall(b"\xff" * 64)  # not a frame: the collector must hang up
    try:
        got = c.recv(4096)
        while got:
            got = c.recv(4096)
        closed = True
    except ConnectionResetError:
        closed = True
    except socket.timeout:
        closed = False
    c.close()
    note(closed, "collector: serves agents on the socket passed by systemd (fd 3)")
    s = socket.socket()
    refused = s.connect_ex(("127.0.0.1", conf_port)) != 0
    s.close()
    note(refused, "collector: does not also bind its configured listen address")

protocol("collector", proc, notify, err, collector_uses_passed_socket)
err.seek(0)
log = err.read()
note("shrinkwatch-collector[" in log,
     "collector: logs to stderr when not connected to the journal")

# ---- agent ------------------------------------------------------------------
store = os.path.join(tmp, "store")
os.makedirs(os.path.join(store, "case-1"))
with open(os.path.join(store, "case-1", "clip.mp4"), "wb") as f:
    f.write(b"\0" * 4096)
conf = os.path.join(tmp, "agent.conf")
with open(conf, "w") as f:
    f.write(f"[agent]\nname = sdtest\ninterval = 1s\nstate_dir = {tmp}/agent-state\n"
            f"[collector]\naddress = 127.0.0.1:{free_port()}\ninsecure = yes\n"
            f"[store evidence]\npath = {store}\n")
notify = Notify(os.path.join(tmp, "notify-agent"))
proc, err = start([os.path.join(build, "shrinkwatch-agent"), "-c", conf], notify)

def agent_reports_status():
    m = notify.wait(lambda m: "READY=1" not in m.split("\n") and "STATUS" in fields(m),
                    "agent: a STATUS= update", proc)
    note(m is not None, f"agent: STATUS= says what it is doing ({fields(m).get('STATUS') if m else None!r})")

protocol("agent", proc, notify, err, agent_reports_status)
err.seek(0)
note("shrinkwatch-agent[" in err.read(), "agent: logs to stderr when not connected to the journal")

sys.exit(1 if failures else 0)
PY
