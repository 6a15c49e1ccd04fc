//! ramgate: Alibaba Cloud RAM policies parsed, evaluated with reasons and
//! traced, gating envelope encryption for Log Service Logstores.
//!
//! ```
//! use ramgate::authz::{Authorizer, Decision, PolicySet, Request};
//! use ramgate::policy::Policy;
//!
//! let policy = Policy::from_json(r#"{
//!     "Version": "1",
//!     "Statement": [{"Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": "*"}]
//! }"#, None)?;
//! let set = PolicySet::new([("crypto-user", policy)]);
//! let request = Request::new("kms:GenerateDataKey", "acs:kms:cn-hangzhou:1234567890123456:key/k1");
//! let response = Authorizer::new().evaluate(&set, &request);
//! assert_eq!(response.decision, Decision::Allow);
//! assert_eq!(response.reasons[0].policy, "crypto-user");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod access;
pub mod authz;
pub mod cli;
pub mod clock;
pub mod durable;
pub mod kms;
pub mod lint;
pub mod logstore;
pub mod policy;
pub mod ram;

/// The README's Rust examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
