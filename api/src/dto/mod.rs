//! The wire types of the HTTP API: request schemas, response objects, and the mapping from the domain.

pub mod agent;
pub mod campaign;
pub mod campaign_input;
pub mod choice;
pub mod mailbox;
pub mod timestamp;

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
