//! The CSV reader: the format, the row numbers and pointers, the limits, the batches.

use std::cell::{Cell, RefCell};
use std::pin::Pin;
use std::task::{Context, Poll};

use domain::lead_custom::CustomValue;
use domain::lead_import::CsvMapping;
use tokio::io::ReadBuf;

use super::*;

/// The options of an import with every default (`dataCleanup` on, no tag).
fn defaults() -> ImportOptions {
    ImportOptions::parse(None, None, None, &JsonPointer::root()).expect("defaults are valid")
}

fn batch(rows: usize) -> NonZeroUsize {
    NonZeroUsize::new(rows).expect("not zero")
}

fn mapping(entries: &[(&str, &str)]) -> CsvMapping {
    let entries: Vec<(String, String)> = entries
        .iter()
        .map(|(header, target)| ((*header).to_owned(), (*target).to_owned()))
        .collect();
    CsvMapping::parse(&entries, &mapping_at()).expect("valid mapping")
}

/// Every entry of `file`, read in batches of 100, or the refusal.
async fn read_with(
    file: impl AsyncRead + Unpin,
    mapping: Option<&CsvMapping>,
    options: &ImportOptions,
) -> Result<(usize, Vec<BulkEntry>), CsvRefused> {
    let mut entries = Vec::new();
    let read = read_leads(file, mapping, options, batch(100), |batch| {
        entries.extend(batch);
        async { Ok::<(), ()>(()) }
    })
    .await?;
    assert!(read.stopped.is_none());
    Ok((read.rows, entries))
}

async fn read(csv: &[u8]) -> Vec<BulkEntry> {
    let (rows, entries) = read_with(csv, None, &defaults())
        .await
        .expect("the file is accepted");
    assert_eq!(rows, entries.len(), "rows counts every data row");
    entries
}

/// The same file, handed over one byte per read: every boundary (BOM, quotes, CRLF) falls between
/// two reads somewhere.
async fn read_byte_by_byte(csv: &[u8]) -> Vec<BulkEntry> {
    let (_, entries) = read_with(OneByteAtATime(csv), None, &defaults())
        .await
        .expect("the file is accepted");
    entries
}

struct OneByteAtATime<'a>(&'a [u8]);

impl AsyncRead for OneByteAtATime<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some((first, rest)) = self.0.split_first() {
            buf.put_slice(&[*first]);
            self.0 = rest;
        }
        Poll::Ready(Ok(()))
    }
}

/// A client that sends `sent` and then breaks off.
struct BrokenOff<'a>(&'a [u8]);

impl AsyncRead for BrokenOff<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.0.is_empty() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "the client went away",
            )));
        }
        buf.put_slice(self.0);
        self.0 = &[];
        Poll::Ready(Ok(()))
    }
}

/// (row, email, first name, company) of each valid entry; a bad one panics.
fn leads(entries: &[BulkEntry]) -> Vec<(usize, String, Option<String>, Option<String>)> {
    entries
        .iter()
        .map(|entry| {
            let lead = entry.lead.as_ref().expect("a valid row");
            (
                entry.index,
                lead.email().as_str().to_owned(),
                lead.first_name().map(str::to_owned),
                lead.company_name().map(str::to_owned),
            )
        })
        .collect()
}

/// (pointer, code) of each problem of an entry.
fn problems_of(entry: &BulkEntry) -> Vec<(String, ProblemCode)> {
    entry
        .lead
        .as_ref()
        .expect_err("a bad row")
        .iter()
        .map(|problem| (problem.pointer().to_string(), problem.code()))
        .collect()
}

fn refusal_problems(refused: CsvRefused) -> Vec<(String, ProblemCode)> {
    match refused {
        CsvRefused::Header(problems) => problems
            .iter()
            .map(|problem| (problem.pointer().to_string(), problem.code()))
            .collect(),
        other => panic!("expected a header refusal, got {other:?}"),
    }
}

fn lead(
    row: usize,
    email: &str,
    first: &str,
    company: &str,
) -> (usize, String, Option<String>, Option<String>) {
    (
        row,
        email.to_owned(),
        Some(first.to_owned()),
        Some(company.to_owned()),
    )
}

#[tokio::test]
async fn headers_map_by_name_and_a_utf8_bom_is_ignored() {
    let csv = "\u{feff}E-mail,First Name,Company\nada@example.com,Ada,Analytical Engines\n";
    for entries in [
        read(csv.as_bytes()).await,
        read_byte_by_byte(csv.as_bytes()).await,
    ] {
        assert_eq!(
            leads(&entries),
            [lead(1, "ada@example.com", "Ada", "Analytical Engines")]
        );
    }
}

