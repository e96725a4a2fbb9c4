//! The settings of the Linux targets, `[targets.nftables]` and
//! `[targets.iptables]`: what the files hold (the modes), the names of the
//! table and chains, and what happens to traffic no rule matches; and the
//! checks that name the key at fault.

use super::Policy;
use serde::{Deserialize, Serialize};

/// `[targets.nftables]`: where the nftables ruleset lives, what it holds
/// and what it does with traffic no rule matches.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NftablesOptions {
    /// What the file holds, and whose table it goes into.
    #[serde(default)]
    pub mode: NftMode,
    /// The `inet` table: tagwall's own in mode `table` (`tagwall` when not
    /// given), which every full load replaces whole; the admin's existing
    /// table in modes `sets` and `chain`, where it must be given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// Prefix of tagwall's regular chains in mode `chain` (`tagwall` when
    /// not given: `tagwall_input`, `tagwall_forward`, `tagwall_output`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<String>,
    /// Priority of the table's base chains (0 is `filter`; mode `table` only).
    #[serde(default)]
    pub priority: i16,
    /// What happens to traffic that no rule matches.
    #[serde(default)]
    pub unmatched: Unmatched,
}

impl NftablesOptions {
    /// The table's name: as given, else tagwall's own `tagwall`.
    pub fn table(&self) -> &str {
        self.table.as_deref().unwrap_or("tagwall")
    }

    /// The prefix of tagwall's chains in mode `chain`: as given, else `tagwall`.
    pub fn chain(&self) -> &str {
        self.chain.as_deref().unwrap_or("tagwall")
    }
}

/// `[targets.nftables] mode`: what the nftables file holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NftMode {
    /// A table of tagwall's own, with the sets and base chains, replaced whole.
    #[default]
    Table,
    /// The named sets only, refilled in the admin's existing table, for the
    /// admin's own rules to match.
    Sets,
    /// The sets and regular chains (one per hook) in the admin's existing
    /// table, for the admin's base chains to jump to.
    Chain,
}

impl NftMode {
    /// `table`, `sets` or `chain`.
    pub fn as_str(self) -> &'static str {
        match self {
            NftMode::Table => "table",
            NftMode::Sets => "sets",
            NftMode::Chain => "chain",
        }
    }
}

/// `[targets.iptables]`: what the files hold, the names of tagwall's chains
/// and what they do with traffic no rule matches.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IptablesOptions {
    /// What the files hold.
    #[serde(default)]
    pub mode: IptMode,
    /// Prefix of the chains (`TAGWALL` gives `TAGWALL-INPUT`, `TAGWALL-FORWARD`,
    /// `TAGWALL-OUTPUT`).
    #[serde(default = "IptablesOptions::default_chain")]
    pub chain: String,
    /// What happens to traffic that no rule matches.
    #[serde(default)]
    pub unmatched: Unmatched,
}

impl IptablesOptions {
    fn default_chain() -> String {
        "TAGWALL".to_string()
    }
}

impl Default for IptablesOptions {
    fn default() -> Self {
        IptablesOptions {
            mode: IptMode::default(),
            chain: IptablesOptions::default_chain(),
            unmatched: Unmatched::default(),
        }
    }
}

/// `[targets.iptables] mode`: what the iptables target writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IptMode {
    /// The ipset sets and iptables/ip6tables rules in chains of tagwall's own.
    #[default]
    Chains,
    /// The ipset sets only, for the admin's own rules to match.
    Sets,
}

impl IptMode {
    /// `chains` or `sets`.
    pub fn as_str(self) -> &'static str {
        match self {
            IptMode::Chains => "chains",
            IptMode::Sets => "sets",
        }
    }
}

/// What a Linux target does with traffic that none of its rules matches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unmatched {
    /// Leave it to the rest of the ruleset (the admin's own rules).
    #[default]
    Continue,
    /// Drop it; replies to allowed connections, loopback and IPv6 neighbour
    /// discovery still pass.
    Drop,
}

