//! Campaigns as `GET /v1/campaigns…` answers them, rendered once per version and kept.
//!
//! Rebuilding a stored campaign through the domain and rendering it as JSON costs more than reading its
//! row, so reads keep the rendered `data` of each campaign they show, keyed by workspace and id and
//! tagged with the version it was rendered at. A read compares that version with the stored one (one
//! small query) and re-renders only what changed; the check is against the database, so it holds across
//! instances. The cache is bounded by the bytes it holds (`serve --campaign-cache-mb`).

use std::marker::PhantomData;
use std::sync::Arc;

use application::ports::{Version, VersionedCampaign};
use application::use_cases::read_campaigns::CampaignViews;
use domain::campaign::Campaign;
use domain::id::{CampaignId, WorkspaceId};
use poem::web::IntoResponse;
use poem::{Body, Response};
use poem_openapi::ApiResponse;
use poem_openapi::payload::Payload;
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry};
use poem_openapi::types::{ToJSON, Type};
use quick_cache::Weighter;
use quick_cache::sync::Cache;

use crate::dto::PaginationBody;
use crate::dto::campaign::{CampaignDetailBody, SecretDisclosure};

/// One campaign's rendered `data` object.
pub(crate) type RenderedCampaign = Arc<[u8]>;

/// Whose rendering an entry holds: campaign ids are unique, the workspace only makes tenancy explicit.
type Key = (WorkspaceId, CampaignId);
/// The version a rendering shows, and the rendering.
type Entry = (Version, RenderedCampaign);

/// A few hundred bytes of bookkeeping per entry besides the JSON itself.
const ENTRY_OVERHEAD: u64 = 256;

#[derive(Clone)]
struct ByBytes;

impl Weighter<Key, Entry> for ByBytes {
    fn weight(&self, _key: &Key, value: &Entry) -> u64 {
        value.1.len() as u64 + ENTRY_OVERHEAD
    }
}

/// The rendered campaigns kept by this instance.
pub(crate) struct RenderedCampaigns {
    kept: Option<Cache<Key, Entry, ByBytes>>,
}

impl std::fmt::Debug for RenderedCampaigns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderedCampaigns")
            .field("enabled", &self.kept.is_some())
            .finish_non_exhaustive()
    }
}

impl RenderedCampaigns {
    /// Keeps at most `capacity_bytes` of rendered campaigns; 0 keeps none (every read renders).
    pub(crate) fn new(capacity_bytes: u64) -> Self {
        // quick_cache sizes its tables from an item estimate: campaigns render to ~4 KiB.
        let estimated_items = usize::try_from(capacity_bytes / 4096)
            .unwrap_or(usize::MAX)
            .max(16);
        Self {
            kept: (capacity_bytes > 0)
                .then(|| Cache::with_weighter(estimated_items, capacity_bytes, ByBytes)),
        }
    }
}

impl CampaignViews for RenderedCampaigns {
    type View = RenderedCampaign;

    fn kept(&self, workspace: WorkspaceId, id: CampaignId) -> Option<Entry> {
        self.kept.as_ref()?.get(&(workspace, id))
    }

    fn make(&self, found: &VersionedCampaign) -> RenderedCampaign {
        let rendered: RenderedCampaign = render(&found.campaign, SecretDisclosure::Masked).into();
        if let Some(kept) = &self.kept {
            let campaign = &found.campaign;
            kept.insert(
                (campaign.workspace_id(), campaign.id()),
                (found.version, rendered.clone()),
            );
        }
        rendered
    }
}

/// A campaign's `data` object, as every campaign answer renders it.
pub(crate) fn render(campaign: &Campaign, secret: SecretDisclosure) -> Vec<u8> {
    CampaignDetailBody::from_domain(campaign, secret)
        .to_json_string()
        .into_bytes()
}

