//! The public tracking routes (SENDING.md section 3): no API key, not under `/v1`, not rate limited
//! (a forged token costs one HMAC, no database read). An open is answered without touching the
//! database and a click after one primary-key read: both are handed to the recorder, which writes
//! them in batches. An unsubscribe is one transaction before its answer.

use std::sync::Arc;

use application::use_cases::tracking::TrackingError;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::{Binary, Html};
use poem_openapi::{ApiResponse, OpenApi};

use crate::error::{ApiError, descriptions, error_responses};
use crate::state::AppState;

use super::ApiTags;

/// A 1×1 transparent GIF (GIF89a, 43 bytes).
const PIXEL: [u8; 43] = [
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// Every answer of these routes is about one message and one moment: never cached.
const NO_STORE: &str = "no-store";

fn no_store() -> String {
    NO_STORE.to_owned()
}

const CONFIRM_PAGE: &str = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"robots\" content=\"noindex\">\
<title>Unsubscribe</title></head><body style=\"font-family:sans-serif;max-width:32em;margin:4em auto;padding:0 1em\">\
<h1>Unsubscribe</h1><p>Stop receiving these emails?</p>\
<form method=\"post\" action=\"\"><button type=\"submit\">Unsubscribe</button></form></body></html>\n";

const DONE_PAGE: &str = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"robots\" content=\"noindex\">\
<title>Unsubscribed</title></head><body style=\"font-family:sans-serif;max-width:32em;margin:4em auto;padding:0 1em\">\
<h1>Unsubscribed</h1><p>You will not receive these emails any more.</p></body></html>\n";

error_responses!(
    /// What a tracking route can answer besides its success.
    TrackingErrors {
        404 => "The token was not signed by this server for this route, or names no message (NOT_FOUND).",
        500 => descriptions::INTERNAL,
    }
);

impl From<TrackingError> for TrackingErrors {
    fn from(error: TrackingError) -> Self {
        Self(match error {
            TrackingError::NotFound => ApiError::not_found("no such link"),
            TrackingError::Unknown(cause) => ApiError::from(cause),
        })
    }
}

#[derive(Debug, ApiResponse)]
pub(crate) enum Pixel {
    /// A 1×1 transparent GIF; the open is recorded after the answer.
    #[oai(status = 200, content_type = "image/gif")]
    Gif(Binary<Vec<u8>>, #[oai(header = "Cache-Control")] String),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum ClickRedirect {
    /// To the link's original URL, as stored when the message was built; the click is recorded
    /// after the answer.
    #[oai(status = 302)]
    Found(
        #[oai(header = "Location")] String,
        #[oai(header = "Cache-Control")] String,
    ),
}

#[derive(Debug, ApiResponse)]
pub(crate) enum Page {
    /// A small HTML page.
    #[oai(status = 200)]
    Ok(Html<&'static str>, #[oai(header = "Cache-Control")] String),
}

#[derive(Debug)]
pub(crate) struct TrackingApi;

#[OpenApi(tag = "ApiTags::Tracking")]
impl TrackingApi {
    /// Open pixel
    ///
    /// [ext] The 1×1 image of a message sent with `trackOpens`: records `email.opened` (the first
    /// open of a message counts in `stats.opened`). The open is recorded shortly after the answer,
    /// with others in one batch; a validly signed token of a message that is not in the ledger gets
    /// the image too and records nothing. A token not signed by this server for this route is 404.
    #[oai(path = "/t/o/:token", method = "get", operation_id = "trackOpen")]
    async fn open(
        &self,
        state: Data<&Arc<AppState>>,
        /// The signed token of the message's image.
        token: Path<String>,
    ) -> Result<Pixel, TrackingErrors> {
        state.track_links.open(&token).await?;
        Ok(Pixel::Gif(Binary(PIXEL.to_vec()), no_store()))
    }

    /// Tracked link
    ///
    /// [ext] A link of a message sent with `trackClicks`: redirects to the link's original URL —
    /// only a URL stored for that message, never one from the request — and records
    /// `email.clicked` shortly after the answer, with others in one batch (the first click of a
    /// message counts in `stats.clicked`).
    #[oai(path = "/t/c/:token", method = "get", operation_id = "trackClick")]
    async fn click(
        &self,
        state: Data<&Arc<AppState>>,
        /// The signed token of the link.
        token: Path<String>,
    ) -> Result<ClickRedirect, TrackingErrors> {
        let url = state.track_links.click(&token).await?;
        Ok(ClickRedirect::Found(url, no_store()))
    }

    /// Unsubscribe page
    ///
    /// [ext] The `List-Unsubscribe` link: a page with a button that confirms. Nothing changes on a
    /// GET (link scanners follow links).
    #[oai(path = "/u/:token", method = "get", operation_id = "unsubscribePage")]
    async fn unsubscribe_page(
        &self,
        state: Data<&Arc<AppState>>,
        /// The signed unsubscribe token of the message.
        token: Path<String>,
    ) -> Result<Page, TrackingErrors> {
        state.track_links.check_unsubscribe(&token)?;
        Ok(Page::Ok(Html(CONFIRM_PAGE), no_store()))
    }

    /// Unsubscribe
    ///
    /// [ext] The page's button, or a mail client's RFC 8058 one-click
    /// (`List-Unsubscribe=One-Click`; any body is ignored): adds the lead's address to the
    /// workspace's do-not-contact list (`unsubscribe_link`), stops the enrolment `unsubscribed`
    /// and records `email.unsubscribed`. Repeating it changes nothing more.
    #[oai(path = "/u/:token", method = "post", operation_id = "unsubscribe")]
    async fn unsubscribe(
        &self,
        state: Data<&Arc<AppState>>,
        /// The signed unsubscribe token of the message.
        token: Path<String>,
    ) -> Result<Page, TrackingErrors> {
        state.track_links.unsubscribe(&token).await?;
        Ok(Page::Ok(Html(DONE_PAGE), no_store()))
    }
}
