//! Handlebars helpers: quoting for each output syntax, and `lines`, which
//! writes a whole prefix list in one call (a per-element `{{#each}}` over
//! thousands of prefixes is the slow path templates must avoid).

use super::items::List;
use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderError,
    RenderErrorReason,
};
use ipnet::IpNet;
use serde_json::Value;

/// Register every helper on `hb`.
pub fn register(hb: &mut Handlebars<'_>) {
    hb.register_helper("lines", Box::new(lines));
    hb.register_helper("json", Box::new(quote_helper(Quote::Json)));
    hb.register_helper("sh", Box::new(quote_helper(Quote::Sh)));
    hb.register_helper("hcl", Box::new(quote_helper(Quote::Hcl)));
    hb.register_helper("bicep", Box::new(quote_helper(Quote::Bicep)));
    hb.register_helper("comment", Box::new(quote_helper(Quote::Comment)));
    hb.register_helper("dq", Box::new(quote_helper(Quote::Dq)));
    hb.register_helper("add", Box::new(add));
    hb.register_helper("include", Box::new(Include));
    hb.register_helper("html", Box::new(quote_helper(Quote::Html)));
    hb.register_helper("md", Box::new(quote_helper(Quote::Markdown)));
    hb.register_helper("xml", Box::new(quote_helper(Quote::Xml)));
    hb.register_helper("panos", Box::new(quote_helper(Quote::Panos)));
    hb.register_helper("fortios", Box::new(quote_helper(Quote::Fortios)));
    hb.register_helper("asa", Box::new(quote_helper(Quote::Asa)));
    hb.register_helper("junos", Box::new(quote_helper(Quote::Junos)));
    hb.register_helper("routeros", Box::new(quote_helper(Quote::RouterOs)));
    hb.register_helper("ps", Box::new(quote_helper(Quote::Ps)));
    hb.register_helper("yaml", Box::new(quote_helper(Quote::Yaml)));
    hb.register_helper("some", Box::new(some));
    hb.register_helper("each", Box::new(super::items::Each));
    hb.register_helper("len", Box::new(super::items::len));
}

/// How a value is written into an output syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quote {
    /// As is.
    None,
    /// A JSON value (strings quoted and escaped).
    Json,
    /// A POSIX shell word in single quotes.
    Sh,
    /// An HCL (Terraform) string literal; `${` and `%{` cannot interpolate.
    Hcl,
    /// A Bicep string literal in single quotes; `${` cannot interpolate.
    Bicep,
    /// Text for a line comment: control characters become spaces.
    Comment,
    /// A CSV field: quoted when it must be, and never read as a formula.
    Csv,
    /// A double-quoted string for nft and iptables-restore. nft 1.0.6 has no
    /// escape inside strings, so nothing is escaped: `"` becomes `'`, `\`
    /// becomes `/`, and anything but printable ASCII becomes `?`.
    Dq,
    /// HTML text or attribute value.
    Html,
    /// Markdown inline text (table cells, list items).
    Markdown,
    /// XML text or attribute value; characters XML 1.0 cannot hold become spaces.
    Xml,
    /// A PAN-OS CLI string: [`safe_text`] in double quotes.
    Panos,
    /// A FortiOS CLI string: [`safe_text`] in double quotes.
    Fortios,
    /// Cisco ASA free text (`description`, `remark` run to the end of the
    /// line, unquoted): [`safe_text`].
    Asa,
    /// A Junos CLI string: [`safe_text`] in double quotes.
    Junos,
    /// A RouterOS script string: [`safe_text`] in double quotes (so no `$`
    /// can interpolate and no `\` can escape).
    RouterOs,
    /// A PowerShell single-quoted string (see [`ps_quote`]).
    Ps,
    /// A YAML double-quoted string of printable ASCII: `"` and `\` escaped,
    /// every other character as a `\uXXXX` or `\UXXXXXXXX` escape. YAML 1.1
    /// and 1.2 parsers read back the same text, a value such as `yes` or
    /// `1e3` stays text, and no character can show as something it is not.
    Yaml,
}

