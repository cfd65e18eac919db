//! The `foid` command line.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = foid::cli::Cli::parse();
    if cli.command.only_prints() {
        // Like other Unix tools, end quietly when the reader of our output
        // goes away (`foid cases | head`) instead of panicking on a broken
        // pipe. Only for commands that print: the daemon must keep SIGPIPE
        // ignored, or a server closing a socket would kill it.
        // SAFETY: called before any other thread exists.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
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