/// `{"success": true, "data": <campaign>}` around a rendered campaign.
pub(crate) fn success_of(campaign: &[u8]) -> Vec<u8> {
    const HEAD: &[u8] = br#"{"success":true,"data":"#;
    let mut json = Vec::with_capacity(HEAD.len() + campaign.len() + 1);
    json.extend_from_slice(HEAD);
    json.extend_from_slice(campaign);
    json.push(b'}');
    json
}

/// `{"success": true, "data": [<campaigns>], "pagination": {...}}` around rendered campaigns.
pub(crate) fn page_of(campaigns: &[RenderedCampaign], pagination: &PaginationBody) -> Vec<u8> {
    let pagination = pagination.to_json_string();
    let size = campaigns
        .iter()
        .map(|campaign| campaign.len() + 1)
        .sum::<usize>();
    let mut json = Vec::with_capacity(64 + size + pagination.len());
    json.extend_from_slice(br#"{"success":true,"data":["#);
    for (index, campaign) in campaigns.iter().enumerate() {
        if index > 0 {
            json.push(b',');
        }
        json.extend_from_slice(campaign);
    }
    json.extend_from_slice(br#"],"pagination":"#);
    json.extend_from_slice(pagination.as_bytes());
    json.push(b'}');
    json
}

/// The content type of every rendered answer.
pub(crate) const RENDERED_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// A JSON answer already serialized, documented as `T`: what the rendered reads send.
pub(crate) struct RenderedJson<T> {
    json: Vec<u8>,
    shape: PhantomData<fn() -> T>,
}

impl<T> RenderedJson<T> {
    /// `json` must be the JSON of a `T` (the tests of this module compare it with `T`'s own).
    pub(crate) fn new(json: Vec<u8>) -> Self {
        Self {
            json,
            shape: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for RenderedJson<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderedJson")
            .field("bytes", &self.json.len())
            .finish()
    }
}

impl<T: Type> Payload for RenderedJson<T> {
    const CONTENT_TYPE: &'static str = RENDERED_CONTENT_TYPE;

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type> IntoResponse for RenderedJson<T> {
    fn into_response(self) -> Response {
        Response::builder()
            .content_type(Self::CONTENT_TYPE)
            .body(Body::from_vec(self.json))
    }
}

impl<T: Type> ApiResponse for RenderedJson<T> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: Self::CONTENT_TYPE,
                    schema: Self::schema_ref(),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::dto::{Page, Success};

    fn rendered(campaign: &Value) -> RenderedCampaign {
        campaign.to_string().into_bytes().into()
    }

    fn parsed(json: &[u8]) -> Value {
        serde_json::from_slice(json).expect("the envelope is JSON")
    }

    #[test]
    fn a_rendered_read_is_the_json_of_its_documented_success_envelope() {
        let campaign = json!({"_id": "0123456789abcdef01234567", "name": "A \"quoted\" name"});
        assert_eq!(
            parsed(&success_of(&rendered(&campaign))),
            Success::new(campaign).to_json().expect("JSON")
        );
    }

    #[test]
    fn a_rendered_page_is_the_json_of_its_documented_page_envelope() {
        let campaigns = [json!({"_id": "b", "n": 1}), json!({"_id": "a", "n": [2]})];
        for (shown, has_more) in [
            (&campaigns[..], true),
            (&campaigns[..1], false),
            (&[][..], false),
        ] {
            let pagination = PaginationBody::new(25, 7, has_more, Some("a".to_owned()));
            let kept: Vec<RenderedCampaign> = shown.iter().map(rendered).collect();
            assert_eq!(
                parsed(&page_of(&kept, &pagination)),
                Page::new(shown.to_vec(), pagination)
                    .to_json()
                    .expect("JSON")
            );
        }
    }

    #[test]
    fn a_cache_of_zero_bytes_keeps_nothing() {
        assert!(RenderedCampaigns::new(0).kept.is_none());
        assert!(RenderedCampaigns::new(1024 * 1024).kept.is_some());
    }
}
