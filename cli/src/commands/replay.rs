//! `kdp-migrate replay`: recorded traffic in, one record per request out.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kdp_migrate_host_test::{Engine, FilterLibrary};

use crate::kong::{KongRoutes, RouterFlavor};
use crate::map_document::MapDocument;
use crate::replay::{Replayer, Summary};
use crate::traffic::{self, Format};

/// Replays below this many requests finish before a progress bar would help.
const PROGRESS_THRESHOLD: usize = 1000;

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// The migration map (JSON or YAML).
    #[arg(long, value_name = "MAP")]
    map: PathBuf,
    /// The recorded traffic.
    #[arg(long, value_name = "FILE")]
    traffic: PathBuf,
    /// A Kong declarative configuration: requests are routed as Kong would and run through their
    /// route's and service's filter chains.
    #[arg(long, value_name = "KONG_YAML")]
    kong: Option<PathBuf>,
    /// kong.conf's `router_flavor` for `--kong`: `traditional_compatible` (Kong's default) or
    /// `traditional` (where a route's `path_handling: v1` counts).
    #[arg(long, value_enum, default_value_t = RouterFlavorArg::TraditionalCompatible)]
    router_flavor: RouterFlavorArg,
    /// The folder of built filters.
    #[arg(long, value_name = "DIR", default_value = "dist/kong-filters")]
    filters: PathBuf,
    /// The engine to emulate (`--host` is the old name).
    #[arg(long, alias = "host", value_enum, default_value_t = EngineArg::Kong)]
    engine: EngineArg,
    /// The traffic format.
    #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
    format: FormatArg,
    /// Where to write the decisions (default: stdout).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum EngineArg {
    Kong,
    Envoy,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
#[value(rename_all = "snake_case")]
enum RouterFlavorArg {
    TraditionalCompatible,
    Traditional,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FormatArg {
    Auto,
    Kong,
    Har,
    Jsonl,
}

/// `Ok(true)` when every request was replayed without error and nothing was skipped.
pub fn run(args: &ReplayArgs) -> Result<bool, String> {
    let map = MapDocument::load(&args.map).map_err(|error| format!("--map {error}"))?;
    let flavor = match args.router_flavor {
        RouterFlavorArg::TraditionalCompatible => RouterFlavor::TraditionalCompatible,
        RouterFlavorArg::Traditional => RouterFlavor::Traditional,
    };
    let kong = args
        .kong
        .as_deref()
        .map(|path| KongRoutes::load(path, flavor))
        .transpose()
        .map_err(|error| format!("--kong {error}"))?;
    if let (Some(routes), Some(path)) = (&kong, &args.kong) {
        for warning in routes.warnings() {
            eprintln!("--kong {}: {warning}", path.display());
        }
    }
    let label = args.traffic.display().to_string();
    let bytes =
        std::fs::read(&args.traffic).map_err(|error| format!("--traffic {label}: {error}"))?;
    let format = match args.format {
        FormatArg::Auto => Format::Auto,
        FormatArg::Kong => Format::Kong,
        FormatArg::Har => Format::Har,
        FormatArg::Jsonl => Format::Jsonl,
    };
    let traffic =
        traffic::parse(&bytes, format).map_err(|unusable| format!("{label}:{unusable}"))?;
    for malformed in &traffic.malformed {
        eprintln!("{label}:{malformed}");
    }

    let mut library = FilterLibrary::new().map_err(|error| error.to_string())?;
    for name in Replayer::filters_needed(kong.as_ref()) {
        library
            .load(name, &args.filters.join(format!("{name}.wasm")))
            .map_err(|error| error.to_string())?;
    }
    let engine = match args.engine {
        EngineArg::Kong => Engine::Kong,
        EngineArg::Envoy => Engine::Envoy,
    };
    let mut replayer =
        Replayer::new(&library, engine, map, kong).map_err(|error| error.to_string())?;

    let mut out = output(args.out.as_deref())?;
    let progress = progress_bar(traffic.entries.len());
    let mut summary = Summary::default();
    summary.set_malformed(traffic.malformed.len());
    for (index, recorded) in traffic.entries.iter().enumerate() {
        let decision = replayer.replay(index as u64 + 1, recorded);
        serde_json::to_writer(&mut out, &decision)
            .map_err(|error| format!("writing decisions: {error}"))?;
        out.write_all(b"\n")
            .map_err(|error| format!("writing decisions: {error}"))?;
        summary.add(&decision);
        progress.inc(1);
    }
    out.flush()
        .map_err(|error| format!("writing decisions: {error}"))?;
    progress.finish_and_clear();
    eprint!("{}", summary.render());
    Ok(summary.errors() == 0 && traffic.malformed.is_empty())
}

fn output(path: Option<&Path>) -> Result<Box<dyn Write>, String> {
    Ok(match path {
        Some(path) => {
            let file =
                File::create(path).map_err(|error| format!("--out {}: {error}", path.display()))?;
            Box::new(BufWriter::new(file))
        }
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    })
}

/// A progress bar on stderr, only for long replays on a terminal (never in logs or pipes).
fn progress_bar(total: usize) -> ProgressBar {
    if total < PROGRESS_THRESHOLD || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} requests ({percent}%), eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}
