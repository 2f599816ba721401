//! JSON Lines import of case records: each line is parsed and validated on its own, good
//! records are upserted in batches (one atomic write and one flush per batch), and bad
//! lines are reported with their line number without stopping the import.

use std::path::Path;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use super::{CaseRecord, CaseStore, InvalidRecord, StoreError, UpsertOutcome, parse_record};

/// Records written per batch (and per flush).
pub const BATCH_SIZE: usize = 4096;
/// Longest line accepted, in bytes.
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// Most rejected lines listed in a report; the rest are only counted.
pub const MAX_LISTED_REJECTIONS: usize = 1000;

/// A line that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    /// 1-based line number.
    pub line: usize,
    /// Why.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// New cases.
    pub inserted: usize,
    /// Changed cases.
    pub updated: usize,
    /// Cases already stored with the same content (not rewritten).
    pub unchanged: usize,
    /// Number of lines refused.
    pub rejected_total: usize,
    /// The refused lines, the first [`MAX_LISTED_REJECTIONS`] of them.
    pub rejected: Vec<Rejected>,
}

impl ImportReport {
    /// Records accepted (inserted, updated or unchanged).
    pub fn accepted(&self) -> usize {
        self.inserted + self.updated + self.unchanged
    }

    /// Adds a report of a later part of the same file whose first line was `line_offset + 1`.
    pub fn absorb(&mut self, part: ImportReport, line_offset: usize) {
        self.inserted += part.inserted;
        self.updated += part.updated;
        self.unchanged += part.unchanged;
        self.rejected_total += part.rejected_total;
        for mut r in part.rejected {
            r.line += line_offset;
            self.push_rejected(r);
        }
    }

    fn push_rejected(&mut self, r: Rejected) {
        if self.rejected.len() < MAX_LISTED_REJECTIONS {
            self.rejected.push(r);
        }
    }

    fn count(&mut self, outcome: UpsertOutcome) {
        match outcome {
            UpsertOutcome::Inserted => self.inserted += 1,
            UpsertOutcome::Updated => self.updated += 1,
            UpsertOutcome::Unchanged => self.unchanged += 1,
        }
    }
}

/// Something that happened during an import, for progress display.
#[derive(Debug)]
pub enum ImportEvent<'a> {
    /// A line was refused.
    Rejected(&'a Rejected),
    /// A batch is durable; `lines` lines have been read so far.
    Progress {
        /// Lines read so far.
        lines: usize,
        /// Counts so far.
        report: &'a ImportReport,
    },
}

/// Why an import stopped before the end.
#[derive(Debug)]
pub enum ImportError {
    /// The input could not be read.
    Read(String),
    /// The store failed; batches reported before this are durable.
    Store(StoreError),
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportError::Read(e) => f.write_str(e),
            ImportError::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ImportError {}

impl From<StoreError> for ImportError {
    fn from(e: StoreError) -> Self {
        ImportError::Store(e)
    }
}

/// Imports a JSON Lines file into the store.
pub async fn import_file(store: &CaseStore, path: &Path) -> Result<ImportReport, ImportError> {
    import_file_with(store, path, |_| {}).await
}

/// Imports a JSON Lines file, calling `on_event` for each refused line and each batch.
pub async fn import_file_with(
    store: &CaseStore,
    path: &Path,
    on_event: impl FnMut(ImportEvent<'_>),
) -> Result<ImportReport, ImportError> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| ImportError::Read(format!("cannot open {}: {e}", path.display())))?;
    let reader = tokio::io::BufReader::with_capacity(256 * 1024, file);
    import_reader(store, reader, on_event)
        .await
        .map_err(|e| match e {
            ImportError::Read(r) => {
                ImportError::Read(format!("cannot read {}: {r}", path.display()))
            }
            other => other,
        })
}

/// Imports JSON Lines held in memory (the admin API's bulk endpoint).
pub async fn import_bytes(store: &CaseStore, text: &[u8]) -> Result<ImportReport, ImportError> {
    import_reader(store, text, |_| {}).await
}