#[tokio::test]
async fn semicolon_separated_files_are_read_by_their_header() {
    let csv = b"Email;First Name;Company\nada@example.com;Ada;Engines, Ltd\n";
    assert_eq!(
        leads(&read(csv).await),
        [lead(1, "ada@example.com", "Ada", "Engines, Ltd")]
    );
}

#[test]
fn delimiter_is_the_one_the_header_line_holds_more_of_outside_quotes() {
    let cases: [(&[u8], bool, Option<u8>); 10] = [
        (b"Email,Name\n", false, Some(b',')),
        (b"Email;Name\n", false, Some(b';')),
        (b"Email;Name;Company\r\nx,y", false, Some(b';')),
        (b"\"a,b,c\";Email;Name\n", false, Some(b';')),
        (b"\"a;b;c\",Email\n", false, Some(b',')),
        (b"Email;Name,Company\n", false, Some(b',')),
        (b"Email\n", false, Some(b',')),
        (b"\r\n;;;\n  \nEmail;Name\n", false, Some(b';')),
        (b"Email;Na", false, None),
        (b"Email;Name", true, Some(b';')),
    ];
    for (head, eof, expected) in cases {
        assert_eq!(
            sniff_delimiter(head, eof),
            expected,
            "{}",
            String::from_utf8_lossy(head)
        );
    }
    let endless = vec![b';'; HEADER_SNIFF_BYTES];
    assert_eq!(sniff_delimiter(&endless, false), Some(b';'));
}

#[tokio::test]
async fn quoted_cells_keep_delimiters_line_breaks_and_doubled_quotes() {
    let csv = concat!(
        "Email,First Name,Company,Notes\n",
        "ada@example.com,\"Ada\",\"Engines, Ltd\",\"said \"\"hi\"\"\nthen left\"\n",
        "bob@example.com,Bob,\"\",\"\"\n",
    );
    for entries in [
        read(csv.as_bytes()).await,
        read_byte_by_byte(csv.as_bytes()).await,
    ] {
        assert_eq!(entries.len(), 2);
        let ada = entries[0].lead.as_ref().expect("valid");
        assert_eq!(ada.company_name(), Some("Engines, Ltd"));
        assert_eq!(
            ada.custom_fields().get("Notes"),
            Some(&CustomValue::Text("said \"hi\"\nthen left".to_owned()))
        );
        assert_eq!(entries[1].index, 2, "a line break in quotes is no new row");
        assert_eq!(
            entries[1].lead.as_ref().expect("valid").company_name(),
            None
        );
    }
}

#[tokio::test]
async fn crlf_lines_and_a_last_line_without_a_break_are_rows() {
    let csv = b"Email,First Name,Company\r\na@example.com,A,X\r\nb@example.com,B,Y";
    assert_eq!(
        leads(&read(csv).await),
        [
            lead(1, "a@example.com", "A", "X"),
            lead(2, "b@example.com", "B", "Y")
        ]
    );
    assert_eq!(
        leads(&read_byte_by_byte(csv).await),
        leads(&read(csv).await)
    );
}

#[tokio::test]
async fn blank_rows_are_skipped_and_not_numbered() {
    let csv = b"\n\nEmail;First Name;Company\n\na@example.com;A;X\r\n\r\n   \n;;\n b@example.com ;B;Y\n;;\n\n";
    let entries = read(csv).await;
    assert_eq!(
        leads(&entries),
        [
            lead(1, "a@example.com", "A", "X"),
            lead(2, "b@example.com", "B", "Y")
        ]
    );
    assert_eq!(
        entries[1].given_email.as_deref(),
        Some(" b@example.com "),
        "given as written"
    );
}

#[tokio::test]
async fn a_ragged_row_is_that_rows_error_and_the_others_are_kept() {
    let csv = b"Email,First Name,Company\na@example.com,A,X\nb@example.com,B\nc@example.com,C,Z,extra\nd@example.com,D,W\n";
    let entries = read(csv).await;
    assert_eq!(entries.len(), 4);
    assert_eq!(
        leads(&[entries[0].clone(), entries[3].clone()]),
        [
            lead(1, "a@example.com", "A", "X"),
            lead(4, "d@example.com", "D", "W")
        ]
    );
    for (entry, row, email) in [
        (&entries[1], 2, "b@example.com"),
        (&entries[2], 3, "c@example.com"),
    ] {
        assert_eq!(entry.index, row);
        assert_eq!(entry.given_email.as_deref(), Some(email));
        assert_eq!(
            problems_of(entry),
            [(format!("/file/rows/{row}"), ProblemCode::InvalidStructure)]
        );
    }
}

