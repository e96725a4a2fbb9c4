//! The `tagwall` command. Everything but the allocator lives in the library.

/// jemalloc, with transparent huge pages for its arenas: `build --all-tags`
/// touches tens of megabytes once, and in 4 KiB pages the page faults alone
/// took a third of the run (measured in `benches/peers.sh`; the README has
/// the numbers). Peak memory is no higher than with the system allocator.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's compile-time options (`malloc_conf`, under the prefix this
/// build of jemalloc gives its symbols); `_RJEM_MALLOC_CONF` overrides them.
#[unsafe(export_name = "_rjem_malloc_conf")]
static MALLOC_CONF: Option<&'static std::ffi::c_char> =
    Some(unsafe { &*c"thp:always,metadata_thp:auto".as_ptr() });

fn main() {
    std::process::exit(tagwall::cli::main());
}
