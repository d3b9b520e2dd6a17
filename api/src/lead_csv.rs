//! The file of `POST /v1/leads/import/csv` (LEADS.md section 2), read as a stream into batches of
//! judged rows: the route hands each batch to the bulk writer and never holds the file.
//!
//! # Two passes over a spooled copy
//! The spec refuses a file of more than 50,000 data rows as a whole, with nothing written, and the
//! rows can only be counted by reading to the end. So [`read_leads`] first copies the upload to an
//! anonymous temporary file while it counts the rows (and checks the size and the header), then
//! reads that copy a second time, judging rows and handing them to `on_batch` in batches. Nothing
//! reaches `on_batch` unless the whole file is within the limits and its header is good.
//!
//! # Bounded memory
//! Neither pass holds more of the file than: one read chunk ([`CHUNK_BYTES`]); while the delimiter is
//! not yet known, the first line (at most [`HEADER_SNIFF_BYTES`]); the cells of one row, at most
//! [`MAX_ROW_BYTES`] and [`MAX_ROW_CELLS`] (a longer or wider row is reported as that row's error and
//! its cells are dropped as they are parsed); and two batches of at most `batch_rows` judged entries:
//! the one `on_batch` is writing and the next, read and judged meanwhile (so the server's CPU work on
//! the rows and the database's on the previous batch overlap). A batch is handed to `on_batch` only
//! once the previous one's future is done, so a slow writer holds the reader back instead of letting
//! batches pile up. The file itself is on disk (where `TMPDIR` says, 50 MiB at most).
//!
//! # Format
//! - UTF-8, with or without a byte order mark; a UTF-16 file (its BOM) is refused with a hint.
//! - The delimiter is `;` when the header line holds more `;` than `,` outside quotes, else `,`
//!   ([`sniff_delimiter`]).
//! - RFC 4180 quoting (delimiters, line breaks and doubled quotes inside quotes), lines ending in CRLF,
//!   LF or CR, parsed by csv-core, which prefers a parse to an error: a stray quote inside an unquoted
//!   cell is kept as a character.
//! - A blank row — nothing but white space in any of its cells, like an empty line or the `;;;` rows
//!   spreadsheets leave at the end — is skipped and not numbered. The header is the first row that
//!   is not blank.
//!
//! # Where problems point
//! The parts of the multipart form are the top of the pointers: `/file` (the file: empty, UTF-16),
//! `/file/header/{column index}` (a header cell, 0-based like [`CsvColumns::resolve`]'s),
//! `/mapping/{header}` (the `mapping` part), and `/file/rows/{row}/...` for a data row, where
//! `{row}` is the 1-based data row number (header and blank rows not counted, the same number as
//! `errors[].index` and [`BulkEntry::index`]; not a JSON array index). Below a row, a problem points at
//! the lead field its column fills, as the bulk import's do (`/file/rows/7/email`,
//! `/file/rows/7/customFields/Last_Funding`, `/file/rows/7/tags/0`); a problem of the whole row (ragged,
//! too long) points at the row.

use std::borrow::Cow;
use std::future::Future;
use std::io;
use std::num::NonZeroUsize;

