//! The `kdp-migrate` command line: one module per subcommand.

pub mod kong;
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
    /// The Kong side of a migration: generate ddd-int-kdp's configuration from the map, or
    /// convert a decK dump of the source gateway into it.
    Kong {
        #[command(subcommand)]
        command: kong::KongCommand,
    },
    /// Reads telemetry records from logs and says, per API, who still uses the legacy host and whether it may be retired.
    Report(report::ReportArgs),
}

/// Runs the CLI. `replay`: 0 when every request was handled, 1 when some were not (errors,
/// malformed entries). `kong convert`: 0 converted, 1 converted with items that need a human.
/// `report --gate`: 0 every API ready, 1 not. Every command: 2 when the input is unusable.
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
        Command::Kong { command } => match kong::run(&command) {
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
