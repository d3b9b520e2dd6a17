//! Runs the INBOX reader ([`ReadMailbox`]) in the sending processes (`serve` and `worker`): every
//! mailbox with IMAP settings is read, then again after [`InboxReader::interval`] (SENDING.md section
//! 5: at least once a minute). Any number of processes may read the same mailbox: each batch moves
//! the stored position by compare-and-set, so a message is applied once.
//!
//! On a stop signal it starts nothing more and lets the round in flight finish for up to 30 seconds
//! (a batch not committed by then is rolled back and read again by the next process).

use std::time::Duration;

use application::use_cases::read_mailbox::ReadMailbox;

use crate::sending_engine::STOP_GRACE;

/// The pause between two reads of every mailbox by default.
pub(crate) const DEFAULT_INBOX_POLL: Duration = Duration::from_secs(30);

/// The reader's loop.
pub(crate) struct InboxReader {
    pub(crate) read: ReadMailbox,
    /// The pause after a round (at most a minute, the spec's bound).
    pub(crate) interval: Duration,
}

impl std::fmt::Debug for InboxReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboxReader")
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

impl InboxReader {
    /// Reads until `stop` resolves, then finishes the round in flight (at most [`STOP_GRACE`]).
    pub(crate) async fn run(self, stop: impl Future<Output = ()>) {
        let mut stop = std::pin::pin!(stop);
        loop {
            let round = async {
                match self.read.round().await {
                    Ok(report) if report.messages > 0 || report.failures > 0 => {
                        tracing::info!(
                            mailboxes = report.mailboxes,
                            messages = report.messages,
                            effects = report.effects,
                            failures = report.failures,
                            "inbox round"
                        );
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(error = %format!("{error:#}"), "an inbox round failed");
                    }
                }
            };
            let mut round = std::pin::pin!(round);
            tokio::select! {
                () = &mut round => {}
                () = &mut stop => {
                    let _ = tokio::time::timeout(STOP_GRACE, round).await;
                    return;
                }
            }
            tokio::select! {
                biased;
                () = &mut stop => return,
                () = tokio::time::sleep(self.interval) => {}
            }
        }
    }
}
