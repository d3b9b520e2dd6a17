//! Checks on the OpenAPI document: it matches what the server reads, tells the truth about
//! authentication and errors, and the committed copy is current.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::openapi::openapi_json;

fn document() -> Value {
    serde_json::from_str(&openapi_json()).expect("the document is JSON")
}

/// Every property a schema accepts, following `$ref`, `allOf` and `oneOf` (a union accepts the
/// properties of all its variants, discriminator included).
fn properties(document: &Value, schema: &Value, into: &mut BTreeSet<String>) {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        properties(document, &document["components"]["schemas"][name], into);
    }
    if let Some(object) = schema["properties"].as_object() {
        into.extend(object.keys().cloned());
    }
    for composition in ["allOf", "oneOf", "anyOf"] {
        for part in schema[composition].as_array().into_iter().flatten() {
            properties(document, part, into);
        }
    }
}

fn properties_of(document: &Value, name: &str) -> BTreeSet<String> {
    let schema = &document["components"]["schemas"][name];
    assert!(schema.is_object(), "no schema {name} in the document");
    let mut found = BTreeSet::new();
    properties(document, schema, &mut found);
    found
}

/// A schema without its descriptions and defaults: a create's member has the domain's default, the same
/// member of a PATCH none (left out, it keeps the stored value).
fn without_descriptions_and_defaults(schema: &mut Value) {
    match schema {
        Value::Object(members) => {
            members.remove("description");
            members.remove("default");
            members
                .values_mut()
                .for_each(without_descriptions_and_defaults);
        }
        Value::Array(items) => items.iter_mut().for_each(without_descriptions_and_defaults),
        _ => {}
    }
}

/// A PATCH body is merged into the stored campaign written in create form and read as a create body,
/// so the document must offer exactly the same members for both.
#[test]
fn the_update_body_declares_the_members_of_the_create_body() {
    let document = document();
    let create = properties_of(&document, "CreateCampaignRequest");
    assert!(create.contains("settings"), "{create:?}");
    assert_eq!(properties_of(&document, "UpdateCampaignRequest"), create);
    let schemas = &document["components"]["schemas"];
    for member in &create {
        let shape = |schema: &str| {
            let mut property = schemas[schema]["properties"][member].clone();
            without_descriptions_and_defaults(&mut property);
            property
        };
        assert_eq!(
            shape("UpdateCampaignRequest"),
            shape("CreateCampaignRequest"),
            "{member} differs"
        );
    }
}

#[test]
fn each_operation_documents_its_request_body_schema() {
    let document = document();
    for (path, method, schema) in [
        ("/v1/campaigns", "post", "CreateCampaignRequest"),
        (
            "/v1/campaigns/{campaignId}",
            "patch",
            "UpdateCampaignRequest",
        ),
        ("/v1/mailboxes", "post", "RegisterMailboxRequest"),
        ("/v1/mailboxes/{mailboxId}", "patch", "UpdateMailboxRequest"),
        ("/v1/agents", "post", "CreateAgentRequest"),
        ("/v1/workspaces", "post", "CreateWorkspaceRequest"),
    ] {
        let body = &document["paths"][path][method]["requestBody"];
        assert_eq!(body["required"], true, "{path}");
        assert_eq!(
            body["content"]["application/json"]["schema"]["$ref"],
            format!("#/components/schemas/{schema}"),
            "{path}"
        );
    }
}

#[test]
fn the_legacy_settings_field_is_documented_as_deprecated() {
    let document = document();
    assert_eq!(
        document["components"]["schemas"]["SettingsInput"]["properties"]["espMatchingRules"]["deprecated"],
        true
    );
}

