//! Runs [`DeliverWebhooks`] in a process beside the sending engine (`serve` and `worker`): a round
//! every second while nothing is due, at once after a busy one, until the stop signal; a round in
//! flight is let finish (its tries are bounded by their timeouts). Several processes on one
//! PostgreSQL deliver side by side: each claim holds its deliveries under a lease.

use std::time::Duration;

use application::use_cases::deliver_webhooks::{DELIVERIES_PER_ROUND, DeliverWebhooks};

/// The pause after a round that found nothing due.
pub(crate) const IDLE_PAUSE: Duration = Duration::from_secs(1);

/// Delivers until `stop` resolves.
pub(crate) async fn run(deliver: DeliverWebhooks, stop: impl Future<Output = ()>) {
    let mut stop = std::pin::pin!(stop);
    loop {
        let mut round = std::pin::pin!(deliver.round());
        let report = tokio::select! {
            report = &mut round => report,
            () = &mut stop => {
                // The tries in flight end within their timeouts; their outcomes are kept.
                let _ = round.await;
                return;
            }
        };
        let busy = match report {
            Ok(report) => {
                if report.claimed > 0 {
                    tracing::info!(
                        claimed = report.claimed,
                        delivered = report.delivered,
                        retrying = report.retrying,
                        given_up = report.given_up,
                        "webhook round"
                    );
                }
                report.claimed >= DELIVERIES_PER_ROUND
            }
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "a webhook round failed");
                false
            }
        };
        if busy {
            continue;
        }
        tokio::select! {
            biased;
            () = &mut stop => return,
            () = tokio::time::sleep(IDLE_PAUSE) => {}
        }
    }
}
