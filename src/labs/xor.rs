//! "Can a network with only linear activations learn XOR?" (HOMEWORK section 7): the lab's
//! settings, form, results, view state and the maths that shows the answer, without burn.
//! Beside it: `xor/engine.rs` (the two networks, burn) and `xor/page.rs` (the panel).

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::config::ConfigError;
use crate::form::{Field, FormText, list_text};
use crate::plot::heatmap_svg;
use crate::run::{RunId, RunState};

#[cfg(feature = "engine")]
pub mod engine;
#[cfg(all(target_arch = "wasm32", feature = "csr"))]
pub mod page;

/// The four inputs of a 2-input boolean function, in truth-table order.
pub const POINTS: [[f32; 2]; 4] = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
/// Decision regions are sampled on a `GRID` x `GRID` lattice over [`GRID_RANGE`]².
pub const GRID: usize = 41;
pub const GRID_RANGE: (f32, f32) = (-0.25, 1.25);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Activation {
    /// The identity: every layer is linear.
    Linear,
    Relu,
}

impl Activation {
    pub fn name(self) -> &'static str {
        match self {
            Activation::Linear => "linear",
            Activation::Relu => "ReLU",
        }
    }
}

/// Two networks of the same shape, one per activation, trained on one 2-input function.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct XorLab {
    /// Output for each row of [`POINTS`] (XOR: false, true, true, false).
    pub truth: [bool; 4],
    /// Widths of the hidden layers (the depth is their number).
    pub hidden: Vec<usize>,
    /// Full-batch Adam steps.
    pub epochs: usize,
    pub lr: f64,
    pub seed: u64,
}

impl XorLab {
    pub fn xor() -> Self {
        Self { truth: [false, true, true, false], hidden: vec![8, 8], epochs: 400, lr: 0.05, seed: 1 }
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |field, reason: &str| Err(ConfigError::Invalid { field, reason: reason.into() });
        if self.hidden.is_empty() || self.hidden.len() > 6 {
            return invalid("hidden layers", "must be 1 to 6 layers");
        }
        if self.hidden.iter().any(|&w| w == 0 || w > 64) {
            return invalid("hidden width", "must be 1 to 64 units per layer");
        }
        if self.epochs == 0 || self.epochs > 5_000 {
            return invalid("steps", "must be 1 to 5000");
        }
        if !(self.lr.is_finite() && self.lr > 0.0 && self.lr <= 1.0) {
            return invalid("learning rate", "must be a positive number up to 1");
        }
        Ok(())
    }

    /// Grid point `(row, col)` as network input: row is x2 (top = high), col is x1.
    pub fn grid_point(row: usize, col: usize) -> [f32; 2] {
        let (lo, hi) = GRID_RANGE;
        let at = |i: usize| lo + (hi - lo) * i as f32 / (GRID - 1) as f32;
        [at(col), at(GRID - 1 - row)]
    }
}

/// The lab's form. The truth table is set with toggles on the page, as `0,1,1,0` in links.
pub const FIELDS: &[Field] = &[field::TRUTH, field::HIDDEN, field::STEPS, field::LR, field::SEED];

/// Each field of the form by name, so a page or parse naming one that does not exist fails to
/// compile.
pub mod field {
    use crate::form::Field;

    pub const TRUTH: Field = Field::new("truth", "truth table", "Truth table", "xor-truth");
    pub const HIDDEN: Field =
        Field::new("hidden", "hidden widths", "Hidden widths", "xor-hidden").hint("one number per hidden layer");
    pub const STEPS: Field = Field::new("steps", "steps", "Steps", "xor-steps");
    pub const LR: Field = Field::new("lr", "learning rate", "Learning rate", "xor-lr");
    pub const SEED: Field = Field::new("seed", "seed", "Seed", "xor-seed");
}

impl XorLab {
    /// The form showing this config.
    pub fn form(&self) -> FormText {
        let values = [truth_text(self.truth), list_text(&self.hidden), self.epochs.to_string(), self.lr.to_string()];
        FormText::new(FIELDS, values.into_iter().chain([self.seed.to_string()]).collect())
    }

