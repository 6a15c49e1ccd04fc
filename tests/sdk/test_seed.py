"""The seed document, step by step, through the official RAM, KMS and Log
Service SDKs: a role trusted by log.aliyuncs.com with the two KMS system
policies, a user with PassRole, a CMK, a BYOK `m4` Logstore and a service-key
`default` one; logs put, pulled and queried; the CMK disabled (every read
and write of the BYOK Logstore fails with a 4xx the SDK raises at once) and
enabled again (everything readable); the encryption type fixed; a user
without PassRole refused at `pass-role`."""

import time

from aliyun.log import LogItem, PutLogsRequest

import harness
from harness import ACCOUNT, PASS_ROLE, REGION, TRUST_LOG_SERVICE, call


class Seed(harness.ServerTest):
    project = "seed-project"
    role_arn = "acs:ram::%s:role/sls-byok" % ACCOUNT

    @classmethod
    def prepare(cls):
        from alibabacloud_kms20160120 import models as kms
        from alibabacloud_ram20150501 import models as ram

        root = cls.data.root_key
        rc = cls.ram(root)
        # Step 1: the role Log Service assumes, with the seed's trust policy
        # and the two KMS system policies.
        call(rc.create_role, ram.CreateRoleRequest(role_name="sls-byok", assume_role_policy_document=TRUST_LOG_SERVICE))
        for policy in ("AliyunKMSReadOnlyAccess", "AliyunKMSCryptoUserAccess"):
            call(
                rc.attach_policy_to_role,
                ram.AttachPolicyToRoleRequest(policy_type="System", policy_name=policy, role_name="sls-byok"),
            )
        # Step 1.5: alice may pass the role; bob may use Log Service but not
        # pass roles.
        call(rc.create_policy, ram.CreatePolicyRequest(policy_name="pass-byok-role", policy_document=PASS_ROLE))
        cls.keys = {}
        for user in ("alice", "bob"):
            call(rc.create_user, ram.CreateUserRequest(user_name=user))
            call(
                rc.attach_policy_to_user,
                ram.AttachPolicyToUserRequest(policy_type="System", policy_name="AliyunLogFullAccess", user_name=user),
            )
            made = call(rc.create_access_key, ram.CreateAccessKeyRequest(user_name=user)).body.access_key
            cls.keys[user] = (made.access_key_id, made.access_key_secret)
        call(
            rc.attach_policy_to_user,
            ram.AttachPolicyToUserRequest(policy_type="Custom", policy_name="pass-byok-role", user_name="alice"),
        )
        # The CMK, made by the account.
        made = call(
            cls.kms(root).create_key,
            kms.CreateKeyRequest(key_spec="Aliyun_AES_256", key_usage="ENCRYPT/DECRYPT", description="seed CMK"),
        )
        cls.key_id = made.body.key_metadata.key_id
        cls.alice = cls.log_client(cls.keys["alice"])
        cls.bob = cls.log_client(cls.keys["bob"])

    def byok_conf(self, encrypt_type="m4"):
        return {
            "enable": True,
            "encrypt_type": encrypt_type,
            "user_cmk_info": {"cmk_key_id": self.key_id, "arn": self.role_arn, "region_id": REGION},
        }

    def put(self, client, logstore, message):
        item = LogItem(int(time.time()), [("message", message), ("status", "200")])
        return call(client.put_logs, PutLogsRequest(self.project, logstore, "seed", "10.0.0.1", [item]))

    def pull_all(self, client, logstore):
        """Every `message` in shard 0 and 1, in order, through PullLogs."""
        messages = []
        for shard in (0, 1):
            cursor = call(client.get_cursor, self.project, logstore, shard, "begin").get_cursor()
            pulled = call(client.pull_logs, self.project, logstore, shard, cursor, count=1000)
            for group in pulled.get_loggroup_json_list():
                for log in group.get("logs", []):
                    messages.append(log.get("message"))
        return messages

    def test_01_alice_creates_the_byok_and_default_logstores(self):
        call(self.alice.create_project, self.project, "the seed document's project")
        call(self.alice.create_logstore, self.project, "orders-byok", ttl=30, shard_count=2, encrypt_conf=self.byok_conf())
        call(
            self.alice.create_logstore,
            self.project,
            "orders-default",
            ttl=30,
            shard_count=2,
            encrypt_conf={"enable": True, "encrypt_type": "default"},
        )
        got = call(self.alice.get_logstore, self.project, "orders-byok")
        self.assertEqual(got.get_encrypt_conf(), self.byok_conf())
        names = call(self.alice.list_logstore, self.project).get_logstores()
        self.assertEqual(sorted(names), ["orders-byok", "orders-default"])
        shards = call(self.alice.list_shards, self.project, "orders-byok").get_shards_info()
        self.assertEqual([s["shardID"] for s in shards], [0, 1])

    def test_02_logs_go_in_and_come_back_through_pull_and_get(self):
        for logstore in ("orders-byok", "orders-default"):
            for n in range(3):
                self.put(self.alice, logstore, "%s order %d" % (logstore, n))
            self.assertEqual(
                sorted(self.pull_all(self.alice, logstore)),
                ["%s order %d" % (logstore, n) for n in range(3)],
            )
            queried = call(
                self.alice.get_log, self.project, logstore, int(time.time()) - 600, int(time.time()) + 60, query="status: 200"
            )
            self.assertEqual(queried.get_count(), 3)
            self.assertTrue(queried.is_completed())

    def test_03_bob_without_pass_role_is_refused_at_pass_role(self):
        self.assertLogRefused(
            self.bob.create_logstore,
            self.project,
            "bobs-byok",
            shard_count=1,
            encrypt_conf=self.byok_conf(),
            contains="pass-role",
        )
        # Bob may still use what exists.
        self.put(self.bob, "orders-byok", "from bob")

    def test_04_the_encryption_type_cannot_change(self):
        self.assertLogRefused(
            self.alice.update_logstore, self.project, "orders-byok", encrypt_conf=self.byok_conf("default")
        )
        got = call(self.alice.get_logstore, self.project, "orders-byok")
        self.assertEqual(got.get_encrypt_conf()["encrypt_type"], "m4")

    def test_05_a_disabled_cmk_fails_every_read_and_write_and_loses_nothing(self):
        from alibabacloud_kms20160120 import models as kms

        before = sorted(self.pull_all(self.alice, "orders-byok"))
        call(self.kms(self.data.root_key).disable_key, kms.DisableKeyRequest(key_id=self.key_id))
        try:
            self.assertLogRefused(self.put, self.alice, "orders-byok", "while disabled")
            cursor = call(self.alice.get_cursor, self.project, "orders-byok", 0, "begin").get_cursor()
            self.assertLogRefused(self.alice.pull_logs, self.project, "orders-byok", 0, cursor, count=10)
            self.assertLogRefused(
                self.alice.get_log, self.project, "orders-byok", int(time.time()) - 600, int(time.time()) + 60
            )
            # The service-key Logstore does not depend on the CMK.
            self.put(self.alice, "orders-default", "while the CMK is disabled")
        finally:
            call(self.kms(self.data.root_key).enable_key, kms.EnableKeyRequest(key_id=self.key_id))
        self.assertEqual(sorted(self.pull_all(self.alice, "orders-byok")), before)
        self.put(self.alice, "orders-byok", "after enable")
        self.assertIn("after enable", self.pull_all(self.alice, "orders-byok"))

    def test_06_the_old_core_sdk_sees_the_same_key(self):
        import json

        from aliyunsdkkms.request.v20160120.DescribeKeyRequest import DescribeKeyRequest

        client, local = self.core(self.data.root_key)
        request = local(DescribeKeyRequest())
        request.set_KeyId(self.key_id)
        meta = json.loads(call(client.do_action_with_exception, request))["KeyMetadata"]
        self.assertEqual(meta["KeyId"], self.key_id)
        self.assertEqual(meta["KeyState"], "Enabled")

    def test_07_the_ram_sdk_reads_policy_versions_and_memberships(self):
        import json

        from alibabacloud_ram20150501 import models as ram

        rc = self.ram(self.data.root_key)
        listed = call(
            rc.list_policy_versions,
            ram.ListPolicyVersionsRequest(policy_name="pass-byok-role", policy_type="Custom"),
        ).body
        versions = listed.policy_versions.policy_version
        self.assertEqual([v.version_id for v in versions], ["v1"])
        self.assertTrue(versions[0].is_default_version)
        got = call(
            rc.get_policy_version,
            ram.GetPolicyVersionRequest(policy_name="pass-byok-role", policy_type="Custom", version_id="v1"),
        ).body.policy_version
        self.assertTrue(got.is_default_version)
        self.assertEqual(json.loads(got.policy_document), json.loads(PASS_ROLE))
        system = call(
            rc.list_policy_versions,
            ram.ListPolicyVersionsRequest(policy_name="AliyunKMSReadOnlyAccess", policy_type="System"),
        ).body.policy_versions.policy_version
        self.assertEqual(len(system), 1)
        # Bob has Log Service permissions only: RAM refuses him.
        self.assertTeaRefused(
            self.ram(self.keys["bob"]).get_policy_version,
            ram.GetPolicyVersionRequest(policy_name="pass-byok-role", policy_type="Custom", version_id="v1"),
            code="NoPermission",
            contains="ram:GetPolicyVersion",
        )
        users = call(rc.list_users, ram.ListUsersRequest(max_items=1)).body
        self.assertTrue(users.is_truncated)
        rest = call(rc.list_users, ram.ListUsersRequest(max_items=1, marker=users.marker)).body
        self.assertEqual(
            [u.user_name for u in users.users.user + rest.users.user], ["alice", "bob"]
        )
