//! Stored texts cleaned of control characters. FROZEN: add a new migration instead of editing this one.
//!
//! Since the domain refuses control characters (Unicode category Cc: U+0000–U+001F, U+007F–U+009F) in
//! stored texts, and every row is re-parsed when read, a row written before the rule with one of them
//! no longer read: its campaign, and the campaign or mailbox list of its whole workspace, answered 500.
//! This migration rewrites every such text as the rule allows (docs/decisions.md, "Control
//! characters" and "Texts stored before the control-character rule", say what becomes of which
//! character and why):
//!
//! - one-line texts (names, subjects, tags, trigger values, condition texts, display names, agent
//!   fields, webhook settings, every string of the content JSON but `body`): `\n`, `\r` and `\t` each
//!   become a space, every other control character is removed. A text the domain trims is trimmed
//!   after that; a required one left empty becomes [`PLACEHOLDER`].
//! - email bodies (`body` keys) and mailbox signatures: control characters other than `\n`, `\r` and
//!   `\t` are removed, line breaks and tabs stay.
//!
//! Only rows that change are written (a row without a control character stays byte for byte as it
//! was); a campaign whose texts or subsequences change gets `version + 1`, as any change of what it
//! reads as does. Rows are read [`BATCH`] at a time in id order, and JSON is only parsed when its text
//! may hold a control character. The rules are written out here rather than imported from the domain,
//! so that a later change of the domain cannot rewrite what this migration did.

use std::collections::HashSet;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, QueryResult};
use serde_json::Value as JsonValue;

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum Workspaces {
    Table,
    Id,
    Name,
}

#[derive(DeriveIden)]
enum Agents {
    Table,
    Id,
    Name,
    CompanyName,
    CompanyDescription,
    PersonaTone,
    PersonaRole,
    PersonaCommunicationStyle,
    PersonaCustomInstructions,
}

#[derive(DeriveIden)]
enum Mailboxes {
    Table,
    Id,
    WorkspaceId,
    DisplayName,
    DisplayNameFolded,
    Signature,
    Tags,
}

#[derive(DeriveIden)]
enum MailboxTags {
    Table,
    WorkspaceId,
    TagLower,
    MailboxId,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    Name,
    NameFolded,
    Content,
    Version,
}

#[derive(DeriveIden)]
enum Subsequences {
    Table,
    Id,
    CampaignId,
    Position,
    Name,
    TriggerType,
    TriggerValue,
    Archived,
    Sequence,
}

/// Rows read per SELECT.
const BATCH: u64 = 500;

/// What a required name (campaign, subsequence, agent, workspace, trigger value, condition field) or
/// a subject that was not blank becomes when nothing is left of it.
const PLACEHOLDER: &str = "Untitled";

/// The fewest characters of a webhook secret (`WebhookSecret::MIN_CHARS` when this was written).
const MIN_SECRET_CHARS: usize = 8;

/// The most characters of an AI-tag trigger value (`MAX_TRIGGER_VALUE_CHARS` when this was written).
const MAX_TRIGGER_VALUE_CHARS: usize = 100;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let connection = manager.get_connection();
        let workspaces = clean_workspaces(connection).await?;
        let agents = clean_agents(connection).await?;
        let mailboxes = clean_mailboxes(connection).await?;
        let campaigns = clean_campaigns(connection).await?;
        tracing::info!(
            workspaces,
            agents,
            mailboxes,
            campaigns,
            "rows rewritten without control characters"
        );
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------------
// The rules, on texts.

/// Which control characters a text keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lines {
    /// None: `\n`, `\r` and `\t` become a space, the others are removed.
    One,
    /// `\n`, `\r` and `\t`; the others are removed.
    Many,
}

/// `text` without the control characters `lines` refuses, or `None` when it holds none (unchanged).
fn clean(text: &str, lines: Lines) -> Option<String> {
    let kept = |character: char| lines == Lines::Many && matches!(character, '\n' | '\r' | '\t');
    if !text
        .chars()
        .any(|character| character.is_control() && !kept(character))
    {
        return None;
    }
    Some(
        text.chars()
            .filter_map(|character| match character {
                _ if kept(character) => Some(character),
                '\n' | '\r' | '\t' => Some(' '),
                _ if character.is_control() => None,
                _ => Some(character),
            })
            .collect(),
    )
}

/// A required, trimmed one-line text (a name): cleaned and trimmed, [`PLACEHOLDER`] when nothing is
/// left. `None` when unchanged.
fn required_name(text: &str) -> Option<String> {
    clean(text, Lines::One).map(|cleaned| match cleaned.trim() {
        "" => PLACEHOLDER.to_owned(),
        trimmed => trimmed.to_owned(),
    })
}

/// An optional, trimmed one-line text (a display name): cleaned and trimmed, none when blank. `None`
/// when unchanged.
fn optional_name(text: &str) -> Option<Option<String>> {
    clean(text, Lines::One).map(|cleaned| {
        Some(cleaned.trim())
            .filter(|trimmed| !trimmed.is_empty())
            .map(str::to_owned)
    })
}

/// A subject, kept untrimmed: a subject that was not blank stays so ([`PLACEHOLDER`]), since a blank
/// one means something else (no subject of its own) or is refused (the first email's). `None` when
/// unchanged.
fn subject(text: &str) -> Option<String> {
    clean(text, Lines::One).map(|cleaned| {
        if cleaned.trim().is_empty() && !text.trim().is_empty() {
            PLACEHOLDER.to_owned()
        } else {
            cleaned
        }
    })
}

/// A webhook secret, kept untrimmed; none when it is left too short to be one (an update then
/// generates a new one, as for an enabled webhook without a secret). `None` when unchanged.
fn secret(text: &str) -> Option<Option<String>> {
    clean(text, Lines::One)
        .map(|cleaned| (cleaned.chars().count() >= MIN_SECRET_CHARS).then_some(cleaned))
}

/// A mailbox's tags: each cleaned and trimmed, the blank ones dropped, and of those that now fold
/// alike the first kept (tags are unique case-insensitively). `None` when unchanged.
fn tags(tags: &[String]) -> Option<Vec<String>> {
    if !tags
        .iter()
        .any(|tag| tag.chars().any(|character| character.is_control()))
    {
        return None;
    }
    let mut seen = HashSet::new();
    let cleaned: Vec<String> = tags
        .iter()
        .map(|tag| match clean(tag, Lines::One) {
            Some(cleaned) => cleaned.trim().to_owned(),
            None => tag.clone(),
        })
        .filter(|tag| !tag.is_empty() && seen.insert(fold_case(tag)))
        .collect();
    Some(cleaned)
}

