//! Condition operators, their typed values and how they compare.
//!
//! RAM has exactly 21 operators in five families (spec §6.1). Values are
//! checked and converted when a policy is loaded, so evaluation compares
//! typed values and a malformed policy value is a parse error, not a
//! surprise at request time.
//!
//! # The combination rules (spec §6.3, §6.4, AWS behaviour where RAM is silent)
//!
//! For one key, a request value *satisfies* a positive operator when it
//! matches any of the policy values, and a negated operator when it matches
//! none of them. Then:
//!
//! * plain positive operator: some request value satisfies it (so an absent
//!   key is `false`);
//! * plain negated operator: every request value satisfies it (so an absent
//!   key is `true`: `StringNotLike acs:SourceVpc "vpc-*"` fires for requests
//!   that did not come from a VPC, as Alibaba's own examples intend);
//! * `ForAnyValue:` some request value satisfies it (absent key: `false`);
//! * `ForAllValues:` every request value satisfies it (absent key: `true`).

use std::cmp::Ordering;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::pattern::{Case, Pattern, fold, fold_char};

/// The five operator families.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Family {
    /// Strings, exact, case-folded or with wildcards.
    String,
    /// Decimal numbers written as strings.
    Numeric,
    /// ISO 8601 instants.
    Date,
    /// `true` / `false`.
    Bool,
    /// IPv4 / IPv6 addresses and CIDR ranges.
    Ip,
}

macro_rules! operators {
    ($($name:ident => $family:ident, $negated:expr;)*) => {
        /// One of RAM's 21 condition operators.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum Operator { $(
            #[doc = concat!("`", stringify!($name), "`")]
            $name,
        )* }

        impl Operator {
            /// Every operator, in the order of the spec's table.
            pub const ALL: [Operator; 21] = [$(Operator::$name),*];

            /// The operator's name as written in policies.
            pub fn as_str(self) -> &'static str {
                match self { $(Operator::$name => stringify!($name),)* }
            }

            /// The family, which decides the value type.
            pub fn family(self) -> Family {
                match self { $(Operator::$name => Family::$family,)* }
            }

            /// Whether the operator is a negation (`…Not…`): true on an absent key.
            pub fn is_negated(self) -> bool {
                match self { $(Operator::$name => $negated,)* }
            }
        }
    };
}

operators! {
    StringEquals => String, false;
    StringNotEquals => String, true;
    StringEqualsIgnoreCase => String, false;
    StringNotEqualsIgnoreCase => String, true;
    StringLike => String, false;
    StringNotLike => String, true;
    NumericEquals => Numeric, false;
    NumericNotEquals => Numeric, true;
    NumericLessThan => Numeric, false;
    NumericLessThanEquals => Numeric, false;
    NumericGreaterThan => Numeric, false;
    NumericGreaterThanEquals => Numeric, false;
    DateEquals => Date, false;
    DateNotEquals => Date, true;
    DateLessThan => Date, false;
    DateLessThanEquals => Date, false;
    DateGreaterThan => Date, false;
    DateGreaterThanEquals => Date, false;
    Bool => Bool, false;
    IpAddress => Ip, false;
    NotIpAddress => Ip, true;
}

impl Operator {
    /// Looks an operator up by its exact name (operator names are
    /// case-sensitive: RAM documents one spelling, spec §5.2).
    pub fn parse(name: &str) -> Option<Operator> {
        Operator::ALL.into_iter().find(|o| o.as_str() == name)
    }

    /// Whether values of this operator may use `*` and `?`.
    pub fn is_like(self) -> bool {
        matches!(self, Operator::StringLike | Operator::StringNotLike)
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The set qualifiers for multi-valued keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Qualifier {
    /// `ForAnyValue:`: some request value must satisfy the operator.
    ForAnyValue,
    /// `ForAllValues:`: every request value must (true when there are none).
    ForAllValues,
}

impl Qualifier {
    /// The prefix as written, without the colon.
    pub fn as_str(self) -> &'static str {
        match self {
            Qualifier::ForAnyValue => "ForAnyValue",
            Qualifier::ForAllValues => "ForAllValues",
        }
    }
}

/// An operator with its optional qualifier, as written in a `Condition` key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct QualifiedOperator {
    /// `ForAnyValue` / `ForAllValues`, if given.
    pub qualifier: Option<Qualifier>,
    /// The operator.
    pub operator: Operator,
}

