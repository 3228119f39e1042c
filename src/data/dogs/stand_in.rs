//! The Fashion-MNIST stand-in: its partitions, and any shard made DogSet-shaped.

use super::{CHANNELS, IMAGE_SHAPE, SIDE, resize_bilinear};
use crate::data::shards::Shard;

/// Sizes of the stand-in's partitions: the DogSet's own (HOMEWORK section 2).
pub const STAND_IN_SIZES: [usize; 3] = [7_665, 2_000, 555];

/// Fashion-MNIST class names in label order (shared/data/README.md).
pub const FASHION_CLASSES: [&str; 10] =
    ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

/// The stand-in's partitions from Fashion-MNIST's train and test files (28x28 grey, as
/// shipped): train and valid are the first 7,665 and the next 2,000 training images in file
/// order, test the first 555 test images. [`to_dog_shard`] makes them DogSet-shaped.
pub fn stand_in(train: &Shard, test: &Shard) -> [Shard; 3] {
    let [train_n, valid_n, test_n] = STAND_IN_SIZES;
    let take = |s: &Shard, from: usize, n: usize| {
        let per: usize = s.image_shape.iter().product();
        Shard {
            images: s.images[from * per..(from + n) * per].to_vec(),
            labels: s.labels[from..from + n].to_vec(),
            image_shape: s.image_shape,
        }
    };
    [take(train, 0, train_n), take(train, train_n, valid_n), take(test, 0, test_n)]
}

/// A shard made DogSet-shaped: upscaled to 64x64 (bilinear) with a grey channel repeated as
/// R, G and B. DogSet shards pass through unchanged.
pub fn to_dog_shard(shard: &Shard) -> Shard {
    let [h, w, c] = shard.image_shape;
    if shard.image_shape == IMAGE_SHAPE {
        return shard.clone();
    }
    let per = h * w * c;
    let images = shard
        .images
        .chunks_exact(per)
        .flat_map(|img| {
            let big = resize_bilinear(img, [h, w, c], SIDE, SIDE);
            big.chunks_exact(c)
                .flat_map(|p| (0..CHANNELS).map(|ch| p[ch.min(c - 1)]).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        })
        .collect();
    Shard { images, labels: shard.labels.clone(), image_shape: IMAGE_SHAPE }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::dogs::palette;

    #[test]
    fn the_stand_in_has_the_dogsets_sizes_and_shape() {
        let grey = |n: usize| Shard {
            images: (0..n * 784).map(|i| (i % 256) as u8).collect(),
            labels: (0..n).map(|i| (i % 10) as u8).collect(),
            image_shape: [28, 28, 1],
        };
        let parts = stand_in(&grey(10_000), &grey(1_000));
        assert_eq!(parts.each_ref().map(Shard::len), STAND_IN_SIZES);
        assert_eq!(parts[1].labels[0], (7_665 % 10) as u8, "valid follows train in file order");
        let dog = to_dog_shard(&parts[2]);
        assert_eq!((dog.image_shape, dog.len()), (IMAGE_SHAPE, 555));
        assert_eq!(dog.images.len(), 555 * 64 * 64 * 3);
        assert_eq!(palette(&dog.images), "greyscale (every pixel has R = G = B)");
        assert_eq!(to_dog_shard(&dog), dog);
        assert_eq!(palette(&[1, 2, 3]), "RGB (colour)");
    }
}