use csv_core::{ReadRecordResult, Reader, ReaderBuilder};
use domain::lead_field::LeadField;
use domain::lead_import::{
    BulkEntry, CsvColumns, CsvMapping, CsvTarget, ImportOptions, MAX_CSV_BYTES, MAX_CSV_ROWS,
};
use domain::problem::{JsonPointer, Problem, ProblemCode, Problems};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// How much of the upload (and of the spooled copy) one read asks for.
pub(crate) const CHUNK_BYTES: usize = 64 * 1024;
/// The longest row, its cells' bytes added up; a longer one is that row's error (`too_long`).
pub(crate) const MAX_ROW_BYTES: usize = 1024 * 1024;
/// The most cells in a row; a wider one is that row's error (`too_long`). A header has at most 13
/// standard columns and 100 custom ones, so no good row comes near.
pub(crate) const MAX_ROW_CELLS: usize = 1024;
/// How far the delimiter is looked for when the header line does not end sooner.
pub(crate) const HEADER_SNIFF_BYTES: usize = 64 * 1024;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Why a whole file is refused; nothing reached `on_batch`, except after [`CsvRefused::Spool`] (see
/// there).
#[derive(Debug)]
pub(crate) enum CsvRefused {
    /// The file is larger than [`MAX_CSV_BYTES`]: 413. The rest of the upload was not read.
    TooLarge,
    /// The file has more than [`MAX_CSV_ROWS`] data rows: 400 (`too_many` at `/file`). The rest of the
    /// upload was not read.
    TooManyRows,
    /// The file cannot be imported as it begins: empty, UTF-16, a header cell that is not UTF-8, or a
    /// header [`CsvColumns::resolve`] refuses (no email column, two columns for one field, a `mapping`
    /// header the file lacks…): 400 with these problems. Found before the rest of the upload is read.
    Header(Problems),
    /// Reading the upload failed (the client stopped sending, the multipart body broke off): 400.
    Upload(io::Error),
    /// The server's temporary copy failed (disk full…): 500. When it fails in the second pass, the
    /// batches already handed to `on_batch` stay handed.
    Spool(io::Error),
}

/// A file read to its end, or until `on_batch` failed.
#[derive(Debug)]
pub(crate) struct CsvRead<E> {
    /// The file's data rows (header and blank rows not counted): the answer's `rows`. Counted before
    /// the first batch, so it is the whole file's even when `on_batch` stopped the read.
    pub(crate) rows: usize,
    /// The first error of `on_batch`; no later row was read or delivered.
    pub(crate) stopped: Option<E>,
}

/// Reads the CSV `file` of an import and hands its data rows to `on_batch`, in file order, in batches
/// of `batch_rows` (the last one may be smaller), each row judged by `options` ([`ImportOptions::lead`]:
/// cleanup, the lead rules, the tag) with [`BulkEntry::index`] its 1-based data row number. A row's
/// problems stay in its entry; the other rows go on. One `on_batch` future runs at a time: the next
/// batch is read and judged while it runs, and handed over when it is done; after an error no other
/// batch is handed over. See the module documentation for the format, the pointers and the memory
/// bound.
///
/// Refused as a whole, before any batch, when the file is larger than [`MAX_CSV_BYTES`], has more than
/// [`MAX_CSV_ROWS`] data rows or a header that cannot be imported ([`CsvRefused`]).
///
/// `batch_rows` is a [`NonZeroUsize`] so an empty batch cannot be asked for.
pub(crate) async fn read_leads<R, F, Fut, E>(
    file: R,
    mapping: Option<&CsvMapping>,
    options: &ImportOptions,
    batch_rows: NonZeroUsize,
    mut on_batch: F,
) -> Result<CsvRead<E>, CsvRefused>
where
    R: AsyncRead + Unpin,
    F: FnMut(Vec<BulkEntry>) -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    let Spooled {
        mut copy,
        delimiter,
        columns,
        rows,
    } = spool(file, mapping).await?;
    copy.flush().await.map_err(CsvRefused::Spool)?;
    copy.rewind().await.map_err(CsvRefused::Spool)?;
    let mut reader = RecordReader::new(copy, delimiter);
    // The header, already resolved in the first pass.
    reader.advance().await.map_err(CsvRefused::Spool)?;
    let judge = RowJudge::new(&columns, options);
    let batch_rows = batch_rows.get().min(rows.max(1));
    let mut row = 0;
    // The batch being written. The next one is read and judged meanwhile (in this task: the judging
    // yields to the write whenever it has used its share), and handed over once this one is done.
    let mut writing: Option<std::pin::Pin<Box<Fut>>> = None;
    loop {
        let next = next_batch(&mut reader, &judge, &mut row, batch_rows);
        let (written, next) = match writing.take() {
            Some(write) => tokio::join!(write, next),
            None => (Ok(()), next.await),
        };
        if let Err(error) = written {
            return Ok(CsvRead {
                rows,
                stopped: Some(error),
            });
        }
        let batch = next.map_err(CsvRefused::Spool)?;
        if batch.is_empty() {
            break;
        }
        writing = Some(Box::pin(on_batch(batch)));
    }
    debug_assert_eq!(row, rows, "both passes see the same rows");
    Ok(CsvRead {
        rows,
        stopped: None,
    })
}

