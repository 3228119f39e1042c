//! Datasets uploaded to the device once: pixels (as bytes where they came as bytes, converted
//! on the device) and labels stay there, and each batch is gathered there. On burn's CPU
//! backend the device is this memory, and byte pixels are converted batch by batch on the host.

use burn::prelude::*;

use crate::data::Dataset;
use crate::data::dogs::Standardise;
use crate::data::shards::Shard;

/// A dataset uploaded to the device once, so batches are gathered there.
#[derive(Clone, Debug)]
pub struct DeviceData {
    pixels: Pixels,
    /// `[n]`
    pub labels: Tensor<1, Int>,
    pub len: usize,
    /// `[h, w, c]`
    shape: [usize; 3],
}

// One per dataset on the device, never in a collection: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
enum Pixels {
    /// `[n, h, w, c]`, ready to use.
    Float(Tensor<4>),
    /// `[n, ceil(h*w*c / 4)]`: four pixel bytes per integer, a quarter of the memory of f32
    /// (the DogSet's 7,665 training images take 94 MB instead of 377 MB), standardised per
    /// batch on the device with `mean` and `std` (`[1, 1, 1, c]`).
    Packed(Packed),
    /// `[n, h * w * c]` bytes in memory, standardised per batch by plain loops: on the CPU
    /// backend the packed form's unpacking (shifts, masks and a stack of four byte planes as
    /// tensor operations) took 30 % of a DogSet MLP epoch in the browser's profile.
    Host(Host),
}

#[derive(Clone, Debug)]
struct Host {
    bytes: std::sync::Arc<Vec<u8>>,
    /// Each channel's 256 standardised values, `[channel][byte]`, from
    /// [`Standardise::apply`]: a batch is then lookups rather than two float divisions per
    /// value (6 % of the DogSet MLP's epoch in the browser's profile), with the same values.
    table: Vec<f32>,
}

impl Host {
    fn new(bytes: std::sync::Arc<Vec<u8>>, standardise: &Standardise) -> Self {
        let table =
            (0..standardise.mean.len()).flat_map(|ch| (0..=255u8).map(move |p| standardise.apply(p, ch))).collect();
        Self { bytes, table }
    }
}

#[derive(Clone, Debug)]
struct Packed {
    packed: Tensor<2, Int>,
    mean: Tensor<4>,
    std: Tensor<4>,
}

impl DeviceData {
    /// Float pixels as they are.
    pub fn upload(data: &Dataset, device: &Device) -> Self {
        let [h, w, c] = data.shape;
        let n = data.len();
        let images = Tensor::from_data(TensorData::new(data.images.clone(), [n, h, w, c]), device);
        Self { pixels: Pixels::Float(images), labels: Self::labels(&data.labels, device), len: n, shape: data.shape }
    }

    /// Pixel bytes kept as bytes on the device; batches come out standardised.
    pub fn upload_bytes(shard: &Shard, standardise: &Standardise, device: &Device) -> Self {
        if crate::kernels::on_cpu(device) {
            Self::host_bytes(shard, standardise, device)
        } else {
            Self::packed_bytes(shard, standardise, device)
        }
    }

    fn host_bytes(shard: &Shard, standardise: &Standardise, device: &Device) -> Self {
        let host = Host::new(shard.images.clone().into(), standardise);
        Self {
            pixels: Pixels::Host(host),
            labels: Self::labels(&shard.labels, device),
            len: shard.len(),
            shape: shard.image_shape,
        }
    }

    fn packed_bytes(shard: &Shard, standardise: &Standardise, device: &Device) -> Self {
        let n = shard.len();
        let per: usize = shard.image_shape.iter().product();
        let words = per.div_ceil(4);
        let mut packed = Vec::with_capacity(n * words);
        for image in shard.images.chunks_exact(per) {
            for chunk in image.chunks(4) {
                let mut bytes = [0u8; 4];
                bytes[..chunk.len()].copy_from_slice(chunk);
                packed.push(i32::from_le_bytes(bytes));
            }
        }
        let c = shard.image_shape[2];
        let stat = |values: &[f32]| Tensor::<1>::from_floats(values, device).reshape([1, 1, 1, c]);
        Self {
            pixels: Pixels::Packed(Packed {
                packed: Tensor::from_data(TensorData::new(packed, [n, words]), device),
                mean: stat(&standardise.mean),
                std: stat(&standardise.std),
            }),
            labels: Self::labels(&shard.labels, device),
            len: n,
            shape: shard.image_shape,
        }
    }

