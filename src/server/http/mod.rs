//! The HTTP front of `ramgate serve`: one port, plain HTTP/1.1, Log Service
//! dispatched by path and KMS, STS and RAM by (`Version`, `Action`).
//!
//! Every request goes through the same steps ([`front`]): it waits for a
//! place among the requests in flight ([`limit`]), its body is read up to
//! a bound, it is authenticated ([`authn`]: the access key looked up
//! first, then the signature, the clock and, for POP, the nonce), and one
//! library call answers it on a blocking thread (the engine `fsync`s; the
//! async workers never wait on a disk). Every answer carries the request
//! id, and every refusal is a 4xx with Alibaba's code and body shape.
//!
//! [`ServerHandle`] runs a server on its own thread and runtime, for tests,
//! benches and embedders that are not async; `ramgate serve` runs
//! [`serve`] until SIGINT or SIGTERM.

pub mod authn;
pub mod front;
pub mod host;
pub mod limit;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use self::limit::{InFlight, MAX_IN_FLIGHT};
use super::auth::nonce::NonceCache;
use super::credentials::Credentials;
use crate::logstore::LogService;

/// How many POP nonces are remembered at once (15 minutes' worth of
/// requests at ~1000 per second, ~100 bytes each).
pub const NONCE_CAPACITY: usize = 1 << 20;

/// The name of every thread a server runs on: [`ServerHandle`]'s own
/// thread and its runtime's workers and blocking threads (`ramgate serve`'s
/// runtime too), so `top -H` and the `serve` bench can tell the server's
/// CPU from its clients'. Linux keeps 15 bytes of a thread's name.
pub const THREAD_NAME: &str = "ramgate-serve";

/// What every request of one server shares.
pub struct Server {
    /// The engine, owning the data directory.
    pub(crate) service: LogService,
    /// Access keys and STS sessions.
    pub(crate) credentials: Arc<dyn Credentials>,
    /// POP nonces seen within their window.
    pub(crate) nonces: NonceCache,
    /// When the server started (for `/ramgate/health`).
    pub(crate) started: Instant,
    /// Host names a Log Service project is a subdomain of (§1.1).
    pub(crate) base_hosts: Vec<String>,
    /// Whether to print one line per request on standard error.
    pub(crate) log_requests: bool,
    /// The bound on requests in flight ([`limit`]).
    pub(crate) in_flight: InFlight,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A server over `service`, authenticating with `credentials`. Its
    /// clock (freshness, STS expiry) is the service's.
    pub fn new(service: LogService, credentials: Arc<dyn Credentials>) -> Server {
        Server {
            service,
            credentials,
            nonces: NonceCache::new(NONCE_CAPACITY),
            started: Instant::now(),
            base_hosts: host::DEFAULT_BASE_HOSTS
                .iter()
                .map(|h| h.to_string())
                .collect(),
            log_requests: true,
            in_flight: InFlight::new(MAX_IN_FLIGHT),
        }
    }

    /// At most `bound` requests in flight (read, handled, answered) at
    /// once; more wait for their turn. [`MAX_IN_FLIGHT`] by default.
    pub fn max_in_flight(mut self, bound: usize) -> Server {
        self.in_flight = InFlight::new(bound);
        self
    }

    /// Prints (or not) one line per request on standard error.
    pub fn log_requests(mut self, on: bool) -> Server {
        self.log_requests = on;
        self
    }

    /// Adds a host name that Log Service projects are subdomains of
    /// (`Host: <project>.<base>`), beyond `127.0.0.1`, `localhost` and
    /// `sls.local`.
    pub fn base_host(mut self, host: &str) -> Server {
        self.base_hosts.push(host.to_ascii_lowercase());
        self
    }

    /// The engine.
    pub fn service(&self) -> &LogService {
        &self.service
    }
}

/// Serves connections from `listener` until `shutdown` completes; then
/// stops accepting, lets every request in flight finish and returns.
pub async fn serve(
    listener: TcpListener,
    server: Arc<Server>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(pair) => pair,
                    // A connection that failed before it was accepted
                    // (reset, out of descriptors) ends only itself.
                    Err(_) => continue,
                };
                let _ = stream.set_nodelay(true);
                let server = server.clone();
                let service = service_fn(move |request| {
                    let server = server.clone();
                    async move { Ok::<_, std::convert::Infallible>(front::handle(server, peer, request).await) }
                });
                let connection = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// A server running on its own thread and runtime.
pub struct ServerHandle {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl std::fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl ServerHandle {
    /// Binds `addr` (port 0 picks a free one) and serves `server` on a new
    /// thread until [`ServerHandle::shutdown`] or drop.
    pub fn start(server: Server, addr: SocketAddr) -> std::io::Result<ServerHandle> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .thread_name(THREAD_NAME)
            .enable_all()
            .build()?;
        let std_listener = std::net::TcpListener::bind(addr)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = Arc::new(server);
        let thread = std::thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = TcpListener::from_std(std_listener)?;
                    serve(listener, server, async {
                        let _ = stopped.await;
                    })
                    .await
                })
            })?;
        Ok(ServerHandle {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, waits for the requests in flight, and drops the
    /// server (and with it the data directory's lock, when no other handle
    /// of the service lives).
    pub fn shutdown(mut self) -> std::io::Result<()> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the server thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}
