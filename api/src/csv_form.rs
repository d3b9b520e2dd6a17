//! The `multipart/form-data` form of `POST /v1/leads/import/csv` (LEADS.md section 2), read as a
//! stream: poem-openapi's `Upload` buffers a part whole, so [`CsvImportForm`] takes poem's streaming
//! `Multipart` and documents the form itself.
//!
//! # Parts in any order
//! How rows are judged depends on the options (`mapping`, `skipDuplicates`, `dataCleanup`, `tag`), and
//! a form may send them after the file. The small parts are read whole (at most [`MAX_PART_BYTES`]
//! each). The `file` part is handed to the CSV reader as it arrives only when every option part came
//! before it (nothing later can change how rows are judged; parts after it are not read). Otherwise it
//! is first copied to an anonymous temporary file (at most [`MAX_CSV_BYTES`] + 1 bytes: more is 413 at
//! once) and read from there once the form has ended. Either way memory does not grow with the file.
//!
//! # Bounds
//! The body is not held to the 1 MiB bound of JSON bodies: the file may be 50 MiB. A declared
//! `Content-Length` over [`MAX_CSV_FORM_BYTES`] is 413 before anything is read; otherwise the file's
//! own bound (the CSV reader's, or the copy's) and [`MAX_PART_BYTES`] per small part bound what is
//! read, and the first unknown or repeated part ends the read with 400. The request deadline bounds
//! how long the upload may take.

use std::io;
use std::pin::Pin;

use domain::lead_import::{CsvMapping, ImportOptions, MAX_CSV_BYTES};
use domain::problem::{JsonPointer, Problem, ProblemCode, Problems};
use poem::http::header::CONTENT_LENGTH;
use poem::web::Multipart;
use poem::web::{Field, FromRequest};
use poem::{Request, RequestBody};
use poem_openapi::registry::{MetaMediaType, MetaRequest, MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use crate::error::ApiError;
use crate::lead_csv::mapping_at;

/// The most bytes of a small part (`mapping`, `skipDuplicates`, `dataCleanup`, `tag`).
pub(crate) const MAX_PART_BYTES: usize = 64 * 1024;
/// The largest form: the file and room for the small parts, their headers and the boundaries.
pub(crate) const MAX_CSV_FORM_BYTES: u64 = MAX_CSV_BYTES + 1024 * 1024;

const MULTIPART: &str = "multipart/form-data";
const OPTION_PARTS: [&str; 4] = ["mapping", "skipDuplicates", "dataCleanup", "tag"];

/// The CSV as the reader gets it: the part itself, or its temporary copy.
pub(crate) type CsvUpload = Pin<Box<dyn AsyncRead + Send>>;

/// The import's form, parts not yet read; see the module documentation.
pub(crate) struct CsvImportForm {
    parts: Multipart,
}

impl std::fmt::Debug for CsvImportForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvImportForm").finish_non_exhaustive()
    }
}

/// The form read: the file to import and how to judge its rows.
pub(crate) struct CsvForm {
    pub(crate) file: CsvUpload,
    pub(crate) mapping: Option<CsvMapping>,
    pub(crate) options: ImportOptions,
}

fn part_at(name: &str) -> JsonPointer {
    JsonPointer::root().field(name)
}

fn refused(pointer: JsonPointer, code: ProblemCode, message: impl Into<String>) -> ApiError {
    ApiError::validation(&Problem::new(pointer, code, message).into())
}

/// 400: the multipart body cannot be read (no boundary, broken framing, the client stopped sending).
pub(crate) fn upload_broke(error: impl std::fmt::Display) -> ApiError {
    refused(
        JsonPointer::root(),
        ProblemCode::InvalidFormat,
        format!("the multipart/form-data body cannot be read: {error}"),
    )
}

/// 413: the file is larger than [`MAX_CSV_BYTES`].
pub(crate) fn file_too_large() -> ApiError {
    ApiError::payload_too_large(MAX_CSV_BYTES as usize)
}

/// The option parts as sent, each at most once.
#[derive(Debug, Default)]
struct OptionParts {
    given: [Option<String>; 4],
}

impl OptionParts {
    fn all_given(&self) -> bool {
        self.given.iter().all(Option::is_some)
    }

    /// The options, or every problem of them (and `missing_file`'s).
    fn parse(self, missing_file: bool) -> Result<(Option<CsvMapping>, ImportOptions), ApiError> {
        let [mapping, skip_duplicates, data_cleanup, tag] = self.given;
        let mut problems = Problems::new();
        if missing_file {
            problems.add(
                part_at("file"),
                ProblemCode::Required,
                "the form needs a `file` part holding the CSV",
            );
        }
        let mapping = mapping.and_then(|text| problems.absorb(parse_mapping(&text)));
        let skip_duplicates =
            skip_duplicates.and_then(|text| problems.absorb(parse_bool(&text, "skipDuplicates")));
        let data_cleanup =
            data_cleanup.and_then(|text| problems.absorb(parse_bool(&text, "dataCleanup")));
        let options = problems.absorb(ImportOptions::parse(
            skip_duplicates,
            data_cleanup,
            tag.as_deref(),
            &JsonPointer::root(),
        ));
        match options {
            Some(options) if problems.is_empty() => Ok((mapping, options)),
            _ => Err(ApiError::validation(&problems)),
        }
    }
}

