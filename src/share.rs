//! Shareable links: the URL fragment names the lab and its settings
//! (`#dogs?lr=0.00001&epochs=100&k1=5`), so copying the address shares the experiment.
//!
//! A fragment is untrusted input. Only known labs and, per lab, known keys are taken; a value
//! must be short and made of the characters numbers and lists need. Everything else is
//! dropped and named in a notice. Values only ever fill form fields, which validate them
//! like typed text: nothing runs until the visitor presses Train. The labs and their keys
//! are those of `labs::LABS`.

use crate::labs::LABS;

/// Longest accepted value and fragment.
const MAX_VALUE: usize = 40;
const MAX_FRAGMENT: usize = 1_000;

/// What a fragment asks for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Shared {
    /// The slug of a lab of [`LABS`], or `None` for the default one.
    pub lab: Option<&'static str>,
    /// Accepted settings, in fragment order.
    pub fields: Vec<(&'static str, String)>,
    /// Parts that were dropped, described for the notice.
    pub dropped: Vec<String>,
}

impl Shared {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str())
    }

    /// One sentence for the page, when something was dropped.
    pub fn notice(&self) -> Option<String> {
        (!self.dropped.is_empty()).then(|| {
            format!("Parts of this link were ignored ({}): the page is set up without them.", self.dropped.join("; "))
        })
    }
}

fn allowed_char(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E' | ',' | ' ')
}

