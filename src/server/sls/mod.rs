//! Log Service's wire conventions that are not signatures or protobuf:
//! cursors ([`cursor`]) and the GetLogs query subset ([`query`]).

pub mod cursor;
pub mod query;
