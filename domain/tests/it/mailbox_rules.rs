//! Mailboxes (spec 3, mailbox rows): the fields of create and PATCH, PATCH's clamp and `null`s, and the
//! list filters that have rules of their own (tags any/all, search).

use chrono::{TimeZone, Utc};
use domain::id::{MailboxId, ObjectId, WorkspaceId};
use domain::mailbox::{
    DEFAULT_MAILBOX_DAILY_SEND_LIMIT, MAX_MAILBOX_TAGS, Mailbox, MailboxFields,
    clamp_daily_send_limit,
};
use domain::mailbox_listing::{MAX_MAILBOX_SEARCH_CHARS, MailboxSearch, TagFilter, TagMode};
use domain::mailbox_update::{MailboxChanges, MailboxPatchRequest, PatchValue};
use domain::problem::ProblemCode::{self, *};
use domain::request::MailboxRequest;

use crate::support::{expected, located, s};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

fn patch_problems(request: MailboxPatchRequest) -> Vec<(String, ProblemCode)> {
    located(&MailboxChanges::parse(&request).expect_err("refused"))
}

fn changes(request: MailboxPatchRequest) -> MailboxChanges {
    MailboxChanges::parse(&request).expect("valid changes")
}

#[test]
fn patch_clamps_the_daily_send_limit_into_1_to_50() {
    for (given, stored) in [
        (i64::MIN, 1),
        (-5, 1),
        (0, 1),
        (1, 1),
        (25, 25),
        (50, 50),
        (51, 50),
        (500, 50),
        (i64::MAX, 50),
    ] {
        assert_eq!(clamp_daily_send_limit(given), stored, "{given}");
        let changes = changes(MailboxPatchRequest {
            daily_send_limit: PatchValue::Given(given),
            ..MailboxPatchRequest::default()
        });
        assert_eq!(changes.daily_send_limit(), Some(stored), "{given}");
    }
}

#[test]
fn create_refuses_a_daily_send_limit_outside_1_to_50_instead_of_clamping() {
    for refused in [0, 51, 500, -1] {
        let problems = MailboxFields::parse(&MailboxRequest {
            email: s("a@acme.example"),
            provider: s("gmail"),
            daily_send_limit: Some(refused),
            ..MailboxRequest::default()
        })
        .expect_err("out of range");
        assert_eq!(
            located(&problems),
            expected(&[("/dailySendLimit", OutOfRange)]),
            "{refused}"
        );
    }
}

#[test]
fn patch_leaves_out_what_the_body_leaves_out() {
    assert_eq!(
        changes(MailboxPatchRequest::default()),
        MailboxChanges::default()
    );
    let only_signature = changes(MailboxPatchRequest {
        signature: PatchValue::Given("Best, Ana".into()),
        ..MailboxPatchRequest::default()
    });
    assert_eq!(only_signature.signature(), Some(Some("Best, Ana")));
    assert_eq!(only_signature.display_name(), None);
    assert_eq!(only_signature.daily_send_limit(), None);
    assert_eq!(only_signature.sending_enabled(), None);
    assert_eq!(only_signature.tags(), None);
}

#[test]
fn patch_null_resets_each_field_to_what_a_new_mailbox_gets() {
    let reset = changes(MailboxPatchRequest {
        display_name: PatchValue::Null,
        daily_send_limit: PatchValue::Null,
        signature: PatchValue::Null,
        sending_enabled: PatchValue::Null,
        tags: PatchValue::Null,
        ..MailboxPatchRequest::default()
    });
    assert_eq!(reset.display_name(), Some(None));
    assert_eq!(
        reset.daily_send_limit(),
        Some(DEFAULT_MAILBOX_DAILY_SEND_LIMIT)
    );
    assert_eq!(reset.signature(), Some(None));
    assert_eq!(reset.sending_enabled(), Some(true));
    assert_eq!(reset.tags(), Some(&[][..]));

    let new = MailboxFields::parse(&MailboxRequest {
        email: s("a@acme.example"),
        provider: s("gmail"),
        ..MailboxRequest::default()
    })
    .expect("valid");
    assert_eq!(reset.display_name(), Some(new.display_name()));
    assert_eq!(reset.daily_send_limit(), Some(new.daily_send_limit()));
    assert_eq!(reset.signature(), Some(new.signature()));
    assert_eq!(reset.sending_enabled(), Some(new.sending_enabled()));
    assert_eq!(reset.tags(), Some(new.tags()));
}

