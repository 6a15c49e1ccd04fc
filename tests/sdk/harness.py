"""What every conformance test shares: a `ramgate serve` process on a fresh
data directory, the official SDK clients pointed at it, and a timeout
around every SDK call.

Only the official packages talk to the server (pinned in requirements.txt);
the harness itself uses the `ramgate` binary for what an operator does
before a server starts (`init`, `ram create-access-key`) and after it stops
(`audit verify`).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

ACCOUNT = "1234567890123456"
REGION = "cn-hangzhou"
BIN = os.environ.get("RAMGATE_BIN", "ramgate")

# How long one SDK call may take. A call that the SDK retries (a 5xx, a
# connection error) runs into it and fails the test instead of hanging.
CALL_TIMEOUT = 30


class CallTimeout(AssertionError):
    """An SDK call that did not return in time: a retry loop, a hang."""


def call(fn, *args, timeout=CALL_TIMEOUT, **kwargs):
    """Runs `fn(*args, **kwargs)` on a thread and waits at most `timeout`
    seconds: the SDKs have no overall deadline of their own."""
    box = {}

    def run():
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as e:  # re-raised on the caller's thread
            box["error"] = e

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise CallTimeout("%s did not return within %d s" % (getattr(fn, "__name__", fn), timeout))
    if "error" in box:
        raise box["error"]
    return box.get("value")


def ramgate(*args, data_dir, check=True):
    """Runs the `ramgate` binary on `data_dir`; returns its stdout."""
    out = subprocess.run(
        [BIN, *args, "--data-dir", data_dir],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and out.returncode != 0:
        raise AssertionError("ramgate %s exited %d: %s" % (" ".join(args), out.returncode, out.stderr))
    return out


class Server:
    """`ramgate serve` on `data_dir` and a free port, until `stop`."""

    def __init__(self, data_dir, clock_offset=0):
        self.data_dir = data_dir
        argv = [BIN, "serve", "--data-dir", data_dir, "--listen", "127.0.0.1:0"]
        if clock_offset:
            argv += ["--clock-offset", str(clock_offset)]
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        line = call(self.process.stdout.readline, timeout=60)
        match = re.search(r"listening on http://(127\.0\.0\.1:(\d+))", line or "")
        if not match:
            self.process.kill()
            raise AssertionError("serve did not start: %r %s" % (line, self.log()))
        self.endpoint = match.group(1)
        self.port = int(match.group(2))
        health = json.loads(urllib.request.urlopen("http://%s/ramgate/health" % self.endpoint, timeout=10).read())
        assert os.path.samefile(health["dataDir"], data_dir), health

    def log(self):
        """Everything the server wrote to stderr so far (one line a request)."""
        self.stderr.seek(0)
        return self.stderr.read()

    def stop(self):
        """SIGTERM, then the exit status, which must be 0: a graceful stop."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                raise AssertionError("serve did not stop on SIGTERM")
        if self.process.returncode != 0:
            raise AssertionError("serve exited %d: %s" % (self.process.returncode, self.log()))