/// A campaign's subsequence triggers: `(value, counts)` in position order, where `counts` says whether
/// it is an active (not archived) AI-tag trigger, whose values must differ case-insensitively. Each
/// value is cleaned like a name; a cleaned value that now folds like another active one gets ` (2)`,
/// ` (3)`… Returns the new value of each, `None` when unchanged.
fn trigger_values(triggers: &[(Option<&str>, bool)]) -> Vec<Option<String>> {
    let mut cleaned: Vec<Option<String>> = triggers
        .iter()
        .map(|(value, _)| value.and_then(required_name))
        .collect();
    let mut seen: HashSet<String> = triggers
        .iter()
        .zip(&cleaned)
        .filter_map(|((value, counts), cleaned)| match (value, cleaned) {
            (Some(value), None) if *counts => Some(fold_case(value)),
            _ => None,
        })
        .collect();
    for ((_, counts), cleaned) in triggers.iter().zip(cleaned.iter_mut()) {
        let Some(value) = cleaned.as_mut().filter(|_| *counts) else {
            continue;
        };
        let base = value.clone();
        let mut number = 2;
        while !seen.insert(fold_case(value)) {
            let suffix = format!(" ({number})");
            let room = MAX_TRIGGER_VALUE_CHARS - suffix.chars().count();
            let start: String = base.chars().take(room).collect();
            *value = format!("{}{suffix}", start.trim_end());
            number += 1;
        }
    }
    cleaned
}

/// The domain's `fold_case` and `fold_tag` (`str::to_lowercase`) as they were when this migration
/// was written, for `name_folded`, `display_name_folded` and `tag_lower`.
fn fold_case(text: &str) -> String {
    text.to_lowercase()
}

// ---------------------------------------------------------------------------------------------------
// The rules, on the request-form JSON of `campaigns.content` and `subsequences.sequence`.

/// Cleans every string of `value` in place: `body` keys keep their lines, `subject` keys stay
/// non-blank, `field` keys (a condition's lead field) are required names, a `secret` left too short is
/// removed, every other string is one line. Whether anything changed.
fn clean_json(value: &mut JsonValue) -> bool {
    match value {
        JsonValue::String(text) => replace(text, clean(text, Lines::One)),
        JsonValue::Array(items) => items
            .iter_mut()
            .fold(false, |changed, item| clean_json(item) | changed),
        JsonValue::Object(fields) => {
            let mut changed = false;
            let mut drop_secret = false;
            for (key, field) in fields.iter_mut() {
                let JsonValue::String(text) = field else {
                    changed |= clean_json(field);
                    continue;
                };
                let cleaned = match key.as_str() {
                    "body" => clean(text, Lines::Many),
                    "subject" => subject(text),
                    "field" => required_name(text),
                    "secret" => match secret(text) {
                        Some(None) => {
                            drop_secret = true;
                            None
                        }
                        kept => kept.flatten(),
                    },
                    _ => clean(text, Lines::One),
                };
                changed |= replace(text, cleaned);
            }
            if drop_secret {
                fields.shift_remove("secret");
            }
            changed || drop_secret
        }
        JsonValue::Null | JsonValue::Bool(_) | JsonValue::Number(_) => false,
    }
}

fn replace(text: &mut String, cleaned: Option<String>) -> bool {
    match cleaned {
        Some(cleaned) => {
            *text = cleaned;
            true
        }
        None => false,
    }
}

/// Whether a JSON text may hold a control character inside a string: raw (U+007F–U+009F may be) or
/// escaped (`\b`, `\f`, `\n`, `\r`, `\t`, `\u` with a control's code). Errs only towards yes (an
/// unpaired surrogate); a text it says no to is not even parsed, which keeps the migration fast on the
/// clean rows that are nearly all of them.
fn may_hold_controls(json: &str) -> bool {
    if json.chars().any(char::is_control) {
        return true;
    }
    let mut rest = json.as_bytes();
    while let Some(at) = rest.iter().position(|byte| *byte == b'\\') {
        match rest.get(at + 1..).unwrap_or_default() {
            [b'b' | b'f' | b'n' | b'r' | b't', ..] => return true,
            [b'u', code @ ..] => {
                let escaped = code
                    .get(..4)
                    .and_then(|hex| std::str::from_utf8(hex).ok())
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .and_then(char::from_u32);
                if escaped.is_none_or(char::is_control) {
                    return true;
                }
            }
            _ => {}
        }
        // Past the escaped character, so that `\\n` (a backslash, then `n`) is not taken for `\n`.
        rest = rest.get(at + 2..).unwrap_or_default();
    }
    false
}

