#!/usr/bin/env python3
"""dig_collector.py - a version-3 collector that asks for copy digests, for
test_copy_digests.sh (docs/protocol.md, "Digests").

Usage: dig_collector.py PORT LOGFILE REQFILE
Plaintext on 127.0.0.1.  Answers HELLO with an empty POLICY and ACK, ACKs
every SAMPLES frame, and after each one sends the requests written to
REQFILE since (one a line: "ID FLAGS STORE [DIR]", DIR may hold spaces; the
file is emptied once read).  Log lines:
  sample STORE TIME
  digests ID STATUS SCAN_TIME SELFHEX FILES BYTES COUNT TEXT
  entry ID KIND SIZE FILES BIRTH NAMEHASHHEX DIGESTHEX NAME
NAME is Python's repr() of the raw bytes, so hostile names log safely; the
collector also checks that a name, when sent, hashes to its name_hash."""
import hashlib, os, socket, struct, sys, threading


def s(x):
    b = x.encode('utf-8', 'surrogateescape') if isinstance(x, str) else x
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
        v = self.b[self.o:self.o + n]
        self.o += n
        if len(v) != n:
            raise ValueError('short')
        return v

    def u8(self): return self.take(1)[0]
    def u16(self): return struct.unpack('>H', self.take(2))[0]
    def u32(self): return struct.unpack('>I', self.take(4))[0]
    def u64(self): return struct.unpack('>Q', self.take(8))[0]
    def i64(self): return struct.unpack('>q', self.take(8))[0]
    def str(self): return self.take(self.u16())


def pending(reqfile):
    try:
        with open(reqfile, 'r+', encoding='utf-8', errors='surrogateescape') as f:
            lines = f.read().splitlines()
            f.seek(0)
            f.truncate()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        parts = line.split(' ', 3)
        if len(parts) >= 3:
            out.append((int(parts[0]), int(parts[1]), parts[2], parts[3] if len(parts) > 3 else ''))
    return out


def serve(c, log, reqfile):
    with c:
        while True:
            hdr = read_exact(c, 8)
            if hdr is None or hdr[:2] != b'SW':
                return
            (n,) = struct.unpack('>I', hdr[4:8])
            body = read_exact(c, n)
            if body is None:
                return
            cur = Cur(body)
            t = hdr[3]
            if t == 1:
                if hdr[2] < 3:
                    log('old %d' % hdr[2])
                    return
                c.sendall(frame(3, 7, struct.pack('>H', 0)))
                c.sendall(frame(1, 3, struct.pack('>Q', 0)))
            elif t == 2:
                count = cur.u16()
                last = 0
                for _ in range(count):
                    last = cur.u64(); when = cur.i64(); st = cur.str()
                    for _ in range(8): cur.u64()
                    flags = cur.u32(); cur.u8(); cur.u32(); cur.str(); cur.u32()
                    if hdr[2] >= 3:
                        # the exact figures, then the tails of the listing
                        # (32) and the fresh split (128)
                        for _ in range(10 + 4 * bool(flags & 32) + 4 * bool(flags & 128)):
                            cur.u64()
                    log('sample %s %d' % (st.decode(), when))
                c.sendall(frame(1, 3, struct.pack('>Q', last)))
                for rid, flags, store, d in pending(reqfile):
                    c.sendall(frame(3, 10, struct.pack('>Q', rid) + s(store) + s(d) + bytes([flags])))
            elif t == 5:
                count = cur.u16()
                last = 0
                for _ in range(count):
                    last = cur.u64(); cur.str(); cur.u64(); cur.u64(); cur.u64(); cur.u64()
                    cur.str(); cur.u32(); cur.u64(); cur.str()
                c.sendall(frame(2, 6, struct.pack('>Q', last)))
            elif t == 11:
                rid = cur.u64(); status = cur.u8(); when = cur.i64(); selfd = cur.take(32)
                files = cur.u64(); nbytes = cur.u64(); text = cur.str(); count = cur.u32()
                lines = []
                for _ in range(count):
                    nh = cur.take(16); kind = chr(cur.u8()); size = cur.u64(); nf = cur.u64()
                    birth = cur.i64(); dg = cur.take(32); name = cur.str()
                    if name and hashlib.sha256(name).digest()[:16] != nh:
                        log('badhash %d %r' % (rid, name))
                    lines.append('entry %d %s %d %d %d %s %s %r' % (rid, kind, size, nf, birth,
                                                                 nh.hex(), dg.hex(), name))
                if cur.o != len(body):
                    log('trailing %d' % rid)
                for line in lines:
                    log(line)
                log('digests %d %d %d %s %d %d %d %s' % (rid, status, when, selfd.hex(), files,
                                                        nbytes, count,
                                                        text.decode('utf-8', 'replace')))
            else:
                log('unexpected %d' % t)
                return


def main():
    port, path, reqfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
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
        threading.Thread(target=serve, args=(c, log, reqfile), daemon=True).start()


main()
