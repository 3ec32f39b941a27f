#!/usr/bin/env python3
"""objstore_fake.py PORT SCRIPT - an S3 listing server that misbehaves on cue,
for what a real server will not do on demand: throttle (503 SlowDown, 429),
fail for good, answer a truncated page.  Test-only.

Pages: three ListObjectsV2 pages of 1000, 1000 and 500 objects of 10 bytes,
last modified 2024-01-02, chained by continuation tokens "p2", "p3".
SCRIPT is a comma-separated list of what each successive request gets:
"ok", "slowdown" (503 SlowDown), "429", "500", "cut" (the page cut in the
middle of a record); when the list runs out, every further request is "ok".
Each request is appended to $LOG as "TIME PAGE" (monotonic seconds).
"""
import http.server
import os
import sys
import time
import urllib.parse

PAGES = {None: (0, 1000, "p2"), "p2": (1000, 1000, "p3"), "p3": (2000, 500, None)}
script = [s for s in sys.argv[2].split(",") if s]
log = open(os.environ["LOG"], "a", buffering=1)


def page_xml(first, count, nxt):
    items = "".join(
        f"<Contents><Key>obj{i:06d}</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified>"
        f"<ETag>\"e{i}\"</ETag><Size>10</Size></Contents>" for i in range(first, first + count))
    trunc = "true" if nxt else "false"
    token = f"<NextContinuationToken>{nxt}</NextContinuationToken>" if nxt else ""
    return (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>b</Name>"
            f"<IsTruncated>{trunc}</IsTruncated>{items}{token}</ListBucketResult>").encode()


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        tok = q.get("continuation-token", [None])[0]
        log.write(f"{time.monotonic():.3f} {tok or 'p1'}\n")
        what = script.pop(0) if script else "ok"
        if what == "slowdown":
            return self.send(503, b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>")
        if what == "429":
            return self.send(429, b"<Error><Code>TooManyRequests</Code><Message>slow</Message></Error>")
        if what == "500":
            return self.send(500, b"<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>")
        body = page_xml(*PAGES[tok])
        if what == "cut":
            body = body[: len(body) // 2]
        self.send(200, body)


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
