//! The per-channel standardisation the labs apply, fitted on the train partition.

/// Per-channel standardisation: `(pixel / 255 - mean) / std`, with the train partition's
/// statistics applied to every partition (HOMEWORK section 2).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Standardise {
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

impl Standardise {
    /// Plain scaling to 0..1 (what the MNIST labs use).
    pub fn unit(channels: usize) -> Self {
        Self { mean: vec![0.0; channels], std: vec![1.0; channels] }
    }

    /// Mean and (population) standard deviation of each channel of `[n, h, w, c]` bytes,
    /// on the 0..1 scale.
    pub fn fit(images: &[u8], channels: usize) -> Self {
        let mut sum = vec![0f64; channels];
        let mut sq = vec![0f64; channels];
        for px in images.chunks_exact(channels) {
            for (ch, &v) in px.iter().enumerate() {
                let v = v as f64 / 255.0;
                sum[ch] += v;
                sq[ch] += v * v;
            }
        }
        let n = (images.len() / channels).max(1) as f64;
        let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
        let std = sq.iter().zip(&mean).map(|(s, m)| ((s / n - m * m).max(0.0).sqrt().max(1e-6)) as f32).collect();
        Self { mean: mean.iter().map(|&m| m as f32).collect(), std }
    }

    pub fn apply(&self, pixel: u8, channel: usize) -> f32 {
        (pixel as f32 / 255.0 - self.mean[channel]) / self.std[channel]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardising_the_train_statistics_gives_zero_mean_unit_std() {
        let images: Vec<u8> = (0..300u32).map(|i| (i * 7 % 256) as u8).collect();
        let s = Standardise::fit(&images, 3);
        for ch in 0..3 {
            let values: Vec<f32> = images.iter().skip(ch).step_by(3).map(|&p| s.apply(p, ch)).collect();
            let mean = values.iter().sum::<f32>() / values.len() as f32;
            let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / values.len() as f32;
            assert!(mean.abs() < 1e-4 && (var - 1.0).abs() < 1e-3, "channel {ch}: {mean} {var}");
        }
    }
}