impl fmt::Display for QualifiedOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.qualifier {
            Some(q) => write!(f, "{}:{}", q.as_str(), self.operator),
            None => write!(f, "{}", self.operator),
        }
    }
}

/// Why an operator name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OperatorError {
    /// Not a RAM operator at all, or an AWS-only one RAM does not have.
    #[error("unknown condition operator `{name}`")]
    Unknown {
        /// The operator as written.
        name: String,
        /// A close RAM operator, for the help line.
        suggestion: Option<&'static str>,
    },
    /// A prefix before `:` other than the two qualifiers.
    #[error("unknown set qualifier `{0}`, expected `ForAnyValue` or `ForAllValues`")]
    UnknownQualifier(String),
}

impl OperatorError {
    /// A help line for the user.
    pub fn help(&self) -> Option<String> {
        match self {
            OperatorError::Unknown {
                suggestion: Some(s),
                ..
            } => Some(format!("did you mean `{s}`?")),
            OperatorError::Unknown { name, .. } => Some(unsupported_help(name)),
            OperatorError::UnknownQualifier(_) => None,
        }
    }
}

fn unsupported_help(name: &str) -> String {
    if name == "Null"
        || name.ends_with("IfExists")
        || name.starts_with("Arn")
        || name.starts_with("Binary")
    {
        format!(
            "`{name}` is an AWS IAM operator; RAM supports only its 21 String, Numeric, Date, Bool and IP operators"
        )
    } else {
        "RAM supports only its 21 String, Numeric, Date, Bool and IP operators".to_string()
    }
}

impl FromStr for QualifiedOperator {
    type Err = OperatorError;
    fn from_str(s: &str) -> Result<Self, OperatorError> {
        let (qualifier, name) = match s.split_once(':') {
            Some(("ForAnyValue", rest)) => (Some(Qualifier::ForAnyValue), rest),
            Some(("ForAllValues", rest)) => (Some(Qualifier::ForAllValues), rest),
            Some((q, _)) => return Err(OperatorError::UnknownQualifier(q.to_string())),
            None => (None, s),
        };
        let operator = Operator::parse(name).ok_or_else(|| OperatorError::Unknown {
            name: name.to_string(),
            suggestion: suggest(name, Operator::ALL.iter().map(|o| o.as_str())),
        })?;
        Ok(QualifiedOperator {
            qualifier,
            operator,
        })
    }
}

/// The closest candidate by edit distance, if it is close enough to be a typo.
pub fn suggest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .map(|c| (edit_distance(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len() / 4).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Why a value is not of its operator's type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// A `Numeric*` value that is no decimal number.
    #[error("`{0}` is not a number")]
    NotANumber(String),
    /// A `Date*` value that is not ISO 8601.
    #[error("`{0}` is not an ISO 8601 date and time such as `2019-08-12T17:00:00+08:00`")]
    NotADate(String),
    /// A `Bool` value other than `true` / `false`.
    #[error("`{0}` is not `true` or `false`")]
    NotABool(String),
    /// An `IpAddress` value that is no address or CIDR range.
    #[error("`{0}` is not an IPv4 or IPv6 address or CIDR range")]
    NotAnIp(String),
}

/// An exact decimal number: compared numerically, never as text and never
/// through floating point, so `10` > `9` and `1.10` = `1.1` at any size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decimal {
    negative: bool,
    /// Integer digits without leading zeros ("" for zero).
    int: String,
    /// Fraction digits without trailing zeros.
    frac: String,
}

/// A decimal that borrows its digits from the text it was read from: request
/// values are compared in this form, so evaluation does not allocate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct DecimalStr<'a> {
    negative: bool,
    int: &'a str,
    frac: &'a str,
}

