//! Authentication of one request: which scheme, which access key, that
//! key resolved through [`Credentials`] (unknown, inactive and expired keys
//! refused before any signature work), then the signature, the clock and,
//! for POP, the nonce. Every refusal is a [`Refusal`] with Alibaba's code
//! for the scheme's service and a 4xx status.

use time::OffsetDateTime;

use crate::ram::Identity;
use crate::server::WireRequest;
use crate::server::auth::nonce::NonceCache;
use crate::server::auth::{self, AuthError, Scheme, acs3, pop_rpc, sls_v1};
use crate::server::credentials::{CredentialError, Credentials};

/// A request that passed authentication.
#[derive(Debug)]
pub struct Authenticated {
    /// The scheme it was signed with.
    pub scheme: Scheme,
    /// The access key it named.
    pub access_key_id: String,
    /// Who it acts as.
    pub identity: Identity,
}

/// A refusal: status, code, message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// A 4xx status (a damaged credential store is the one 500).
    pub status: u16,
    /// Alibaba's code.
    pub code: String,
    /// What was refused and why (never a secret).
    pub message: String,
}

impl From<AuthError> for Refusal {
    fn from(e: AuthError) -> Refusal {
        Refusal {
            status: e.http_status(),
            code: e.code().to_string(),
            message: e.to_string(),
        }
    }
}

impl From<CredentialError> for Refusal {
    fn from(e: CredentialError) -> Refusal {
        Refusal {
            status: e.http_status(),
            code: e.code().to_string(),
            message: e.to_string(),
        }
    }
}

/// Authenticates `request`, which is POP when `pop` (its parameters, from
/// the query and a form body, are `params`) and Log Service otherwise, at
/// the server's time `now`.
pub fn authenticate(
    request: &WireRequest<'_>,
    pop: bool,
    params: &[(String, String)],
    credentials: &dyn Credentials,
    nonces: &NonceCache,
    now: OffsetDateTime,
) -> Result<Authenticated, Refusal> {
    let expected = if pop { Scheme::PopRpcV1 } else { Scheme::SlsV1 };
    let scheme = match auth::scheme_of(request) {
        Some(Scheme::SlsV1) if pop => None,
        Some(s) if !pop && s != Scheme::SlsV1 => None,
        other => other,
    };
    let Some(scheme) = scheme else {
        return Err(AuthError::Missing {
            scheme: expected,
            what: if pop {
                "signature (`Authorization: ACS3-HMAC-SHA256 …` or a `Signature` parameter)"
            } else {
                "`Authorization: LOG <AccessKeyId>:<Signature>` header"
            },
        }
        .into());
    };
    // The key first: an unknown or inactive key is refused with its own
    // code before the signature (whose secret it lacks) is looked at.
    let (access_key_id, token) = match scheme {
        Scheme::SlsV1 => (
            sls_v1::access_key_id(request)?.to_string(),
            request.header("x-acs-security-token"),
        ),
        Scheme::Acs3 => (
            acs3::authorization(request)?.credential.to_string(),
            request.header("x-acs-security-token"),
        ),
        Scheme::PopRpcV1 => (
            pop_rpc::access_key_id(params)?.to_string(),
            params
                .iter()
                .find(|(k, _)| k == "SecurityToken")
                .map(|(_, v)| v.as_str()),
        ),
    };
    let resolved = credentials.resolve(&access_key_id, token, now)?;
    let signed = match scheme {
        Scheme::SlsV1 => sls_v1::verify(request, &resolved.secret)?,
        Scheme::Acs3 => acs3::verify(request, &resolved.secret)?,
        Scheme::PopRpcV1 => pop_rpc::verify(request.method, params, &resolved.secret)?,
    };
    auth::check_fresh(&signed, now)?;
    if pop {
        let nonce = signed.nonce.as_deref().unwrap_or_default();
        if nonce.is_empty() {
            return Err(AuthError::Missing {
                scheme,
                what: "signature nonce (`SignatureNonce` or `x-acs-signature-nonce`)",
            }
            .into());
        }
        nonces
            .check(&access_key_id, nonce, now)
            .map_err(|e| Refusal {
                status: e.http_status(),
                code: e.code().to_string(),
                message: e.to_string(),
            })?;
    }
    Ok(Authenticated {
        scheme,
        access_key_id,
        identity: resolved.identity,
    })
}
