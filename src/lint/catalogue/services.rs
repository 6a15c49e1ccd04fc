//! The service catalogue: RAM codes, actions, resource ARN formats and
//! condition keys, one JSON file per service under `services/`.
//!
//! Catalogues go stale (Parliament's most reported problem), so each file
//! says where its lists came from, how sure we are, and whether the action
//! list is `complete`. Only complete lists make every unknown action a
//! finding; for the others only near-misses of a known action are reported.
//! `scripts/refresh-catalogue.py` validates and normalises the files.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::Deserialize;

use crate::policy::pattern::{Case, Pattern};

/// The known actions an action pattern covers ([`ServiceCatalogue::expand_actions`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionExpansion {
    /// `service:Action` names, by service, in catalogue order.
    pub actions: Vec<String>,
    /// Whether these are all the actions the pattern can match.
    pub complete: bool,
}

/// One service's catalogue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// The RAM code (`kms`).
    pub service: String,
    /// The product name.
    pub name: String,
    /// The date the data was last refreshed.
    pub version: String,
    /// Where the lists come from.
    pub source: String,
    /// How sure we are of them.
    pub confidence: String,
    /// Whether the action list is believed to hold every action.
    pub complete: bool,
    /// The Tea SDK packages on PyPI whose API operations the action list
    /// holds (`scripts/refresh-catalogue.py --sdk` reads them).
    #[serde(default)]
    pub sdk: Vec<String>,
    /// API operations whose RAM action has another name (Log Service's
    /// `GetLogs` is `log:GetLogStoreLogs`), API name → action name.
    #[serde(default)]
    pub api_names: BTreeMap<String, String>,
    /// Services whose ARNs the actions also take (RAM's `AttachPolicyToUser`
    /// on `acs:ims:*:<uid>:user/<name>`), besides the service's own and the
    /// services of its resource types.
    #[serde(default)]
    pub arn_services: Vec<String>,
    /// Resource types and their ARN templates.
    pub resource_types: Vec<ResourceType>,
    /// Service-specific condition keys.
    pub condition_keys: Vec<ConditionKeyDef>,
    /// The actions.
    pub actions: Vec<ActionDef>,
}

/// A resource type: `{"name": "key", "arn": "acs:kms:{RegionId}:{AccountId}:key/{KeyId}"}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceType {
    /// The type name, referred to by actions.
    pub name: String,
    /// The ARN template; `{Placeholder}`s stand for names and ids.
    pub arn: String,
}

impl ResourceType {
    /// The template as a wildcard pattern (every placeholder becomes `*`).
    pub fn pattern(&self) -> String {
        template_pattern(&self.arn)
    }
}

/// An ARN template (`acs:oss:*:{AccountId}:{BucketName}`) as a wildcard
/// pattern: every `{Placeholder}` becomes `*`.
pub fn template_pattern(template: &str) -> String {
    let mut out = String::new();
    let mut in_placeholder = false;
    for c in template.chars() {
        match c {
            '{' => {
                in_placeholder = true;
                out.push('*');
            }
            '}' => in_placeholder = false,
            _ if in_placeholder => {}
            _ => out.push(c),
        }
    }
    out
}

/// A condition key: `{"name": "acs:SourceIp", "type": "Ip", "multivalued": false}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionKeyDef {
    /// The key; a trailing `{TagKey}` placeholder stands for any suffix.
    pub name: String,
    /// The value type (`String`, `Date`, `Bool`, `Ip`, `Numeric`).
    #[serde(rename = "type")]
    pub value_type: String,
    /// Whether a request may carry several values for the key.
    #[serde(default)]
    pub multivalued: bool,
}

impl ConditionKeyDef {
    /// Whether `key` is this key (case-insensitively, spec §5.2), or one of
    /// its family for a placeholder key such as `acs:ResourceTag/{TagKey}`.
    pub fn matches(&self, key: &str) -> bool {
        match self.name.split_once('{') {
            Some((prefix, _)) => {
                key.len() > prefix.len()
                    && key
                        .get(..prefix.len())
                        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
            }
            None => self.name.eq_ignore_ascii_case(key),
        }
    }
}