#[test]
fn workspace_scoped_operations_declare_both_key_schemes_and_the_workspace_header() {
    let document = document();
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(schemes["ApiKey"]["type"], "apiKey");
    assert_eq!(schemes["ApiKey"]["in"], "header");
    assert_eq!(schemes["ApiKey"]["name"], "X-Api-Key");
    assert_eq!(schemes["Bearer"]["type"], "http");
    assert_eq!(schemes["Bearer"]["scheme"], "bearer");
    for (path, method) in [
        ("/v1/campaigns", "post"),
        ("/v1/campaigns", "get"),
        ("/v1/campaigns/{campaignId}", "get"),
        ("/v1/campaigns/{campaignId}", "patch"),
        ("/v1/campaigns/{campaignId}", "delete"),
        ("/v1/campaigns/{campaignId}/start", "post"),
        ("/v1/campaigns/{campaignId}/pause", "post"),
        ("/v1/campaigns/{campaignId}/resume", "post"),
        ("/v1/campaigns/{campaignId}/archive", "post"),
        ("/v1/mailboxes", "post"),
        ("/v1/mailboxes", "get"),
        ("/v1/mailboxes/{mailboxId}", "get"),
        ("/v1/mailboxes/{mailboxId}", "patch"),
        ("/v1/mailboxes/{mailboxId}", "delete"),
        ("/v1/agents", "post"),
        ("/v1/agents", "get"),
    ] {
        let operation = &document["paths"][path][method];
        // Two requirement objects: either key style alone authenticates.
        assert_eq!(
            operation["security"],
            serde_json::json!([{"ApiKey": []}, {"Bearer": []}]),
            "{method} {path}"
        );
        let parameters = operation["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let header = parameters
            .iter()
            .find(|parameter| parameter["name"] == "X-Workspace-Id")
            .unwrap_or_else(|| panic!("{method} {path} does not declare X-Workspace-Id"));
        assert_eq!(header["in"], "header");
        assert_eq!(header["required"], false);
    }
    for path in ["/healthz", "/readyz"] {
        assert!(
            document["paths"][path]["get"]["security"].is_null(),
            "{path} needs no key"
        );
    }
}

/// `/v1/account` and `/v1/workspaces…` name their workspace in the path or need none (spec section 2).
const KEY_HOLDER_OPERATIONS: &[(&str, &str)] = &[
    ("/v1/account", "get"),
    ("/v1/workspaces", "get"),
    ("/v1/workspaces", "post"),
    ("/v1/workspaces/{workspaceId}", "get"),
    ("/v1/workspaces/{workspaceId}/api-key", "post"),
    ("/v1/workspaces/{workspaceId}/api-key", "delete"),
];

#[test]
fn account_and_workspace_operations_declare_both_key_schemes_and_no_workspace_header() {
    let document = document();
    for (path, method) in KEY_HOLDER_OPERATIONS {
        let operation = &document["paths"][path][method];
        assert!(operation.is_object(), "no operation {method} {path}");
        assert_eq!(
            operation["security"],
            serde_json::json!([{"ApiKey": []}, {"Bearer": []}]),
            "{method} {path}"
        );
        let parameters = operation["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            parameters
                .iter()
                .all(|parameter| parameter["name"] != "X-Workspace-Id"),
            "{method} {path} declares X-Workspace-Id"
        );
    }
    for (path, name) in [
        ("/v1/workspaces", "cursor"),
        ("/v1/workspaces", "limit"),
        ("/v1/workspaces/{workspaceId}", "workspaceId"),
    ] {
        let declared = document["paths"][path]["get"]["parameters"]
            .as_array()
            .is_some_and(|parameters| parameters.iter().any(|parameter| parameter["name"] == name));
        assert!(declared, "GET {path} does not declare {name}");
    }
}

#[test]
fn every_operation_declares_its_error_responses_with_the_envelope() {
    let document = document();
    let expected: &[(&str, &str, &[&str])] = &[
        (
            "/v1/campaigns",
            "post",
            &[
                "201", "400", "401", "403", "408", "409", "413", "415", "422", "429", "500", "503",
            ],
        ),
        (
            "/v1/mailboxes",
            "post",
            &[
                "201", "400", "401", "403", "408", "409", "413", "415", "422", "429", "500", "503",
            ],
        ),
        (
            "/v1/agents",
            "post",
            &[
                "201", "400", "401", "403", "408", "409", "413", "415", "422", "429", "500", "503",
            ],
        ),
        (
            "/v1/campaigns",
            "get",
            &["200", "400", "401", "403", "429", "500", "503"],
        ),
        (
            "/v1/mailboxes",
            "get",
            &["200", "400", "401", "403", "429", "500", "503"],
        ),
        (
            "/v1/mailboxes/{mailboxId}",
            "get",
            &["200", "400", "401", "403", "404", "429", "500", "503"],
        ),
        (
            "/v1/mailboxes/{mailboxId}",
            "patch",
            &[
                "200", "400", "401", "403", "404", "408", "413", "415", "429", "500", "503",
            ],
        ),
        (
            "/v1/mailboxes/{mailboxId}",
            "delete",
            &["200", "400", "401", "403", "404", "429", "500", "503"],
        ),
        (
            "/v1/campaigns/{campaignId}",
            "get",
            &["200", "400", "401", "403", "404", "429", "500", "503"],
        ),
        (
            "/v1/campaigns/{campaignId}",
            "patch",
            &[
                "200", "400", "401", "403", "404", "408", "409", "413", "415", "429", "500", "503",
            ],
        ),
        (
            "/v1/campaigns/{campaignId}",
            "delete",
            &[
                "200", "400", "401", "403", "404", "409", "429", "500", "503",
            ],
        ),
        (
            "/v1/campaigns/{campaignId}/start",
            "post",
            &[
                "200", "400", "401", "403", "404", "408", "409", "413", "422", "429", "500", "503",
            ],
        ),
        (
            "/v1/campaigns/{campaignId}/pause",
            "post",
            &[
                "200", "400", "401", "403", "404", "408", "409", "413", "422", "429", "500", "503",
            ],
        ),
        (
            "/v1/campaigns/{campaignId}/resume",
            "post",
            &[
                "200", "400", "401", "403", "404", "408", "409", "413", "422", "429", "500", "503",
            ],
        ),
        (
            "/v1/campaigns/{campaignId}/archive",
            "post",
            &[
                "200", "400", "401", "403", "404", "408", "409", "413", "422", "429", "500", "503",
            ],
        ),
        (
            "/v1/agents",
            "get",
            &["200", "400", "401", "403", "429", "500", "503"],
        ),
        ("/readyz", "get", &["200", "429", "500", "503"]),
        ("/healthz", "get", &["200", "429", "500", "503"]),
        (
            "/v1/account",
            "get",
            &["200", "400", "401", "403", "429", "500", "503"],
        ),
        (
            "/v1/workspaces",
            "get",
            &["200", "400", "401", "429", "500", "503"],
        ),
        (
            "/v1/workspaces",
            "post",
            &[
                "201", "400", "401", "403", "408", "409", "413", "415", "422", "429", "500", "503",
            ],
        ),
        (
            "/v1/workspaces/{workspaceId}",
            "get",
            &["200", "400", "401", "404", "429", "500", "503"],
        ),
        (
            "/v1/workspaces/{workspaceId}/api-key",
            "post",
            &[
                "201", "400", "401", "403", "404", "408", "409", "413", "422", "429", "500", "503",
            ],
        ),
        (
            "/v1/workspaces/{workspaceId}/api-key",
            "delete",
            &["200", "400", "401", "403", "404", "429", "500", "503"],
        ),
    ];
    for (path, method, statuses) in expected {
        let responses = &document["paths"][path][method]["responses"];
        let declared: BTreeSet<&str> = responses
            .as_object()
            .map(|responses| responses.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(
            declared,
            statuses.iter().copied().collect(),
            "{method} {path}"
        );
        for status in statuses.iter().filter(|status| !status.starts_with('2')) {
            // The envelope, with the example of this status (`allOf` carries it beside the reference).
            let schema = &responses[status]["content"]["application/json; charset=utf-8"]["schema"];
            assert_eq!(
                schema["allOf"][0]["$ref"], "#/components/schemas/Error",
                "{method} {path} {status}"
            );
        }
    }
}

#[test]
fn the_committed_openapi_document_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == openapi_json(),
        "api/openapi.json is stale or missing; regenerate it with `cargo xtask openapi`"
    );
}

