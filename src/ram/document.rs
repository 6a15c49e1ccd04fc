//! A policy document as the directory keeps it: its text (so traces point
//! at lines the author wrote), its parsed tree and its compiled form (both
//! made once, when the document is read: decisions only index it).

use std::sync::Arc;

use crate::authz::Compiled;
use crate::policy::{Format, Policy, PolicyKind};

use super::error::{DocumentError, RamError};

/// A parsed policy with the text it came from (JSON or DSL).
#[derive(Clone, Debug)]
pub struct PolicyDocument {
    source: Arc<str>,
    compiled: Compiled,
}

impl PolicyDocument {
    /// Parses `src` (JSON or DSL, recognised by content) as a policy of
    /// `kind`; `what` names the document in the error (``the trust policy of
    /// role `x` ``) and `file` is where it was read from, if anywhere.
    pub fn parse(
        src: &str,
        kind: PolicyKind,
        what: &str,
        file: Option<&str>,
    ) -> Result<PolicyDocument, RamError> {
        match Policy::parse(src, Some(kind)) {
            Ok(policy) => Ok(PolicyDocument {
                source: Arc::from(src),
                compiled: Compiled::new(Arc::new(policy)),
            }),
            Err(error) => Err(RamError::PolicyDocument(Box::new(DocumentError {
                what: what.to_string(),
                kind,
                file: file.map(str::to_string),
                source_text: Arc::from(src),
                error,
            }))),
        }
    }

    /// The text as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The parsed policy.
    pub fn policy(&self) -> &Arc<Policy> {
        self.compiled.policy()
    }

    /// The policy compiled for evaluation.
    pub fn compiled(&self) -> &Compiled {
        &self.compiled
    }

    /// The kind it was validated as.
    pub fn kind(&self) -> PolicyKind {
        self.policy().kind
    }

    /// Whether the text is RAM JSON (else ramgate's DSL).
    pub fn is_json(&self) -> bool {
        Format::detect(&self.source) == Format::Json
    }
}

/// Documents compare by meaning: white space, key order and locations do
/// not matter.
impl PartialEq for PolicyDocument {
    fn eq(&self, other: &PolicyDocument) -> bool {
        self.policy() == other.policy()
    }
}

impl Eq for PolicyDocument {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_keep_their_text_and_compare_by_meaning() {
        let a = PolicyDocument::parse(
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}"#,
            PolicyKind::Identity,
            "a",
            None,
        );
        let b = PolicyDocument::parse(
            "{\n  \"Statement\": [{\"Action\": [\"kms:Decrypt\"], \"Resource\": \"*\", \"Effect\": \"Allow\"}],\n  \"Version\": \"1\"\n}",
            PolicyKind::Identity,
            "b",
            None,
        );
        let (a, b) = (
            a.unwrap_or_else(|e| panic!("{e}")),
            b.unwrap_or_else(|e| panic!("{e}")),
        );
        assert_eq!(a, b);
        assert!(b.source().contains('\n'));
        assert!(a.is_json());
    }

    #[test]
    fn errors_say_which_document_and_where() {
        let e = PolicyDocument::parse(
            "{\"Version\":\"1\",\n\"Statement\":[{\"Effect\":\"Alow\",\"Action\":\"*\",\"Resource\":\"*\"}]}",
            PolicyKind::Identity,
            "version `v1` of policy `Foo`",
            Some("dir/foo.json"),
        )
        .err();
        assert_eq!(
            e.as_ref().map(|e| e.to_string()),
            Some(
                "version `v1` of policy `Foo`: dir/foo.json:2:24: Statement[0].Effect: unknown effect `Alow`, expected `Allow` or `Deny`"
                    .into()
            )
        );
        assert_eq!(e.map(|e| e.code()), Some("MalformedPolicyDocument".into()));
    }
}
