//! The action index of a compiled policy set: which statements a request's
//! action can possibly match, found without looking at the others.
//!
//! Every action pattern is filed under what its literal start pins down:
//!
//! * a literal action (`kms:Decrypt`) under `exact`, by the folded action;
//! * a pattern with a literal service (`kms:Get*`, `kms:*`, `kms:*Key`)
//!   under `by_service`, by the service and then by the literal start of
//!   the action name (`get`, empty, empty);
//! * a pattern for any service with a literal name start (`*:Describe*`)
//!   under `any_service`, by that start;
//! * anything else, and every `NotAction` statement, under `anywhere`.
//!
//! A lookup gathers the entries whose key the action begins with, and
//! visits their statements in set order, each once: denies and allows
//! separately, so the evaluator can settle denies first and stop early.
//! An entry whose key is the whole pattern (`kms:Decrypt`, `kms:Get*`,
//! `*:Describe*`, `*`) proves that the action matches; the evaluator then
//! skips testing the action again.
//!
//! Each offer also carries the statement's [`ResourceTag`]: when every
//! resource pattern of a statement names one service literally
//! (`acs:kms:…`), a request for another service's resource passes it by
//! without looking at the statement.

use std::collections::HashMap;
use std::ops::ControlFlow;

use crate::policy::Effect;
use crate::policy::pattern::{Pattern, fold};

/// Statement positions, `(policy index, statement index)`.
pub(crate) type StmtRef = (u32, u32);

/// A statement offered for an action, whether the entry that offered it
/// proves that the action matches the statement, and the statement's
/// resource tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Offer {
    pub at: StmtRef,
    pub action_matches: bool,
    pub resource: ResourceTag,
}

/// The service every resource pattern of a statement names (`kms` for
/// `acs:kms:*:*:key/*`), hashed; or [`ResourceTag::ANY`]. Equal services
/// have equal tags; a request whose resource's tag differs from a
/// statement's (and the statement's is not `ANY`) cannot match it. Two
/// services may share a tag: that only means a statement is looked at in
/// vain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ResourceTag(u32);

impl ResourceTag {
    /// Some resource pattern has no literal service, or there is none.
    pub const ANY: ResourceTag = ResourceTag(0);
    /// A request resource that is not an `acs:` ARN.
    pub const NOT_AN_ARN: ResourceTag = ResourceTag(1);

    /// The tag of `acs:<service>:…`, whose service is the text before the
    /// second `:`; `None` unless `text` starts that way. Services are
    /// compared folded: role ARNs match their patterns without case.
    pub fn of_arn_start(text: &str) -> Option<ResourceTag> {
        let scheme = text.get(..4).filter(|p| p.eq_ignore_ascii_case("acs:"))?;
        let service = text.get(scheme.len()..)?.split_once(':')?.0;
        // FNV-1a: a few instructions per byte, computed once per request.
        let mut h: u32 = 0x811c_9dc5;
        for c in service.chars().map(crate::policy::pattern::fold_char) {
            h = (h ^ c as u32).wrapping_mul(0x0100_0193);
        }
        // 0 and 1 are taken.
        Some(ResourceTag(h.max(2)))
    }

    /// Whether a statement with this tag may match a resource with tag `of`.
    pub fn admits(self, of: ResourceTag) -> bool {
        self == ResourceTag::ANY || self == of
    }
}

/// The statements of one entry, by effect, each list in set order.
#[derive(Clone, Debug, Default)]
struct Lists {
    allow: Vec<Offer>,
    deny: Vec<Offer>,
}

static NO_STATEMENTS: Lists = Lists {
    allow: Vec::new(),
    deny: Vec::new(),
};

impl Lists {
    fn of(&self, effect: Effect) -> &[Offer] {
        match effect {
            Effect::Allow => &self.allow,
            Effect::Deny => &self.deny,
        }
    }