    /// The form as a checked config.
    pub fn parse(form: &FormText) -> Result<Self, ConfigError> {
        let lab = XorLab {
            truth: parse_truth(form)?,
            hidden: form.parse_list(field::HIDDEN.key)?,
            epochs: form.parse(field::STEPS.key)?,
            lr: form.parse(field::LR.key)?,
            seed: form.parse(field::SEED.key)?,
        };
        lab.validate()?;
        Ok(lab)
    }
}

/// The XOR lab's latest run.
#[derive(Clone, Debug, PartialEq)]
pub struct XorView {
    pub id: RunId,
    pub lab: XorLab,
    pub state: RunState,
    /// The linear and the ReLU network.
    pub result: Option<(XorRun, XorRun)>,
}

impl XorView {
    pub fn new(id: RunId, lab: XorLab) -> Self {
        Self { id, lab, state: RunState::default(), result: None }
    }
}

/// A truth table as the form holds it: `0,1,1,0`.
pub fn truth_text(truth: [bool; 4]) -> String {
    truth.map(|b| if b { "1" } else { "0" }).join(",")
}

/// The form's truth table.
pub fn parse_truth(form: &FormText) -> Result<[bool; 4], ConfigError> {
    let bits: Vec<u8> = form.parse_list(field::TRUTH.key)?;
    let bits = <[u8; 4]>::try_from(bits).ok().filter(|b| b.iter().all(|&v| v <= 1));
    let bits =
        bits.ok_or_else(|| ConfigError::Invalid { field: "truth table", reason: "must be four 0s and 1s".into() })?;
    Ok(bits.map(|v| v == 1))
}

/// One trained network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct XorRun {
    pub activation: Activation,
    /// Loss after each step.
    pub losses: Vec<f64>,
    /// Probability of `true` at each of [`POINTS`].
    pub outputs: Vec<f32>,
    /// Percent of the four points right.
    pub accuracy: f64,
    /// Probability of `true` over the grid, row-major, top row first.
    pub grid: Vec<f32>,
    /// For the linear network: its layers multiplied out into one affine map.
    pub collapsed: Option<Affine>,
}

/// `y = x W + b` with `W` `[inputs, outputs]` row-major.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Affine {
    pub inputs: usize,
    pub outputs: usize,
    pub w: Vec<f32>,
    pub b: Vec<f32>,
}

impl Affine {
    pub fn apply(&self, x: &[f32]) -> Vec<f32> {
        (0..self.outputs)
            .map(|o| self.b[o] + (0..self.inputs).map(|i| x[i] * self.w[i * self.outputs + o]).sum::<f32>())
            .collect()
    }

    /// `self` then `next`: `(x W1 + b1) W2 + b2 = x (W1 W2) + (b1 W2 + b2)`.
    pub fn then(&self, next: &Affine) -> Affine {
        let (n, k, m) = (self.inputs, self.outputs, next.outputs);
        let w = (0..n)
            .flat_map(|i| (0..m).map(move |o| (i, o)))
            .map(|(i, o)| (0..k).map(|j| self.w[i * k + j] * next.w[j * m + o]).sum())
            .collect();
        Affine { inputs: n, outputs: m, w, b: next.apply(&self.b) }
    }
}

/// Layers multiplied out: one affine map equal to the whole linear network.
pub fn collapse(layers: &[Affine]) -> Option<Affine> {
    let (first, rest) = layers.split_first()?;
    Some(rest.iter().fold(first.clone(), |acc, l| acc.then(l)))
}

/// A probability of `true` this close to one half is a tie: the network has not decided.
/// (0.01 is a 51:49 split: printed to three places, 0.500 and anything near it is a coin.)
pub const UNDECIDED: f32 = 0.01;

/// How a network did on one point of the truth table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Right,
    Wrong,
    /// p(true) within [`UNDECIDED`] of one half: neither answer.
    Undecided,
}