impl Unmatched {
    /// `continue` or `drop`.
    pub fn as_str(self) -> &'static str {
        match self {
            Unmatched::Continue => "continue",
            Unmatched::Drop => "drop",
        }
    }
}

/// Longest nftables table name tagwall accepts.
pub const MAX_NFT_TABLE: usize = 32;
/// Longest prefix of tagwall's nftables chains (mode `chain`); the kernel
/// allows 255 characters, and `_forward` is added.
pub const MAX_NFT_CHAIN_PREFIX: usize = 32;
/// Longest iptables chain prefix (the kernel allows 28 characters per chain,
/// and `-FORWARD` takes 8).
pub const MAX_IPT_CHAIN_PREFIX: usize = 20;

/// A name for a kernel object: a letter, then letters, digits and `_`.
fn is_kernel_identifier(s: &str, max: usize) -> bool {
    s.len() <= max
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Policy {
    /// The `[targets.nftables]` and `[targets.iptables]` settings: what is
    /// wrong with them, naming the key, or `None`.
    pub(super) fn validate_linux(&self) -> Option<String> {
        let nft = &self.targets.nftables;
        let mode = nft.mode.as_str();
        if !is_kernel_identifier(nft.table(), MAX_NFT_TABLE) {
            return Some(format!(
                "[targets.nftables] table {:?} must be a letter then up to {} letters, digits or _",
                nft.table(),
                MAX_NFT_TABLE - 1
            ));
        }
        if let Some(chain) = &nft.chain
            && !is_kernel_identifier(chain, MAX_NFT_CHAIN_PREFIX)
        {
            return Some(format!(
                "[targets.nftables] chain {chain:?} must be a letter then up to {} letters, digits or _",
                MAX_NFT_CHAIN_PREFIX - 1
            ));
        }
        if !(-400..=400).contains(&nft.priority) {
            return Some(format!(
                "[targets.nftables] priority {} is outside -400..400",
                nft.priority
            ));
        }
        match nft.mode {
            NftMode::Table if nft.chain.is_some() => {
                return Some(
                    "[targets.nftables] chain names tagwall's chains in mode = \"chain\" only; \
                     mode \"table\" hooks base chains named after their hooks"
                        .into(),
                );
            }
            NftMode::Table => {}
            NftMode::Sets | NftMode::Chain => {
                if nft.table.is_none() {
                    return Some(format!(
                        "[targets.nftables] mode = \"{mode}\" adds to an inet table of yours: \
                         name it with `table` (e.g. table = \"filter\")"
                    ));
                }
                if nft.priority != 0 {
                    return Some(format!(
                        "[targets.nftables] priority is for the base chains of mode = \"table\"; \
                         mode = \"{mode}\" writes none (your base chains have their own)"
                    ));
                }
            }
        }
        if nft.mode == NftMode::Sets && nft.chain.is_some() {
            return Some(
                "[targets.nftables] chain names tagwall's chains in mode = \"chain\" only; \
                 mode = \"sets\" writes no chain"
                    .into(),
            );
        }
        if nft.mode == NftMode::Sets && nft.unmatched == Unmatched::Drop {
            return Some(
                "[targets.nftables] unmatched = \"drop\" needs chains: mode = \"sets\" writes \
                 sets only (drop in your own chains, or use mode = \"chain\")"
                    .into(),
            );
        }
        let ipt = &self.targets.iptables;
        if !is_kernel_identifier(&ipt.chain, MAX_IPT_CHAIN_PREFIX) {
            return Some(format!(
                "[targets.iptables] chain {:?} must be a letter then up to {} letters, digits or _",
                ipt.chain,
                MAX_IPT_CHAIN_PREFIX - 1
            ));
        }
        if ipt.mode == IptMode::Sets && ipt.unmatched == Unmatched::Drop {
            return Some(
                "[targets.iptables] unmatched = \"drop\" needs chains: mode = \"sets\" writes \
                 ipset sets only (drop in your own rules, or use mode = \"chains\")"
                    .into(),
            );
        }
        None
    }
}