#[test]
fn patch_display_name_is_trimmed_blank_clears_it_and_over_100_characters_is_too_long() {
    let trimmed = changes(MailboxPatchRequest {
        display_name: PatchValue::Given("  Ana López ".into()),
        ..MailboxPatchRequest::default()
    });
    assert_eq!(trimmed.display_name(), Some(Some("Ana López")));
    let blank = changes(MailboxPatchRequest {
        display_name: PatchValue::Given("   ".into()),
        ..MailboxPatchRequest::default()
    });
    assert_eq!(blank.display_name(), Some(None));
    assert_eq!(
        patch_problems(MailboxPatchRequest {
            display_name: PatchValue::Given("é".repeat(101)),
            ..MailboxPatchRequest::default()
        }),
        expected(&[("/displayName", TooLong)])
    );
    let longest = changes(MailboxPatchRequest {
        display_name: PatchValue::Given("é".repeat(100)),
        ..MailboxPatchRequest::default()
    });
    assert_eq!(
        longest
            .display_name()
            .flatten()
            .map(|name| name.chars().count()),
        Some(100)
    );
}

#[test]
fn patch_signature_is_kept_as_given_up_to_10000_characters() {
    let kept = changes(MailboxPatchRequest {
        signature: PatchValue::Given(" <p>Best</p>\n".into()),
        ..MailboxPatchRequest::default()
    });
    assert_eq!(kept.signature(), Some(Some(" <p>Best</p>\n")));
    assert_eq!(
        patch_problems(MailboxPatchRequest {
            signature: PatchValue::Given("x".repeat(10_001)),
            ..MailboxPatchRequest::default()
        }),
        expected(&[("/signature", TooLong)])
    );
}

#[test]
fn patch_tags_replace_all_under_the_create_rules() {
    let replaced = changes(MailboxPatchRequest {
        tags: PatchValue::Given(strings(&[" Outreach ", "EU"])),
        ..MailboxPatchRequest::default()
    });
    assert_eq!(replaced.tags(), Some(&strings(&["Outreach", "EU"])[..]));
    let emptied = changes(MailboxPatchRequest {
        tags: PatchValue::Given(Vec::new()),
        ..MailboxPatchRequest::default()
    });
    assert_eq!(emptied.tags(), Some(&[][..]));

    assert_eq!(
        patch_problems(MailboxPatchRequest {
            tags: PatchValue::Given(strings(&[
                "ok",
                " ",
                "OUTREACH",
                "outreach",
                &"t".repeat(101)
            ])),
            ..MailboxPatchRequest::default()
        }),
        expected(&[
            ("/tags/1", Blank),
            ("/tags/3", Duplicate),
            ("/tags/4", TooLong),
        ])
    );
    let too_many: Vec<String> = (0..=MAX_MAILBOX_TAGS).map(|n| format!("t{n}")).collect();
    assert_eq!(
        patch_problems(MailboxPatchRequest {
            tags: PatchValue::Given(too_many),
            ..MailboxPatchRequest::default()
        }),
        expected(&[("/tags", TooMany)])
    );
}

#[test]
fn create_tags_are_trimmed_unique_case_insensitively_and_at_most_50() {
    let parse = |tags: Vec<String>| {
        MailboxFields::parse(&MailboxRequest {
            email: s("a@acme.example"),
            provider: s("gmail"),
            tags: Some(tags),
            ..MailboxRequest::default()
        })
    };
    assert_eq!(
        parse(strings(&[" Outreach", "eu "])).map(|fields| fields.tags().to_vec()),
        Ok(strings(&["Outreach", "eu"]))
    );
    assert_eq!(
        located(&parse(strings(&["Eu", "EU"])).expect_err("repeat")),
        expected(&[("/tags/1", Duplicate)])
    );
    let too_many: Vec<String> = (0..=MAX_MAILBOX_TAGS).map(|n| format!("t{n}")).collect();
    assert_eq!(
        located(&parse(too_many).expect_err("too many")),
        expected(&[("/tags", TooMany)])
    );
}

#[test]
fn patch_reports_every_problem_at_once_and_clamps_alongside() {
    assert_eq!(
        patch_problems(MailboxPatchRequest {
            display_name: PatchValue::Given("n".repeat(101)),
            daily_send_limit: PatchValue::Given(500),
            signature: PatchValue::Given("s".repeat(10_001)),
            sending_enabled: PatchValue::Given(false),
            tags: PatchValue::Given(strings(&[""])),
            ..MailboxPatchRequest::default()
        }),
        expected(&[
            ("/displayName", TooLong),
            ("/signature", TooLong),
            ("/tags/0", Blank),
        ])
    );
}

