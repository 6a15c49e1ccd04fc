"""The `aliyunlog` CLI and the Log Service SDK in proxy mode
(wire-protocols.md §1.1 (c)): `HTTP_PROXY` names the server, the endpoint
is any name, and the request line is absolute-form."""

import json
import os
import subprocess
import sys
import tempfile

from aliyun.log import LogClient

import harness
from harness import ACCOUNT, REGION, TRUST_LOG_SERVICE, call


class Cli(harness.ServerTest):
    @classmethod
    def prepare(cls):
        from alibabacloud_kms20160120 import models as kms
        from alibabacloud_ram20150501 import models as ram

        rc = cls.ram(cls.data.root_key)
        call(rc.create_role, ram.CreateRoleRequest(role_name="sls-byok", assume_role_policy_document=TRUST_LOG_SERVICE))
        for policy in ("AliyunKMSReadOnlyAccess", "AliyunKMSCryptoUserAccess"):
            call(
                rc.attach_policy_to_role,
                ram.AttachPolicyToRoleRequest(policy_type="System", policy_name=policy, role_name="sls-byok"),
            )
        made = call(cls.kms(cls.data.root_key).create_key, kms.CreateKeyRequest(key_spec="Aliyun_AES_256"))
        cls.key_id = made.body.key_metadata.key_id

    def proxied(self):
        """The environment of a process whose HTTP goes to the server."""
        env = dict(os.environ)
        env["HTTP_PROXY"] = env["http_proxy"] = "http://%s" % self.server.endpoint
        env.pop("NO_PROXY", None)
        env.pop("no_proxy", None)
        return env

    def test_the_cli_creates_an_encrypted_logstore_through_the_proxy(self):
        conf = {
            "enable": True,
            "encrypt_type": "default",
            "user_cmk_info": {
                "cmk_key_id": self.key_id,
                "arn": "acs:ram::%s:role/sls-byok" % ACCOUNT,
                "region_id": REGION,
            },
        }
        env = self.proxied()
        env.update(
            {
                "HOME": tempfile.mkdtemp(prefix="ramgate-cli-home-"),
                "ALIYUN_LOG_CLI_ENDPOINT": "http://sls.local:%d" % self.server.port,
                "ALIYUN_LOG_CLI_ACCESSID": self.data.root_key[0],
                "ALIYUN_LOG_CLI_ACCESSKEY": self.data.root_key[1],
            }
        )
        cli = os.path.join(os.path.dirname(sys.executable), "aliyunlog")

        def run(*args):
            # The CLI retries a failing call forever: the timeout ends it.
            out = subprocess.run([cli, "log", *args], env=env, capture_output=True, text=True, timeout=60)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            return out.stdout

        run("create_project", "--project_name=cli-project", "--project_des=made by aliyunlog")
        run(
            "create_logstore",
            "--project_name=cli-project",
            "--logstore_name=cli-store",
            "--shard_count=1",
            "--encrypt_conf=%s" % json.dumps(conf),
        )
        got = json.loads(run("get_logstore", "--project_name=cli-project", "--logstore_name=cli-store"))
        self.assertEqual(got["encrypt_conf"], conf)
        self.assertIn("api=CreateLogStore outcome=200", self.server.log())

    def test_the_sdk_reaches_the_server_through_the_proxy_with_any_endpoint_name(self):
        saved = {k: os.environ.get(k) for k in ("HTTP_PROXY", "http_proxy")}
        os.environ["HTTP_PROXY"] = os.environ["http_proxy"] = "http://%s" % self.server.endpoint
        try:
            client = LogClient(
                "sls.local:%d" % self.server.port, *self.data.root_key, source="ramgate-sdk-test"
            )
            call(client.create_project, "proxied", "reached through HTTP_PROXY")
            self.assertEqual(call(client.get_project, "proxied").get_projectname(), "proxied")
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
