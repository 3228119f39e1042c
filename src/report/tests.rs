use super::*;
use crate::labs::dogs::{DogLab, DogModel};
use crate::labs::mnist::scaling::SizeResult;
use crate::labs::mnist::{MnistLab, MnistView};
use crate::labs::synth::SynthLab;
use crate::run::{
    BackendInfo, BackendKind, Checkpoint, DogSource, EpochRecord, Phase, RunSummary, StopReason, TensorValues,
};
use crate::runs::{RUN_FORMAT, RunStatus};

fn record(epoch: usize, valid: bool) -> EpochRecord {
    EpochRecord {
        epoch,
        train_loss: 2.0 / epoch as f64,
        train_acc: 40.0 + epoch as f64,
        valid_loss: valid.then_some(2.2 - 0.1 * epoch as f64),
        valid_acc: valid.then_some(35.0 + epoch as f64),
        seconds: 1.5,
        examples_per_s: 100.0,
    }
}

fn run(lab: RunKind, config: serde_json::Value, created: f64, tensors: Vec<TensorValues>) -> SavedRun {
    SavedRun {
        format: RUN_FORMAT,
        written_by: crate::runs::written_by(),
        key: format!("{created}-1"),
        name: format!("{} run", lab.name()),
        lab,
        config,
        backend: Some(BackendInfo {
            kind: BackendKind::Cpu,
            name: "CPU (burn flex)".into(),
            note: None,
            measured: None,
        }),
        created,
        status: RunStatus::Finished,
        epochs: (1..=3).map(|e| record(e, true)).collect(),
        summary: Some(RunSummary { epochs_trained: 3, stop: StopReason::Completed, train_seconds: 4.5, parameters: 0 }),
        test: Some((1.25, 41.0)),
        evaluation: None,
        checkpoint: Some(Checkpoint { epoch: 3, tensors }),
        error: None,
    }
}

/// A first conv layer's weight and bias with values in -1..1.
fn conv(out: usize, cin: usize, k: usize) -> Vec<TensorValues> {
    let n = out * cin * k * k;
    vec![
        TensorValues {
            shape: vec![out, cin, k, k],
            values: (0..n).map(|i| (i as f32 / n as f32) * 2.0 - 1.0).collect(),
        },
        TensorValues { shape: vec![out], values: vec![0.0; out] },
    ]
}

fn dogs(model: DogModel, created: f64, test_acc: f64, parameters: usize) -> SavedRun {
    let mut lab = DogLab::homework(model.clone());
    lab.source = DogSource::StandIn;
    let cnn = matches!(model, DogModel::Cnn { .. });
    let tensors = if cnn { conv(16, 3, 5) } else { vec![TensorValues { shape: vec![2, 3], values: vec![0.0; 6] }] };
    let mut r = run(
        if cnn { RunKind::DogsCnn } else { RunKind::DogsMlp },
        serde_json::to_value(lab).unwrap(),
        created,
        tensors,
    );
    r.test = Some((1.5, test_acc));
    r.summary.as_mut().unwrap().parameters = parameters;
    r
}

/// The models of one scaling run as the page saves them, results arriving largest first.
fn scaling_run(created: f64) -> Vec<SavedRun> {
    let lab = MnistLab {
        train: crate::config::TrainConfig { epochs: 3, ..MnistLab::homework().train },
        ..MnistLab::homework()
    };
    let mut view = MnistView::new(7, lab);
    for (size, seconds, acc) in [(2000, 8.0, 88.0), (1500, 5.9, 87.0), (1000, 4.1, 85.0), (500, 2.0, 80.0)] {
        for e in 1..=3 {
            view.epochs.push((size, record(e, false)));
        }
        view.results.push(SizeResult {
            size,
            losses: vec![1.0, 0.5, 0.25],
            train_seconds: seconds,
            test_acc: acc,
            test_loss: 0.5,
            epochs_trained: 3,
            evaluation: None,
        });
    }
    view.state.phase = Phase::Finished;
    let key = format!("{created}-7");
    view.results
        .iter()
        .map(|r| SavedRun::of_mnist_model(&view, r.size, &format!("{key}-{}", r.size), created))
        .collect()
}

