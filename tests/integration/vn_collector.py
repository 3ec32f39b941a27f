#!/usr/bin/env python3
"""vn_collector.py - a collector that speaks protocol versions 1..MAXVER,
for test_accounts_compat.sh (docs/protocol.md, "Versions").

Usage: vn_collector.py PORT LOGFILE MAXVER [STORE RETENTION]
Plaintext on 127.0.0.1.  Refuses any frame whose version byte is above
MAXVER with ERROR 2 and closes, as an old collector's frame parser does.
MAXVER 2 is a version-2 collector: it takes DELETIONS (answers DELACK) and
version-1 SAMPLES, and refuses anything else.  MAXVER 3 is the version-3
side of the contract as the agent sees it: it answers a version-3 HELLO with
POLICY (STORE's RETENTION in seconds), takes version-3 SAMPLES, and when a
sample first shows removals younger than the retention it sends INVREQ for
that store over [the sample's time - 1, + 1] and logs the INVENTORY it gets
back.  Log lines (one per event):
  refused VERSION TYPE | hello VERSION | samples VERSION N LASTSEQ
  sample SEQ FLAGS REMOVED REMOVED_BYTES YOUNG MOVED SHRUNK RETENTION (v3)
  badflags SEQ FLAGS (a v1 sample with flags a v1/v2 collector refuses)
  deletions N | inventory STATUS TOTAL TRUNCATED COUNT | item PATH SIZE FLAGS
PATH is Python's repr() of the raw bytes, so hostile names log safely."""
import socket, struct, sys, threading

def s(x):
    b = x.encode() if isinstance(x, str) else x
    return struct.pack('>H', len(b)) + b

def frame(v, t, p):
    return b'SW' + bytes([v, t]) + struct.pack('>I', len(p)) + p

def read_exact(c, n):
    b = b''
    while len(b) < n:
        chunk = c.recv(n - len(b))
        if not chunk:
            return None
        b += chunk
    return b

class Cur:
    def __init__(self, b):
        self.b, self.o = b, 0
    def take(self, n):
        v = self.b[self.o:self.o + n]; self.o += n
        if len(v) != n:
            raise ValueError('short')
        return v
    def u8(self): return self.take(1)[0]
    def u16(self): return struct.unpack('>H', self.take(2))[0]
    def u32(self): return struct.unpack('>I', self.take(4))[0]
    def u64(self): return struct.unpack('>Q', self.take(8))[0]
    def i64(self): return struct.unpack('>q', self.take(8))[0]
    def str(self): return self.take(self.u16())

def serve(c, log, maxver, store, retention):
    asked = False
    ver = 1
    with c:
        while True:
            hdr = read_exact(c, 8)
            if hdr is None or hdr[:2] != b'SW':
                return
            if hdr[2] > maxver:
                log('refused %d %d' % (hdr[2], hdr[3]))
                c.sendall(frame(1, 4, struct.pack('>H', 2) + s('unsupported protocol version')))
                return
            (n,) = struct.unpack('>I', hdr[4:8])
            body = read_exact(c, n)
            if body is None:
                return
            cur = Cur(body)
            t = hdr[3]
            if t == 1:
                ver = hdr[2]
                log('hello %d' % ver)
                if ver >= 3:
                    c.sendall(frame(3, 7, struct.pack('>H', 1) + s(store) + struct.pack('>Q', retention)))
                c.sendall(frame(1, 3, struct.pack('>Q', 0)))
            elif t == 2:
                count = cur.u16()
                last = 0
                want = None
                for _ in range(count):
                    last = cur.u64(); when = cur.i64(); st = cur.str()
                    for _ in range(8): cur.u64()
                    flags = cur.u32(); cur.u8(); cur.u32(); cur.str(); cur.u32()
                    if hdr[2] < 3 and flags & ~7:
                        log('badflags %d %d' % (last, flags))
                    if hdr[2] >= 3:
                        x = [cur.u64() for _ in range(10)]
                        # the tails of the listing (32) and the fresh split (128)
                        for _ in range(4 * bool(flags & 32) + 4 * bool(flags & 128)):
                            cur.u64()
                        log('sample %d %d %d %d %d %d %d %d' % (last, flags, x[0], x[1], x[2], x[6], x[5], x[8]))
                        if x[2] and not asked:
                            want, at = st, when
                log('samples %d %d %d' % (hdr[2], count, last))
                c.sendall(frame(1, 3, struct.pack('>Q', last)))
                if want is not None:
                    asked = True
                    req = struct.pack('>Q', 7) + s(want) + struct.pack('>qqI', at - 1, at + 1, 0) + s('')
                    c.sendall(frame(3, 8, req))
            elif t == 5 and ver >= 2:
                count = cur.u16()
                last = 0
                for _ in range(count):
                    last = cur.u64(); cur.str(); cur.u64(); cur.u64(); cur.u64(); cur.u64()
                    cur.str(); cur.u32(); cur.u64(); cur.str()
                log('deletions %d' % count)
                c.sendall(frame(2, 6, struct.pack('>Q', last)))
            elif t == 9 and ver >= 3:
                req = cur.u64(); status = cur.u8(); total = cur.u64(); trunc = cur.u32()
                count = cur.u16()
                items = []
                for _ in range(count):
                    path = cur.str(); size = cur.u64(); cur.i64(); cur.i64(); cur.i64()
                    cur.u32(); cur.i64(); cur.str(); fl = cur.u8()
                    items.append((path, size, fl))
                for p, sz, fl in items:
                    log('item %r %d %d' % (p, sz, fl))
                log('inventory %d %d %d %d' % (status, total, trunc, count))
            else:
                log('unexpected %d' % t)
                return

def main():
    port, path, maxver = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    store = sys.argv[4] if len(sys.argv) > 4 else 'bodycam'
    retention = int(sys.argv[5]) if len(sys.argv) > 5 else 0
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
        threading.Thread(target=serve, args=(c, log, maxver, store, retention), daemon=True).start()

main()
