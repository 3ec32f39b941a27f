#!/usr/bin/env python3
"""objstore_put.py - puts and deletes objects on a local S3 server (SigV4) or
Azurite (SharedKey), with the standard library only, over one keep-alive
connection (fast enough to fill a bucket with 100,000 objects).

  objstore_put.py s3 ENDPOINT BUCKET ACCESS SECRET put  PREFIX COUNT SIZE [START]
  objstore_put.py s3 ENDPOINT BUCKET ACCESS SECRET del  PREFIX COUNT [START]
  objstore_put.py s3 ENDPOINT BUCKET ACCESS SECRET mkbucket
  objstore_put.py s3 ENDPOINT BUCKET ACCESS SECRET putkey KEY-AS-PYTHON-LITERAL SIZE
  objstore_put.py s3 ENDPOINT BUCKET ACCESS SECRET delkey KEY-AS-PYTHON-LITERAL
  objstore_put.py azure ENDPOINT CONTAINER ACCOUNT KEY (same verbs)

Keys are PREFIX + a six-digit number (START, START+1, ...).  Objects hold SIZE
zero bytes.  Test-only: the agent itself never writes to a store.
"""
import ast
import base64
import datetime
import hashlib
import hmac
import http.client
import sys
import urllib.parse


def s3_sign(method, host, path, query, access, secret, payload):
    now = datetime.datetime.now(datetime.timezone.utc)
    amzdate = now.strftime("%Y%m%dT%H%M%SZ")
    day = now.strftime("%Y%m%d")
    phash = hashlib.sha256(payload).hexdigest()
    headers = {"host": host, "x-amz-content-sha256": phash, "x-amz-date": amzdate}
    signed = ";".join(sorted(headers))
    canon = "\n".join([method, path, query,
                       "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)), signed, phash])
    scope = f"{day}/us-east-1/s3/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amzdate, scope,
                     hashlib.sha256(canon.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (day, "us-east-1", "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={access}/{scope}, "
                                f"SignedHeaders={signed}, Signature={sig}")
    return headers


def azure_sign(method, account, key, path, query, length):
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")
    headers = {"x-ms-date": date, "x-ms-version": "2021-08-06"}
    if method == "PUT" and "restype" not in query:
        headers["x-ms-blob-type"] = "BlockBlob"
    canon_h = "".join(f"{k}:{headers[k]}\n" for k in sorted(headers))
    params = urllib.parse.parse_qsl(query, keep_blank_values=True)
    canon_r = f"/{account}{path}" + "".join(f"\n{k}:{v}" for k, v in sorted(params))
    sts = (f"{method}\n\n\n{length if length else ''}\n\n"
           f"{'application/octet-stream' if length else ''}\n\n\n\n\n\n\n" + canon_h + canon_r)
    sig = base64.b64encode(hmac.new(base64.b64decode(key), sts.encode(),
                                    hashlib.sha256).digest()).decode()
    headers["Authorization"] = f"SharedKey {account}:{sig}"
    if length:
        headers["Content-Type"] = "application/octet-stream"
    headers["Content-Length"] = str(length)
    return headers


def main():
    kind, endpoint, bucket, ident, secret, verb = sys.argv[1:7]
    args = sys.argv[7:]
    u = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    host = u.netloc
    base = u.path.rstrip("/")

    def request(method, key, payload=b"", query=""):
        path = f"{base}/{bucket}" + ("/" + urllib.parse.quote(key.encode("utf-8", "surrogateescape"), safe="/~") if key is not None else "")
        if kind == "s3":
            headers = s3_sign(method, host, path, query, ident, secret, payload)
        else:
            account = ident
            headers = azure_sign(method, account, secret, path, query, len(payload))
        conn.request(method, path + ("?" + query if query else ""), body=payload, headers=headers)
        r = conn.getresponse()
        body = r.read()
        if r.status >= 300 and not (method == "DELETE" and r.status == 404):
            sys.exit(f"{method} {path}: HTTP {r.status} {body[:300]!r}")

    if verb == "mkbucket":
        if kind == "s3":
            request("PUT", None)
        else:
            request("PUT", None, query="restype=container")
        return
    if verb in ("putkey", "delkey"):
        key = ast.literal_eval(args[0])
        if isinstance(key, bytes):
            key = key.decode("utf-8", "surrogateescape")
        if verb == "putkey":
            request("PUT", key, b"\0" * int(args[1]))
        else:
            request("DELETE", key)
        return
    prefix, count = args[0], int(args[1])
    if verb == "put":
        size = int(args[2])
        start = int(args[3]) if len(args) > 3 else 0
        body = b"\0" * size
        for i in range(start, start + count):
            request("PUT", f"{prefix}{i:06d}", body)
    elif verb == "del":
        start = int(args[2]) if len(args) > 2 else 0
        for i in range(start, start + count):
            request("DELETE", f"{prefix}{i:06d}")
    else:
        sys.exit(f"unknown verb {verb}")


if __name__ == "__main__":
    main()
