//! `nnlab labs`: the table of labs the page lists (`labs::LABS`), with each lab's settings as
//! its shared link and its `nnlab run` flags name them.

use serde_json::json;

use nnlab::labs::LABS;

use crate::{CliError, Format};

/// Prints every lab: its fragment, homework section, title and settings.
pub fn labs(format: Format) -> Result<(), CliError> {
    for lab in &LABS {
        let settings: Vec<_> =
            lab.fields.iter().map(|f| json!({"key": f.key, "flag": f.flag, "label": f.label})).collect();
        match format {
            Format::Json => outln!(
                "{}",
                json!({"slug": lab.slug, "title": lab.title, "section": lab.section, "settings": settings})
            ),
            Format::Table => {
                outln!("#{:<12} {:<17} {}", lab.slug, lab.section, lab.title);
                for f in lab.fields {
                    outln!("  {:<10} --{:<14} {}", f.key, f.flag, f.label);
                }
            }
        }
    }
    Ok(())
}
