//! The parsed, validated Service Tags file.
//!
//! [`ServiceTags::parse`] reads Microsoft's JSON and checks everything before
//! anything downstream sees it: the cloud, the change numbers, unique tag
//! names, and that every prefix is a canonical CIDR. Nothing is repaired: a
//! value that is not exactly right is an error naming the file, the tag and
//! the value.

use crate::error::{Error, Result};
/// The cloud a file is of; it lives with the release names, which say it too.
pub use crate::release::Cloud;
use ipnet::IpNet;
use rayon::prelude::*;
use serde::Deserialize;
use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::{BTreeSet, HashSet};
use std::fmt;

/// One service tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    /// Tag name, e.g. `AzureFrontDoor.FirstParty`.
    pub name: String,
    /// The tag's own change number.
    pub change_number: u64,
    /// Region (`""` for global tags), as published.
    pub region: String,
    /// System service (may be `""`).
    pub system_service: String,
    /// Network features as a set (`NSG`, `FW`, ...); empty when `null`.
    pub network_features: BTreeSet<String>,
    /// Prefixes as published (validated canonical, order kept).
    pub prefixes: Vec<IpNet>,
}

impl Tag {
    /// True when the tag can be used natively in an NSG rule.
    pub fn supports_nsg(&self) -> bool {
        self.network_features.contains("NSG")
    }

    /// Number of IPv4 and IPv6 prefixes as published.
    pub fn family_counts(&self) -> (usize, usize) {
        let v4 = self
            .prefixes
            .iter()
            .filter(|p| matches!(p, IpNet::V4(_)))
            .count();
        (v4, self.prefixes.len() - v4)
    }
}

/// A whole, validated Service Tags file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceTags {
    /// Where it came from (file name), for messages and provenance.
    pub source: String,
    /// The file's cloud.
    pub cloud: Cloud,
    /// The top-level change number.
    pub change_number: u64,
    /// Tags in file order; names are unique.
    pub tags: Vec<Tag>,
    /// Tags left out of `tags` because a prefix of theirs is malformed, in
    /// file order: a policy that selects one is refused with the prefix at
    /// fault; one that does not is warned (see [`crate::select`]).
    pub unusable: Vec<Unusable>,
}

/// A tag that holds a malformed prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unusable {
    /// The tag's name.
    pub tag: String,
    /// The first value that is not a canonical prefix.
    pub prefix: String,
    /// Why not.
    pub reason: String,
}

impl Unusable {
    /// The error of selecting it.
    pub fn error(&self, file: &str) -> Error {
        Error::BadPrefix {
            file: file.to_string(),
            tag: self.tag.clone(),
            prefix: self.prefix.clone(),
            reason: self.reason.clone(),
        }
    }
}

/// The file with each tag still as JSON text: the tags are then read and
/// checked in parallel.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawFile<'a> {
    change_number: u64,
    #[serde(borrow)]
    cloud: Cow<'a, str>,
    #[serde(borrow)]
    values: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct RawTag<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    properties: RawProperties<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawProperties<'a> {
    change_number: u64,
    #[serde(default, borrow)]
    region: Cow<'a, str>,
    #[serde(default, borrow)]
    system_service: Cow<'a, str>,
    address_prefixes: Prefixes,
    #[serde(default, borrow)]
    network_features: Option<Vec<Cow<'a, str>>>,
}

/// A tag's prefixes, checked as they are read: no list of strings is built
/// first. A value that is not a canonical prefix is kept with the reason,
/// not raised, so that a tag of the wrong shape anywhere in the file is still
/// reported first (and the tag's name, which may come after its prefixes, is
/// known when it is reported).
struct Prefixes(std::result::Result<Vec<IpNet>, BadValue>);

/// The first value of a tag's prefix list that is not a canonical prefix.
struct BadValue {
    prefix: String,
    reason: String,
}

