//! Enrolments, the campaign leads of LEADS.md section 4: their statuses, why they stop, and every
//! change of status as a pure function the use cases and the sending engine call.

use crate::problem::Invalid;
use crate::status::CampaignStatus;
use crate::text::{parse_choice, wire_enum};

wire_enum!(
    /// Where one lead is in one campaign (SendKit's set).
    EnrolmentStatus {
        /// The campaign has not started (or is paused since before the lead was added).
        Pending => "pending",
        /// Moving through the sequence.
        Active => "active",
        /// Held by a user; resumes where it was.
        Paused => "paused",
        /// The sequence is done, or the lead was stopped without a reply of its own (`dnc`, `seg`,
        /// `company_reply`).
        Completed => "completed",
        Bounced => "bounced",
        Unsubscribed => "unsubscribed",
        Replied => "replied",
        /// Taken out of the campaign after it had sent (an enrolment that sent nothing is deleted).
        Removed => "removed",
    }
);

wire_enum!(
    /// Why an enrolment stopped (`stopReason`); each reason sets one status ([`StopReason::status`]).
    StopReason {
        /// The last step ran (`completed`).
        Completed => "completed",
        /// The lead matched the do-not-contact list at a due send with `skipDNC` (`completed`).
        Dnc => "dnc",
        /// The lead's domain receives mail through a secure email gateway the campaign skips
        /// (`segCheckMode`), found at a due send (`completed`, nothing sent).
        Seg => "seg",
        /// The lead replied, with `stopOnReply` (`replied`).
        Replied => "replied",
        /// An auto-reply, with `stopOnAutoReply` (`replied`, SENDING.md section 5).
        AutoReply => "auto_reply",
        /// Someone else at the lead's company replied, with `stopOnCompanyReply` (`completed`: this lead
        /// did not reply, so it does not count as a reply in the status breakdown).
        CompanyReply => "company_reply",
        /// A permanent delivery failure or a 5.x.x DSN (`bounced`).
        Bounced => "bounced",
        /// The lead confirmed the unsubscribe page (`unsubscribed`).
        Unsubscribed => "unsubscribed",
        /// A user removed it after it had sent (`removed`).
        Removed => "removed",
    }
);

wire_enum!(
    /// What `POST /v1/campaigns/{id}/leads/action` does to each chosen enrolment.
    LeadAction {
        Pause => "pause",
        Resume => "resume",
        Remove => "remove",
    }
);

wire_enum!(
    /// The statuses `PATCH /v1/campaigns/{id}/leads/{campaignLeadId}` may set.
    SettableStatus {
        Active => "active",
        Paused => "paused",
    }
);

impl StopReason {
    /// The status an enrolment stopped for this reason has.
    pub fn status(self) -> EnrolmentStatus {
        match self {
            Self::Completed | Self::Dnc | Self::Seg | Self::CompanyReply => {
                EnrolmentStatus::Completed
            }
            Self::Replied | Self::AutoReply => EnrolmentStatus::Replied,
            Self::Bounced => EnrolmentStatus::Bounced,
            Self::Unsubscribed => EnrolmentStatus::Unsubscribed,
            Self::Removed => EnrolmentStatus::Removed,
        }
    }
}

/// A stopped enrolment's new status and `stopReason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop {
    pub status: EnrolmentStatus,
    pub reason: StopReason,
}

/// What a lead action (or deleting the lead) does to one enrolment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionOutcome {
    /// Nothing: the action does not apply to its status. Not counted in `modifiedCount`.
    Unchanged,
    /// It takes this status, keeping its `stopReason`.
    Becomes(EnrolmentStatus),
    /// It stops: `removed` with `stopReason: "removed"`.
    Stops(Stop),
    /// It sent nothing: delete it.
    Delete,
}

/// New enrolments cannot be added to an archived campaign (409).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("leads cannot be added to an archived campaign")]
pub struct CampaignArchived;

