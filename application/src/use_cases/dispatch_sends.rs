//! The sending engine's round (SENDING.md sections 2–4): for every active campaign inside its window,
//! claim the due emails (the ledger checks every limit in the claim's transaction), build each
//! message, hand it to SMTP, and record what became of it. Claim → SMTP → record: a crash between
//! the claim and the record leaves a claim that the next process marks `unknown`, never re-sent.
//!
//! Time comes only from the [`Clock`] port, so the engine runs on a simulated clock in tests.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use domain::campaign::Campaign;
use domain::email_render::{EmailContent, RenderedEmail};
use domain::enrolment::StopReason;
use domain::lead::Lead;
use domain::mailbox::Mailbox;
use domain::message_template::text_part_from_html;
use domain::secure_gateway::GatewayRule;
use domain::send_forecast::follow_up;
use domain::send_window::SendCalendar;
use domain::sequence::{Sequence, StepKind};
use domain::tracking::{PublicBaseUrl, TrackingKey, TrackingOptions, track_body, unsubscribe_url};
use futures_util::StreamExt;

use crate::ports::{
    CampaignRepository, ClaimRequest, ClaimedSend, Clock, Envelope, ExtraHeader, FinishedSend,
    IdGenerator, LeadRepository, MailTransport, MessageId, NamedAddress, NextStep, OutgoingMessage,
    OutgoingMessageParts, RandomChoice, RepositoryError, SendFailure, SendLedger, SendLinks,
    SendOutcome, TrackingRepository,
};
use crate::use_cases::mailbox_connections::{MailboxConnections, OpenConnectionsError};
use crate::use_cases::secure_gateways::SecureGateways;

/// The delays before a temporary failure is tried again (SENDING.md section 4: about 1, 5 and 30
/// minutes); after the last, the email waits for the next window.
const RETRY_DELAYS_MINUTES: [i64; 3] = [1, 5, 30];

/// At most this many finished sends recorded in one transaction.
const FINISHED_PER_WRITE: usize = 256;

/// How the engine claims and sends.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    /// This process's name in the ledger (its unfinished claims are told apart after a crash).
    pub worker: String,
    /// At most this many emails claimed per campaign per round.
    pub claims_per_campaign: usize,
    /// At most this many messages in SMTP at once.
    pub parallel_sends: usize,
    /// Where tracking and unsubscribe links point (`--public-url`), unless a campaign's
    /// `cnameTracking` names its own domain.
    pub public_url: PublicBaseUrl,
    /// Signs the links' tokens (derived from the server's secret key: every process alike).
    pub tracking_key: TrackingKey,
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundReport {
    pub claimed: usize,
    pub sent: usize,
    pub deferred: usize,
    pub bounced: usize,
    pub unknown: usize,
    pub mailbox_failures: usize,
    /// Withdrawn unsent: the lead is behind a gateway the campaign skips.
    pub skipped: usize,
    /// Withdrawn unsent: the enrolment stopped (a reply, a bounce…) between the claim and SMTP.
    pub withdrawn: usize,
}

impl RoundReport {
    fn count(&mut self, outcome: &SendOutcome) {
        match outcome {
            SendOutcome::Sent { .. } => self.sent += 1,
            SendOutcome::Deferred { .. } => self.deferred += 1,
            SendOutcome::Bounced { .. } => self.bounced += 1,
            SendOutcome::Unknown { .. } => self.unknown += 1,
            SendOutcome::MailboxFailed { .. } => self.mailbox_failures += 1,
            SendOutcome::Skipped { .. } => self.skipped += 1,
            SendOutcome::Withdrawn => self.withdrawn += 1,
        }
    }
}

/// The ports the engine drives.
#[derive(Clone)]
pub struct DispatchDueSends {
    pub ledger: Arc<dyn SendLedger>,
    pub campaigns: Arc<dyn CampaignRepository>,
    pub leads: Arc<dyn LeadRepository>,
    pub connections: MailboxConnections,
    pub transport: Arc<dyn MailTransport>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub random: Arc<dyn RandomChoice>,
    pub tracking: Arc<dyn TrackingRepository>,
    /// The secure-email-gateway check (MX lookups, remembered per domain).
    pub gateways: SecureGateways,
    pub settings: DispatchSettings,
}