#[tokio::test]
async fn a_cell_that_is_not_utf8_is_its_rows_error_at_its_field() {
    let csv = b"Email,First Name,Notes\na@example.com,Andr\xe9,x\nb@example.com,B,caf\xe9\nc\xe9@example.com,C,y\nd@example.com,D,z\n";
    let entries = read(csv).await;
    assert_eq!(entries.len(), 4);
    assert_eq!(
        problems_of(&entries[0]),
        [(
            "/file/rows/1/firstName".to_owned(),
            ProblemCode::InvalidFormat
        )]
    );
    assert_eq!(entries[0].given_email.as_deref(), Some("a@example.com"));
    assert_eq!(
        problems_of(&entries[1]),
        [(
            "/file/rows/2/customFields/Notes".to_owned(),
            ProblemCode::InvalidFormat
        )]
    );
    assert_eq!(
        problems_of(&entries[2]),
        [("/file/rows/3/email".to_owned(), ProblemCode::InvalidFormat)]
    );
    assert_eq!(entries[2].given_email, None, "no email text to report");
    assert!(entries[3].lead.is_ok());
}

#[tokio::test]
async fn a_bad_value_points_at_its_row_and_field() {
    let csv = b"Email,Country,Tags\nnot an address,ZZ,ok\nb@example.com,GB,fintech\n";
    let entries = read(csv).await;
    assert_eq!(
        problems_of(&entries[0]),
        [
            ("/file/rows/1/email".to_owned(), ProblemCode::InvalidFormat),
            ("/file/rows/1/country".to_owned(), ProblemCode::InvalidValue),
        ]
    );
    assert_eq!(entries[0].given_email.as_deref(), Some("not an address"));
    assert_eq!(entries[1].lead.as_ref().expect("valid").tags(), ["fintech"]);
}

#[tokio::test]
async fn unmapped_headers_become_custom_fields() {
    let csv = b"Email,Last Funding,Employees\na@example.com,Series B,120\n";
    let entries = read(csv).await;
    let custom = entries[0].lead.as_ref().expect("valid").custom_fields();
    assert_eq!(
        custom.get("Last_Funding"),
        Some(&CustomValue::Text("Series B".to_owned()))
    );
    assert_eq!(
        custom.get("Employees"),
        Some(&CustomValue::Text("120".to_owned()))
    );
}

#[tokio::test]
async fn an_explicit_mapping_wins_including_custom_fields() {
    let csv = b"Work Address,Given,Notes,Company\na@example.com,Ada,likes tea,Engines\n";
    let mapping = mapping(&[
        ("Work Address", "email"),
        ("Given", "firstName"),
        ("Notes", "customFields.icebreaker"),
    ]);
    let (_, entries) = read_with(&csv[..], Some(&mapping), &defaults())
        .await
        .expect("accepted");
    assert_eq!(
        leads(&entries),
        [lead(1, "a@example.com", "Ada", "Engines")]
    );
    let custom = entries[0].lead.as_ref().expect("valid").custom_fields();
    assert_eq!(
        custom.get("icebreaker"),
        Some(&CustomValue::Text("likes tea".to_owned()))
    );
    assert_eq!(custom.get("Notes"), None);
}

#[tokio::test]
async fn rows_are_judged_with_the_imports_options() {
    let options = ImportOptions::parse(
        Some(true),
        Some(true),
        Some("webinar"),
        &JsonPointer::root(),
    )
    .expect("valid");
    let csv = b"Email,First Name\n  a@EXAMPLE.com ,  Ada   Lovelace \n";
    let (_, entries) = read_with(&csv[..], None, &options).await.expect("accepted");
    let lead = entries[0].lead.as_ref().expect("valid");
    assert_eq!(lead.email().as_str(), "a@example.com", "cleaned up");
    assert_eq!(lead.first_name(), Some("Ada Lovelace"));
    assert_eq!(lead.tags(), ["webinar"], "tagged");
    assert_eq!(entries[0].given_email.as_deref(), Some("  a@EXAMPLE.com "));
}

