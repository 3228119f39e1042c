//! What the page's panels share, below them all: the page's context ([`Ctx`]: the session,
//! the training workers, the saved runs and the one verb that starts a run), how runs are kept
//! in this browser, the widgets and the look inside a model. The labs' `page.rs` and the
//! panels in `web/app/` import from here; only `web/app.rs` imports the panels, so a lab's
//! `page.rs` is a leaf.

mod context;
mod engines;
mod export;
pub mod inside;
mod offline;
mod saving;
pub mod split;
pub mod widgets;

pub use context::{Ctx, Keep, Offline};
pub(crate) use offline::{OfflineStatus, keep_offline};
pub(crate) use saving::Keeping;
