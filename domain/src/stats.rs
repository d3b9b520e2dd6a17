//! Sending counters.

/// Counters of a campaign or subsequence; all zero when created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    pub sent: u64,
    pub delivered: u64,
    pub opened: u64,
    pub clicked: u64,
    pub replied: u64,
    pub bounced: u64,
    pub unsubscribed: u64,
}

/// How many leads a campaign has: all of them, and those still moving through its sequence. Kept by
/// storage beside the sending counters; both zero until leads are added to the campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LeadCounts {
    pub total: u64,
    pub active: u64,
}
