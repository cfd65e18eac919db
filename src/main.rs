//! The `foid` command line.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = foid::cli::Cli::parse();
    foid::cli::init_logging(&cli);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("foid: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(foid::cli::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("foid: {e:#}");
            ExitCode::FAILURE
        }
    }
}
