//! SIGINT and SIGTERM as values, so that every wait can end with a clean
//! DISCONNECT instead of the process dying mid-protocol.

use tokio::signal::unix::{SignalKind, signal};

use crate::error::{Error, Result, Signal};

pub struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    pub fn new() -> Result<Self> {
        let install = |kind| {
            signal(kind).map_err(|e| Error::Runtime(format!("installing signal handler: {e}")))
        };
        Ok(Signals {
            interrupt: install(SignalKind::interrupt())?,
            terminate: install(SignalKind::terminate())?,
        })
    }

    pub async fn recv(&mut self) -> Signal {
        tokio::select! {
            _ = self.interrupt.recv() => Signal::Interrupt,
            _ = self.terminate.recv() => Signal::Terminate,
        }
    }
}

/// Waits until the deadline, or forever without one.
pub async fn until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
