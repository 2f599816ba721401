//! The case record: the JSON shape shared by import files, the admin API and the store, the
//! rules every stored case follows, and how a new version merges into the stored one.

use serde::{Deserialize, Serialize};

/// One entry of a case's status history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// ISO date (`YYYY-MM-DD`) of the status change.
    pub date: String,
    /// Status title at that date.
    pub status: String,
}

/// A case as stored and as exchanged in JSON (see ../shared/CONTRACT.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseRecord {
    /// Canonical receipt number (three uppercase letters and ten digits).
    pub receipt_number: String,
    /// Form number, e.g. `I-130`.
    pub form: String,
    /// Current status title, e.g. `Case Was Received`.
    pub status: String,
    /// ISO date of the last update.
    pub updated: String,
    /// Optional longer text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Status history, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryEntry>,
    /// Fields this version does not know; kept so nothing an importer sent is lost.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Longest status title accepted, in characters.
const MAX_STATUS_CHARS: usize = 200;
/// Longest description accepted, in characters.
const MAX_DESCRIPTION_CHARS: usize = 10_000;
/// Most history entries kept per case.
const MAX_HISTORY: usize = 500;

/// Why a record was refused: the field at fault and a sentence saying what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidRecord {
    /// JSON field at fault (`history[2].date` style for nested ones); empty for the whole value.
    pub field: String,
    /// What is wrong, for a person.
    pub reason: String,
}

