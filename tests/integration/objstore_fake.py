#!/usr/bin/env python3
"""objstore_fake.py PORT SCRIPT - an S3 listing server that misbehaves on cue,
for what a real server will not do on demand: throttle (503 SlowDown, 429),
fail for good, answer a truncated page.  It also checks every request's AWS
Signature Version 4 (access key AK, secret SK, us-east-1) the way S3 does,
which s3rver does not, and answers 403 SignatureDoesNotMatch otherwise; and
it serves ListObjectVersions (?versions) for versioned-bucket counting.
Test-only.

Pages: three ListObjectsV2 pages of 1000, 1000 and 500 objects of 10 bytes,
last modified 2024-01-02, chained by continuation tokens that need escaping
("p2/+= x", "p3&?").  Versions: two pages; the first holds 3 current
objects, 2 noncurrent versions and 1 delete marker, with a NextKeyMarker that
is URL-encoded ("k%2Fm+1" = "k/m 1"); the second 1 current object.
SCRIPT is a comma-separated list of what each successive request gets:
"ok", "slowdown" (503 SlowDown), "429", "500", "cut" (the page cut in the
middle of a record); when the list runs out, every further request is "ok".
Each request is appended to $LOG as "TIME PAGE" (monotonic seconds).
"""
import hashlib
import hmac
import http.server
import os
import re
import sys
import time
import urllib.parse
from xml.sax.saxutils import escape

PAGES = {None: (0, 1000, "p2/+= x"), "p2/+= x": (1000, 1000, "p3&?"), "p3&?": (2000, 500, None)}
VERSIONS_1 = ("<ListVersionsResult><IsTruncated>true</IsTruncated><EncodingType>url</EncodingType>"
              "<NextKeyMarker>k%2Fm+1</NextKeyMarker><NextVersionIdMarker>v/1</NextVersionIdMarker>" +
              "".join(f"<Version><Key>cur{i}</Key><VersionId>a{i}</VersionId><IsLatest>true</IsLatest>"
                      f"<LastModified>2024-01-02T03:04:05.000Z</LastModified><Size>100</Size></Version>"
                      for i in range(3)) +
              "".join(f"<Version><Key>cur{i}</Key><VersionId>b{i}</VersionId><IsLatest>false</IsLatest>"
                      f"<LastModified>2024-01-01T03:04:05.000Z</LastModified><Size>7</Size></Version>"
                      for i in range(2)) +
              "<DeleteMarker><Key>gone</Key><VersionId>d</VersionId><IsLatest>true</IsLatest>"
              "<LastModified>2024-01-02T03:04:05.000Z</LastModified></DeleteMarker></ListVersionsResult>").encode()
VERSIONS_2 = (b"<ListVersionsResult><IsTruncated>false</IsTruncated><Version><Key>k/m 1</Key>"
              b"<VersionId>z</VersionId><IsLatest>true</IsLatest><LastModified>2024-01-02T03:04:05.000Z"
              b"</LastModified><Size>1000</Size></Version></ListVersionsResult>")


def aws_quote(v):
    return urllib.parse.quote(v, safe="-_.~")


def sigv4_ok(handler):
    """Recomputes the request's SigV4 signature as S3 does: canonical query
    sorted by name with every value escaped, the signed headers in order."""
    auth = handler.headers.get("Authorization", "")
    m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/aws4_request, "
                 r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$", auth)
    if not m or m.group(1) != "AK":
        return False
    day, region, signed, sig = m.group(2), m.group(3), m.group(4), m.group(5)
    u = urllib.parse.urlsplit(handler.path)
    params = urllib.parse.parse_qsl(u.query, keep_blank_values=True)
    cq = "&".join(f"{aws_quote(k)}={aws_quote(v)}" for k, v in sorted(params))
    ch = "".join(f"{h}:{' '.join(handler.headers.get(h, '').split())}\n" for h in signed.split(";"))
    phash = handler.headers.get("x-amz-content-sha256", hashlib.sha256(b"").hexdigest())
    creq = "\n".join(["GET", u.path, cq, ch, signed, phash])
    sts = "\n".join(["AWS4-HMAC-SHA256", handler.headers.get("x-amz-date", ""),
                     f"{day}/{region}/s3/aws4_request", hashlib.sha256(creq.encode()).hexdigest()])
    k = b"AWS4SK"
    for part in (day, region, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return hmac.compare_digest(hmac.new(k, sts.encode(), hashlib.sha256).hexdigest(), sig)
script = [s for s in sys.argv[2].split(",") if s]
log = open(os.environ["LOG"], "a", buffering=1)


def page_xml(first, count, nxt):
    items = "".join(
        f"<Contents><Key>obj{i:06d}</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified>"
        f"<ETag>\"e{i}\"</ETag><Size>10</Size></Contents>" for i in range(first, first + count))
    trunc = "true" if nxt else "false"
    token = f"<NextContinuationToken>{escape(nxt)}</NextContinuationToken>" if nxt else ""
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
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query, keep_blank_values=True)
        tok = q.get("continuation-token", [None])[0]
        log.write(f"{time.monotonic():.3f} {tok or 'p1'}\n")
        if not sigv4_ok(self):
            return self.send(403, b"<Error><Code>SignatureDoesNotMatch</Code><Message>The request "
                                  b"signature we calculated does not match the signature you provided.</Message></Error>")
        if "versions" in q:
            if "key-marker" not in q:
                return self.send(200, VERSIONS_1)
            if q["key-marker"] == ["k/m 1"] and q.get("version-id-marker") == ["v/1"]:
                return self.send(200, VERSIONS_2)
            return self.send(400, b"<Error><Code>InvalidArgument</Code><Message>bad marker</Message></Error>")
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