impl<'de> Deserialize<'de> for Prefixes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct List;
        impl<'de> Visitor<'de> for List {
            type Value = Prefixes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of CIDR prefixes")
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Prefixes, A::Error> {
                let mut nets = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                let mut bad = None;
                // After a bad value the rest are still read, for their shape.
                while let Some(value) = seq.next_element_seed(Prefix {
                    check: bad.is_none(),
                })? {
                    match value {
                        Some(Ok(net)) => nets.push(net),
                        Some(Err(b)) => bad = Some(b),
                        None => {}
                    }
                }
                Ok(Prefixes(bad.map_or(Ok(nets), Err)))
            }
        }
        d.deserialize_seq(List)
    }
}

/// One value of a prefix list: a string, checked unless `check` is off.
struct Prefix {
    check: bool,
}

/// What [`Prefix`] reads: the prefix or why the value is not one; `None`
/// when it was not checked.
type Checked = Option<std::result::Result<IpNet, BadValue>>;

impl<'de> DeserializeSeed<'de> for Prefix {
    type Value = Checked;
    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Checked, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for Prefix {
    type Value = Checked;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a CIDR prefix as a string")
    }
    fn visit_str<E: serde::de::Error>(self, s: &str) -> std::result::Result<Checked, E> {
        Ok(self.check.then(|| {
            crate::prefix::parse_canonical(s).map_err(|reason| BadValue {
                prefix: s.to_string(),
                reason,
            })
        }))
    }
}

/// Only the outline, to locate a structural error inside one tag.
#[derive(Deserialize)]
struct RawOutline<'a> {
    #[serde(borrow)]
    values: Vec<&'a RawValue>,
}

impl ServiceTags {
    /// Parse and validate a Service Tags file's bytes; `source` names it in messages.
    pub fn parse(bytes: &[u8], source: &str) -> Result<Self> {
        let json_err = |message: String| Error::Json {
            file: source.to_string(),
            message,
        };
        let text =
            std::str::from_utf8(bytes).map_err(|e| json_err(format!("not UTF-8 text ({e})")))?;
        let trimmed = text.trim_start_matches('\u{feff}').trim_start();
        if trimmed.is_empty() {
            return Err(json_err("the file is empty".into()));
        }
        if trimmed.starts_with('<') {
            return Err(json_err(
                "this is an HTML or XML page, not a Service Tags JSON file".into(),
            ));
        }
        if !trimmed.starts_with('{') {
            return Err(json_err(
                "not a Service Tags file: the top level is not a JSON object".into(),
            ));
        }
        let raw: RawFile = match serde_json::from_str(trimmed) {
            Ok(raw) => raw,
            Err(e) => return Err(json_err(describe_json_error(trimmed, &e))),
        };
        validate(raw, source)
    }
}

/// Turn a serde error into a message that names the tag where possible.
fn describe_json_error(text: &str, err: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let base = format!("{err}");
    if matches!(err.classify(), Category::Eof) {
        return format!("truncated JSON: {base}");
    }
    if !matches!(err.classify(), Category::Data) {
        return format!("invalid JSON: {base}");
    }
    // The JSON is well formed but of the wrong shape: find the tag at fault.
    let Ok(outline) = serde_json::from_str::<RawOutline>(text) else {
        return format!("not a Service Tags file: {base}");
    };
    for (index, value) in outline.values.iter().enumerate() {
        if let Err(e) = serde_json::from_str::<RawTag>(value.get()) {
            return describe_tag_error(index, value, &e);
        }
    }
    format!("not a Service Tags file: {base}")
}

/// A tag that is well-formed JSON of the wrong shape, named where it can be.
fn describe_tag_error(index: usize, value: &RawValue, err: &serde_json::Error) -> String {
    let name = serde_json::from_str::<serde_json::Value>(value.get())
        .ok()
        .and_then(|v| v.get("name").and_then(|n| n.as_str()).map(str::to_string));
    let what = match name {
        Some(name) => format!("tag {name:?} (values[{index}])"),
        None => format!("values[{index}]"),
    };
    format!("{what}: {err}")
}

