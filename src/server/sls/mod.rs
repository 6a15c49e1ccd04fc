//! Log Service's wire conventions that are not signatures or protobuf:
//! cursors ([`cursor`]) and the GetLogs query subset ([`query`]), and the
//! API handlers of the HTTP front ([`handlers`]).

pub mod cursor;
pub mod handlers;
pub mod query;
