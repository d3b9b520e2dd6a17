//! Rules of spec section 4, tested through the domain's public constructors.

mod campaign_rules;
mod campaign_update;
mod mailbox_selection;
mod properties;
mod storage_form;
mod support;