fn parse_bool(text: &str, name: &str) -> Result<bool, Problems> {
    match text.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(Problem::new(
            part_at(name),
            ProblemCode::InvalidType,
            format!("`{name}` must be `true` or `false`, not {other:?}"),
        )
        .into()),
    }
}

/// `mapping`: a JSON object of CSV header → field name or `customFields.<key>`.
fn parse_mapping(text: &str) -> Result<CsvMapping, Problems> {
    let value: Value = serde_json::from_str(text).map_err(|error| {
        Problems::from(Problem::new(
            mapping_at(),
            ProblemCode::InvalidFormat,
            format!("`mapping` is not valid JSON: {error}"),
        ))
    })?;
    let Value::Object(members) = value else {
        return Err(Problem::new(
            mapping_at(),
            ProblemCode::InvalidType,
            "`mapping` must be a JSON object of CSV header → field name",
        )
        .into());
    };
    let mut problems = Problems::new();
    let mut entries = Vec::with_capacity(members.len());
    for (header, target) in members {
        match target {
            Value::String(target) => entries.push((header, target)),
            _ => problems.add(
                mapping_at().field(&header),
                ProblemCode::InvalidType,
                format!("the mapping of {header:?} must be a field name (a string)"),
            ),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    CsvMapping::parse(&entries, &mapping_at())
}

/// A small part's text, at most [`MAX_PART_BYTES`].
async fn read_small(field: Field, name: &str) -> Result<String, ApiError> {
    let mut reader = field.into_async_read().take(MAX_PART_BYTES as u64 + 1);
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).await.map_err(upload_broke)?;
    if bytes.len() > MAX_PART_BYTES {
        return Err(refused(
            part_at(name),
            ProblemCode::TooLong,
            format!("`{name}` is longer than {} KiB", MAX_PART_BYTES / 1024),
        ));
    }
    String::from_utf8(bytes).map_err(|_| {
        refused(
            part_at(name),
            ProblemCode::InvalidFormat,
            format!("`{name}` is not UTF-8 text"),
        )
    })
}

/// Copies the `file` part to an anonymous temporary file, at most [`MAX_CSV_BYTES`] (more: 413).
async fn spool(field: Field) -> Result<CsvUpload, ApiError> {
    let anonymous = tokio::task::spawn_blocking(tempfile::tempfile)
        .await
        .map_err(|join| ApiError::internal(&anyhow::Error::new(join)))?
        .map_err(|error| ApiError::internal(&anyhow::Error::new(error)))?;
    let mut copy = tokio::fs::File::from_std(anonymous);
    let mut upload = Box::pin(field.into_async_read());
    let mut chunk = vec![0; crate::lead_csv::CHUNK_BYTES];
    let mut size: u64 = 0;
    loop {
        let read = upload.read(&mut chunk).await.map_err(upload_broke)?;
        if read == 0 {
            break;
        }
        size += read as u64;
        if size > MAX_CSV_BYTES {
            return Err(file_too_large());
        }
        copy.write_all(&chunk[..read]).await.map_err(spool_failed)?;
    }
    copy.flush().await.map_err(spool_failed)?;
    copy.rewind().await.map_err(spool_failed)?;
    Ok(Box::pin(copy))
}

fn spool_failed(error: io::Error) -> ApiError {
    ApiError::internal(
        &anyhow::Error::new(error).context("copying a CSV upload to a temporary file"),
    )
}

impl CsvImportForm {
    /// Reads the form up to its file (see the module documentation): the file to import and its
    /// options, or every problem of the options (a missing file included).
    pub(crate) async fn read(mut self) -> Result<CsvForm, ApiError> {
        let mut options = OptionParts::default();
        let mut file: Option<CsvUpload> = None;
        while let Some(field) = self.parts.next_field().await.map_err(upload_broke)? {
            let name = field.name().unwrap_or_default().to_owned();
            if name == "file" {
                if file.is_some() {
                    return Err(repeated(&name));
                }
                if options.all_given() {
                    let (mapping, options) = options.parse(false)?;
                    return Ok(CsvForm {
                        file: Box::pin(field.into_async_read()),
                        mapping,
                        options,
                    });
                }
                file = Some(spool(field).await?);
                continue;
            }
            let Some(slot) = OPTION_PARTS.iter().position(|known| *known == name) else {
                return Err(refused(
                    part_at(&name),
                    ProblemCode::UnknownField,
                    format!(
                        "the form has no part {name:?}; its parts are file, mapping, skipDuplicates, dataCleanup and tag"
                    ),
                ));
            };
            if options.given[slot].is_some() {
                return Err(repeated(&name));
            }
            options.given[slot] = Some(read_small(field, &name).await?);
        }
        let (mapping, parsed) = options.parse(file.is_none())?;
        let file = file.ok_or_else(|| upload_broke("no file part"))?;
        Ok(CsvForm {
            file,
            mapping,
            options: parsed,
        })
    }
}

fn repeated(name: &str) -> ApiError {
    refused(
        part_at(name),
        ProblemCode::DuplicateKey,
        format!("the form has more than one `{name}` part"),
    )
}

fn form_schema() -> MetaSchemaRef {
    let text = |description: &'static str| {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            description: Some(description),
            ..MetaSchema::new("string")
        }))
    };
    let boolean = |description: &'static str| {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            description: Some(description),
            ..MetaSchema::new("boolean")
        }))
    };
    MetaSchemaRef::Inline(Box::new(MetaSchema {
        description: Some("The CSV file and the import's options, as form parts in any order."),
        required: vec!["file"],
        properties: vec![
            (
                "file",
                MetaSchemaRef::Inline(Box::new(MetaSchema {
                    description: Some(
                        "The CSV: UTF-8 with or without BOM, `,` or `;` separated, RFC 4180 quoting; at most 50 MiB and 50,000 data rows.",
                    ),
                    ..MetaSchema::new_with_format("string", "binary")
                })),
            ),
            (
                "mapping",
                text(
                    "A JSON object as text: CSV header → lead field name or `customFields.<key>`. Without it, headers map by name (ignoring case, spaces, `_` and `-`) and the others become custom fields.",
                ),
            ),
            (
                "skipDuplicates",
                boolean(
                    "`true` (default): a row whose email the workspace has, or that repeats, is skipped; `false`: it updates the lead.",
                ),
            ),
            (
                "dataCleanup",
                boolean("`true` (default): tidy values before judging them."),
            ),
            ("tag", text("A tag added to every imported lead.")),
        ],
        ..MetaSchema::new("object")
    }))
}