/// The next `batch_rows` data rows (fewer at the end of the file, none after it), judged; `row` is the
/// number of the last row read.
async fn next_batch<R: AsyncRead + Unpin>(
    reader: &mut RecordReader<R>,
    judge: &RowJudge<'_>,
    row: &mut usize,
    batch_rows: usize,
) -> io::Result<Vec<BulkEntry>> {
    let mut batch = Vec::with_capacity(batch_rows);
    while batch.len() < batch_rows && reader.advance().await? {
        // Judging is CPU work (about 20 µs a row in release); yield to the server's other tasks
        // (and to the batch being written) whenever this task has used its share, not only when a
        // read of the copy must wait.
        tokio::task::consume_budget().await;
        *row += 1;
        batch.push(judge.entry(*row, reader.record()));
    }
    Ok(batch)
}

/// `/file`: the form part holding the CSV.
fn file_at() -> JsonPointer {
    JsonPointer::root().field("file")
}

/// `/file/header`: the header row; its cells are `/file/header/{column index}`.
pub(crate) fn header_at() -> JsonPointer {
    file_at().field("header")
}

/// `/mapping`: the form part holding the mapping; its members are `/mapping/{header}`.
pub(crate) fn mapping_at() -> JsonPointer {
    JsonPointer::root().field("mapping")
}

/// `/file/rows/{row}`: data row `row`, 1-based.
pub(crate) fn row_at(row: usize) -> JsonPointer {
    file_at().field("rows").index(row)
}

/// Where a problem of one cell points: the lead field its column fills, under the row.
fn cell_at(row: &JsonPointer, target: &CsvTarget) -> JsonPointer {
    match target {
        CsvTarget::Field(field) => row.field(field.as_str()),
        CsvTarget::Custom(key) => row
            .field(LeadField::CustomFields.as_str())
            .field(key.as_str()),
    }
}

/// The delimiter of a file that begins with `head` (its BOM already removed): `;` when the header line
/// holds more `;` than `,` outside quotes, else `,` (a tie, a one-column header). The header line is
/// the first line with something besides white space and delimiters, up to its first line break
/// outside quotes. `None` while `head` holds no whole header line, the file goes on (`eof` false) and
/// `head` is shorter than [`HEADER_SNIFF_BYTES`]: read more.
pub(crate) fn sniff_delimiter(head: &[u8], eof: bool) -> Option<u8> {
    let pick = |commas: usize, semicolons: usize| if semicolons > commas { b';' } else { b',' };
    let (mut commas, mut semicolons) = (0, 0);
    let (mut quoted, mut content) = (false, false);
    for &byte in head {
        match byte {
            b'"' => quoted = !quoted,
            _ if quoted => content |= !byte.is_ascii_whitespace(),
            b',' => commas += 1,
            b';' => semicolons += 1,
            b'\n' | b'\r' if content => return Some(pick(commas, semicolons)),
            b'\n' | b'\r' => (commas, semicolons) = (0, 0),
            _ => content |= !byte.is_ascii_whitespace(),
        }
    }
    (eof || head.len() >= HEADER_SNIFF_BYTES).then(|| pick(commas, semicolons))
}

/// The first pass's result: the upload's copy (written, not yet rewound), how to read it, its columns
/// and its number of data rows.
#[derive(Debug)]
struct Spooled {
    copy: tokio::fs::File,
    delimiter: u8,
    columns: CsvColumns,
    rows: usize,
}

