//! The `host-sim` binary: see [`host_sim::cli`].

fn main() -> std::process::ExitCode {
    host_sim::cli::main()
}
