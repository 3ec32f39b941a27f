#!/usr/bin/env python3
"""sw_wire.py - craft shrinkwatch protocol frames for tests (docs/protocol.md).

Usage: sw_wire.py PORT ACTION...   where each ACTION is one of
  hello NAME [INTERVAL]      send HELLO
  hello2 NAME [INTERVAL]     send HELLO of protocol version 2 (deletion reports)
  deletion STORE ID TIME EXE DIR
                             send DELETIONS (version 2) with one report: 3 files
                             deleted under DIR by pid 4242 (uid 0) running EXE
  sample STORE SEQ TIME      send SAMPLES with one sample (objects=1, bytes=100)
  samples STORES SEQ TIME [FLAGS]
                             send one SAMPLES frame: a sample of each of STORES
                             (comma-separated; NAME*N stands for NAME0..NAME<N-1>)
                             with seqs SEQ, SEQ+1, ... and the sample flags FLAGS
  read                       read one frame and print "TYPE field..." (ACK seq / ERROR code text)
  readwait SECONDS           the same, printing TIMEOUT if nothing came in time
  raw HEX                    send raw bytes
Prints what it read; exits 0 unless the connection could not be made.
"""
import socket, struct, sys

def s(x):
    b = x.encode('utf-8', 'surrogateescape')
    return struct.pack('>H', len(b)) + b

def frame(t, p, version=1):
    return b'SW' + bytes([version, t]) + struct.pack('>I', len(p)) + p

def hello(name, interval=60, version=1):
    return frame(1, s(name) + s('sw_wire.py') + struct.pack('>QII', 1, interval, 0), version)

def deletion(store, rid, t, exe, d):
    body = struct.pack('>Q', rid) + s(store) + struct.pack('>qqQQ', t, t, 3, 0) + s(d)
    body += struct.pack('>Iq', 4242, 0) + s(exe)
    return frame(5, struct.pack('>H', 1) + body, 2)

def sample_body(store, seq, t, flags=0):
    body = struct.pack('>Qq', seq, t) + s(store)
    body += struct.pack('>8Q', 1, 100, 0, 0, 1, 2, 3, 4)
    body += struct.pack('>IBI', flags, 0, 0) + s('') + struct.pack('>I', 1)
    return body

def sample(store, seq, t):
    return frame(2, struct.pack('>H', 1) + sample_body(store, seq, t))

def store_list(spec):
    out = []
    for part in spec.split(','):
        if '*' in part:
            name, n = part.split('*')
            out += ['%s%d' % (name, i) for i in range(int(n))]
        else:
            out.append(part)
    return out

def samples(spec, seq, t, flags=0):
    stores = store_list(spec)
    body = b''.join(sample_body(st, seq + i, t, flags) for i, st in enumerate(stores))
    return frame(2, struct.pack('>H', len(stores)) + body)

def read_frame(sock):
    hdr = b''
    while len(hdr) < 8:
        chunk = sock.recv(8 - len(hdr))
        if not chunk:
            return 'EOF'
        hdr += chunk
    (n,) = struct.unpack('>I', hdr[4:8])
    body = b''
    while len(body) < n:
        chunk = sock.recv(n - len(body))
        if not chunk:
            return 'EOF'
        body += chunk
    if hdr[3] == 3:
        return 'ACK %d' % struct.unpack('>Q', body)[0]
    if hdr[3] == 6:
        return 'DELACK %d' % struct.unpack('>Q', body)[0]
    if hdr[3] == 4:
        code, ln = struct.unpack('>HH', body[:4])
        return 'ERROR %d %s' % (code, body[4:4 + ln].decode('utf-8', 'replace'))
    return 'TYPE %d' % hdr[3]

def main(argv):
    sock = socket.create_connection(('127.0.0.1', int(argv[1])), timeout=10)
    args = argv[2:]
    while args:
        a = args.pop(0)
        try:
            if a in ('hello', 'hello2'):
                name = args.pop(0)
                interval = int(args.pop(0)) if args and args[0].isdigit() else 60
                sock.sendall(hello(name, interval, 2 if a == 'hello2' else 1))
            elif a == 'deletion':
                store, rid, t = args.pop(0), int(args.pop(0)), int(args.pop(0))
                sock.sendall(deletion(store, rid, t, args.pop(0), args.pop(0)))
            elif a == 'sample':
                sock.sendall(sample(args.pop(0), int(args.pop(0)), int(args.pop(0))))
            elif a == 'samples':
                spec, seq, t = args.pop(0), int(args.pop(0)), int(args.pop(0))
                flags = int(args.pop(0)) if args and args[0].isdigit() else 0
                sock.sendall(samples(spec, seq, t, flags))
            elif a == 'readwait':
                sock.settimeout(float(args.pop(0)))
                try:
                    print(read_frame(sock), flush=True)
                except socket.timeout:
                    print('TIMEOUT', flush=True)
                sock.settimeout(10)
            elif a == 'raw':
                sock.sendall(bytes.fromhex(args.pop(0)))
            elif a == 'read':
                print(read_frame(sock), flush=True)
        except (BrokenPipeError, ConnectionResetError):
            print('EOF')
            return 0
    sock.close()
    return 0

if __name__ == '__main__':
    sys.exit(main(sys.argv))