/// The first pass: copies `upload` (without its BOM) to an anonymous temporary file, checking its size,
/// its header and its number of rows as the bytes go by, and stops at the first limit crossed.
async fn spool<R: AsyncRead + Unpin>(
    mut upload: R,
    mapping: Option<&CsvMapping>,
) -> Result<Spooled, CsvRefused> {
    let anonymous = tokio::task::spawn_blocking(tempfile::tempfile)
        .await
        .map_err(|join| CsvRefused::Spool(io::Error::other(join)))?
        .map_err(CsvRefused::Spool)?;
    let mut copy = tokio::fs::File::from_std(anonymous);
    let mut chunk = vec![0; CHUNK_BYTES];
    let mut size: u64 = 0;
    // The first bytes, until the delimiter is known; then the counter takes over.
    let mut head = Vec::new();
    let mut counter: Option<RowCounter<'_>> = None;
    loop {
        let read = upload.read(&mut chunk).await.map_err(CsvRefused::Upload)?;
        size += read as u64;
        if size > MAX_CSV_BYTES {
            return Err(CsvRefused::TooLarge);
        }
        let eof = read == 0;
        match counter.as_mut() {
            Some(counting) => {
                copy.write_all(&chunk[..read])
                    .await
                    .map_err(CsvRefused::Spool)?;
                counting.feed(&chunk[..read], false)?;
            }
            None => {
                head.extend_from_slice(&chunk[..read]);
                let body = head.strip_prefix(UTF8_BOM).unwrap_or(&head);
                let Some(delimiter) = sniff_delimiter(body, eof) else {
                    continue;
                };
                refuse_utf16(body)?;
                let counting = counter.insert(RowCounter::new(delimiter, mapping));
                copy.write_all(body).await.map_err(CsvRefused::Spool)?;
                counting.feed(body, false)?;
                head = Vec::new();
            }
        }
        if eof {
            break;
        }
    }
    // The delimiter is always chosen at the end of the upload, so `None` would mean nothing was read.
    let Some(mut counting) = counter else {
        return Err(empty_file());
    };
    counting.feed(&[], true)?;
    let Some(columns) = counting.columns.take() else {
        return Err(empty_file());
    };
    Ok(Spooled {
        copy,
        delimiter: counting.delimiter,
        columns,
        rows: counting.rows,
    })
}

fn empty_file() -> CsvRefused {
    CsvRefused::Header(
        Problem::new(
            file_at(),
            ProblemCode::Required,
            "the file is empty: a CSV import needs a header row",
        )
        .into(),
    )
}

fn refuse_utf16(body: &[u8]) -> Result<(), CsvRefused> {
    if body.starts_with(b"\xFF\xFE") || body.starts_with(b"\xFE\xFF") {
        return Err(CsvRefused::Header(
            Problem::new(
                file_at(),
                ProblemCode::InvalidFormat,
                "the file is UTF-16 text; save it as CSV UTF-8",
            )
            .into(),
        ));
    }
    Ok(())
}

/// The first pass's parser: resolves the header as soon as it is complete and counts data rows.
#[derive(Debug)]
struct RowCounter<'m> {
    records: Records,
    delimiter: u8,
    mapping: Option<&'m CsvMapping>,
    columns: Option<CsvColumns>,
    rows: usize,
}

impl<'m> RowCounter<'m> {
    fn new(delimiter: u8, mapping: Option<&'m CsvMapping>) -> Self {
        RowCounter {
            records: Records::new(delimiter),
            delimiter,
            mapping,
            columns: None,
            rows: 0,
        }
    }

    /// Parses `input` (at the end of the file: nothing, with `eof`).
    fn feed(&mut self, input: &[u8], eof: bool) -> Result<(), CsvRefused> {
        let mut used = 0;
        loop {
            let (consumed, step) = self.records.split(&input[used..], eof);
            used += consumed;
            match step {
                Step::NeedInput | Step::End => return Ok(()),
                Step::Record if self.records.is_blank() => {}
                Step::Record if self.columns.is_none() => {
                    self.columns = Some(header_columns(&self.records, self.mapping)?);
                }
                Step::Record => {
                    self.rows += 1;
                    if self.rows > MAX_CSV_ROWS {
                        return Err(CsvRefused::TooManyRows);
                    }
                }
            }
            self.records.clear();
        }
    }
}