/// The characters PowerShell's tokenizer reads as a single quote: the
/// apostrophe and the curly quotes U+2018, U+2019, U+201A and U+201B.
pub const PS_SINGLE_QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'];

/// `s` as a PowerShell single-quoted string literal, written into `out`.
/// Inside one, nothing is special but a single quote, and PowerShell takes
/// each of [`PS_SINGLE_QUOTES`] as one (a curly quote ends the string as
/// `'` does): every one of them is doubled, which PowerShell reads as that
/// one character. Control and formatting characters (NUL, line breaks,
/// direction marks: see [`crate::model::is_unsafe_char`]) are removed, so a
/// literal is always one line that reads as what it holds.
///
/// ```
/// use tagwall::render::helpers::Quote;
/// assert_eq!(Quote::Ps.apply("it's $(x) `y`"), "'it''s $(x) `y`'");
/// assert_eq!(Quote::Ps.apply("a\u{2019}b\0c\nd"), "'a\u{2019}\u{2019}bcd'");
/// ```
pub fn ps_quote(s: &str, out: &mut String) {
    out.push('\'');
    for c in s.chars() {
        if PS_SINGLE_QUOTES.contains(&c) {
            out.push(c);
            out.push(c);
        } else if !crate::model::is_unsafe_char(c) {
            out.push(c);
        }
    }
    out.push('\'');
}