/// Percent-decoding of `%XX` (only what the allowed characters need); `None` on anything
/// malformed.
fn unescape(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '%' {
            let hex: String = chars.by_ref().take(2).collect();
            let byte = u8::from_str_radix(&hex, 16).ok().filter(|_| hex.len() == 2)?;
            out.push(char::from(byte));
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// Shortens untrusted text for a notice (it is shown as text, never as markup).
fn quoted(text: &str) -> String {
    let short: String = text.chars().take(24).collect();
    if short.len() < text.len() { format!("\"{short}…\"") } else { format!("\"{short}\"") }
}

/// Reads a fragment (with or without its leading `#`).
pub fn decode(fragment: &str) -> Shared {
    let fragment = fragment.trim_start_matches('#');
    let mut shared = Shared::default();
    if fragment.is_empty() {
        return shared;
    }
    if fragment.len() > MAX_FRAGMENT {
        shared.dropped.push(format!("the link's settings are longer than {MAX_FRAGMENT} characters"));
        return shared;
    }
    let (lab, query) = fragment.split_once('?').unwrap_or((fragment, ""));
    let Some(info) = LABS.iter().find(|info| info.slug == lab) else {
        shared.dropped.push(format!("unknown lab {}", quoted(lab)));
        return shared;
    };
    shared.lab = Some(info.slug);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
        let Some(key) = info.fields.iter().map(|f| f.key).find(|k| *k == key) else {
            shared.dropped.push(format!("unknown setting {}", quoted(key)));
            continue;
        };
        match unescape(raw) {
            Some(value) if value.len() <= MAX_VALUE && !value.is_empty() && value.chars().all(allowed_char) => {
                if shared.get(key).is_some() {
                    shared.dropped.push(format!("{key} given twice"));
                } else {
                    shared.fields.push((key, value));
                }
            }
            _ => shared.dropped.push(format!("{key} = {}: not a number or list of numbers", quoted(raw))),
        }
    }
    shared
}

/// The fragment for `lab` with `fields` (values as typed; only allowed characters survive a
/// round trip, so a value that would be refused is left out).
pub fn encode(lab: &str, fields: &[(&str, String)]) -> String {
    let query: Vec<String> = fields
        .iter()
        .filter(|(_, v)| !v.trim().is_empty() && v.len() <= MAX_VALUE && v.chars().all(allowed_char))
        .map(|(k, v)| format!("{k}={}", v.trim().replace(' ', "%20")))
        .collect();
    if query.is_empty() { lab.to_string() } else { format!("{lab}?{}", query.join("&")) }
}

/// The shared link to `fragment` from the page at `href`: its address with the fragment
/// replaced, and without `present`, so a student who opens it gets the normal page.
pub fn link(href: &str, fragment: &str) -> String {
    let base = href.split('#').next().unwrap_or_default();
    let (path, query) = base.split_once('?').unwrap_or((base, ""));
    let kept: Vec<&str> = query.split('&').filter(|p| !p.is_empty() && !presenter_requested(p)).collect();
    let query = if kept.is_empty() { String::new() } else { format!("?{}", kept.join("&")) };
    format!("{path}{query}#{fragment}")
}

/// A link as a QR code, in SVG: dark modules on white with the standard quiet zone, scaled by
/// its container. `None` for a link too long for any QR code (about 2,900 bytes).
pub fn qr_svg(link: &str, label: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(link.as_bytes(), qrcode::EcLevel::M).ok()?;
    let svg = code.render::<qrcode::render::svg::Color>().quiet_zone(true).module_dimensions(8, 8).build();
    // An element for inline HTML: no XML declaration, an accessible name, a size set by CSS.
    let start = svg.find("<svg")?;
    let attributes = format!(r#"<svg role="img" aria-label="{}" class="qr""#, crate::plot::escape(label));
    Some(svg[start..].replacen("<svg", &attributes, 1))
}

/// Whether the page's query asks for presenter mode (`?present`).
pub fn presenter_requested(query: &str) -> bool {
    query.trim_start_matches('?').split('&').any(|p| p == "present" || p == "present=1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_for_every_lab_with_keys() {
        let cases = [
            ("synth", vec![("lr", "0.0001"), ("batch", "50"), ("stop", "1e-4"), ("data-seed", "7")]),
            ("mnist", vec![("sizes", "500, 1000, 1500"), ("epochs", "100"), ("seed", "3")]),
            ("dogs", vec![("k1", "7"), ("s1", "2"), ("lr", "1e-05")]),
            ("linear-xor", vec![("truth", "0,1,1,0"), ("hidden", "8, 8")]),
        ];
        for (lab, fields) in cases {
            let owned: Vec<(&str, String)> = fields.iter().map(|(k, v)| (*k, v.to_string())).collect();
            let fragment = encode(lab, &owned);
            let back = decode(&format!("#{fragment}"));
            assert_eq!(back.lab, Some(lab));
            assert!(back.dropped.is_empty(), "{fragment}: {:?}", back.dropped);
            let got: Vec<(&str, &str)> = back.fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            assert_eq!(got, fields, "{fragment}");
        }
        assert_eq!(encode("mnist", &[("sizes", "500, 1000".into())]), "mnist?sizes=500,%201000");
        assert_eq!(decode("#conv-size"), Shared { lab: Some("conv-size"), ..Shared::default() });
        assert_eq!(decode(""), Shared::default());
    }

    #[test]
    fn hostile_or_broken_fragments_are_dropped_and_named() {
        let script = decode("#synth?lr=%3Cscript%3Ealert(1)%3C/script%3E&epochs=5");
        assert_eq!(script.fields, vec![("epochs", "5".to_string())]);
        let notice = script.notice().unwrap();
        assert!(notice.contains("lr = \"%3Cscript") && notice.contains("not a number"), "{notice}");
        let markup = decode("#synth?lr=<img src=x onerror=alert(1)>");
        assert!(markup.fields.is_empty() && markup.dropped.len() == 1);
        let unknown = decode("#synth?__proto__=1&constructor=2");
        assert_eq!(unknown.dropped, vec!["unknown setting \"__proto__\"", "unknown setting \"constructor\""]);
        let lab = decode("#javascript:alert(1)");
        assert_eq!((lab.lab, lab.dropped.len()), (None, 1));
        assert!(decode(&format!("#synth?lr={}", "1".repeat(5000))).notice().unwrap().contains("longer than"));
        assert!(decode("#synth?lr=1&lr=2").dropped[0].contains("given twice"));
        assert!(decode("#synth?lr=%zz").dropped[0].contains("not a number"));
        assert!(decode("#synth?lr=%C3%A9").dropped[0].contains("not a number"), "non-ASCII escapes are refused");
        assert_eq!(encode("synth", &[("lr", "<b>".into()), ("seed", "2".into())]), "synth?seed=2");
    }

    #[test]
    fn presenter_mode_is_a_query_flag() {
        assert!(presenter_requested("?present"));
        assert!(presenter_requested("?backend=cpu&present=1"));
        assert!(!presenter_requested("?presenter=0"));
        assert!(!presenter_requested(""));
    }

    #[test]
    fn a_link_becomes_a_qr_code_svg_with_its_name_and_too_long_a_link_none() {
        let svg = qr_svg("https://example.org/nnlab/#mnist?sizes=500,1000", "QR code of the link").unwrap();
        assert!(svg.starts_with(r#"<svg role="img" aria-label="QR code of the link" class="qr""#), "{svg}");
        assert!(!svg.contains("<?xml"));
        assert!(svg.contains("viewBox"));
        assert_eq!(qr_svg(&"x".repeat(5000), "too long"), None);
    }

    #[test]
    fn a_shared_link_keeps_the_address_and_query_but_not_presenter_mode() {
        assert_eq!(
            link("https://h.org/c/nnlab/?present#synth", "mnist?epochs=7"),
            "https://h.org/c/nnlab/#mnist?epochs=7"
        );
        assert_eq!(link("http://h/x/?backend=cpu&present=1&a=b#old", "dogs"), "http://h/x/?backend=cpu&a=b#dogs");
        assert_eq!(link("http://h/x/", "runs"), "http://h/x/#runs");
    }
}