fn tag_filter(raw: &str, mode: TagMode) -> TagFilter {
    TagFilter::parse(Some(raw), mode)
        .expect("valid")
        .expect("names a tag")
}

#[test]
fn tag_filter_splits_on_commas_trims_folds_case_and_counts_repeats_once() {
    let filter = tag_filter(" Outreach, EU,,outreach ,Été ", TagMode::Any);
    assert_eq!(filter.folded_tags(), strings(&["outreach", "eu", "été"]));
    assert_eq!(filter.mode(), TagMode::Any);
}

#[test]
fn tag_filter_naming_no_tag_is_no_filter() {
    for raw in [None, Some(""), Some(" , ,")] {
        assert_eq!(TagFilter::parse(raw, TagMode::All), Ok(None), "{raw:?}");
    }
}

#[test]
fn tag_filter_any_needs_one_of_the_tags_and_all_needs_every_one() {
    let any = tag_filter("OUTREACH,apac", TagMode::Any);
    let all = tag_filter("OUTREACH,apac", TagMode::All);
    let outreach_only = strings(&["Outreach", "EU"]);
    let both = strings(&["APAC", "outreach"]);
    let neither = strings(&["eu"]);
    assert!(any.matches(&outreach_only));
    assert!(any.matches(&both));
    assert!(!any.matches(&neither));
    assert!(!all.matches(&outreach_only));
    assert!(all.matches(&both));
    assert!(!all.matches(&neither));
    assert!(!any.matches(&[]));
}

#[test]
fn tag_mode_defaults_to_any_and_reads_its_wire_names() {
    assert_eq!(TagMode::DEFAULT, TagMode::Any);
    assert_eq!(TagMode::from_wire("all"), Some(TagMode::All));
    assert_eq!(TagMode::from_wire("ALL"), None);
}

#[test]
fn tag_filter_refuses_a_tag_no_mailbox_can_have_and_more_tags_than_a_mailbox_can_have() {
    let long = format!("ok,{}", "t".repeat(101));
    let refusal = TagFilter::parse(Some(&long), TagMode::Any).expect_err("too long");
    assert_eq!(refusal.code, TooLong);
    let many: Vec<String> = (0..=MAX_MAILBOX_TAGS).map(|n| format!("t{n}")).collect();
    let refusal = TagFilter::parse(Some(&many.join(",")), TagMode::Any).expect_err("too many");
    assert_eq!(refusal.code, TooMany);
    // Repeats do not count twice towards the limit.
    let repeated = vec!["same"; MAX_MAILBOX_TAGS + 5].join(",");
    assert!(TagFilter::parse(Some(&repeated), TagMode::All).is_ok());
}

fn mailbox(email: &str, display_name: Option<&str>) -> Mailbox {
    let fields = MailboxFields::parse(&MailboxRequest {
        email: s(email),
        provider: s("gmail"),
        display_name: display_name.map(str::to_owned),
        ..MailboxRequest::default()
    })
    .expect("valid");
    Mailbox::register(
        MailboxId::from(ObjectId::from_parts(1, [0; 5], 1)),
        WorkspaceId::from(ObjectId::from_parts(1, [0; 5], 2)),
        fields,
        Utc.with_ymd_and_hms(2025, 6, 10, 10, 0, 0)
            .single()
            .expect("valid"),
    )
}

#[test]
fn search_matches_a_substring_of_the_address_or_the_display_name_ignoring_case() {
    let search = MailboxSearch::parse(Some("  ÉTÉ "))
        .expect("valid")
        .expect("not blank");
    assert_eq!(search.folded(), "été");
    assert!(search.matches(&mailbox("sales@acme.example", Some("Équipe été"))));
    assert!(!search.matches(&mailbox("sales@acme.example", Some("Winter"))));
    let by_address = MailboxSearch::parse(Some("SALES@Acme"))
        .expect("valid")
        .expect("not blank");
    assert!(by_address.matches(&mailbox("Sales@acme.example", None)));
    assert!(!by_address.matches(&mailbox("ops@acme.example", Some("sales"))));
}

#[test]
fn blank_search_is_no_filter_and_longer_than_any_address_is_refused() {
    assert_eq!(MailboxSearch::parse(None), Ok(None));
    assert_eq!(MailboxSearch::parse(Some(" \t")), Ok(None));
    let longest = "a".repeat(MAX_MAILBOX_SEARCH_CHARS);
    assert!(MailboxSearch::parse(Some(&longest)).is_ok());
    let refusal =
        MailboxSearch::parse(Some(&format!("{longest}a"))).expect_err("longer than any address");
    assert_eq!(refusal.code, TooLong);
}

