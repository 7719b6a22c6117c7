//! `kdp-migrate`: see `host-test/README.md`.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