    /// Statements arrive in set order, so a list stays sorted and a repeat
    /// (a second pattern of the same statement) can only be its last
    /// element; a repeat keeps the stronger proof.
    fn push(&mut self, effect: Effect, offer: Offer) {
        let list = match effect {
            Effect::Allow => &mut self.allow,
            Effect::Deny => &mut self.deny,
        };
        match list.last_mut() {
            Some(last) if last.at == offer.at => last.action_matches |= offer.action_matches,
            _ => list.push(offer),
        }
    }
}

/// Entries keyed by the literal start of an action name, sorted: the keys
/// that can start a name are the empty key and keys with the name's first
/// byte, one contiguous run.
#[derive(Clone, Debug, Default)]
struct Starts(Vec<(String, Lists)>);

impl Starts {
    fn entry(&mut self, start: &str) -> &mut Lists {
        let i = match self.0.binary_search_by(|(k, _)| k.as_str().cmp(start)) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (start.to_string(), Lists::default()));
                i
            }
        };
        &mut self.0[i].1
    }

    /// The entries whose key `name` starts with.
    fn prefixes_of<'a, 'n>(
        &'a self,
        name: &'n str,
    ) -> impl Iterator<Item = &'a Lists> + use<'a, 'n> {
        let first = name.as_bytes().first().copied();
        let key_first = |k: &String| k.as_bytes().first().copied();
        let lo = self.0.partition_point(|(k, _)| key_first(k) < first);
        let hi = self.0.partition_point(|(k, _)| key_first(k) <= first);
        let empty = self.0.first().filter(|(k, _)| k.is_empty());
        let run = self.0.get(lo..hi).unwrap_or_default();
        empty
            .into_iter()
            // `is_empty` first: `starts_with("")` compares zero bytes at a
            // dangling address, which glibc's AVX-512 `memcmp` turns into a
            // masked load that took ~70 ns on the bench machine
            // (docs/performance.md).
            .chain(
                run.iter()
                    .filter(move |(k, _)| !k.is_empty() && name.starts_with(k.as_str())),
            )
            .map(|(_, l)| l)
    }
}

/// Where each action pattern may match.
#[derive(Clone, Debug, Default)]
pub(crate) struct Index {
    /// Literal actions, by folded action.
    exact: HashMap<String, Lists>,
    /// Patterns with a literal service, by folded service.
    by_service: HashMap<String, Starts>,
    /// Patterns `*:<start>…`.
    any_service: Starts,
    /// `NotAction`, and patterns with no literal service or name start.
    anywhere: Lists,
    /// Every statement: offered when the keys prove nothing.
    all: Lists,
}

impl Index {
    /// Files statement `at` with its action patterns.
    pub(crate) fn insert(
        &mut self,
        at: StmtRef,
        effect: Effect,
        negated: bool,
        actions: &[Pattern],
        resource: ResourceTag,
    ) {
        let unproven = Offer {
            at,
            action_matches: false,
            resource,
        };
        self.all.push(effect, unproven);
        if negated {
            self.anywhere.push(effect, unproven);
            return;
        }
        for a in actions {
            let (lists, whole) = self.entry(a);
            lists.push(
                effect,
                Offer {
                    at,
                    action_matches: whole,
                    resource,
                },
            );
        }
    }

    /// The entry a pattern is filed under, and whether its key is the
    /// whole pattern (so that reaching it proves a match).
    fn entry(&mut self, a: &Pattern) -> (&mut Lists, bool) {
        if a.is_literal() {
            return (self.exact.entry(fold(a.as_str())).or_default(), true);
        }
        let folded = fold(a.as_str());
        let start = a.literal_prefix();
        if let Some((service, name)) = start.split_once(':') {
            let whole = folded.len() == start.len() + 1 && folded.ends_with('*');
            let entries = self.by_service.entry(service.to_string()).or_default();
            return (entries.entry(name), whole);
        }
        if let Some(rest) = folded.strip_prefix("*:") {
            let name: String = rest
                .chars()
                .take_while(|c| !matches!(c, '*' | '?'))
                .collect();
            // `*:<name>*` matches every action with one `:` whose name
            // starts with `<name>` (the only actions it is offered for).
            let whole = rest.len() == name.len() + 1 && rest.ends_with('*');
            return (self.any_service.entry(&name), whole);
        }
        (&mut self.anywhere, a.is_any())
    }

