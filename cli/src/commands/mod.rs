//! The `kdp-migrate` command line: one module per subcommand.

pub mod replay;
pub mod report;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "kdp-migrate",
    version,
    about = "kdp-migrate: carry a team's APIs from one gateway to another without breaking a client"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Replays recorded traffic through the filter chains and prints, per request, what it becomes.
    Replay(replay::ReplayArgs),
    /// Reads telemetry records from logs and says, per API, who still uses the legacy host and whether it may be retired.
    Report(report::ReportArgs),
}

/// Runs the CLI: 0 when every request was handled, 1 when some were not (errors, malformed
/// entries), 2 when the input is unusable.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Replay(args) => match replay::run(&args) {
            Ok(clean) => ExitCode::from(if clean { 0 } else { 1 }),
            Err(message) => {
                eprintln!("kdp-migrate: {message}");
                ExitCode::from(2)
            }
        },
        Command::Report(args) => match report::run(&args) {
            Ok(pass) => ExitCode::from(if pass { 0 } else { 1 }),
            Err(message) => {
                eprintln!("kdp-migrate: {message}");
                ExitCode::from(2)
            }
        },
    }
}