/// Whether a `Content-Type` is `multipart/form-data`, any parameters.
pub(crate) fn is_multipart(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .eq_ignore_ascii_case(MULTIPART)
}

impl<'a> ApiExtractor<'a> for CsvImportForm {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn register(_registry: &mut Registry) {}

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: None,
            content: vec![MetaMediaType {
                content_type: MULTIPART,
                schema: form_schema(),
            }],
            required: true,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        match request.content_type() {
            Some(content_type) if is_multipart(content_type) => {}
            other => {
                return Err(ApiError::unsupported_media_type_expecting(other, MULTIPART).into());
            }
        }
        let declared_length = request
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok());
        if declared_length.is_some_and(|length| length > MAX_CSV_FORM_BYTES) {
            return Err(ApiError::payload_too_large(MAX_CSV_FORM_BYTES as usize).into());
        }
        let parts = <Multipart as FromRequest>::from_request(request, body)
            .await
            .map_err(|error| upload_broke(error.to_string()))?;
        Ok(Self { parts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_booleans_are_the_words_true_and_false() {
        assert_eq!(parse_bool("true", "skipDuplicates").ok(), Some(true));
        assert_eq!(parse_bool(" false\r\n", "skipDuplicates").ok(), Some(false));
        for refused in ["yes", "1", "TRUE", ""] {
            assert!(parse_bool(refused, "dataCleanup").is_err(), "{refused}");
        }
    }

    #[test]
    fn a_mapping_is_a_json_object_of_strings_and_each_problem_points_at_its_member() {
        assert!(
            parse_mapping(r#"{"E-mail Address": "email", "Funding": "customFields.funding"}"#)
                .is_ok()
        );
        let not_json = parse_mapping("{email").expect_err("not JSON");
        assert_eq!(
            not_json
                .iter()
                .next()
                .map(|p| p.pointer().as_str().to_owned()),
            Some("/mapping".to_owned())
        );
        let not_object = parse_mapping("[]").expect_err("not an object");
        assert_eq!(
            not_object
                .iter()
                .next()
                .map(|p| p.pointer().as_str().to_owned()),
            Some("/mapping".to_owned())
        );
        let not_string = parse_mapping(r#"{"Mail": 3}"#).expect_err("not a string");
        assert_eq!(
            not_string
                .iter()
                .next()
                .map(|p| p.pointer().as_str().to_owned()),
            Some("/mapping/Mail".to_owned())
        );
    }

    #[test]
    fn only_multipart_form_data_is_read() {
        assert!(is_multipart("multipart/form-data; boundary=x"));
        assert!(is_multipart("Multipart/Form-Data;boundary=x"));
        assert!(!is_multipart("multipart/mixed; boundary=x"));
        assert!(!is_multipart("application/json"));
    }
}
