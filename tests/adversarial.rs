//! HOMEWORK section 7: adversarial examples from the gradient with respect to the input, on a
//! quick MNIST model trained from the real shards.

use burn::prelude::*;
use nnlab::data::Dataset;
use nnlab::data::manifest::{Manifest, join};
use nnlab::data::shards::Shard;
use nnlab::labs::adversarial::engine::{epsilon_sweep, fgsm, quick_model, targeted};
use nnlab::model::Net;
use nnlab::run::Attack;
use nnlab::train::native::{NativeDriver, block_on};

fn split(manifest: &Manifest, name: &str) -> Shard {
    let entry = &manifest.datasets["mnist"];
    let shards = entry.splits[name]
        .shards
        .iter()
        .map(|s| s.check(&std::fs::read(format!("data/{}", s.file)).unwrap(), entry.image_shape).unwrap())
        .collect();
    join(shards)
}

fn setup() -> (Net, Dataset, Device) {
    let manifest = Manifest::parse(&std::fs::read_to_string("data/manifest.json").unwrap()).unwrap();
    let names: Vec<String> = (0..10).map(|d| d.to_string()).collect();
    let device = Device::flex().autodiff();
    let net =
        block_on(quick_model(&split(&manifest, "train"), &names, 1, &device, &mut NativeDriver::default())).unwrap();
    let test = Dataset::from_shard(&split(&manifest, "test"), &names, Some(&(0..200).collect::<Vec<_>>()));
    (net, test, device)
}

#[test]
fn attacks_raise_the_true_labels_loss_reach_their_target_and_keep_pixels_valid() {
    let (net, test, device) = setup();

    // The sweep: epsilon 0 is the clean accuracy, and the attack lowers it steeply.
    let acc = block_on(epsilon_sweep(&net, &test, &[0.0, 0.1, 0.25], &device)).unwrap();
    assert!(acc[0] > 80.0, "a trained model: {acc:?}");
    assert!(acc[1] < acc[0] && acc[2] < acc[1] && acc[2] < 30.0, "{acc:?}");

    let mut flipped = 0;
    for i in 0..5 {
        let (image, label) = (test.image(i), test.labels[i]);
        let attack = block_on(fgsm(&net, image, label, 0.2, &device)).unwrap();
        let loss = |p: &[f32]| -(p[label as usize].max(1e-12)).ln();
        assert!(loss(&attack.after) > loss(&attack.before), "image {i}: the true label's loss rises");
        assert!(attack.adversarial.iter().all(|p| (0.0..=1.0).contains(p)));
        assert!(attack.perturbation.iter().all(|d| d.abs() <= 0.2 + 1e-6));
        if let Some(eps) = attack.flips_at {
            flipped += 1;
            assert!(eps > 0.0 || Attack::predicted(&attack.before) != label as usize);
        }

        let target = (label + 3) % 10;
        let attack = block_on(targeted(&net, image, target, 0.01, 300, &device)).unwrap();
        assert_eq!(
            Attack::predicted(&attack.after),
            target as usize,
            "image {i} reaches {target} in {} steps",
            attack.steps
        );
        assert!(attack.steps > 0 && attack.steps < 300);
        assert!(attack.adversarial.iter().all(|p| (0.0..=1.0).contains(p)));
    }
    assert!(flipped >= 4, "a scan to 0.5 flips almost every prediction: {flipped} of 5");
}
