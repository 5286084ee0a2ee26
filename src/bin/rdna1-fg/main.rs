// SPDX-License-Identifier: GPL-2.0

//! `rdna1-fg`: shows and checks what `rdna1_fg` does to a KFD topology.
//!
//! It reads a topology directory (the live `/sys/class/kfd/kfd/topology`, or
//! a copy of one) with the same parser and rules as the kernel module, looks
//! at whether the module is loaded and at its status file, and writes
//! nothing. `rdna1-fg --help` lists the subcommands and exit codes.
//!
//! - [`cli`]: the command line (also the source of the man pages and completions).
//! - [`topology`]: reading the topology directory.
//! - [`selection`]: the module's rule applied to it.
//! - [`devices`]: the RDNA1 device table.
//! - [`module_status`]: `/sys/module/rdna1_fg` and the debugfs status file.
//! - [`status`] (and [`status_text`]), [`verify`], [`doctor`], [`explain`],
//!   [`generate`]: the subcommands.
//! - [`format`]: sizes, flags and PCI ids for people.

mod cli;
mod devices;
mod doctor;
mod explain;
mod format;
mod generate;
mod module_status;
mod selection;
mod status;
mod status_text;
mod topology;
mod verify;

use clap::Parser;
use cli::{Cli, Command, RuleArgs};
use rdna1_fg::logic::rules::{Config, RawParams};
use serde::Serialize;
use std::process::ExitCode;

/// Exit code for errors: no topology, invalid arguments, I/O errors (clap
/// uses the same for its usage errors).
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("rdna1-fg: {e}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn run(command: &Command) -> Result<u8, String> {
    match command {
        Command::Status(args) => {
            let config = config(&args.rule)?;
            let nodes = topology::read(&args.rule.root).map_err(|e| e.to_string())?;
            let module = module_status::read(&args.sys_module_dir, &args.debugfs_status);
            let report = status::build(args.rule.root.clone(), &config, &nodes, module);
            print(args.rule.json, &report, || {
                status_text::text(&report, &config)
            })?;
            Ok(0)
        }
        Command::Verify(args) => {
            let config = config(&args.rule)?;
            let nodes = topology::read(&args.rule.root).map_err(|e| e.to_string())?;
            let report = verify::build(args.rule.root.clone(), &config, &nodes);
            print(args.rule.json, &report, || verify::text(&report, &config))?;
            Ok(report.exit_code)
        }
        Command::Doctor(args) => {
            let report = doctor::run(args)?;
            print(args.json, &report, || doctor::text(&report))?;
            Ok(report.exit_code)
        }
        Command::Explain(args) => {
            let explanation = explain::Explanation {
                topics: explain::TOPICS,
                checked_at: explain::CHECKED_AT,
            };
            print(args.json, &explanation, explain::text)?;
            Ok(0)
        }
        Command::Generate(args) => generate::run(&args.what).map(|()| 0),
    }
}

/// The module's rule from the command line, validated as the module does.
fn config(args: &RuleArgs) -> Result<Config, String> {
    Config::from_params(RawParams {
        device_id: args.device_id,
        heap_mask: args.heap_mask,
        ..RawParams::default()
    })
    .map_err(|e| e.to_string())
}

/// Prints `value` as JSON, or `text()`.
fn print<T: Serialize>(json: bool, value: &T, text: impl FnOnce() -> String) -> Result<(), String> {
    use std::io::Write;
    let out = if json {
        let mut s = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
        s.push('\n');
        s
    } else {
        text()
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        // A closed pipe (`rdna1-fg status | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("cannot write the output: {e}")),
    }
}
