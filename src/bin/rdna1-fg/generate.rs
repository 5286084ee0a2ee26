// SPDX-License-Identifier: GPL-2.0

//! `rdna1-fg generate`: the man pages and shell completions, made from the
//! command-line definition in [`crate::cli`] at build or packaging time.

use crate::cli::{Cli, Generate, Shell};
use clap::CommandFactory;
use std::io::Write;
use std::path::Path;

/// Writes what `what` asks for.
pub fn run(what: &Generate) -> Result<(), String> {
    match what {
        Generate::Man { out } => man(out.as_deref()),
        Generate::Completions { shell, out } => completions(*shell, out.as_deref()),
    }
}

fn man(out: Option<&Path>) -> Result<(), String> {
    let mut cmd = Cli::command();
    cmd.build();
    let Some(dir) = out else {
        return render(&cmd, &mut std::io::stdout().lock());
    };
    let mut pages = vec![cmd.clone()];
    pages.extend(cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
    for page in &pages {
        let name = page.get_display_name().unwrap_or(page.get_name());
        let path = dir.join(format!("{name}.1"));
        let mut file = std::fs::File::create(&path)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        render(page, &mut file)?;
    }
    Ok(())
}

fn render(cmd: &clap::Command, to: &mut dyn Write) -> Result<(), String> {
    clap_mangen::Man::new(cmd.clone())
        .render(to)
        .map_err(|e| format!("cannot write the man page: {e}"))
}

fn completions(shell: Shell, out: Option<&Path>) -> Result<(), String> {
    let mut cmd = Cli::command();
    let name = cmd.get_name().to_string();
    let generator = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    match out {
        None => {
            clap_complete::generate(generator, &mut cmd, name, &mut std::io::stdout());
            Ok(())
        }
        Some(dir) => clap_complete::generate_to(generator, &mut cmd, name, dir)
            .map(|_| ())
            .map_err(|e| format!("cannot write completions to {}: {e}", dir.display())),
    }
}
