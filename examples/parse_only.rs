//! The yardstick for `build --all-tags`: a minimal program that only reads a
//! Service Tags file and parses it with serde_json, and does nothing else.
//! `cargo run --release --example parse_only FILE`

fn main() {
    let path = std::env::args().nth(1).expect("usage: parse_only FILE");
    let bytes = std::fs::read(&path).expect("read");
    let value: serde_json::Value = serde_json::from_slice(&bytes).expect("parse");
    // Touch the result so the parse cannot be optimised away.
    let tags = value["values"].as_array().map_or(0, Vec::len);
    println!("{tags}");
}
