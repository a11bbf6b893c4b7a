//! `cargo xtask <task>`; see the crate's library docs for the tasks.

use std::process::ExitCode;

/// What `cargo xtask` prints when the task is missing or unknown.
const USAGE: &str = "usage:
  cargo xtask test [ARGS...]   set up .venv (and chromium when possible), run cargo test --workspace [ARGS...],
                               then name each suite that could not run and the command that enables it
  cargo xtask dist             build dist/: the plugin bundle zip, the Robot Framework wheel, SHA256SUMS";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = xtask::workspace_root();
    let done = match args.first().map(String::as_str) {
        Some("dist") if args.len() == 1 => xtask::dist::dist(&root, &root.join("dist")).map(|files| {
            for file in files {
                println!("{}", file.display());
            }
        }),
        Some("test") => {
            xtask::dist::target_directory(&root).and_then(|target| xtask::test::test(&root, &target, &args[1..]))
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
