//! HOMEWORK section 4: the output shape of a 2-d convolution, with the formula worked out per
//! axis (PyTorch's and burn's rule): out = floor((in + 2p - d(k - 1) - 1) / s) + 1.
//! Beside it: `conv_size/page.rs` (the panel).

#[cfg(all(target_arch = "wasm32", feature = "csr"))]
pub mod page;

use serde::{Deserialize, Serialize};

/// A convolution's settings; `[height, width]` pairs where the two axes may differ.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConvQuery {
    pub batch: usize,
    pub in_channels: usize,
    pub out_channels: usize,
    pub size: [usize; 2],
    pub padding: [usize; 2],
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub dilation: [usize; 2],
}

impl ConvQuery {
    /// The homework's question: 3 input channels, batch 16, 32x32 input, padding (4, 8),
    /// kernel (8, 4), stride (2, 2), dilation (1, 1). It leaves C_out open; 8 stands in.
    pub fn homework() -> Self {
        Self {
            batch: 16,
            in_channels: 3,
            out_channels: 8,
            size: [32, 32],
            padding: [4, 8],
            kernel: [8, 4],
            stride: [2, 2],
            dilation: [1, 1],
        }
    }
}

/// The output shape `[batch, out_channels, height, width]` and one worked line per axis, or
/// why no output exists.
pub fn conv_output(q: &ConvQuery) -> Result<([usize; 4], [String; 2]), String> {
    let axis = |i: usize, name: &str| -> Result<(usize, String), String> {
        let (n, p, k, s, d) = (q.size[i], q.padding[i], q.kernel[i], q.stride[i], q.dilation[i]);
        for (value, what) in [(n, "input size"), (k, "kernel size"), (s, "stride"), (d, "dilation")] {
            if value == 0 {
                return Err(format!("{name}: the {what} must be at least 1"));
            }
        }
        let span = d * (k - 1) + 1; // the dilated kernel's extent
        let padded = n + 2 * p;
        if span > padded {
            return Err(format!(
                "{name}: the kernel spans {span} pixels (dilation {d} x (kernel {k} - 1) + 1) but the padded input has only {padded} ({n} + 2 x {p}): no output"
            ));
        }
        let out = (padded - span) / s + 1;
        let text = format!(
            "{name} = floor(({n} + 2 x {p} - {d} x ({k} - 1) - 1) / {s}) + 1 = floor({} / {s}) + 1 = {out}",
            padded - span
        );
        Ok((out, text))
    };
    if q.batch == 0 || q.in_channels == 0 || q.out_channels == 0 {
        return Err("batch and channel counts must be at least 1".into());
    }
    let (h, h_text) = axis(0, "H")?;
    let (w, w_text) = axis(1, "W")?;
    Ok(([q.batch, q.out_channels, h, w], [h_text, w_text]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_homework_question_gives_17_by_23() {
        let (shape, work) = conv_output(&ConvQuery::homework()).unwrap();
        assert_eq!(shape, [16, 8, 17, 23]);
        assert_eq!(work[0], "H = floor((32 + 2 x 4 - 1 x (8 - 1) - 1) / 2) + 1 = floor(32 / 2) + 1 = 17");
        assert_eq!(work[1], "W = floor((32 + 2 x 8 - 1 x (4 - 1) - 1) / 2) + 1 = floor(44 / 2) + 1 = 23");
    }

    #[test]
    fn impossible_settings_get_a_message_not_a_number() {
        let big = ConvQuery { kernel: [41, 3], padding: [4, 0], ..ConvQuery::homework() };
        let err = conv_output(&big).unwrap_err();
        assert!(err.starts_with("H: the kernel spans 41 pixels") && err.contains("only 40"), "{err}");
        let zero = ConvQuery { stride: [0, 1], ..ConvQuery::homework() };
        assert_eq!(conv_output(&zero).unwrap_err(), "H: the stride must be at least 1");
        let dilated = ConvQuery { dilation: [1, 20], ..ConvQuery::homework() };
        assert!(conv_output(&dilated).unwrap_err().starts_with("W: the kernel spans 61 pixels"));
    }
}
