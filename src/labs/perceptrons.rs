//! HOMEWORK section 7: any boolean function of binary inputs is computed exactly by a network
//! of perceptrons (step activations): one hidden unit per true row of the truth table (an AND
//! of literals), then an OR of the hidden units.
//! Beside it: `perceptrons/page.rs` (the panel).

#[cfg(all(target_arch = "wasm32", feature = "csr"))]
pub mod page;

use rand::RngExt;
use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::data::rng_for;

/// The outputs of a boolean function for every input row. Row `r` sets input `i` to bit
/// `inputs - 1 - i` of `r`, so rows read 00, 01, 10, 11 in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthTable {
    pub inputs: usize,
    pub outputs: Vec<bool>,
}

impl TruthTable {
    pub fn rows(inputs: usize) -> usize {
        1 << inputs
    }

    /// The input values of row `r`.
    pub fn row(&self, r: usize) -> Vec<bool> {
        (0..self.inputs).map(|i| (r >> (self.inputs - 1 - i)) & 1 == 1).collect()
    }

    fn from_fn(inputs: usize, f: impl Fn(&[bool]) -> bool) -> Self {
        let mut t = Self { inputs, outputs: vec![] };
        t.outputs = (0..Self::rows(inputs)).map(|r| f(&t.row(r))).collect();
        t
    }

    /// One of the homework's functions of `inputs` inputs (`seed` draws the random one).
    pub fn preset(preset: Preset, inputs: usize, seed: u64) -> Self {
        let ones = |x: &[bool]| x.iter().filter(|&&b| b).count();
        match preset {
            Preset::And => Self::from_fn(inputs, |x| x.iter().all(|&b| b)),
            Preset::Or => Self::from_fn(inputs, |x| x.iter().any(|&b| b)),
            Preset::Xor => Self::from_fn(inputs, |x| ones(x) % 2 == 1),
            Preset::Majority => Self::from_fn(inputs, |x| 2 * ones(x) > x.len()),
            Preset::Random => {
                let mut rng = rng_for(seed, 0x7AB1E);
                Self { inputs, outputs: (0..Self::rows(inputs)).map(|_| rng.random::<bool>()).collect() }
            }
        }
    }
}

/// The truth tables the labs offer in one click.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    And,
    Or,
    /// XOR of two inputs; parity of more.
    Xor,
    Majority,
    Random,
}

impl Preset {
    pub const ALL: [Preset; 5] = [Preset::And, Preset::Or, Preset::Xor, Preset::Majority, Preset::Random];

    /// Its button's label.
    pub fn label(self) -> &'static str {
        match self {
            Preset::And => "AND",
            Preset::Or => "OR",
            Preset::Xor => "XOR (parity)",
            Preset::Majority => "Majority",
            Preset::Random => "Random",
        }
    }

    /// Its name in test ids: `preset-and`.
    pub fn slug(self) -> &'static str {
        match self {
            Preset::And => "and",
            Preset::Or => "or",
            Preset::Xor => "xor",
            Preset::Majority => "majority",
            Preset::Random => "random",
        }
    }
}

/// A perceptron: fires (outputs 1) when the weighted sum of its inputs exceeds the threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Perceptron {
    pub weights: Vec<f64>,
    pub threshold: f64,
}

impl Perceptron {
    pub fn fires(&self, inputs: &[bool]) -> bool {
        let sum: f64 = self.weights.iter().zip(inputs).map(|(w, &x)| if x { *w } else { 0.0 }).sum();
        sum > self.threshold
    }
}

/// Hidden perceptrons (one per true row) feeding one output perceptron (an OR).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PerceptronNet {
    pub hidden: Vec<Perceptron>,
    /// The true row each hidden unit detects.
    pub hidden_rows: Vec<usize>,
    pub output: Perceptron,
}

impl PerceptronNet {
    /// The construction: for true row r, a unit with weight +1 on the inputs that are 1 in r
    /// and -1 on those that are 0, threshold (number of ones in r) - 1/2. Its sum reaches the
    /// number of ones only on row r itself (any other row loses a +1 or gains a -1), so it
    /// fires on r alone. The output fires when any hidden unit does: weights 1, threshold 1/2.
    pub fn construct(table: &TruthTable) -> Self {
        let hidden_rows: Vec<usize> = (0..table.outputs.len()).filter(|&r| table.outputs[r]).collect();
        let hidden = hidden_rows
            .iter()
            .map(|&r| {
                let row = table.row(r);
                let ones = row.iter().filter(|&&b| b).count();
                Perceptron {
                    weights: row.iter().map(|&b| if b { 1.0 } else { -1.0 }).collect(),
                    threshold: ones as f64 - 0.5,
                }
            })
            .collect::<Vec<_>>();
        let output = Perceptron { weights: vec![1.0; hidden.len()], threshold: 0.5 };
        Self { hidden, hidden_rows, output }
    }

    /// The hidden units' outputs and the network's output for one input row.
    pub fn evaluate(&self, inputs: &[bool]) -> (Vec<bool>, bool) {
        let hidden: Vec<bool> = self.hidden.iter().map(|p| p.fires(inputs)).collect();
        let out = self.output.fires(&hidden);
        (hidden, out)
    }
}

