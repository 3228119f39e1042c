//! The saved-run format's versions, and the steps that bring an older record up to this one.
//!
//! A saved run is JSON with a `format` number. Records last (in this browser's IndexedDB, in
//! files a student exported), so every build must read every earlier format: a change to what
//! a record holds bumps [`RUN_FORMAT`] and adds a step to [`STEPS`] that rewrites a record of the
//! previous format, as JSON, into the new one. `tests/fixtures/` keeps records of each format
//! as they were written, and the tests load them all in every later build.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

use super::RunFileError;

/// The format this build writes.
pub const RUN_FORMAT: u32 = 2;

/// The oldest format this build reads (the first nnlab to save runs wrote it).
pub const OLDEST_FORMAT: u32 = 1;

/// What wrote a record, kept in it so a page too old to read it can say which nnlab did.
pub fn written_by() -> String {
    format!("nnlab {}", env!("CARGO_PKG_VERSION"))
}

/// Step `i` rewrites a record of format `OLDEST_FORMAT + i` into the next format.
const STEPS: [fn(&mut Map<String, Value>); (RUN_FORMAT - OLDEST_FORMAT) as usize] = [v1_to_v2];

/// Format 2 names the nnlab that wrote a record, always holds `evaluation` (format 1 runs
/// saved before the confusion matrix existed have none), and keeps the pictures of the
/// evaluation's mistakes and picked images as base64 text instead of arrays of numbers.
fn v1_to_v2(run: &mut Map<String, Value>) {
    run.entry("written_by").or_insert_with(|| Value::from("nnlab before format 2"));
    let evaluation = run.entry("evaluation").or_insert(Value::Null);
    for list in ["mistakes", "picks"] {
        let Some(Value::Array(items)) = evaluation.get_mut(list) else { continue };
        for pixels in items.iter_mut().filter_map(|item| item.get_mut("pixels")) {
            if let Some(bytes) = as_bytes(pixels) {
                *pixels = Value::from(STANDARD.encode(bytes));
            }
        }
    }
}

/// A JSON array of numbers 0..=255 as bytes (anything else is left for the parser to refuse).
fn as_bytes(value: &Value) -> Option<Vec<u8>> {
    value.as_array()?.iter().map(|v| v.as_u64().and_then(|b| u8::try_from(b).ok())).collect()
}

/// Brings one record (a JSON object) to [`RUN_FORMAT`], or says why it cannot be read.
pub fn migrate(mut record: Value) -> Result<Value, RunFileError> {
    let Value::Object(run) = &mut record else {
        return Err(RunFileError::Parse("a run is a JSON object".into()));
    };
    let found = match run.get("format") {
        Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        _ => None,
    };
    let Some(found) = found.filter(|f| *f >= OLDEST_FORMAT) else {
        return Err(RunFileError::NoFormat);
    };
    if found > RUN_FORMAT {
        let by = run.get("written_by").and_then(Value::as_str).map(str::to_string);
        return Err(RunFileError::Newer { found, written_by: by });
    }
    for step in &STEPS[(found - OLDEST_FORMAT) as usize..] {
        step(run);
    }
    run.insert("format".into(), Value::from(RUN_FORMAT));
    Ok(record)
}