/// Reads `csv` expecting a refusal, and checks `on_batch` was never called.
async fn refused(file: impl AsyncRead + Unpin, mapping: Option<&CsvMapping>) -> CsvRefused {
    let calls = Cell::new(0);
    let refusal = read_leads(file, mapping, &defaults(), batch(10), |_| {
        calls.set(calls.get() + 1);
        async { Ok::<(), ()>(()) }
    })
    .await
    .expect_err("refused");
    assert_eq!(calls.get(), 0, "nothing is delivered from a refused file");
    refusal
}

#[tokio::test]
async fn a_header_without_an_email_column_is_refused_before_any_row() {
    let refusal = refused(&b"First Name,Company\nAda,Engines\n"[..], None).await;
    assert_eq!(
        refusal_problems(refusal),
        [("/file/header".to_owned(), ProblemCode::Required)]
    );
}

#[tokio::test]
async fn header_problems_point_at_the_header_and_the_mapping() {
    let mapping = mapping(&[("Mail", "firstName")]);
    let refusal = refused(
        &b"Email,E-mail\na@example.com,b@example.com\n"[..],
        Some(&mapping),
    )
    .await;
    assert_eq!(
        refusal_problems(refusal),
        [
            ("/mapping/Mail".to_owned(), ProblemCode::InvalidValue),
            ("/file/header/1".to_owned(), ProblemCode::Duplicate),
        ]
    );
    let not_utf8 = refused(&b"Email,Pr\xe9nom\na@example.com,x\n"[..], None).await;
    assert_eq!(
        refusal_problems(not_utf8),
        [("/file/header/1".to_owned(), ProblemCode::InvalidFormat)]
    );
}

#[tokio::test]
async fn an_empty_or_utf16_file_is_refused() {
    for empty in [&b""[..], b"\xEF\xBB\xBF", b"\n\r\n  \n,,\n"] {
        assert_eq!(
            refusal_problems(refused(empty, None).await),
            [("/file".to_owned(), ProblemCode::Required)]
        );
    }
    let utf16 = b"\xFF\xFEE\0m\0a\0i\0l\0\n\0";
    assert_eq!(
        refusal_problems(refused(&utf16[..], None).await),
        [("/file".to_owned(), ProblemCode::InvalidFormat)]
    );
}

#[tokio::test]
async fn a_header_alone_is_a_file_of_no_rows() {
    let (rows, entries) = read_with(&b"Email,First Name\n"[..], None, &defaults())
        .await
        .expect("accepted");
    assert_eq!((rows, entries.len()), (0, 0));
}

fn rows_file(rows: usize) -> Vec<u8> {
    let mut csv = b"Email\n".to_vec();
    for row in 0..rows {
        csv.extend_from_slice(format!("a{row}@example.com\n").as_bytes());
    }
    csv
}

#[tokio::test]
async fn a_file_of_50_000_rows_is_counted_whole() {
    let csv = rows_file(MAX_CSV_ROWS);
    let spooled = spool(&csv[..], None).await.expect("at the limit");
    assert_eq!(spooled.rows, MAX_CSV_ROWS);
}

#[tokio::test]
async fn a_file_of_more_than_50_000_rows_is_refused_with_nothing_delivered() {
    let mut csv = rows_file(MAX_CSV_ROWS + 1);
    // Blank rows are not rows: the file with one data row fewer is accepted.
    let last_row = csv.len() - "a50000@example.com\n".len();
    assert!(matches!(
        refused(&csv[..], None).await,
        CsvRefused::TooManyRows
    ));
    csv.truncate(last_row);
    csv.extend_from_slice(b"\n\n  \n");
    assert_eq!(
        spool(&csv[..], None).await.expect("accepted").rows,
        MAX_CSV_ROWS
    );
}

/// A file of exactly `size` bytes: a header, then one row that never ends.
fn file_of(size: u64) -> impl AsyncRead + Unpin {
    let header = b"Email,Notes\na@example.com,";
    (&header[..]).chain(tokio::io::repeat(b'x').take(size - header.len() as u64))
}

#[tokio::test]
async fn a_file_larger_than_50_mib_is_refused_with_nothing_delivered() {
    assert!(matches!(
        refused(file_of(MAX_CSV_BYTES + 1), None).await,
        CsvRefused::TooLarge
    ));
}

