//! `RateLimitWindows`.

use std::sync::Arc;

use application::ports::{RateLimitBucket, WindowAddition};

use crate::support::*;

fn addition(bucket: &str, window_ms: i64, requests: u64) -> WindowAddition {
    WindowAddition {
        bucket: RateLimitBucket::api_key(bucket),
        window_start: at(window_ms),
        requests,
    }
}

#[tokio::test]
async fn additions_accumulate_per_bucket_and_window_and_answer_the_total() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let windows = database.rate_limit_windows();
        assert_eq!(
            windows
                .add(&[
                    addition("a", 0, 3),
                    addition("b", 0, 1),
                    addition("a", 60_000, 2)
                ])
                .await?,
            [3, 1, 2]
        );
        assert_eq!(
            windows
                .add(&[addition("a", 0, 4), addition("a", 60_000, 1)])
                .await?,
            [7, 3]
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn concurrent_additions_from_several_instances_all_count() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let windows = database.rate_limit_windows();
        let instances: Vec<_> = (0..8)
            .map(|_| {
                let windows = Arc::clone(&windows);
                tokio::spawn(async move { windows.add(&[addition("a", 0, 5)]).await })
            })
            .collect();
        for instance in instances {
            instance.await??;
        }
        assert_eq!(windows.add(&[addition("a", 0, 0)]).await?, [40]);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn forgetting_drops_only_windows_that_started_before_the_given_time() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let windows = database.rate_limit_windows();
        windows
            .add(&[addition("a", 0, 3), addition("a", 60_000, 2)])
            .await?;
        assert_eq!(windows.forget_before(at(60_000)).await?, 1);
        assert_eq!(
            windows
                .add(&[addition("a", 0, 1), addition("a", 60_000, 1)])
                .await?,
            [1, 3]
        );
        Ok(())
    })
    .await
}