/// A status that `PATCH` cannot set from the current one (409 `INVALID_STATE_TRANSITION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot set an enrolment that is {from} to {to}")]
pub struct InvalidEnrolmentTransition {
    pub from: EnrolmentStatus,
    pub to: SettableStatus,
}

impl EnrolmentStatus {
    /// Parses a wire value (a list filter, `filters.status` of an action).
    pub fn parse(raw: &str, field: &str) -> Result<EnrolmentStatus, Invalid> {
        parse_choice(raw, field, Self::from_wire, Self::choices)
    }

    /// Whether the enrolment has stopped for good: completed, bounced, unsubscribed, replied or
    /// removed. Pause and resume leave these alone.
    pub fn is_stopped(self) -> bool {
        !matches!(self, Self::Pending | Self::Active | Self::Paused)
    }

    /// The status of an enrolment added to a campaign that is `campaign`: `active` when the campaign is
    /// active, else `pending`; none for an archived campaign.
    pub fn for_new_enrolment(
        campaign: CampaignStatus,
    ) -> Result<EnrolmentStatus, CampaignArchived> {
        match campaign {
            CampaignStatus::Active => Ok(Self::Active),
            CampaignStatus::Draft | CampaignStatus::Paused | CampaignStatus::Completed => {
                Ok(Self::Pending)
            }
            CampaignStatus::Archived => Err(CampaignArchived),
        }
    }

    /// The status once its campaign becomes active, by `start` or by `resume`: `pending` turns `active`,
    /// every other status stays. (LEADS.md names `start`; `resume` does it too, or leads added while a
    /// started campaign was paused would wait forever.)
    pub fn on_campaign_activated(self) -> EnrolmentStatus {
        match self {
            Self::Pending => Self::Active,
            other => other,
        }
    }

    /// What `action` does: `pause` turns `active` into `paused`, `resume` turns `paused` into `active`;
    /// `remove` deletes an enrolment that sent nothing (`emails_sent` is 0) and stops any other as
    /// `removed` (its history stays for analytics), one already removed excepted. Anything else is
    /// unchanged: a stopped enrolment is never paused or resumed, a pending one waits for its campaign.
    pub fn after_action(self, action: LeadAction, emails_sent: u32) -> ActionOutcome {
        match (action, self) {
            (LeadAction::Pause, Self::Active) => ActionOutcome::Becomes(Self::Paused),
            (LeadAction::Resume, Self::Paused) => ActionOutcome::Becomes(Self::Active),
            (LeadAction::Remove, Self::Removed) => ActionOutcome::Unchanged,
            (LeadAction::Remove, _) if emails_sent == 0 => ActionOutcome::Delete,
            (LeadAction::Remove, _) => ActionOutcome::Stops(Stop {
                status: Self::Removed,
                reason: StopReason::Removed,
            }),
            (LeadAction::Pause | LeadAction::Resume, _) => ActionOutcome::Unchanged,
        }
    }

    /// What deleting the lead does to this enrolment (`DELETE /v1/leads/{id}`): as the `remove` action.
    pub fn on_lead_deleted(self, emails_sent: u32) -> ActionOutcome {
        self.after_action(LeadAction::Remove, emails_sent)
    }

    /// The status `PATCH … {status}` sets: `active` ↔ `paused`, or the same status again (no change).
    /// Any other current status refuses: a pending enrolment waits for its campaign, a stopped one stays
    /// stopped.
    pub fn set_to(self, to: SettableStatus) -> Result<EnrolmentStatus, InvalidEnrolmentTransition> {
        match (self, to) {
            (Self::Active | Self::Paused, SettableStatus::Active) => Ok(Self::Active),
            (Self::Active | Self::Paused, SettableStatus::Paused) => Ok(Self::Paused),
            (from, to) => Err(InvalidEnrolmentTransition { from, to }),
        }
    }

