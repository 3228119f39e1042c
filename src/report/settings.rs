//! A run's settings as the rows of a table a reader can check against the homework: each
//! field's label and value as the lab's form shows them, the fixed settings beside them, and
//! the network and the data in words (never the config's JSON).

use crate::config::TrainConfig;
use crate::form::FormText;
use crate::labs::dogs::{DogLab, DogModel};
use crate::labs::mnist::MnistLab;
use crate::labs::synth::SynthLab;
use crate::metrics::format_count;
use crate::net::NetConfig;
use crate::run::DogSource;

/// One row: the setting's label and its value.
pub type Row = (String, String);

/// The form's fields `keys` (all of them when empty), labelled as on the page. Counts get their
/// thousands grouped; an empty optional field says what empty means.
fn form_rows(form: &FormText, skip: &[&str]) -> Vec<Row> {
    form.fields()
        .iter()
        .filter(|f| !skip.contains(&f.key))
        .map(|f| {
            let text = form.get(f.key).trim();
            let value = match f.key {
                _ if text.is_empty() && f.key == "stop" => "never: trains every epoch".to_string(),
                "train" | "valid" | "sizes" => grouped_list(text),
                _ => text.to_string(),
            };
            (f.label.to_string(), value)
        })
        .collect()
}

/// "500, 1000" -> "500, 1,000": every whole number in a comma-separated list grouped.
fn grouped_list(text: &str) -> String {
    text.split(',')
        .map(|part| part.trim().parse::<usize>().map_or(part.trim().to_string(), format_count))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The settings a lab's form does not show (batch size, shuffling) as rows.
fn fixed_rows(train: &TrainConfig, batch: bool) -> Vec<Row> {
    let mut rows = vec![];
    if batch {
        rows.push(("Batch size".to_string(), train.batch_size.to_string()));
    }
    rows.push((
        "Training order".to_string(),
        if train.shuffle { "shuffled every epoch" } else { "the same every epoch" }.to_string(),
    ));
    rows.push(("Optimiser and loss".to_string(), "SGD, cross-entropy".to_string()));
    rows
}

/// The network in words, layer by layer: "conv 5x5, stride 1 (3 → 16 channels) → ReLU → ...".
pub fn describe_layers(net: &NetConfig) -> String {
    let mut parts = vec![];
    let mut channels = net.input[2];
    for conv in &net.convs {
        parts.push(format!(
            "conv {k}x{k}, stride {} ({channels} → {} channels)",
            conv.stride,
            conv.out_channels,
            k = conv.kernel
        ));
        parts.push("ReLU".to_string());
        parts.push("max-pool 2x2".to_string());
        channels = conv.out_channels;
    }
    let flat = net.conv_output().map(|[c, h, w]| c * h * w).ok();
    parts.push(flat.map_or("flatten".to_string(), |n| format!("flatten ({} values)", format_count(n))));
    let widths: Vec<usize> = flat.into_iter().chain(net.hidden.iter().copied()).chain([net.classes]).collect();
    for (i, pair) in widths.windows(2).enumerate() {
        parts.push(format!("linear {} → {}", format_count(pair[0]), format_count(pair[1])));
        if i + 2 < widths.len() {
            parts.push("ReLU".to_string());
        }
    }
    let params = net.parameter_count().map(|p| format!(" ({} parameters)", format_count(p))).unwrap_or_default();
    format!("{}{params}", parts.join(" → "))
}

/// Which DogSet a run trained on, in words.
pub fn describe_source(source: DogSource) -> &'static str {
    match source {
        DogSource::Auto => "the DogSet this browser had (yours, else a hosted one, else the stand-in)",
        DogSource::Uploaded => "your own DogSet, loaded into this browser",
        DogSource::Hosted => "a DogSet hosted with the app",
        DogSource::StandIn => "the stand-in: Fashion-MNIST pictures in DogSet's shape (not dogs)",
    }
}

pub fn synth_rows(lab: &SynthLab) -> Vec<Row> {
    let mut rows = form_rows(&lab.form(), &[]);
    rows.extend(fixed_rows(&lab.train, false));
    rows.push(("Network".to_string(), describe_layers(&NetConfig::synth_cnn())));
    rows
}

/// An MNIST scaling run's settings, with `sizes` being every size of the run.
pub fn mnist_rows(lab: &MnistLab) -> Vec<Row> {
    let mut rows = form_rows(&lab.form(), &[]);
    rows.push(("Test images".to_string(), format!("{} (balanced over the ten digits)", format_count(lab.test_size))));
    rows.push(("Learning rate (SGD)".to_string(), lab.train.lr.to_string()));
    rows.extend(fixed_rows(&lab.train, true));
    rows.push(("Network".to_string(), describe_layers(&NetConfig::mnist_mlp())));
    rows
}

pub fn dogs_rows(lab: &DogLab) -> Vec<Row> {
    // The MLP has no convolutions: its form's conv fields are the CNN's and say nothing of it.
    let skip: &[&str] = if lab.model == DogModel::Mlp { &["k1", "s1", "k2", "s2"] } else { &[] };
    let mut rows = form_rows(&lab.form(), skip);
    rows.extend(fixed_rows(&lab.train, true));
    rows.push(("Network".to_string(), describe_layers(&lab.net())));
    rows.push(("Data".to_string(), describe_source(lab.source).to_string()));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value<'a>(rows: &'a [Row], label: &str) -> &'a str {
        &rows.iter().find(|r| r.0 == label).unwrap_or_else(|| panic!("no {label:?} in {rows:?}")).1
    }

    #[test]
    fn each_lab_lists_its_settings_in_words() {
        let synth = synth_rows(&SynthLab::homework());
        assert_eq!(value(&synth, "Learning rate (SGD)"), "0.0001");
        assert_eq!(value(&synth, "Training images"), "10,000");
        assert_eq!(value(&synth, "Early stop below"), "never: trains every epoch");
        assert!(value(&synth, "Network").starts_with("conv 5x5, stride 1 (1 → 2 channels) → ReLU → max-pool 2x2"));
        assert!(value(&synth, "Network").ends_with("linear 8 → 2 (442 parameters)"), "{synth:?}");

        let mnist = mnist_rows(&MnistLab::homework());
        assert_eq!(value(&mnist, "Training-set sizes"), "500, 1,000, 1,500, 2,000");
        assert_eq!(value(&mnist, "Batch size"), "10");
        assert_eq!(value(&mnist, "Training order"), "shuffled every epoch");
        assert_eq!(
            value(&mnist, "Network"),
            "flatten (784 values) → linear 784 → 128 → ReLU → linear 128 → 64 → ReLU → linear 64 → 10 (109,386 parameters)"
        );

        let mut cnn = DogLab::homework_cnn();
        cnn.source = DogSource::StandIn;
        let rows = dogs_rows(&cnn);
        assert_eq!(value(&rows, "Conv 1 kernel size"), "5");
        assert_eq!(value(&rows, "Early stop below"), "0.0001");
        assert!(value(&rows, "Network").contains("flatten (5,408 values) → linear 5,408 → 10 (68,138 parameters)"));
        assert!(value(&rows, "Data").starts_with("the stand-in"));
        let mlp = dogs_rows(&DogLab::homework(DogModel::Mlp));
        assert!(mlp.iter().all(|r| !r.0.starts_with("Conv")), "an MLP lists no convolutions: {mlp:?}");
        assert!(value(&mlp, "Network").ends_with("(1,581,898 parameters)"));
    }
}