/// Imports JSON Lines from any buffered reader.
pub async fn import_reader<R: AsyncBufRead + Unpin>(
    store: &CaseStore,
    mut reader: R,
    mut on_event: impl FnMut(ImportEvent<'_>),
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport::default();
    let mut line_no = 0;
    let mut batch: Vec<(usize, Vec<u8>)> = Vec::with_capacity(BATCH_SIZE);
    // Writing batch k overlaps with reading and parsing batch k + 1.
    let mut writing: Option<Write> = None;
    loop {
        let mut line = Vec::new();
        let n = reader
            .read_until(b'\n', &mut line)
            .await
            .map_err(|e| ImportError::Read(e.to_string()))?;
        if n > 0 {
            line_no += 1;
            if !line.iter().all(u8::is_ascii_whitespace) {
                batch.push((line_no, line));
            }
        }
        if batch.len() == BATCH_SIZE || (n == 0 && !batch.is_empty()) {
            let records =
                parse_batch(std::mem::take(&mut batch), &mut report, &mut on_event).await?;
            if let Some(previous) = writing.take() {
                finish_write(previous, &mut report, &mut on_event).await?;
            }
            let store = store.clone();
            writing = Some(Write {
                lines: line_no,
                task: tokio::spawn(async move { store.upsert_batch(records).await }),
            });
        }
        if n == 0 {
            break;
        }
    }
    if let Some(last) = writing {
        finish_write(last, &mut report, &mut on_event).await?;
    }
    Ok(report)
}

/// A batch being written, and how many lines had been read when it was sent.
struct Write {
    lines: usize,
    task: tokio::task::JoinHandle<Result<Vec<UpsertOutcome>, StoreError>>,
}

async fn finish_write(
    write: Write,
    report: &mut ImportReport,
    on_event: &mut impl FnMut(ImportEvent<'_>),
) -> Result<(), ImportError> {
    let outcomes = write
        .task
        .await
        .map_err(|e| ImportError::Store(StoreError::Db(format!("batch write failed: {e}"))))??;
    for outcome in outcomes {
        report.count(outcome);
    }
    on_event(ImportEvent::Progress {
        lines: write.lines,
        report,
    });
    Ok(())
}

/// Parses a batch off the async runtime; records the refused lines and returns the rest.
async fn parse_batch(
    lines: Vec<(usize, Vec<u8>)>,
    report: &mut ImportReport,
    on_event: &mut impl FnMut(ImportEvent<'_>),
) -> Result<Vec<CaseRecord>, ImportError> {
    let parsed = tokio::task::spawn_blocking(move || {
        lines
            .into_iter()
            .map(|(n, line)| (n, parse_line(n, &line)))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| ImportError::Read(format!("parsing task failed: {e}")))?;
    let mut records = Vec::with_capacity(parsed.len());
    for (line, result) in parsed {
        match result {
            Ok(record) => records.push(record),
            Err(invalid) => {
                let rejected = Rejected {
                    line,
                    reason: invalid.reason,
                };
                on_event(ImportEvent::Rejected(&rejected));
                report.rejected_total += 1;
                report.push_rejected(rejected);
            }
        }
    }
    Ok(records)
}

/// Parses and validates one line of a JSON Lines file (with or without its line break).
pub fn parse_line(line_no: usize, line: &[u8]) -> Result<CaseRecord, InvalidRecord> {
    let mut line = line.strip_suffix(b"\n").unwrap_or(line);
    line = line.strip_suffix(b"\r").unwrap_or(line);
    if line_no == 1 {
        line = line.strip_prefix("\u{feff}".as_bytes()).unwrap_or(line);
    }
    if line.len() > MAX_LINE_BYTES {
        return Err(InvalidRecord {
            field: String::new(),
            reason: format!(
                "the line is {} bytes long; a record may have at most {MAX_LINE_BYTES}",
                line.len()
            ),
        });
    }
    if std::str::from_utf8(line).is_err() {
        return Err(InvalidRecord {
            field: String::new(),
            reason: "the line is not valid UTF-8".to_string(),
        });
    }
    parse_record(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_endings_and_byte_order_marks_are_tolerated() {
        let line = "\u{feff}{\"receipt_number\":\"EAC2690000001\",\"form\":\"I-130\",\"status\":\"Case Was Received\",\"updated\":\"2026-01-02\"}\r\n";
        assert!(parse_line(1, line.as_bytes()).is_ok());
        assert!(
            parse_line(2, &[0xff, 0xfe, b'{', b'}'])
                .unwrap_err()
                .reason
                .contains("UTF-8")
        );
    }
}
