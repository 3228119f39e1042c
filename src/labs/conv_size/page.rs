//! HOMEWORK section 4: the output shape of a convolution, worked out per axis as you type.

use leptos::prelude::*;

use crate::form::parse_field;
use crate::labs::conv_size::{ConvQuery, conv_output};
use crate::web::kit::widgets::{Field, LabArticle};

#[component]
pub fn ConvSizePanel() -> impl IntoView {
    let q = ConvQuery::homework();
    let text = |v: usize| RwSignal::new(v.to_string());
    let batch = text(q.batch);
    let cin = text(q.in_channels);
    let cout = text(q.out_channels);
    let fields = [
        ("Height", "Width", q.size, ["conv-size-h", "conv-size-w"]),
        ("Padding H", "Padding W", q.padding, ["conv-padding-h", "conv-padding-w"]),
        ("Kernel H", "Kernel W", q.kernel, ["conv-kernel-h", "conv-kernel-w"]),
        ("Stride H", "Stride W", q.stride, ["conv-stride-h", "conv-stride-w"]),
        ("Dilation H", "Dilation W", q.dilation, ["conv-dilation-h", "conv-dilation-w"]),
    ]
    .map(|(a, b, v, ids)| (a, b, text(v[0]), text(v[1]), ids));
    let answer = Memo::new(move |_| {
        let n =
            |label: &'static str, s: RwSignal<String>| parse_field::<usize>(label, &s.get()).map_err(|e| e.to_string());
        let pair = |i: usize| -> Result<[usize; 2], String> {
            let (a, b, h, w, _) = fields[i];
            Ok([n(a, h)?, n(b, w)?])
        };
        let query = ConvQuery {
            batch: n("batch", batch)?,
            in_channels: n("input channels", cin)?,
            out_channels: n("output channels", cout)?,
            size: pair(0)?,
            padding: pair(1)?,
            kernel: pair(2)?,
            stride: pair(3)?,
            dilation: pair(4)?,
        };
        conv_output(&query)
    });
    view! {
        <LabArticle id="conv" title="Convolution output size" lead=concat!("What shape comes out of a 2-d convolution? Change any setting; the shape and the formula for each axis ", "update as you type. The defaults are the homework's question.")>
            <form class="train-form" on:submit=|ev| ev.prevent_default()>
                <fieldset>
                    <legend>"Input and channels"</legend>
                    <Field label="Batch" id="conv-batch" value=batch/>
                    <Field label="Input channels" id="conv-cin" value=cin/>
                    <Field label="Output channels" id="conv-cout" value=cout hint="the homework leaves it open"/>
                </fieldset>
                <fieldset>
                    <legend>"Per axis (height, width)"</legend>
                    // Each axis pair on one line, so H and W stay side by side at any width.
                    {fields.map(|(a, b, h, w, [id_h, id_w])| view! {
                        <div class="axis-pair">
                            <Field label=a id=id_h value=h/>
                            <Field label=b id=id_w value=w/>
                        </div>
                    }).into_iter().collect_view()}
                </fieldset>
            </form>
            <section aria-live="polite">
                {move || match answer.get() {
                    Ok((shape, work)) => view! {
                        <p class="shape">"Output shape: " <strong data-testid="conv-shape">{format!("{shape:?}")}</strong>
                            " (batch, output channels, height, width)"</p>
                        <ul class="work" data-testid="conv-work">{work.into_iter().map(|w| view! { <li><code>{w}</code></li> }).collect_view()}</ul>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert" data-testid="conv-error">{e}</p> }.into_any(),
                }}
            </section>
        </LabArticle>
    }
}