fn validate(raw: RawFile<'_>, source: &str) -> Result<ServiceTags> {
    let invalid = |message: String| Error::Invalid {
        file: source.to_string(),
        message,
    };
    let cloud = Cloud::from_field(&raw.cloud).ok_or_else(|| {
        invalid(format!(
            "unknown cloud {:?} (expected Public, AzureGovernment or China)",
            raw.cloud
        ))
    })?;
    if raw.values.is_empty() {
        return Err(invalid("\"values\" is empty: the file holds no tag".into()));
    }
    // Each tag is checked on its own, in parallel; the results are then
    // taken in file order, so the first error reported is the first in the
    // file, as it would be from a single pass.
    let read: Vec<serde_json::Result<CheckedTag>> = raw
        .values
        .par_iter()
        .map(|value| Ok(check_tag(serde_json::from_str(value.get())?)))
        .collect();
    // A tag of the wrong shape is reported before any check of a value, as
    // reading the file in one pass would.
    let mut checked = Vec::with_capacity(read.len());
    for (index, tag) in read.into_iter().enumerate() {
        match tag {
            Ok(tag) => checked.push(tag),
            Err(e) => {
                return Err(Error::Json {
                    file: source.to_string(),
                    message: describe_tag_error(index, raw.values[index], &e),
                });
            }
        }
    }
    let mut seen = HashSet::with_capacity(checked.len());
    let mut tags = Vec::with_capacity(checked.len());
    let mut unusable = Vec::new();
    for (index, c) in checked.into_iter().enumerate() {
        let name = &c.tag.name;
        c.name_check
            .map_err(|why| invalid(format!("values[{index}]: tag name {name:?} {why}")))?;
        if !seen.insert(name.clone()) {
            return Err(invalid(format!("tag {name:?} appears more than once")));
        }
        match c.bad_prefix {
            Some(bad) => unusable.push(bad),
            None => tags.push(c.tag),
        }
    }
    Ok(ServiceTags {
        source: source.to_string(),
        cloud,
        change_number: raw.change_number,
        tags,
        unusable,
    })
}

/// One tag, owned, with the checks that need no other tag done.
struct CheckedTag {
    tag: Tag,
    name_check: Result<(), String>,
    /// The first value that is not a canonical prefix.
    bad_prefix: Option<Unusable>,
}

fn check_tag(t: RawTag<'_>) -> CheckedTag {
    let p = t.properties;
    let (prefixes, bad_prefix) = match p.address_prefixes.0 {
        Ok(nets) => (nets, None),
        Err(bad) => (
            Vec::new(),
            Some(Unusable {
                tag: t.name.to_string(),
                prefix: bad.prefix,
                reason: bad.reason,
            }),
        ),
    };
    CheckedTag {
        name_check: check_tag_name(&t.name),
        tag: Tag {
            name: t.name.into_owned(),
            change_number: p.change_number,
            region: p.region.into_owned(),
            system_service: p.system_service.into_owned(),
            network_features: p
                .network_features
                .unwrap_or_default()
                .into_iter()
                .map(Cow::into_owned)
                .collect(),
            prefixes,
        },
        bad_prefix,
    }
}

/// Longest tag name accepted. Real names are under 64 characters.
pub const MAX_TAG_NAME: usize = 256;

/// A tag name must be printable text of sane length. Other characters
/// (quotes, `;`, `$`) are legal here and every renderer escapes or maps them.
fn check_tag_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("is empty".into());
    }
    if name.chars().count() > MAX_TAG_NAME {
        return Err(format!("is longer than {MAX_TAG_NAME} characters"));
    }
    if let Some(c) = name.chars().find(|&c| is_unsafe_char(c)) {
        return Err(format!(
            "holds the control or formatting character U+{:04X}",
            c as u32
        ));
    }
    Ok(())
}

