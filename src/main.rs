fn main() {
    std::process::exit(tagwall::cli::main());
}
