//! The rules that depend on the policy kind, applied to a parsed document:
//! which statements must or may name a principal and a resource, and how
//! large the policy may be. The same rules as the JSON front end, in the
//! same order (size first, then statement by statement) and with the same
//! error kinds, so `json → AST` and `dsl → AST` refuse the same trees.

use crate::policy::ast::{Policy, Statement};
use crate::policy::error::{ParseError, ParseErrorKind as K, Path};
use crate::policy::kind::PolicyKind;

use super::fail::Fail;
use super::parse::Document;
use super::size::json_chars;

/// A document whose statements name a principal is a trust policy, or a
/// resource policy when a principal is a plain list (only resource
/// policies write one); any other an identity policy (the JSON front end's
/// rule).
pub(crate) fn infer_kind(doc: &Document) -> PolicyKind {
    let principals = || {
        doc.statements
            .iter()
            .filter_map(|p| p.statement.principal.as_ref())
    };
    if principals().any(|p| p.plain().is_some()) {
        PolicyKind::Resource
    } else if principals().next().is_some() {
        PolicyKind::Trust
    } else {
        PolicyKind::Identity
    }
}

/// Applies the kind's rules and builds the policy.
pub(crate) fn policy(
    doc: Document,
    src: &str,
    kind: Option<PolicyKind>,
) -> Result<Policy, ParseError> {
    let kind = kind.unwrap_or_else(|| infer_kind(&doc));
    let at = |offset: usize| src.get(offset..).unwrap_or_default();
    let keywords: Vec<(Option<usize>, Option<usize>)> = doc
        .statements
        .iter()
        .map(|p| (p.principal_at, p.on_at))
        .collect();
    let policy = Policy {
        kind,
        statements: doc.statements.into_iter().map(|p| p.statement).collect(),
        loc: doc.loc,
    };
    // RAM limits the JSON document; a DSL policy is measured as the
    // canonical JSON it stands for (white space outside strings not
    // counted), so one policy has one size in both syntaxes.
    let chars = json_chars(&policy);
    if chars > kind.max_chars() {
        let f = Fail::kind(
            at(policy.loc.start),
            K::TooLarge {
                actual: chars,
                limit: kind.max_chars(),
                kind,
            },
        )
        .help(
            "the size is that of the policy's canonical JSON, without white space outside strings",
        );
        return Err(f.into_error(src));
    }
    for (n, (s, (principal_at, on_at))) in policy.statements.iter().zip(keywords).enumerate() {
        statement(
            s,
            kind,
            n,
            at(principal_at.unwrap_or(s.loc.start)),
            at(on_at.unwrap_or(s.loc.start)),
        )
        .map_err(|f| f.into_error(src))?;
    }
    Ok(policy)
}

/// One statement's rules; `principal_at` and `on_at` are the text from its
/// `principal` and `on` keywords on.
fn statement<'a>(
    s: &Statement,
    kind: PolicyKind,
    n: usize,
    principal_at: &'a str,
    on_at: &'a str,
) -> Result<(), Fail<'a>> {
    let path = || Path::root().key("Statement").index(n);
    if s.principal.is_some() && !kind.has_principal() {
        return Err(Fail::kind(principal_at, K::PrincipalNotAllowed(kind))
            .help("identity and session policies apply to whoever they are attached to; name principals in trust or resource policies")
            .in_path(|| path().key("Principal").to_string()));
    }
    if s.principal.as_ref().is_some_and(|p| p.plain().is_some()) && kind != PolicyKind::Resource {
        return Err(Fail::kind(
            principal_at,
            K::WrongType {
                element: "`Principal`".to_string(),
                expected: "an object such as `{\"Service\": [\"log.aliyuncs.com\"]}`",
                found: "a plain list",
            },
        )
        .help("only resource policies (OSS, VPC endpoint, MaxCompute) write `principal plain`")
        .in_path(|| path().key("Principal").to_string()));
    }
    if s.resource.is_some() && !kind.has_resource() {
        return Err(Fail::kind(on_at, K::ResourceInTrustPolicy)
            .help("drop the `on` clause")
            .in_path(|| path().key("Resource").to_string()));
    }
    // Without the keyword, `on_at` and `principal_at` are the statement's start.
    if kind.has_resource() && s.resource.is_none() {
        return Err(Fail::kind(on_at, K::MissingResource(kind))
            .help("add `on *` or the ARNs the statement covers")
            .in_path(|| path().to_string()));
    }
    if kind.has_principal() && s.principal.is_none() {
        return Err(Fail::kind(principal_at, K::MissingPrincipal(kind))
            .help("add the principals after the actions, e.g. `principal service log.aliyuncs.com`")
            .in_path(|| path().to_string()));
    }
    Ok(())
}
