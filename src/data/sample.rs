//! Balanced, seeded subsets: N/10 examples of each digit for the MNIST lab.

use rand::seq::SliceRandom;

use super::{rng_for, stream};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SampleError {
    #[error("{size} examples cannot be split evenly over {classes} classes")]
    Uneven { size: usize, classes: usize },
    #[error("class {class} has {available} examples, fewer than the {wanted} asked for")]
    TooFew { class: usize, available: usize, wanted: usize },
}

/// Indices of `size / classes` examples of each class, drawn with the seed. Smaller sizes are
/// prefixes of larger ones (per class) for the same seed, so a bigger training set contains
/// the smaller ones and the scaling curve compares like with like. Sorted, no duplicates.
pub fn balanced(labels: &[u8], classes: usize, size: usize, seed: u64) -> Result<Vec<usize>, SampleError> {
    if classes == 0 || !size.is_multiple_of(classes) {
        return Err(SampleError::Uneven { size, classes });
    }
    let per_class = size / classes;
    let mut rng = rng_for(seed, stream::SAMPLE);
    let mut chosen = vec![];
    for class in 0..classes {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] as usize == class).collect();
        members.shuffle(&mut rng);
        if members.len() < per_class {
            return Err(SampleError::TooFew { class, available: members.len(), wanted: per_class });
        }
        chosen.extend_from_slice(&members[..per_class]);
    }
    chosen.sort_unstable();
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<u8> {
        (0..3000).map(|i| ((i * 7) % 10) as u8).collect()
    }

    #[test]
    fn exact_per_class_counts_no_duplicates_seeded_and_nested() {
        let labels = labels();
        let small = balanced(&labels, 10, 500, 1).unwrap();
        let big = balanced(&labels, 10, 1000, 1).unwrap();
        for set in [&small, &big] {
            let mut counts = [0; 10];
            set.iter().for_each(|&i| counts[labels[i] as usize] += 1);
            assert!(counts.iter().all(|&c| c == set.len() / 10), "{counts:?}");
            assert!(set.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
        }
        assert!(small.iter().all(|i| big.contains(i)), "the smaller set is inside the bigger one");
        assert_eq!(small, balanced(&labels, 10, 500, 1).unwrap());
        assert_ne!(small, balanced(&labels, 10, 500, 2).unwrap());
    }

    #[test]
    fn impossible_requests_are_refused() {
        assert_eq!(balanced(&labels(), 10, 505, 1), Err(SampleError::Uneven { size: 505, classes: 10 }));
        assert_eq!(
            balanced(&labels(), 10, 4000, 1),
            Err(SampleError::TooFew { class: 0, available: 300, wanted: 400 })
        );
    }
}
