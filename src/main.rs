// Rendering builds many small strings; mimalloc serves them far faster than
// the system allocator (measured in benches/peers.sh and the README table).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(tagwall::cli::main());
}
