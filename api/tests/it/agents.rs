//! `GET /v1/agents`: the workspace's agents, and only its own.

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn list_agents_gives_the_workspaces_agents_default_first_and_no_other_workspaces() {
    on_every_backend(|app| async move {
        let empty = app.get_with_key("/v1/agents").await;
        assert_eq!(*empty.ok(), json!([]));
        assert_eq!(
            empty.body["pagination"],
            json!({"limit": 3, "total": 0, "hasMore": false, "nextCursor": null})
        );

        app.other_workspace().await;
        let first = app.create_agent("Ava").await;
        let second = app.create_agent("Bo").await;
        let listed = app.get_with_key("/v1/agents").await;
        let agents = listed.ok().as_array().expect("a list").clone();
        let names: Vec<_> = agents.iter().map(|agent| agent["name"].clone()).collect();
        assert_eq!(
            names,
            [json!("Ava"), json!("Bo")],
            "the rival's agent is not listed"
        );
        assert_eq!(agents[0]["_id"], json!(first.id().to_string()));
        assert_eq!(agents[0]["isDefault"], true);
        assert_eq!(agents[1]["_id"], json!(second.id().to_string()));
        assert_eq!(agents[1]["isDefault"], false);
        assert_eq!(listed.body["pagination"]["total"], 2);
    })
    .await;
}

#[tokio::test]
async fn list_agents_needs_a_key() {
    on_every_backend(|app| async move {
        app.get("/v1/agents")
            .await
            .assert_error(401, "UNAUTHORIZED");
    })
    .await;
}
