"""64 concurrent SDK clients against one server, for a bounded time
(RAMGATE_LOAD_SECONDS, default 20), while one client disables and enables
the CMK and another detaches and re-attaches the role's KMS policy.

Afterwards: every acknowledged log group reads back, no answer was a 5xx,
every refusal named the step that refused, the audit log verifies (the
class teardown), and the server's peak RSS stayed under 256 MiB."""

import os
import re
import threading
import time

from aliyun.log import LogException, LogItem, PutLogsRequest

import harness
from harness import ACCOUNT, REGION, TRUST_LOG_SERVICE, call

SECONDS = float(os.environ.get("RAMGATE_LOAD_SECONDS", "20"))
CLIENTS = 64
PROJECT = "load"
# A refusal names the step of the decision chain that refused, as
# "step `kms:Decrypt` failed with Rejected.Disabled: …".
STEP = re.compile(r"step `[^`]+`")


class Load(harness.ServerTest):
    @classmethod
    def prepare(cls):
        from alibabacloud_kms20160120 import models as kms
        from alibabacloud_ram20150501 import models as ram

        root = cls.data.root_key
        rc = cls.ram(root)
        call(rc.create_role, ram.CreateRoleRequest(role_name="sls-byok", assume_role_policy_document=TRUST_LOG_SERVICE))
        for policy in ("AliyunKMSReadOnlyAccess", "AliyunKMSCryptoUserAccess"):
            call(
                rc.attach_policy_to_role,
                ram.AttachPolicyToRoleRequest(policy_type="System", policy_name=policy, role_name="sls-byok"),
            )
        cls.key_id = call(cls.kms(root).create_key, kms.CreateKeyRequest(key_spec="Aliyun_AES_256")).body.key_metadata.key_id
        log = cls.log_client(root)
        call(log.create_project, PROJECT, "load")
        conf = {
            "enable": True,
            "encrypt_type": "default",
            "user_cmk_info": {"cmk_key_id": cls.key_id, "arn": "acs:ram::%s:role/sls-byok" % ACCOUNT, "region_id": REGION},
        }
        call(log.create_logstore, PROJECT, "byok", shard_count=4, encrypt_conf=conf)
        call(log.create_logstore, PROJECT, "service", shard_count=4, encrypt_conf={"enable": True, "encrypt_type": "m4"})

    def test_load(self):
        from alibabacloud_kms20160120 import models as kms
        from alibabacloud_ram20150501 import models as ram

        root = self.data.root_key
        deadline = time.time() + SECONDS
        acked = {"byok": set(), "service": set()}
        problems = []
        counts = {"ok": 0, "refused": 0}
        samples = {}
        lock = threading.Lock()

        def refused(e, what):
            status = int(getattr(e, "resp_status", 0) or getattr(e, "status_code", 0) or 0)
            message = str(getattr(e, "get_error_message", lambda: e)())
            with lock:
                counts["refused"] += 1
                samples.setdefault(str(getattr(e, "get_error_code", lambda: "")()), message)
                if not 400 <= status < 500:
                    problems.append("%s: status %s: %s" % (what, status, e))
                elif not STEP.search(message):
                    problems.append("%s: the refusal names no step: %s" % (what, message))

        def client(n):
            log = self.log_client(root)
            logstore = "byok" if n % 2 == 0 else "service"
            shard_cursor = {}
            i = 0
            while time.time() < deadline:
                i += 1
                tag = "c%d-%d" % (n, i)
                try:
                    if i % 3:
                        item = LogItem(int(time.time()), [("id", tag)])
                        call(log.put_logs, PutLogsRequest(PROJECT, logstore, "load", "10.1.0.%d" % n, [item]))
                        with lock:
                            acked[logstore].add(tag)
                            counts["ok"] += 1
                    else:
                        shard = i % 4
                        if shard not in shard_cursor:
                            shard_cursor[shard] = call(log.get_cursor, PROJECT, logstore, shard, "begin").get_cursor()
                        pulled = call(log.pull_logs, PROJECT, logstore, shard, shard_cursor[shard], count=100)
                        shard_cursor[shard] = pulled.get_next_cursor()
                        with lock:
                            counts["ok"] += 1
                except LogException as e:
                    refused(e, "%s %s" % (logstore, tag))
                except harness.CallTimeout as e:
                    with lock:
                        problems.append("%s: %s" % (tag, e))

        def toggle_key():
            k = self.kms(root)
            while time.time() < deadline:
                call(k.disable_key, kms.DisableKeyRequest(key_id=self.key_id))
                time.sleep(0.2)
                call(k.enable_key, kms.EnableKeyRequest(key_id=self.key_id))
                time.sleep(0.3)

        def toggle_policy():
            r = self.ram(root)
            detach = ram.DetachPolicyFromRoleRequest(
                policy_type="System", policy_name="AliyunKMSCryptoUserAccess", role_name="sls-byok"
            )
            attach = ram.AttachPolicyToRoleRequest(
                policy_type="System", policy_name="AliyunKMSCryptoUserAccess", role_name="sls-byok"
            )
            while time.time() < deadline:
                call(r.detach_policy_from_role, detach)
                time.sleep(0.3)
                call(r.attach_policy_to_role, attach)
                time.sleep(0.4)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS - 2)]
        threads += [threading.Thread(target=toggle_key), threading.Thread(target=toggle_policy)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(SECONDS + 120)
        self.assertEqual(problems[:20], [])
        self.assertGreater(counts["ok"], 0)

        # Everything acknowledged reads back (the key is enabled and the
        # policy attached: each toggler ends on that step).
        log = self.log_client(root)
        for logstore, tags in acked.items():
            seen = set()
            for shard in range(4):
                cursor = call(log.get_cursor, PROJECT, logstore, shard, "begin").get_cursor()
                end = call(log.get_cursor, PROJECT, logstore, shard, "end").get_cursor()
                while cursor != end:
                    pulled = call(log.pull_logs, PROJECT, logstore, shard, cursor, count=1000, end_cursor=end)
                    for group in pulled.get_loggroup_json_list():
                        for item in group["logs"]:
                            seen.add(item["id"])
                    if pulled.get_next_cursor() == cursor:
                        break
                    cursor = pulled.get_next_cursor()
            self.assertEqual(tags - seen, set(), "acknowledged groups of %s missing" % logstore)

        peak_kib = read_vm_hwm_kib(self.server.process.pid)
        self.assertLess(peak_kib, 256 * 1024, "server peak RSS %d KiB" % peak_kib)
        print("\nload: %d answered, %d refused, %d acknowledged groups, server peak RSS %.1f MiB"
              % (counts["ok"], counts["refused"], sum(map(len, acked.values())), peak_kib / 1024))
        for code, message in sorted(samples.items()):
            print("  refused %s: %s" % (code, message[:200]))


def read_vm_hwm_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM for %d" % pid)