impl InvalidRecord {
    fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        InvalidRecord {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for InvalidRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for InvalidRecord {}

/// Parses one JSON record and validates it; every failure names the field and the problem.
pub fn parse_record(json: &[u8]) -> Result<CaseRecord, InvalidRecord> {
    if let Some(result) = parse_known(json) {
        return result;
    }
    // Fast path for the common, well-formed record; the slow path explains failures.
    if let Ok(record) = serde_json::from_slice::<CaseRecord>(json) {
        validate(&record)?;
        return Ok(record);
    }
    let value: serde_json::Value = serde_json::from_slice(json)
        .map_err(|e| InvalidRecord::new("", format!("malformed JSON: {e}")))?;
    record_from_value(value)
}

/// A [`CaseRecord`] with no extra fields, as most lines of an import are. Refuses unknown
/// and repeated fields, so whatever it accepts reads exactly as [`CaseRecord`] reads it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KnownFields {
    receipt_number: String,
    form: String,
    status: String,
    updated: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    history: Vec<HistoryEntry>,
}

impl KnownFields {
    fn into_record(self) -> CaseRecord {
        CaseRecord {
            receipt_number: self.receipt_number,
            form: self.form,
            status: self.status,
            updated: self.updated,
            description: self.description,
            history: self.history,
            extra: serde_json::Map::new(),
        }
    }
}

/// The fastest path of [`parse_record`]: a record with only the fields this version knows,
/// each once, needs no map of extra fields (which makes serde buffer the whole record
/// before reading it). `None` when the line is not such a record (nor valid UTF-8);
/// [`parse_record`] then says why or reads the extra fields.
pub fn parse_known(json: &[u8]) -> Option<Result<CaseRecord, InvalidRecord>> {
    let record = serde_json::from_slice::<KnownFields>(json)
        .ok()?
        .into_record();
    Some(validate(&record).map(|()| record))
}

/// Reads a record as stored (already validated), quickly when it has no extra fields.
pub fn read_stored(json: &[u8]) -> serde_json::Result<CaseRecord> {
    match serde_json::from_slice::<KnownFields>(json) {
        Ok(known) => Ok(known.into_record()),
        Err(_) => serde_json::from_slice(json),
    }
}

/// Turns a parsed JSON value into a validated record.
pub fn record_from_value(value: serde_json::Value) -> Result<CaseRecord, InvalidRecord> {
    let serde_json::Value::Object(object) = value else {
        return Err(InvalidRecord::new(
            "",
            "a case record must be a JSON object",
        ));
    };
    for field in ["receipt_number", "form", "status", "updated"] {
        match object.get(field) {
            None | Some(serde_json::Value::Null) => {
                return Err(InvalidRecord::new(field, format!("`{field}` is required")));
            }
            Some(serde_json::Value::String(_)) => {}
            Some(_) => {
                return Err(InvalidRecord::new(
                    field,
                    format!("`{field}` must be a string"),
                ));
            }
        }
    }
    if let Some(d) = object.get("description")
        && !d.is_string()
        && !d.is_null()
    {
        return Err(InvalidRecord::new(
            "description",
            "`description` must be a string",
        ));
    }
    if let Some(h) = object.get("history")
        && !h.is_array()
    {
        return Err(InvalidRecord::new(
            "history",
            "`history` must be a list of {\"date\", \"status\"} entries",
        ));
    }
    let record: CaseRecord =
        serde_json::from_value(serde_json::Value::Object(object)).map_err(|e| {
            InvalidRecord::new(
                "history",
                format!("`history` entries need a \"date\" and a \"status\": {e}"),
            )
        })?;
    validate(&record)?;
    Ok(record)
}

/// Checks a record against the rules every stored case follows.
pub fn validate(record: &CaseRecord) -> Result<(), InvalidRecord> {
    check_receipt_number(&record.receipt_number)
        .map_err(|reason| InvalidRecord::new("receipt_number", reason))?;
    if !super::forms::find(&record.form).is_some_and(|f| f.filed && f.number == record.form) {
        let hint = super::forms::filed_numbers()
            .find(|f| {
                f.replace('-', "")
                    .eq_ignore_ascii_case(&record.form.replace(['-', ' '], ""))
            })
            .map(|f| format!(" (did you mean {f}?)"))
            .unwrap_or_default();
        return Err(InvalidRecord::new(
            "form",
            format!(
                "`form` {:?} is not a known USCIS form{hint}; write it like I-130 or N-400",
                record.form
            ),
        ));
    }
    check_status("status", &record.status)?;
    check_date(&record.updated)
        .map_err(|r| InvalidRecord::new("updated", format!("`updated` {r}")))?;
    if record
        .description
        .as_ref()
        .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_CHARS)
    {
        return Err(InvalidRecord::new(
            "description",
            format!("`description` is longer than {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    if record.history.len() > MAX_HISTORY {
        return Err(InvalidRecord::new(
            "history",
            format!("`history` has more than {MAX_HISTORY} entries"),
        ));
    }
    for (i, entry) in record.history.iter().enumerate() {
        let field = format!("history[{i}].date");
        check_date(&entry.date)
            .map_err(|r| InvalidRecord::new(&field, format!("`{field}` {r}")))?;
        check_status(&format!("history[{i}].status"), &entry.status)?;
    }
    Ok(())
}

/// Checks the canonical receipt-number form: three uppercase letters and ten digits.
pub fn check_receipt_number(rn: &str) -> Result<(), String> {
    let b = rn.as_bytes();
    if b.len() == 13
        && b[..3].iter().all(u8::is_ascii_uppercase)
        && b[3..].iter().all(u8::is_ascii_digit)
    {
        return Ok(());
    }
    let compact: String = rn
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect::<String>()
        .to_ascii_uppercase();
    let cb = compact.as_bytes();
    let hint = if cb.len() == 13
        && cb[..3].iter().all(u8::is_ascii_uppercase)
        && cb[3..].iter().all(u8::is_ascii_digit)
    {
        format!(" (did you mean {compact}?)")
    } else {
        String::new()
    };
    Err(format!(
        "`receipt_number` {rn:?} must be 3 uppercase letters and 10 digits with no spaces or dashes, \
         like EAC2690000001{hint}"
    ))
}

fn check_status(field: &str, status: &str) -> Result<(), InvalidRecord> {
    if status.trim().is_empty() {
        return Err(InvalidRecord::new(
            field,
            format!("`{field}` must not be empty"),
        ));
    }
    if status.chars().count() > MAX_STATUS_CHARS {
        return Err(InvalidRecord::new(
            field,
            format!("`{field}` is longer than {MAX_STATUS_CHARS} characters"),
        ));
    }
    Ok(())
}

/// Checks an ISO calendar date `YYYY-MM-DD` (a real day, leap years included); the error
/// completes a sentence starting with the field name.
pub fn check_date(date: &str) -> Result<(), String> {
    let b = date.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return Err(format!("{date:?} is not a date written YYYY-MM-DD"));
    }
    let num = |s: &str| s.parse::<u32>().expect("digits");
    let (year, month, day) = (num(&date[..4]), num(&date[5..7]), num(&date[8..]));
    if !(1900..=2100).contains(&year) {
        return Err(format!("{date:?} has a year outside 1900-2100"));
    }
    if !(1..=12).contains(&month) {
        return Err(format!("{date:?} has no month {month}"));
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day == 0 || day > days {
        return Err(format!(
            "{date:?} is not a real day ({year}-{month:02} has {days} days)"
        ));
    }
    Ok(())
}

/// What writing a record did to the stored case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertOutcome {
    /// The case was new.
    Inserted,
    /// The case existed and changed.
    Updated,
    /// The case existed with exactly this content; nothing was written.
    Unchanged,
}

impl UpsertOutcome {
    /// `inserted`, `updated` or `unchanged`.
    pub fn as_str(self) -> &'static str {
        match self {
            UpsertOutcome::Inserted => "inserted",
            UpsertOutcome::Updated => "updated",
            UpsertOutcome::Unchanged => "unchanged",
        }
    }
}

/// Merges `incoming` over the `stored` version of the same case: the record to store and
/// what writing it does. A record sent without history keeps the stored one, and a status
/// change is appended to the history unless the history already ends with it, so no
/// backend can lose a case's past by accident.
pub fn merge(stored: Option<&CaseRecord>, mut incoming: CaseRecord) -> (UpsertOutcome, CaseRecord) {
    let Some(stored) = stored else {
        extend_history(&mut incoming);
        return (UpsertOutcome::Inserted, incoming);
    };
    if incoming == *stored {
        return (UpsertOutcome::Unchanged, incoming);
    }
    if incoming.history.is_empty() {
        incoming.history = stored.history.clone();
    }
    extend_history(&mut incoming);
    let outcome = if incoming == *stored {
        UpsertOutcome::Unchanged
    } else {
        UpsertOutcome::Updated
    };
    (outcome, incoming)
}

/// Appends the current status to the history unless the history already ends with it, and
/// keeps the latest [`MAX_HISTORY`] entries, so a stored record can always be imported again.
fn extend_history(record: &mut CaseRecord) {
    if record
        .history
        .last()
        .is_none_or(|last| last.status != record.status)
    {
        record.history.push(HistoryEntry {
            date: record.updated.clone(),
            status: record.status.clone(),
        });
    }
    let over = record.history.len().saturating_sub(MAX_HISTORY);
    record.history.drain(..over);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_grown_by_status_changes_keeps_its_latest_entries_within_the_limit() {
        let mut stored = parse_record(GOOD.as_bytes()).unwrap();
        for n in 0..MAX_HISTORY + 20 {
            let mut next = stored.clone();
            next.status = format!("Status number {n}");
            next.history.clear();
            stored = merge(Some(&stored), next).1;
        }
        assert_eq!(stored.history.len(), MAX_HISTORY);
        let last = format!("Status number {}", MAX_HISTORY + 19);
        assert_eq!(stored.history.last().unwrap().status, last);
        let line = serde_json::to_vec(&stored).unwrap();
        assert!(parse_record(&line).is_ok(), "a stored record imports again");
    }

    const GOOD: &str = r#"{"receipt_number":"EAC2690000001","form":"I-130","status":"Case Was Received","updated":"2026-02-03"}"#;

    fn with(field: &str, value: serde_json::Value) -> Result<CaseRecord, InvalidRecord> {
        let mut v: serde_json::Value = serde_json::from_str(GOOD).unwrap();
        v[field] = value;
        record_from_value(v)
    }

    #[test]
    fn a_complete_record_is_accepted_and_keeps_unknown_fields() {
        let r = parse_record(br#"{"receipt_number":"IOE0912345678","form":"I-765","status":"Card Was Mailed To Me","updated":"2024-02-29","office":"Potomac","history":[{"date":"2024-01-05","status":"Case Was Received"}]}"#).unwrap();
        assert_eq!(r.extra["office"], "Potomac");
        assert_eq!(r.history.len(), 1);
    }

    #[test]
    fn the_known_fields_path_reads_records_as_the_general_path_does() {
        for line in [
            GOOD,
            r#"{"receipt_number":"EAC2690000001","form":"I-130","status":"Case Was Received","updated":"2026-02-03","description":null,"history":[{"date":"2026-01-02","status":"A \u00e9"}]}"#,
            r#"{"receipt_number":"EAC2690000001","form":"I-130","status":"X","updated":"2026-02-03","office":"Potomac"}"#,
            r#"{"receipt_number":"EAC2690000001","form":"I-130","status":"X","status":"Y","updated":"2026-02-03"}"#,
        ] {
            let general = serde_json::from_slice::<CaseRecord>(line.as_bytes()).ok();
            let known = serde_json::from_slice::<KnownFields>(line.as_bytes())
                .ok()
                .map(KnownFields::into_record);
            if known.is_some() {
                assert_eq!(known, general, "{line}");
            }
        }
    }

    #[test]
    fn receipt_numbers_must_be_canonical_and_the_error_suggests_the_fix() {
        let e = with("receipt_number", "eac-26-900-00001".into()).unwrap_err();
        assert_eq!(e.field, "receipt_number");
        assert!(e.reason.contains("did you mean EAC2690000001?"), "{e}");
        for bad in [
            "EAC269000000",
            "EAC26900000011",
            "E4C2690000001",
            "EAC269000000X",
            "",
        ] {
            assert!(with("receipt_number", bad.into()).is_err(), "{bad}");
        }
    }

    #[test]
    fn forms_must_be_known_and_near_misses_get_a_hint() {
        let e = with("form", "i130".into()).unwrap_err();
        assert_eq!(e.field, "form");
        assert!(e.reason.contains("did you mean I-130?"), "{e}");
        assert!(with("form", "I-999".into()).is_err());
        assert!(with("form", "I-821D".into()).is_ok());
    }

    #[test]
    fn dates_must_be_real_days() {
        for good in ["2024-02-29", "2000-02-29", "2026-12-31", "2026-04-30"] {
            assert!(check_date(good).is_ok(), "{good}");
        }
        for bad in [
            "2026-02-29",
            "1900-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-04-31",
            "2026-1-5",
            "26-01-05",
            "2026/01/05",
            "２０２６-01-05",
        ] {
            assert!(check_date(bad).is_err(), "{bad}");
        }
        let e = with("updated", "2026-02-30".into()).unwrap_err();
        assert_eq!(e.field, "updated");
        assert!(e.reason.contains("not a real day"), "{e}");
    }

    #[test]
    fn missing_empty_and_mistyped_fields_are_named() {
        let mut v: serde_json::Value = serde_json::from_str(GOOD).unwrap();
        v.as_object_mut().unwrap().remove("status");
        assert_eq!(record_from_value(v).unwrap_err().field, "status");
        assert_eq!(with("status", "  ".into()).unwrap_err().field, "status");
        assert_eq!(with("form", 130.into()).unwrap_err().field, "form");
        assert_eq!(with("history", "none".into()).unwrap_err().field, "history");
        let e = with(
            "history",
            serde_json::json!([{"date": "2026-02-31", "status": "Case Was Received"}]),
        )
        .unwrap_err();
        assert_eq!(e.field, "history[0].date");
        assert_eq!(parse_record(b"{not json").unwrap_err().field, "");
        assert!(
            parse_record(b"[1,2]")
                .unwrap_err()
                .reason
                .contains("JSON object")
        );
    }

    fn case(status: &str, updated: &str) -> CaseRecord {
        let mut r = parse_record(GOOD.as_bytes()).unwrap();
        r.status = status.to_string();
        r.updated = updated.to_string();
        r
    }

    #[test]
    fn merging_keeps_the_stored_history_and_appends_status_changes() {
        let (outcome, first) = merge(None, case("Case Was Received", "2026-02-03"));
        assert_eq!(outcome, UpsertOutcome::Inserted);
        assert_eq!(first.history.len(), 1);
        let (outcome, second) = merge(Some(&first), case("Case Was Approved", "2026-05-01"));
        assert_eq!(outcome, UpsertOutcome::Updated);
        let statuses: Vec<&str> = second.history.iter().map(|h| h.status.as_str()).collect();
        assert_eq!(statuses, ["Case Was Received", "Case Was Approved"]);
        assert_eq!(second.history[1].date, "2026-05-01");
    }

    #[test]
    fn the_same_record_again_is_unchanged_with_or_without_its_history() {
        let (_, stored) = merge(None, case("Case Was Received", "2026-02-03"));
        assert_eq!(
            merge(Some(&stored), stored.clone()).0,
            UpsertOutcome::Unchanged
        );
        let without_history = case("Case Was Received", "2026-02-03");
        assert_eq!(
            merge(Some(&stored), without_history).0,
            UpsertOutcome::Unchanged
        );
        let mut described = case("Case Was Received", "2026-02-03");
        described.description = Some("We received your form.".into());
        assert_eq!(merge(Some(&stored), described).0, UpsertOutcome::Updated);
    }
}