impl Decision {
    pub fn of(p_true: f32, target: bool) -> Self {
        if (p_true - 0.5).abs() < UNDECIDED {
            Decision::Undecided
        } else if (p_true > 0.5) == target {
            Decision::Right
        } else {
            Decision::Wrong
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Decision::Right => "right",
            Decision::Wrong => "wrong",
            Decision::Undecided => "undecided (p = 0.5)",
        }
    }
}

/// Points a network decided right, of the four.
pub fn right_count(outputs: &[f32], truth: [bool; 4]) -> usize {
    outputs.iter().zip(truth).filter(|&(&p, t)| Decision::of(p, t) == Decision::Right).count()
}

/// Whether a network says one half at every point of the input square: it collapsed to a
/// constant and draws no boundary at all (the best a linear model's loss can do on XOR).
pub fn is_constant(run: &XorRun) -> bool {
    run.grid.iter().all(|&p| (p - 0.5).abs() < UNDECIDED)
}

/// The answer, from the two runs.
pub fn answer(lab: &XorLab, linear: &XorRun, relu: &XorRun) -> String {
    let depth = lab.hidden.len();
    let mut text = format!(
        "With {depth} hidden layer{} of widths {:?}, the linear network reached {:.0}% on the four points and the ReLU \
         network {:.0}%.",
        if depth == 1 { "" } else { "s" },
        lab.hidden,
        linear.accuracy,
        relu.accuracy
    );
    let undecided = linear.outputs.iter().zip(lab.truth).filter(|&(&p, t)| Decision::of(p, t) == Decision::Undecided);
    let undecided = undecided.count();
    if is_constant(linear) {
        text += &format!(
            " The linear network collapsed: it says p(true) = 0.5 at every point of the input square, so it \
             draws no boundary and leaves all {undecided} training points undecided (that is why its map is all \
             white). Multiplied out, its {} layers are one map whose weights have shrunk to nothing: with one \
             straight boundary, the loss on XOR's four points is lowest when the network answers one half \
             everywhere.",
            depth + 1
        );
    } else if let Some(a) = &linear.collapsed {
        text += &format!(
            " Multiplied out, the linear network's {} layers are one map: logit difference = {:.3}·x1 + {:.3}·x2 + {:.3}, \
             a single straight boundary in the input square.",
            depth + 1,
            a.w[1] - a.w[0],
            a.w[3] - a.w[2],
            a.b[1] - a.b[0]
        );
    }
    if undecided > 0 && !is_constant(linear) {
        text += &format!(" It leaves {undecided} of the four points undecided (p(true) within {UNDECIDED} of 0.5).");
    }
    if lab.truth == XorLab::xor().truth {
        text += " No straight line puts (0,1) and (1,0) on one side and (0,0) and (1,1) on the other, so however many \
                 linear layers it has, it gets at most 3 of the 4 points right; the ReLU network bends its boundary and \
                 can get all four.";
    }
    text
}

