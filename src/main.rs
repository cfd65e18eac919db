//! The `foid` command line.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Like other Unix tools, end quietly when the reader of our output goes
    // away (`foid cases | head`) instead of panicking on a broken pipe.
    // SAFETY: called first thing, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
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
