//! The campaign status machine.

use crate::text::wire_enum;

wire_enum!(
    /// Where a campaign is in its life.
    CampaignStatus {
        Draft => "draft",
        Active => "active",
        Paused => "paused",
        Completed => "completed",
        Archived => "archived",
    }
);

/// What a client can ask a campaign to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifecycleAction {
    Start,
    Pause,
    Resume,
    Archive,
}

impl LifecycleAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Archive => "archive",
        }
    }
}

/// A transition the status machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {} a campaign that is {}", action.as_str(), from)]
pub struct InvalidTransition {
    pub from: CampaignStatus,
    pub action: LifecycleAction,
}

impl CampaignStatus {
    /// The status after `action`: start is draft|paused → active, pause is active → paused, resume is
    /// paused → active, archive is anything but archived → archived.
    pub fn after(self, action: LifecycleAction) -> Result<CampaignStatus, InvalidTransition> {
        use CampaignStatus::*;
        use LifecycleAction::*;
        match (self, action) {
            (Draft | Paused, Start) => Ok(Active),
            (Active, Pause) => Ok(Paused),
            (Paused, Resume) => Ok(Active),
            (Draft | Active | Paused | Completed, Archive) => Ok(Archived),
            (from, action) => Err(InvalidTransition { from, action }),
        }
    }

    /// Archived campaigns are read-only.
    pub fn is_read_only(self) -> bool {
        self == CampaignStatus::Archived
    }
}

#[cfg(test)]
mod tests {
    use super::CampaignStatus::*;
    use super::LifecycleAction::*;
    use super::*;

    #[test]
    fn status_machine_allows_exactly_the_documented_transitions() {
        let statuses = [Draft, Active, Paused, Completed, Archived];
        let allowed = [
            (Draft, Start, Active),
            (Paused, Start, Active),
            (Active, Pause, Paused),
            (Paused, Resume, Active),
            (Draft, Archive, Archived),
            (Active, Archive, Archived),
            (Paused, Archive, Archived),
            (Completed, Archive, Archived),
        ];
        for from in statuses {
            for action in [Start, Pause, Resume, Archive] {
                let expected = allowed
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, to)| *to);
                match expected {
                    Some(to) => assert_eq!(from.after(action), Ok(to), "{from} {action:?}"),
                    None => assert_eq!(
                        from.after(action),
                        Err(InvalidTransition { from, action }),
                        "{from} {action:?}"
                    ),
                }
            }
        }
    }

    #[test]
    fn invalid_transition_message_names_the_current_status() {
        let error = Archived.after(Pause).expect_err("archived cannot pause");
        assert_eq!(
            error.to_string(),
            "cannot pause a campaign that is archived"
        );
    }
}
