//! The DogSet labs (HOMEWORK sections 2, 3 and 5): load a DogSet (or use the stand-in),
//! explore it, train the fully connected and the convolutional network with early stopping,
//! compare them, and answer the questions from the runs.

mod data;
mod explore;
mod network;

use leptos::prelude::*;

use crate::data::dogs::PARTITIONS;
use crate::form::FormText;
use crate::labs::LabId;
use crate::labs::dogs::answers::{best_epoch, comparison_answer, curve_answer};
use crate::labs::dogs::{DogLab, field};
use crate::metrics::format_count;
use crate::protocol::ToWorker;
use crate::run::DogSource;
use crate::session::Engine;
use crate::web::kit::Ctx;
use crate::web::kit::widgets::{FormFields, LabArticle, ScrollBox, ShareLink};
use data::DataSection;
use explore::ExploreSection;
use network::{NetSection, trained};

#[component]
pub fn DogsLabPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let dogs = Memo::new(move |_| ctx.session.with(|s| s.dogs.clone()));
    // Load the set once the engine is up (and again after a restart).
    Effect::new(move |_| {
        let ready = ctx.session.with(|s| s.engine() == Engine::Ready);
        let idle =
            dogs.with(|d| d.info.is_none() && d.loading.is_none() && d.load_error.is_none() && d.checking.is_none());
        if ready && idle {
            let mut run = 0;
            ctx.session.update(|s| run = s.load_dogs());
            ctx.send(&ToWorker::LoadDogs { run, source: DogSource::Auto });
        }
    });
    let form = ctx.lab_form(LabId::Dogs, DogLab::homework_cnn().form());
    view! {
        <LabArticle id="dogs" title="DogSet: explore, then a fully connected and a convolutional network" lead=concat!("Ten dog breeds in 64x64 colour pictures. Look at the data first, then train a fully connected net and ", "a convolutional one with the homework's settings, both stopped early when the validation loss stops ", "improving, and compare what each learned.")>
            <DataSection/>
            <ExploreSection/>
            <SettingsSection form=form/>
            <NetSection cnn=false form=form/>
            <NetSection cnn=true form=form/>
            <CompareSection/>
        </LabArticle>
    }
}

#[component]
fn SettingsSection(form: RwSignal<FormText>) -> impl IntoView {
    view! {
        <section aria-labelledby="dogs-settings-title">
            <h3 id="dogs-settings-title">"3. Training settings (both networks; defaults: the homework's)"</h3>
            <FormFields form=form legend="SGD, batch 10, cross-entropy" fields=&[field::LR, field::EPOCHS, field::STOP, field::SEED] class="train-form"/>
            <ShareLink lab=LabId::Dogs form=form/>
        </section>
    }
}

#[component]
fn CompareSection() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let dogs = Memo::new(move |_| ctx.session.with(|s| (s.dogs.mlp.clone(), s.dogs.cnn.clone())));
    let rows = Signal::derive(move || -> Vec<Vec<String>> {
        dogs.with(|(mlp, cnn)| {
            [(mlp, "fully connected"), (cnn, "convolutional")]
                .into_iter()
                .filter_map(|(r, name)| {
                    let r = r.as_ref()?;
                    let s = r.summary.as_ref()?;
                    Some(vec![
                        name.to_string(),
                        r.test.map_or("-".into(), |t| format!("{:.1}", t.1)),
                        s.epochs_trained.to_string(),
                        best_epoch(&r.records).map_or("-".into(), |b| b.0.to_string()),
                        format!("{:.1}", s.train_seconds),
                        format_count(s.parameters),
                    ])
                })
                .collect()
        })
    });
    let answer = |cnn: bool| {
        move || {
            dogs.with(|(mlp, c)| {
                let r = if cnn { c } else { mlp };
                r.as_ref()
                    .filter(|r| r.summary.is_some())
                    .map(|r| curve_answer(&r.records, r.summary.as_ref().expect("filtered"), r.test.map(|t| t.1)))
            })
            .unwrap_or_else(|| "Train this network to answer from your run.".into())
        }
    };
    let comparison = move || {
        dogs.with(|(mlp, cnn)| {
            let m = mlp.as_ref().and_then(|r| trained(r, "fully connected net"))?;
            let c = cnn.as_ref().and_then(|r| trained(r, "convolutional net"))?;
            Some(comparison_answer(&m, &c))
        })
        .unwrap_or_else(|| "Train both networks to compare them.".into())
    };
    view! {
        <section aria-labelledby="dogs-compare-title">
            <h3 id="dogs-compare-title">"6. Compare, and the homework's questions"</h3>
            <ScrollBox label="Comparison of the two networks">
            <table class="compare" data-testid="dog-compare">
                <thead><tr>
                    {["network", "test accuracy (%)", "epochs", "lowest validation loss at epoch", "training time (s)", "parameters"].map(|h| view! { <th scope="col">{h}</th> }).collect_view()}
                </tr></thead>
                <tbody>{move || rows.get().into_iter().map(|row| view! { <tr>{row.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr> }).collect_view()}</tbody>
            </table>
            </ScrollBox>
            <ol class="answers">
                <li>
                    <p class="question">"Fully connected net: how do training loss, validation loss and validation accuracy interact, and when did it stop learning something meaningful?"</p>
                    <p class="answer" data-testid="mlp-answer">{answer(false)}</p>
                </li>
                <li>
                    <p class="question">"The same for the convolutional net."</p>
                    <p class="answer" data-testid="cnn-answer">{answer(true)}</p>
                </li>
                <li>
                    <p class="question">"How does the convolutional net compare with the fully connected one?"</p>
                    <p class="answer" data-testid="compare-answer">{comparison}</p>
                </li>
            </ol>
            <p class="note">{PARTITIONS.join(", ")}" partitions are used as the course splits them: train to fit, valid to stop early, test once at the end."</p>
        </section>
    }
}
