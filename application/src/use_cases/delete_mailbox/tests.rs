//! Delete-mailbox against a mocked repository.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use domain::id::{MailboxId, ObjectId, UserId, WorkspaceId};

use super::{DeleteMailbox, DeleteMailboxError};
use crate::ports::{MailboxRemoval, MockClock, MockMailboxRepository};
use crate::tenancy::Tenancy;

fn tenancy() -> Tenancy {
    Tenancy {
        workspace_id: WorkspaceId::from(ObjectId::from_parts(1_000, [2; 5], 1)),
        user_id: UserId::from(ObjectId::from_parts(2_000, [2; 5], 1)),
    }
}

fn mailbox_id() -> MailboxId {
    MailboxId::from(ObjectId::from_parts(3_000, [2; 5], 1))
}

fn use_case(mailboxes: MockMailboxRepository) -> DeleteMailbox {
    let mut clock = MockClock::new();
    clock.expect_now().returning(|| {
        Utc.with_ymd_and_hms(2025, 6, 10, 12, 0, 0)
            .single()
            .expect("valid")
    });
    DeleteMailbox {
        mailboxes: Arc::new(mailboxes),
        clock: Arc::new(clock),
    }
}

#[tokio::test]
async fn delete_gives_storage_the_clocks_time_for_the_campaigns_that_lose_the_mailbox() {
    let mut mailboxes = MockMailboxRepository::new();
    mailboxes
        .expect_delete()
        .times(1)
        .withf(|workspace, id, at| {
            *workspace == tenancy().workspace_id
                && *id == mailbox_id()
                && *at
                    == Utc
                        .with_ymd_and_hms(2025, 6, 10, 12, 0, 0)
                        .single()
                        .expect("valid")
        })
        .returning(|_, _, _| {
            Ok(Some(MailboxRemoval {
                campaigns_updated: 2,
            }))
        });
    let removal = use_case(mailboxes)
        .execute(tenancy(), mailbox_id())
        .await
        .expect("deleted");
    assert_eq!(removal.campaigns_updated, 2);
}

#[tokio::test]
async fn delete_of_a_mailbox_the_workspace_does_not_have_is_not_found() {
    let mut mailboxes = MockMailboxRepository::new();
    mailboxes.expect_delete().returning(|_, _, _| Ok(None));
    let refused = use_case(mailboxes).execute(tenancy(), mailbox_id()).await;
    assert!(
        matches!(refused, Err(DeleteMailboxError::NotFound)),
        "{refused:?}"
    );
}