/// The columns of the header `record`, or why the file is refused.
fn header_columns(
    record: &Records,
    mapping: Option<&CsvMapping>,
) -> Result<CsvColumns, CsvRefused> {
    if let Some(overflow) = record.overflow {
        return Err(CsvRefused::Header(
            Problem::new(
                header_at(),
                ProblemCode::TooLong,
                format!("the header row {}", overflow.describe()),
            )
            .into(),
        ));
    }
    let mut problems = Problems::new();
    let mut headers = Vec::with_capacity(record.cells);
    for (column, cell) in record.cells().enumerate() {
        match std::str::from_utf8(cell) {
            Ok(header) => headers.push(header.to_owned()),
            Err(_) => problems.add(
                header_at().index(column),
                ProblemCode::InvalidFormat,
                format!(
                    "header {} is not UTF-8 text; save the file as CSV UTF-8",
                    column + 1
                ),
            ),
        }
    }
    if !problems.is_empty() {
        return Err(CsvRefused::Header(problems));
    }
    CsvColumns::resolve(&headers, mapping, &header_at(), &mapping_at()).map_err(CsvRefused::Header)
}

/// How one data row becomes a [`BulkEntry`].
#[derive(Debug)]
struct RowJudge<'a> {
    columns: &'a CsvColumns,
    options: &'a ImportOptions,
    email_column: Option<usize>,
}

impl<'a> RowJudge<'a> {
    fn new(columns: &'a CsvColumns, options: &'a ImportOptions) -> Self {
        let email_column = columns
            .targets()
            .iter()
            .position(|target| *target == CsvTarget::Field(LeadField::Email));
        RowJudge {
            columns,
            options,
            email_column,
        }
    }

    /// Data row `row`: its lead, or its problems. A row of the wrong width is `invalid_structure` at the
    /// row ([`CsvColumns::row_request`]); a cell that is not UTF-8 is `invalid_format` at its field.
    fn entry(&self, row: usize, record: &Records) -> BulkEntry {
        let at = row_at(row);
        if let Some(overflow) = record.overflow {
            return BulkEntry {
                index: row,
                given_email: None,
                lead: Err(Problem::new(
                    at,
                    ProblemCode::TooLong,
                    format!("the row {}", overflow.describe()),
                )
                .into()),
            };
        }
        let mut not_utf8 = Vec::new();
        let cells: Vec<Cow<'_, str>> = record
            .cells()
            .enumerate()
            .map(|(column, bytes)| match std::str::from_utf8(bytes) {
                Ok(text) => Cow::Borrowed(text),
                Err(_) => {
                    not_utf8.push(column);
                    String::from_utf8_lossy(bytes)
                }
            })
            .collect();
        let given_email = self
            .email_column
            .filter(|column| !not_utf8.contains(column))
            .and_then(|column| cells.get(column))
            .filter(|cell| !cell.is_empty())
            .map(|cell| cell.to_string());
        let targets = self.columns.targets();
        let lead = if not_utf8.is_empty() || cells.len() != targets.len() {
            self.columns
                .row_request(&cells)
                .map_err(|invalid| Problems::from(invalid.at(at.clone())))
                .and_then(|request| self.options.lead(request, &at))
        } else {
            let mut problems = Problems::new();
            for column in not_utf8 {
                problems.add(
                    cell_at(&at, &targets[column]),
                    ProblemCode::InvalidFormat,
                    format!(
                        "column {} is not UTF-8 text; save the file as CSV UTF-8",
                        column + 1
                    ),
                );
            }
            Err(problems)
        };
        BulkEntry {
            index: row,
            given_email,
            lead,
        }
    }
}

/// The second pass's reader: pulls chunks from `source` and yields one non-blank record at a time.
#[derive(Debug)]
struct RecordReader<R> {
    source: R,
    chunk: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    records: Records,
}

impl<R: AsyncRead + Unpin> RecordReader<R> {
    fn new(source: R, delimiter: u8) -> Self {
        RecordReader {
            source,
            chunk: vec![0; CHUNK_BYTES],
            start: 0,
            end: 0,
            eof: false,
            records: Records::new(delimiter),
        }
    }

    /// Moves to the next record that is not blank ([`RecordReader::record`]); false at the end.
    async fn advance(&mut self) -> io::Result<bool> {
        self.records.clear();
        loop {
            if self.start == self.end && !self.eof {
                self.end = self.source.read(&mut self.chunk).await?;
                self.start = 0;
                self.eof = self.end == 0;
            }
            let (used, step) = self
                .records
                .split(&self.chunk[self.start..self.end], self.eof);
            self.start += used;
            match step {
                Step::NeedInput => {}
                Step::Record if self.records.is_blank() => self.records.clear(),
                Step::Record => return Ok(true),
                Step::End => return Ok(false),
            }
        }
    }

