"""Authentication and STS through the official SDKs: a wrong secret and an
unknown key refused with Alibaba's codes by every signer (SLS v1, ACS3,
POP RPC v1); an STS session made by `AssumeRole`, used, kept across a
restart of the server, and refused once expired."""

import json
import time

from aliyun.log import LogItem, PutLogsRequest

import harness
from harness import ACCOUNT, call, trust_account

# A session of the shortest length STS allows. The server starts with its
# clock this far behind the real one, so that a session made now expires
# within the 15 minutes of clock skew the SDKs' signatures are allowed.
MIN_SESSION = 900
BEHIND = -800


class Signatures(harness.ServerTest):
    def test_sls_wrong_secret_and_unknown_key(self):
        key_id, _ = self.data.root_key
        wrong = self.log_client((key_id, "not-the-secret"))
        e = self.assertLogRefused(wrong.list_project, code="SignatureNotMatch")
        self.assertNotIn(self.data.root_key[1], str(e))
        unknown = self.log_client(("LTAI" + "x" * 20, "whatever"))
        self.assertLogRefused(unknown.list_project, code="InvalidAccessKeyId.NotFound")

    def test_tea_wrong_secret_and_unknown_key(self):
        from alibabacloud_kms20160120 import models as kms

        key_id, _ = self.data.root_key
        self.assertTeaRefused(
            self.kms((key_id, "not-the-secret")).list_keys, kms.ListKeysRequest(), code="SignatureDoesNotMatch"
        )
        self.assertTeaRefused(
            self.kms(("LTAI" + "y" * 20, "whatever")).list_keys,
            kms.ListKeysRequest(),
            code="InvalidAccessKeyId.NotFound",
        )

    def test_core_wrong_secret(self):
        from aliyunsdkcore.acs_exception.exceptions import ServerException
        from aliyunsdkkms.request.v20160120.ListKeysRequest import ListKeysRequest

        key_id, _ = self.data.root_key
        client, local = self.core((key_id, "not-the-secret"))
        with self.assertRaises(ServerException) as raised:
            call(client.do_action_with_exception, local(ListKeysRequest()))
        # The core SDK compares the string to sign in the server's message
        # with its own and, when they are equal, reports the secret as the
        # culprit: the server signed exactly what the SDK signed.
        self.assertEqual(raised.exception.get_error_code(), "InvalidAccessKeySecret")
        self.assertTrue(400 <= raised.exception.get_http_status() < 500)

    def test_a_kms_request_id_finds_its_audit_record(self):
        from alibabacloud_kms20160120 import models as kms

        client = self.kms(self.data.root_key)
        key_id = call(client.create_key, kms.CreateKeyRequest()).body.key_metadata.key_id
        request_id = call(client.disable_key, kms.DisableKeyRequest(key_id=key_id)).body.request_id
        shown = harness.ramgate(
            "audit", "show", "--request-id", request_id, "--format", "json", data_dir=self.data.path
        )
        records = json.loads(shown.stdout)
        self.assertEqual(len(records), 1, records)
        event = records[0]["event"]
        self.assertEqual(event["op"], "DisableKey")
        self.assertEqual(event["outcome"], "allowed")
        self.assertEqual(event["request_id"], request_id)
        self.assertEqual(event["target"]["KeyId"], key_id)
        self.assertIn("kms:DisableKey", [step["action"] for step in event["chain"]])

    def test_core_right_secret_lists_keys(self):
        from aliyunsdkkms.request.v20160120.ListKeysRequest import ListKeysRequest

        client, local = self.core(self.data.root_key)
        answer = json.loads(call(client.do_action_with_exception, local(ListKeysRequest())))
        self.assertIn("Keys", answer)
        self.assertIn("RequestId", answer)


class Sessions(harness.ServerTest):
    clock_offset = BEHIND

    @classmethod
    def prepare(cls):
        from alibabacloud_ram20150501 import models as ram

        rc = cls.ram(cls.data.root_key)
        call(rc.create_role, ram.CreateRoleRequest(role_name="log-writer", assume_role_policy_document=trust_account()))
        call(
            rc.attach_policy_to_role,
            ram.AttachPolicyToRoleRequest(policy_type="System", policy_name="AliyunLogFullAccess", role_name="log-writer"),
        )
        call(rc.create_user, ram.CreateUserRequest(user_name="carol"))
        call(
            rc.attach_policy_to_user,
            ram.AttachPolicyToUserRequest(policy_type="System", policy_name="AliyunSTSAssumeRoleAccess", user_name="carol"),
        )
        made = call(rc.create_access_key, ram.CreateAccessKeyRequest(user_name="carol")).body.access_key
        cls.carol = (made.access_key_id, made.access_key_secret)

    def assume(self, **extra):
        from alibabacloud_sts20150401 import models as sts

        request = sts.AssumeRoleRequest(
            role_arn="acs:ram::%s:role/log-writer" % ACCOUNT, role_session_name="carol-session", **extra
        )
        return call(self.sts(self.carol).assume_role, request).body

    def test_01_a_session_is_used_survives_a_restart_and_then_expires(self):
        body = self.assume(duration_seconds=MIN_SESSION)
        cred = body.credentials
        self.assertTrue(cred.access_key_id.startswith("STS."))
        self.assertEqual(body.assumed_role_user.arn, "acs:ram::%s:role/log-writer/carol-session" % ACCOUNT)
        session = (cred.access_key_id, cred.access_key_secret)
        log = self.log_client(session, cred.security_token)
        call(log.create_project, "sessions", "made by a role session")
        item = LogItem(int(time.time()), [("message", "from a session")])
        call(log.create_logstore, "sessions", "events", shard_count=1)
        call(log.put_logs, PutLogsRequest("sessions", "events", "", "10.0.0.2", [item]))
        # GetCallerIdentity answers for the session.
        me = call(self.sts(session, cred.security_token).get_caller_identity).body
        self.assertEqual(me.arn, "acs:ram::%s:role/log-writer/carol-session" % ACCOUNT)

        # STS tokens survive a restart (the nonce cache need not).
        self.restart(clock_offset=BEHIND)
        log = self.log_client(session, cred.security_token)
        self.assertEqual(call(log.list_logstore, "sessions").get_logstores(), ["events"])

        # Now the server's clock is past the session's end, and still within
        # the signatures' 15 minutes of the SDK's clock.
        self.restart(clock_offset=BEHIND + MIN_SESSION + 60)
        log = self.log_client(session, cred.security_token)
        self.assertLogRefused(log.list_logstore, "sessions", code="SecurityToken.Expired")

    def test_02_a_duration_outside_900_to_3600_is_refused(self):
        from alibabacloud_sts20150401 import models as sts

        request = sts.AssumeRoleRequest(
            role_arn="acs:ram::%s:role/log-writer" % ACCOUNT, role_session_name="too-short", duration_seconds=60
        )
        self.assertTeaRefused(self.sts(self.carol).assume_role, request)

    def test_03_a_user_without_assume_role_permission_is_refused(self):
        from alibabacloud_sts20150401 import models as sts

        request = sts.AssumeRoleRequest(role_arn="acs:ram::%s:role/log-writer" % ACCOUNT, role_session_name="root-try")
        # The account itself cannot assume roles (RAM's rule).
        self.assertTeaRefused(self.sts(self.data.root_key).assume_role, request)