/// Decision regions of a 2-input network: the probability of `true` over the input square
/// (blue 0, white 0.5, red 1), with the truth table's four points on top (filled = true).
pub fn decision_svg(grid: &[f32], truth: [bool; 4], label: &str) -> String {
    let cell = 24.0;
    let mut s = heatmap_svg(grid, GRID, GRID, 0.5, 0.5, label);
    s.truncate(s.len() - "</svg>".len());
    let (lo, hi) = GRID_RANGE;
    let at = |v: f32| ((v - lo) / (hi - lo) * (GRID - 1) as f32 + 0.5) * cell;
    for (p, t) in POINTS.iter().zip(truth) {
        let (x, y) = (at(p[0]), GRID as f32 * cell - at(p[1]));
        let fill = if t { "#1d2330" } else { "#fff" };
        let _ = write!(
            s,
            r##"<circle cx="{x}" cy="{y}" r="{}" fill="{fill}" stroke="#1d2330" stroke-width="6"><title>({}, {}) -> {t}</title></circle>"##,
            cell * 1.4,
            p[0],
            p[1]
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_round_trips_and_refuses_a_bad_truth_table() {
        let form = XorLab::xor().form();
        assert_eq!(form.get(field::TRUTH.key), "0,1,1,0");
        assert_eq!(XorLab::parse(&form), Ok(XorLab::xor()));
        for bad in ["0,1,1", "0,1,2,0", "x"] {
            let mut f = form.clone();
            f.set(field::TRUTH.key, bad);
            assert!(XorLab::parse(&f).unwrap_err().to_string().starts_with("truth table"), "{bad}");
        }
    }

    #[test]
    fn stacked_affine_maps_collapse_to_one_that_agrees_everywhere() {
        let a = Affine { inputs: 2, outputs: 3, w: vec![1.0, -2.0, 0.5, 3.0, 0.0, -1.0], b: vec![0.1, 0.2, 0.3] };
        let b = Affine { inputs: 3, outputs: 2, w: vec![1.0, 2.0, -1.0, 0.5, 2.0, 1.0], b: vec![-0.5, 0.25] };
        let one = collapse(&[a.clone(), b.clone()]).unwrap();
        assert_eq!((one.inputs, one.outputs), (2, 2));
        for x in POINTS.iter().chain(&[[0.3, -2.0]]) {
            let stacked = b.apply(&a.apply(x));
            let direct = one.apply(x);
            assert!(stacked.iter().zip(&direct).all(|(s, d)| (s - d).abs() < 1e-5), "{stacked:?} {direct:?}");
        }
        assert_eq!(collapse(&[]), None);
    }

    fn run(activation: Activation, outputs: Vec<f32>, grid: f32) -> XorRun {
        let right = right_count(&outputs, XorLab::xor().truth);
        let collapsed = Affine { inputs: 2, outputs: 2, w: vec![0.0; 4], b: vec![0.0; 2] };
        XorRun {
            activation,
            losses: vec![0.69],
            accuracy: crate::metrics::accuracy_percent(right, 4),
            outputs,
            grid: vec![grid; GRID * GRID],
            collapsed: (activation == Activation::Linear).then_some(collapsed),
        }
    }

    #[test]
    fn a_tie_at_one_half_is_undecided_not_right() {
        assert_eq!(Decision::of(0.5, false), Decision::Undecided);
        assert_eq!(Decision::of(0.5, true), Decision::Undecided);
        assert_eq!(Decision::of(0.495, false), Decision::Undecided);
        assert_eq!(Decision::of(0.2, false), Decision::Right);
        assert_eq!(Decision::of(0.2, true), Decision::Wrong);
        assert_eq!(right_count(&[0.5; 4], XorLab::xor().truth), 0);
    }

    #[test]
    fn a_collapsed_linear_network_is_said_to_draw_no_boundary() {
        let lab = XorLab::xor();
        let linear = run(Activation::Linear, vec![0.5; 4], 0.5);
        let relu = run(Activation::Relu, vec![0.01, 0.99, 0.99, 0.01], 0.7);
        assert_eq!(linear.accuracy, 0.0);
        let text = answer(&lab, &linear, &relu);
        assert!(text.contains("the linear network reached 0% on the four points and the ReLU network 100%"), "{text}");
        assert!(text.contains("The linear network collapsed"), "{text}");
        assert!(text.contains("leaves all 4 training points undecided"), "{text}");
        assert!(!text.contains("a single straight boundary") && !text.contains("·x1"), "{text}");
        // One that did not collapse has its boundary written out.
        let tilted = XorRun { grid: (0..GRID * GRID).map(|i| i as f32 / (GRID * GRID) as f32).collect(), ..linear };
        let text = answer(&lab, &tilted, &relu);
        assert!(text.contains("a single straight boundary"), "{text}");
    }

    #[test]
    fn the_grid_spans_the_square_with_the_top_row_high() {
        assert_eq!(XorLab::grid_point(0, 0), [-0.25, 1.25]);
        assert_eq!(XorLab::grid_point(GRID - 1, GRID - 1), [1.25, -0.25]);
        XorLab::xor().validate().unwrap();
        let deep = XorLab { hidden: vec![4; 7], ..XorLab::xor() };
        assert!(deep.validate().unwrap_err().to_string().starts_with("hidden layers"));
    }
}
