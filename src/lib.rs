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
//!
//! # Features
//!
//! Without features the crate is the policy engine: what a service that
//! embeds authorization checks needs, and nothing else (serde, serde_json,
//! nom, thiserror, ipnet and time). Each feature adds one layer and the
//! dependencies of that layer only.
//!
//! | feature | adds | dependencies it brings |
//! | --- | --- | --- |
//! | (none) | [`policy`], [`authz`], [`ram`], [`clock`], [`terminal`] | serde, serde_json, nom, thiserror, ipnet, time |
//! | `lint` | `lint`: the checks, `ramgate.toml`, human/JSON/SARIF output | toml, glob |
//! | `kms` | `kms`: the local KMS | aes-gcm, sm4, zeroize, getrandom, sha2 |
//! | `logstore` | `logstore`: the gated pipeline (implies `kms`) | crc32fast |
//! | `access` | `access`: who can read, write or break a Logstore, with proofs; escalation paths (implies `lint`, `logstore`) | |
//! | `server` | `server`: the local endpoint (signatures, protobuf, LZ4/zstd/deflate bodies, the HTTP front of `ramgate serve`; implies `logstore`) | hmac, sha1, md-5, base64, percent-encoding, form_urlencoded, prost, lz4_flex, ruzstd, flate2, tokio, hyper, hyper-util, http-body-util |
//! | `cli` | `cli`: the `ramgate` binary's commands (implies `access`, `lint`, `logstore`, `server`) | clap, tempfile |
//! | `default` | `cli` | |
//!
//! ```toml
//! [dependencies]
//! ramgate = { version = "0.1", default-features = false }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "access")]
#[cfg_attr(docsrs, doc(cfg(feature = "access")))]
pub mod access;
pub mod authz;
#[cfg(feature = "cli")]
#[cfg_attr(docsrs, doc(cfg(feature = "cli")))]
pub mod cli;
pub mod clock;
#[cfg(feature = "kms")]
pub(crate) mod durable;
#[cfg(feature = "kms")]
#[cfg_attr(docsrs, doc(cfg(feature = "kms")))]
pub mod kms;
#[cfg(feature = "lint")]
#[cfg_attr(docsrs, doc(cfg(feature = "lint")))]
pub mod lint;
#[cfg(feature = "logstore")]
#[cfg_attr(docsrs, doc(cfg(feature = "logstore")))]
pub mod logstore;
pub mod policy;
pub mod ram;
#[cfg(feature = "server")]
#[cfg_attr(docsrs, doc(cfg(feature = "server")))]
pub mod server;
pub mod terminal;

/// The README's Rust examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(all(doctest, feature = "cli"))]
pub struct ReadmeDoctests;
