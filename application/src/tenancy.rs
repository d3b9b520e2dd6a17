//! Who a request acts for.

use domain::id::{UserId, WorkspaceId};

/// The workspace a request acts in and the user behind its key. Every use case runs inside one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tenancy {
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
}
