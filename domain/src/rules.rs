//! What a parse is for: a client's write, or data read back from storage.

use crate::values::WebhookHostPolicy;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A create request: server-assigned fields (a subsequence `_id`) are refused.
    Create,
    /// An update: a subsequence `_id` names the subsequence to keep.
    Update,
    /// Stored data re-parsed on read: read-back-only values (`espMatchingMode: custom`) are accepted.
    Stored,
}

/// The context a campaign is parsed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseRules {
    purpose: Purpose,
    webhook_hosts: WebhookHostPolicy,
}

impl ParseRules {
    /// A client's create request; `webhook_hosts` is the server's policy for webhook targets.
    pub fn create(webhook_hosts: WebhookHostPolicy) -> Self {
        Self {
            purpose: Purpose::Create,
            webhook_hosts,
        }
    }

    /// A client's update request.
    pub fn update(webhook_hosts: WebhookHostPolicy) -> Self {
        Self {
            purpose: Purpose::Update,
            webhook_hosts,
        }
    }

    /// Data read back from storage: it passed the write rules when written, under the policy then in force.
    pub fn stored() -> Self {
        Self {
            purpose: Purpose::Stored,
            webhook_hosts: WebhookHostPolicy::AllowPrivate,
        }
    }

    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    pub fn webhook_hosts(&self) -> WebhookHostPolicy {
        self.webhook_hosts
    }
}
