//! The synthetic-edges set of HOMEWORK section 6, generated deterministically from a seed.
//!
//! Each 28x28 one-channel image holds one bright bar (an edge segment) on a dark, noisy
//! background. The class is the bar's orientation; its position is drawn uniformly over every
//! place where the whole bar fits, so a classifier has to recognise the pattern wherever it is.

use super::{Dataset, rng_for, stream};
use rand::RngExt;
use serde::{Deserialize, Serialize};

/// Image side in pixels (HOMEWORK section 6).
pub const SIZE: usize = 28;
/// Bar length and thickness in pixels: long enough to tell orientations apart after the
/// first 5x5 convolution, short enough to move around freely.
pub const BAR_LEN: usize = 12;
pub const BAR_THICKNESS: usize = 2;
/// Bar brightness on a background of 0.
pub const BAR_VALUE: f32 = 1.0;
/// Standard deviation of the Gaussian pixel noise ("mild noise": a tenth of the bar).
pub const NOISE_STD: f32 = 0.1;
pub const CLASS_NAMES: [&str; 2] = ["horizontal", "vertical"];

/// [`CLASS_NAMES`] as owned strings, as datasets and evaluations keep them.
pub fn class_names() -> Vec<String> {
    CLASS_NAMES.iter().map(|s| s.to_string()).collect()
}
/// The noise pattern of every image in the shift sweep and the demo, so only the bar's
/// position changes between them.
pub const PROBE_NOISE_SEED: u64 = 0;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Orientation {
    Horizontal = 0,
    Vertical = 1,
}

impl Orientation {
    pub fn label(self) -> u8 {
        self as u8
    }

    pub fn from_label(label: u8) -> Self {
        if label == 0 { Self::Horizontal } else { Self::Vertical }
    }

    pub fn name(self) -> &'static str {
        CLASS_NAMES[self as usize]
    }
}

/// Where one bar sits: its top-left pixel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bar {
    pub orientation: Orientation,
    pub row: usize,
    pub col: usize,
}

impl Bar {
    /// Height and width of the bar's bounding box.
    pub fn extent(orientation: Orientation) -> (usize, usize) {
        match orientation {
            Orientation::Horizontal => (BAR_THICKNESS, BAR_LEN),
            Orientation::Vertical => (BAR_LEN, BAR_THICKNESS),
        }
    }

    /// Largest top-left row and column at which the bar still fits in the image.
    pub fn max_position(orientation: Orientation) -> (usize, usize) {
        let (h, w) = Self::extent(orientation);
        (SIZE - h, SIZE - w)
    }

    /// The bar moved to (row, col), clamped so it stays inside the image.
    pub fn moved_to(self, row: usize, col: usize) -> Self {
        let (max_r, max_c) = Self::max_position(self.orientation);
        Self { row: row.min(max_r), col: col.min(max_c), ..self }
    }

    /// A bar centred in the image.
    pub fn centred(orientation: Orientation) -> Self {
        let (max_r, max_c) = Self::max_position(orientation);
        Self { orientation, row: max_r / 2, col: max_c / 2 }
    }

    /// Whether pixel `(row, col)` is part of the bar.
    pub fn covers(&self, row: usize, col: usize) -> bool {
        let (h, w) = Self::extent(self.orientation);
        (self.row..self.row + h).contains(&row) && (self.col..self.col + w).contains(&col)
    }

    /// Draws the bar, with no noise, into a `SIZE * SIZE` image.
    pub fn draw(&self, image: &mut [f32]) {
        let (h, w) = Self::extent(self.orientation);
        for r in self.row..self.row + h {
            for c in self.col..self.col + w {
                image[r * SIZE + c] += BAR_VALUE;
            }
        }
    }
}

/// A generated set with the ground truth of every image.
#[derive(Clone, Debug, PartialEq)]
pub struct SynthSet {
    pub data: Dataset,
    pub bars: Vec<Bar>,
}

/// `n` images, classes alternating (so the two classes differ in size by at most one),
/// positions and noise drawn from `(seed, which)`.
pub fn generate(n: usize, seed: u64, which: Which) -> SynthSet {
    let mut builder = SynthBuilder::new(n, seed, which);
    builder.step(n);
    builder.finish()
}

/// [`generate`] a few images at a time: the page describes a thousand images without holding
/// its main thread for the 50-odd ms they take, giving the browser a turn between steps. The
/// images are those of `generate`, whatever the steps.
pub struct SynthBuilder {
    rng: rand::rngs::StdRng,
    n: usize,
    images: Vec<f32>,
    labels: Vec<u8>,
    bars: Vec<Bar>,
}

impl SynthBuilder {
    pub fn new(n: usize, seed: u64, which: Which) -> Self {
        Self {
            rng: rng_for(seed, which.stream()),
            n,
            images: Vec::with_capacity(n * SIZE * SIZE),
            labels: Vec::with_capacity(n),
            bars: Vec::with_capacity(n),
        }
    }

    /// Generates up to `count` more images; returns whether all `n` are there.
    pub fn step(&mut self, count: usize) -> bool {
        for _ in 0..count.min(self.n - self.labels.len()) {
            let orientation = Orientation::from_label((self.labels.len() % 2) as u8);
            let (max_r, max_c) = Bar::max_position(orientation);
            let bar = Bar { orientation, row: self.rng.random_range(0..=max_r), col: self.rng.random_range(0..=max_c) };
            let start = self.images.len();
            self.images.resize(start + SIZE * SIZE, 0.0);
            let image = &mut self.images[start..];
            add_noise(image, &mut self.rng);
            bar.draw(image);
            self.labels.push(orientation.label());
            self.bars.push(bar);
        }
        self.is_done()
    }

