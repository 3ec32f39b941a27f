#!/usr/bin/env python3
"""sw_agent3.py - a scripted agent speaking protocol version 1..3 (docs/protocol.md),
for the collector's side of exact accounting (tests/integration/test_exact_inventory.sh).

Usage: sw_agent3.py PORT AGENT VERSION SAMPLES.json [ITEMS.json | bulk:N]

Connects in plaintext, says HELLO in VERSION, prints every POLICY it gets
("POLICY store=retention ...") and sends the samples of SAMPLES.json (a list
of objects with the fields of struct sw_sample; "store", "time" and
"objects"/"bytes" at least; "flags" a list of names: has_added, btime, gap,
exact, young_split, listing, versioned, fresh_split, the last two adding
their version-3 tails), one frame each, waiting for the ACK of each
("ACK seq").  Then it stays connected and answers every INVREQ ("INVREQ
store from to max") with the items of ITEMS.json (a list of objects: path,
size, birth, removed_after, removed_before, pid, uid, exe; path may be
{"hex": ...} for bytes that are not UTF-8) whose bracket overlaps the
request, or with N generated items (bulk:N: dir{k}/case{j}.mp4), in frames
of at most 4096 items under 1 MiB.  It exits at EOF.
"""
import json, socket, struct, sys

FLAGS = {'has_added': 1, 'btime': 2, 'gap': 4, 'exact': 8, 'young_split': 16, 'listing': 32,
         'versioned': 64, 'fresh_split': 128}
SAMPLE_V1 = ['objects', 'bytes', 'added_objects', 'added_bytes', 'fs_used', 'fs_size',
             'fs_inodes', 'mount_id']
SAMPLE_V3 = ['removed_objects', 'removed_bytes', 'removed_young_objects',
             'removed_young_bytes', 'removed_min_age', 'shrunk_bytes', 'moved_objects',
             'moved_bytes', 'retention', 'journal_dropped']
# version-3 tails, each only with its flag, in this order (docs/protocol.md)
SAMPLE_LISTING = ['requests', 'noncurrent_objects', 'noncurrent_bytes', 'delete_markers']
SAMPLE_FRESH = ['fresh_age', 'removed_fresh_objects', 'removed_fresh_bytes',
                'removed_min_settled_age']


def s(x):
    b = x if isinstance(x, bytes) else x.encode('utf-8', 'surrogateescape')
    return struct.pack('>H', len(b)) + b


def frame(version, t, p):
    return b'SW' + bytes([version, t]) + struct.pack('>I', len(p)) + p


def hello(version, name):
    return frame(version, 1, s(name) + s('sw_agent3.py') + struct.pack('>QII', 7, 60, 0))


def sample(version, seq, x):
    flags = 0
    for f in x.get('flags', []):
        flags |= FLAGS[f]
    body = struct.pack('>Qq', seq, x['time']) + s(x['store'])
    body += struct.pack('>8Q', *[x.get(k, 0) for k in SAMPLE_V1])
    body += struct.pack('>IBI', flags, x.get('status', 0), 0) + s('') + struct.pack('>I', 1)
    if version >= 3:
        vals = [x.get(k, 0) for k in SAMPLE_V3]
        if 'removed_min_age' not in x:
            vals[4] = 2**64 - 1
        body += struct.pack('>10Q', *vals)
        if flags & FLAGS['listing']:
            body += struct.pack('>4Q', *[x.get(k, 0) for k in SAMPLE_LISTING])
        if flags & FLAGS['fresh_split']:
            vals = [x.get(k, 0) for k in SAMPLE_FRESH]
            if 'removed_min_settled_age' not in x:
                vals[3] = 2**64 - 1
            body += struct.pack('>4Q', *vals)
    return frame(3 if version >= 3 else 1, 2, struct.pack('>H', 1) + body)