#[test]
fn the_mailbox_list_documents_its_query_parameters_with_their_validators() {
    let document = document();
    let parameters = document["paths"]["/v1/mailboxes"]["get"]["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let parameter = |name: &str| {
        parameters
            .iter()
            .find(|parameter| parameter["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no query parameter {name}"))
    };
    for name in [
        "provider", "status", "tags", "tagMode", "search", "cursor", "limit",
    ] {
        let found = parameter(name);
        assert_eq!(found["in"], "query", "{name}");
        assert_eq!(found["required"], false, "{name}");
    }
    assert_eq!(
        parameter("provider")["schema"]["$ref"],
        "#/components/schemas/MailboxProvider"
    );
    assert_eq!(
        parameter("status")["schema"]["$ref"],
        "#/components/schemas/MailboxStatus"
    );
    assert_eq!(
        parameter("tagMode")["schema"]["$ref"],
        "#/components/schemas/TagMode"
    );
    assert_eq!(
        document["components"]["schemas"]["TagMode"]["enum"],
        serde_json::json!(["any", "all"])
    );
    assert_eq!(parameter("search")["schema"]["maxLength"], 254);
    assert_eq!(parameter("cursor")["schema"]["pattern"], "^[0-9a-f]{24}$");
    assert_eq!(parameter("limit")["schema"]["minimum"], 1.0);
    assert_eq!(parameter("limit")["schema"]["maximum"], 100.0);
}