impl<'a> DecimalStr<'a> {
    /// Accepts `-?digits(.digits)?` with an optional leading `+`.
    fn parse(s: &'a str) -> Result<DecimalStr<'a>, ValueError> {
        let bad = || ValueError::NotANumber(s.to_string());
        let (negative, body) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty()
            || !digits(int)
            || !digits(frac)
            || (body.contains('.') && frac.is_empty())
        {
            return Err(bad());
        }
        let int = int.trim_start_matches('0');
        let frac = frac.trim_end_matches('0');
        let zero = int.is_empty() && frac.is_empty();
        Ok(DecimalStr {
            negative: negative && !zero,
            int,
            frac,
        })
    }
}

impl Ord for DecimalStr<'_> {
    fn cmp(&self, other: &DecimalStr<'_>) -> Ordering {
        let magnitude = self
            .int
            .len()
            .cmp(&other.int.len())
            .then_with(|| self.int.cmp(other.int))
            .then_with(|| self.frac.cmp(other.frac));
        match (self.negative, other.negative) {
            (false, false) => magnitude,
            (true, true) => magnitude.reverse(),
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
        }
    }
}

impl PartialOrd for DecimalStr<'_> {
    fn partial_cmp(&self, other: &DecimalStr<'_>) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Decimal {
    fn as_decimal_str(&self) -> DecimalStr<'_> {
        DecimalStr {
            negative: self.negative,
            int: &self.int,
            frac: &self.frac,
        }
    }
}

impl FromStr for Decimal {
    type Err = ValueError;
    /// Accepts `-?digits(.digits)?` with an optional leading `+`.
    fn from_str(s: &str) -> Result<Decimal, ValueError> {
        let d = DecimalStr::parse(s)?;
        Ok(Decimal {
            negative: d.negative,
            int: d.int.to_string(),
            frac: d.frac.to_string(),
        })
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Decimal) -> Ordering {
        self.as_decimal_str().cmp(&other.as_decimal_str())
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Decimal) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Parses an ISO 8601 instant in its RFC 3339 profile
/// (`2012-11-11T23:59:59Z`, `2019-08-12T17:00:00+08:00`, fractions allowed).
/// Offsets are honoured: values compare as instants.
pub fn parse_date(s: &str) -> Result<OffsetDateTime, ValueError> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|_| ValueError::NotADate(s.to_string()))
}

/// Parses `true` / `false` (exactly these spellings).
pub fn parse_bool(s: &str) -> Result<bool, ValueError> {
    match s {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ValueError::NotABool(s.to_string())),
    }
}

/// Parses an address (a one-address range) or a CIDR range.
pub fn parse_ip_range(s: &str) -> Result<IpNet, ValueError> {
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| ValueError::NotAnIp(s.to_string()))
}

/// Checks that `value` is of the type `operator` compares.
pub fn check_value(operator: Operator, value: &str) -> Result<(), ValueError> {
    match operator.family() {
        Family::String => Ok(()),
        Family::Numeric => value.parse::<Decimal>().map(drop),
        Family::Date => parse_date(value).map(drop),
        Family::Bool => parse_bool(value).map(drop),
        Family::Ip => parse_ip_range(value).map(drop),
    }
}

/// The policy values of one key, converted to the operator's type.
#[derive(Clone, Debug)]
pub enum TypedValues {
    /// `StringEquals`, `StringNotEquals`.
    Exact(Vec<String>),
    /// The `…IgnoreCase` operators: the values folded.
    Folded(Vec<String>),
    /// `StringLike`, `StringNotLike`.
    Like(Vec<Pattern>),
    /// `Numeric*`.
    Numbers(Vec<Decimal>),
    /// `Date*`.
    Dates(Vec<OffsetDateTime>),
    /// `Bool`.
    Bools(Vec<bool>),
    /// `IpAddress`, `NotIpAddress`.
    Ranges(Vec<IpNet>),
}

/// A request value that cannot be compared by the operator (fail closed:
/// the caller makes an Allow statement not apply and a Deny statement apply).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("request value {0}")]
pub struct EvalError(pub ValueError);

