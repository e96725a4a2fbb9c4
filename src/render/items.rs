//! Lists that templates walk one item at a time.
//!
//! With `--all-tags` a context holds thousands of rules, groups and
//! policies. As one JSON value they took tens of megabytes: every object is a
//! B-tree of its keys, several times the size of the typed item it came from.
//! An [`Items`] list keeps its typed items instead, and a [`Lazy`] list
//! makes each item only when asked (the nftables set definitions, megabytes
//! of text). While a target renders (inside [`scope`]) either serialises as
//! a small handle, and `each`, `len`, `some` and `lines` turn one item at a
//! time into JSON as the template reaches it, so the JSON of the whole list
//! never exists at once. Outside a render they serialise as plain lists.
//!
//! A template sees a handle as it sees a list through those helpers, and
//! `{{#if list}}` is false for an empty list as for any (an empty [`Items`]
//! is always a plain `[]`). What a handle does not offer is indexing
//! (`list.[0]`, `lookup list 0`): that is a missing value, an error in strict
//! mode.

use handlebars::{
    BlockContext, BlockParams, Context, Handlebars, Helper, HelperDef, HelperResult, Output,
    RenderContext, RenderError, RenderErrorReason, Renderable,
};
use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The key of a handle: no template field can be named so.
const HANDLE: &str = "$items";

/// A list of typed items that a template walks one at a time (see the
/// module's documentation). Cloning shares the items.
#[derive(Debug)]
pub struct Items<T>(Arc<Vec<T>>);

impl<T> Items<T> {
    /// The list.
    pub fn new(items: Vec<T>) -> Items<T> {
        Items(Arc::new(items))
    }

    /// The items, for Rust code.
    pub fn items(&self) -> &[T] {
        &self.0
    }
}

impl<T> Default for Items<T> {
    fn default() -> Items<T> {
        Items::new(Vec::new())
    }
}

impl<T> Clone for Items<T> {
    fn clone(&self) -> Items<T> {
        Items(Arc::clone(&self.0))
    }
}

impl<T> From<Vec<T>> for Items<T> {
    fn from(items: Vec<T>) -> Items<T> {
        Items::new(items)
    }
}

/// A list whose items become JSON one at a time.
pub trait Source: Send + Sync {
    /// How many items.
    fn len(&self) -> usize;
    /// Whether there is none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Item `index` as JSON.
    fn value(&self, index: usize) -> serde_json::Result<Value>;
}

impl<T: Serialize + Send + Sync> Source for Vec<T> {
    fn len(&self) -> usize {
        Vec::len(self)
    }

    fn value(&self, index: usize) -> serde_json::Result<Value> {
        serde_json::to_value(&self[index])
    }
}

/// Handles get numbers no other handle had, in any thread.
static NEXT: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// The lists of the renders open on this thread, by handle number. A
    /// render (context, then templates) runs on one thread; a render that
    /// starts on the same thread while another waits (rayon runs stolen work
    /// nested) adds its lists after the other's and removes them before it
    /// resumes, so the open renders form a stack.
    static OPEN: RefCell<Open> = const { RefCell::new(Open { depth: 0, lists: Vec::new() }) };
}

struct Open {
    depth: usize,
    lists: Vec<(u64, Arc<dyn Source>)>,
}

/// Run `f` (build a context and render from it) with [`Items`] serialising
/// as handles; the lists it registered are released when it returns.
pub fn scope<R>(f: impl FnOnce() -> R) -> R {
    struct Guard(usize);
    impl Drop for Guard {
        fn drop(&mut self) {
            OPEN.with_borrow_mut(|open| {
                open.depth -= 1;
                open.lists.truncate(self.0);
            });
        }
    }
    let _guard = Guard(OPEN.with_borrow_mut(|open| {
        open.depth += 1;
        open.lists.len()
    }));
    f()
}

/// Register `source` with the render open on this thread, if one is: the
/// number of its handle.
fn register(source: impl FnOnce() -> Arc<dyn Source>) -> Option<u64> {
    OPEN.with_borrow_mut(|open| {
        (open.depth > 0).then(|| {
            let number = NEXT.fetch_add(1, Ordering::Relaxed);
            open.lists.push((number, source()));
            number
        })
    })
}

