//! Saved runs of every earlier format still open. `tests/fixtures/runs-v<N>/` holds runs of each
//! saved kind exactly as the page of format N exported them (trained briefly in the browser);
//! every later build must read them, put each lab's run back on screen and resume where the
//! run can resume. A change to a lab's config or to the record that breaks this test needs a
//! migration step in `src/runs/format.rs`, not a new fixture.

use std::path::PathBuf;

use nnlab::labs::dogs::DogLab;
use nnlab::labs::mnist::MnistLab;
use nnlab::labs::synth::SynthLab;
use nnlab::run::BackendChoice;
use nnlab::runs::{OLDEST_FORMAT, RUN_FORMAT, RunFileError, SavedRun, Unreadable};
use nnlab::session::Session;

const KINDS: [&str; 4] = ["synth", "mnist", "dogs-mlp", "dogs-cnn"];

fn fixture(format: u32, kind: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/runs-v{format}/{kind}.json"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn runs_of_every_format_load_with_their_configs_and_come_back_on_screen() {
    for format in OLDEST_FORMAT..=RUN_FORMAT {
        let mut all = vec![];
        for kind in KINDS {
            let runs =
                SavedRun::parse_file(&fixture(format, kind)).unwrap_or_else(|e| panic!("format {format}, {kind}: {e}"));
            assert!(!runs.is_empty(), "format {format}, {kind}: no run");
            for run in &runs {
                let at = format!("format {format}, {kind} run {}", run.key);
                assert_eq!(run.lab.name(), kind, "{at}");
                assert_eq!(run.format, RUN_FORMAT, "{at}: brought up to this build's format");
                assert!(!run.written_by.is_empty(), "{at}");
                assert!(!run.epochs.is_empty(), "{at}: its epochs");
                // The config as the lab reads it to restore, resume or report the run.
                let config = run.config.clone();
                let read = match kind {
                    "synth" => serde_json::from_value::<SynthLab>(config).err(),
                    "mnist" => serde_json::from_value::<MnistLab>(config).err(),
                    _ => serde_json::from_value::<DogLab>(config).err(),
                };
                assert!(read.is_none(), "{at}: its config no longer reads: {read:?}");
                // Written again by this build, it reads back the same.
                assert_eq!(
                    SavedRun::parse_file(&SavedRun::to_json(std::slice::from_ref(run))).unwrap(),
                    vec![run.clone()]
                );
            }
            all.extend(runs);
        }
        let mut session = Session::default();
        session.restore(&all, BackendChoice::Cpu);
        assert_eq!(session.runs.len(), 1, "format {format}: the Synth run back on screen");
        assert!(session.mnist.as_ref().is_some_and(|m| !m.epochs.is_empty()), "format {format}: the MNIST run");
        assert!(session.dogs.mlp.is_some() && session.dogs.cnn.is_some(), "format {format}: both DogSet runs");
    }
}

#[test]
fn a_run_of_an_unknown_format_is_named_with_the_reason_and_kept() {
    let text = fixture(RUN_FORMAT, "synth");
    let name = SavedRun::parse_file(&text).unwrap()[0].name.clone();
    let future = text.replace(&format!("\"format\": {RUN_FORMAT}"), "\"format\": 7");
    assert_ne!(future, text, "the fixture names its format");
    let error = SavedRun::parse_file(&future).unwrap_err();
    assert!(matches!(error, RunFileError::Newer { found: 7, .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("saved by a newer nnlab") && message.contains("format 7"), "{message}");
    // The store lists it by the name still readable in it, keeping the text to download.
    let unreadable = Unreadable::new("k".into(), future.clone(), error);
    assert_eq!(unreadable.name.as_deref(), Some(name.as_str()));
    assert_eq!(unreadable.text, future);
    let broken = Unreadable::new("k2".into(), "{\"format\": 2, \"name\": \"half".into(), RunFileError::NoFormat);
    assert_eq!(broken.name, None, "a record cut short shows its key instead");
}
