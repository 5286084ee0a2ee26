//! rdna1-fg-bench: writes BENCHMARKS.md and its SVG chart from the raw
//! samples of `make bench` (ci/bench.sh). The statistics are in `stats`,
//! the figures in `figures`; the shell side only runs things and prints
//! samples.

mod chart;
mod figures;
mod report;
mod samples;
mod stats;

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

/// Writes BENCHMARKS.md and BENCHMARKS.svg from the raw samples of `make bench`.
#[derive(Parser)]
#[command(
    version,
    after_help = "Exit status: 0 when both files were written, 1 when an input could not be read or \
                  parsed or an output not written, 2 on a usage error."
)]
struct Cli {
    /// The samples ci/bench.sh collected (SOURCE<TAB>KEY<TAB>VALUE lines).
    #[arg(long)]
    samples: PathBuf,
    /// The separately measured .ci/run times (DATE<TAB>KIND<TAB>SECONDS<TAB>NOTE); a missing file
    /// means none.
    #[arg(long)]
    ci_times: Option<PathBuf>,
    /// The module's largest functions and objects (SIZE<TAB>KIND<TAB>NAME lines, largest first);
    /// a missing file means none.
    #[arg(long)]
    symbols: Option<PathBuf>,
    /// Where to write the Markdown report.
    #[arg(long)]
    markdown: PathBuf,
    /// Where to write the SVG chart (the report links it by its file name).
    #[arg(long)]
    svg: PathBuf,
}

fn run(cli: &Cli) -> Result<(), String> {
    let text = std::fs::read_to_string(&cli.samples)
        .map_err(|e| format!("{}: {e}", cli.samples.display()))?;
    let s =
        samples::Samples::parse(&text).map_err(|e| format!("{}: {e}", cli.samples.display()))?;
    let ci = match &cli.ci_times {
        Some(p) if p.exists() => {
            let t = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            samples::parse_ci_times(&t).map_err(|e| format!("{}: {e}", p.display()))?
        }
        _ => Vec::new(),
    };
    let symbols = match &cli.symbols {
        Some(p) if p.exists() => {
            let t = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            samples::parse_symbols(&t).map_err(|e| format!("{}: {e}", p.display()))?
        }
        _ => Vec::new(),
    };
    let f = figures::Figures::compute(&s);
    let effect_us: Vec<f64> = s.get("effect_ns").iter().map(|v| v / 1e3).collect();
    chart::write(&cli.svg, &f, &effect_us).map_err(|e| format!("{}: {e}", cli.svg.display()))?;
    let svg_name = cli
        .svg
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let md = report::markdown(&s, &f, &ci, &symbols, &svg_name);
    std::fs::write(&cli.markdown, md).map_err(|e| format!("{}: {e}", cli.markdown.display()))?;
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rdna1-fg-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
