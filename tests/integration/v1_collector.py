#!/usr/bin/env python3
"""v1_collector.py - a collector that speaks protocol version 1 only, as
shipped before deletion reports (docs/protocol.md, "Versions"), for
test_delwatch_compat.sh.

Usage: v1_collector.py PORT LOGFILE [FORGE_FILE]
Plaintext on 127.0.0.1.  Refuses any frame whose version byte is not 1 with
ERROR 2 and closes, as a version-1 collector's frame parser does; answers a
version-1 HELLO with ACK of the highest seq it acknowledged so far (0 at
first) and acknowledges every SAMPLES frame with its last seq.  Writes one
line per event to LOGFILE: "refused VERSION TYPE", "hello", "samples N
LASTSEQ FIRSTSEQ".

FORGE_FILE (for test_seq_forged.sh), read at every frame if it exists, plays
a collector whose record was forged: a line "hello N" answers HELLO with ACK
N, a line "samples N" acknowledges SAMPLES with N instead of their last seq,
and a line "forget" makes it forget what it acknowledged (an administrator
corrected its record)."""
import socket, struct, sys, threading

def s(x):
    b = x.encode()
    return struct.pack('>H', len(b)) + b

def frame(t, p):
    return b'SW' + bytes([1, t]) + struct.pack('>I', len(p)) + p

def read_exact(c, n):
    b = b''
    while len(b) < n:
        chunk = c.recv(n - len(b))
        if not chunk:
            return None
        b += chunk
    return b

stored = [0]

def forged(path):
    """The FORGE_FILE's lines as {word: value}, {} without one."""
    out = {}
    try:
        with open(path) as f:
            for line in f:
                w = line.split()
                if w:
                    out[w[0]] = int(w[1]) if len(w) > 1 else 0
    except (OSError, ValueError):
        pass
    return out

def serve(c, log, forge):
    with c:
        while True:
            hdr = read_exact(c, 8)
            if hdr is None:
                return
            if hdr[:2] != b'SW':
                return
            if hdr[2] != 1:
                log('refused %d %d' % (hdr[2], hdr[3]))
                c.sendall(frame(4, struct.pack('>H', 2) + s('unsupported protocol version')))
                return
            (n,) = struct.unpack('>I', hdr[4:8])
            body = read_exact(c, n)
            if body is None:
                return
            f = forged(forge) if forge else {}
            if 'forget' in f:
                stored[0] = 0
            if hdr[3] == 1:
                log('hello')
                c.sendall(frame(3, struct.pack('>Q', f.get('hello', stored[0]))))
            elif hdr[3] == 2:
                (count,) = struct.unpack('>H', body[:2])
                # the last sample's seq: samples are variable-length, so walk them
                off, last, first = 2, 0, None
                for _ in range(count):
                    last = struct.unpack('>Q', body[off:off + 8])[0]
                    first = last if first is None else first
                    off += 16
                    (ln,) = struct.unpack('>H', body[off:off + 2]); off += 2 + ln
                    off += 8 * 8 + 4 + 1 + 4
                    (ln,) = struct.unpack('>H', body[off:off + 2]); off += 2 + ln
                    off += 4
                log('samples %d %d %d' % (count, last, first))
                stored[0] = max(stored[0], last)
                c.sendall(frame(3, struct.pack('>Q', f.get('samples', last))))
            else:
                log('unexpected %d' % hdr[3])
                return

def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    forge = sys.argv[3] if len(sys.argv) > 3 else None
    lock = threading.Lock()
    def log(line):
        with lock, open(path, 'a') as f:
            f.write(line + '\n')
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(('127.0.0.1', port))
    srv.listen(8)
    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c, log, forge), daemon=True).start()

main()
