use clap::Parser;

// Candle allocates a fresh buffer per tensor op; mimalloc reuses freed pages instead of
// returning them to the kernel and faulting them back in (see `labbook bench lm`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use labbook::cli::{self, Cli};

fn init_tracing(
    data_dir: Option<&std::path::Path>,
) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let data_dir = labbook::app::resolve_data_dir(data_dir).ok()?;
    let dir = labbook::app::state_dir(&data_dir);
    std::fs::create_dir_all(&dir).ok()?;
    let appender = tracing_appender::rolling::never(&dir, "labbook.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LABBOOK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    Some(guard)
}

/// mimalloc's `mi_option_purge_delay` (index 15 of `mi_option_e` in mimalloc 2 and 3).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> std::process::ExitCode {
    // Keep freed pages instead of handing them back to the kernel after 10 ms: a
    // training step frees and reallocates the same few hundred MB, and every page
    // given back is faulted in and zeroed again on the next step (17% of a step's time
    // in `clear_page` before this). Memory stays bounded by the peak of one step.
    // SAFETY: sets a plain integer option; mimalloc reads it on its next purge decision.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    // Candle's CPU worker threads spin for 25,000 rounds after each op before parking;
    // with as many threads as cores that spinning takes the core the training loop
    // needs next (LM step 137 → 111 ms on 2 cores). Park at once unless the user says
    // otherwise. Set before any Candle op creates the pool.
    if std::env::var_os("CANDLE_BARRIER_POOL_SPIN_LIMIT").is_none() {
        std::env::set_var("CANDLE_BARRIER_POOL_SPIN_LIMIT", "0");
    }
    let cli = Cli::parse();
    let _guard = init_tracing(cli.data_dir.as_deref());
    let result = if cli.command.is_none() {
        let opts = labbook::app::Options {
            defer_notes_scan: true,
            ..cli::options(&cli)
        };
        labbook::app::Context::open(&opts).and_then(labbook::tui::run)
    } else {
        cli::run(cli)
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("labbook: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
