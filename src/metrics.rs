//! Numbers computed from runs: accuracy, throughput, time estimates, least-squares fits.

/// Accuracy in percent (0..100), as the homework reports it.
pub fn accuracy_percent(correct: usize, total: usize) -> f64 {
    if total == 0 { 0.0 } else { 100.0 * correct as f64 / total as f64 }
}

/// Estimated seconds left, from the mean duration of the finished epochs.
pub fn eta_seconds(epoch_seconds: &[f64], epochs_total: usize) -> Option<f64> {
    if epoch_seconds.is_empty() {
        return None;
    }
    let mean = epoch_seconds.iter().sum::<f64>() / epoch_seconds.len() as f64;
    Some(mean * epochs_total.saturating_sub(epoch_seconds.len()) as f64)
}

/// A size in bytes as a student reads it: `850 KB`, `8.4 MB` (decimal units, as browsers and
/// file managers show them).
pub fn format_bytes(bytes: usize) -> String {
    match bytes {
        0..1_000_000 => format!("{} KB", bytes.div_ceil(1000).max(1)),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

/// "1 h 02 min", "3 min 05 s", "12.3 s", "0.049 s": durations as people read them. Under a
/// second two significant digits, so that a short epoch does not read "0.0 s".
pub fn format_duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "unknown".into();
    }
    if seconds < 1.0 {
        // Digits after the point for two significant ones: 0.49 -> 2, 0.049 -> 3.
        let digits = if seconds > 0.0 { (1.0 - seconds.log10().floor()).clamp(1.0, 6.0) as usize } else { 1 };
        let text = format!("{seconds:.digits$}");
        // Rounding up can reach 1: 0.996 s reads "1.0 s".
        return if text.starts_with('1') { "1.0 s".into() } else { format!("{text} s") };
    }
    if seconds < 60.0 {
        return format!("{seconds:.1} s");
    }
    let total = seconds.round() as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 { format!("{h} h {m:02} min") } else { format!("{m} min {s:02} s") }
}

/// "60,000": a count with its thousands grouped, as the homework writes them.
pub fn format_count(n: usize) -> String {
    let digits = n.to_string();
    let mut text = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            text.push(',');
        }
        text.push(c);
    }
    text
}

/// A line `y = slope * x + intercept` fitted by least squares.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinearFit {
    pub slope: f64,
    pub intercept: f64,
}

impl LinearFit {
    /// The least-squares line through the points; `None` with fewer than two distinct x.
    pub fn fit(points: &[(f64, f64)]) -> Option<Self> {
        let n = points.len() as f64;
        let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
        let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
        let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
        if points.len() < 2 || sxx == 0.0 {
            return None;
        }
        let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
        let slope = sxy / sxx;
        Some(Self { slope, intercept: mean_y - slope * mean_x })
    }

    pub fn at(&self, x: f64) -> f64 {
        self.slope * x + self.intercept
    }

    /// Measured minus fitted `y`, point by point: what the line leaves unexplained.
    pub fn residuals(&self, points: &[(f64, f64)]) -> Vec<f64> {
        points.iter().map(|&(x, y)| y - self.at(x)).collect()
    }

    /// The coefficient of determination R² = 1 - SS_res / SS_tot of the line over `points`:
    /// 1 when it passes through every point, lower the more of the spread it leaves. Points
    /// that all have the same `y` have nothing to explain: R² is 1 when the line hits them.
    pub fn r_squared(&self, points: &[(f64, f64)]) -> f64 {
        let n = points.len().max(1) as f64;
        let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
        let ss_res: f64 = self.residuals(points).iter().map(|r| r * r).sum();
        let ss_tot: f64 = points.iter().map(|p| (p.1 - mean_y).powi(2)).sum();
        if ss_tot == 0.0 { if ss_res == 0.0 { 1.0 } else { 0.0 } } else { 1.0 - ss_res / ss_tot }
    }
}

