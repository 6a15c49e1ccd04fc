"""Captures signed requests from the official Alibaba Cloud SDKs.

Each SDK is pointed at a local HTTP server that records every request
(method, target, headers, body) and answers 200 with an empty JSON object.
The requests are written to tests/data/wire/sdk-requests.json, the
known-answer vectors of ramgate's signature verifiers: the signatures in
them were computed by the SDKs' own signers, never by ramgate.

Run from the repository root with the pinned SDKs installed:

    python3 tests/sdk/capture_vectors.py

The vectors are committed; this script documents where they came from and
re-creates them (the dates and nonces will differ).
"""

import base64
import http.server
import json
import threading

SECRET = "ramgate-test-secret"
AK = "LTAI5tRamgateTestKey01"
STS_TOKEN = "CAISramgate-test-security-token"

captured = []


class Recorder(http.server.BaseHTTPRequestHandler):
    def _record(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        captured.append(
            {
                "method": self.command,
                "target": self.path,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body_base64": base64.b64encode(body).decode(),
            }
        )
        payload = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-log-requestid", "capture")
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _record

    def log_message(self, *args):
        pass


def vector(name, secret, note):
    request = captured[-1]
    request.update({"name": name, "secret": secret, "note": note})
    return request


def sls(port, vectors):
    from aliyun.log import LogClient, LogItem, PutLogsRequest

    client = LogClient("127.0.0.1:%d" % port, AK, SECRET, securityToken=STS_TOKEN, source="capture")
    client._isRowIp = True  # the workaround of wire-protocols.md §1.1 (a)
    item = LogItem(timestamp=1700000000, contents=[("request", "GET /item/1"), ("status", "200")])
    client.put_logs(PutLogsRequest("app", "orders", "nginx", "10.0.0.1", [item]))
    vectors.append(vector("sls-v1-put-logs-lz4-sts", SECRET, "PutLogs, LZ4 raw block, protobuf LogGroup, STS token"))
    plain = LogClient("127.0.0.1:%d" % port, AK, SECRET, source="capture")
    plain._isRowIp = True
    plain.create_logstore(
        "app",
        "orders",
        shard_count=2,
        encrypt_conf={
            "enable": True,
            "encrypt_type": "m4",
            "user_cmk_info": {
                "cmk_key_id": "key-1",
                "arn": "acs:ram::1234567890123456:role/sls-byok",
                "region_id": "cn-hangzhou",
            },
        },
    )
    vectors.append(vector("sls-v1-create-logstore", SECRET, "CreateLogStore with encrypt_conf, JSON body"))
    try:
        plain.pull_logs("app", "orders", 0, "MTU0Nw== x/+", count=10)
    except Exception:
        pass  # the recorder's reply is no PullLogs answer; the request is what counts
    vectors.append(vector("sls-v1-pull-logs-query", SECRET, "PullLogs: a cursor with =, space, / and + in the query"))
    try:
        plain.get_cursor("app", "orders", 1, "begin")
    except Exception:
        pass
    vectors.append(vector("sls-v1-get-cursor", SECRET, "GetCursor: a GET with Content-Type"))


def tea(port, vectors, algorithm):
    from alibabacloud_kms20160120.client import Client
    from alibabacloud_kms20160120 import models
    from alibabacloud_tea_openapi import models as open_api_models

    config = open_api_models.Config(
        access_key_id=AK,
        access_key_secret=SECRET,
        endpoint="127.0.0.1:%d" % port,
        protocol="http",
    )
    if algorithm:
        config.signature_algorithm = algorithm
    client = Client(config)
    try:
        client.create_key(models.CreateKeyRequest(description="demo key *~", key_spec="Aliyun_AES_256", key_usage="ENCRYPT/DECRYPT"))
    except Exception:
        pass
    name = "pop-rpc-v1-tea-create-key" if algorithm else "acs3-tea-create-key"
    vectors.append(vector(name, SECRET, "KMS CreateKey through the Tea SDK, signature %s" % (algorithm or "ACS3-HMAC-SHA256")))


def tea_sts(port, vectors):
    from alibabacloud_sts20150401.client import Client
    from alibabacloud_sts20150401 import models
    from alibabacloud_tea_openapi import models as open_api_models

    config = open_api_models.Config(
        access_key_id="STS.NUramgateTestKey",
        access_key_secret=SECRET,
        security_token=STS_TOKEN,
        endpoint="127.0.0.1:%d" % port,
        protocol="http",
    )
    try:
        Client(config).assume_role(
            models.AssumeRoleRequest(
                role_arn="acs:ram::1234567890123456:role/sls-byok",
                role_session_name="alice session",
                duration_seconds=3600,
            )
        )
    except Exception:
        pass
    vectors.append(vector("acs3-tea-assume-role-sts", SECRET, "STS AssumeRole through the Tea SDK with an STS token"))


def core(port, vectors):
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkkms.request.v20160120.CreateKeyRequest import CreateKeyRequest

    client = AcsClient(AK, SECRET, "cn-hangzhou")
    request = CreateKeyRequest()
    request.set_protocol_type("http")
    request.set_Description("demo key *~")
    request.set_KeySpec("Aliyun_AES_256")
    client._endpoint_resolver = None
    request.set_endpoint("127.0.0.1:%d" % port)
    try:
        client.do_action_with_exception(request)
    except Exception:
        pass
    vectors.append(vector("pop-rpc-v1-core-create-key", SECRET, "KMS CreateKey through aliyun-python-sdk-core (RPC v1, HMAC-SHA1)"))


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    vectors = []
    sls(port, vectors)
    tea(port, vectors, None)
    tea(port, vectors, "v2")
    tea_sts(port, vectors)
    core(port, vectors)
    server.shutdown()
    out = {
        "sdks": "aliyun-log-python-sdk==0.9.52 alibabacloud-tea-openapi==0.4.6 alibabacloud-kms20160120==3.3.1 alibabacloud-sts20150401==1.2.0 aliyun-python-sdk-core==2.16.1 aliyun-python-sdk-kms==2.16.5",
        "access_key_id": AK,
        "requests": vectors,
    }
    with open("tests/data/wire/sdk-requests.json", "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    for v in vectors:
        print(v["name"], v["method"], v["target"][:80])


if __name__ == "__main__":
    main()
