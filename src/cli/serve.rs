//! `ramgate serve`: the data directory's Log Service, KMS, STS and RAM on
//! one local HTTP port, for the official SDKs (`server::http`).

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use clap::Args;
use time::Duration;

use crate::clock::OffsetClock;
use crate::logstore::LogService;
use crate::server::credentials::Credentials;
use crate::server::http::{Server, THREAD_NAME, serve};
use crate::server::keystore::KeyStore;

use super::data::{DataDirArg, DataError, finish, owner_options};
use super::{Failure, Outcome};

/// Serve the data directory over HTTP to the Alibaba Cloud SDKs: Log
/// Service by path, KMS (2016-01-20), STS (2015-04-01) and RAM (2015-05-01)
/// by `Version` and `Action`, every request authenticated and authorized.
///
/// Prints `listening on http://ADDR` once ready, one line per request on
/// standard error (request id, caller, API, outcome, latency), answers
/// `GET /ramgate/health` without credentials, and on SIGINT or SIGTERM
/// lets the requests in flight finish, then releases the directory.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    dir: DataDirArg,
    /// The address to listen on (port 0: a free port, printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9080")]
    listen: SocketAddr,
    /// For tests: move the server's clock by this many seconds (signature
    /// freshness, STS expiry, audit times).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 0,
        allow_hyphen_values = true
    )]
    clock_offset: i64,
}

pub(crate) fn run(args: ServeArgs) -> Result<Outcome, Failure> {
    let clock = Arc::new(OffsetClock {
        offset: Duration::seconds(args.clock_offset),
    });
    let service = match LogService::open(&args.dir.data_dir, clock, owner_options(&args.dir)) {
        Ok(service) => service,
        Err(e) => return finish(Err(DataError::from(e))),
    };
    // The access keys and STS sessions of the directory, sealed under its
    // root key (`ramgate ram create-access-key` makes the first ones).
    let credentials: Arc<dyn Credentials> = match KeyStore::open(&service) {
        Ok(store) => Arc::new(store),
        Err(e) => return finish(Err(DataError::from(e))),
    };
    let server = Arc::new(Server::new(service, credentials));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_name(THREAD_NAME)
        .enable_all()
        .build()
        .map_err(|e| Failure::new(format!("cannot start the server's runtime: {e}")))?;
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| Failure::new(format!("cannot listen on `{}`: {e}", args.listen)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Failure::new(e.to_string()))?;
        println!("listening on http://{addr}");
        let _ = std::io::stdout().flush();
        serve(listener, server, stop_signal())
            .await
            .map_err(|e| Failure::new(format!("the server stopped: {e}")))
    });
    // The server (and the directory's lock) is dropped with the runtime's
    // tasks, once every request in flight has answered.
    drop(runtime);
    served.map(|()| Outcome::Yes)
}

/// SIGINT or SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
