//! Read-mailboxes against a mocked repository: the caller's workspace is the only one asked.

use std::sync::Arc;

use domain::id::{MailboxId, ObjectId, UserId, WorkspaceId};
use domain::listing::PageLimit;
use domain::mailbox_listing::{TagFilter, TagMode};

use super::{ReadMailboxError, ReadMailboxes};
use crate::ports::{MailboxPage, MailboxQuery, MockClock, MockMailboxRepository};
use crate::tenancy::Tenancy;

fn tenancy() -> Tenancy {
    Tenancy {
        workspace_id: WorkspaceId::from(ObjectId::from_parts(1_000, [1; 5], 1)),
        user_id: UserId::from(ObjectId::from_parts(2_000, [1; 5], 1)),
    }
}

#[tokio::test]
async fn get_of_a_mailbox_the_workspace_does_not_have_is_not_found() {
    let mut mailboxes = MockMailboxRepository::new();
    mailboxes
        .expect_find()
        .withf(|workspace, _| *workspace == tenancy().workspace_id)
        .returning(|_, _| Ok(None));
    let read = ReadMailboxes {
        mailboxes: Arc::new(mailboxes),
        clock: Arc::new(MockClock::new()),
    }
    .get(
        tenancy(),
        MailboxId::from(ObjectId::from_parts(3_000, [1; 5], 1)),
    )
    .await;
    assert!(matches!(read, Err(ReadMailboxError::NotFound)), "{read:?}");
}

#[tokio::test]
async fn list_asks_for_the_callers_workspace_with_the_query_as_given() {
    let query = MailboxQuery {
        tags: TagFilter::parse(Some("outreach,eu"), TagMode::All).expect("valid"),
        limit: PageLimit::parse(Some(5)).expect("valid"),
        ..MailboxQuery::default()
    };
    let expected = query.clone();
    let mut mailboxes = MockMailboxRepository::new();
    mailboxes
        .expect_list()
        .times(1)
        .withf(move |workspace, asked| *workspace == tenancy().workspace_id && *asked == expected)
        .returning(|_, _| {
            Ok(MailboxPage {
                mailboxes: Vec::new(),
                total: 0,
                has_more: false,
            })
        });
    let page = ReadMailboxes {
        mailboxes: Arc::new(mailboxes),
        clock: Arc::new(MockClock::new()),
    }
    .list(tenancy(), &query)
    .await
    .expect("a page");
    assert_eq!(page.total, 0);
}