/// An action: `{"name": "Decrypt", "resources": ["key"]}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionDef {
    /// The action name without the service prefix.
    pub name: String,
    /// The resource types it applies to; empty when not known or when the
    /// action has no resource-level permission.
    #[serde(default)]
    pub resources: Vec<String>,
    /// `permissions-management` for actions that change permissions.
    #[serde(default)]
    pub access: Option<String>,
}

impl ActionDef {
    /// Whether the action can change who may do what.
    pub fn is_permissions_management(&self) -> bool {
        self.access.as_deref() == Some("permissions-management")
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Index {
    #[allow(dead_code)]
    version: String,
    #[allow(dead_code)]
    source: String,
    #[allow(dead_code)]
    confidence: String,
    services: Vec<String>,
    aliases: HashMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct GlobalKeys {
    #[allow(dead_code)]
    version: String,
    #[allow(dead_code)]
    source: String,
    #[allow(dead_code)]
    confidence: String,
    condition_keys: Vec<ConditionKeyDef>,
}

/// The catalogue files, by name, as compiled into the crate.
pub const FILES: [(&str, &str); 11] = [
    ("index.json", include_str!("services/index.json")),
    ("global.json", include_str!("services/global.json")),
    ("kms.json", include_str!("services/kms.json")),
    ("log.json", include_str!("services/log.json")),
    ("ram.json", include_str!("services/ram.json")),
    ("sts.json", include_str!("services/sts.json")),
    ("oss.json", include_str!("services/oss.json")),
    ("ecs.json", include_str!("services/ecs.json")),
    ("vpc.json", include_str!("services/vpc.json")),
    ("rds.json", include_str!("services/rds.json")),
    (
        "actiontrail.json",
        include_str!("services/actiontrail.json"),
    ),
];

/// All services, the list of known RAM codes and the global condition keys.
#[derive(Debug)]
pub struct ServiceCatalogue {
    services: Vec<Service>,
    known_codes: Vec<String>,
    aliases: HashMap<String, String>,
    global_keys: Vec<ConditionKeyDef>,
}

/// A catalogue file that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("catalogue file `{file}` is invalid: {error}")]
pub struct CatalogueError {
    /// The file name.
    pub file: &'static str,
    /// What serde said.
    pub error: serde_json::Error,
}

impl ServiceCatalogue {
    /// Parses the compiled-in files.
    pub fn load() -> Result<ServiceCatalogue, CatalogueError> {
        let mut services = Vec::new();
        let mut index = None;
        let mut global = None;
        for (file, text) in FILES {
            let wrap = |error| CatalogueError { file, error };
            match file {
                "index.json" => index = Some(serde_json::from_str::<Index>(text).map_err(wrap)?),
                "global.json" => {
                    global = Some(serde_json::from_str::<GlobalKeys>(text).map_err(wrap)?)
                }
                _ => services.push(serde_json::from_str::<Service>(text).map_err(wrap)?),
            }
        }
        let index = index.map(|i| (i.services, i.aliases)).unwrap_or_default();
        Ok(ServiceCatalogue {
            services,
            known_codes: index.0,
            aliases: index.1,
            global_keys: global.map(|g| g.condition_keys).unwrap_or_default(),
        })
    }

    /// The catalogue compiled into the crate, parsed at first use.
    pub fn get() -> &'static ServiceCatalogue {
        static CATALOGUE: OnceLock<ServiceCatalogue> = OnceLock::new();
        CATALOGUE.get_or_init(|| {
            // A unit test loads the same files, so this cannot fail in a
            // released build; an empty catalogue is the safe fallback.
            ServiceCatalogue::load().unwrap_or_else(|_| ServiceCatalogue {
                services: Vec::new(),
                known_codes: Vec::new(),
                aliases: HashMap::new(),
                global_keys: Vec::new(),
            })
        })
    }

    /// The services with a detailed catalogue.
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// The detailed catalogue of a RAM code (case-insensitive).
    pub fn service(&self, code: &str) -> Option<&Service> {
        self.services
            .iter()
            .find(|s| s.service.eq_ignore_ascii_case(code))
    }

    /// Whether `code` is a RAM code ramgate knows.
    pub fn is_known_code(&self, code: &str) -> bool {
        self.service(code).is_some()
            || self
                .known_codes
                .iter()
                .any(|c| c.eq_ignore_ascii_case(code))
    }

    /// The RAM code users most likely meant by an unknown one: a documented
    /// alias (`sls` → `log`) or a near-miss.
    pub fn suggest_code(&self, code: &str) -> Option<&str> {
        if let Some(a) = self.aliases.get(&code.to_ascii_lowercase()) {
            return Some(a.as_str());
        }
        let all = self
            .services
            .iter()
            .map(|s| s.service.as_str())
            .chain(self.known_codes.iter().map(String::as_str));
        crate::policy::condition::suggest(code, all)
    }

    /// The condition key definition for `key`, searching the global keys and
    /// the key's service. `None` when the key is unknown.
    pub fn condition_key(&self, key: &str) -> Option<&ConditionKeyDef> {
        self.global_keys
            .iter()
            .chain(self.services.iter().flat_map(|s| s.condition_keys.iter()))
            .find(|k| k.matches(key))
    }

    /// Whether ramgate knows the keys of this prefix well enough to call a
    /// key of it unknown: `acs`, `saml`, `oidc` and the catalogued services.
    pub fn knows_key_prefix(&self, prefix: &str) -> bool {
        ["acs", "saml", "oidc"]
            .iter()
            .any(|p| p.eq_ignore_ascii_case(prefix))
            || self.service(prefix).is_some()
    }

    /// The known actions an action pattern covers, as `service:Action`
    /// (`kms:Get*`, `ram:PassRole`, `*:Describe*`, `*`): the one function
    /// other modules use to expand wildcard actions through the catalogue.
    ///
    /// Service codes and action names compare case-insensitively (spec
    /// §5.2). The expansion is `complete` when the pattern's service part
    /// is a literal code whose catalogue is marked complete; a pattern over
    /// services, or over a service with a partial or no catalogue, may
    /// cover actions ramgate does not know.
    ///
    /// ```
    /// use ramgate::lint::catalogue::ServiceCatalogue;
    ///
    /// let e = ServiceCatalogue::get().expand_actions("sts:AssumeRole*");
    /// assert!(e.complete);
    /// assert!(e.actions.iter().any(|a| a == "sts:AssumeRoleWithSAML"));
    /// assert!(!ServiceCatalogue::get().expand_actions("*:Get*").complete);
    /// ```
    pub fn expand_actions(&self, pattern: &str) -> ActionExpansion {
        let (service, name) = pattern.split_once(':').unwrap_or((pattern, "*"));
        let services = Pattern::new(service, Case::Insensitive);
        let names = action_pattern(name);
        let mut actions = Vec::new();
        for svc in self
            .services
            .iter()
            .filter(|s| services.matches(&s.service))
        {
            actions.extend(
                svc.matching(&names)
                    .map(|a| format!("{}:{}", svc.service, a.name)),
            );
        }
        let complete = services.is_literal() && self.service(service).is_some_and(|s| s.complete);
        ActionExpansion { actions, complete }
    }

    /// Every catalogued key name, for suggestions.
    pub fn key_names(&self) -> impl Iterator<Item = &str> {
        self.global_keys
            .iter()
            .chain(self.services.iter().flat_map(|s| s.condition_keys.iter()))
            .map(|k| k.name.as_str())
    }
}

impl Service {
    /// The action with this name (case-insensitive, as RAM compares actions).
    pub fn action(&self, name: &str) -> Option<&ActionDef> {
        self.actions
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The actions an action-name pattern (`Get*`) covers.
    pub fn matching<'s>(&'s self, pattern: &Pattern) -> impl Iterator<Item = &'s ActionDef> + 's {
        let pattern = pattern.clone();
        self.actions
            .iter()
            .filter(move |a| pattern.matches(&a.name))
    }

    /// A resource type by name.
    pub fn resource_type(&self, name: &str) -> Option<&ResourceType> {
        self.resource_types.iter().find(|r| r.name == name)
    }

    /// A known action close to `name`, for "did you mean".
    pub fn suggest_action(&self, name: &str) -> Option<&str> {
        crate::policy::condition::suggest(name, self.actions.iter().map(|a| a.name.as_str()))
    }
}

/// Compiles the action-name part of an action pattern (actions compare
/// case-insensitively, spec §5.2).
pub fn action_pattern(name: &str) -> Pattern {
    Pattern::new(name, Case::Insensitive)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_file_parses_and_is_consistent() {
        let cat = ServiceCatalogue::load().unwrap_or_else(|e| panic!("{e}"));
        for code in [
            "log",
            "kms",
            "ram",
            "sts",
            "oss",
            "ecs",
            "vpc",
            "rds",
            "actiontrail",
        ] {
            let s = cat
                .service(code)
                .unwrap_or_else(|| panic!("no catalogue for {code}"));
            assert!(!s.actions.is_empty() && !s.source.is_empty() && !s.version.is_empty());
            let mut names: Vec<String> = s
                .actions
                .iter()
                .map(|a| a.name.to_ascii_lowercase())
                .collect();
            let n = names.len();
            names.sort();
            names.dedup();
            assert_eq!(n, names.len(), "{code} lists an action twice");
            for a in &s.actions {
                for r in &a.resources {
                    assert!(
                        s.resource_type(r).is_some(),
                        "{code}:{} names unknown type {r}",
                        a.name
                    );
                }
            }
            for t in &s.resource_types {
                assert!(t.arn.starts_with("acs:"), "{}", t.arn);
            }
        }
        assert!(cat.is_known_code("actiontrail"));
        assert!(!cat.is_known_code("sls"));
        assert_eq!(cat.suggest_code("sls"), Some("log"));
    }

    #[test]
    fn templates_become_patterns_and_tag_keys_match_their_family() {
        let t = ResourceType {
            name: "key".into(),
            arn: "acs:kms:{RegionId}:{AccountId}:key/{KeyId}".into(),
        };
        assert_eq!(t.pattern(), "acs:kms:*:*:key/*");
        let cat = ServiceCatalogue::get();
        assert!(cat.condition_key("acs:ResourceTag/team").is_some());
        assert!(cat.condition_key("ACS:sourceip").is_some());
        assert!(cat.condition_key("acs:ResourceTag/").is_none());
        assert!(cat.condition_key("kms:tag/Project").is_some());
        assert!(cat.condition_key("acs:SourceIP4").is_none());
    }

    #[test]
    fn the_documented_kms_and_log_actions_are_catalogued() {
        let cat = ServiceCatalogue::get();
        let kms = cat.service("kms").unwrap_or_else(|| panic!("kms"));
        for a in [
            "GenerateDataKey",
            "Decrypt",
            "DescribeKey",
            "GetSecretValue",
            "ReEncryptFrom",
        ] {
            assert!(kms.action(a).is_some(), "{a}");
        }
        assert_eq!(
            kms.suggest_action("GenerateDataKeys"),
            Some("GenerateDataKey")
        );
        let log = cat.service("log").unwrap_or_else(|| panic!("log"));
        for a in [
            "PostLogStoreLogs",
            "GetLogStoreLogs",
            "CreateLogStore",
            "UpdateLogStore",
        ] {
            assert!(log.action(a).is_some(), "{a}");
        }
        let ram = cat.service("ram").unwrap_or_else(|| panic!("ram"));
        assert!(ram.action("PassRole").is_some());
        assert!(
            ram.action("AttachPolicyToRole")
                .is_some_and(ActionDef::is_permissions_management)
        );
    }
}