    fn labels(labels: &[u8], device: &Device) -> Tensor<1, Int> {
        let n = labels.len();
        let labels: Vec<i64> = labels.iter().map(|&l| l as i64).collect();
        Tensor::from_data(TensorData::new(labels, [n]), device)
    }

    pub fn device(&self) -> Device {
        self.labels.device()
    }

    /// The images at `idx` (`[b]`), as `[b, h, w, c]` model inputs.
    pub fn select(&self, idx: Tensor<1, Int>) -> Tensor<4> {
        match &self.pixels {
            Pixels::Float(images) => images.clone().select(0, idx),
            Pixels::Packed(p) => self.unpack(p, p.packed.clone().select(0, idx)),
            Pixels::Host(host) => {
                let rows: Vec<usize> = idx.into_data().iter::<i64>().map(|i| i as usize).collect();
                self.host_batch(host, &rows)
            }
        }
    }

    /// Images `start..start + len` as `[len, h, w, c]` model inputs.
    pub fn slice(&self, start: usize, len: usize) -> Tensor<4> {
        match &self.pixels {
            Pixels::Float(images) => images.clone().narrow(0, start, len),
            Pixels::Packed(p) => self.unpack(p, p.packed.clone().narrow(0, start, len)),
            Pixels::Host(host) => self.host_batch(host, &(start..start + len).collect::<Vec<_>>()),
        }
    }

    /// Images `rows` of the host bytes as `[b, h, w, c]` standardised floats (the same
    /// arithmetic as [`Self::unpack`], so the same values).
    fn host_batch(&self, host: &Host, rows: &[usize]) -> Tensor<4> {
        let [h, w, c] = self.shape;
        let per = h * w * c;
        let mut values = Vec::with_capacity(rows.len() * per);
        for &row in rows {
            for pixel in host.bytes[row * per..(row + 1) * per].chunks_exact(c) {
                values.extend(pixel.iter().zip(host.table.chunks_exact(256)).map(|(&p, table)| table[p as usize]));
            }
        }
        Tensor::from_data(TensorData::new(values, [rows.len(), h, w, c]), &self.device())
    }

    /// `[b, words]` packed bytes -> `[b, h, w, c]` standardised floats.
    fn unpack(&self, p: &Packed, words: Tensor<2, Int>) -> Tensor<4> {
        let [b, n_words] = words.dims();
        let [h, w, c] = self.shape;
        // Byte k of each word (little-endian, as packed); the mask undoes the sign extension
        // of an arithmetic shift.
        let bytes: Vec<Tensor<2, Int>> =
            (0..4).map(|k| words.clone().bitwise_right_shift_scalar(8 * k).bitwise_and_scalar(0xff)).collect();
        let bytes: Tensor<3, Int> = Tensor::stack(bytes, 2); // [b, words, 4]
        let pixels = bytes.reshape([b, n_words * 4]).narrow(1, 0, h * w * c); // [b, h*w*c]
        let x = pixels.float().reshape([b, h, w, c]).div_scalar(255.0); // [b, h, w, c]
        (x - p.mean.clone()) / p.std.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_pixels_come_back_standardised_in_batches_on_the_host_and_packed() {
        // 9 values per image: not a multiple of 4, and bytes above 127 (the sign bit of a word).
        let shard = Shard {
            images: (0..27u32).map(|i| (i * 37 % 256) as u8).collect(),
            labels: vec![0, 1, 2],
            image_shape: [3, 1, 3],
        };
        let standardise = Standardise { mean: vec![0.1, 0.5, 0.9], std: vec![0.5, 0.25, 2.0] };
        let device = Device::flex();
        // The host form is what the CPU backend uses; the packed one (WebGPU's) runs here too.
        for data in [
            DeviceData::host_bytes(&shard, &standardise, &device),
            DeviceData::packed_bytes(&shard, &standardise, &device),
        ] {
            let expect = |i: usize| -> Vec<f32> {
                shard.images[i * 9..(i + 1) * 9].iter().enumerate().map(|(k, &p)| standardise.apply(p, k % 3)).collect()
            };
            let close = |got: Tensor<4>, want: Vec<f32>| {
                let got = got.into_data().try_to_vec::<f32>().unwrap();
                assert_eq!(got.len(), want.len());
                assert!(got.iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-5), "{got:?} vs {want:?}");
            };
            close(data.slice(1, 2), [expect(1), expect(2)].concat());
            let idx = Tensor::<1, Int>::from_data(TensorData::new(vec![2i64, 0], [2]), &device);
            close(data.select(idx), [expect(2), expect(0)].concat());
            assert_eq!(data.select(Tensor::from_data(TensorData::new(vec![1i64], [1]), &device)).dims(), [1, 3, 1, 3]);
        }
    }
}