/// A handle to a registered list.
fn handle<S: serde::Serializer>(number: u64, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(1))?;
    map.serialize_entry(HANDLE, &number)?;
    map.end()
}

impl<T: Serialize + Send + Sync + 'static> Serialize for Items<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let registered = (!self.0.is_empty())
            .then(|| register(|| self.0.clone()))
            .flatten();
        if let Some(number) = registered {
            return handle(number, s);
        }
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for item in self.0.iter() {
            seq.serialize_element(item)?;
        }
        seq.end()
    }
}

/// A list whose items a [`Source`] of its own makes, one at a time, as a
/// template reaches them: walked like [`Items`], and outside a render
/// serialised as the plain list of what the source makes.
pub struct Lazy<S>(Arc<S>);

impl<S> Lazy<S> {
    /// The list `source` makes.
    pub fn new(source: S) -> Lazy<S> {
        Lazy(Arc::new(source))
    }

    /// The source, for Rust code.
    pub fn source(&self) -> &S {
        &self.0
    }
}

impl<S: Source + 'static> Serialize for Lazy<S> {
    fn serialize<Ser: serde::Serializer>(&self, s: Ser) -> Result<Ser::Ok, Ser::Error> {
        use serde::ser::{Error, SerializeSeq};
        let registered = (!self.0.is_empty())
            .then(|| register(|| self.0.clone()))
            .flatten();
        if let Some(number) = registered {
            return handle(number, s);
        }
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for i in 0..self.0.len() {
            seq.serialize_element(&self.0.value(i).map_err(Ser::Error::custom)?)?;
        }
        seq.end()
    }
}

/// The list a handle stands for, when `value` is a handle open on this thread.
fn source(value: &Value) -> Option<Arc<dyn Source>> {
    let number = value.as_object()?.get(HANDLE)?.as_u64()?;
    OPEN.with_borrow(|open| {
        open.lists
            .iter()
            .rev()
            .find(|(n, _)| *n == number)
            .map(|(_, s)| Arc::clone(s))
    })
}

/// A list as a template value holds it: JSON, or a handle.
pub enum List<'a> {
    /// A plain JSON list.
    Json(&'a [Value]),
    /// The typed items behind a handle.
    Items(Arc<dyn Source>),
}

impl List<'_> {
    /// The list `value` is (a JSON list or a handle), if it is one.
    pub fn of(value: &Value) -> Option<List<'_>> {
        match value {
            Value::Array(items) => Some(List::Json(items)),
            _ => source(value).map(List::Items),
        }
    }

    /// How many items.
    pub fn len(&self) -> usize {
        match self {
            List::Json(items) => items.len(),
            List::Items(source) => source.len(),
        }
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Item `index` as JSON (`index` < [`List::len`]).
    pub fn get(&self, index: usize) -> Result<Cow<'_, Value>, RenderError> {
        match self {
            List::Json(items) => Ok(Cow::Borrowed(&items[index])),
            List::Items(source) => source
                .value(index)
                .map(Cow::Owned)
                .map_err(|e| RenderErrorReason::SerdeError(e).into()),
        }
    }

    /// The items in order, as JSON.
    pub fn iter(&self) -> impl Iterator<Item = Result<Cow<'_, Value>, RenderError>> {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// `len`: the number of items of a list (a handle's too), keys of an
/// object, bytes of a string; 0 for anything else. Replaces the built-in.
pub fn len(
    h: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let value = h
        .param(0)
        .ok_or(RenderErrorReason::ParamNotFoundForIndex("len", 0))?
        .value();
    let n = match (List::of(value), value) {
        (Some(list), _) => list.len(),
        (None, Value::Object(map)) => map.len(),
        (None, Value::String(s)) => s.len(),
        _ => 0,
    };
    out.write(&n.to_string())?;
    Ok(())
}

/// `each`, as handlebars has it (`@index`, `@first`, `@last`, `@key`, block
/// params, `{{else}}`), that also walks a handle's items one at a time.
/// Replaces the built-in.
pub struct Each;

