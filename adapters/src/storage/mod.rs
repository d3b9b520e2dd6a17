//! Storage DTOs: the JSON columns' shapes, with serde (the domain has none). They mirror the domain's
//! request types field for field, because stored content is the request form of a campaign
//! (`Campaign::content`) and is re-parsed on read through the same constructors as a client's request.
//!
//! Field names are camelCase like the wire; `None` fields are left out. The shapes only ever grow by
//! optional fields (an old row then reads as "absent"); anything else needs a data migration.

mod content;

pub(crate) use content::{CampaignContent, StepDto};
