//! Arbitrary audit logs never panic the verifier.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = std::env::temp_dir().canonicalize() else {
        return;
    };
    let path = dir.join(format!("ramgate-fuzz-audit-{}.jsonl", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    // A fixed MAC key: the verifier parses every line whatever key it has.
    let key = ramgate::logstore::AuditKey::from_secret([7; 32]);
    let _ = ramgate::logstore::verify_audit_log_with(&path, &key, drop);
    let _ = std::fs::remove_file(&path);
});
