//! JSON Lines import of case records: each line is parsed and validated on its own, good
//! records are upserted in batches written as they come and flushed every
//! [`FLUSH_RECORDS`] records and at the end, and bad lines are reported with their line
//! number without stopping the import. Changes are announced only once flushed.

use std::path::Path;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use super::case_store::{CaseStore, StoreError};
use crate::domain::case::{CaseRecord, InvalidRecord, UpsertOutcome, parse_known, parse_record};

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
pub async fn import_file(store: &dyn CaseStore, path: &Path) -> Result<ImportReport, ImportError> {
    import_file_with(store, path, |_| {}).await
}

/// Imports a JSON Lines file, calling `on_event` for each refused line and each checkpoint.
pub async fn import_file_with(
    store: &dyn CaseStore,
    path: &Path,
    on_event: impl FnMut(ImportEvent<'_>),
) -> Result<ImportReport, ImportError> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| ImportError::Read(format!("cannot open {}: {e}", path.display())))?;
    let reader = tokio::io::BufReader::with_capacity(256 * 1024, file);
    let plan = Plan {
        atomic_records: store.import_chunk().unwrap_or(FILE_ATOMIC_RECORDS),
        writers: store.import_writers().max(1),
    };
    import_lines(store, reader, plan, on_event)
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
pub async fn import_bytes(store: &dyn CaseStore, text: &[u8]) -> Result<ImportReport, ImportError> {
    import_reader(store, text, |_| {}).await
}