impl std::fmt::Debug for DispatchDueSends {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DispatchDueSends")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// What every claim of a campaign in a round shares, worked out once for the round.
struct CampaignInRound {
    campaign: Campaign,
    calendar: SendCalendar,
    gateways: GatewayRule,
    /// Where its messages' tracking and unsubscribe links point.
    link_base: PublicBaseUrl,
}

impl DispatchDueSends {
    /// One round over every active campaign: what is due now goes out, within every limit.
    pub async fn round(&self) -> Result<RoundReport, RepositoryError> {
        let mut report = RoundReport::default();
        for (workspace, id) in self.ledger.active_campaigns().await? {
            let Some(found) = self.campaigns.find(workspace, id).await? else {
                continue;
            };
            let campaign = found.campaign;
            let calendar = SendCalendar::of(campaign.schedule());
            let now = self.clock.now();
            if !calendar.is_inside(now) {
                continue;
            }
            let in_round = CampaignInRound {
                gateways: GatewayRule::of(campaign.settings()),
                link_base: self.link_base(&campaign),
                calendar,
                campaign,
            };
            let ids = (0..self.settings.claims_per_campaign)
                .map(|_| self.ids.new_id())
                .collect();
            let claims = self
                .ledger
                .claim(&ClaimRequest {
                    campaign: in_round.campaign.clone(),
                    worker: self.settings.worker.clone(),
                    now,
                    ids,
                })
                .await?;
            report.claimed += claims.len();
            for outcome in self.send_all(&in_round, claims).await? {
                report.count(&outcome);
            }
        }
        Ok(report)
    }