class DataDir:
    """A fresh data directory with root credentials made by the operator."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="ramgate-sdk-")
        os.rmdir(self.path)
        ramgate("init", "--account", ACCOUNT, "--region", REGION, data_dir=self.path)
        keys = json.loads(ramgate("ram", "create-access-key", "--root", "--format", "json", data_dir=self.path).stdout)
        self.root_key = (keys["AccessKeyId"], keys["AccessKeySecret"])

    def remove(self):
        shutil.rmtree(self.path, ignore_errors=True)


class ServerTest(unittest.TestCase):
    """A test class with one data directory and one server for all its tests,
    which run in name order (`test_01_…`, `test_02_…`)."""

    clock_offset = 0

    @classmethod
    def setUpClass(cls):
        cls.data = DataDir()
        cls.server = Server(cls.data.path, cls.clock_offset)
        try:
            cls.prepare()
        except BaseException:
            cls.server.process.kill()
            cls.data.remove()
            raise

    @classmethod
    def prepare(cls):
        """What the class's tests share, made through the SDKs."""

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
            verify = ramgate("audit", "verify", data_dir=cls.data.path, check=False)
            if verify.returncode != 0:
                raise AssertionError("audit verify after the suite: %s %s" % (verify.stdout, verify.stderr))
        finally:
            cls.data.remove()

    @classmethod
    def restart(cls, clock_offset=0):
        """Stops the server and starts another on the same directory."""
        cls.server.stop()
        cls.server = Server(cls.data.path, clock_offset)

    # Clients -----------------------------------------------------------

    @classmethod
    def log_client(cls, key, token=None):
        """The Log Service SDK's client, reaching the server as §1.1 (a)
        of wire-protocols.md says: `_isRowIp` on, so the project goes only
        into `Host`."""
        from aliyun.log import LogClient

        client = LogClient(cls.server.endpoint, key[0], key[1], securityToken=token, source="ramgate-sdk-test")
        client._isRowIp = True
        return client

    @classmethod
    def tea_config(cls, key, token=None):
        from alibabacloud_tea_openapi.models import Config

        return Config(
            access_key_id=key[0],
            access_key_secret=key[1],
            security_token=token,
            endpoint=cls.server.endpoint,
            protocol="http",
            region_id=REGION,
        )

    @classmethod
    def kms(cls, key, token=None):
        from alibabacloud_kms20160120.client import Client

        return Client(cls.tea_config(key, token))

    @classmethod
    def ram(cls, key, token=None):
        from alibabacloud_ram20150501.client import Client

        return Client(cls.tea_config(key, token))

    @classmethod
    def sts(cls, key, token=None):
        from alibabacloud_sts20150401.client import Client

        return Client(cls.tea_config(key, token))

    @classmethod
    def core(cls, key):
        """The old core SDK (POP RPC v1, HMAC-SHA1) and a function that
        points a request at the server over plain HTTP."""
        from aliyunsdkcore.client import AcsClient

        client = AcsClient(key[0], key[1], REGION)

        def local(request):
            request.set_endpoint(cls.server.endpoint)
            request.set_protocol_type("http")
            return request

        return client, local

    # Assertions --------------------------------------------------------

    def assertLogRefused(self, fn, *args, code=None, contains=None, **kwargs):
        """The SLS SDK raised a LogException with a 4xx status (so it did
        not retry), Alibaba's `code`, a request id, and a message naming
        the step when `contains` is given."""
        from aliyun.log import LogException

        with self.assertRaises(LogException) as raised:
            call(fn, *args, **kwargs)
        e = raised.exception
        self.assertTrue(400 <= int(e.resp_status) < 500, "status %s: %s" % (e.resp_status, e))
        self.assertTrue(e.get_request_id(), e)
        if code is not None:
            self.assertEqual(e.get_error_code(), code, e)
        if contains is not None:
            self.assertIn(contains, e.get_error_message(), e)
        return e

    def assertTeaRefused(self, fn, *args, code=None, contains=None, **kwargs):
        """A Tea SDK call failed with a 4xx, Alibaba's `code`, and a message
        naming the step when `contains` is given."""
        with self.assertRaises(Exception) as raised:
            call(fn, *args, **kwargs)
        e = raised.exception
        status = getattr(e, "status_code", None) or getattr(e, "statusCode", None)
        self.assertIsNotNone(status, "no status on %r" % e)
        self.assertTrue(400 <= int(status) < 500, "status %s: %s" % (status, e))
        if code is not None:
            self.assertEqual(getattr(e, "code", None), code, e)
        if contains is not None:
            self.assertIn(contains, str(getattr(e, "message", e)), e)
        return e


TRUST_LOG_SERVICE = json.dumps(
    {
        "Statement": [
            {
                "Action": "sts:AssumeRole",
                "Effect": "Allow",
                "Principal": {"Service": ["log.aliyuncs.com"]},
            }
        ],
        "Version": "1",
    }
)

PASS_ROLE = json.dumps(
    {
        "Version": "1",
        "Statement": [{"Effect": "Allow", "Action": "ram:PassRole", "Resource": "acs:ram::*"}],
    }
)


def trust_account(account=ACCOUNT):
    """A trust policy that lets the account's RAM identities assume a role."""
    return json.dumps(
        {
            "Statement": [
                {
                    "Action": "sts:AssumeRole",
                    "Effect": "Allow",
                    "Principal": {"RAM": ["acs:ram::%s:root" % account]},
                }
            ],
            "Version": "1",
        }
    )


def now():
    return int(time.time())