impl HelperDef for Each {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let param = h
            .param(0)
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("each", 0))?;
        let Some(template) = h.template() else {
            return Ok(());
        };
        let value = param.value();
        let list = List::of(value);
        // An object's entries, in order (a handle is not an object here).
        let entries: Vec<(&String, &Value)> = match (&list, value) {
            (None, Value::Object(map)) => map.iter().collect(),
            _ => Vec::new(),
        };
        let len = match &list {
            Some(list) => list.len(),
            None if value.is_object() => entries.len(),
            None => {
                return match h.inverse() {
                    Some(inverse) => inverse.render(r, ctx, rc, out),
                    None if r.strict_mode() => {
                        Err(RenderError::strict_error(param.relative_path()))
                    }
                    None => Ok(()),
                };
            }
        };
        if len == 0 {
            return match h.inverse() {
                Some(inverse) => inverse.render(r, ctx, rc, out),
                None => Ok(()),
            };
        }
        // A JSON value found in the context is addressed by its path (no
        // copy); derived values and a handle's items are set as values.
        let path = match list {
            Some(List::Items(_)) => None,
            _ => param.context_path().cloned(),
        };
        let mut block = BlockContext::new();
        match &path {
            Some(p) => *block.base_path_mut() = p.clone(),
            None => block.set_base_value(value.clone()),
        }
        rc.push_block(block);
        for i in 0..len {
            let (key, item) = match &list {
                Some(list) => (None, list.get(i)?),
                None => match entries.get(i) {
                    Some(&(k, v)) => (Some(k), Cow::Borrowed(v)),
                    None => break,
                },
            };
            if let Some(block) = rc.block_mut() {
                block.set_local_var("first", Value::Bool(i == 0));
                block.set_local_var("last", Value::Bool(i == len - 1));
                block.set_local_var("index", Value::from(i));
                let key = match key {
                    Some(k) => {
                        block.set_local_var("key", Value::String(k.clone()));
                        Value::String(k.clone())
                    }
                    None => Value::from(i),
                };
                set_block_params(block, h, path.is_some(), &key, &item)?;
                match &path {
                    Some(p) => {
                        let base = block.base_path_mut();
                        base.truncate(p.len());
                        base.push(match &key {
                            Value::String(k) => k.clone(),
                            _ => i.to_string(),
                        });
                    }
                    None => block.set_base_value(item.into_owned()),
                }
            }
            template.render(r, ctx, rc, out)?;
        }
        rc.pop_block();
        Ok(())
    }
}