impl TypedValues {
    /// Converts a key's policy values for `operator`.
    pub fn new<'a>(
        operator: Operator,
        values: impl Iterator<Item = &'a str>,
    ) -> Result<TypedValues, ValueError> {
        use Operator::*;
        Ok(match operator {
            StringEquals | StringNotEquals => {
                TypedValues::Exact(values.map(str::to_string).collect())
            }
            StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => {
                TypedValues::Folded(values.map(fold).collect())
            }
            StringLike | StringNotLike => {
                TypedValues::Like(values.map(|v| Pattern::new(v, Case::Sensitive)).collect())
            }
            _ => match operator.family() {
                Family::Numeric => {
                    TypedValues::Numbers(values.map(str::parse).collect::<Result<_, _>>()?)
                }
                Family::Date => {
                    TypedValues::Dates(values.map(parse_date).collect::<Result<_, _>>()?)
                }
                Family::Bool => {
                    TypedValues::Bools(values.map(parse_bool).collect::<Result<_, _>>()?)
                }
                Family::Ip => {
                    TypedValues::Ranges(values.map(parse_ip_range).collect::<Result<_, _>>()?)
                }
                Family::String => TypedValues::Exact(values.map(str::to_string).collect()),
            },
        })
    }

    /// The index of the first policy value that `request` stands in the
    /// operator's base relation with (`=`, `<`, `∈`, … before negation).
    pub fn find(&self, operator: Operator, request: &str) -> Result<Option<usize>, EvalError> {
        let position = |test: &dyn Fn(usize) -> bool, n: usize| (0..n).find(|&i| test(i));
        Ok(match self {
            TypedValues::Exact(v) => v.iter().position(|p| p == request),
            // The policy values are folded already; folding the request
            // character by character while comparing saves an allocation.
            TypedValues::Folded(v) => v
                .iter()
                .position(|p| p.chars().eq(request.chars().map(fold_char))),
            TypedValues::Like(v) => v.iter().position(|p| p.matches(request)),
            TypedValues::Numbers(v) => {
                let r = DecimalStr::parse(request).map_err(EvalError)?;
                let test = |i: usize| compare(operator, r.cmp(&v[i].as_decimal_str()));
                position(&test, v.len())
            }
            TypedValues::Dates(v) => {
                let r = parse_date(request).map_err(EvalError)?;
                let test = |i: usize| compare(operator, r.cmp(&v[i]));
                position(&test, v.len())
            }
            TypedValues::Bools(v) => {
                let r = parse_bool(request).map_err(EvalError)?;
                v.iter().position(|p| *p == r)
            }
            TypedValues::Ranges(v) => {
                let r: IpAddr = request
                    .parse()
                    .map_err(|_| EvalError(ValueError::NotAnIp(request.to_string())))?;
                v.iter().position(|net| net.contains(&r))
            }
        })
    }
}

