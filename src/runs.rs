//! Saved runs: what the browser keeps of every run (so a closed tab loses nothing), and the
//! reports it exports. A saved run is versioned JSON; the HTML report is self-contained
//! (inline SVG charts, no scripts) and prints to PDF from the browser.

use serde::{Deserialize, Serialize};

use crate::plot::{EPOCH_HEADERS, epoch_rows, escape, run_charts};
use crate::run::{BackendInfo, Checkpoint, EpochRecord, Phase, RunState, RunSummary};

/// Bumped whenever a saved run's meaning changes; older files are refused with a reason.
pub const RUN_FORMAT: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunStatus {
    /// Training, as far as the page that saved it knew.
    Running,
    Finished,
    /// The page went away mid-run (reload, closed tab, crashed worker).
    Interrupted,
    Failed,
}

impl RunStatus {
    /// The saved-run status of a run in `state`.
    pub fn of(state: &RunState) -> Self {
        match state.phase {
            Phase::Queued | Phase::Training | Phase::Paused => RunStatus::Running,
            Phase::Finished => RunStatus::Finished,
            Phase::Interrupted => RunStatus::Interrupted,
            Phase::Failed => RunStatus::Failed,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Finished => "finished",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Failed => "failed",
        }
    }
}

/// Everything about one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedRun {
    pub format: u32,
    /// Unique in this browser: creation time and the page's run id.
    pub key: String,
    /// Editable by the user.
    pub name: String,
    /// `synth`, `mnist` (one model of the scaling lab), `dogs-mlp` or `dogs-cnn`.
    pub lab: String,
    /// The lab's config as sent to the worker (seed included).
    pub config: serde_json::Value,
    pub backend: Option<BackendInfo>,
    /// Milliseconds since 1970, when the run started.
    pub created: f64,
    pub status: RunStatus,
    pub epochs: Vec<EpochRecord>,
    pub summary: Option<RunSummary>,
    /// Test loss and accuracy (DogSet networks).
    pub test: Option<(f64, f64)>,
    /// The parameters after the last saved epoch (small models), for resuming.
    pub checkpoint: Option<Checkpoint>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RunFileError {
    #[error("this is not an nnlab run file ({0})")]
    Parse(String),
    #[error("this run file has format {found}; this nnlab reads format {RUN_FORMAT}")]
    Format { found: u32 },
}

impl SavedRun {
    /// A file of one run or of several (`[...]`), with the format checked first.
    pub fn parse_file(text: &str) -> Result<Vec<SavedRun>, RunFileError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| RunFileError::Parse(e.to_string()))?;
        let items = match value {
            serde_json::Value::Array(items) => items,
            one => vec![one],
        };
        items
            .into_iter()
            .map(|item| {
                let found = item.get("format").and_then(|f| f.as_u64()).unwrap_or(0) as u32;
                if found != RUN_FORMAT {
                    return Err(RunFileError::Format { found });
                }
                serde_json::from_value(item).map_err(|e| RunFileError::Parse(e.to_string()))
            })
            .collect()
    }

    pub fn to_json(runs: &[SavedRun]) -> String {
        serde_json::to_string_pretty(runs).expect("saved runs serialise")
    }

    /// Whether the run can continue from where it was saved.
    pub fn resumable(&self) -> bool {
        self.status == RunStatus::Interrupted && self.checkpoint.as_ref().is_some_and(|c| c.epoch == self.epochs.len())
    }

    /// A page that finds a run still marked running did not start it: it was interrupted.
    pub fn found_on_load(mut self) -> Self {
        if self.status == RunStatus::Running {
            self.status = RunStatus::Interrupted;
        }
        self
    }

    fn lab_title(&self) -> &'static str {
        match self.lab.as_str() {
            "synth" => "Synth CNN on synthetic edges",
            "mnist" => "MNIST MLP (one model of the scaling lab)",
            "dogs-mlp" => "DogSet fully connected network",
            "dogs-cnn" => "DogSet convolutional network",
            _ => "run",
        }
    }
}

/// Every epoch of `runs` as CSV: one row per (run, epoch).
pub fn runs_csv(runs: &[SavedRun]) -> String {
    let mut out = String::from("run,lab,epoch,train_loss,train_acc_percent,valid_loss,valid_acc_percent,seconds\n");
    for r in runs {
        let name = r.name.replace([',', '"', '\n'], " ");
        for e in &r.epochs {
            let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
            out += &format!(
                "{name},{},{},{},{},{},{},{}\n",
                r.lab,
                e.epoch,
                e.train_loss,
                e.train_acc,
                opt(e.valid_loss),
                opt(e.valid_acc),
                e.seconds
            );
        }
    }
    out
}