/// The sample mean and (population) standard deviation.
pub fn mean_std(values: &[f32]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().map(|&v| v as f64).sum::<f64>() / n;
    let var = values.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// Softmax of a few logits, in f64 for readability of tiny probabilities.
pub fn softmax(logits: &[f32]) -> Vec<f64> {
    let max = logits.iter().cloned().fold(f32::NEG_INFINITY, f32::max) as f64;
    let exp: Vec<f64> = logits.iter().map(|&l| (l as f64 - max).exp()).collect();
    let sum: f64 = exp.iter().sum();
    exp.into_iter().map(|e| e / sum).collect()
}

/// The homework's early stop (HOMEWORK section 3): after each epoch, stop when the validation
/// loss improved on the previous epoch's by less than `stop_thr` (a rise counts as a negative
/// improvement). Returns the improvement that stopped it.
pub fn early_stop(valid_losses: &[f64], stop_thr: f64) -> Option<f64> {
    match valid_losses {
        [.., previous, current] if previous - current < stop_thr => Some(previous - current),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_kilobytes_then_megabytes() {
        assert_eq!(format_bytes(0), "1 KB");
        assert_eq!(format_bytes(6_413), "7 KB");
        assert_eq!(format_bytes(999_999), "1000 KB");
        assert_eq!(format_bytes(8_436_800), "8.4 MB");
    }

    #[test]
    fn early_stopping_follows_a_scripted_loss_sequence() {
        let losses = [2.30, 2.10, 2.00, 1.9995, 1.80, 1.85];
        let stops: Vec<Option<f64>> = (1..=losses.len()).map(|n| early_stop(&losses[..n], 1e-4)).collect();
        assert_eq!(&stops[..3], &[None, None, None]);
        assert!(stops[3].is_none(), "an improvement of 5e-4 is above the threshold");
        assert!(stops[4].is_none());
        assert!((stops[5].unwrap() + 0.05).abs() < 1e-9, "a rise stops it, with a negative improvement");
        assert_eq!(early_stop(&[1.0, 0.99995], 1e-4).map(|i| (i * 1e5).round()), Some(5.0));
        assert_eq!(early_stop(&[1.0, 0.5], 0.0), None);
        assert_eq!(early_stop(&[1.0, 1.0], 0.0), None, "threshold 0 stops only on a rise");
    }

    #[test]
    fn accuracy_and_eta() {
        assert_eq!(accuracy_percent(1, 4), 25.0);
        assert_eq!(accuracy_percent(0, 0), 0.0);
        assert_eq!(eta_seconds(&[2.0, 4.0], 5), Some(9.0));
        assert_eq!(eta_seconds(&[], 5), None);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(12.34), "12.3 s");
        assert_eq!(format_duration(185.0), "3 min 05 s");
        assert_eq!(format_duration(3720.0), "1 h 02 min");
        assert_eq!(format_duration(f64::NAN), "unknown");
        assert_eq!(format_duration(0.4912), "0.49 s");
        assert_eq!(format_duration(0.04912), "0.049 s");
        assert_eq!(format_duration(0.1), "0.10 s");
        assert_eq!(format_duration(0.996), "1.0 s");
        assert_eq!(format_duration(0.0), "0.0 s");
        assert_eq!(format_duration(59.96), "60.0 s");
    }

    #[test]
    fn counts_group_their_thousands() {
        assert_eq!(format_count(0), "0");
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(1000), "1,000");
        assert_eq!(format_count(60_000), "60,000");
        assert_eq!(format_count(1_234_567), "1,234,567");
    }

    #[test]
    fn least_squares_recovers_a_line_and_refuses_a_vertical_one() {
        let fit = LinearFit::fit(&[(500.0, 2.0), (1000.0, 4.1), (1500.0, 5.9), (2000.0, 8.0)]).unwrap();
        // Closed form by hand: sxy = 4950, sxx = 1.25e6 -> slope 0.00396; intercept 5 - 0.00396*1250.
        assert!((fit.slope - 0.00396).abs() < 1e-12);
        assert!((fit.intercept - 0.05).abs() < 1e-9);
        assert!((fit.at(60_000.0) - 237.65).abs() < 1e-6);
        assert_eq!(LinearFit::fit(&[(1.0, 1.0), (1.0, 2.0)]), None);
        assert_eq!(LinearFit::fit(&[(1.0, 1.0)]), None);
    }

    #[test]
    fn r_squared_and_residuals_measure_how_well_the_line_fits() {
        let line: Vec<(f64, f64)> = [500.0, 1000.0, 1500.0, 2000.0].map(|x| (x, 0.002 * x + 0.1)).to_vec();
        let fit = LinearFit::fit(&line).unwrap();
        assert!((fit.r_squared(&line) - 1.0).abs() < 1e-12);
        assert!(fit.residuals(&line).iter().all(|r| r.abs() < 1e-12));
        // Short, noisy timings: sxy = 520, sxx = 1.25e6, SS_tot = 0.2945, SS_res = 0.2945 - 520²/1.25e6.
        let noisy = [(500.0, 0.17), (1000.0, 0.21), (1500.0, 0.28), (2000.0, 0.84)];
        let fit = LinearFit::fit(&noisy).unwrap();
        assert!((fit.r_squared(&noisy) - (1.0 - (0.2945 - 0.21632) / 0.2945)).abs() < 1e-9);
        let res = fit.residuals(&noisy);
        assert!((res[0] - (0.17 - (4.16e-4 * 500.0 - 0.145))).abs() < 1e-9, "{res:?}");
        assert!(res.iter().sum::<f64>().abs() < 1e-12, "least-squares residuals sum to zero");
        let flat = [(1.0, 2.0), (2.0, 2.0)];
        assert_eq!(LinearFit::fit(&flat).unwrap().r_squared(&flat), 1.0);
    }

    #[test]
    fn softmax_sums_to_one_and_orders_like_the_logits() {
        let p = softmax(&[1.0, 3.0]);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!((p[1] - 1.0 / (1.0 + (-2f64).exp())).abs() < 1e-12);
        let (m, s) = mean_std(&[1.0, 3.0]);
        assert_eq!((m, s), (2.0, 1.0));
    }
}
