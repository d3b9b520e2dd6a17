//! A PATCH body as the update use case sees it: a JSON Merge Patch (RFC 7386) of the campaign in
//! request form (the create body's declaration, written back), read like a create body once merged.

use application::use_cases::update_campaign::CampaignPatch;
use domain::problem::Problems;
use domain::request::CampaignRequest;
use serde_json::Value;

use crate::dto::campaign_input::CreateCampaignRequest;
use crate::request_body::{self, merge_patch, written};

/// The client's PATCH body, and the member names it repeats.
#[derive(Debug)]
pub struct JsonMergePatch<'a> {
    patch: &'a Value,
    duplicates: &'a Problems,
}

impl<'a> JsonMergePatch<'a> {
    pub fn new(patch: &'a Value, duplicates: &'a Problems) -> Self {
        Self { patch, duplicates }
    }
}

impl CampaignPatch for JsonMergePatch<'_> {
    /// The stored content written as JSON, the patch merged in, and the result read like a create body:
    /// every shape problem lands at the same pointer as in the client's patch.
    fn apply_to(&self, current: &CampaignRequest) -> (CampaignRequest, Problems) {
        let mut document = written(&CreateCampaignRequest::from(current.clone()));
        merge_patch(&mut document, self.patch);
        let (merged, problems) = request_body::read::<CreateCampaignRequest>(document);
        (merged, self.duplicates.clone().followed_by(problems))
    }

    /// `subsequences` given, even as `null` (which empties the list).
    fn replaces_subsequences(&self) -> bool {
        self.patch.get("subsequences").is_some()
    }
}
