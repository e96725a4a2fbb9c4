//! What names a Service Tags release: its cloud, with every fact tagwall
//! knows about the cloud in one table; its published file name
//! (`ServiceTags_<Cloud>_<YYYYMMDD>.json`), the cloud and date in one type;
//! and the one rule that says whether a release comes after another.
//!
//! This module depends on nothing else in the crate, so the file model,
//! fetching, the state folder and the guard rails can all read it.

use regex::Regex;
use std::fmt;
use std::ops::Range;
use std::sync::LazyLock;
use time::{Date, Month, OffsetDateTime};

/// The Azure clouds Microsoft publishes a Service Tags file for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cloud {
    /// Azure public cloud (`Public`).
    Public,
    /// Azure US Government (`AzureGovernment`).
    AzureGovernment,
    /// Azure operated by 21Vianet (`China`).
    China,
}

/// Everything tagwall knows about one cloud: one row of [`CLOUDS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CloudFacts {
    /// The cloud.
    pub cloud: Cloud,
    /// The name in the file's `cloud` field and in its file name (`Public`).
    pub field: &'static str,
    /// The name on the command line and in `[run] cloud` (`public`).
    pub arg: &'static str,
    /// What the command line's help says about it.
    pub description: &'static str,
    /// The id of Microsoft's download details page for it.
    pub details_page_id: u32,
    /// The folder on download.microsoft.com where its releases have been
    /// published for years (REFERENCE §2); only the file name changes.
    pub download_folder: &'static str,
}

/// Every cloud's facts, in [`Cloud::ALL`] order: the one table the file
/// model, the command line and fetching read.
pub const CLOUDS: [CloudFacts; 3] = [
    CloudFacts {
        cloud: Cloud::Public,
        field: "Public",
        arg: "public",
        description: "Azure public cloud",
        details_page_id: 56519,
        download_folder: "https://download.microsoft.com/download/7/1/D/71D86715-5596-4529-9B13-DA13A5DE5B63/",
    },
    CloudFacts {
        cloud: Cloud::AzureGovernment,
        field: "AzureGovernment",
        arg: "usgov",
        description: "Azure US Government",
        details_page_id: 57063,
        download_folder: "https://download.microsoft.com/download/6/4/D/64DB03BF-895B-4173-A8B1-BA4AD5D4DF22/",
    },
    CloudFacts {
        cloud: Cloud::China,
        field: "China",
        arg: "china",
        description: "Azure operated by 21Vianet",
        details_page_id: 57062,
        download_folder: "https://download.microsoft.com/download/9/D/0/9D03B7E2-4B80-4BF3-9B91-DA8C7D3EE9F9/",
    },
];

impl Cloud {
    /// All clouds, in the order they are documented.
    pub const ALL: [Cloud; 3] = [Cloud::Public, Cloud::AzureGovernment, Cloud::China];

    /// The cloud's row of [`CLOUDS`].
    ///
    /// ```
    /// use tagwall::release::Cloud;
    /// assert_eq!(Cloud::AzureGovernment.facts().details_page_id, 57063);
    /// ```
    pub fn facts(self) -> &'static CloudFacts {
        // The table is in declaration order; a unit test holds it to that.
        &CLOUDS[self as usize]
    }

    /// The name used in the file's `cloud` field and its file name.
    pub fn as_str(self) -> &'static str {
        self.facts().field
    }

    /// The name on the command line (`--cloud usgov`).
    pub fn arg(self) -> &'static str {
        self.facts().arg
    }

    /// Parse the `cloud` field exactly as Microsoft writes it.
    pub fn from_field(s: &str) -> Option<Cloud> {
        CLOUDS.iter().find(|f| f.field == s).map(|f| f.cloud)
    }

    /// Parse a command-line name (`public`, `usgov`, `china`).
    ///
    /// ```
    /// use tagwall::release::Cloud;
    /// assert_eq!(Cloud::from_arg("usgov"), Some(Cloud::AzureGovernment));
    /// assert_eq!(Cloud::from_arg("AzureGovernment"), None);
    /// ```
    pub fn from_arg(s: &str) -> Option<Cloud> {
        CLOUDS.iter().find(|f| f.arg == s).map(|f| f.cloud)
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A release's published file name, `ServiceTags_<Cloud>_<YYYYMMDD>.json`:
/// the cloud and the date it was published.
///
/// ```
/// use tagwall::release::{Cloud, ReleaseName};
/// let name = ReleaseName::parse("servicetags_public_20251013.json").unwrap();
/// assert_eq!(name.cloud, Cloud::Public);
/// assert_eq!(name.to_string(), "ServiceTags_Public_20251013.json");
/// assert_eq!(ReleaseName::parse("ServiceTags_Public.json"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReleaseName {
    /// The cloud the name says.
    pub cloud: Cloud,
    /// The date in the name.
    pub date: Date,
}

/// `servicetags_(public|azuregovernment|china)_(\d{8})\.json`, the clouds
/// taken from [`CLOUDS`]; anchored or not.
fn name_pattern(anchored: bool) -> String {
    let clouds: Vec<String> = CLOUDS
        .iter()
        .map(|f| regex::escape(&f.field.to_ascii_lowercase()))
        .collect();
    let body = format!(r"servicetags_({})_(\d{{8}})\.json", clouds.join("|"));
    if anchored {
        format!("(?i)^{body}$")
    } else {
        format!("(?i){body}")
    }
}

static NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&name_pattern(true)).expect("valid regex"));
static IN_TEXT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&name_pattern(false)).expect("valid regex"));

impl ReleaseName {
    /// The cloud and date of a `ServiceTags_<Cloud>_<YYYYMMDD>.json` name, in
    /// any case; `None` for any other name, or a date that does not exist.
    pub fn parse(name: &str) -> Option<ReleaseName> {
        ReleaseName::from_captures(&NAME.captures(name)?)
    }

    /// Every release name in a text, in any case, with where it stands.
    ///
    /// ```
    /// use tagwall::release::ReleaseName;
    /// let text = "see https://x/ServiceTags_China_20250811.json or servicetags_public_20250804.json";
    /// let found: Vec<_> = ReleaseName::find_all(text).map(|(at, _)| &text[at]).collect();
    /// assert_eq!(found, ["ServiceTags_China_20250811.json", "servicetags_public_20250804.json"]);
    /// ```
    pub fn find_all(text: &str) -> impl Iterator<Item = (Range<usize>, ReleaseName)> + '_ {
        IN_TEXT.captures_iter(text).filter_map(|c| {
            let at = c.get(0)?.range();
            Some((at, ReleaseName::from_captures(&c)?))
        })
    }

    fn from_captures(c: &regex::Captures<'_>) -> Option<ReleaseName> {
        let cloud = CLOUDS
            .iter()
            .find(|f| f.field.eq_ignore_ascii_case(&c[1]))?
            .cloud;
        let digits = &c[2];
        let month = Month::try_from(digits[4..6].parse::<u8>().ok()?).ok()?;
        let date =
            Date::from_calendar_date(digits[..4].parse().ok()?, month, digits[6..].parse().ok()?)
                .ok()?;
        Some(ReleaseName { cloud, date })
    }

    /// The release date as days since 1970-01-01, the day numbers the run
    /// record and the age rail count in.
    ///
    /// ```
    /// use tagwall::release::ReleaseName;
    /// let name = ReleaseName::parse("ServiceTags_Public_20000301.json").unwrap();
    /// assert_eq!(name.day_number(), 11_017);
    /// ```
    pub fn day_number(&self) -> i64 {
        (self.date - OffsetDateTime::UNIX_EPOCH.date()).whole_days()
    }
}

impl fmt::Display for ReleaseName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ServiceTags_{}_{:04}{:02}{:02}.json",
            self.cloud,
            self.date.year(),
            u8::from(self.date.month()),
            self.date.day()
        )
    }
}

/// Where a release's changeNumber stands against the current release's:
/// the one rule for "older" that admission to the state folder and the
/// `older` guard rail both ask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Succession {
    /// A higher changeNumber: a newer release.
    Newer,
    /// The same changeNumber: the same release, unless its bytes differ.
    Same,
    /// A lower changeNumber: the release goes backwards.
    Older,
}

impl Succession {
    /// How `candidate`'s changeNumber follows `current`'s.
    ///
    /// ```
    /// use tagwall::release::Succession;
    /// assert_eq!(Succession::of(370, 369), Succession::Older);
    /// assert_eq!(Succession::of(370, 370), Succession::Same);
    /// ```
    pub fn of(current: u64, candidate: u64) -> Succession {
        match candidate.cmp(&current) {
            std::cmp::Ordering::Greater => Succession::Newer,
            std::cmp::Ordering::Equal => Succession::Same,
            std::cmp::Ordering::Less => Succession::Older,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_declaration_order() {
        for (i, cloud) in Cloud::ALL.into_iter().enumerate() {
            assert_eq!(CLOUDS[i].cloud, cloud);
            assert_eq!(Cloud::from_field(cloud.as_str()), Some(cloud));
            assert_eq!(Cloud::from_arg(cloud.arg()), Some(cloud));
        }
        assert_eq!(Cloud::from_field("public"), None);
    }

    #[test]
    fn names_parse_in_any_case_and_print_in_microsofts() {
        let name = ReleaseName::parse("SERVICETAGS_AZUREGOVERNMENT_20250818.JSON").unwrap();
        assert_eq!(name.cloud, Cloud::AzureGovernment);
        assert_eq!(
            name.to_string(),
            "ServiceTags_AzureGovernment_20250818.json"
        );
        for bad in [
            "ServiceTags_Public_20250818.json.gz",
            "ServiceTags_Mars_20250818.json",
            "ServiceTags_Public_change366.json",
            "ServiceTags_Public_2025081.json",
            "ServiceTags_Public_20251318.json",
            "ServiceTags_Public_20250230.json",
            "x/ServiceTags_Public_20250818.json",
        ] {
            assert_eq!(ReleaseName::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn day_numbers() {
        let day = |s: &str| ReleaseName::parse(s).unwrap().day_number();
        assert_eq!(day("ServiceTags_Public_19700101.json"), 0);
        assert_eq!(day("ServiceTags_Public_19691231.json"), -1);
        assert_eq!(day("ServiceTags_Public_20250908.json"), 20_339);
        assert_eq!(
            day("ServiceTags_Public_20250301.json") - day("ServiceTags_Public_20250228.json"),
            1
        );
    }

    #[test]
    fn succession() {
        assert_eq!(Succession::of(370, 371), Succession::Newer);
        assert_eq!(Succession::of(370, 370), Succession::Same);
        assert_eq!(Succession::of(370, 0), Succession::Older);
    }
}