#[tokio::test]
async fn a_file_of_50_mib_is_read_and_its_overlong_row_reported() {
    let (rows, entries) = read_with(file_of(MAX_CSV_BYTES), None, &defaults())
        .await
        .expect("at the limit");
    assert_eq!(rows, 1);
    assert_eq!(
        problems_of(&entries[0]),
        [("/file/rows/1".to_owned(), ProblemCode::TooLong)]
    );
}

#[tokio::test]
async fn an_upload_that_breaks_off_is_refused_as_an_upload_error() {
    assert!(matches!(
        refused(BrokenOff(b"Email\na@example.com\n"), None).await,
        CsvRefused::Upload(_)
    ));
}

#[tokio::test]
async fn rows_longer_or_wider_than_the_bounds_are_their_rows_errors() {
    let mut csv = b"Email,Notes\na@example.com,".to_vec();
    csv.extend(std::iter::repeat_n(b'x', MAX_ROW_BYTES));
    csv.extend_from_slice(b"\nb@example.com,");
    csv.extend(std::iter::repeat_n(b',', MAX_ROW_CELLS));
    csv.extend_from_slice(b"\nc@example.com,fine\n");
    let entries = read(&csv).await;
    assert_eq!(entries.len(), 3);
    assert_eq!(
        problems_of(&entries[0]),
        [("/file/rows/1".to_owned(), ProblemCode::TooLong)]
    );
    assert_eq!(
        problems_of(&entries[1]),
        [("/file/rows/2".to_owned(), ProblemCode::TooLong)]
    );
    assert_eq!(entries[2].index, 3);
    assert!(entries[2].lead.is_ok());
}

#[test]
fn a_records_buffers_never_grow_past_the_row_bounds() {
    let mut records = Records::new(b',');
    let mut row = vec![b'x'; 3 * MAX_ROW_BYTES];
    row.extend(std::iter::repeat_n(b',', 3 * MAX_ROW_CELLS));
    row.push(b'\n');
    let (used, step) = records.split(&row, false);
    assert_eq!((used, step), (row.len(), Step::Record));
    assert_eq!(records.overflow, Some(Overflow::Bytes));
    assert!(records.bytes.len() <= MAX_ROW_BYTES);
    assert!(records.ends.len() <= MAX_ROW_CELLS);
}

/// Emails of each batch, as `on_batch` saw them.
type Seen = RefCell<Vec<Vec<usize>>>;

#[tokio::test]
async fn batches_have_the_requested_size_in_file_order_one_at_a_time() {
    let csv = rows_file(25);
    let seen: Seen = RefCell::new(Vec::new());
    let in_flight = Cell::new(0);
    let read = read_leads(&csv[..], None, &defaults(), batch(10), |entries| {
        let seen = &seen;
        let in_flight = &in_flight;
        async move {
            in_flight.set(in_flight.get() + 1);
            assert_eq!(in_flight.get(), 1, "one batch at a time");
            // Give a reader that did not wait a chance to run ahead.
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            seen.borrow_mut()
                .push(entries.iter().map(|entry| entry.index).collect());
            in_flight.set(in_flight.get() - 1);
            Ok::<(), ()>(())
        }
    })
    .await
    .expect("accepted");
    assert_eq!(read.rows, 25);
    let seen = seen.into_inner();
    let sizes: Vec<usize> = seen.iter().map(Vec::len).collect();
    assert_eq!(sizes, [10, 10, 5]);
    let order: Vec<usize> = seen.into_iter().flatten().collect();
    assert_eq!(order, (1..=25).collect::<Vec<_>>());
}

#[tokio::test]
async fn an_on_batch_error_stops_the_read() {
    let csv = rows_file(50);
    let calls = Cell::new(0);
    let read = read_leads(&csv[..], None, &defaults(), batch(10), |_| {
        calls.set(calls.get() + 1);
        let failed = calls.get() == 2;
        async move { if failed { Err("database gone") } else { Ok(()) } }
    })
    .await
    .expect("accepted");
    assert_eq!(read.stopped, Some("database gone"));
    assert_eq!(
        read.rows, 50,
        "the file's rows, counted before the first batch"
    );
    assert_eq!(calls.get(), 2, "no batch after the error");
}

#[test]
fn the_reader_can_run_in_a_sendable_task() {
    fn sendable<T: Send>(_: T) {}
    let options = defaults();
    sendable(read_leads(
        tokio::io::empty(),
        None,
        &options,
        batch(10),
        |_: Vec<BulkEntry>| async { Ok::<(), io::Error>(()) },
    ));
}
