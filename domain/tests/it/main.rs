//! Rules of spec sections 3 and 4, tested through the domain's public constructors.

mod campaign_rules;
mod campaign_update;
mod control_characters;
mod lead_rules;
mod mailbox_rules;
mod mailbox_selection;
mod properties;
mod storage_form;
mod support;
