//! The `vitrine` binary: parses the command line and hands over to the server crate.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::cli::main().await
}