/// Free text reduced to what every firewall CLI takes literally inside a
/// double-quoted string, or as the rest of a line: ASCII letters, digits,
/// space and `. , : _ - ( ) / + =`. Everything else (quotes, `;`, `$`,
/// backticks, braces, `?` and `|` that CLIs act on, line breaks, non-ASCII)
/// becomes `_`; surrounding spaces are trimmed.
///
/// ```
/// use tagwall::render::helpers::safe_text;
/// assert_eq!(safe_text("Microsoft Entra ID (AAD), v2"), "Microsoft Entra ID (AAD), v2");
/// assert_eq!(safe_text("a\"; rm -rf / $(id) `x` {{y}}?|\n"), "a__ rm -rf / _(id) _x_ __y____");
/// ```
pub fn safe_text(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " .,:_-()/+=".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl Quote {
    fn parse(name: &str) -> Option<Quote> {
        Some(match name {
            "none" => Quote::None,
            "json" => Quote::Json,
            "sh" => Quote::Sh,
            "hcl" => Quote::Hcl,
            "bicep" => Quote::Bicep,
            "comment" => Quote::Comment,
            "csv" => Quote::Csv,
            "dq" => Quote::Dq,
            "html" => Quote::Html,
            "markdown" => Quote::Markdown,
            "xml" => Quote::Xml,
            "panos" => Quote::Panos,
            "fortios" => Quote::Fortios,
            "asa" => Quote::Asa,
            "junos" => Quote::Junos,
            "routeros" => Quote::RouterOs,
            "ps" => Quote::Ps,
            "yaml" => Quote::Yaml,
            _ => return None,
        })
    }

    /// Write `s` quoted into `out`.
    pub fn write(self, s: &str, out: &mut String) {
        match self {
            Quote::None => out.push_str(s),
            Quote::Json => {
                // Serialising a &str cannot fail.
                out.push_str(&serde_json::to_string(s).unwrap_or_default());
            }
            Quote::Sh => {
                out.push('\'');
                out.push_str(&s.replace('\'', r"'\''"));
                out.push('\'');
            }
            Quote::Hcl => {
                out.push('"');
                let mut prev = '\0';
                for c in s.chars() {
                    match c {
                        '\\' => out.push_str(r"\\"),
                        '"' => out.push_str("\\\""),
                        '\n' => out.push_str(r"\n"),
                        '\r' => out.push_str(r"\r"),
                        '\t' => out.push_str(r"\t"),
                        '{' if prev == '$' || prev == '%' => {
                            out.push(prev);
                            out.push('{');
                        }
                        c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
                        c => out.push(c),
                    }
                    prev = c;
                }
                out.push('"');
            }
            Quote::Bicep => {
                out.push('\'');
                let mut prev = '\0';
                for c in s.chars() {
                    match c {
                        '\\' => out.push_str(r"\\"),
                        '\'' => out.push_str(r"\'"),
                        '\n' => out.push_str(r"\n"),
                        '\r' => out.push_str(r"\r"),
                        '\t' => out.push_str(r"\t"),
                        '{' if prev == '$' => {
                            out.pop();
                            out.push_str(r"\${");
                        }
                        c if c.is_control() => out.push_str(&format!("\\u{{{:X}}}", c as u32)),
                        c => out.push(c),
                    }
                    prev = c;
                }
                out.push('\'');
            }
            Quote::Comment => out.extend(s.chars().map(|c| {
                if crate::model::is_unsafe_char(c) {
                    ' '
                } else {
                    c
                }
            })),
            Quote::Dq => {
                out.push('"');
                out.extend(s.chars().map(dq_char));
                out.push('"');
            }
            // One escaping serves both: a numeric reference for the apostrophe
            // is valid in HTML and in XML alike.
            Quote::Html | Quote::Xml => {
                for c in s.chars() {
                    match c {
                        '&' => out.push_str("&amp;"),
                        '<' => out.push_str("&lt;"),
                        '>' => out.push_str("&gt;"),
                        '"' => out.push_str("&quot;"),
                        '\'' => out.push_str("&#39;"),
                        c if crate::model::is_unsafe_char(c) => out.push(' '),
                        c => out.push(c),
                    }
                }
            }
            Quote::Markdown => {
                for c in s.chars() {
                    if "\\`*_[]<>|".contains(c) {
                        out.push('\\');
                        out.push(c);
                    } else if crate::model::is_unsafe_char(c) {
                        out.push(' ');
                    } else {
                        out.push(c);
                    }
                }
            }
            Quote::Csv => {
                // A leading = + - @ would make a spreadsheet run the cell as a formula.
                let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
                let field = if formula {
                    format!("'{s}")
                } else {
                    s.to_string()
                };
                if field.contains([',', '"', '\n', '\r']) || field != field.trim() {
                    out.push('"');
                    out.push_str(&field.replace('"', "\"\""));
                    out.push('"');
                } else {
                    out.push_str(&field);
                }
            }
            Quote::Yaml => {
                out.push('"');
                for c in s.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str(r"\\"),
                        ' '..='~' => out.push(c),
                        c if u32::from(c) <= 0xFFFF => {
                            out.push_str(&format!("\\u{:04X}", u32::from(c)))
                        }
                        c => out.push_str(&format!("\\U{:08X}", u32::from(c))),
                    }
                }
                out.push('"');
            }
            Quote::Asa => out.push_str(&safe_text(s)),
            Quote::Ps => ps_quote(s, out),
            Quote::Panos | Quote::Fortios | Quote::Junos | Quote::RouterOs => {
                out.push('"');
                out.push_str(&safe_text(s));
                out.push('"');
            }
        }
    }

    /// `s` quoted, as a new string.
    pub fn apply(self, s: &str) -> String {
        let mut out = String::with_capacity(s.len() + 2);
        self.write(s, &mut out);
        out
    }
}

/// One character as it may stand inside a [`Quote::Dq`] string.
pub fn dq_char(c: char) -> char {
    match c {
        '"' => '\'',
        '\\' => '/',
        ' '..='~' => c,
        _ => '?',
    }
}

