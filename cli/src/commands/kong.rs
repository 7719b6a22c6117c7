//! `kdp-migrate kong generate|convert`: the Kong side of a migration.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};

use crate::kong::convert::{self, ConvertOptions};
use crate::kong::deck::DeckFile;
use crate::kong::generate;
use crate::kong::kit::Layout;
use crate::kong::service_url::{DEFAULT_SERVICE_URL, ServiceUrl};
use crate::map_document::MapDocument;

#[derive(Debug, Subcommand)]
pub enum KongCommand {
    /// Writes ddd-int-kdp's Kong 3.9 declarative configuration from the migration map.
    Generate(GenerateArgs),
    /// Turns a decK dump of the source gateway into ddd-int-kdp's configuration, with a report.
    Convert(ConvertArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LayoutArg {
    /// The split filters, chained per entry (each filter in a chain pays Kong's per-filter cost).
    Chains,
    /// `kdp_migrate` alone on every route: the recommended layout (benches/kong/RESULTS.md).
    Combined,
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// The migration map (JSON or YAML).
    #[arg(long, value_name = "MAP")]
    map: PathBuf,
    /// How the filters are attached.
    #[arg(long, value_enum, default_value_t = LayoutArg::Combined)]
    layout: LayoutArg,
    /// Kong without Wasm: Kong's own routes and bundled plugins (see the file's header for what
    /// that cannot do).
    #[arg(long)]
    native: bool,
    /// Each API's upstream, `{api}` replaced by its name.
    #[arg(long, value_name = "TEMPLATE", default_value = DEFAULT_SERVICE_URL)]
    service_url: String,
    /// Where to write the configuration (default: stdout).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ConvertArgs {
    /// The decK dump of the source gateway (`deck gateway dump`, YAML or JSON).
    #[arg(long, value_name = "DUMP")]
    dump: PathBuf,
    /// The migration map (JSON or YAML).
    #[arg(long, value_name = "MAP")]
    map: PathBuf,
    /// How the filters are attached.
    #[arg(long, value_enum, default_value_t = LayoutArg::Combined)]
    layout: LayoutArg,
    /// Kong without Wasm: Kong's own routes and bundled plugins.
    #[arg(long)]
    native: bool,
    /// Each API's new upstream, `{api}` replaced by its name.
    #[arg(long, value_name = "TEMPLATE", default_value = DEFAULT_SERVICE_URL)]
    service_url: String,
    /// Drop the services and routes of APIs the map does not name (default: carry them).
    #[arg(long)]
    only_mapped: bool,
    /// Also write the report as JSON there.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Where to write the configuration (default: stdout).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Runs a `kong` subcommand: `Ok(true)` when nothing needs a human.
pub fn run(command: &KongCommand) -> Result<bool, String> {
    match command {
        KongCommand::Generate(args) => generate_command(args).map(|()| true),
        KongCommand::Convert(args) => convert_command(args),
    }
}

fn layout(arg: LayoutArg, native: bool) -> Layout {
    match (arg, native) {
        (_, true) => Layout::Native,
        (LayoutArg::Chains, false) => Layout::Chains,
        (LayoutArg::Combined, false) => Layout::Combined,
    }
}

fn generate_command(args: &GenerateArgs) -> Result<(), String> {
    let map = MapDocument::load(&args.map).map_err(|error| format!("--map {error}"))?;
    let service_url =
        ServiceUrl::parse(&args.service_url, args.native).map_err(|error| error.to_string())?;
    let generated = generate::generate(&map, layout(args.layout, args.native), &service_url)?;
    write_out(args.out.as_deref(), &generate::render(&generated)?)
}

fn convert_command(args: &ConvertArgs) -> Result<bool, String> {
    let map = MapDocument::load(&args.map).map_err(|error| format!("--map {error}"))?;
    let service_url =
        ServiceUrl::parse(&args.service_url, args.native).map_err(|error| error.to_string())?;
    let dump = DeckFile::load(&args.dump).map_err(|error| error.to_string())?;
    let options = ConvertOptions {
        layout: layout(args.layout, args.native),
        service_url,
        only_mapped: args.only_mapped,
    };
    let converted = convert::convert(&dump, &map, &options)?;
    let text = convert::render(&converted, args.out.as_deref().is_some_and(is_json_name))?;
    write_out(args.out.as_deref(), &text)?;
    if let Some(path) = &args.report {
        let json = converted.report.to_json();
        std::fs::write(path, json)
            .map_err(|error| format!("--report {}: {error}", path.display()))?;
    }
    eprint!("{}", converted.report.render());
    Ok(converted.report.needs_human().is_empty())
}

fn is_json_name(path: &Path) -> bool {
    path.extension().and_then(|extension| extension.to_str()) == Some("json")
}

fn write_out(path: Option<&Path>, text: &str) -> Result<(), String> {
    match path {
        Some(path) => {
            std::fs::write(path, text).map_err(|error| format!("--out {}: {error}", path.display()))
        }
        None => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|error| format!("writing the configuration: {error}")),
    }
}
