//! Running `ramgate` on a data directory in a temporary folder, and the
//! seed document's setup done through the command line.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

use tempfile::TempDir;

pub const ACCOUNT: &str = "1234567890123456";
pub const REGION: &str = "cn-hangzhou";
pub const ROLE: &str = "acs:ram::1234567890123456:role/sls-byok";
pub const ROOT: &str = "acs:ram::1234567890123456:root";
pub const ALICE: &str = "acs:ram::1234567890123456:user/alice";
pub const BOB: &str = "acs:ram::1234567890123456:user/bob";

/// The seed document's trust policy, as printed there.
pub const LOG_TRUST: &str = r#"{
    "Statement": [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {
                "Service": [
                    "log.aliyuncs.com"
                ]
            }
        }
    ],
    "Version": "1"
}
"#;

/// The seed document's PassRole policy (without its `#` comment, which is
/// no JSON).
pub const PASS_ROLE: &str = r#"{
    "Version": "1",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "ram:PassRole",
            "Resource": "acs:ram::*"
        }
    ]
}
"#;

/// A log group as `put-logs --group` takes it.
pub const GROUP: &str = r#"{"topic": "nginx", "source": "10.0.0.1", "tags": [["host", "web-1"]], "logs": [{"time": 1700000000, "contents": [["request", "GET /item/1"], ["status", "200"]]}]}"#;

/// A folder holding a data directory (`data/`) and the files commands read.
pub struct Cli {
    pub home: TempDir,
}

impl Cli {
    /// An empty folder: no data directory yet.
    pub fn empty() -> Cli {
        Cli {
            home: tempfile::tempdir().unwrap(),
        }
    }

    /// A data directory made by `ramgate init`.
    pub fn init() -> Cli {
        let cli = Cli::empty();
        cli.ok(&["init", "--account", ACCOUNT, "--region", REGION]);
        cli
    }

    pub fn data_dir(&self) -> PathBuf {
        self.home.path().join("data")
    }

    /// Writes a file into the folder and returns its path.
    pub fn file(&self, name: &str, text: &str) -> String {
        let path = self.home.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    /// Runs ramgate in the folder with `RAMGATE_DATA_DIR` pointing at `data/`.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args)
            .env("RAMGATE_DATA_DIR", self.data_dir())
            .output()
            .unwrap()
    }

    /// Runs ramgate in the folder with no `RAMGATE_DATA_DIR`.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ramgate"));
        c.args(args)
            .current_dir(self.home.path())
            .env_remove("RAMGATE_DATA_DIR")
            .env_remove("RAMGATE_ROOT_KEY");
        c
    }

    /// Runs and expects exit status 0; returns standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "ramgate {args:?}\nstdout: {}\nstderr: {}",
            stdout(&out),
            stderr(&out)
        );
        stdout(&out)
    }

    /// Runs and expects exit status `code`; returns standard error.
    pub fn fails(&self, code: i32, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "ramgate {args:?}\nstdout: {}\nstderr: {}",
            stdout(&out),
            stderr(&out)
        );
        stderr(&out)
    }

    /// The seed document's step 1 through the command line: the role
    /// trusted by Log Service with the two KMS system policies, alice with
    /// Log access and PassRole, bob with Log access only, a CMK, and the
    /// project `app`. Returns the CMK's id.
    pub fn seed(&self) -> String {
        let trust = self.file("trust.json", LOG_TRUST);
        let pass = self.file("pass-role.json", PASS_ROLE);
        self.ok(&["ram", "create-role", "sls-byok", "--trust-policy", &trust]);
        for p in [
            "system/AliyunKMSReadOnlyAccess",
            "system/AliyunKMSCryptoUserAccess",
        ] {
            self.ok(&["ram", "attach-policy", "--role", "sls-byok", p]);
        }
        self.ok(&["ram", "create-policy", "PassRoleForLog", &pass]);
        for user in ["alice", "bob"] {
            self.ok(&["ram", "create-user", user]);
            self.ok(&[
                "ram",
                "attach-policy",
                "--user",
                user,
                "system/AliyunLogFullAccess",
            ]);
        }
        self.ok(&[
            "ram",
            "attach-policy",
            "--user",
            "alice",
            "policy/PassRoleForLog",
        ]);
        let key = self.ok(&["kms", "create-key", "--description", "sls byok"]);
        self.ok(&["log", "create-project", "app"]);
        key.split(' ').next().unwrap().to_string()
    }

    /// A role the account trusts (`{"RAM": [root]}`) with `policies`
    /// attached, and `sts:AssumeRole` on it for the existing user `user`:
    /// a session `user` can earn with `--via` (S4).
    pub fn assumable_role(&self, role: &str, user: &str, policies: &[&str]) {
        let trust = self.file(
            &format!("{role}-trust.json"),
            &format!(
                r#"{{"Version": "1", "Statement": [{{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {{"RAM": ["acs:ram::{ACCOUNT}:root"]}}}}]}}"#
            ),
        );
        self.ok(&["ram", "create-role", role, "--trust-policy", &trust]);
        for p in policies {
            self.ok(&["ram", "attach-policy", "--role", role, p]);
        }
        let assume = self.file(
            &format!("assume-{role}.json"),
            &format!(
                r#"{{"Version": "1", "Statement": [{{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "acs:ram::{ACCOUNT}:role/{role}"}}]}}"#
            ),
        );
        let name = format!("Assume-{role}");
        self.ok(&["ram", "create-policy", &name, &assume]);
        self.ok(&[
            "ram",
            "attach-policy",
            "--user",
            user,
            &format!("policy/{name}"),
        ]);
    }

    /// The BYOK `encrypt_conf` for `cmk`.
    pub fn byok(cmk: &str, encrypt_type: &str) -> String {
        format!(
            r#"{{"enable": true, "encrypt_type": "{encrypt_type}", "user_cmk_info": {{"cmk_key_id": "{cmk}", "arn": "{ROLE}", "region_id": "{REGION}"}}}}"#
        )
    }

    /// The audit log's path.
    pub fn audit_log(&self) -> PathBuf {
        self.data_dir().join("audit.jsonl")
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The lines of `text` that are acknowledgements, as (shard, seq).
pub fn acks(text: &str) -> Vec<(u32, u64)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("ack "))
        .map(|l| {
            let (shard, seq) = l.split_once(' ').unwrap();
            (shard.parse().unwrap(), seq.parse().unwrap())
        })
        .collect()
}
