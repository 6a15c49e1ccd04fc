//! Alibaba Cloud Resource Names: `acs:<service>:<region>:<account>:<relative-id>`.

/// The five fields of an ARN, borrowed from the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arn<'a> {
    /// The RAM code of the service (`ram`, `kms`, `log`, …).
    pub service: &'a str,
    /// The region, empty for global services.
    pub region: &'a str,
    /// The 16-digit account id (or a pattern, in policies).
    pub account: &'a str,
    /// The service-defined rest (`role/name`, `key/<id>`, …); may hold `:`.
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Splits an `acs:` ARN; `None` when the text has another shape.
    pub fn parse(text: &'a str) -> Option<Arn<'a>> {
        let rest = text.strip_prefix("acs:")?;
        let mut parts = rest.splitn(4, ':');
        let service = parts.next()?;
        let region = parts.next()?;
        let account = parts.next()?;
        let resource = parts.next()?;
        Some(Arn {
            service,
            region,
            account,
            resource,
        })
    }

    /// Whether the ARN names a RAM role or a session of one
    /// (`acs:ram::<uid>:role/<name>[/<session>]`).
    pub fn is_role(&self) -> bool {
        self.service == "ram" && self.resource.starts_with("role/")
    }
}

/// Whether `text` is a RAM role ARN (or role session ARN): their role names
/// compare case-insensitively (spec §4.3).
pub fn is_role_arn(text: &str) -> bool {
    Arn::parse(text).is_some_and(|a| a.is_role())
}

/// Whether `uid` looks like an Alibaba Cloud account id (16 digits).
pub fn is_account_id(uid: &str) -> bool {
    uid.len() == 16 && uid.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `region` can name a region in an ARN (`cn-hangzhou`): lower-case
/// letters, digits and `-`, not empty.
pub fn is_region(region: &str) -> bool {
    !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_lower_case_words() {
        assert!(is_region("cn-hangzhou"));
        assert!(is_region("ap-southeast-1"));
        assert!(!is_region(""));
        assert!(!is_region("CN HZ"));
        assert!(!is_region("cn:hangzhou"));
    }

    #[test]
    fn arns_split_into_five_fields() {
        let a = Arn::parse("acs:log:cn-hangzhou:1234567890123456:project/p/logstore/l");
        assert_eq!(
            a,
            Some(Arn {
                service: "log",
                region: "cn-hangzhou",
                account: "1234567890123456",
                resource: "project/p/logstore/l"
            })
        );
        assert_eq!(Arn::parse("arn:aws:iam::1:role/x"), None);
        assert_eq!(Arn::parse("acs:ram::1"), None);
        assert!(is_role_arn(
            "acs:ram::1234567890123456:role/AliyunLogETLRole"
        ));
        assert!(!is_role_arn("acs:ram::1234567890123456:user/alice"));
        assert!(is_account_id("1234567890123456"));
        assert!(!is_account_id("123456789012****"));
    }
}