    /// The stop the engine records for `reason`, or `None` when the enrolment is past it:
    /// - a pending, active or paused enrolment stops for any reason;
    /// - a `completed` one (its sequence done) still becomes `replied`, `bounced` or `unsubscribed`:
    ///   those are facts about the lead that arrive after the last step (a late reply, a late DSN);
    /// - a `replied`, `bounced` or `unsubscribed` one keeps its status: the first such fact stands;
    /// - `removed` (a user's action) applies to every status but `removed`; nothing changes a removed one.
    pub fn stopped(self, reason: StopReason) -> Option<Stop> {
        let applies = match (self, reason) {
            (Self::Removed, _) => false,
            (_, StopReason::Removed) => true,
            (Self::Pending | Self::Active | Self::Paused, _) => true,
            (
                Self::Completed,
                StopReason::Replied | StopReason::Bounced | StopReason::Unsubscribed,
            ) => true,
            _ => false,
        };
        applies.then_some(Stop {
            status: reason.status(),
            reason,
        })
    }
}

/// How many enrolments a campaign has in each status, and in all (`leadCounts`, LEADS.md section 4).
/// The total is the sum of the statuses, so it cannot disagree with them.
///
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LeadCounts {
    by_status: [u64; 8],
}

impl LeadCounts {
    /// Counts from (status, count) pairs, such as the rows of a `GROUP BY status`; a status given twice
    /// adds up.
    pub fn from_counts(counts: impl IntoIterator<Item = (EnrolmentStatus, u64)>) -> LeadCounts {
        let mut by_status = [0; 8];
        for (status, count) in counts {
            by_status[status as usize] += count;
        }
        LeadCounts { by_status }
    }

    /// The number of enrolments in `status`.
    pub fn count(&self, status: EnrolmentStatus) -> u64 {
        self.by_status[status as usize]
    }

    /// All enrolments.
    pub fn total(&self) -> u64 {
        self.by_status.iter().sum()
    }

    /// The counts once the campaign becomes active: every pending enrolment is active
    /// ([`EnrolmentStatus::on_campaign_activated`]).
    pub fn on_campaign_activated(&self) -> LeadCounts {
        let mut by_status = [0; 8];
        for status in EnrolmentStatus::ALL {
            by_status[status.on_campaign_activated() as usize] += self.count(*status);
        }
        LeadCounts { by_status }
    }

    pub fn pending(&self) -> u64 {
        self.count(EnrolmentStatus::Pending)
    }
    pub fn active(&self) -> u64 {
        self.count(EnrolmentStatus::Active)
    }
    pub fn paused(&self) -> u64 {
        self.count(EnrolmentStatus::Paused)
    }
    pub fn completed(&self) -> u64 {
        self.count(EnrolmentStatus::Completed)
    }
    pub fn bounced(&self) -> u64 {
        self.count(EnrolmentStatus::Bounced)
    }
    pub fn unsubscribed(&self) -> u64 {
        self.count(EnrolmentStatus::Unsubscribed)
    }
    pub fn replied(&self) -> u64 {
        self.count(EnrolmentStatus::Replied)
    }
    pub fn removed(&self) -> u64 {
        self.count(EnrolmentStatus::Removed)
    }
}

impl FromIterator<EnrolmentStatus> for LeadCounts {
    fn from_iter<I: IntoIterator<Item = EnrolmentStatus>>(statuses: I) -> Self {
        LeadCounts::from_counts(statuses.into_iter().map(|status| (status, 1)))
    }
}

#[cfg(test)]
mod tests {
    use super::EnrolmentStatus::*;
    use super::*;