/// PATCH of connection members against a stored mailbox (docs/decisions.md "Mailbox connections").
mod connection_patch {
    use domain::mailbox::MailboxFields;
    use domain::mailbox_connection::MailServer;
    use domain::mailbox_update::{
        ConnectionChange, ConnectionChanges, MailboxPatchRequest, PasswordChange, PatchValue,
    };
    use domain::problem::ProblemCode;
    use domain::request::MailboxRequest;

    fn stored() -> MailboxFields {
        MailboxFields::parse(&MailboxRequest {
            email: Some("ana@acme.test".into()),
            provider: Some("custom".into()),
            smtp_host: Some("smtp.acme.test".into()),
            smtp_port: Some(465),
            smtp_username: Some("ana".into()),
            ..MailboxRequest::default()
        })
        .expect("valid")
    }

    fn smtp_change(request: MailboxPatchRequest) -> ConnectionChange<String> {
        ConnectionChanges::parse(&request, &stored())
            .expect("valid")
            .map_passwords(|password| password.expose().to_owned())
            .smtp
            .expect("an SMTP change")
    }

    fn password_of(change: &ConnectionChange<String>) -> &PasswordChange<String> {
        match change {
            ConnectionChange::Set { password, .. } => password,
            ConnectionChange::Remove => panic!("removed"),
        }
    }

    #[test]
    fn the_stored_password_stays_only_for_the_same_host_and_username() {
        let port = smtp_change(MailboxPatchRequest {
            smtp_port: PatchValue::Given(587),
            ..MailboxPatchRequest::default()
        });
        assert_eq!(password_of(&port), &PasswordChange::Keep);
        for moved in [
            MailboxPatchRequest {
                smtp_host: PatchValue::Given("other.example".into()),
                ..MailboxPatchRequest::default()
            },
            MailboxPatchRequest {
                smtp_username: PatchValue::Given("bob".into()),
                ..MailboxPatchRequest::default()
            },
            MailboxPatchRequest {
                smtp_username: PatchValue::Null,
                ..MailboxPatchRequest::default()
            },
            MailboxPatchRequest {
                smtp_password: PatchValue::Null,
                ..MailboxPatchRequest::default()
            },
        ] {
            assert_eq!(
                password_of(&smtp_change(moved.clone())),
                &PasswordChange::Clear,
                "{moved:?}"
            );
        }
        let given = smtp_change(MailboxPatchRequest {
            smtp_host: PatchValue::Given("other.example".into()),
            smtp_password: PatchValue::Given("new".into()),
            ..MailboxPatchRequest::default()
        });
        assert_eq!(
            password_of(&given),
            &PasswordChange::Replace("new".to_owned())
        );
    }

    #[test]
    fn null_port_and_secure_go_back_to_the_defaults_and_the_rest_is_merged() {
        let ConnectionChange::Set { connection, .. } = smtp_change(MailboxPatchRequest {
            smtp_port: PatchValue::Null,
            smtp_secure: PatchValue::Null,
            ..MailboxPatchRequest::default()
        }) else {
            panic!("a connection");
        };
        assert_eq!(
            (
                connection.host().as_str(),
                connection.port(),
                connection.secure(),
                connection.username()
            ),
            (
                "smtp.acme.test",
                MailServer::Smtp.default_port(),
                false,
                Some("ana")
            )
        );
    }

    #[test]
    fn a_null_host_removes_the_connection_and_refuses_members_beside_it() {
        assert_eq!(
            smtp_change(MailboxPatchRequest {
                smtp_host: PatchValue::Null,
                ..MailboxPatchRequest::default()
            }),
            ConnectionChange::Remove
        );
        let refused = ConnectionChanges::parse(
            &MailboxPatchRequest {
                smtp_host: PatchValue::Null,
                smtp_port: PatchValue::Given(25),
                imap_username: PatchValue::Given("ana".into()),
                ..MailboxPatchRequest::default()
            },
            &stored(),
        )
        .expect_err("refused");
        let found: Vec<(String, ProblemCode)> = refused
            .iter()
            .map(|problem| (problem.pointer().to_string(), problem.code()))
            .collect();
        assert_eq!(
            found,
            [
                ("/smtpPort".to_owned(), ProblemCode::NotAllowed),
                ("/imapHost".to_owned(), ProblemCode::Required),
            ]
        );
    }
}