    pub fn is_done(&self) -> bool {
        self.labels.len() == self.n
    }

    /// The set so far (all of it once [`Self::is_done`]).
    pub fn finish(self) -> SynthSet {
        SynthSet {
            data: Dataset {
                images: self.images,
                labels: self.labels,
                shape: [SIZE, SIZE, 1],
                class_names: class_names(),
            },
            bars: self.bars,
        }
    }
}

/// Which of a lab's sets to generate; each draws from its own RNG stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    Train,
    Valid,
}

impl Which {
    fn stream(self) -> u64 {
        match self {
            Which::Train => stream::TRAIN_IMAGES,
            Which::Valid => stream::VALID_IMAGES,
        }
    }
}

/// One image of `bar` with the noise of `noise_seed`: the shift demo keeps the noise fixed
/// while the bar moves, so only the bar's position changes between frames.
pub fn render(bar: Bar, noise_seed: u64) -> Vec<f32> {
    let mut image = vec![0f32; SIZE * SIZE];
    add_noise(&mut image, &mut rng_for(noise_seed, stream::VALID_IMAGES));
    bar.draw(&mut image);
    image
}

/// Adds N(0, NOISE_STD) noise to every pixel (Box-Muller on the seeded RNG).
fn add_noise(image: &mut [f32], rng: &mut impl rand::Rng) {
    for pair in image.chunks_mut(2) {
        let u1: f32 = 1.0 - rng.random::<f32>(); // in (0, 1], so ln is finite
        let u2: f32 = rng.random();
        let radius = (-2.0 * u1.ln()).sqrt() * NOISE_STD;
        let angle = std::f32::consts::TAU * u2;
        pair[0] += radius * angle.cos();
        if let Some(second) = pair.get_mut(1) {
            *second += radius * angle.sin();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_are_balanced_and_labels_match_bars() {
        let set = generate(10_000, 3, Which::Train);
        assert_eq!(set.data.len(), 10_000);
        assert_eq!(set.data.class_counts(), vec![5_000, 5_000]);
        for (bar, &label) in set.bars.iter().zip(&set.data.labels) {
            assert_eq!(bar.orientation.label(), label);
        }
        assert_eq!(set.data.images.len(), 10_000 * 28 * 28);
    }

    #[test]
    fn generating_in_steps_gives_the_same_set() {
        let mut builder = SynthBuilder::new(25, 7, Which::Train);
        let mut steps = 0;
        while !builder.step(4) {
            steps += 1;
        }
        assert_eq!(steps, 6);
        assert!(builder.step(4), "a finished builder adds nothing and stays done");
        assert_eq!(builder.finish(), generate(25, 7, Which::Train));
    }

    #[test]
    fn same_seed_same_images_other_seed_or_split_other_images() {
        let a = generate(50, 9, Which::Train);
        assert_eq!(a, generate(50, 9, Which::Train));
        assert_ne!(a.data.images, generate(50, 10, Which::Train).data.images);
        assert_ne!(a.data.images, generate(50, 9, Which::Valid).data.images);
    }

    #[test]
    fn the_bar_is_where_its_record_says_and_the_noise_is_mild() {
        let set = generate(200, 4, Which::Train);
        let (mut bar_sum, mut bar_n, mut bg_sq, mut bg_n) = (0f64, 0, 0f64, 0);
        for (i, bar) in set.bars.iter().enumerate() {
            let mut mask = vec![0f32; SIZE * SIZE];
            bar.draw(&mut mask);
            for (&m, &v) in mask.iter().zip(set.data.image(i)) {
                if m > 0.0 {
                    bar_sum += v as f64;
                    bar_n += 1;
                } else {
                    bg_sq += (v as f64).powi(2);
                    bg_n += 1;
                }
            }
        }
        assert_eq!(bar_n, 200 * BAR_LEN * BAR_THICKNESS);
        let bar_mean = bar_sum / bar_n as f64;
        let bg_std = (bg_sq / bg_n as f64).sqrt();
        assert!((bar_mean - 1.0).abs() < 0.01, "bar mean {bar_mean}");
        assert!((bg_std - NOISE_STD as f64).abs() < 0.005, "noise std {bg_std}");
    }

    #[test]
    fn positions_cover_the_whole_image() {
        let set = generate(4_000, 5, Which::Train);
        for o in [Orientation::Horizontal, Orientation::Vertical] {
            let (max_r, max_c) = Bar::max_position(o);
            let bars: Vec<_> = set.bars.iter().filter(|b| b.orientation == o).collect();
            assert_eq!(bars.iter().map(|b| b.row).max(), Some(max_r));
            assert_eq!(bars.iter().map(|b| b.col).max(), Some(max_c));
            assert_eq!(bars.iter().map(|b| b.row).min(), Some(0));
        }
    }

    #[test]
    fn render_keeps_noise_fixed_while_the_bar_moves() {
        let bar = Bar::centred(Orientation::Vertical);
        let a = render(bar, 1);
        let b = render(bar.moved_to(bar.row, bar.col + 3), 1);
        let changed = a.iter().zip(&b).filter(|(x, y)| x != y).count();
        // Moved by more than its thickness, the bar leaves its columns and enters as many new ones.
        assert_eq!(changed, 2 * BAR_THICKNESS * BAR_LEN);
        assert_eq!(bar.moved_to(99, 99), Bar { orientation: Orientation::Vertical, row: 16, col: 26 });
    }
}