    #[test]
    fn enrolment_statuses_and_stop_reasons_have_their_wire_names() {
        let statuses: Vec<&str> = EnrolmentStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            statuses,
            [
                "pending",
                "active",
                "paused",
                "completed",
                "bounced",
                "unsubscribed",
                "replied",
                "removed"
            ]
        );
        let reasons: Vec<&str> = StopReason::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "completed",
                "dnc",
                "seg",
                "replied",
                "auto_reply",
                "company_reply",
                "bounced",
                "unsubscribed",
                "removed"
            ]
        );
        assert_eq!(EnrolmentStatus::parse("replied", "status"), Ok(Replied));
        let refusal = EnrolmentStatus::parse("done", "status").expect_err("unknown");
        assert!(
            refusal
                .message
                .starts_with("status must be one of pending, active")
        );
    }

    #[test]
    fn stop_reasons_set_their_status() {
        let cases = [
            (StopReason::Completed, Completed),
            (StopReason::Dnc, Completed),
            (StopReason::Seg, Completed),
            (StopReason::CompanyReply, Completed),
            (StopReason::Replied, Replied),
            (StopReason::AutoReply, Replied),
            (StopReason::Bounced, Bounced),
            (StopReason::Unsubscribed, Unsubscribed),
            (StopReason::Removed, Removed),
        ];
        assert_eq!(cases.len(), StopReason::ALL.len());
        for (reason, status) in cases {
            assert_eq!(reason.status(), status, "{reason}");
        }
    }

    #[test]
    fn new_enrolments_are_active_in_an_active_campaign_else_pending() {
        let cases = [
            (CampaignStatus::Draft, Ok(Pending)),
            (CampaignStatus::Active, Ok(Active)),
            (CampaignStatus::Paused, Ok(Pending)),
            (CampaignStatus::Completed, Ok(Pending)),
            (CampaignStatus::Archived, Err(CampaignArchived)),
        ];
        for (campaign, expected) in cases {
            assert_eq!(
                EnrolmentStatus::for_new_enrolment(campaign),
                expected,
                "{campaign}"
            );
        }
    }

    #[test]
    fn campaign_activation_turns_pending_enrolments_active_only() {
        for status in EnrolmentStatus::ALL {
            let expected = if *status == Pending { Active } else { *status };
            assert_eq!(status.on_campaign_activated(), expected, "{status}");
        }
    }

    #[test]
    fn lead_actions_change_exactly_the_documented_statuses() {
        let removed = ActionOutcome::Stops(Stop {
            status: Removed,
            reason: StopReason::Removed,
        });
        // (status, pause, resume, remove after sending, remove before sending)
        let table = [
            (
                Pending,
                ActionOutcome::Unchanged,
                ActionOutcome::Unchanged,
                removed,
                ActionOutcome::Delete,
            ),
            (
                Active,
                ActionOutcome::Becomes(Paused),
                ActionOutcome::Unchanged,
                removed,
                ActionOutcome::Delete,
            ),
            (
                Paused,
                ActionOutcome::Unchanged,
                ActionOutcome::Becomes(Active),
                removed,
                ActionOutcome::Delete,
            ),
            (
                Completed,
                ActionOutcome::Unchanged,
                ActionOutcome::Unchanged,
                removed,
                ActionOutcome::Delete,
            ),
            (
                Bounced,
                ActionOutcome::Unchanged,
                ActionOutcome::Unchanged,
                removed,
                ActionOutcome::Delete,
            ),
            (
                Unsubscribed,
                ActionOutcome::Unchanged,
                ActionOutcome::Unchanged,
                removed,
                ActionOutcome::Delete,
            ),
            (
                Replied,
                ActionOutcome::Unchanged,
                ActionOutcome::Unchanged,
                removed,
                ActionOutcome::Delete,
            ),
            (
                Removed,
                ActionOutcome::Unchanged,
                ActionOutcome::Unchanged,
                ActionOutcome::Unchanged,
                ActionOutcome::Unchanged,
            ),
        ];
        assert_eq!(table.len(), EnrolmentStatus::ALL.len());
        for (status, pause, resume, remove_sent, remove_unsent) in table {
            assert_eq!(
                status.after_action(LeadAction::Pause, 1),
                pause,
                "pause {status}"
            );
            assert_eq!(
                status.after_action(LeadAction::Resume, 1),
                resume,
                "resume {status}"
            );
            assert_eq!(
                status.after_action(LeadAction::Remove, 1),
                remove_sent,
                "remove {status}"
            );
            assert_eq!(
                status.after_action(LeadAction::Remove, 0),
                remove_unsent,
                "remove unsent {status}"
            );
            assert_eq!(
                status.on_lead_deleted(1),
                remove_sent,
                "delete lead {status}"
            );
            assert_eq!(
                status.on_lead_deleted(0),
                remove_unsent,
                "delete lead unsent {status}"
            );
        }
    }

    #[test]
    fn patch_status_moves_only_between_active_and_paused() {
        for from in EnrolmentStatus::ALL {
            for to in SettableStatus::ALL {
                let expected = match (from, to) {
                    (Active | Paused, SettableStatus::Active) => Ok(Active),
                    (Active | Paused, SettableStatus::Paused) => Ok(Paused),
                    _ => Err(InvalidEnrolmentTransition {
                        from: *from,
                        to: *to,
                    }),
                };
                assert_eq!(from.set_to(*to), expected, "{from} -> {to}");
            }
        }
        let refusal = Replied.set_to(SettableStatus::Active).expect_err("stopped");
        assert_eq!(
            refusal.to_string(),
            "cannot set an enrolment that is replied to active"
        );
    }

    #[test]
    fn stops_apply_to_running_enrolments_and_lead_facts_override_completion() {
        let running = [Pending, Active, Paused];
        for status in EnrolmentStatus::ALL {
            for reason in StopReason::ALL {
                let applies = match (*status, *reason) {
                    (Removed, _) => false,
                    (_, StopReason::Removed) => true,
                    (status, _) if running.contains(&status) => true,
                    (
                        Completed,
                        StopReason::Replied | StopReason::Bounced | StopReason::Unsubscribed,
                    ) => true,
                    _ => false,
                };
                let expected = applies.then_some(Stop {
                    status: reason.status(),
                    reason: *reason,
                });
                assert_eq!(status.stopped(*reason), expected, "{status} {reason}");
            }
        }
        assert_eq!(Completed.stopped(StopReason::Dnc), None);
        assert_eq!(Replied.stopped(StopReason::Bounced), None);
        assert_eq!(
            Active.stopped(StopReason::Dnc),
            Some(Stop {
                status: Completed,
                reason: StopReason::Dnc
            })
        );
    }

    #[test]
    fn stopped_statuses_are_those_no_pause_or_resume_touches() {
        for status in EnrolmentStatus::ALL {
            let untouched = status.after_action(LeadAction::Pause, 1) == ActionOutcome::Unchanged
                && status.after_action(LeadAction::Resume, 1) == ActionOutcome::Unchanged;
            if status.is_stopped() {
                assert!(untouched, "{status}");
            }
        }
        assert!(!Pending.is_stopped() && !Active.is_stopped() && !Paused.is_stopped());
        assert!(Completed.is_stopped() && Removed.is_stopped());
    }

    #[test]
    fn campaign_activation_moves_the_pending_count_to_active_and_keeps_the_total() {
        let counts =
            LeadCounts::from_counts([(Pending, 4), (Active, 1), (Paused, 2), (Replied, 3)]);
        let activated = counts.on_campaign_activated();
        assert_eq!(activated.pending(), 0);
        assert_eq!(activated.active(), 5);
        assert_eq!((activated.paused(), activated.replied()), (2, 3));
        assert_eq!(activated.total(), counts.total());
    }

    #[test]
    fn lead_counts_total_is_the_sum_of_the_statuses() {
        let counts =
            LeadCounts::from_counts([(Active, 5), (Pending, 2), (Replied, 1), (Active, 1)]);
        assert_eq!(counts.total(), 9);
        assert_eq!(counts.active(), 6);
        assert_eq!(counts.pending(), 2);
        assert_eq!(counts.replied(), 1);
        assert_eq!(
            [
                counts.paused(),
                counts.completed(),
                counts.bounced(),
                counts.unsubscribed(),
                counts.removed()
            ],
            [0; 5]
        );
        let collected: LeadCounts = EnrolmentStatus::ALL.iter().copied().collect();
        assert_eq!(collected.total(), 8);
        for status in EnrolmentStatus::ALL {
            assert_eq!(collected.count(*status), 1, "{status}");
        }
        assert_eq!(LeadCounts::default().total(), 0);
    }
}