def read_frame(sock):
    def exactly(n):
        b = b''
        while len(b) < n:
            c = sock.recv(n - len(b))
            if not c:
                return None
            b += c
        return b
    hdr = exactly(8)
    if hdr is None:
        return None, None
    (n,) = struct.unpack('>I', hdr[4:8])
    return hdr[3], exactly(n)


def string(body, off):
    (n,) = struct.unpack('>H', body[off:off + 2])
    return body[off + 2:off + 2 + n], off + 2 + n


def path_bytes(p):
    return bytes.fromhex(p['hex']) if isinstance(p, dict) else p.encode()


def item(x):
    b = struct.pack('>H', len(x['path'])) + x['path']
    b += struct.pack('>QqqqIq', x['size'], x['birth'], x['removed_after'], x['removed_before'],
                     x.get('pid', 0), x.get('uid', -1))
    exe = x.get('exe', '?').encode()
    return b + struct.pack('>H', len(exe)) + exe + bytes([0])


def inventory(req, status, total, items):
    p = struct.pack('>QBQIH', req, status, total, 0, len(items)) + b''.join(items)
    return frame(3, 9, p)


def answer(sock, req, frm, to, source):
    if source.startswith('bulk:'):
        n = int(source[5:])
        gen = ({'path': ('dir%03d/case%06d.mp4' % (i % 500, i)).encode(), 'size': 1000 + i,
                'birth': frm - 30, 'removed_after': frm - 60, 'removed_before': frm,
                'pid': 4312, 'uid': 0, 'exe': '/usr/bin/rsync'} for i in range(n))
    else:
        with open(source) as f:
            listed = json.load(f)
        gen = []
        for x in listed:
            x = dict(x)
            x['path'] = path_bytes(x['path'])
            if x['removed_before'] >= frm and x['removed_after'] <= to:
                gen.append(x)
    batch, size, total = [], 0, 0
    for x in gen:
        b = item(x)
        if len(batch) == 4096 or size + len(b) > 1000000:
            sock.sendall(inventory(req, 0, 0, batch))
            batch, size = [], 0
        batch.append(b)
        size += len(b)
        total += 1
    sock.sendall(inventory(req, 1, total, batch))
    print('ANSWERED %d items' % total, flush=True)


def main(argv):
    port, agent, version, samples = int(argv[1]), argv[2], int(argv[3]), argv[4]
    source = argv[5] if len(argv) > 5 else None
    sock = socket.create_connection(('127.0.0.1', port), timeout=120)
    sock.sendall(hello(version, agent))
    with open(samples) as f:
        todo = json.load(f)
    seq, expect = 0, 0
    while True:
        t, body = read_frame(sock)
        if t is None:
            print('EOF', flush=True)
            return 0
        if t == 7:
            (n,) = struct.unpack('>H', body[:2])
            off, out = 2, []
            for _ in range(n):
                name, off = string(body, off)
                (ret,) = struct.unpack('>Q', body[off:off + 8])
                off += 8
                out.append('%s=%d' % (name.decode(), ret))
            print('POLICY ' + ' '.join(out), flush=True)
        elif t == 3:
            (acked,) = struct.unpack('>Q', body)
            print('ACK %d' % acked, flush=True)
            if acked >= expect and todo:
                seq += 1
                expect = seq
                sock.sendall(sample(version, seq, todo.pop(0)))
        elif t == 4:
            code, n = struct.unpack('>HH', body[:4])
            print('ERROR %d %s' % (code, body[4:4 + n].decode('utf-8', 'replace')), flush=True)
            return 1
        elif t == 8:
            (req,) = struct.unpack('>Q', body[:8])
            store, off = string(body, 8)
            frm, to, mx = struct.unpack('>qqI', body[off:off + 20])
            print('INVREQ %s %d %d %d' % (store.decode(), frm, to, mx), flush=True)
            answer(sock, req, frm, to, source)
        else:
            print('TYPE %d' % t, flush=True)


if __name__ == '__main__':
    sys.exit(main(sys.argv))