#[test]
fn no_mailbox_schema_has_a_credential_field() {
    let document = document();
    let looks_secret = |property: &str| {
        let lower = property.to_lowercase();
        ["password", "credential", "token", "secret", "oauth"]
            .iter()
            .any(|secret| lower.contains(secret))
    };
    // What reads answer: nothing that looks like a credential at all.
    for schema in ["Mailbox", "MailboxTest", "ConnectionCheck"] {
        for property in properties_of(&document, schema) {
            assert!(
                !looks_secret(&property),
                "{schema}.{property} looks like a credential"
            );
        }
    }
    // What writes take: the two passwords (SENDING.md section 1), write-only, and nothing else.
    for schema in ["RegisterMailboxRequest", "UpdateMailboxRequest"] {
        let secrets: Vec<String> = properties_of(&document, schema)
            .into_iter()
            .filter(|property| looks_secret(property))
            .collect();
        assert_eq!(secrets, ["imapPassword", "smtpPassword"], "{schema}");
        for secret in &secrets {
            assert_eq!(
                document["components"]["schemas"][schema]["properties"][secret]["writeOnly"], true,
                "{schema}.{secret} is write-only"
            );
        }
    }
    // No schema any success answer can hold has a password member, however deep.
    let mut reachable = BTreeSet::new();
    for (path, method, status, response) in responses(&document) {
        if status.starts_with('2') {
            referenced_schemas(&document, response, &mut reachable);
            assert!(
                !response.to_string().to_lowercase().contains("password\":"),
                "{method} {path} {status} names a password"
            );
        }
    }
    assert!(reachable.contains("Mailbox"), "{reachable:?}");
    assert!(reachable.contains("MailboxTest"), "{reachable:?}");
    for schema in &reachable {
        for property in properties_of(&document, schema) {
            assert!(
                !property.to_lowercase().contains("password"),
                "{schema}.{property}: an answer never holds a password"
            );
        }
    }
}

/// The names of every component schema `value` refers to, and those they refer to, transitively.
fn referenced_schemas(document: &Value, value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                if key == "$ref" {
                    if let Some(name) = member
                        .as_str()
                        .and_then(|reference| reference.strip_prefix("#/components/schemas/"))
                        && found.insert(name.to_owned())
                    {
                        referenced_schemas(
                            document,
                            &document["components"]["schemas"][name],
                            found,
                        );
                    }
                } else {
                    referenced_schemas(document, member, found);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                referenced_schemas(document, item, found);
            }
        }
        _ => {}
    }
}

/// Every `(path, method, status, response)` of the document.
fn responses(document: &Value) -> Vec<(String, String, String, &Value)> {
    let mut found = Vec::new();
    for (path, operations) in document["paths"].as_object().into_iter().flatten() {
        for (method, operation) in operations.as_object().into_iter().flatten() {
            for (status, response) in operation["responses"].as_object().into_iter().flatten() {
                found.push((path.clone(), method.clone(), status.clone(), response));
            }
        }
    }
    found
}

/// Issue 17: an error example is an envelope the server sends for that status, not the schema's
/// made-up values (`"success": true, "code": 0` under a 401).
#[test]
fn every_error_example_is_an_envelope_of_its_status() {
    let document = document();
    let mut checked = 0;
    for (path, method, status, response) in responses(&document) {
        // Successes, and the tracked link's redirect (302), are not errors.
        if status.starts_with('2') || status.starts_with('3') {
            continue;
        }
        let at = format!("{method} {path} {status}");
        let example = &response["content"]["application/json; charset=utf-8"]["schema"]["example"];
        let code: u16 = status.parse().expect("a numeric status");
        assert_eq!(example["code"], code, "{at}: {example}");
        assert_eq!(example["success"], false, "{at}");
        let reason = poem::http::StatusCode::from_u16(code)
            .ok()
            .and_then(|status| status.canonical_reason());
        assert_eq!(example["error"].as_str(), reason, "{at}");
        assert!(example["errorCode"].is_string(), "{at}");
        assert!(
            example["message"]
                .as_str()
                .is_some_and(|message| !message.is_empty()),
            "{at}"
        );
        assert!(example["errors"].is_array(), "{at}");
        checked += 1;
    }
    assert!(checked > 100, "only {checked} error responses");
}

