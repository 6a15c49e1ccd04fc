//! Actions, as the lint catalogue knows them: the one place the analysis
//! reads the service catalogue, so it can be repointed when the catalogues
//! change shape.

use crate::lint::catalogue::ServiceCatalogue;
use crate::lint::catalogue::services::action_pattern;

/// The actions an action pattern covers: itself when it has no wildcard,
/// else every catalogued `service:Action` it matches (services matched by
/// their code, actions case-insensitively).
pub fn expand_action(pattern: &str) -> Vec<String> {
    if !pattern.contains(['*', '?']) {
        return vec![pattern.to_string()];
    }
    let (service, action) = pattern.split_once(':').unwrap_or((pattern, "*"));
    let services = action_pattern(service);
    let actions = action_pattern(action);
    let mut out: Vec<String> = ServiceCatalogue::get()
        .services()
        .iter()
        .filter(|s| services.matches(&s.service))
        .flat_map(|s| {
            s.matching(&actions)
                .map(move |a| format!("{}:{}", s.service, a.name))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Every catalogued action of a service (`kms` → `kms:CreateKey`, …).
pub fn service_actions(service: &str) -> Vec<String> {
    ServiceCatalogue::get()
        .service(service)
        .map(|s| {
            s.actions
                .iter()
                .map(|a| format!("{}:{}", s.service, a.name))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_expand_through_the_catalogue() {
        let kms = expand_action("kms:*Key");
        assert!(kms.contains(&"kms:DisableKey".to_string()), "{kms:?}");
        assert!(!kms.contains(&"kms:Decrypt".to_string()));
        assert_eq!(
            expand_action("log:GetLogStoreLogs"),
            vec!["log:GetLogStoreLogs"]
        );
        assert!(service_actions("ram").contains(&"ram:PassRole".to_string()));
    }
}
