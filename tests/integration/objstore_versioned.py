#!/usr/bin/env python3
"""objstore_versioned.py PORT STATE - a versioned S3 bucket whose contents a
test changes between listings: it serves ListObjectVersions (?versions)
from the JSON file STATE, read afresh for every request (replace it with a
rename so a listing never sees half a change):
  {"objects": N, "deleted": D, "purged": P}
N objects obj000000.. of 1000 bytes were uploaded (last modified
2024-01-02); the first D of them were deleted the way a versioned bucket
deletes (a delete marker is now their latest version, the object stays as a
noncurrent version); the next P were deleted for good (every version removed:
nothing left to restore).  Pages hold at most 1000 entries, chained by
NextKeyMarker/NextVersionIdMarker.  No signature check (objstore_fake.py
does that).  Each request is appended to $LOG.  Test-only.
"""
import http.server
import json
import os
import sys
import time
import urllib.parse

STATE = sys.argv[2]
log = open(os.environ["LOG"], "a", buffering=1)
LM = "<LastModified>2024-01-02T03:04:05.000Z</LastModified>"


def entries():
    with open(STATE) as f:
        st = json.load(f)
    n, d, p = st["objects"], st.get("deleted", 0), st.get("purged", 0)
    for i in range(n):
        key = f"obj{i:06d}"
        if i < d:
            yield key, "m", (f"<DeleteMarker><Key>{key}</Key><VersionId>m</VersionId>"
                             f"<IsLatest>true</IsLatest>{LM}</DeleteMarker>")
            yield key, "v", (f"<Version><Key>{key}</Key><VersionId>v</VersionId>"
                             f"<IsLatest>false</IsLatest>{LM}<Size>1000</Size></Version>")
        elif i >= d + p:
            yield key, "v", (f"<Version><Key>{key}</Key><VersionId>v</VersionId>"
                             f"<IsLatest>true</IsLatest>{LM}<Size>1000</Size></Version>")


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
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query, keep_blank_values=True)
        log.write(f"{time.monotonic():.3f} {self.path}\n")
        if "versions" not in q:
            return self.send(400, b"<Error><Code>InvalidArgument</Code><Message>this bucket "
                                  b"is listed with ?versions</Message></Error>")
        after = (q.get("key-marker", [""])[0], q.get("version-id-marker", [""])[0])
        page, more = [], False
        for key, vid, xml in entries():
            if (key, vid) <= after:
                continue
            if len(page) == 1000:
                more = True
                break
            page.append((key, vid, xml))
        marker = (f"<NextKeyMarker>{page[-1][0]}</NextKeyMarker>"
                  f"<NextVersionIdMarker>{page[-1][1]}</NextVersionIdMarker>") if more else ""
        body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListVersionsResult>"
                f"<IsTruncated>{'true' if more else 'false'}</IsTruncated>{marker}" +
                "".join(x for _, _, x in page) + "</ListVersionsResult>").encode()
        self.send(200, body)


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