fn quote_helper(
    q: Quote,
) -> impl Fn(&Helper, &Handlebars, &Context, &mut RenderContext, &mut dyn Output) -> HelperResult
+ Send
+ Sync {
    move |h, _, _, _, out| {
        let v = h
            .param(0)
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("quote", 0))?
            .value();
        let mut s = String::new();
        match (q, v) {
            (Quote::Json, v) => s = serde_json::to_string(v).map_err(|e| other(e.to_string()))?,
            (_, Value::String(text)) => q.write(text, &mut s),
            (_, Value::Number(n)) => q.write(&n.to_string(), &mut s),
            (_, other_value) => {
                return Err(other(format!("cannot quote {other_value} as a string")));
            }
        }
        out.write(&s)?;
        Ok(())
    }
}

/// `{{include "name"}}`: render another registered template right here, in
/// the current context. Unlike a `{{> partial}}`, which copies the whole
/// context it is given (every prefix list, for a large policy), this copies
/// nothing. Use `{{#with sub}}{{include "name"}}{{/with}}` to narrow the context.
struct Include;

impl handlebars::HelperDef for Include {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let name = h
            .param(0)
            .and_then(|p| p.value().as_str())
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("include", 0))?;
        let template = r
            .get_template(name)
            .ok_or_else(|| RenderErrorReason::TemplateNotFound(name.to_string()))?;
        handlebars::Renderable::render(template, r, ctx, rc, out)
    }
}

/// The helper's first parameter, which must be a list.
fn list_param<'a>(h: &'a Helper, helper: &'static str) -> Result<List<'a>, RenderError> {
    let list = h
        .param(0)
        .ok_or(RenderErrorReason::ParamNotFoundForIndex(helper, 0))?
        .value();
    List::of(list).ok_or_else(|| other(format!("{helper}: expected a list, got {list}")))
}

fn other(message: String) -> RenderError {
    RenderErrorReason::Other(message).into()
}

fn add(
    h: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let mut sum = 0i64;
    for p in h.params() {
        sum += p
            .value()
            .as_i64()
            .ok_or_else(|| other(format!("add: {} is not a number", p.value())))?;
    }
    out.write(&sum.to_string())?;
    Ok(())
}

/// `(some LIST "field" VALUE ["field2" VALUE2 ...])`: true when an element
/// of LIST has every named field equal to its value (`(some groups "v6" true)`).
fn some(
    h: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let items = list_param(h, "some")?;
    let pairs = &h.params()[1..];
    if pairs.is_empty() || pairs.len() % 2 != 0 {
        return Err(other("some: give field names and values in pairs".into()));
    }
    let mut conditions = Vec::new();
    for pair in pairs.chunks(2) {
        let field = pair[0]
            .value()
            .as_str()
            .ok_or_else(|| other(format!("some: {} is not a field name", pair[0].value())))?;
        conditions.push((field, pair[1].value()));
    }
    let mut found = false;
    for item in items.iter() {
        let item = item?;
        if conditions.iter().all(|(f, v)| item.get(f) == Some(v)) {
            found = true;
            break;
        }
    }
    out.write(if found { "true" } else { "" })?;
    Ok(())
}

