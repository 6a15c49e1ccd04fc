//! PutLogs bodies as protobuf `LogGroup`: never a panic; what decodes
//! encodes back to a body that decodes to the same group.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message as _;
use ramgate::server::proto;

fuzz_target!(|data: &[u8]| {
    if let Ok(group) = proto::decode_log_group(data) {
        let bytes = proto::to_wire(&group).encode_to_vec();
        assert_eq!(proto::decode_log_group(&bytes).ok(), Some(group));
    }
});
