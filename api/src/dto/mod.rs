//! The wire types of the HTTP API: request schemas, response objects, and the mapping from the domain.

pub mod agent;
pub mod analytics;
pub mod campaign;
pub mod campaign_input;
pub mod choice;
pub mod dnc;
pub mod enrolment;
pub mod lead;
pub mod mailbox;
pub mod preview;
pub mod schedule;
pub mod test_email;
pub mod timestamp;
pub mod webhook;
pub mod wire;
pub mod workspace;

use poem_openapi::Object;
use poem_openapi::types::{ParseFromJSON, ToJSON};

/// Every successful answer: `{"success": true, "data": ...}`.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Success", rename_all = "camelCase")]
pub struct Success<T: ParseFromJSON + ToJSON> {
    /// Always `true`.
    pub success: bool,
    pub data: T,
}

impl<T: ParseFromJSON + ToJSON> Success<T> {
    pub fn new(data: T) -> Self {
        Self {
            success: true,
            data,
        }
    }
}

/// Where a list page sits in the whole list.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Pagination", rename_all = "camelCase")]
pub struct PaginationBody {
    /// The page size asked for (default 25).
    pub limit: u32,
    /// How many items match the filters, on every page alike.
    pub total: u64,
    /// Whether another page follows.
    pub has_more: bool,
    /// Pass as `cursor` to get the next page: the `_id` of this page's last item; `null` when no
    /// page follows.
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}

impl PaginationBody {
    /// Where a page sits; `last_id` (its last item's id) becomes `nextCursor` only when more follow.
    pub fn new(limit: u32, total: u64, has_more: bool, last_id: Option<String>) -> Self {
        Self {
            limit,
            total,
            has_more,
            next_cursor: last_id.filter(|_| has_more),
        }
    }
}

/// Every successful list answer: `{"success": true, "data": [...], "pagination": {...}}`.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Page", rename_all = "camelCase")]
pub struct Page<T: ParseFromJSON + ToJSON> {
    /// Always `true`.
    pub success: bool,
    pub data: Vec<T>,
    pub pagination: PaginationBody,
}

impl<T: ParseFromJSON + ToJSON> Page<T> {
    pub fn new(data: Vec<T>, pagination: PaginationBody) -> Self {
        Self {
            success: true,
            data,
            pagination,
        }
    }
}