/// One piece of a `lines` format string.
#[derive(Debug, PartialEq)]
enum Piece<'a> {
    Text(&'a str),
    /// The item itself, quoted.
    Item,
    /// The prefix's first address.
    Addr,
    /// The prefix length.
    Len,
    /// The netmask (`255.255.255.0`; IPv6 prefixes write their length).
    Mask,
    /// The wildcard (inverse) mask.
    Wildcard,
    /// The prefix's last address.
    Last,
    /// The prefix as a name fragment: `13.107.3.0_24`, `2620_1ec_4___48`.
    Id,
    /// The first address as a name fragment: `13.107.3.0`, `2620_1ec_4__`.
    AddrId,
    /// The prefix as a name fragment of letters, digits and `_` only
    /// (`13_107_3_0_24`), for platforms that take no `.` in names.
    Word,
    /// The prefix, with an IPv4 `/32` written as the bare address (as RouterOS
    /// stores it, so a `find address=...` matches).
    Compact,
    /// A value passed to the helper under this name, quoted like the items.
    Named(&'a str),
}

fn parse_format(fmt: &str) -> Result<Vec<Piece<'_>>, RenderError> {
    let mut pieces = Vec::new();
    let mut rest = fmt;
    while let Some(open) = rest.find(['{', '}']) {
        if open > 0 {
            pieces.push(Piece::Text(&rest[..open]));
        }
        // `{{` and `}}` write one brace (JSON objects in a format).
        if rest[open..].starts_with("{{") {
            pieces.push(Piece::Text("{"));
            rest = &rest[open + 2..];
            continue;
        }
        if rest[open..].starts_with("}}") {
            pieces.push(Piece::Text("}"));
            rest = &rest[open + 2..];
            continue;
        }
        if rest[open..].starts_with('}') {
            return Err(other(format!("lines: lone }} in format {fmt:?}")));
        }
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| other(format!("lines: unclosed {{ in format {fmt:?}")))?;
        let piece = match &rest[open + 1..open + close] {
            "" => Piece::Item,
            "addr" => Piece::Addr,
            "len" => Piece::Len,
            "mask" => Piece::Mask,
            "wildcard" => Piece::Wildcard,
            "last" => Piece::Last,
            "id" => Piece::Id,
            "addrid" => Piece::AddrId,
            "word" => Piece::Word,
            "compact" => Piece::Compact,
            name => Piece::Named(name),
        };
        pieces.push(piece);
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

/// A list item's text; every item of a `lines` list must be a string.
fn text_of(item: &Value) -> Result<&str, RenderError> {
    match item {
        Value::String(s) => Ok(s.as_str()),
        v => Err(other(format!("lines: item {v} is not a string"))),
    }
}

/// `{{lines LIST fmt="  {}" sep="\n" quote="json"}}`: every item of LIST
/// written through `fmt`, separated by `sep`. Placeholders: `{}` the item
/// (quoted as `quote` says), for prefixes `{addr}`, `{len}`, `{mask}`,
/// `{wildcard}`, `{last}`, `{id}` and `{addrid}` (the prefix and its address
/// as name fragments, `:` and `/` written as `_`), `{word}` (the prefix with
/// everything but letters and digits written as `_`), `{compact}` (an IPv4
/// /32 as the bare address), and `{NAME}` for a value passed as `NAME=...`
/// (quoted like the items). `{{` and `}}` write a brace.
fn lines(
    h: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let items = list_param(h, "lines")?;
    let hash = |name: &str, default: &'static str| -> Result<String, RenderError> {
        match h.hash_get(name) {
            None => Ok(default.to_string()),
            Some(v) => v
                .value()
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| other(format!("lines: {name} must be a string"))),
        }
    };
    let fmt = hash("fmt", "{}")?;
    let sep = hash("sep", "\n")?;
    let quote_name = hash("quote", "none")?;
    let quote = Quote::parse(&quote_name)
        .ok_or_else(|| other(format!("lines: unknown quote {quote_name:?}")))?;
    let pieces = parse_format(&fmt)?;
    let mut named = std::collections::HashMap::new();
    for piece in &pieces {
        if let Piece::Named(name) = piece {
            let value = match h.hash_get(name).map(|v| v.value()) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => {
                    return Err(other(format!(
                        "lines: placeholder {{{name}}} has no string value {name}=..."
                    )));
                }
            };
            named.insert(*name, quote.apply(&value));
        }
    }
    let needs_net = pieces
        .iter()
        .any(|p| !matches!(p, Piece::Text(_) | Piece::Item | Piece::Named(_)));
    // The items as they are: straight to the output, with no buffer between
    // (a list can hold megabytes of prefixes or of whole set definitions).
    if matches!(pieces.as_slice(), [Piece::Item]) && quote == Quote::None {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.write(&sep)?;
            }
            out.write(text_of(&*item?)?)?;
        }
        return Ok(());
    }
    let mut buf = String::with_capacity(items.len() * (fmt.len() + sep.len() + 24));
    let mut scratch = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            buf.push_str(&sep);
        }
        let item = item?;
        let text = text_of(&item)?;
        let net = if needs_net {
            Some(item_prefix(text)?)
        } else {
            None
        };
        for piece in &pieces {
            match (piece, &net) {
                (Piece::Text(t), _) => buf.push_str(t),
                (Piece::Item, _) => quote.write(text, &mut buf),
                (Piece::Named(name), _) => buf.push_str(&named[name]),
                (Piece::Addr, Some(n)) => push_addr(&mut buf, n.network()),
                (Piece::Len, Some(n)) => {
                    crate::prefix::push_decimal(&mut buf, n.prefix_len().into())
                }
                (Piece::Mask, Some(IpNet::V4(n))) => push_addr(&mut buf, n.netmask().into()),
                (Piece::Wildcard, Some(IpNet::V4(n))) => push_addr(&mut buf, n.hostmask().into()),
                (Piece::Mask | Piece::Wildcard, Some(IpNet::V6(n))) => {
                    crate::prefix::push_decimal(&mut buf, n.prefix_len().into())
                }
                (Piece::Last, Some(n)) => push_addr(&mut buf, n.broadcast()),
                (Piece::Id, Some(n)) => push_mapped(
                    &mut buf,
                    &mut scratch,
                    |b| push_prefix(b, n),
                    |c| {
                        if c == ':' || c == '/' { '_' } else { c }
                    },
                ),
                (Piece::AddrId, Some(n)) => push_mapped(
                    &mut buf,
                    &mut scratch,
                    |b| push_addr(b, n.network()),
                    |c| {
                        if c == ':' { '_' } else { c }
                    },
                ),
                (Piece::Word, Some(n)) => push_mapped(
                    &mut buf,
                    &mut scratch,
                    |b| push_prefix(b, n),
                    |c| {
                        if c.is_ascii_alphanumeric() { c } else { '_' }
                    },
                ),
                (Piece::Compact, Some(IpNet::V4(n))) if n.prefix_len() == 32 => {
                    push_addr(&mut buf, n.addr().into())
                }
                (Piece::Compact, Some(n)) => push_prefix(&mut buf, n),
                _ => unreachable!("needs_net covers every prefix placeholder"),
            }
        }
    }
    out.write(&buf)?;
    Ok(())
}