/// The base relation of an ordered operator, given `request.cmp(policy)`.
fn compare(operator: Operator, ord: Ordering) -> bool {
    use Operator::*;
    match operator {
        NumericEquals | NumericNotEquals | DateEquals | DateNotEquals => ord == Ordering::Equal,
        NumericLessThan | DateLessThan => ord == Ordering::Less,
        NumericLessThanEquals | DateLessThanEquals => ord != Ordering::Greater,
        NumericGreaterThan | DateGreaterThan => ord == Ordering::Greater,
        NumericGreaterThanEquals | DateGreaterThanEquals => ord != Ordering::Less,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_exactly_21_operators_in_five_families() {
        assert_eq!(Operator::ALL.len(), 21);
        let negated: Vec<_> = Operator::ALL
            .iter()
            .filter(|o| o.is_negated())
            .map(|o| o.as_str())
            .collect();
        assert_eq!(
            negated,
            [
                "StringNotEquals",
                "StringNotEqualsIgnoreCase",
                "StringNotLike",
                "NumericNotEquals",
                "DateNotEquals",
                "NotIpAddress"
            ]
        );
    }

    #[test]
    fn qualifiers_parse_and_aws_only_operators_are_refused() {
        let q: QualifiedOperator = "ForAllValues:StringEquals"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(q.qualifier, Some(Qualifier::ForAllValues));
        assert_eq!(q.to_string(), "ForAllValues:StringEquals");
        for bad in [
            "Null",
            "StringEqualsIfExists",
            "ArnLike",
            "BinaryEquals",
            "StringEqual",
        ] {
            assert!(bad.parse::<QualifiedOperator>().is_err(), "{bad}");
        }
        let err = "StringEqual".parse::<QualifiedOperator>().err();
        assert_eq!(
            err.and_then(|e| e.help()),
            Some("did you mean `StringEquals`?".to_string())
        );
        assert_eq!(
            "ForSomeValues:StringEquals"
                .parse::<QualifiedOperator>()
                .err()
                .map(|e| e.to_string()),
            Some(
                "unknown set qualifier `ForSomeValues`, expected `ForAnyValue` or `ForAllValues`"
                    .to_string()
            )
        );
    }

    #[test]
    fn numbers_compare_numerically_not_as_text() {
        let d = |s: &str| s.parse::<Decimal>().unwrap_or_else(|e| panic!("{e}"));
        assert!(d("10") > d("9"));
        assert_eq!(d("1.10"), d("01.1"));
        assert!(d("-2") < d("-1.5"));
        assert_eq!(d("-0"), d("0.000"));
        assert!(d("123456789012345678901234567890") > d("123456789012345678901234567889"));
        for bad in ["", "1.", ".5", "1e3", "0x10", "one", "--1", "1.2.3"] {
            assert!(bad.parse::<Decimal>().is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_compare_as_instants_honouring_offsets() {
        let v = TypedValues::new(
            Operator::DateLessThan,
            ["2019-08-12T17:00:00+08:00"].into_iter(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        // 08:59:59Z is 16:59:59+08:00: before.
        assert_eq!(
            v.find(Operator::DateLessThan, "2019-08-12T08:59:59Z"),
            Ok(Some(0))
        );
        assert_eq!(
            v.find(Operator::DateLessThan, "2019-08-12T09:00:00Z"),
            Ok(None)
        );
        assert!(v.find(Operator::DateLessThan, "yesterday").is_err());
    }

    #[test]
    fn ip_ranges_contain_addresses_of_their_family() {
        let v = TypedValues::new(
            Operator::IpAddress,
            ["10.0.0.0/8", "2001:db8::/32", "192.168.1.1"].into_iter(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v.find(Operator::IpAddress, "10.1.2.3"), Ok(Some(0)));
        assert_eq!(v.find(Operator::IpAddress, "2001:db8::1"), Ok(Some(1)));
        assert_eq!(v.find(Operator::IpAddress, "192.168.1.1"), Ok(Some(2)));
        assert_eq!(v.find(Operator::IpAddress, "192.168.1.2"), Ok(None));
        assert!(v.find(Operator::IpAddress, "10.0.0.0/8").is_err());
        assert!(check_value(Operator::IpAddress, "10.0.0.300").is_err());
    }

    #[test]
    fn bool_values_are_exactly_true_or_false() {
        assert!(check_value(Operator::Bool, "true").is_ok());
        assert_eq!(
            check_value(Operator::Bool, "yes"),
            Err(ValueError::NotABool("yes".into()))
        );
        assert!(check_value(Operator::Bool, "True").is_err());
    }

    #[test]
    fn ignore_case_and_like_operators() {
        let v = TypedValues::new(Operator::StringEqualsIgnoreCase, ["Prod"].into_iter())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            v.find(Operator::StringEqualsIgnoreCase, "PROD"),
            Ok(Some(0))
        );
        let v = TypedValues::new(Operator::StringLike, ["vpc-*"].into_iter())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v.find(Operator::StringLike, "vpc-123"), Ok(Some(0)));
        assert_eq!(v.find(Operator::StringLike, "VPC-123"), Ok(None));
    }
}