/// A perceptron network as an SVG diagram: inputs, one hidden unit per true row, the output
/// unit; edges red for weight +1, blue for -1, each with its weight as a tooltip.
pub fn perceptron_svg(net: &PerceptronNet, table: &TruthTable) -> String {
    let n = table.inputs;
    let h = net.hidden.len();
    let rows = n.max(h).max(1) as f64;
    let height = 40.0 + rows * 34.0;
    let y = |i: usize, count: usize| 20.0 + (i as f64 + 0.5) * (height - 40.0) / count.max(1) as f64;
    let (xi, xh, xo) = (50.0, 260.0, 470.0);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 540 {height}" role="img" aria-label="Perceptron network: {n} inputs, {h} hidden units, one output" class="network" font-family="system-ui, sans-serif" font-size="12">"#
    );
    for (j, unit) in net.hidden.iter().enumerate() {
        for (i, w) in unit.weights.iter().enumerate() {
            let colour = if *w > 0.0 { "#b2182b" } else { "#2166ac" };
            let _ = write!(
                s,
                r#"<line x1="{xi}" y1="{:.1}" x2="{xh}" y2="{:.1}" stroke="{colour}" stroke-width="1.5"><title>x{} to hidden {}: weight {w:+}</title></line>"#,
                y(i, n),
                y(j, h),
                i + 1,
                j + 1
            );
        }
        let _ = write!(
            s,
            r##"<line x1="{xh}" y1="{:.1}" x2="{xo}" y2="{:.1}" stroke="#b2182b" stroke-width="1.5"><title>hidden {} to output: weight +1</title></line>"##,
            y(j, h),
            y(0, 1),
            j + 1
        );
    }
    for i in 0..n {
        let _ = write!(
            s,
            r##"<circle cx="{xi}" cy="{:.1}" r="14" fill="#fff" stroke="#333"/><text x="{xi}" y="{:.1}" text-anchor="middle">x{}</text>"##,
            y(i, n),
            y(i, n) + 4.0,
            i + 1
        );
    }
    for (j, unit) in net.hidden.iter().enumerate() {
        let row: String = table.row(net.hidden_rows[j]).iter().map(|&b| if b { '1' } else { '0' }).collect();
        let _ = write!(
            s,
            r##"<g><title>hidden {}: fires on row {row} only</title><circle cx="{xh}" cy="{:.1}" r="14" fill="#f6f7fa" stroke="#333"/><text x="{:.1}" y="{:.1}">θ = {} (row {row})</text></g>"##,
            j + 1,
            y(j, h),
            xh + 20.0,
            y(j, h) + 4.0,
            unit.threshold
        );
    }
    let _ = write!(
        s,
        r##"<circle cx="{xo}" cy="{:.1}" r="16" fill="#fff" stroke="#333"/><text x="{xo}" y="{:.1}" text-anchor="middle">OR</text><text x="{xo}" y="{:.1}" text-anchor="middle">θ = {}</text>"##,
        y(0, 1),
        y(0, 1) + 4.0,
        y(0, 1) + 32.0,
        net.output.threshold
    );
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_network_diagram_has_every_unit_and_edge() {
        let table = TruthTable::preset(Preset::Xor, 2, 0);
        let net = PerceptronNet::construct(&table);
        let svg = perceptron_svg(&net, &table);
        assert_eq!(svg.matches("<circle").count(), 2 + 2 + 1);
        assert_eq!(svg.matches("<line").count(), 2 * 2 + 2);
        assert!(svg.contains("hidden 1: fires on row 01 only"), "{svg}");
        assert!(svg.contains("x1 to hidden 1: weight -1"), "{svg}");
    }

    fn computes(table: &TruthTable) -> bool {
        let net = PerceptronNet::construct(table);
        (0..table.outputs.len()).all(|r| net.evaluate(&table.row(r)).1 == table.outputs[r])
    }

    #[test]
    fn every_function_of_two_and_three_inputs_is_computed_exactly() {
        for inputs in [2, 3] {
            let rows = TruthTable::rows(inputs);
            for code in 0..(1usize << rows) {
                let table = TruthTable { inputs, outputs: (0..rows).map(|r| (code >> r) & 1 == 1).collect() };
                assert!(computes(&table), "{table:?}");
            }
        }
    }

    #[test]
    fn random_four_input_functions_and_the_presets_are_computed_exactly() {
        for seed in 0..200 {
            assert!(computes(&TruthTable::preset(Preset::Random, 4, seed)));
        }
        for preset in Preset::ALL {
            for inputs in [2, 3, 4] {
                assert!(computes(&TruthTable::preset(preset, inputs, 0)), "{preset:?} {inputs}");
            }
        }
        assert_eq!(TruthTable::preset(Preset::Xor, 2, 0).outputs, vec![false, true, true, false]);
        assert_eq!(TruthTable::preset(Preset::Majority, 3, 0).outputs.iter().filter(|&&b| b).count(), 4);
    }

    #[test]
    fn each_hidden_unit_fires_on_its_row_only() {
        let table = TruthTable::preset(Preset::Xor, 2, 0);
        let net = PerceptronNet::construct(&table);
        assert_eq!(net.hidden_rows, vec![1, 2]);
        assert_eq!(net.hidden[0], Perceptron { weights: vec![-1.0, 1.0], threshold: 0.5 });
        for r in 0..4 {
            let (hidden, _) = net.evaluate(&table.row(r));
            let firing: Vec<usize> =
                hidden.iter().enumerate().filter(|(_, h)| **h).map(|(i, _)| net.hidden_rows[i]).collect();
            assert_eq!(firing, if table.outputs[r] { vec![r] } else { vec![] });
        }
        let never = PerceptronNet::construct(&TruthTable { inputs: 2, outputs: vec![false; 4] });
        assert!(never.hidden.is_empty() && !never.evaluate(&[true, true]).1);
    }
}