    fn record(&self) -> &Records {
        &self.records
    }
}

/// Why a record's cells were dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overflow {
    Bytes,
    Cells,
}

impl Overflow {
    fn describe(self) -> String {
        match self {
            Overflow::Bytes => format!("is longer than {} MiB", MAX_ROW_BYTES / (1024 * 1024)),
            Overflow::Cells => format!("has more than {MAX_ROW_CELLS} cells"),
        }
    }
}

/// What [`Records::split`] reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// The input is used up in the middle of a record (or between records).
    NeedInput,
    /// A record is complete: read it, then [`Records::clear`].
    Record,
    /// The file has no more records.
    End,
}

/// One record at a time out of csv-core, in buffers that grow to at most [`MAX_ROW_BYTES`] and
/// [`MAX_ROW_CELLS`]: past that, the record's cells are dropped as they come and it is marked
/// [`Overflow`].
#[derive(Debug)]
struct Records {
    parser: Reader,
    /// The cells' bytes, back to back; `filled` of them are the current record's.
    bytes: Vec<u8>,
    filled: usize,
    /// Where each cell ends in `bytes`; `cells` of them are the current record's.
    ends: Vec<usize>,
    cells: usize,
    /// Whether the record holds anything but white space.
    content: bool,
    overflow: Option<Overflow>,
}

impl Records {
    fn new(delimiter: u8) -> Self {
        Records {
            parser: ReaderBuilder::new().delimiter(delimiter).build(),
            bytes: vec![0; 4 * 1024],
            filled: 0,
            ends: vec![0; 32],
            cells: 0,
            content: false,
            overflow: None,
        }
    }

    fn clear(&mut self) {
        self.filled = 0;
        self.cells = 0;
        self.content = false;
        self.overflow = None;
    }

    /// Parses `input` until a record is complete or the input is used up, and says how many bytes it
    /// used. At the end of the file, call it with no input and `eof` until it answers [`Step::End`].
    fn split(&mut self, input: &[u8], eof: bool) -> (usize, Step) {
        let mut used = 0;
        loop {
            // csv-core reads an empty input as the end of the file.
            if used == input.len() && !eof {
                return (used, Step::NeedInput);
            }
            let (result, read, written, ended) = self.parser.read_record(
                &input[used..],
                &mut self.bytes[self.filled..],
                &mut self.ends[self.cells..],
            );
            used += read;
            let new = &self.bytes[self.filled..self.filled + written];
            self.content |= new.iter().any(|byte| !byte.is_ascii_whitespace());
            self.filled += written;
            self.cells += ended;
            match result {
                ReadRecordResult::InputEmpty if eof => return (used, Step::End),
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => self.make_room_for_bytes(),
                ReadRecordResult::OutputEndsFull => self.make_room_for_ends(),
                ReadRecordResult::Record => return (used, Step::Record),
                ReadRecordResult::End => return (used, Step::End),
            }
        }
    }

    fn make_room_for_bytes(&mut self) {
        if self.bytes.len() < MAX_ROW_BYTES {
            let grown = (self.bytes.len() * 2).min(MAX_ROW_BYTES);
            self.bytes.resize(grown, 0);
        } else {
            self.overflow.get_or_insert(Overflow::Bytes);
            self.filled = 0;
        }
    }

    fn make_room_for_ends(&mut self) {
        if self.ends.len() < MAX_ROW_CELLS {
            let grown = (self.ends.len() * 2).min(MAX_ROW_CELLS);
            self.ends.resize(grown, 0);
        } else {
            self.overflow.get_or_insert(Overflow::Cells);
            self.cells = 0;
        }
    }

    /// Nothing but white space in any cell (or no cell): skipped, not numbered.
    fn is_blank(&self) -> bool {
        !self.content
    }

    /// The current record's cells (meaningless once it overflowed).
    fn cells(&self) -> impl Iterator<Item = &[u8]> {
        let mut start = 0;
        self.ends[..self.cells].iter().map(move |&end| {
            let cell = &self.bytes[start..end];
            start = end;
            cell
        })
    }
}

#[cfg(test)]
mod tests;
