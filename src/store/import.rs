//! JSON Lines import of case records: each line is parsed and validated on its own, good
//! records are upserted in batches written as they come and flushed every
//! [`FLUSH_RECORDS`] records and at the end, and bad lines are reported with their line
//! number without stopping the import. Changes are announced only once flushed.

use std::path::Path;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use super::{CaseRecord, CaseStore, InvalidRecord, StoreError, UpsertOutcome, parse_record};

/// Lines parsed together; parsing one batch overlaps with writing the one before.
pub const BATCH_SIZE: usize = 4096;
/// Records per atomic write of a file import; the bulk endpoint writes each batch whole.
pub const FILE_ATOMIC_RECORDS: usize = 512;
/// Records accepted between two checkpoints: a flush, the changes announced and a progress
/// event. Re-running an interrupted import completes it, so flushing less often loses
/// nothing, and the final report always comes after the last flush.
pub const FLUSH_RECORDS: usize = 65_536;
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
    /// Everything written so far is durable; `lines` lines had been read.
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

/// Imports a JSON Lines file, calling `on_event` for each refused line and each checkpoint.
pub async fn import_file_with(
    store: &CaseStore,
    path: &Path,
    on_event: impl FnMut(ImportEvent<'_>),
) -> Result<ImportReport, ImportError> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| ImportError::Read(format!("cannot open {}: {e}", path.display())))?;
    let reader = tokio::io::BufReader::with_capacity(256 * 1024, file);
    import_lines(store, reader, FILE_ATOMIC_RECORDS, on_event)
        .await
        .map_err(|e| match e {
            ImportError::Read(r) => {
                ImportError::Read(format!("cannot read {}: {r}", path.display()))
            }
            other => other,
        })
}

/// Imports JSON Lines held in memory (the admin API's bulk endpoint). Each batch of up to
/// [`BATCH_SIZE`] records is written atomically.
pub async fn import_bytes(store: &CaseStore, text: &[u8]) -> Result<ImportReport, ImportError> {
    import_reader(store, text, |_| {}).await
}

/// Imports JSON Lines from any buffered reader, each batch written atomically.
pub async fn import_reader<R: AsyncBufRead + Unpin>(
    store: &CaseStore,
    reader: R,
    on_event: impl FnMut(ImportEvent<'_>),
) -> Result<ImportReport, ImportError> {
    import_lines(store, reader, BATCH_SIZE, on_event).await
}

async fn import_lines<R: AsyncBufRead + Unpin>(
    store: &CaseStore,
    mut reader: R,
    atomic_records: usize,
    mut on_event: impl FnMut(ImportEvent<'_>),
) -> Result<ImportReport, ImportError> {
    let mut run = Run {
        store,
        atomic_records,
        report: ImportReport::default(),
        writing: None,
        lines_written: 0,
        since_checkpoint: 0,
        changed: Vec::new(),
    };
    let read = run.read_all(&mut reader, &mut on_event).await;
    // What was written is made durable and announced even when reading stopped early.
    run.checkpoint(&mut on_event).await?;
    read.map(|()| run.report)
}

/// The state of one import.
struct Run<'a> {
    store: &'a CaseStore,
    atomic_records: usize,
    report: ImportReport,
    /// The batch being written, and how many lines had been read when it was sent.
    writing: Option<(usize, WriteTask)>,
    /// Lines read when the last finished batch was sent.
    lines_written: usize,
    /// Records accepted since the last checkpoint.
    since_checkpoint: usize,
    /// Changed records written but not yet flushed, to announce after the flush.
    changed: Vec<CaseRecord>,
}

type WriteTask = tokio::task::JoinHandle<Result<(Vec<UpsertOutcome>, Vec<CaseRecord>), StoreError>>;

impl Run<'_> {
    async fn read_all<R: AsyncBufRead + Unpin>(
        &mut self,
        reader: &mut R,
        on_event: &mut impl FnMut(ImportEvent<'_>),
    ) -> Result<(), ImportError> {
        let mut line_no = 0;
        let mut batch: Vec<(usize, Vec<u8>)> = Vec::with_capacity(BATCH_SIZE);
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
                    parse_batch(std::mem::take(&mut batch), &mut self.report, on_event).await?;
                self.finish_write().await?;
                if self.since_checkpoint >= FLUSH_RECORDS {
                    self.checkpoint(on_event).await?;
                }
                let (store, atomic) = (self.store.clone(), self.atomic_records);
                let task =
                    tokio::spawn(async move { store.write_unflushed(records, atomic).await });
                self.writing = Some((line_no, task));
            }
            if n == 0 {
                return Ok(());
            }
        }
    }

    /// Waits for the batch being written, if any, and counts its outcomes.
    async fn finish_write(&mut self) -> Result<(), ImportError> {
        let Some((lines, task)) = self.writing.take() else {
            return Ok(());
        };
        let (outcomes, changed) = task.await.map_err(|e| {
            ImportError::Store(StoreError::Db(format!("batch write failed: {e}")))
        })??;
        self.since_checkpoint += outcomes.len();
        for outcome in outcomes {
            self.report.count(outcome);
        }
        self.changed.extend(changed);
        self.lines_written = lines;
        Ok(())
    }

    /// Flushes what was written, announces the changes and reports progress.
    async fn checkpoint(
        &mut self,
        on_event: &mut impl FnMut(ImportEvent<'_>),
    ) -> Result<(), ImportError> {
        self.finish_write().await?;
        if !self.changed.is_empty() {
            self.store.flush().await?;
            self.store.publish_all(std::mem::take(&mut self.changed));
        }
        if self.since_checkpoint > 0 {
            self.since_checkpoint = 0;
            on_event(ImportEvent::Progress {
                lines: self.lines_written,
                report: &self.report,
            });
        }
        Ok(())
    }
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
