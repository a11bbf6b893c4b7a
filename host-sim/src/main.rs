//! The `host-sim` binary: see [`host_sim::cli`].

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    host_sim::cli::main()
}