/// The text between `start` and the next `end` (or the end).
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html.find(start).unwrap_or_else(|| panic!("{start:?} not in the report")) + start.len();
    let rest = &html[from..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

#[test]
fn settings_are_a_table_of_labels_and_words_never_json() {
    let runs = [
        dogs(DogModel::Cnn { convs: [(5, 1); 2] }, 2.0e12, 42.5, 68_138),
        run(RunKind::Synth, serde_json::to_value(SynthLab::homework()).unwrap(), 1.0e12, conv(2, 1, 5)),
    ];
    let html = report_html(&runs, &Extras::default());
    let settings = between(&html, "<table class=\"settings\">", "</table>");
    assert!(settings.contains("<th scope=\"row\">Conv 1 kernel size</th><td>5</td>"), "{settings}");
    assert!(settings.contains("<th scope=\"row\">Learning rate</th><td>0.00001</td>"), "{settings}");
    assert!(settings.contains("conv 5x5, stride 1 (3 → 16 channels) → ReLU → max-pool 2x2"), "{settings}");
    assert!(settings.contains("the stand-in: Fashion-MNIST pictures"), "{settings}");
    assert!(html.contains("<th scope=\"row\">Learning rate (SGD)</th><td>0.0001</td>"));
    assert!(html.contains("<th scope=\"row\">Training images</th><td>10,000</td>"));
    for raw in ["\"Cnn\"", "convs", "StandIn", "stop_thr", "{&quot;", "\"lr\""] {
        assert!(!html.contains(raw), "raw config {raw:?} in the report");
    }
    assert!(!html.contains("<script"));
}

#[test]
fn a_scaling_run_is_reported_together_with_its_fit_and_answers_under_section_1() {
    let runs = scaling_run(1.7e12);
    let html = report_html(&runs, &Extras::default());
    assert_eq!(html.matches("<article class=\"run").count(), 1, "the four models are one scaling run");
    let section =
        between(&html, "<h2>Section 1. MNIST: training time and accuracy against training-set size</h2>", "<h2>");
    let time = between(section, "aria-label=\"Training time vs training-set size\"", "</svg>");
    let measured = between(time, "data-series=\"measured\"", "</g>");
    assert_eq!(measured.matches("<circle").count(), 4, "one point per model");
    assert!(time.contains("data-series=\"least-squares fit: t = 3.96e-3 N + 0.05\""), "{time}");
    assert!(
        section
            .contains("Least-squares fit: t = 3.960e-3 s × N + 0.05 s; extrapolated to N = 60,000: about 3 min 58 s.")
    );
    assert!(section.contains("aria-label=\"Test accuracy vs training-set size\""));
    let losses = between(section, "aria-label=\"Training loss per epoch, one model per size\"", "</svg>");
    let curves: Vec<&str> = losses.split("data-series=\"").skip(1).map(|s| s.split('"').next().unwrap()).collect();
    assert_eq!(curves, ["N = 500", "N = 1,000", "N = 1,500", "N = 2,000"], "sizes in numeric order");
    let results = between(section, "<caption>One row per model</caption>", "</table>");
    let first_cells: Vec<&str> = results.split("<tr><td>").skip(1).map(|r| r.split('<').next().unwrap()).collect();
    assert_eq!(first_cells, ["500", "1,000", "1,500", "2,000"]);
    // The lab's own answers, each under the question it answers.
    let time_qa = between(section, "How does time grow with N", "</div>");
    assert!(time_qa.contains("least-squares line is t = 3.960e-3 s x N + 0.05 s"), "{time_qa}");
    let acc_qa = between(section, "How does accuracy change with N?", "</div>");
    assert!(acc_qa.contains("from 80.0% with 500 examples to 88.0% with 2,000"), "{acc_qa}");
    // A finished model has a test result, not validation epochs.
    assert!(!html.contains("No epoch with a validation loss"), "{html}");
    assert!(
        section.contains("3 epochs, trained all epochs, training took 2.0 s; test accuracy 80.0% (test loss 0.5000).")
    );
    assert!(!section.contains("data-series=\"validation\""), "MNIST models have no validation curve");
}

#[test]
fn the_full_set_check_is_reported_with_the_scaling_run_it_checks() {
    let mut runs = scaling_run(1.7e12);
    let check_lab = MnistLab {
        sizes: vec![60_000],
        train: crate::config::TrainConfig { epochs: 1, ..MnistLab::homework().train },
        ..MnistLab::homework()
    };
    let mut view = MnistView::new(8, check_lab);
    view.results.push(SizeResult {
        size: 60_000,
        losses: vec![0.5],
        train_seconds: 90.0,
        test_acc: 95.0,
        test_loss: 0.2,
        epochs_trained: 1,
        evaluation: None,
    });
    runs.push(SavedRun::of_mnist_model(&view, 60_000, "1700000100000-8-60000", 1.7000001e12));
    let html = report_html(&runs, &Extras::default());
    assert_eq!(html.matches("<article class=\"run").count(), 1, "{html}");
    assert!(html.contains("One epoch on all 60,000 examples took 1 min 30 s; the fit predicts"), "{html}");
    let chosen = lab_runs(&runs, LabId::Mnist);
    assert_eq!(chosen.len(), 5, "the latest scaling run and its check");
    let mut later = scaling_run(1.8e12);
    later.extend(runs.clone());
    assert!(lab_runs(&later, LabId::Mnist).iter().all(|r| r.created == 1.8e12), "the check came before it");
}

#[test]
fn the_cnn_section_has_kernels_layers_and_the_comparison_under_its_question() {
    let mlp = dogs(DogModel::Mlp, 1.0e12, 30.0, 1_581_898);
    let cnn = dogs(DogModel::Cnn { convs: [(5, 1); 2] }, 2.0e12, 42.5, 68_138);
    let html = report_html(&[cnn, mlp], &Extras::default());
    let s3 = between(&html, "<h2>Section 3. DogSet: fully connected network with early stopping</h2>", "<h2>");
    let s5 = between(&html, "<h2>Section 5. DogSet: convolutional network</h2>", "<h2>");
    assert!(s3.contains("1,581,898") && !s3.contains("class=\"pixels\""), "the MLP: its layers, no kernels");
    assert!(s3.contains("“Describe the interaction of training loss, validation loss and validation accuracy"));
    assert_eq!(s5.matches("class=\"pixels\"").count(), 16, "the first conv's 16 kernels");
    assert!(s5.contains("First-layer kernels after epoch 3"));
    let layers = between(s5, "<table class=\"layers", "</table>");
    assert!(layers.contains("<td>flatten</td><td>1 x 5408</td>"), "{layers}");
    assert!(layers.contains("<td>total</td><td></td><td>68,080</td><td>58</td><td>68,138</td>"), "{layers}");
    let compare = between(s5, "<table class=\"compare", "</table>");
    assert_eq!(compare.matches("<tr><td>").count(), 2, "{compare}");
    let answer = between(s5, "“Compare with the fully connected net.”", "</div>");
    assert!(
        answer.contains("The convolutional net reached 42.5% test accuracy against the fully connected net's 30.0%")
    );
    assert!(s5.contains("aria-label=\"dogs-cnn run: loss per epoch (cross-entropy)\""));
}

#[test]
fn a_tested_network_is_reported_with_its_confusion_matrix_and_mistakes() {
    let mut cnn = dogs(DogModel::Cnn { convs: [(5, 1); 2] }, 2.0e12, 50.0, 68_138);
    let names = vec!["beagle".to_string(), "poodle".to_string()];
    // Four test images: one beagle right, one taken for a poodle; both poodles right.
    let probs = [0.9, 0.1, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6];
    cnn.evaluation = Some(crate::confusion::Evaluation::new(&probs, &[0, 1, 1, 1], &[0, 0, 1, 1], &names));
    let html = report_html(&[cnn], &Extras::default());
    let s5 = between(&html, "<h2>Section 5. DogSet: convolutional network</h2>", "<h2>");
    assert!(s5.contains("aria-label=\"Confusion matrix of the CNN on the test set\""));
    assert_eq!(s5.matches("class=\"cell\"").count(), 4);
    assert!(s5.contains(
        "3 of 4 images on the diagonal (75.0%). Its most common mistake: beagle taken for poodle (1 image)."
    ));
    let per_class = between(s5, "<table class=\"per-class", "</table>");
    assert!(per_class.contains("<tr><td>beagle</td><td>2</td><td>1</td><td>50.0</td></tr>"), "{per_class}");
    assert!(s5.contains(r#"data-true="0" data-predicted="1" data-count="1""#), "the counts are in the drawn matrix");
    let mistakes = between(s5, "<table class=\"mistakes", "</table>");
    assert!(mistakes.contains("<td>1</td><td>beagle</td><td>poodle</td><td>70.0</td>"), "{mistakes}");
    assert!(!s5.contains("pick 3 images"), "no picks, no answer to the picks question");
}

#[test]
fn the_marked_hard_images_are_answered_with_the_trained_networks_verdicts() {
    let mut cnn = dogs(DogModel::Cnn { convs: [(5, 1); 2] }, 2.0e12, 50.0, 68_138);
    let names = vec!["beagle".to_string(), "poodle".to_string()];
    let losses = [0.1, 2.5, 0.3, 0.2];
    let probs = [0.9, 0.1, 0.1, 0.9, 0.7, 0.3, 0.8, 0.2];
    let picks = crate::confusion::PickVerdict::judge(&losses, &probs, &[0, 1, 0, 0], &[0, 0, 0, 0], &[1]);
    cnn.evaluation = Some(crate::confusion::Evaluation { names, picks, ..Default::default() });
    let html = report_html(&[cnn], &Extras::default());
    let answer = between(&html, "“Browse one breed and pick 3 images a classifier may find hard.”", "</div>");
    assert!(answer.contains("The CNN agrees that your marked images are hard: all 1 are among"), "{answer}");
    assert!(
        answer.contains(
            "image 1 (a beagle) is taken for poodle, with 10.0% for its true class, and ranks 1 of 4 by loss"
        ),
        "{answer}"
    );
}

#[test]
fn the_synth_section_draws_kernels_and_answers_each_question() {
    let lab = SynthLab::homework();
    let a = run(RunKind::Synth, serde_json::to_value(&lab).unwrap(), 1.0e12, conv(2, 1, 5));
    let mut b = run(RunKind::Synth, serde_json::to_value(&lab).unwrap(), 1.1e12, conv(2, 1, 5));
    b.key = "other".into();
    b.checkpoint = None;
    let runs = [a, b];
    let extras = Extras::computed(&runs);
    assert_eq!(extras.synth_data.len(), 1, "one data seed");
    let html = report_html(&runs, &extras);
    let s6 = between(&html, "<h2>Section 6. Synthetic images and shift invariance</h2>", "<h2>");
    assert!(between(s6, "what varies (data seed 1).”", "</div>").contains("horizontal images hold one"));
    assert_eq!(s6.matches("class=\"heatmap\"").count(), 2, "the first run's two kernels");
    assert!(s6.contains("No first-layer kernels: this run saved no parameters."));
    assert_eq!(s6.matches("“What did training do?”").count(), 2);
    assert!(between(s6, "what do they respond to?”", "</div>").contains("Kernel 1 "));
    assert!(between(s6, "describe what stays the same.”", "</div>").contains("Train at least two runs"));
    assert_eq!(lab_runs(&runs, LabId::Synth).len(), 2);
    assert!(RunKind::of(LabId::Dogs).any(|k| k == RunKind::DogsCnn) && RunKind::of(LabId::Runs).next().is_none());
}

#[test]
fn the_report_prints_whole_charts_and_dates_its_runs() {
    let html = report_html(&scaling_run(1.7e12), &Extras::default());
    assert!(html.contains("@page{margin:14mm 12mm}"));
    assert!(html.contains("figure,.qa,.kernels,table.settings,table.layers,table.compare,tr{break-inside:avoid}"));
    assert!(html.contains(".charts figure{max-width:150mm"), "charts no wider than a page");
    assert!(html.contains("<td>2023-11-14 22:13 UTC</td>"), "each model's start");
    assert_eq!(utc_date(0.0), "1970-01-01 00:00 UTC");
    assert_eq!(utc_date(951_782_400_000.0), "2000-02-29 00:00 UTC");
}

#[test]
fn the_list_puts_each_scaling_runs_models_in_size_order() {
    let mut runs = scaling_run(2.0e12);
    runs.insert(0, dogs(DogModel::Mlp, 3.0e12, 30.0, 1));
    runs.push(dogs(DogModel::Mlp, 1.0e12, 30.0, 1));
    sort_for_list(&mut runs);
    let order: Vec<String> = runs.iter().map(|r| r.name.clone()).collect();
    assert_eq!(
        order,
        [
            "dogs-mlp run",
            "MNIST MLP, N = 500, seed 1",
            "MNIST MLP, N = 1,000, seed 1",
            "MNIST MLP, N = 1,500, seed 1",
            "MNIST MLP, N = 2,000, seed 1",
            "dogs-mlp run"
        ]
    );
    let latest = lab_runs(&runs, LabId::Dogs);
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0].created, 3.0e12);
}