    /// The statements that may match `action`, which is already folded.
    pub(crate) fn candidates(&self, action: &str) -> Candidates<'_> {
        let mut c = Candidates {
            lists: [&NO_STATEMENTS; Candidates::MAX],
            len: 0,
        };
        let exact = self.exact.get(action).into_iter();
        let Some((service, name)) = action.split_once(':') else {
            // Only literal patterns and those filed `anywhere` lack a `:`.
            c.extend(exact.chain([&self.anywhere]));
            return c;
        };
        if name.contains(':') {
            // Not a RAM action: a `*` may take in more than the service,
            // so the keys prove nothing. Offer every statement.
            c.extend([&self.all].into_iter());
            return c;
        }
        let in_service = self
            .by_service
            .get(service)
            .into_iter()
            .flat_map(|s| s.prefixes_of(name));
        c.extend(
            exact
                .chain(in_service)
                .chain(self.any_service.prefixes_of(name))
                .chain([&self.anywhere]),
        );
        if c.len > Candidates::MAX {
            // An action that starts with over a dozen distinct indexed
            // prefixes: offer every statement, which is always correct.
            c.len = 0;
            c.extend([&self.all].into_iter());
        }
        c
    }
}

/// The entries a request's action falls into.
pub(crate) struct Candidates<'s> {
    lists: [&'s Lists; Candidates::MAX],
    /// How many of `lists` hold entries; one more than fit when there were
    /// too many.
    len: usize,
}

impl<'s> Candidates<'s> {
    const MAX: usize = 16;

    fn extend(&mut self, entries: impl Iterator<Item = &'s Lists>) {
        for l in entries {
            match self.lists.get_mut(self.len) {
                Some(slot) => *slot = l,
                None => {
                    self.len = Candidates::MAX + 1;
                    return;
                }
            }
            self.len += 1;
        }
    }

    /// Calls `f` for every statement of `effect` that may match, each once,
    /// in set order, until `f` breaks.
    pub(crate) fn visit(
        &self,
        effect: Effect,
        mut f: impl FnMut(Offer) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let mut lists: [&[Offer]; Candidates::MAX] = [&[]; Candidates::MAX];
        let mut n = 0;
        for l in self.lists.iter().take(self.len) {
            let of = l.of(effect);
            if !of.is_empty() {
                lists[n] = of;
                n += 1;
            }
        }
        merge_unique(&mut lists[..n], &mut f)
    }
}

