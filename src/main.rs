//! The `passerelle` binary: see `passerelle --help`.

fn main() -> std::process::ExitCode {
    passerelle::cli::run()
}