    /// Sends a claim's emails: builds every message, stores all their links in one write before
    /// any of them leaves (a click may come at once), hands them to SMTP `parallel_sends` at a
    /// time, and records what became of them as they finish, what is ready at once in one
    /// transaction (on PostgreSQL each commit waits for the disk; one a message capped the
    /// engine's rate). A claim whose storage failed stays `claimed`: never sent again (a later
    /// process marks it `unknown`); the first such error is the round's answer after the rest
    /// are done.
    async fn send_all(
        &self,
        in_round: &CampaignInRound,
        claims: Vec<ClaimedSend>,
    ) -> Result<Vec<SendOutcome>, RepositoryError> {
        let parallel = self.settings.parallel_sends.max(1);
        let mut first_error = None;
        let mut prepared = Vec::with_capacity(claims.len());
        let mut links = Vec::new();
        let mut built = futures_util::stream::iter(claims)
            .map(|claim| async move {
                let prepared = self.prepare(in_round, &claim).await;
                (claim, prepared)
            })
            .buffer_unordered(parallel);
        while let Some((claim, result)) = built.next().await {
            match result {
                Ok(mut ready) => {
                    if let Prepared::Ready { links: urls, .. } = &mut ready
                        && !urls.is_empty()
                    {
                        links.push(SendLinks {
                            send: claim.id,
                            urls: std::mem::take(urls),
                        });
                    }
                    prepared.push((claim, ready));
                }
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        if !links.is_empty() {
            self.tracking.store_links(&links).await?;
        }
        self.withdraw_stopped(&mut prepared).await?;

        let (done, finished) = async_channel::unbounded();
        let sending = async move {
            futures_util::stream::iter(prepared)
                .for_each_concurrent(parallel, |(claim, ready)| {
                    let done = done.clone();
                    async move {
                        // The receiver lives until every sender is gone.
                        let _ = done.send(self.deliver(in_round, claim, ready).await).await;
                    }
                })
                .await;
        };
        let ((), recorded) =
            futures_util::future::join(sending, self.record_finished(finished)).await;
        match (recorded, first_error) {
            (Err(error), _) | (Ok(_), Some(error)) => Err(error),
            (Ok(outcomes), None) => Ok(outcomes),
        }
    }

    /// Right before SMTP: the claims whose enrolment stopped since the claim (a reply or a bounce
    /// read meanwhile, SENDING.md section 5) do not go out. One read for the whole claim.
    async fn withdraw_stopped(
        &self,
        prepared: &mut [(ClaimedSend, Prepared<'_>)],
    ) -> Result<(), RepositoryError> {
        let ready: Vec<_> = prepared
            .iter()
            .filter(|(_, ready)| matches!(ready, Prepared::Ready { .. }))
            .map(|(claim, _)| claim.id)
            .collect();
        if ready.is_empty() {
            return Ok(());
        }
        let stopped = self.ledger.stopped_claims(&ready).await?;
        for (claim, ready) in prepared.iter_mut() {
            if stopped.contains(&claim.id) {
                *ready = Prepared::Refused(SendOutcome::Withdrawn);
            }
        }
        Ok(())
    }

    /// Hands one prepared email to SMTP (unless it was refused) and says what became of it.
    async fn deliver(
        &self,
        in_round: &CampaignInRound,
        claim: ClaimedSend,
        prepared: Prepared<'_>,
    ) -> Result<FinishedSend, RepositoryError> {
        let outcome = match prepared {
            Prepared::Ready {
                connection,
                envelope,
                message,
                sequence,
                sequence_step,
                links: _,
            } => {
                let subject = message.subject().to_owned();
                let answer = self.transport.send(&connection, &envelope, &message).await;
                let now = self.clock.now();
                outcome_of(
                    answer,
                    subject,
                    now,
                    &in_round.calendar,
                    &claim,
                    sequence,
                    sequence_step,
                )
            }
            Prepared::Refused(outcome) => outcome,
        };
        let finished = FinishedSend {
            claim,
            at: self.clock.now(),
            outcome,
        };
        if let SendOutcome::MailboxFailed { error } = &finished.outcome {
            let claim = &finished.claim;
            self.connections
                .mailboxes
                .record_mailbox_error(claim.workspace, claim.mailbox, error, finished.at)
                .await?;
        }
        Ok(finished)
    }

    /// Records finished sends as they come, all that are waiting (up to [`FINISHED_PER_WRITE`])
    /// in one call, until every sender is done; answers their outcomes, or the first error.
    async fn record_finished(
        &self,
        finished: async_channel::Receiver<Result<FinishedSend, RepositoryError>>,
    ) -> Result<Vec<SendOutcome>, RepositoryError> {
        let mut outcomes = Vec::new();
        let mut first_error = None;
        let mut ready = std::pin::pin!(finished.ready_chunks(FINISHED_PER_WRITE));
        while let Some(waiting) = ready.next().await {
            let mut batch = Vec::with_capacity(waiting.len());
            for one in waiting {
                match one {
                    Ok(one) => batch.push(one),
                    Err(error) => {
                        first_error.get_or_insert(error);
                    }
                }
            }
            match self.ledger.finish(&batch).await {
                Ok(()) => outcomes.extend(batch.into_iter().map(|one| one.outcome)),
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        first_error.map_or(Ok(outcomes), Err)
    }

    /// Everything the message needs, or why it cannot go (nothing was sent).
    async fn prepare<'a>(
        &self,
        in_round: &'a CampaignInRound,
        claim: &ClaimedSend,
    ) -> Result<Prepared<'a>, RepositoryError> {
        let campaign = &in_round.campaign;
        let retry_later = |why: &str| {
            Prepared::Refused(SendOutcome::Deferred {
                reply: why.to_owned(),
                retry_at: self.clock.now() + Duration::minutes(RETRY_DELAYS_MINUTES[0]),
            })
        };
        let Some(lead) = self.leads.find(claim.workspace, claim.lead).await? else {
            // Deleted since the claim: its enrolment is gone or removed, so nothing claims it again.
            return Ok(retry_later("the lead was deleted"));
        };
        // Here, between the claim and SMTP, because the MX lookup is network I/O that must not run
        // inside the claim's transaction; the withdrawn claim counts for no limit.
        let domain = lead.fields().email().domain();
        if self
            .gateways
            .skipped_gateway(&in_round.gateways, domain)
            .await
            .is_some()
        {
            return Ok(Prepared::Refused(SendOutcome::Skipped {
                stop: StopReason::Seg,
            }));
        }
        let Some(mailbox) = self
            .connections
            .mailboxes
            .find(claim.workspace, claim.mailbox)
            .await?
        else {
            return Ok(retry_later("the mailbox was deleted"));
        };
        let connection = match self.connections.open_mailbox(&mailbox) {
            Ok(opened) => opened.smtp,
            Err(OpenConnectionsError::Unknown(error)) => return Err(error),
            Err(error) => return Ok(mailbox_failed(error.to_string())),
        };
        let Some(connection) = connection else {
            return Ok(mailbox_failed("SMTP is not configured".to_owned()));
        };
        let Some(sequence) = campaign.sequence_of(claim.subsequence) else {
            return Ok(retry_later("the subsequence is disabled or gone"));
        };
        let step = claim.step as usize;
        let Some(StepKind::Email(email)) = sequence.steps().get(step).map(|step| step.kind())
        else {
            return Ok(retry_later("the sequence changed: no email at this step"));
        };
        let variant = claim.variant.as_deref().and_then(|letter| {
            email
                .variants()
                .iter()
                .find(|variant| variant.letter().to_string() == letter)
        });
        let content = EmailContent {
            step: email,
            variant: variant.or(email.variants().first()),
            subject_override: None,
            body_override: None,
        };
        let previous_subject = || claim.previous.as_ref().and_then(|p| p.subject.clone());
        let mut spintax = |count: usize| self.random.below(count);
        let rendered = content.render(
            Some(lead.fields()),
            Some(mailbox.fields()),
            previous_subject,
            &mut spintax,
        );
        let mut tracked = self.tracked(in_round, claim, rendered);
        let links = std::mem::take(&mut tracked.original_urls);
        let Some(message) = self.message(campaign, claim, &lead, &mailbox, tracked) else {
            return Ok(retry_later("the message id could not be built"));
        };
        Ok(Prepared::Ready {
            links,
            envelope: Envelope::for_message(&message),
            connection,
            message: Box::new(message),
            sequence,
            sequence_step: step,
        })
    }

    /// The base of the campaign's links: `https://{cnameTracking.domain}` when enabled, else the
    /// public URL.
    fn link_base(&self, campaign: &Campaign) -> PublicBaseUrl {
        let cname = campaign.settings().cname_tracking();
        cname
            .enabled()
            .then(|| cname.domain())
            .flatten()
            .and_then(|domain| PublicBaseUrl::parse(&format!("https://{}", domain.as_str())).ok())
            .unwrap_or_else(|| self.settings.public_url.clone())
    }

    /// The rendered email with its links (SENDING.md section 3): with `trackClicks` every http(s)
    /// link points to `/t/c/{token}`, with `trackOpens` a pixel of `/t/o/{token}` ends the body, and
    /// with `includeUnsubscribeLink` a link to `/u/{token}` ends it (never click-tracked); the text
    /// part shows the original URLs. The base is the round's [`CampaignInRound::link_base`].
    fn tracked(
        &self,
        in_round: &CampaignInRound,
        claim: &ClaimedSend,
        rendered: RenderedEmail,
    ) -> Tracked {
        let settings = in_round.campaign.settings();
        let base = &in_round.link_base;
        let unsubscribe = unsubscribe_url(base, claim.id, &self.settings.tracking_key);
        let footer = if settings.include_unsubscribe_link() {
            format!("<p><a href=\"{unsubscribe}\">Unsubscribe</a></p>")
        } else {
            String::new()
        };
        let body = track_body(
            &rendered.body,
            base,
            claim.id,
            &self.settings.tracking_key,
            TrackingOptions {
                opens: settings.track_opens(),
                clicks: settings.track_clicks(),
            },
        );
        Tracked {
            subject: rendered.subject,
            text: text_part_from_html(&format!("{}{footer}", rendered.body)),
            html: format!("{}{footer}", body.html),
            original_urls: body.links,
            unsubscribe,
        }
    }

    /// The message of `claim` (SENDING.md section 3): From the mailbox with its display name, To the
    /// lead with their name, the campaign's Cc and Bcc, the claim's Message-ID, and the thread of
    /// the enrolment's previous email.
    fn message(
        &self,
        campaign: &Campaign,
        claim: &ClaimedSend,
        lead: &Lead,
        mailbox: &Mailbox,
        rendered: Tracked,
    ) -> Option<OutgoingMessage> {
        let settings = campaign.settings();
        let previous = claim
            .previous
            .as_ref()
            .and_then(|previous| MessageId::parse(&previous.message_id).ok());
        Some(OutgoingMessage::new(OutgoingMessageParts {
            from: NamedAddress::of_mailbox(mailbox.fields()),
            to: NamedAddress::of_lead(lead.fields()),
            cc: settings
                .cc()
                .iter()
                .map(|address| NamedAddress::new(None, address.clone()))
                .collect(),
            bcc: settings.bcc().to_vec(),
            subject: rendered.subject,
            date: self.clock.now(),
            message_id: MessageId::parse(&claim.message_id).ok()?,
            in_reply_to: previous.clone(),
            references: previous.into_iter().collect(),
            html_body: rendered.html,
            text_body: rendered.text,
            // RFC 8058 one-click unsubscribe; the names are valid and not the message's own.
            extra_headers: [
                ExtraHeader::new("List-Unsubscribe", &format!("<{}>", rendered.unsubscribe)),
                ExtraHeader::new("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ]
            .into_iter()
            .flatten()
            .collect(),
        }))
    }
}

/// A rendered email with its tracked links.
struct Tracked {
    subject: String,
    html: String,
    text: String,
    /// The URLs behind the click links, in position order.
    original_urls: Vec<String>,
    unsubscribe: String,
}

/// A claim ready to go, or why it cannot.
enum Prepared<'a> {
    Ready {
        /// The URLs behind its click links, stored before it leaves.
        links: Vec<String>,
        connection: crate::ports::SmtpConnection,
        envelope: Envelope,
        message: Box<OutgoingMessage>,
        sequence: &'a Sequence,
        sequence_step: usize,
    },
    Refused(SendOutcome),
}

fn mailbox_failed(error: String) -> Prepared<'static> {
    Prepared::Refused(SendOutcome::MailboxFailed { error })
}

/// What SMTP's answer means for the claim (SENDING.md section 4).
fn outcome_of(
    answer: Result<crate::ports::SmtpAccepted, SendFailure>,
    subject: String,
    now: DateTime<Utc>,
    calendar: &SendCalendar,
    claim: &ClaimedSend,
    sequence: &Sequence,
    step: usize,
) -> SendOutcome {
    match answer {
        Ok(accepted) => SendOutcome::Sent {
            subject,
            reply: accepted.reply,
            next: match follow_up(calendar, sequence, step, now) {
                Some((step, due)) => NextStep::Email {
                    step: u32::try_from(step).unwrap_or(u32::MAX),
                    due,
                },
                None => NextStep::Done,
            },
        },
        Err(SendFailure::Temporary { reply }) => SendOutcome::Deferred {
            reply,
            retry_at: retry_time(now, calendar, claim.attempts),
        },
        Err(SendFailure::Permanent { reply }) => SendOutcome::Bounced { subject, reply },
        Err(SendFailure::Unknown { detail }) => SendOutcome::Unknown { subject, detail },
        Err(
            failure @ (SendFailure::Authentication { .. } | SendFailure::InsecureConnection { .. }),
        ) => SendOutcome::MailboxFailed {
            error: failure.to_string(),
        },
    }
}

/// When a temporarily failed email is tried again: after 1, 5, then 30 minutes, inside a window;
/// after the third failure, at the start of the next window after this one.
fn retry_time(now: DateTime<Utc>, calendar: &SendCalendar, attempts: u32) -> DateTime<Utc> {
    let delay = RETRY_DELAYS_MINUTES.get(attempts.saturating_sub(1) as usize);
    let earliest = match delay {
        Some(minutes) => now + Duration::minutes(*minutes),
        None => calendar
            .windows(now, now + Duration::seconds(1))
            .iter()
            .map(|window| window.end)
            .max()
            .unwrap_or(now),
    };
    calendar
        .next_send_at(earliest)
        .unwrap_or(earliest + Duration::days(1))
}