/// The stored JSON `text` of row `id` of `table`, cleaned by [`clean_json`]; `None` when unchanged.
/// JSON that does not parse is left as it is (and logged): that row did not read before either, and
/// one corrupt row must not keep every server from starting.
fn cleaned_json(text: &str, table: &str, id: &str) -> Option<JsonValue> {
    if !may_hold_controls(text) {
        return None;
    }
    match serde_json::from_str::<JsonValue>(text) {
        Ok(mut value) => clean_json(&mut value).then_some(value),
        Err(error) => {
            tracing::warn!(table, id, %error, "stored JSON left as it is: it does not parse");
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// The tables.

/// Reads the rows of a SELECT whose first column is the table's text `id`, [`BATCH`] at a time in id
/// order.
struct Batches {
    select: SelectStatement,
    id: DynIden,
    after: Option<String>,
}

impl Batches {
    fn new(select: &mut SelectStatement, id: impl IntoIden) -> Self {
        Self {
            select: select.to_owned(),
            id: id.into_iden(),
            after: None,
        }
    }

    /// The next batch; `None` when every row has been read.
    async fn next<C: ConnectionTrait>(
        &mut self,
        connection: &C,
    ) -> Result<Option<Vec<QueryResult>>, DbErr> {
        let mut select = self.select.clone();
        select.order_by(self.id.clone(), Order::Asc).limit(BATCH);
        if let Some(after) = &self.after {
            select.and_where(Expr::col(self.id.clone()).gt(after.as_str()));
        }
        let rows = connection.query_all(&select).await?;
        let Some(last) = rows.last() else {
            return Ok(None);
        };
        self.after = Some(last.try_get_by_index::<String>(0)?);
        Ok(Some(rows))
    }
}

/// Writes `changes` to the row `id` of `table` (nothing when there are none); whether it wrote.
async fn update<C: ConnectionTrait>(
    connection: &C,
    table: impl IntoIden,
    id: (impl IntoIden, &str),
    changes: Vec<(DynIden, Expr)>,
) -> Result<bool, DbErr> {
    if changes.is_empty() {
        return Ok(false);
    }
    let (column, id) = id;
    let statement = Query::update()
        .table(table)
        .values(changes)
        .and_where(Expr::col(column).eq(id))
        .to_owned();
    connection.execute(&statement).await?;
    Ok(true)
}

fn set(column: impl IntoIden, value: impl Into<Expr>) -> (DynIden, Expr) {
    (column.into_iden(), value.into())
}

async fn clean_workspaces<C: ConnectionTrait>(connection: &C) -> Result<u64, DbErr> {
    clean_named_rows(
        connection,
        Workspaces::Table,
        Workspaces::Id,
        Workspaces::Name,
        [] as [Workspaces; 0],
    )
    .await
}

async fn clean_agents<C: ConnectionTrait>(connection: &C) -> Result<u64, DbErr> {
    clean_named_rows(
        connection,
        Agents::Table,
        Agents::Id,
        Agents::Name,
        [
            Agents::CompanyName,
            Agents::CompanyDescription,
            Agents::PersonaTone,
            Agents::PersonaRole,
            Agents::PersonaCommunicationStyle,
            Agents::PersonaCustomInstructions,
        ],
    )
    .await
}

/// Cleans a table of plain text columns: `name` a required name, each of `optional` a one-line text
/// or null. Returns how many rows it rewrote.
async fn clean_named_rows<C: ConnectionTrait, const N: usize>(
    connection: &C,
    table: impl IntoIden,
    id: impl IntoIden,
    name: impl IntoIden,
    optional: [impl IntoIden; N],
) -> Result<u64, DbErr> {
    let (table, id, name) = (table.into_iden(), id.into_iden(), name.into_iden());
    let optional = optional.map(IntoIden::into_iden);
    let mut batches = Batches::new(
        Query::select()
            .columns([id.clone(), name.clone()])
            .columns(optional.clone())
            .from(table.clone()),
        id.clone(),
    );
    let mut written = 0;
    while let Some(rows) = batches.next(connection).await? {
        for row in rows {
            let row_id: String = row.try_get_by_index(0)?;
            let stored_name: String = row.try_get_by_index(1)?;
            let mut changes: Vec<_> = required_name(&stored_name)
                .map(|cleaned| set(name.clone(), cleaned))
                .into_iter()
                .collect();
            for (index, column) in optional.iter().enumerate() {
                let text: Option<String> = row.try_get_by_index(index + 2)?;
                if let Some(cleaned) = text.as_deref().and_then(|text| clean(text, Lines::One)) {
                    changes.push(set(column.clone(), cleaned));
                }
            }
            written +=
                u64::from(update(connection, table.clone(), (id.clone(), &row_id), changes).await?);
        }
    }
    Ok(written)
}

async fn clean_mailboxes<C: ConnectionTrait>(connection: &C) -> Result<u64, DbErr> {
    let mut batches = Batches::new(
        Query::select()
            .columns([
                Mailboxes::Id,
                Mailboxes::WorkspaceId,
                Mailboxes::DisplayName,
                Mailboxes::Signature,
            ])
            .expr(Expr::col(Mailboxes::Tags).cast_as("text"))
            .from(Mailboxes::Table),
        Mailboxes::Id,
    );
    let mut written = 0;
    while let Some(rows) = batches.next(connection).await? {
        for row in rows {
            let id: String = row.try_get_by_index(0)?;
            let workspace: String = row.try_get_by_index(1)?;
            let display_name: Option<String> = row.try_get_by_index(2)?;
            let signature: Option<String> = row.try_get_by_index(3)?;
            let stored_tags: String = row.try_get_by_index(4)?;

            let mut changes = Vec::new();
            if let Some(name) = display_name.as_deref().and_then(optional_name) {
                changes.push(set(
                    Mailboxes::DisplayNameFolded,
                    name.as_deref().map(fold_case),
                ));
                changes.push(set(Mailboxes::DisplayName, name));
            }
            if let Some(signature) = signature
                .as_deref()
                .and_then(|signature| clean(signature, Lines::Many))
            {
                changes.push(set(Mailboxes::Signature, signature));
            }
            let new_tags = cleaned_tags(&stored_tags, &id);
            if let Some(new_tags) = &new_tags {
                changes.push(set(Mailboxes::Tags, serde_json::json!(new_tags)));
            }
            if !update(connection, Mailboxes::Table, (Mailboxes::Id, &id), changes).await? {
                continue;
            }
            written += 1;
            if let Some(new_tags) = new_tags {
                replace_tag_index(connection, &workspace, &id, &new_tags).await?;
            }
        }
    }
    Ok(written)
}

/// The stored tags (a JSON array of texts) of mailbox `id`, cleaned by [`tags`]; `None` when
/// unchanged. Tags that do not parse are left as they are (and logged), as [`cleaned_json`] does.
fn cleaned_tags(text: &str, id: &str) -> Option<Vec<String>> {
    if !may_hold_controls(text) {
        return None;
    }
    match serde_json::from_str::<Vec<String>>(text) {
        Ok(stored) => tags(&stored),
        Err(error) => {
            tracing::warn!(table = "mailboxes", id, %error, "tags left as they are: not texts");
            None
        }
    }
}

/// Replaces the `mailbox_tags` rows of a mailbox with its (cleaned) tags, folded.
async fn replace_tag_index<C: ConnectionTrait>(
    connection: &C,
    workspace: &str,
    mailbox: &str,
    tags: &[String],
) -> Result<(), DbErr> {
    let delete = Query::delete()
        .from_table(MailboxTags::Table)
        .and_where(Expr::col(MailboxTags::WorkspaceId).eq(workspace))
        .and_where(Expr::col(MailboxTags::MailboxId).eq(mailbox))
        .to_owned();
    connection.execute(&delete).await?;
    if tags.is_empty() {
        return Ok(());
    }
    let mut insert = Query::insert()
        .into_table(MailboxTags::Table)
        .columns([
            MailboxTags::WorkspaceId,
            MailboxTags::TagLower,
            MailboxTags::MailboxId,
        ])
        .to_owned();
    for tag in tags {
        insert
            .values([workspace.into(), fold_case(tag).into(), mailbox.into()])
            .map_err(|error| DbErr::Migration(error.to_string()))?;
    }
    connection.execute(&insert).await?;
    Ok(())
}

async fn clean_campaigns<C: ConnectionTrait>(connection: &C) -> Result<u64, DbErr> {
    let mut batches = Batches::new(
        Query::select()
            .columns([Campaigns::Id, Campaigns::Name, Campaigns::Content])
            .from(Campaigns::Table),
        Campaigns::Id,
    );
    let mut written = 0;
    while let Some(rows) = batches.next(connection).await? {
        let mut campaigns = Vec::with_capacity(rows.len());
        for row in rows {
            campaigns.push((
                row.try_get_by_index::<String>(0)?,
                row.try_get_by_index::<String>(1)?,
                row.try_get_by_index::<String>(2)?,
            ));
        }
        let ids: Vec<&str> = campaigns.iter().map(|(id, _, _)| id.as_str()).collect();
        let subsequences_changed = clean_subsequences(connection, &ids).await?;
        for (id, name, content) in &campaigns {
            let mut changes = Vec::new();
            if let Some(name) = required_name(name) {
                changes.push(set(Campaigns::NameFolded, fold_case(&name)));
                changes.push(set(Campaigns::Name, name));
            }
            if let Some(content) = cleaned_json(content, "campaigns", id) {
                changes.push(set(Campaigns::Content, content.to_string()));
            }
            if changes.is_empty() && !subsequences_changed.contains(id.as_str()) {
                continue;
            }
            changes.push(set(
                Campaigns::Version,
                Expr::col(Campaigns::Version).add(1),
            ));
            update(connection, Campaigns::Table, (Campaigns::Id, id), changes).await?;
            written += 1;
        }
    }
    Ok(written)
}

/// Cleans the subsequences of the campaigns `campaigns`; returns the campaigns whose subsequences
/// changed.
async fn clean_subsequences<C: ConnectionTrait>(
    connection: &C,
    campaigns: &[&str],
) -> Result<HashSet<String>, DbErr> {
    let select = Query::select()
        .columns([
            Subsequences::Id,
            Subsequences::CampaignId,
            Subsequences::Name,
            Subsequences::TriggerType,
            Subsequences::TriggerValue,
            Subsequences::Archived,
        ])
        .expr(Expr::col(Subsequences::Sequence).cast_as("text"))
        .from(Subsequences::Table)
        .and_where(Expr::col(Subsequences::CampaignId).is_in(campaigns.iter().copied()))
        .order_by(Subsequences::CampaignId, Order::Asc)
        .order_by(Subsequences::Position, Order::Asc)
        .to_owned();
    let mut rows = Vec::new();
    for row in connection.query_all(&select).await? {
        rows.push(StoredSubsequence {
            id: row.try_get_by_index(0)?,
            campaign: row.try_get_by_index(1)?,
            name: row.try_get_by_index(2)?,
            trigger_type: row.try_get_by_index(3)?,
            trigger_value: row.try_get_by_index(4)?,
            archived: row.try_get_by_index(5)?,
            sequence: row.try_get_by_index(6)?,
        });
    }
    let mut changed = HashSet::new();
    for campaign in rows.chunk_by(|a, b| a.campaign == b.campaign) {
        let triggers: Vec<(Option<&str>, bool)> = campaign
            .iter()
            .map(|subsequence| {
                (
                    subsequence.trigger_value.as_deref(),
                    !subsequence.archived && subsequence.trigger_type == "ai_tag",
                )
            })
            .collect();
        for (subsequence, value) in campaign.iter().zip(trigger_values(&triggers)) {
            let mut changes = Vec::new();
            if let Some(name) = required_name(&subsequence.name) {
                changes.push(set(Subsequences::Name, name));
            }
            if let Some(value) = value {
                changes.push(set(Subsequences::TriggerValue, value));
            }
            if let Some(sequence) =
                cleaned_json(&subsequence.sequence, "subsequences", &subsequence.id)
            {
                changes.push(set(Subsequences::Sequence, sequence));
            }
            if update(
                connection,
                Subsequences::Table,
                (Subsequences::Id, &subsequence.id),
                changes,
            )
            .await?
            {
                changed.insert(subsequence.campaign.clone());
            }
        }
    }
    Ok(changed)
}

/// The texts of a `subsequences` row.
struct StoredSubsequence {
    id: String,
    campaign: String,
    name: String,
    trigger_type: String,
    trigger_value: Option<String>,
    archived: bool,
    sequence: String,
}

#[cfg(test)]
mod rules {
    use super::*;

    /// Every control character (Unicode Cc).
    fn controls() -> impl Iterator<Item = char> {
        ('\u{0}'..='\u{1f}').chain('\u{7f}'..='\u{9f}')
    }

    #[test]
    fn one_line_texts_turn_line_breaks_and_tabs_into_spaces_and_lose_the_other_controls() {
        assert_eq!(
            clean(
                "a\nb\rc\td\u{0}e\u{1}f\u{1b}g\u{7f}h\u{85}i\u{9f}j",
                Lines::One
            ),
            Some("a b c defghij".to_owned())
        );
        for control in controls() {
            let expected = if matches!(control, '\n' | '\r' | '\t') {
                "a b"
            } else {
                "ab"
            };
            assert_eq!(
                clean(&format!("a{control}b"), Lines::One).as_deref(),
                Some(expected),
                "{control:?}"
            );
        }
    }

    #[test]
    fn bodies_keep_line_breaks_and_tabs_and_lose_the_other_controls() {
        assert_eq!(
            clean(
                "<p>a\r\n\tb\u{0}\u{b}\u{c}\u{1b}\u{7f}\u{85}c</p>",
                Lines::Many
            ),
            Some("<p>a\r\n\tbc</p>".to_owned())
        );
        assert_eq!(clean("a\r\n\tb", Lines::Many), None);
    }

    #[test]
    fn texts_without_control_characters_are_unchanged_printable_look_alikes_included() {
        for text in ["", "  padded  ", "é ~ \u{a0}\u{200b}\u{2028}\u{2029}😀"] {
            assert_eq!(clean(text, Lines::One), None, "{text:?}");
            assert_eq!(required_name(text), None, "{text:?}");
            assert_eq!(subject(text), None, "{text:?}");
        }
    }

    /// What a rule makes of a stored text: `None` unchanged, `Some(None)` removed.
    type Rule = fn(&str) -> Option<Option<String>>;

    #[test]
    fn each_kind_of_text_is_cleaned_by_its_rule() {
        let name: Rule = |text| required_name(text).map(Some);
        let subject: Rule = |text| subject(text).map(Some);
        let display_name: Rule = optional_name;
        let secret: Rule = secret;
        let cases: [(&str, Rule, &str, Option<Option<&str>>); 11] = [
            (
                "names are trimmed once cleaned",
                name,
                "\tQ4\u{0} launch\n",
                Some(Some("Q4 launch")),
            ),
            (
                "a name left empty is the placeholder",
                name,
                "\u{0}\u{1}",
                Some(Some(PLACEHOLDER)),
            ),
            ("a blank name too", name, " \n ", Some(Some(PLACEHOLDER))),
            (
                "display names are trimmed",
                display_name,
                " Ana\tLee\u{1} ",
                Some(Some("Ana Lee")),
            ),
            (
                "a display name left blank is none",
                display_name,
                "\u{1}",
                Some(None),
            ),
            (
                "subjects are not trimmed",
                subject,
                "Hi\t{{firstName}}\u{0}",
                Some(Some("Hi {{firstName}}")),
            ),
            (
                "a subject that was not blank stays so",
                subject,
                "\u{1}\u{1f}",
                Some(Some(PLACEHOLDER)),
            ),
            // A later email's subject may be blank: it stays blank.
            (
                "a subject that was blank stays blank",
                subject,
                "\t",
                Some(Some(" ")),
            ),
            (
                "secrets are not trimmed",
                secret,
                "whsec_\tab\u{0}cdefgh",
                Some(Some("whsec_ abcdefgh")),
            ),
            (
                "a secret left too short is removed",
                secret,
                "short\u{1}\u{2}ab",
                Some(None),
            ),
            (
                "a clean secret is unchanged",
                secret,
                "whsec_abcdefgh",
                None,
            ),
        ];
        for (rule, clean, stored, expected) in cases {
            let expected = expected.map(|text| text.map(str::to_owned));
            assert_eq!(clean(stored), expected, "{rule}: {stored:?}");
        }
    }

    #[test]
    fn tags_are_cleaned_trimmed_and_stay_unique_case_insensitively() {
        let stored = ["Sales\u{1}", "sales", "eu\tnorth", "\u{0}\u{1}", " vip\n"].map(String::from);
        assert_eq!(
            tags(&stored),
            Some(vec![
                "Sales".to_owned(),
                "eu north".to_owned(),
                "vip".to_owned()
            ])
        );
        assert_eq!(tags(&["a".to_owned(), "B".to_owned()]), None);
    }

    #[test]
    fn trigger_values_of_active_subsequences_stay_unique_and_unchanged_ones_keep_theirs() {
        let values = trigger_values(&[
            (Some("hot\u{1}"), true),
            (Some("Hot"), true),
            (Some("\u{1}"), true),
            (Some("\u{2}"), true),
            (Some("hot\u{1}"), false),
            (None, false),
        ]);
        assert_eq!(
            values,
            vec![
                Some("hot (2)".to_owned()),
                None,
                Some(PLACEHOLDER.to_owned()),
                Some(format!("{PLACEHOLDER} (2)")),
                Some("hot".to_owned()),
                None,
            ]
        );
        let long = format!("{}\u{1}", "x".repeat(MAX_TRIGGER_VALUE_CHARS));
        let values = trigger_values(&[(Some(&long), true), (Some(&long), true)]);
        let second = values[1].clone().unwrap_or_default();
        assert_eq!(second.chars().count(), MAX_TRIGGER_VALUE_CHARS);
        assert!(second.ends_with("x (2)"), "{second}");
    }

    #[test]
    fn json_bodies_keep_their_lines_every_other_string_is_one_line() {
        let mut content = serde_json::json!({
            "sequence": [{
                "type": "email",
                "name": "Intro\u{1}",
                "subject": "\u{1}",
                "body": "<p>Hi\u{0},\r\n\tthere</p>",
                "conditionalVariables": [{
                    "name": "greeting",
                    "conditions": [{"field": " company\t", "operator": "equals", "value": "Acme\u{1}", "then": "Hey\nAcme"}],
                    "else": "there\u{0}"
                }],
                "variants": [{"letter": "A", "subject": "Hi\t", "body": "<p>x\u{85}</p>"}]
            }],
            "settings": {
                "cc": ["a@acme.test", "b\u{1}@acme.test"],
                "webhook": {"enabled": true, "url": "https://acme.test/", "secret": "short\u{1}ab", "events": ["email.sent"]}
            }
        });
        assert!(clean_json(&mut content));
        assert_eq!(
            content,
            serde_json::json!({
                "sequence": [{
                    "type": "email",
                    "name": "Intro",
                    "subject": PLACEHOLDER,
                    "body": "<p>Hi,\r\n\tthere</p>",
                    "conditionalVariables": [{
                        "name": "greeting",
                        "conditions": [{"field": "company", "operator": "equals", "value": "Acme", "then": "Hey Acme"}],
                        "else": "there"
                    }],
                    "variants": [{"letter": "A", "subject": "Hi ", "body": "<p>x</p>"}]
                }],
                "settings": {
                    "cc": ["a@acme.test", "b@acme.test"],
                    "webhook": {"enabled": true, "url": "https://acme.test/", "events": ["email.sent"]}
                }
            })
        );
        // The keys keep their order when a secret goes.
        let keys: Vec<&String> = content["settings"]["webhook"]
            .as_object()
            .map(|webhook| webhook.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys, ["enabled", "url", "events"]);
    }

    #[test]
    fn json_without_control_characters_is_not_even_parsed() {
        let clean_json_text = r#"{"sequence":[{"subject":"Hi \"you\"","body":"<p>a\\b</p>"}]}"#;
        assert!(!may_hold_controls(clean_json_text));
        assert_eq!(cleaned_json(clean_json_text, "campaigns", "1"), None);
        assert!(!may_hold_controls(r#"["\\n \u00e9 \"\\\\"]"#));
        for escaped in [
            r#"["\u0001"]"#,
            r#"["\u009F"]"#,
            r#"["\\\n"]"#,
            r#"["\t"]"#,
            r#"["\n"]"#,
            r#"["\r"]"#,
            r#"["\b"]"#,
            r#"["\f"]"#,
        ] {
            assert!(may_hold_controls(escaped), "{escaped}");
            assert!(
                cleaned_json(escaped, "campaigns", "1").is_some(),
                "{escaped}"
            );
        }
        assert!(may_hold_controls("[\"\u{85}\"]"));
        // Escaped line breaks in a body are looked at and kept.
        assert_eq!(cleaned_json(r#"{"body":"a\nb"}"#, "campaigns", "1"), None);
        // JSON that does not parse is left alone.
        assert_eq!(cleaned_json("{\"a\":\"\\t", "campaigns", "1"), None);
    }

    #[test]
    fn what_the_rules_leave_the_domain_accepts() {
        use domain::campaign::CampaignName;
        use domain::values::WebhookSecret;
        for control in controls() {
            for text in [
                format!("a{control}b"),
                format!("{control}"),
                format!(" {control} x "),
            ] {
                let name = required_name(&text).unwrap_or_default();
                assert!(
                    CampaignName::parse(Some(&name)).is_ok(),
                    "{text:?} gave {name:?}"
                );
                let secret = secret(&format!("whsec_{text}xy"))
                    .flatten()
                    .unwrap_or_default();
                assert!(
                    WebhookSecret::parse(&secret).is_ok(),
                    "{text:?} gave {secret:?}"
                );
            }
        }
    }

    #[test]
    fn the_frozen_folding_is_still_the_domains() {
        for text in ["ÉTÉ", "İstanbul", "Sales", "eu north"] {
            assert_eq!(fold_case(text), domain::listing::fold_case(text));
            assert_eq!(fold_case(text), domain::mailbox::fold_tag(text));
        }
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use application::ports::{CampaignQuery, MailboxQuery, Version};
    use domain::id::{CampaignId, MailboxId, WorkspaceId};
    use domain::mailbox_listing::{MailboxSearch, TagFilter, TagMode};
    use domain::request::StepRequest;
    use sea_orm_migration::MigratorTrait;
    use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseConnection};

    use super::*;
    use crate::migrations::Migrator;
    use crate::migrations::earlier_rows::*;
    use crate::testing::{TestBackend, backends, unmigrated_database};

    /// A NUL where the column can hold one: SQLite's texts can, PostgreSQL's `text` and `jsonb` cannot
    /// (its `campaigns.content`, JSON in a `text`, holds it escaped).
    fn nul(backend: TestBackend) -> &'static str {
        match backend {
            TestBackend::Sqlite => "\u{0}",
            TestBackend::Postgres => "",
        }
    }

    fn parsed<T>(
        parse: impl Fn(&str) -> Result<T, domain::problem::Invalid>,
        id: &str,
    ) -> anyhow::Result<T> {
        parse(id).map_err(|invalid| anyhow::anyhow!("{id}: {}", invalid.message))
    }

    /// The texts of one row, as stored (JSON columns as text), to compare before and after.
    async fn stored(
        writer: &DatabaseConnection,
        table: &str,
        id: &str,
        columns: &[&str],
    ) -> anyhow::Result<Vec<Option<String>>> {
        let mut select = Query::select();
        for column in columns {
            select.expr(Expr::col(Alias::new(*column)).cast_as("text"));
        }
        select
            .from(Alias::new(table))
            .and_where(Expr::col(Alias::new("id")).eq(id));
        let row = writer
            .query_one(&select)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no {table} row {id}"))?;
        (0..columns.len())
            .map(|index| Ok(row.try_get_by_index::<Option<String>>(index)?))
            .collect()
    }

    /// The rows of the test: dirty ones in workspace 2, and in both workspaces clean ones that must
    /// stay as they are. Returns the clean rows' texts as stored.
    async fn store_earlier_rows(
        writer: &DatabaseConnection,
        backend: TestBackend,
    ) -> anyhow::Result<Vec<Vec<Option<String>>>> {
        let nul = nul(backend);
        let user = store_user(writer).await?;
        let (dirty, clean) = (stored_id(2), stored_id(3));
        let mut workspaces = insert("workspaces", &["id", "name", "created_at_ms"]);
        workspaces.values([
            dirty.as_str().into(),
            format!("\tAcme{nul}\u{1}\nCorp ").into(),
            0.into(),
        ])?;
        workspaces.values([clean.as_str().into(), "  Clean Co ".into(), 0.into()])?;
        let mut memberships = insert(
            "memberships",
            &["user_id", "workspace_id", "role", "created_at_ms"],
        );
        memberships.values([
            user.as_str().into(),
            dirty.as_str().into(),
            "owner".into(),
            0.into(),
        ])?;

        let mut agents = insert(
            "agents",
            &[
                "id",
                "workspace_id",
                "name",
                "company_name",
                "company_description",
                "persona_tone",
                "persona_role",
                "persona_communication_style",
                "persona_custom_instructions",
                "is_default",
                "created_at_ms",
            ],
        );
        agents.values([
            stored_id(0x30).into(),
            dirty.as_str().into(),
            format!("Ava{nul}\u{1}\t").into(),
            "Acme\tInc".into(),
            format!("Line one\nline two{nul}").into(),
            "warm\u{1}".into(),
            None::<String>.into(),
            "brief\r\n".into(),
            "Be kind.\u{7f}\u{9f}".into(),
            true.into(),
            0.into(),
        ])?;
        agents.values([
            stored_id(0x31).into(),
            clean.as_str().into(),
            "Bob".into(),
            None::<String>.into(),
            "Sells things".into(),
            None::<String>.into(),
            None::<String>.into(),
            None::<String>.into(),
            None::<String>.into(),
            true.into(),
            0.into(),
        ])?;

        let mut mailboxes = insert(
            "mailboxes",
            &[
                "id",
                "workspace_id",
                "email",
                "email_lower",
                "provider",
                "display_name",
                "display_name_folded",
                "tags",
                "daily_send_limit",
                "sending_enabled",
                "signature",
                "status",
                "created_at_ms",
                "updated_at_ms",
            ],
        );
        let mut mailbox_tags = insert("mailbox_tags", &["workspace_id", "tag_lower", "mailbox_id"]);
        let dirty_tags = [
            "Sales\u{1}".to_owned(),
            "sales".to_owned(),
            "eu\tnorth".to_owned(),
            format!("{nul}\u{2}"),
        ];
        for (id, display_name, tags, signature) in [
            (
                stored_id(0x20),
                format!(" Ana\t{nul}Lee\u{1} "),
                dirty_tags.to_vec(),
                format!("Best,\r\nAna\t{nul}\u{1}Lee"),
            ),
            (
                stored_id(0x21),
                "Bo".to_owned(),
                vec!["x".to_owned()],
                "Hi\n\tBo".to_owned(),
            ),
        ] {
            let email = format!("m{id}@acme.test");
            for tag in &tags {
                mailbox_tags.values([
                    dirty.as_str().into(),
                    tag.to_lowercase().into(),
                    id.as_str().into(),
                ])?;
            }
            mailboxes.values([
                id.as_str().into(),
                dirty.as_str().into(),
                email.clone().into(),
                email.into(),
                "gmail".into(),
                display_name.clone().into(),
                display_name.to_lowercase().into(),
                serde_json::json!(tags).into(),
                50.into(),
                true.into(),
                signature.into(),
                "active".into(),
                0.into(),
                0.into(),
            ])?;
        }

        let mut campaigns = campaigns_insert();
        let first_step = serde_json::json!({
            "type": "email",
            "order": 0,
            "name": "Intro\u{1}",
            "subject": "Hi\t{{firstName}}\u{0}",
            "body": "<p>Hi\u{0}\u{1b}[31m,\r\n\tthere</p>",
            "useConditionalVariables": true,
            "conditionalVariables": [{
                "name": "greeting",
                "conditions": [{"field": " company\t", "operator": "equals", "value": "Acme\u{1}", "then": "Hey\nAcme"}],
                "else": "there\u{0}"
            }],
            "variants": [
                {"letter": "A", "subject": "Hi\t{{firstName}}\u{0}", "body": "<p>Hi\u{0}\u{1b}[31m,\r\n\tthere</p>"},
                {"letter": "B", "subject": "\u{1}\u{1f}", "body": "<p>B\u{85}</p>"}
            ]
        });
        // Blank before (a tab): blank after, which a later email may be.
        let last_step = serde_json::json!({"type": "email", "order": 2, "subject": "\t", "body": "<p>Bye\u{7}</p>"});
        let webhook = |secret: &str| {
            serde_json::json!({
                "cc": ["sales-log@acme.test"],
                "webhook": {"enabled": true, "url": "https://hooks.acme.test/in", "secret": secret, "events": ["email.sent"]}
            })
        };
        let clean_content = serde_json::json!({
            "sequence": [{"type": "email", "order": 0, "subject": "Hello", "body": "<p>Hi \"you\"</p>\n<p>C:\\\\temp\\\\new</p>"}],
            "schedule": {"timezone": "America/Chicago"},
            "settings": webhook("whsec_abcdefgh")
        });
        for (id, name, content) in [
            (
                stored_id(0x10),
                format!("Q4{nul}\tlaunch\n"),
                serde_json::json!({
                    "sequence": [first_step, {"type": "wait", "order": 1, "waitDays": 2}, last_step],
                    "schedule": {"timezone": "America/Chicago"},
                    "settings": webhook("whsec_\tab\u{0}cdefgh")
                }),
            ),
            (
                stored_id(0x11),
                "\u{1}\u{7f}".to_owned(),
                serde_json::json!({
                    "sequence": [{"type": "email", "order": 0, "subject": "Hello", "body": "<p>Hi</p>"}],
                    "settings": webhook("short\u{1}\u{2}ab")
                }),
            ),
            (stored_id(0x12), "Clean one".to_owned(), clean_content),
        ] {
            campaigns.values([
                id.as_str().into(),
                dirty.as_str().into(),
                user.as_str().into(),
                name.clone().into(),
                name.to_lowercase().into(),
                "draft".into(),
                content.to_string().into(),
                0.into(),
                0.into(),
            ])?;
        }
        let mut links = insert(
            "campaign_mailboxes",
            &["workspace_id", "campaign_id", "position", "mailbox_id"],
        );
        links.values([
            dirty.as_str().into(),
            stored_id(0x10).into(),
            0.into(),
            stored_id(0x20).into(),
        ])?;

        let mut subsequences = insert(
            "subsequences",
            &[
                "id",
                "campaign_id",
                "position",
                "name",
                "trigger_type",
                "trigger_value",
                "enabled",
                "archived",
                "sequence",
            ],
        );
        let follow_up = |subject: &str, body: &str| serde_json::json!([{"type": "email", "order": 0, "subject": subject, "body": body}]);
        for (id, campaign, position, name, value, archived, sequence) in [
            (
                0x40,
                0x11,
                0,
                format!("Follow{nul}\tup"),
                "hot\u{1}",
                false,
                follow_up("Re\u{1}", "<p>Again\u{1}\n</p>"),
            ),
            (
                0x41,
                0x11,
                1,
                "Warm".to_owned(),
                "Hot",
                false,
                follow_up("Re", "<p>Warm</p>"),
            ),
            (
                0x42,
                0x11,
                2,
                "Old\u{1}".to_owned(),
                "\u{1}",
                true,
                follow_up("Re", "<p>Old</p>"),
            ),
            (
                0x43,
                0x12,
                0,
                "Clean".to_owned(),
                "hot",
                false,
                follow_up("", "<p>Line\n\tbreak</p>"),
            ),
        ] {
            subsequences.values([
                stored_id(id).into(),
                stored_id(campaign).into(),
                position.into(),
                name.into(),
                "ai_tag".into(),
                value.into(),
                true.into(),
                archived.into(),
                sequence.into(),
            ])?;
        }
        for statement in [
            workspaces,
            memberships,
            agents,
            mailboxes,
            mailbox_tags,
            campaigns,
            links,
            subsequences,
        ] {
            writer.execute(&statement).await?;
        }
        clean_rows(writer).await
    }

    /// The rows without control characters: table, id number and the columns compared.
    const CLEAN_ROWS: [(&str, u64, &[&str]); 6] = [
        ("workspaces", 3, &["name"]),
        (
            "agents",
            0x31,
            &["name", "company_description", "persona_tone"],
        ),
        (
            "mailboxes",
            0x21,
            &["display_name", "display_name_folded", "signature", "tags"],
        ),
        (
            "campaigns",
            0x12,
            &["name", "name_folded", "content", "version"],
        ),
        ("subsequences", 0x41, &["name", "trigger_value", "sequence"]),
        ("subsequences", 0x43, &["name", "trigger_value", "sequence"]),
    ];

    /// The texts of the rows without control characters, as stored.
    async fn clean_rows(writer: &DatabaseConnection) -> anyhow::Result<Vec<Vec<Option<String>>>> {
        let mut rows = Vec::with_capacity(CLEAN_ROWS.len());
        for (table, number, columns) in CLEAN_ROWS {
            rows.push(stored(writer, table, &stored_id(number), columns).await?);
        }
        Ok(rows)
    }

    #[tokio::test]
    async fn texts_stored_with_control_characters_read_again_cleaned_and_clean_rows_stay_as_they_were()
    -> anyhow::Result<()> {
        for backend in backends() {
            let database = unmigrated_database(backend).await?;
            let writer = &database.pools().writer;
            Migrator::up(writer, Some(12)).await?;
            let clean_before = store_earlier_rows(writer, backend).await?;

            let workspace = parsed(WorkspaceId::parse, &stored_id(2))?;
            let campaign = |number| parsed(CampaignId::parse, &stored_id(number));
            let mailbox = parsed(MailboxId::parse, &stored_id(0x20))?;
            // Before: none of them reads, nor any list they are in.
            let unreadable = [
                (database.campaigns().find(workspace, campaign(0x10)?).await).is_err(),
                (database
                    .campaigns()
                    .list(workspace, &CampaignQuery::default())
                    .await)
                    .is_err(),
                (database
                    .mailboxes()
                    .list(workspace, &MailboxQuery::default())
                    .await)
                    .is_err(),
                (database.agents().list(workspace).await).is_err(),
                (database.identity().find_workspace(workspace).await).is_err(),
            ];
            assert_eq!(unreadable, [true; 5], "{backend:?}");

            Migrator::up(writer, None).await?;

            assert_eq!(
                clean_rows(writer).await?,
                clean_before,
                "{backend:?}: clean rows changed"
            );

            let identity = database.identity();
            let found = identity
                .find_workspace(workspace)
                .await?
                .ok_or_else(|| anyhow::anyhow!("workspace gone"))?;
            assert_eq!(found.name().as_str(), "Acme Corp", "{backend:?}");
            let user = parsed(domain::id::UserId::parse, &stored_id(1))?;
            let names: Vec<String> = identity
                .workspaces_of(user)
                .await?
                .iter()
                .map(|(workspace, _)| workspace.name().as_str().to_owned())
                .collect();
            assert_eq!(names, ["Acme Corp"], "{backend:?}");

            let agents = database.agents().list(workspace).await?;
            let fields = agents
                .first()
                .map(|agent| agent.fields().clone())
                .ok_or_else(|| anyhow::anyhow!("no agent"))?;
            assert_eq!(fields.name(), "Ava", "{backend:?}");
            assert_eq!(fields.company_info().name.as_deref(), Some("Acme Inc"));
            assert_eq!(
                fields.company_info().description.as_deref(),
                Some("Line one line two")
            );
            let persona = fields.persona();
            assert_eq!(
                [
                    persona.tone.as_deref(),
                    persona.role.as_deref(),
                    persona.communication_style.as_deref(),
                    persona.custom_instructions.as_deref()
                ],
                [Some("warm"), None, Some("brief  "), Some("Be kind.")],
                "{backend:?}"
            );

            let found = database
                .mailboxes()
                .find(workspace, mailbox)
                .await?
                .ok_or_else(|| anyhow::anyhow!("mailbox gone"))?;
            assert_eq!(
                found.fields().display_name(),
                Some("Ana Lee"),
                "{backend:?}"
            );
            assert_eq!(found.fields().tags(), ["Sales", "eu north"], "{backend:?}");
            assert_eq!(
                found.fields().signature(),
                Some("Best,\r\nAna\tLee"),
                "{backend:?}"
            );
            let all = database
                .mailboxes()
                .list(workspace, &MailboxQuery::default())
                .await?;
            assert_eq!(all.total, 2, "{backend:?}");
            // The search and tag indexes hold the cleaned texts.
            for query in [
                MailboxQuery {
                    search: MailboxSearch::parse(Some("ana lee"))
                        .map_err(|invalid| anyhow::anyhow!(invalid.message))?,
                    ..MailboxQuery::default()
                },
                MailboxQuery {
                    tags: TagFilter::parse(Some("EU NORTH"), TagMode::Any)
                        .map_err(|invalid| anyhow::anyhow!(invalid.message))?,
                    ..MailboxQuery::default()
                },
                MailboxQuery {
                    tags: TagFilter::parse(Some("sales,eu north"), TagMode::All)
                        .map_err(|invalid| anyhow::anyhow!(invalid.message))?,
                    ..MailboxQuery::default()
                },
            ] {
                let page = database.mailboxes().list(workspace, &query).await?;
                let ids: Vec<MailboxId> =
                    page.mailboxes.iter().map(|mailbox| mailbox.id()).collect();
                assert_eq!(ids, [mailbox], "{backend:?} {query:?}");
            }

            let found = database
                .campaigns()
                .find(workspace, campaign(0x10)?)
                .await?
                .ok_or_else(|| anyhow::anyhow!("campaign gone"))?;
            assert_eq!(found.version, Version(1), "{backend:?}");
            let content = found.campaign.content();
            assert_eq!(content.name.as_deref(), Some("Q4 launch"));
            let steps = content.sequence.unwrap_or_default();
            let StepRequest {
                name,
                subject,
                body,
                conditional_variables,
                variants,
                ..
            } = steps[0].clone();
            assert_eq!(name.as_deref(), Some("Intro"), "{backend:?}");
            assert_eq!(subject.as_deref(), Some("Hi {{firstName}}"), "{backend:?}");
            assert_eq!(
                body.as_deref(),
                Some("<p>Hi[31m,\r\n\tthere</p>"),
                "{backend:?}"
            );
            let variable = conditional_variables.unwrap_or_default()[0].clone();
            let condition = variable.conditions.unwrap_or_default()[0].clone();
            assert_eq!(
                [
                    condition.field.as_deref(),
                    condition.value.as_deref(),
                    condition.then.as_deref(),
                    variable.otherwise.as_deref()
                ],
                [
                    Some("company"),
                    Some("Acme"),
                    Some("Hey Acme"),
                    Some("there")
                ],
                "{backend:?}"
            );
            let variants: Vec<(Option<String>, Option<String>)> = variants
                .unwrap_or_default()
                .into_iter()
                .map(|variant| (variant.subject, variant.body))
                .collect();
            assert_eq!(
                variants,
                [
                    (
                        Some("Hi {{firstName}}".to_owned()),
                        Some("<p>Hi[31m,\r\n\tthere</p>".to_owned())
                    ),
                    (Some(PLACEHOLDER.to_owned()), Some("<p>B</p>".to_owned())),
                ],
                "{backend:?}"
            );
            assert_eq!(
                (steps[2].subject.as_deref(), steps[2].body.as_deref()),
                (Some(" "), Some("<p>Bye</p>")),
                "{backend:?}"
            );
            let webhook = content
                .settings
                .unwrap_or_default()
                .webhook
                .unwrap_or_default();
            assert_eq!(
                webhook.secret.as_deref(),
                Some("whsec_ abcdefgh"),
                "{backend:?}"
            );

            let found = database
                .campaigns()
                .find(workspace, campaign(0x11)?)
                .await?
                .ok_or_else(|| anyhow::anyhow!("campaign gone"))?;
            assert_eq!(found.version, Version(1), "{backend:?}");
            let content = found.campaign.content();
            assert_eq!(content.name.as_deref(), Some(PLACEHOLDER));
            let webhook = content
                .settings
                .unwrap_or_default()
                .webhook
                .unwrap_or_default();
            assert_eq!(
                (webhook.enabled, webhook.secret),
                (Some(true), None),
                "{backend:?}: a secret too short to keep"
            );
            // Name, trigger value, and the first step's subject and body of each subsequence.
            let subsequences: Vec<[Option<String>; 4]> = content
                .subsequences
                .unwrap_or_default()
                .into_iter()
                .map(|subsequence| {
                    let step = subsequence
                        .sequence
                        .unwrap_or_default()
                        .first()
                        .cloned()
                        .unwrap_or_default();
                    [
                        subsequence.name,
                        subsequence.trigger.and_then(|trigger| trigger.value),
                        step.subject,
                        step.body,
                    ]
                })
                .collect();
            let texts = |texts: [&str; 4]| texts.map(|text| Some(text.to_owned()));
            assert_eq!(
                subsequences,
                [
                    texts(["Follow up", "hot (2)", "Re", "<p>Again\n</p>"]),
                    texts(["Warm", "Hot", "Re", "<p>Warm</p>"]),
                    texts(["Old", PLACEHOLDER, "Re", "<p>Old</p>"]),
                ],
                "{backend:?}"
            );

            let page = database
                .campaigns()
                .list(workspace, &CampaignQuery::default())
                .await?;
            let names: Vec<String> = page
                .campaigns
                .iter()
                .map(|campaign| campaign.name().as_str().to_owned())
                .collect();
            assert_eq!(
                names,
                ["Clean one", PLACEHOLDER, "Q4 launch"],
                "{backend:?}"
            );
            let search = CampaignQuery {
                name: domain::listing::NameSearch::parse(Some("q4 launch"))
                    .map_err(|invalid| anyhow::anyhow!(invalid.message))?,
                ..CampaignQuery::default()
            };
            assert_eq!(
                database.campaigns().list(workspace, &search).await?.total,
                1,
                "{backend:?}"
            );
        }
        Ok(())
    }
}
