//! `sendline serve --demo`: make sure a demo workspace exists with three mailboxes tagged `outreach`
//! (gmail, outlook, custom) and one agent, and hand out its workspace key: the saved one while it still
//! authenticates, so scripts written against an earlier start keep working, else a fresh one.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::agent::MAX_AGENTS_PER_WORKSPACE;
use domain::id::{AgentId, MailboxId, UserId, WorkspaceId};
use domain::identity::{ApiKey, ApiKeyKind, ApiKeySecret, User, Workspace, WorkspaceName};
use domain::mailbox::{Mailbox, MailboxFields};
use domain::request::{AgentRequest, CompanyInfoRequest, MailboxRequest, PersonaRequest};
use domain::values::EmailAddress;

use crate::ports::{
    AgentInsertError, AgentRepository, Clock, DemoKeyStore, IdGenerator, IdentityRepository,
    MailboxRepository, RepositoryError, SecretGenerator,
};

pub const DEMO_USER_EMAIL: &str = "demo@example.com";
pub const DEMO_WORKSPACE_NAME: &str = "Demo workspace";
const DEMO_MAILBOXES: [(&str, &str, &str); 3] = [
    ("alex@outreach.example.com", "gmail", "Alex Rivera"),
    ("sam@outreach.example.com", "outlook", "Sam Lee"),
    ("jordan@outreach.example.com", "custom", "Jordan Kim"),
];

/// The demo workspace and its key.
#[derive(Debug)]
pub struct Demo {
    pub workspace_id: WorkspaceId,
    pub workspace_key: ApiKeySecret,
    pub key_origin: DemoKeyOrigin,
}

/// Where the demo's key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoKeyOrigin {
    /// The saved key still authenticates: it is the one an earlier start printed.
    Saved,
    /// A new key (nothing saved, or what was saved no longer authenticates); any previous demo key is
    /// revoked.
    Issued,
}

#[derive(Clone)]
pub struct EnsureDemo {
    pub identity: Arc<dyn IdentityRepository>,
    pub mailboxes: Arc<dyn MailboxRepository>,
    pub agents: Arc<dyn AgentRepository>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub secrets: Arc<dyn SecretGenerator>,
    /// Where the key is kept between starts; `None` when nothing outlives the process (an in-memory
    /// database), and then every start issues a key.
    pub saved_key: Option<Arc<dyn DemoKeyStore>>,
}

impl std::fmt::Debug for EnsureDemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnsureDemo").finish_non_exhaustive()
    }
}

impl EnsureDemo {
    /// Idempotent: what exists is kept; what is missing is added. The saved key is handed out again
    /// while it is the demo workspace's live key; otherwise a new one replaces it (in the store first,
    /// so a store that cannot be written leaves the previous key working) and any previous one is
    /// revoked, since a workspace has one live key.
    pub async fn execute(&self) -> anyhow::Result<Demo> {
        let now = self.clock.now();
        let user = self.demo_user().await?;
        let workspace_id = match self.identity.workspaces_of(user).await?.first() {
            Some((workspace, _)) => workspace.id(),
            None => {
                let workspace = Workspace::new(
                    WorkspaceId::from(self.ids.new_id()),
                    WorkspaceName::parse(Some(DEMO_WORKSPACE_NAME))
                        .map_err(|invalid| anyhow::anyhow!(invalid.message))?,
                    now,
                );
                self.identity.insert_workspace(&workspace, user).await?;
                workspace.id()
            }
        };
        for (email, provider, name) in DEMO_MAILBOXES {
            let fields = MailboxFields::parse(&MailboxRequest {
                email: Some(email.to_owned()),
                provider: Some(provider.to_owned()),
                display_name: Some(name.to_owned()),
                tags: Some(vec!["outreach".to_owned()]),
                ..MailboxRequest::default()
            })
            .map_err(|problems| anyhow::anyhow!("demo mailbox {email}: {problems:?}"))?;
            let mailbox = Mailbox::register(
                MailboxId::from(self.ids.new_id()),
                workspace_id,
                fields,
                now,
            );
            match self.mailboxes.insert(&mailbox).await {
                Ok(()) | Err(RepositoryError::Conflict(_)) => {}
                Err(error) => return Err(error.into()),
            }
        }
        if self.agents.default_agent(workspace_id).await?.is_none() {
            let fields = domain::agent::AgentFields::parse(&demo_agent())
                .map_err(|problems| anyhow::anyhow!("demo agent: {problems:?}"))?;
            match self
                .agents
                .insert(
                    AgentId::from(self.ids.new_id()),
                    workspace_id,
                    &fields,
                    now,
                    MAX_AGENTS_PER_WORKSPACE,
                )
                .await
            {
                Ok(_) | Err(AgentInsertError::LimitReached(_)) => {}
                Err(AgentInsertError::Repository(error)) => return Err(error.into()),
            }
        }
        let (workspace_key, key_origin) = self.workspace_key(user, workspace_id, now).await?;
        Ok(Demo {
            workspace_id,
            workspace_key,
            key_origin,
        })
    }

    async fn workspace_key(
        &self,
        user: UserId,
        workspace: WorkspaceId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<(ApiKeySecret, DemoKeyOrigin)> {
        if let Some(store) = &self.saved_key {
            let saved = store.load().await?;
            if let Some(saved) = saved
                .as_deref()
                .map(str::trim)
                .and_then(ApiKeySecret::parse)
                && self.is_live_key_of(&saved, workspace).await?
            {
                return Ok((saved, DemoKeyOrigin::Saved));
            }
        }
        let key = self.secrets.api_key(ApiKeyKind::Workspace);
        if let Some(store) = &self.saved_key {
            store.save(&key).await?;
        }
        self.identity.revoke_workspace_key(workspace, now).await?;
        self.identity
            .insert_api_key(&ApiKey::issue(
                self.ids.new_id(),
                &key,
                user,
                Some(workspace),
                now,
            ))
            .await?;
        Ok((key, DemoKeyOrigin::Issued))
    }

    /// Whether `key` authenticates as a workspace key of `workspace` now.
    async fn is_live_key_of(
        &self,
        key: &ApiKeySecret,
        workspace: WorkspaceId,
    ) -> Result<bool, RepositoryError> {
        Ok(self
            .identity
            .find_api_key(key.hash())
            .await?
            .is_some_and(|stored| {
                !stored.is_revoked()
                    && stored.kind == ApiKeyKind::Workspace
                    && stored.workspace_id == Some(workspace)
            }))
    }

    async fn demo_user(&self) -> anyhow::Result<UserId> {
        let email = EmailAddress::parse(DEMO_USER_EMAIL)
            .map_err(|invalid| anyhow::anyhow!(invalid.message))?;
        if let Some(user) = self.identity.find_user_by_email(&email).await? {
            return Ok(user.id());
        }
        let user = User::new(UserId::from(self.ids.new_id()), email, self.clock.now());
        self.identity.insert_user(&user).await?;
        Ok(user.id())
    }
}

fn demo_agent() -> AgentRequest {
    AgentRequest {
        name: Some("Demo reply agent".to_owned()),
        company_info: Some(CompanyInfoRequest {
            name: Some("Sendline Demo Co.".to_owned()),
            description: Some("A made-up company for trying Sendline.".to_owned()),
        }),
        persona: Some(PersonaRequest {
            tone: Some("friendly".to_owned()),
            role: Some("SDR".to_owned()),
            communication_style: Some("concise".to_owned()),
            custom_instructions: None,
        }),
    }
}

#[cfg(test)]
mod tests;
