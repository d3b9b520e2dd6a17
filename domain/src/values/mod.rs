//! Small value types of the campaign model.
//!
//! Parse, don't validate: each type has private fields and a single fallible constructor, so a value
//! that exists is a valid one. Refusals are [`crate::problem::Invalid`]s whose messages state the
//! rule without naming the field; the caller gives them their place with a JSON Pointer.

mod country_code;
mod email_address;
mod host_name;
mod slack_channel_id;
mod time_of_day;
mod timezone;
mod webhook_secret;
mod webhook_url;
mod weekday_set;

pub use country_code::CountryCode;
pub use email_address::EmailAddress;
pub use host_name::HostName;
pub use slack_channel_id::SlackChannelId;
pub use time_of_day::TimeOfDay;
pub use timezone::Timezone;
pub use webhook_secret::WebhookSecret;
pub use webhook_url::{WebhookHostPolicy, WebhookUrl};
pub use weekday_set::WeekdaySet;