/// A `lines` item as a prefix: the canonical form every context holds is
/// read directly, anything else by the general parser.
fn item_prefix(text: &str) -> Result<IpNet, RenderError> {
    match crate::prefix::canonical_prefix(text.as_bytes()) {
        Some(net) => Ok(net),
        None => text
            .parse()
            .map_err(|_| other(format!("lines: {text:?} is not a prefix"))),
    }
}

/// Write an address as the standard library prints it, without its
/// formatting machinery.
fn push_addr(buf: &mut String, addr: std::net::IpAddr) {
    match addr {
        std::net::IpAddr::V4(a) => crate::prefix::push_v4(buf, a.into()),
        std::net::IpAddr::V6(a) => crate::prefix::push_v6(buf, a.into()),
    }
}

fn push_prefix(buf: &mut String, net: &IpNet) {
    match net {
        IpNet::V4(n) => crate::prefix::push_v4_prefix(buf, n.addr().into(), n.prefix_len()),
        IpNet::V6(n) => crate::prefix::push_v6_prefix(buf, n.addr().into(), n.prefix_len()),
    }
}

/// Write what `write` writes (through `scratch`), each character mapped
/// through `map`.
fn push_mapped(
    buf: &mut String,
    scratch: &mut String,
    write: impl FnOnce(&mut String),
    map: impl Fn(char) -> char,
) {
    scratch.clear();
    write(scratch);
    buf.extend(scratch.chars().map(map));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(template: &str, data: Value) -> String {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(true);
        hb.register_escape_fn(handlebars::no_escape);
        register(&mut hb);
        hb.render_template(template, &data).unwrap()
    }

    #[test]
    fn lines_formats_prefixes() {
        let data = json!({"p": ["10.0.0.0/24", "2001:db8::/32"]});
        assert_eq!(
            render(
                r#"{{lines p fmt="{addr} {mask} {wildcard} {last} {len}" sep="|"}}"#,
                data.clone()
            ),
            "10.0.0.0 255.255.255.0 0.0.0.255 10.0.0.255 24|2001:db8:: 32 32 2001:db8:ffff:ffff:ffff:ffff:ffff:ffff 32"
        );
        assert_eq!(
            render(r#"[{{lines p quote="json" sep=", "}}]"#, data.clone()),
            r#"["10.0.0.0/24", "2001:db8::/32"]"#
        );
        assert_eq!(
            render(
                r#"{{lines p fmt="{r},{}" r="x,y" quote="csv" sep="\n"}}"#,
                data
            ),
            "\"x,y\",10.0.0.0/24\n\"x,y\",2001:db8::/32"
        );
    }

    #[test]
    fn lines_names_objects_after_prefixes() {
        let data =
            json!({"p": ["10.0.0.0/24", "192.0.2.7/32", "2001:db8::/32", "2001:db8::1/128"]});
        assert_eq!(
            render(r#"{{lines p fmt="n-{word}" sep=" "}}"#, data.clone()),
            "n-10_0_0_0_24 n-192_0_2_7_32 n-2001_db8___32 n-2001_db8__1_128"
        );
        assert_eq!(
            render(r#"{{lines p fmt="{compact}" sep=" "}}"#, data),
            "10.0.0.0/24 192.0.2.7 2001:db8::/32 2001:db8::1/128"
        );
    }

    #[test]
    fn some_matches_fields() {
        let data = json!({"g": [{"v6": false, "shrinks": false}, {"v6": true, "shrinks": true}]});
        let t = |expr: &str| {
            render(
                &format!("{{{{#if {expr}}}}}y{{{{else}}}}n{{{{/if}}}}"),
                data.clone(),
            )
        };
        assert_eq!(t(r#"(some g "v6" true)"#), "y");
        assert_eq!(t(r#"(some g "v6" false "shrinks" true)"#), "n");
        assert_eq!(t(r#"(some g "v6" true "shrinks" true)"#), "y");
    }

    #[test]
    fn platform_quotes_keep_text_inert() {
        let evil = "a\"b'c; $(d) `e` {{f}} \\g?h|i\nj\u{202e}";
        for q in [Quote::Panos, Quote::Fortios, Quote::Junos, Quote::RouterOs] {
            let out = q.apply(evil);
            assert_eq!(out, "\"a_b_c_ _(d) _e_ __f__ _g_h_i_j_\"", "{q:?}");
        }
        assert_eq!(Quote::Asa.apply(" x\ny "), "x_y");
    }

    #[test]
    fn quoting_cannot_be_broken_out_of() {
        let evil = "a'b\"c${x}%{y}\n$(rm -rf /)`id`\\";
        assert_eq!(
            Quote::Sh.apply(evil),
            "'a'\\''b\"c${x}%{y}\n$(rm -rf /)`id`\\'"
        );
        assert_eq!(
            Quote::Hcl.apply(evil),
            r#""a'b\"c$${x}%%{y}\n$(rm -rf /)`id`\\""#
        );
        assert_eq!(
            Quote::Bicep.apply(evil),
            r#"'a\'b"c\${x}%{y}\n$(rm -rf /)`id`\\'"#
        );
        let json: String = serde_json::from_str(&Quote::Json.apply(evil)).unwrap();
        assert_eq!(json, evil);
        assert_eq!(Quote::Comment.apply("a\nb\u{202e}c"), "a b c");
        assert_eq!(
            Quote::Csv.apply("=cmd|' /C calc'!A0"),
            "'=cmd|' /C calc'!A0"
        );
        assert_eq!(Quote::Csv.apply("a,\"b\""), "\"a,\"\"b\"\"\"");
        assert_eq!(Quote::Csv.apply("10.0.0.0/8"), "10.0.0.0/8");
        assert_eq!(Quote::Dq.apply(evil), r#""a'b'c${x}%{y}?$(rm -rf /)`id`/""#);
        assert_eq!(Quote::Dq.apply("é\u{202e}"), "\"??\"");
        assert_eq!(
            Quote::Yaml.apply("a\"b\\c: yes\n\0é\u{202e}\u{1F600}"),
            r#""a\"b\\c: yes\u000A\u0000\u00E9\u202E\U0001F600""#
        );
        assert_eq!(
            Quote::Xml.apply("a<b>&\"c'\n"),
            "a&lt;b&gt;&amp;&quot;c&#39; "
        );
    }

    #[test]
    fn powershell_literals_double_every_single_quote_and_drop_controls() {
        assert_eq!(Quote::Ps.apply(""), "''");
        assert_eq!(
            Quote::Ps.apply("AzureCloud.westeurope"),
            "'AzureCloud.westeurope'"
        );
        assert_eq!(
            Quote::Ps.apply("a'b\"c$(d)`e`${f}@(g)"),
            "'a''b\"c$(d)`e`${f}@(g)'"
        );
        for q in PS_SINGLE_QUOTES {
            assert_eq!(Quote::Ps.apply(&format!("x{q}y")), format!("'x{q}{q}y'"));
        }
        assert_eq!(
            Quote::Ps.apply("\u{2018}\u{201A}\u{201B}'\u{2019}"),
            "'\u{2018}\u{2018}\u{201A}\u{201A}\u{201B}\u{201B}''\u{2019}\u{2019}'"
        );
        // The double quotes PowerShell also knows stay as they are: they
        // mean nothing inside a single-quoted string.
        assert_eq!(
            Quote::Ps.apply("\u{201C}\u{201D}\u{201E}"),
            "'\u{201C}\u{201D}\u{201E}'"
        );
        assert_eq!(
            Quote::Ps.apply("a\0b\nc\r\td\u{202E}e\u{2028}f\u{85}g"),
            "'abcdefg'"
        );
        let long = "N".repeat(300);
        assert_eq!(Quote::Ps.apply(&long), format!("'{long}'"));
        let data = json!({"p": ["10.0.0.0/24", "2001:db8::/32"], "n": "x'y"});
        assert_eq!(
            render(r#"@({{lines p quote="ps" sep=", "}}) {{ps n}}"#, data),
            "@('10.0.0.0/24', '2001:db8::/32') 'x''y'"
        );
    }

    #[test]
    fn lines_writes_braces_and_name_fragments() {
        let data = json!({"p": ["13.107.3.0/24", "2620:1ec:4::/48"], "d": "x\"y"});
        assert_eq!(
            render(
                r#"{{lines p fmt="{{\"Cidr\": {}, \"Description\": {d}}}" d=d quote="json" sep=","}}"#,
                data.clone()
            ),
            r#"{"Cidr": "13.107.3.0/24", "Description": "x\"y"},{"Cidr": "2620:1ec:4::/48", "Description": "x\"y"}"#
        );
        assert_eq!(
            render(r#"{{lines p fmt="n_{id} h_{addrid}" sep="|"}}"#, data),
            "n_13.107.3.0_24 h_13.107.3.0|n_2620_1ec_4___48 h_2620_1ec_4__"
        );
    }
}
