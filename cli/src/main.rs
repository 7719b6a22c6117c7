//! `kdp-migrate`: see `cli/README.md`.

fn main() -> std::process::ExitCode {
    kdp_migrate_cli::commands::main()
}
