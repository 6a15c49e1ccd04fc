//! `encrypt_conf` as the SDKs send it: never a panic; what parses echoes
//! back as sent and satisfies the update rules with itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ramgate::logstore::EncryptConf;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    match EncryptConf::from_json(src) {
        Ok(conf) => {
            assert!(conf.encrypt_type().is_ok());
            let echoed = serde_json::to_string(&conf).unwrap_or_default();
            assert_eq!(EncryptConf::from_json(&echoed).ok().as_ref(), Some(&conf));
            assert!(EncryptConf::check_update(&conf, &conf).is_ok());
        }
        Err(e) => assert_eq!(e.http_status(), 400),
    }
});