/// A body refused for its content shows the problems it has, each with its pointer.
#[test]
fn the_create_operation_shows_a_refused_body_with_every_problem() {
    let document = document();
    let example = &document["paths"]["/v1/campaigns"]["post"]["responses"]["400"]["content"]["application/json; charset=utf-8"]
        ["schema"]["example"];
    assert_eq!(example["errorCode"], "VALIDATION_FAILED");
    let pointers: Vec<&str> = example["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|problem| problem["pointer"].as_str())
        .collect();
    assert_eq!(pointers, ["/setings", "/name", "/sequence/0/type"]);
}

/// The schema (by its `$ref`) of an operation's request body.
fn request_schemas(document: &Value) -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    for (path, operations) in document["paths"].as_object().into_iter().flatten() {
        for (method, operation) in operations.as_object().into_iter().flatten() {
            let Some(body) = operation.get("requestBody") else {
                continue;
            };
            // The CSV import's form is not JSON; `the_csv_import_documents_its_form` covers it.
            if body["content"].get("application/json").is_none() {
                continue;
            }
            let reference = body["content"]["application/json"]["schema"]["$ref"]
                .as_str()
                .and_then(|reference| reference.strip_prefix("#/components/schemas/"))
                .expect("a request body refers to its schema");
            found.push((path.clone(), method.clone(), reference.to_owned()));
        }
    }
    found
}

/// Issue 17: the docs UI fills in the schema's example; the create's is SendKit's own request.
#[test]
fn every_request_body_has_an_example_and_the_create_example_is_the_seed() {
    let document = document();
    let schemas = &document["components"]["schemas"];
    let bodies = request_schemas(&document);
    assert_eq!(bodies.len(), 17, "{bodies:?}");
    for (path, method, schema) in &bodies {
        assert!(
            schemas[schema]["example"].is_object(),
            "{method} {path}: {schema} has no example"
        );
    }
    let seed: Value =
        serde_json::from_str(include_str!("../tests/fixtures/seed_create_campaign.json"))
            .expect("the seed is JSON");
    assert_eq!(schemas["CreateCampaignRequest"]["example"], seed);
}

/// What a member's description names as its default: `(default 15)`, ``(default `true`)``,
/// ``Default `disabled`.``; nothing for `(default none…)`.
fn documented_default(description: &str) -> Option<Value> {
    static DEFAULT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?:\(default|^Default)\s+(`[^`]*`|[0-9]+)").expect("a valid pattern")
    });
    let token = DEFAULT.captures(description)?.get(1)?.as_str();
    let token = token.trim_matches('`');
    Some(serde_json::from_str(token).unwrap_or_else(|_| Value::from(token)))
}

/// Issue 17: every request member whose description names a default carries it as `default`, and it
/// is the same value (the schema's comes from the domain, the description is written by hand).
#[test]
fn every_request_member_with_a_default_declares_it_in_the_schema() {
    let document = document();
    let mut checked = 0;
    for (name, schema) in document["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        if !(name.ends_with("Input") || name.ends_with("Request")) {
            continue;
        }
        for (member, property) in schema["properties"].as_object().into_iter().flatten() {
            let description = property["description"].as_str().unwrap_or_default();
            let Some(documented) = documented_default(description) else {
                continue;
            };
            assert_eq!(
                property["default"], documented,
                "{name}.{member}: {description}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} documented defaults");
}

#[test]
fn a_description_names_its_default_or_none() {
    assert_eq!(
        documented_default("Track opens (default `true`)."),
        Some(Value::Bool(true))
    );
    assert_eq!(
        documented_default("Default `disabled`."),
        Some(Value::from("disabled"))
    );
    assert_eq!(
        documented_default("1–1,440 (default 15)."),
        Some(Value::from(15))
    );
    assert_eq!(
        documented_default("no duplicates\n(default `[1,2,3,4,5]`)."),
        Some(serde_json::json!([1, 2, 3, 4, 5]))
    );
    assert_eq!(
        documented_default("1–10,000 (default none: mailbox limits apply)."),
        None
    );
    assert_eq!(
        documented_default("If omitted, a default variant `A` is seeded"),
        None
    );
}

#[test]
fn the_csv_import_documents_its_form() {
    let document = document();
    let body = &document["paths"]["/v1/leads/import/csv"]["post"]["requestBody"];
    assert_eq!(body["required"], true);
    let contents: Vec<&String> = body["content"]
        .as_object()
        .expect("content")
        .keys()
        .collect();
    assert_eq!(contents, ["multipart/form-data"]);
    let form = &body["content"]["multipart/form-data"]["schema"];
    assert_eq!(form["required"], serde_json::json!(["file"]));
    assert_eq!(form["properties"]["file"]["type"], "string");
    assert_eq!(form["properties"]["file"]["format"], "binary");
    let mut parts: Vec<&String> = form["properties"]
        .as_object()
        .expect("parts")
        .keys()
        .collect();
    parts.sort_unstable();
    assert_eq!(
        parts,
        ["dataCleanup", "file", "mapping", "skipDuplicates", "tag"]
    );
}