/// A self-contained HTML report of `runs`: settings, environment, charts, tables and the
/// answers the lab computed (`answers`, one list per run).
pub fn report_html(runs: &[SavedRun], answers: &[Vec<String>]) -> String {
    let mut body = String::new();
    for (i, r) in runs.iter().enumerate() {
        let (loss, acc) = run_charts(&r.epochs, r.summary.as_ref(), &escape(&r.name));
        let config = serde_json::to_string_pretty(&r.config).unwrap_or_default();
        let backend = r.backend.as_ref().map_or("not recorded".to_string(), |b| {
            format!("{}{}", b.name, b.note.as_ref().map(|n| format!(" ({n})")).unwrap_or_default())
        });
        let outcome = match (&r.summary, r.test) {
            (Some(s), Some((_, acc))) => {
                format!("{} epochs, {}; test accuracy {acc:.1}%", s.epochs_trained, s.stop.describe())
            }
            (Some(s), None) => format!("{} epochs, {}", s.epochs_trained, s.stop.describe()),
            (None, _) => format!("{} ({} epochs saved)", r.status.name(), r.epochs.len()),
        };
        let rows: String = epoch_rows(&r.epochs)
            .into_iter()
            .map(|row| {
                format!("<tr>{}</tr>", row.iter().map(|c| format!("<td>{}</td>", escape(c))).collect::<String>())
            })
            .collect();
        let head: String = EPOCH_HEADERS.iter().map(|h| format!("<th>{h}</th>")).collect();
        let answers: String = answers.get(i).into_iter().flatten().map(|a| format!("<li>{}</li>", escape(a))).collect();
        body += &format!(
            "<section><h2>{}</h2><p>{} &middot; {}</p><p><strong>Outcome:</strong> {}</p>\
             <p><strong>Backend:</strong> {}</p><details open><summary>Settings</summary><pre>{}</pre></details>\
             <div class=\"charts\">{loss}{acc}</div>{}<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></section>",
            escape(&r.name),
            r.lab_title(),
            r.status.name(),
            escape(&outcome),
            escape(&backend),
            escape(&config),
            if answers.is_empty() {
                String::new()
            } else {
                format!("<h3>Answers from this run</h3><ol>{answers}</ol>")
            },
        );
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>nnlab report</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#1d2330}}\
         table{{border-collapse:collapse}}td,th{{border-bottom:1px solid #d9dde5;padding:2px 8px;text-align:right}}\
         .charts{{display:flex;flex-wrap:wrap;gap:1rem}}.charts svg{{width:28rem;height:auto}}\
         section{{page-break-inside:avoid;border-top:1px solid #d9dde5}}</style></head><body>\
         <h1>nnlab report</h1><p>{} run{} exported from nnlab; every number below was computed by the run itself.</p>{body}</body></html>",
        runs.len(),
        if runs.len() == 1 { "" } else { "s" },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::{BackendKind, StopReason, TensorValues};

    fn saved(status: RunStatus, epochs: usize) -> SavedRun {
        SavedRun {
            format: RUN_FORMAT,
            key: "1700000000000-3".into(),
            name: "first <try>".into(),
            lab: "synth".into(),
            config: serde_json::to_value(crate::labs::synth::SynthLab::homework()).unwrap(),
            backend: Some(BackendInfo { kind: BackendKind::Cpu, name: "CPU".into(), note: None }),
            created: 1.7e12,
            status,
            epochs: (1..=epochs)
                .map(|epoch| EpochRecord {
                    epoch,
                    train_loss: 1.0 / epoch as f64,
                    train_acc: 50.0,
                    valid_loss: Some(0.9),
                    valid_acc: Some(60.0),
                    seconds: 1.0,
                    examples_per_s: 100.0,
                })
                .collect(),
            summary: None,
            test: None,
            checkpoint: Some(Checkpoint {
                epoch: epochs,
                tensors: vec![TensorValues { shape: vec![2], values: vec![0.5, -0.5] }],
            }),
            error: None,
        }
    }

    #[test]
    fn saved_runs_round_trip_and_other_formats_are_refused() {
        let run = saved(RunStatus::Finished, 3);
        let text = SavedRun::to_json(std::slice::from_ref(&run));
        assert_eq!(SavedRun::parse_file(&text).unwrap(), vec![run.clone()]);
        let one = serde_json::to_string(&run).unwrap();
        assert_eq!(SavedRun::parse_file(&one).unwrap().len(), 1, "a single run, not in a list");
        let future = one.replace("\"format\":1", "\"format\":2");
        assert_eq!(SavedRun::parse_file(&future), Err(RunFileError::Format { found: 2 }));
        assert!(matches!(SavedRun::parse_file("{\"format\":1}"), Err(RunFileError::Parse(_))));
        assert!(matches!(SavedRun::parse_file("not json"), Err(RunFileError::Parse(_))));
    }

    #[test]
    fn a_run_left_running_is_interrupted_and_resumable_from_its_checkpoint() {
        let found = saved(RunStatus::Running, 2).found_on_load();
        assert_eq!(found.status, RunStatus::Interrupted);
        assert!(found.resumable());
        let mut stale = found.clone();
        stale.checkpoint.as_mut().unwrap().epoch = 1;
        assert!(!stale.resumable(), "a checkpoint behind the records cannot resume them");
        assert!(!saved(RunStatus::Finished, 2).found_on_load().resumable());
    }

    #[test]
    fn reports_escape_names_and_carry_charts_tables_and_answers() {
        let mut run = saved(RunStatus::Finished, 2);
        run.summary =
            Some(RunSummary { epochs_trained: 2, stop: StopReason::Completed, train_seconds: 2.0, parameters: 442 });
        let html = report_html(&[run.clone()], &[vec!["the loss fell".into()]]);
        assert!(html.contains("first &lt;try&gt;") && !html.contains("<try>"));
        assert_eq!(html.matches("<svg").count(), 2);
        assert!(html.contains("<li>the loss fell</li>"));
        assert!(!html.contains("<script"));
        let csv = runs_csv(&[run]);
        assert_eq!(csv.lines().count(), 3);
        assert!(csv.lines().nth(1).unwrap().starts_with("first <try>,synth,1,1,50,0.9,60,1"));
    }
}