/// Imports JSON Lines from any buffered reader, each batch written atomically.
pub async fn import_reader<R: AsyncBufRead + Unpin>(
    store: &dyn CaseStore,
    reader: R,
    on_event: impl FnMut(ImportEvent<'_>),
) -> Result<ImportReport, ImportError> {
    let plan = Plan {
        atomic_records: BATCH_SIZE,
        writers: 1,
    };
    import_lines(store, reader, plan, on_event).await
}

/// How an import writes: records per atomic write, and how many writes run at once.
#[derive(Clone, Copy)]
struct Plan {
    atomic_records: usize,
    writers: usize,
}

impl Plan {
    /// Lines read and parsed together: enough for every writer to get a full write.
    fn batch_size(self) -> usize {
        BATCH_SIZE.max(self.atomic_records * self.writers)
    }
}

async fn import_lines<R: AsyncBufRead + Unpin>(
    store: &dyn CaseStore,
    mut reader: R,
    plan: Plan,
    mut on_event: impl FnMut(ImportEvent<'_>),
) -> Result<ImportReport, ImportError> {
    let mut run = Run {
        store,
        plan,
        report: ImportReport::default(),
        lines_written: 0,
        since_checkpoint: 0,
    };
    let read = run.read_all(&mut reader, &mut on_event).await;
    // What was written is made durable and announced even when reading stopped early.
    run.checkpoint(&mut on_event).await?;
    read.map(|()| run.report)
}

/// The state of one import.
struct Run<'a> {
    store: &'a dyn CaseStore,
    plan: Plan,
    report: ImportReport,
    /// Lines read when the last finished batch was sent.
    lines_written: usize,
    /// Records accepted since the last checkpoint.
    since_checkpoint: usize,
}

/// A batch of lines read, waiting to be parsed.
type Lines = Vec<(usize, Vec<u8>)>;

impl Run<'_> {
    /// Reads, parses and writes every batch; parsing one batch overlaps with writing the
    /// one before.
    async fn read_all<R: AsyncBufRead + Unpin>(
        &mut self,
        reader: &mut R,
        on_event: &mut impl FnMut(ImportEvent<'_>),
    ) -> Result<(), ImportError> {
        let mut line_no = 0;
        let mut writing: Option<(usize, Vec<CaseRecord>)> = None;
        loop {
            let size = self.plan.batch_size();
            let (lines, at_end) =
                read_batch(reader, size, &mut line_no, &mut self.report, on_event)
                    .await
                    .map_err(|e| ImportError::Read(e.to_string()))?;
            let (parsed, written) = tokio::join!(
                parse_batch(lines),
                write_chunks(self.store, writing.take(), self.plan)
            );
            self.count_written(written?);
            let records = self.keep_valid(parsed?, on_event);
            if self.since_checkpoint >= FLUSH_RECORDS {
                self.checkpoint(on_event).await?;
            }
            writing = Some((line_no, records));
            if at_end {
                let written = write_chunks(self.store, writing.take(), self.plan).await;
                self.count_written(written?);
                return Ok(());
            }
        }
    }

    fn count_written(&mut self, written: Option<(usize, Vec<UpsertOutcome>)>) {
        let Some((lines, outcomes)) = written else {
            return;
        };
        self.since_checkpoint += outcomes.len();
        for outcome in outcomes {
            self.report.count(outcome);
        }
        self.lines_written = lines;
    }

    /// Records the refused lines and returns the good records.
    fn keep_valid(
        &mut self,
        parsed: Vec<(usize, Result<CaseRecord, InvalidRecord>)>,
        on_event: &mut impl FnMut(ImportEvent<'_>),
    ) -> Vec<CaseRecord> {
        let mut records = Vec::with_capacity(parsed.len());
        for (line, result) in parsed {
            match result {
                Ok(record) => records.push(record),
                Err(invalid) => reject(&mut self.report, line, invalid.reason, on_event),
            }
        }
        records
    }

    /// Makes what was written durable and announced, and reports progress.
    async fn checkpoint(
        &mut self,
        on_event: &mut impl FnMut(ImportEvent<'_>),
    ) -> Result<(), ImportError> {
        self.store.sync().await?;
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

fn reject(
    report: &mut ImportReport,
    line: usize,
    reason: String,
    on_event: &mut impl FnMut(ImportEvent<'_>),
) {
    let rejected = Rejected { line, reason };
    on_event(ImportEvent::Rejected(&rejected));
    report.rejected_total += 1;
    report.push_rejected(rejected);
}

/// Reads up to `size` non-blank lines; true when the input ended. A line longer
/// than [`MAX_LINE_BYTES`] is refused as it streams past, never held in memory whole.
async fn read_batch<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    size: usize,
    line_no: &mut usize,
    report: &mut ImportReport,
    on_event: &mut impl FnMut(ImportEvent<'_>),
) -> std::io::Result<(Lines, bool)> {
    let mut batch = Vec::with_capacity(size);
    while batch.len() < size {
        let mut line = Vec::new();
        let read = read_line_capped(reader, &mut line, MAX_LINE_BYTES + 2).await?;
        if read.bytes == 0 {
            return Ok((batch, true));
        }
        *line_no += 1;
        if read.too_long {
            let reason = format!(
                "the line is {} bytes long; a record may have at most {MAX_LINE_BYTES}",
                read.bytes
            );
            reject(report, *line_no, reason, on_event);
        } else if !line.iter().all(u8::is_ascii_whitespace) {
            batch.push((*line_no, line));
        }
    }
    Ok((batch, false))
}

/// How much of one line [`read_line_capped`] read.
struct LineRead {
    /// Bytes of the line, its line break included; 0 at the end of the input.
    bytes: usize,
    /// The line was longer than the cap; only its first bytes were kept.
    too_long: bool,
}

/// Reads one line into `line` like `read_until(b'\n')`, but keeps at most `cap` bytes of
/// it and skips the rest, so one huge line costs no more memory than the cap.
async fn read_line_capped<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<LineRead> {
    let mut bytes = 0;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(LineRead {
                bytes,
                too_long: bytes > cap,
            });
        }
        let (taken, done) = match memchr::memchr(b'\n', available) {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        if bytes + taken <= cap {
            line.extend_from_slice(&available[..taken]);
        }
        bytes += taken;
        reader.consume(taken);
        if done {
            return Ok(LineRead {
                bytes,
                too_long: bytes > cap,
            });
        }
    }
}

/// Writes `records` in atomic chunks of the plan's size, deferring durability to the next
/// checkpoint; returns the lines read with the batch and each record's outcome. With
/// several writers, each takes the records of its share of the receipt numbers, in order.
async fn write_chunks(
    store: &dyn CaseStore,
    batch: Option<(usize, Vec<CaseRecord>)>,
    plan: Plan,
) -> Result<Option<(usize, Vec<UpsertOutcome>)>, ImportError> {
    let Some((lines, records)) = batch else {
        return Ok(None);
    };
    if plan.writers <= 1 {
        let outcomes = write_in_order(store, records, plan.atomic_records).await?;
        return Ok(Some((lines, outcomes)));
    }
    let total = records.len();
    let mut shares: Vec<(Vec<usize>, Vec<CaseRecord>)> = vec![Default::default(); plan.writers];
    for (at, record) in records.into_iter().enumerate() {
        let share = &mut shares[share_of(&record.receipt_number, plan.writers)];
        share.0.push(at);
        share.1.push(record);
    }
    let written = futures_util::future::try_join_all(shares.into_iter().map(
        |(places, records)| async move {
            let outcomes = write_in_order(store, records, plan.atomic_records).await?;
            Ok::<_, ImportError>(places.into_iter().zip(outcomes))
        },
    ))
    .await?;
    let mut outcomes = vec![UpsertOutcome::Unchanged; total];
    for (at, outcome) in written.into_iter().flatten() {
        outcomes[at] = outcome;
    }
    Ok(Some((lines, outcomes)))
}

/// Which of `writers` writes the records of `receipt_number` (FNV-1a: spreads the digits
/// evenly, and costs far less than SipHash on a 13-byte key).
fn share_of(receipt_number: &str, writers: usize) -> usize {
    let hash = receipt_number
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    (hash % writers as u64) as usize
}

/// Writes `records` one atomic chunk after another.
async fn write_in_order(
    store: &dyn CaseStore,
    mut records: Vec<CaseRecord>,
    atomic_records: usize,
) -> Result<Vec<UpsertOutcome>, ImportError> {
    let mut outcomes = Vec::with_capacity(records.len());
    while !records.is_empty() {
        let rest = records.split_off(atomic_records.min(records.len()));
        outcomes.extend(store.upsert_batch_deferred(records).await?);
        records = rest;
    }
    Ok(outcomes)
}

/// Lines below which a batch is parsed on one thread.
const PARSE_SPLIT_FROM: usize = 2048;

/// Parses a batch off the async runtime, its two halves on two threads.
async fn parse_batch(
    mut lines: Lines,
) -> Result<Vec<(usize, Result<CaseRecord, InvalidRecord>)>, ImportError> {
    let parse = |lines: Lines| {
        tokio::task::spawn_blocking(move || {
            lines
                .into_iter()
                .map(|(n, line)| (n, parse_line(n, &line)))
                .collect::<Vec<_>>()
        })
    };
    let failed = |e: tokio::task::JoinError| ImportError::Read(format!("parsing task failed: {e}"));
    if lines.len() < PARSE_SPLIT_FROM {
        return parse(lines).await.map_err(failed);
    }
    let second = lines.split_off(lines.len() / 2);
    let (first, second) = tokio::join!(parse(lines), parse(second));
    let mut parsed = first.map_err(failed)?;
    parsed.extend(second.map_err(failed)?);
    Ok(parsed)
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
    // serde_json checks UTF-8 itself, so a line it reads needs no separate check.
    if let Some(result) = parse_known(line) {
        return result;
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

    #[tokio::test]
    async fn an_over_long_line_is_refused_without_being_held_whole() {
        let huge = vec![b'x'; 8 * MAX_LINE_BYTES];
        let good = br#"{"receipt_number":"EAC2690000001","form":"I-130","status":"Case Was Received","updated":"2026-01-02"}"#;
        let mut input = huge.clone();
        input.push(b'\n');
        input.extend_from_slice(good);
        let mut reader = tokio::io::BufReader::with_capacity(4096, &input[..]);
        let mut line = Vec::new();
        let first = read_line_capped(&mut reader, &mut line, MAX_LINE_BYTES)
            .await
            .unwrap();
        assert!(first.too_long);
        assert_eq!(first.bytes, huge.len() + 1);
        assert!(line.len() <= MAX_LINE_BYTES, "kept {} bytes", line.len());
        line.clear();
        let second = read_line_capped(&mut reader, &mut line, MAX_LINE_BYTES)
            .await
            .unwrap();
        assert!(!second.too_long);
        assert_eq!(line, good);
    }
}
