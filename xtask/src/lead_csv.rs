//! The file of the CSV import benchmark (LEADS.md section 5: 50,000 rows of 20 columns, about 10 MB):
//! deterministic for a seed, so two runs of one seed write the same bytes, and a new seed gives new
//! emails, so a run can import into a workspace that an earlier run filled without hitting its
//! duplicates. The headers are the spellings people export (`First Name`, `E-mail`, `Company`), so the
//! import maps them by name; seven of them become custom fields. Some cells need RFC 4180 quoting (a
//! comma in a company name or a tag list, doubled quotes in a note), so the benchmark pays for it.

use std::io::{self, Write};

/// The header row: 13 standard fields, then 7 custom ones.
pub(crate) const COLUMNS: [&str; 20] = [
    "E-mail",
    "First Name",
    "Last Name",
    "Company",
    "Job Title",
    "Phone",
    "LinkedIn",
    "Website",
    "City",
    "State",
    "Country",
    "Time Zone",
    "Tags",
    "Industry",
    "Employees",
    "Revenue",
    "Funding",
    "Source",
    "Score",
    "Notes",
];

const FIRST: [&str; 8] = [
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken",
];
const LAST: [&str; 8] = [
    "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson",
];
/// (company, its domain)
const COMPANIES: [(&str, &str); 6] = [
    ("Analytical Engines", "ae.example"),
    ("Acme, Inc.", "acme.example"),
    ("Globex", "globex.example"),
    ("Initech", "initech.example"),
    ("Umbrella Labs", "umbrella.example"),
    ("Stark & Sons", "stark.example"),
];
const TITLES: [&str; 4] = ["CTO", "Head of Sales", "Founder", "VP Engineering"];
/// (city, state, country, time zone)
const PLACES: [(&str, &str, &str, &str); 4] = [
    ("London", "", "GB", "Europe/London"),
    ("Austin", "TX", "US", "America/Chicago"),
    ("Berlin", "", "DE", "Europe/Berlin"),
    ("Lyon", "", "FR", "Europe/Paris"),
];
const TAGS: [&str; 4] = ["fintech", "\"fintech,EU\"", "saas", "\"saas,webinar\""];
const INDUSTRIES: [&str; 4] = ["Software", "Finance", "Retail", "Health"];
const FUNDING: [&str; 4] = ["Seed", "Series A", "Series B", ""];
const SOURCES: [&str; 3] = ["webinar", "referral", "list"];
const NOTES: [&str; 3] = ["", "met at the fair", "\"said \"\"call me\"\"\""];

/// Writes the header and `rows` data rows of the benchmark's file for `seed`. Every email is
/// `{first}.{seed}.{row}@{domain}`, so none repeats within a file or across seeds. It writes a row at
/// a time: give it a `BufWriter` over a file.
pub(crate) fn write_leads_csv(mut out: impl Write, rows: usize, seed: u64) -> io::Result<()> {
    writeln!(out, "{}", COLUMNS.join(","))?;
    let mut random = SplitMix64(seed);
    for row in 1..=rows {
        let mut pick = |len: usize| (random.next() % len as u64) as usize;
        let (first, last) = (FIRST[pick(FIRST.len())], LAST[pick(LAST.len())]);
        let (company, domain) = COMPANIES[pick(COMPANIES.len())];
        let (city, state, country, zone) = PLACES[pick(PLACES.len())];
        let phone = 1_000_000 + pick(9_000_000);
        let company_cell = if company.contains(',') {
            format!("\"{company}\"")
        } else {
            company.to_owned()
        };
        writeln!(
            out,
            "{first_lower}.{seed}.{row}@{domain},{first},{last},{company_cell},{title},\
             +4420{phone},linkedin.com/in/{first_lower}{row},www.{domain},{city},{state},\
             {country},{zone},{tags},{industry},{employees},{revenue}M,{funding},{source},{score},{notes}",
            first_lower = first.to_lowercase(),
            title = TITLES[pick(TITLES.len())],
            tags = TAGS[pick(TAGS.len())],
            industry = INDUSTRIES[pick(INDUSTRIES.len())],
            employees = 1 + pick(5_000),
            revenue = 1 + pick(500),
            funding = FUNDING[pick(FUNDING.len())],
            source = SOURCES[pick(SOURCES.len())],
            score = pick(100),
            notes = NOTES[pick(NOTES.len())],
        )?;
    }
    out.flush()
}

/// Steele, Lea and Flood's SplitMix64: a few lines, good enough spread for test data, no dependency.
#[derive(Debug)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn file(rows: usize, seed: u64) -> String {
        let mut bytes = Vec::new();
        write_leads_csv(&mut bytes, rows, seed).expect("writes to memory");
        String::from_utf8(bytes).expect("UTF-8")
    }

    /// The cells of one line, for files whose quoted cells hold no line break (these don't).
    fn cells(line: &str) -> Vec<String> {
        let (mut cells, mut cell, mut quoted) = (Vec::new(), String::new(), false);
        let mut chars = line.chars().peekable();
        while let Some(character) = chars.next() {
            match character {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    cell.push('"');
                    chars.next();
                }
                '"' => quoted = !quoted,
                ',' if !quoted => cells.push(std::mem::take(&mut cell)),
                other => cell.push(other),
            }
        }
        cells.push(cell);
        cells
    }

    #[test]
    fn the_benchmark_file_is_the_same_for_a_seed() {
        assert_eq!(file(200, 7), file(200, 7));
        assert_ne!(file(200, 7), file(200, 8));
    }

    #[test]
    fn every_row_has_20_cells_and_an_email_no_other_row_or_seed_has() {
        let mut emails = HashSet::new();
        for seed in [1, 2] {
            let text = file(2_000, seed);
            let mut lines = text.lines();
            assert_eq!(
                lines.next().map(cells),
                Some(COLUMNS.map(str::to_owned).to_vec())
            );
            for line in lines {
                let cells = cells(line);
                assert_eq!(cells.len(), 20, "{line}");
                assert!(cells[0].contains('@'), "{line}");
                assert!(emails.insert(cells[0].clone()), "{} repeats", cells[0]);
            }
        }
        assert_eq!(emails.len(), 4_000);
    }

    #[test]
    fn fifty_thousand_rows_make_about_ten_megabytes() {
        let mut size = Counted(0);
        write_leads_csv(&mut size, 50_000, 1).expect("counts");
        assert!(
            (9_000_000..=11_000_000).contains(&size.0),
            "{} bytes",
            size.0
        );
    }

    struct Counted(usize);

    impl Write for Counted {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
}
