//! Runs the sending engine ([`DispatchDueSends`]) in a process: inside `serve`, or alone as
//! `sendline worker` (SENDING.md section 4).
//!
//! - On a SQLite file one process sends: it holds an exclusive lock on `<database>.sender-lock`
//!   (released by the operating system when the process ends, even by `kill -9`). A second process
//!   says so and does not send; it takes over when the first ends. Holding the lock, the sender
//!   marks every claim left `claimed` as `unknown`: whoever claimed it is gone.
//! - On PostgreSQL any number of processes send side by side (the claims lock what they count). Each
//!   beats a heartbeat every round; claims of a process whose heartbeat stopped for a minute are
//!   marked `unknown`.
//! - On a stop signal it claims nothing more, lets the round in flight finish for up to 30 seconds,
//!   then returns.

use std::fs::{File, TryLockError};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use application::ports::Clock;
use application::use_cases::dispatch_sends::DispatchDueSends;

/// How long a stopping engine waits for its sends in flight.
pub(crate) const STOP_GRACE: Duration = Duration::from_secs(30);
/// How long a PostgreSQL worker's heartbeat may stop before its claims are abandoned.
const HEARTBEAT_STALE: chrono::Duration = chrono::Duration::seconds(60);
/// How often a process that cannot send (SQLite: another one holds the lock) looks again.
const STANDBY_POLL: Duration = Duration::from_secs(5);

/// Who may send from a database.
#[derive(Debug, Clone)]
pub(crate) enum SenderRule {
    /// A SQLite file: only the holder of the lock file sends.
    SingleSender { lock_file: PathBuf },
    /// `sqlite::memory:`: the database lives in this process only.
    OnlyProcess,
    /// PostgreSQL: every process sends; dead workers are told by their heartbeats.
    SharedWork,
}

impl SenderRule {
    /// The rule for a database URL: a `sqlite://` file has a lock file beside it; `sqlite::memory:`
    /// is one process by construction.
    pub(crate) fn for_database(url: &str) -> SenderRule {
        match url.strip_prefix("sqlite://") {
            Some(rest) => {
                let path = rest.split('?').next().unwrap_or(rest);
                SenderRule::SingleSender {
                    lock_file: PathBuf::from(format!("{path}.sender-lock")),
                }
            }
            None if url.starts_with("sqlite:") => SenderRule::OnlyProcess,
            None => SenderRule::SharedWork,
        }
    }
}

/// Whether a round found something to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Busy {
    Claimed,
    Idle,
}

/// The engine's loop.
pub(crate) struct SendingEngine {
    pub(crate) dispatch: DispatchDueSends,
    /// Wall-clock time for heartbeats (the dispatch's clock may be simulated).
    pub(crate) wall_clock: Arc<dyn Clock>,
    pub(crate) rule: SenderRule,
    /// The pause after a round that found nothing to send (a busy round is followed at once).
    pub(crate) round_interval: Duration,
}

impl std::fmt::Debug for SendingEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendingEngine")
            .field("rule", &self.rule)
            .field("round_interval", &self.round_interval)
            .finish_non_exhaustive()
    }
}

impl SendingEngine {
    /// Sends until `stop` resolves, then finishes the round in flight (at most [`STOP_GRACE`]).
    pub(crate) async fn run(self, stop: impl Future<Output = ()>) {
        let mut stop = std::pin::pin!(stop);
        let _lock = match &self.rule {
            SenderRule::SingleSender { lock_file } => {
                tokio::select! {
                    lock = hold_sender_lock(lock_file) => Some(lock),
                    () = &mut stop => return,
                }
            }
            SenderRule::OnlyProcess | SenderRule::SharedWork => None,
        };
        let all_others_gone = !matches!(self.rule, SenderRule::SharedWork);
        loop {
            let round = async {
                self.abandon_dead_claims(all_others_gone).await;
                match self.dispatch.round().await {
                    Ok(report) if report.claimed > 0 => {
                        tracing::info!(
                            claimed = report.claimed,
                            sent = report.sent,
                            deferred = report.deferred,
                            bounced = report.bounced,
                            unknown = report.unknown,
                            mailbox_failures = report.mailbox_failures,
                            skipped = report.skipped,
                            withdrawn = report.withdrawn,
                            "sending round"
                        );
                        Busy::Claimed
                    }
                    Ok(_) => Busy::Idle,
                    Err(error) => {
                        tracing::warn!(error = %format!("{error:#}"), "a sending round failed");
                        Busy::Idle
                    }
                }
            };
            let mut round = std::pin::pin!(round);
            let busy = tokio::select! {
                busy = &mut round => busy,
                () = &mut stop => {
                    tracing::info!("stopping: finishing the sends in flight");
                    if tokio::time::timeout(STOP_GRACE, round).await.is_err() {
                        tracing::warn!("sends still in flight after 30 s; their claims stay claimed");
                    }
                    return;
                }
            };
            // A round that claimed something may have left more due (a batch is at most
            // `claims_per_campaign`): the next one starts at once, unless a stop came meanwhile.
            // Only a round with nothing to send waits: a pause between busy rounds would cap a
            // process at one batch per `round_interval`, whatever the limits allow.
            let pause = match busy {
                Busy::Claimed => Duration::ZERO,
                Busy::Idle => self.round_interval,
            };
            tokio::select! {
                biased;
                () = &mut stop => return,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Beats this worker's heartbeat and marks unknown the claims of workers that are gone.
    async fn abandon_dead_claims(&self, all_others_gone: bool) {
        let now = self.wall_clock.now();
        let ledger = &self.dispatch.ledger;
        let worker = &self.dispatch.settings.worker;
        if let Err(error) = ledger.heartbeat(worker, now).await {
            tracing::warn!(error = %format!("{error:#}"), "a heartbeat failed");
        }
        let stale_before = if all_others_gone {
            now
        } else {
            now - HEARTBEAT_STALE
        };
        let at = self.dispatch.clock.now();
        match ledger.abandon_claims(worker, stale_before, at).await {
            Ok(0) => {}
            Ok(count) => tracing::warn!(
                count,
                "claims of a sending process that ended unfinished are marked unknown (not re-sent)"
            ),
            Err(error) => tracing::warn!(error = %format!("{error:#}"), "abandoning claims failed"),
        }
    }
}

/// Waits until this process holds the SQLite sender's lock, saying once that another one sends.
async fn hold_sender_lock(path: &PathBuf) -> File {
    let mut told = false;
    loop {
        let attempt = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(TryLockError::Error)
            .and_then(|file| file.try_lock().map(|()| file));
        match attempt {
            Ok(file) => {
                if told {
                    tracing::info!("the other sending process ended: this one sends now");
                }
                return file;
            }
            Err(TryLockError::WouldBlock) if !told => {
                tracing::warn!(
                    lock = %path.display(),
                    "another process sends from this SQLite database; this one will not send while it runs"
                );
                told = true;
            }
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(error)) if !told => {
                tracing::warn!(%error, lock = %path.display(), "cannot take the sender's lock");
                told = true;
            }
            Err(TryLockError::Error(_)) => {}
        }
        tokio::time::sleep(STANDBY_POLL).await;
    }
}