/// Visits the union of sorted lists in order, each statement once (proved
/// to match if any list proves it), until `f` breaks.
fn merge_unique(
    lists: &mut [&[Offer]],
    f: &mut impl FnMut(Offer) -> ControlFlow<()>,
) -> ControlFlow<()> {
    while let Some(mut next) = lists
        .iter()
        .filter_map(|l| l.first())
        .min_by_key(|o| o.at)
        .copied()
    {
        for l in lists.iter_mut() {
            if let Some((first, rest)) = l.split_first()
                && first.at == next.at
            {
                next.action_matches |= first.action_matches;
                *l = rest;
            }
        }
        f(next)?;
    }
    ControlFlow::Continue(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::authz::PolicySet;
    use crate::policy::Policy;

    fn set(json: &str) -> PolicySet {
        let p = Policy::from_json(json, None).unwrap_or_else(|e| panic!("{e}"));
        PolicySet::new([("p", p)])
    }

    /// The offers for `action`, denies then allows, each in set order.
    fn offers(s: &PolicySet, action: &str) -> Vec<Offer> {
        let folded = fold(action);
        let c = s.candidates(&folded);
        let mut out = Vec::new();
        for effect in [Effect::Deny, Effect::Allow] {
            let _ = c.visit(effect, |o| {
                out.push(o);
                ControlFlow::Continue(())
            });
        }
        out
    }

    fn candidates(s: &PolicySet, action: &str) -> Vec<StmtRef> {
        offers(s, action).into_iter().map(|o| o.at).collect()
    }

    #[test]
    fn the_index_returns_only_statements_that_can_match() {
        let s = set(r#"{"Version":"1","Statement":[
            {"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"},
            {"Effect":"Allow","Action":["kms:List*","log:*"],"Resource":"*"},
            {"Effect":"Deny","Action":"*:Describe*","Resource":"*"},
            {"Effect":"Deny","NotAction":"ram:*","Resource":"*"},
            {"Effect":"Allow","Action":["KMS:DECRYPT","kms:decrypt"],"Resource":"*"},
            {"Effect":"Allow","Action":["kms:Gen*","kms:G?t*","kms:*Key"],"Resource":"*"}]}"#);
        assert_eq!(
            candidates(&s, "kms:Decrypt"),
            vec![(0, 3), (0, 0), (0, 4), (0, 5)]
        );
        assert_eq!(
            candidates(&s, "kms:DescribeKey"),
            vec![(0, 2), (0, 3), (0, 5)]
        );
        assert_eq!(candidates(&s, "kms:ListKeys"), vec![(0, 3), (0, 1), (0, 5)]);
        assert_eq!(candidates(&s, "log:GetLogStore"), vec![(0, 3), (0, 1)]);
        assert_eq!(candidates(&s, "oss:GetObject"), vec![(0, 3)]);
    }

    #[test]
    fn an_entry_proves_the_match_only_when_its_key_is_the_whole_pattern() {
        let s = set(r#"{"Version":"1","Statement":[
            {"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"},
            {"Effect":"Allow","Action":"kms:Gen*","Resource":"*"},
            {"Effect":"Allow","Action":"kms:G*Key","Resource":"*"},
            {"Effect":"Allow","Action":["kms:*Key","kms:Generate*"],"Resource":"*"},
            {"Effect":"Allow","Action":"*:Generate*","Resource":"*"},
            {"Effect":"Allow","Action":"*:Gen?rate*","Resource":"*"},
            {"Effect":"Allow","Action":"*","Resource":"*"},
            {"Effect":"Allow","NotAction":"ram:*","Resource":"*"}]}"#);
        let proofs: Vec<(u32, bool)> = offers(&s, "kms:GenerateDataKey")
            .into_iter()
            .map(|o| (o.at.1, o.action_matches))
            .collect();
        assert_eq!(
            proofs,
            vec![
                (1, true),
                (2, false),
                (3, true),
                (4, true),
                (5, false),
                (6, true),
                (7, false)
            ]
        );
    }

    #[test]
    fn name_starts_narrow_the_statements_of_a_service() {
        let s = set(r#"{"Version":"1","Statement":[
            {"Effect":"Allow","Action":"kms:Get*","Resource":"*"},
            {"Effect":"Allow","Action":"kms:Generate*","Resource":"*"},
            {"Effect":"Allow","Action":"kms:G*","Resource":"*"},
            {"Effect":"Allow","Action":"kms:*DataKey","Resource":"*"},
            {"Effect":"Allow","Action":"*:Get*","Resource":"*"},
            {"Effect":"Allow","Action":"*:Generate*","Resource":"*"}]}"#);
        assert_eq!(
            candidates(&s, "KMS:GenerateDataKey"),
            vec![(0, 1), (0, 2), (0, 3), (0, 5)]
        );
        assert_eq!(
            candidates(&s, "kms:GetPublicKey"),
            vec![(0, 0), (0, 2), (0, 3), (0, 4)]
        );
        assert_eq!(candidates(&s, "kms:Encrypt"), vec![(0, 3)]);
        assert_eq!(candidates(&s, "oss:GetObject"), vec![(0, 4)]);
    }

    #[test]
    fn actions_that_are_not_service_colon_name_still_find_their_statements() {
        let s = set(r#"{"Version":"1","Statement":[
            {"Effect":"Allow","Action":"*:Get*","Resource":"*"},
            {"Effect":"Allow","Action":"kms:*","Resource":"*"},
            {"Effect":"Allow","Action":"*","Resource":"*"},
            {"Effect":"Allow","Action":"k*","Resource":"*"}]}"#);
        // No `:`: nothing filed under a service or `*:` can match.
        assert_eq!(candidates(&s, "kmsGetKey"), vec![(0, 2), (0, 3)]);
        // Two `:`: `*:Get*` matches `a:b:GetKey` (its `*` takes `a:b`), so
        // every statement is offered, and none as proved.
        let all = offers(&s, "a:b:GetKey");
        assert_eq!(all.len(), 4);
        assert!(all.iter().all(|o| !o.action_matches));
    }

    #[test]
    fn too_many_matching_entries_offer_every_statement() {
        // `a:*`, `a:b*`, `a:bb*`, … : an action `a:bbbb…` starts with all
        // of them, more than one lookup holds.
        let statements: Vec<String> = (0..20)
            .map(|i| {
                format!(
                    r#"{{"Effect":"Allow","Action":"a:{}*","Resource":"*"}}"#,
                    "b".repeat(i)
                )
            })
            .chain([r#"{"Effect":"Allow","Action":"z:Other","Resource":"*"}"#.to_string()])
            .collect();
        let s = set(&format!(
            r#"{{"Version":"1","Statement":[{}]}}"#,
            statements.join(",")
        ));
        let all = offers(&s, &format!("a:{}", "b".repeat(30)));
        assert_eq!(all.len(), 21, "the fallback offers every statement");
        assert!(all.iter().all(|o| !o.action_matches));
        assert_eq!(candidates(&s, "a:bb").len(), 3);
    }

    #[test]
    fn resource_tags_tell_services_apart_and_never_exclude_a_match() {
        let tag = ResourceTag::of_arn_start;
        assert_eq!(tag("acs:kms:*:*:key/*"), tag("acs:kms:cn-hangzhou:1:key/k"));
        assert_eq!(tag("ACS:RAM::1:role/x"), tag("acs:ram::1:role/X"));
        assert_ne!(tag("acs:kms:"), tag("acs:ecs:"));
        assert_eq!(tag("acs:kms"), None, "the service is not complete");
        assert_eq!(tag("*"), None);
        assert_eq!(tag("arn:aws:s3:::b"), None);
        let kms = tag("acs:kms:").unwrap_or(ResourceTag::ANY);
        assert!(kms.admits(kms));
        assert!(ResourceTag::ANY.admits(kms));
        assert!(ResourceTag::ANY.admits(ResourceTag::NOT_AN_ARN));
        assert!(!kms.admits(ResourceTag::NOT_AN_ARN));

        let s = set(r#"{"Version":"1","Statement":[
            {"Effect":"Allow","Action":"kms:*","Resource":["acs:kms:*:*:key/*","acs:kms:*:*:alias/*"]},
            {"Effect":"Allow","Action":"kms:*","Resource":["acs:kms:*:*:key/*","acs:oss:*:*:b/*"]},
            {"Effect":"Allow","Action":"kms:*","Resource":"acs:*:*:*:key/*"},
            {"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#);
        let tags: Vec<bool> = offers(&s, "kms:Decrypt")
            .iter()
            .map(|o| o.resource == ResourceTag::ANY)
            .collect();
        assert_eq!(tags, [false, true, true, true]);
    }
}
