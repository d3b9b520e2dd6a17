//! `AgentRepository`.

use std::sync::Arc;

use application::ports::AgentInsertError;
use domain::agent::{AgentFields, MAX_AGENTS_PER_WORKSPACE};
use domain::id::AgentId;
use domain::request::{AgentRequest, CompanyInfoRequest, PersonaRequest};

use crate::support::*;

fn fields(name: &str) -> AgentFields {
    AgentFields::parse(&AgentRequest {
        name: s(name),
        company_info: Some(CompanyInfoRequest {
            name: s("Acme"),
            description: s("We make anvils."),
        }),
        persona: Some(PersonaRequest {
            tone: s("warm"),
            role: s("SDR"),
            communication_style: None,
            custom_instructions: s("Never promise delivery dates."),
        }),
    })
    .expect("valid agent fields")
}

#[tokio::test]
async fn first_agent_is_the_default_and_agents_list_oldest_first() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let agents = database.agents();
        let first = agents
            .insert(
                new_id(),
                tenant.workspace,
                &fields("Ava"),
                at(10),
                MAX_AGENTS_PER_WORKSPACE,
            )
            .await?;
        let second = agents
            .insert(
                new_id(),
                tenant.workspace,
                &fields("Ben"),
                at(20),
                MAX_AGENTS_PER_WORKSPACE,
            )
            .await?;

        assert!(first.is_default());
        assert!(!second.is_default());
        assert_eq!(
            agents.default_agent(tenant.workspace).await?,
            Some(first.id())
        );
        assert_eq!(agents.list(tenant.workspace).await?, vec![first, second]);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn agent_insert_beyond_the_limit_is_refused() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let agents = database.agents();
        for name in ["Ava", "Ben"] {
            agents
                .insert(new_id(), tenant.workspace, &fields(name), at(0), 2)
                .await?;
        }
        let refused = agents
            .insert(new_id(), tenant.workspace, &fields("Cid"), at(0), 2)
            .await;
        assert!(
            matches!(refused, Err(AgentInsertError::LimitReached(2))),
            "{refused:?}"
        );
        assert_eq!(agents.list(tenant.workspace).await?.len(), 2);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn concurrent_agent_inserts_never_exceed_the_limit() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let tenant = tenant(&database).await?;
        let agents = database.agents();
        let attempts: Vec<_> = (0..12)
            .map(|attempt| {
                let agents = Arc::clone(&agents);
                tokio::spawn(async move {
                    agents
                        .insert(
                            new_id(),
                            tenant.workspace,
                            &fields(&format!("Agent {attempt}")),
                            at(attempt),
                            MAX_AGENTS_PER_WORKSPACE,
                        )
                        .await
                })
            })
            .collect();
        let (mut stored, mut refused) = (0, 0);
        for attempt in attempts {
            match attempt.await? {
                Ok(_) => stored += 1,
                Err(AgentInsertError::LimitReached(_)) => refused += 1,
                Err(other) => anyhow::bail!("unexpected failure: {other:?}"),
            }
        }
        assert_eq!(
            (stored, refused),
            (MAX_AGENTS_PER_WORKSPACE, 12 - MAX_AGENTS_PER_WORKSPACE)
        );
        let listed = agents.list(tenant.workspace).await?;
        assert_eq!(listed.len(), MAX_AGENTS_PER_WORKSPACE);
        assert_eq!(listed.iter().filter(|agent| agent.is_default()).count(), 1);
        Ok(())
    })
    .await
}

#[tokio::test]
async fn agents_of_another_workspace_do_not_exist_there() -> anyhow::Result<()> {
    on_every_backend(async |database| {
        let owner = tenant(&database).await?;
        let stranger = tenant(&database).await?;
        let agents = database.agents();
        let agent = agents
            .insert(new_id(), owner.workspace, &fields("Ava"), at(0), 3)
            .await?;

        assert!(agents.exists(owner.workspace, agent.id()).await?);
        assert!(!agents.exists(stranger.workspace, agent.id()).await?);
        assert!(!agents.exists(owner.workspace, new_id::<AgentId>()).await?);
        assert_eq!(agents.list(stranger.workspace).await?, vec![]);
        assert_eq!(agents.default_agent(stranger.workspace).await?, None);
        Ok(())
    })
    .await
}