/// Control characters, and Unicode format characters such as direction marks
/// that make text display differently from what it is.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{
  "changeNumber": 370,
  "cloud": "Public",
  "values": [
    {
      "name": "AzureFrontDoor.FirstParty",
      "id": "AzureFrontDoor.FirstParty",
      "properties": {
        "changeNumber": 9,
        "region": "",
        "regionId": 0,
        "platform": "Azure",
        "systemService": "",
        "addressPrefixes": ["13.107.3.0/24", "2620:1ec:4::/48"],
        "networkFeatures": null
      }
    }
  ]
}"#;

    #[test]
    fn parses_lf_and_crlf_alike() {
        let lf = ServiceTags::parse(GOOD.as_bytes(), "t.json").unwrap();
        let crlf = ServiceTags::parse(GOOD.replace('\n', "\r\n").as_bytes(), "t.json").unwrap();
        assert_eq!(lf, crlf);
        assert_eq!(lf.cloud, Cloud::Public);
        assert_eq!(lf.change_number, 370);
        let tag = &lf.tags[0];
        assert_eq!(tag.family_counts(), (1, 1));
        assert!(tag.network_features.is_empty());
        assert!(!tag.supports_nsg());
    }

    /// What is reported of `text`: the error that refuses the file, or
    /// that of the first tag left out for a malformed prefix (which
    /// refuses a policy that selects it).
    fn err(text: &str) -> String {
        match ServiceTags::parse(text.as_bytes(), "t.json") {
            Err(e) => e.to_string(),
            Ok(file) => file
                .unusable
                .first()
                .map(|u| u.error(&file.source).to_string())
                .expect("an error or an unusable tag"),
        }
    }

    #[test]
    fn names_what_is_wrong_and_where() {
        let cases = [
            (
                GOOD.replace("\"Public\"", "\"Mars\""),
                "unknown cloud \"Mars\"",
            ),
            (
                GOOD.replace("13.107.3.0/24", "13.107.3.1/24"),
                "tag \"AzureFrontDoor.FirstParty\": prefix \"13.107.3.1/24\": has host bits",
            ),
            (
                GOOD.replace("13.107.3.0/24", "13.107.3.0/33"),
                "out of range",
            ),
            (
                GOOD.replace("13.107.3.0/24", "13.107.03.0/24"),
                "leading zero",
            ),
            (GOOD.replace("13.107.3.0/24", "banana"), "not a CIDR"),
            (
                GOOD.replace("\"changeNumber\": 9", "\"changeNumber\": \"9\""),
                "tag \"AzureFrontDoor.FirstParty\" (values[0])",
            ),
            (
                GOOD.replace("\"changeNumber\": 370", "\"changeNumber\": \"370\""),
                "invalid type: string",
            ),
            (GOOD[..GOOD.len() / 2].to_string(), "truncated JSON"),
            ("".to_string(), "empty"),
            ("<html><body>Oops</body></html>".to_string(), "HTML"),
            ("[1, 2]".to_string(), "not a Service Tags file"),
            (
                GOOD.replace(
                    "AzureFrontDoor.FirstParty\",\n      \"id",
                    "A\u{202e}B\",\n      \"id",
                ),
                "U+202E",
            ),
        ];
        for (text, want) in cases {
            let got = err(&text);
            assert!(got.contains(want), "wanted {want:?} in {got:?}");
            assert!(got.starts_with("t.json"), "{got}");
        }
    }

    #[test]
    fn prefixes_are_checked_as_read_without_changing_what_is_reported() {
        // The tag's name may come after its prefixes.
        let late_name = r#"{"changeNumber": 1, "cloud": "Public", "values": [
            {"properties": {"changeNumber": 1, "addressPrefixes": ["10.0.0.1/8"]}, "name": "Late"}]}"#;
        let got = err(late_name);
        assert!(
            got.contains("tag \"Late\": prefix \"10.0.0.1/8\": has host bits"),
            "{got}"
        );
        // A value of the wrong type after a bad prefix, in the same list or a
        // later tag, is reported first: the shape of the whole file comes
        // before any value.
        let bad_then_number = GOOD.replace(
            "\"13.107.3.0/24\", \"2620:1ec:4::/48\"",
            "\"13.107.3.1/24\", 7",
        );
        let got = err(&bad_then_number);
        assert!(
            got.contains("values[0]") && got.contains("invalid type"),
            "{got}"
        );
        let v: serde_json::Value = serde_json::from_str(GOOD).unwrap();
        let mut two = v.clone();
        let mut second = v["values"][0].clone();
        second["name"] = "Second".into();
        second["properties"]["addressPrefixes"] = serde_json::json!([null]);
        two["values"][0]["properties"]["addressPrefixes"] = serde_json::json!(["banana"]);
        two["values"].as_array_mut().unwrap().push(second);
        let got = err(&two.to_string());
        assert!(got.contains("tag \"Second\" (values[1])"), "{got}");
        // Escaped text is read as the text it stands for.
        let escaped = GOOD.replace("13.107.3.0/24", "13.107.3.0\\/24");
        let parsed = ServiceTags::parse(escaped.as_bytes(), "t.json").unwrap();
        assert_eq!(parsed.tags[0].prefixes[0].to_string(), "13.107.3.0/24");
        assert!(err(&GOOD.replace("13.107.3.0/24", "13.107.3.1\\/24")).contains("host bits"));
    }

    #[test]
    fn refuses_duplicate_and_empty() {
        let empty = r#"{"changeNumber": 1, "cloud": "China", "values": []}"#;
        assert!(err(empty).contains("\"values\" is empty"));
        let v: serde_json::Value = serde_json::from_str(GOOD).unwrap();
        let mut doubled = v.clone();
        let tag = v["values"][0].clone();
        doubled["values"].as_array_mut().unwrap().push(tag);
        assert!(err(&doubled.to_string()).contains("appears more than once"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(err(&deep).contains("top level is not a JSON object"));
        let inner = format!(
            r#"{{"changeNumber": 1, "cloud": "Public", "values": {}{}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let got = err(&inner);
        assert!(got.contains("values[0]: invalid type: sequence"), "{got}");
    }

    #[test]
    fn the_ipv4_fast_path_agrees_with_the_parser() {
        for s in [
            "13.107.3.0/24",
            "0.0.0.0/0",
            "255.255.255.255/32",
            "10.0.0.0/8",
            "1.2.3.4/32",
            "128.0.0.0/1",
        ] {
            assert_eq!(
                crate::prefix::canonical_v4_prefix(s.as_bytes()).map(IpNet::V4),
                crate::prefix::parse_prefix(s).ok(),
                "{s}"
            );
        }
        for s in [
            "1.2.3.4",
            "01.2.3.0/24",
            "1.2.3.0/024",
            "1.2.3.1/24",
            "1.2.3.0/33",
            "::/0",
        ] {
            assert!(
                crate::prefix::canonical_v4_prefix(s.as_bytes()).is_none(),
                "{s}"
            );
        }
    }

    #[test]
    fn canonical_forms() {
        for ok in ["0.0.0.0/0", "::/0", "255.255.255.255/32", "2603:1000::/25"] {
            assert!(crate::prefix::parse_canonical(ok).is_ok(), "{ok}");
        }
        for bad in [
            "1.2.3.0/024",
            "1.2.3.0/",
            "1.2.3.0/-1",
            "1.2.3.0",
            "2603:1000:0::/25",
            "::ffff:1.2.3.0/120x",
            "1.2.3.0/24 ",
        ] {
            assert!(crate::prefix::parse_canonical(bad).is_err(), "{bad}");
        }
    }
}
