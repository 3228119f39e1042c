//! A decoded image made what the labs use: 64x64 RGB bytes, noting what had to change.

use super::SIDE;

/// An image as a host's decoder returns it: RGBA, 8 bits per channel, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    pub width: usize,
    pub height: usize,
    pub rgba: Vec<u8>,
}

/// Decodes a PNG or JPEG file to RGBA with the `image` crate (the CLI's decoder; the page
/// uses the browser's), reading the header's dimensions first so that an image too large for
/// [`super::MAX_IMAGE_PIXELS`] is refused before any pixel memory is asked for.
#[cfg(feature = "cli")]
pub fn decode_image(bytes: &[u8]) -> Result<Decoded, super::ImageError> {
    use super::ImageError;
    let reader = || {
        image::ImageReader::new(std::io::Cursor::new(bytes))
            .with_guessed_format()
            .expect("reading from memory cannot fail")
    };
    let undecodable = |e: image::ImageError| ImageError::Undecodable(e.to_string());
    // The PNG decoder refuses a row wider than its memory limit before the header is
    // returned, with only "Memory limit exceeded": the header's own numbers say more.
    if let Some((width, height)) = png_dimensions(bytes) {
        super::check_dimensions(width, height)?;
    }
    let (width, height) = reader().into_dimensions().map_err(undecodable)?;
    super::check_dimensions(width as usize, height as usize)?;
    let mut reader = reader();
    // The header passed; this caps what a decoder may allocate beyond it (RGBA of the
    // largest allowed image, plus a copy while converting).
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(2 * 4 * super::MAX_IMAGE_PIXELS as u64);
    reader.limits(limits);
    let image = reader.decode().map_err(undecodable)?.to_rgba8();
    Ok(Decoded { width: image.width() as usize, height: image.height() as usize, rgba: image.into_raw() })
}

/// The width and height in a PNG's header (its IHDR chunk, first after the signature).
#[cfg(feature = "cli")]
fn png_dimensions(bytes: &[u8]) -> Option<(usize, usize)> {
    let header = bytes.get(..24).filter(|b| b.starts_with(b"\x89PNG\r\n\x1a\n") && &b[12..16] == b"IHDR")?;
    let at = |i: usize| u32::from_be_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]) as usize;
    Some((at(16), at(20)))
}

/// What converting one image changed.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Conversion {
    /// Not 64x64: resized.
    pub resized: bool,
    /// Every pixel grey (R = G = B).
    pub greyscale: bool,
    /// Some pixel was not opaque: the alpha channel was dropped.
    pub alpha_dropped: bool,
}

/// An image as the labs use it: 64x64 RGB bytes, with what had to change.
pub fn to_dog_pixels(image: &Decoded) -> (Vec<u8>, Conversion) {
    let rgb: Vec<u8> = image.rgba.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
    let conversion = Conversion {
        resized: (image.width, image.height) != (SIDE, SIDE),
        greyscale: image.rgba.chunks_exact(4).all(|p| p[0] == p[1] && p[1] == p[2]),
        alpha_dropped: image.rgba.chunks_exact(4).any(|p| p[3] != 255),
    };
    let pixels =
        if conversion.resized { resize_bilinear(&rgb, [image.height, image.width, 3], SIDE, SIDE) } else { rgb };
    (pixels, conversion)
}

/// Bilinear resampling of `[h, w, c]` bytes to `[out_h, out_w, c]`, sampling at pixel centres
/// (PyTorch's `align_corners=False`, PIL's convention).
pub fn resize_bilinear(src: &[u8], [h, w, c]: [usize; 3], out_h: usize, out_w: usize) -> Vec<u8> {
    let axis = |out: usize, size: usize| -> Vec<(usize, usize, f32)> {
        (0..out)
            .map(|o| {
                let x = ((o as f32 + 0.5) * size as f32 / out as f32 - 0.5).clamp(0.0, (size - 1) as f32);
                let lo = x.floor() as usize;
                (lo, (lo + 1).min(size - 1), x - lo as f32)
            })
            .collect()
    };
    let (ys, xs) = (axis(out_h, h), axis(out_w, w));
    let at = |y: usize, x: usize, ch: usize| src[(y * w + x) * c + ch] as f32;
    let mut out = Vec::with_capacity(out_h * out_w * c);
    for &(y0, y1, fy) in &ys {
        for &(x0, x1, fx) in &xs {
            for ch in 0..c {
                let top = at(y0, x0, ch) * (1.0 - fx) + at(y0, x1, ch) * fx;
                let bottom = at(y1, x0, ch) * (1.0 - fx) + at(y1, x1, ch) * fx;
                out.push((top * (1.0 - fy) + bottom * fy).round() as u8);
            }
        }
    }
    out
}

/// The colour palette, determined from the pixels: RGB unless every pixel is grey.
pub fn palette(images: &[u8]) -> &'static str {
    if images.chunks_exact(3).all(|p| p[0] == p[1] && p[1] == p[2]) {
        "greyscale (every pixel has R = G = B)"
    } else {
        "RGB (colour)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bilinear_resizing_keeps_flat_images_flat_and_interpolates_edges() {
        assert_eq!(resize_bilinear(&[9; 12], [2, 2, 3], 5, 7), vec![9; 5 * 7 * 3]);
        // A 1x2 image [0, 255] doubled: centres at 0.25 and 0.75 of the way.
        assert_eq!(resize_bilinear(&[0, 255], [1, 2, 1], 1, 4), vec![0, 64, 191, 255]);
    }
}