/// `as |item|` and `as |item key|`.
fn set_block_params<'rc>(
    block: &mut BlockContext<'rc>,
    h: &Helper<'rc>,
    by_path: bool,
    key: &Value,
    item: &Value,
) -> Result<(), RenderError> {
    let (name, key_name) = match (h.block_param(), h.block_param_pair()) {
        (Some(name), _) => (name, None),
        (None, Some((name, key_name))) => (name, Some(key_name)),
        (None, None) => return Ok(()),
    };
    let mut params = BlockParams::new();
    if by_path {
        params.add_path(name, Vec::new())?;
    } else {
        params.add_value(name, item.clone())?;
    }
    if let Some(key_name) = key_name {
        params.add_value(key_name, key.clone())?;
    }
    block.set_block_params(params);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    struct Rule {
        name: &'static str,
        tags: Vec<&'static str>,
    }

    #[derive(Serialize)]
    struct Ctx {
        title: &'static str,
        rules: Items<Rule>,
        prefixes: Items<String>,
        none: Items<Rule>,
        limits: BTreeMap<&'static str, usize>,
    }

    fn ctx() -> Ctx {
        let rule = |name, tags| Rule { name, tags };
        Ctx {
            title: "T",
            rules: Items::new(vec![
                rule("a", vec!["x", "y"]),
                rule("b", vec![]),
                rule("c", vec!["z"]),
            ]),
            prefixes: Items::new(vec!["10.0.0.0/24".into(), "2001:db8::/32".into()]),
            none: Items::default(),
            limits: BTreeMap::from([("one", 1), ("two", 2)]),
        }
    }

    /// Render `template` from `ctx()` serialised inside a render's scope
    /// (handles) and outside one (plain lists).
    fn both(template: &str) -> (Result<String, String>, Result<String, String>) {
        let hb = crate::render::registry();
        let render = |value: Value| {
            hb.render_template(template, &value)
                .map_err(|e| e.to_string())
        };
        let plain = render(serde_json::to_value(ctx()).unwrap());
        let walked = scope(|| {
            let value = serde_json::to_value(ctx()).unwrap();
            assert!(
                value["rules"].is_object(),
                "a handle, not the list: {value}"
            );
            render(value)
        });
        (walked, plain)
    }

    #[test]
    fn a_walked_list_renders_as_the_plain_list_does() {
        for template in [
            "{{#each rules}}{{@index}}{{#if @first}}F{{/if}}{{#if @last}}L{{/if}}:{{name}}/{{../title}}/{{@root.title}}[{{#each tags}}{{@index}}{{this}}{{#unless @last}},{{/unless}}{{/each}}]{{/each}}",
            "{{#each rules as |r i|}}{{i}}={{r.name}}{{#each r.tags as |t|}}<{{t}}>{{/each}};{{/each}}",
            "{{len rules}} {{len none}} {{#if rules}}yes{{/if}}{{#if none}}no{{/if}}{{#unless none}}none{{/unless}}",
            "{{#if (some rules \"name\" \"b\")}}b{{/if}}{{#if (some rules \"name\" \"q\")}}q{{/if}}",
            "{{lines prefixes fmt=\"{addr} {len}\" sep=\"|\"}} {{lines prefixes sep=\",\"}}",
            "{{#each none}}x{{else}}empty{{/each}}",
            "{{#each limits}}{{@key}}={{this}}{{#if @first}}F{{/if}};{{/each}}",
        ] {
            let (walked, plain) = both(template);
            assert!(walked.is_ok(), "{template}: {walked:?}");
            assert_eq!(walked, plain, "{template}");
        }
    }

    #[test]
    fn a_walked_list_cannot_be_indexed() {
        let (walked, plain) = both("{{rules.[0].name}}");
        assert_eq!(plain.as_deref(), Ok("a"));
        assert!(walked.is_err(), "{walked:?}");
    }

    /// Makes `n` texts, counting what it made.
    struct Made(usize, std::sync::atomic::AtomicUsize);

    impl Source for Made {
        fn len(&self) -> usize {
            self.0
        }

        fn value(&self, index: usize) -> serde_json::Result<Value> {
            self.1.fetch_add(1, Ordering::Relaxed);
            Ok(Value::String(format!("<{index}>")))
        }
    }

    #[test]
    fn a_lazy_list_makes_its_items_as_the_template_reaches_them() {
        #[derive(Serialize)]
        struct Texts {
            texts: Lazy<Made>,
        }
        let texts = || Texts {
            texts: Lazy::new(Made(3, Default::default())),
        };
        let hb = crate::render::registry();
        let template = "{{lines texts sep=\",\"}}|{{#each texts}}{{this}}{{/each}}";
        let plain = hb.render_template(template, &texts()).unwrap();
        assert_eq!(plain, "<0>,<1>,<2>|<0><1><2>");
        let ctx = texts();
        let walked = scope(|| {
            let value = serde_json::to_value(&ctx).unwrap();
            assert!(
                value["texts"].is_object(),
                "a handle, not the list: {value}"
            );
            assert_eq!(ctx.texts.source().1.load(Ordering::Relaxed), 0);
            hb.render_template(template, &value).unwrap()
        });
        assert_eq!(walked, plain);
        // Each walk made each item once.
        assert_eq!(ctx.texts.source().1.load(Ordering::Relaxed), 6);
    }

    #[test]
    fn handles_end_with_their_render() {
        let value = scope(|| {
            let value = serde_json::to_value(ctx()).unwrap();
            assert_eq!(List::of(&value["rules"]).map(|l| l.len()), Some(3));
            value
        });
        assert!(List::of(&value["rules"]).is_none());
        // An empty list is a plain empty list, false to `if`.
        assert_eq!(value["none"], serde_json::json!([]));
    }
}
