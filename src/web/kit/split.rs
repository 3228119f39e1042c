//! Parts of the page whose code is split off (leptos's wasm_split; `scripts/postbuild.py` packs
//! each split point's code into one file): what shows while it downloads, and when it cannot.

use leptos::prelude::*;
use leptos::wasm_split::SplitLoaderError;

/// The future's value if it is ready at its first poll (a split function whose code is here).
pub fn at_once<T>(future: impl Future<Output = T>) -> Option<T> {
    let mut future = std::pin::pin!(future);
    match future.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
        std::task::Poll::Ready(value) => Some(value),
        std::task::Poll::Pending => None,
    }
}

/// A part of a lab whose code is split off from the lab's own (leptos's wasm_split; see
/// `scripts/postbuild.py`): it says `loading` until its code is here, then `part` makes it in
/// this closure's owner, so it reads the context the lab provided. A failed download says so,
/// with Try again.
#[component]
pub fn SplitPart<P, PF, B, BF>(preload: P, part: B, loading: &'static str) -> impl IntoView
where
    P: Fn() -> PF + Copy + Send + Sync + 'static,
    PF: Future<Output = Result<(), SplitLoaderError>> + 'static,
    B: Fn() -> BF + Copy + Send + Sync + 'static,
    BF: Future<Output = Result<AnyView, SplitLoaderError>>,
{
    let ready = RwSignal::new(false);
    let failed = RwSignal::new(false);
    move || {
        if ready.get()
            && let Some(Ok(built)) = at_once(part())
        {
            return built;
        }
        if failed.get() {
            let retry = Callback::new(move |()| failed.set(false));
            return view! { <DownloadFailed what="This part of the lab" testid="part-load-failed" retry=retry/> }
                .into_any();
        }
        leptos::task::spawn_local(async move {
            match preload().await {
                Ok(()) => ready.set(true),
                Err(_) => failed.set(true),
            }
        });
        view! { <p class="loading" data-testid="part-loading">{loading}</p> }.into_any()
    }
}

/// A split-off part's code could not be downloaded: said, with Try again (`retry`).
#[component]
pub fn DownloadFailed(what: &'static str, testid: &'static str, retry: Callback<()>) -> impl IntoView {
    view! {
        <div class="banner error" role="alert" data-testid=testid>
            <p>{what}" could not be downloaded. Check the connection, then try again."</p>
            <button type="button" on:click=move |_| retry.run(())>"Try again"</button>
        </div>
    }
}
