//! A lab's settings as the student types them. Each field is described once, in its lab's
//! home (`labs/<lab>.rs`), by a [`Field`]: the name errors use, the page's label, input id and
//! hint, the shared link's key and the CLI's flag. The page draws its inputs from that list,
//! `share.rs` accepts exactly those keys, and the CLI builds its flags from it, so adding a
//! setting is one line plus its parse.

use crate::config::ConfigError;

/// One setting of a lab's form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// Key in a shared link (`#synth?lr=0.001`).
    pub key: &'static str,
    /// The name error messages use ("learning rate must be a positive number").
    pub name: &'static str,
    /// The page's label.
    pub label: &'static str,
    /// The page's input id (also its test id); unique on the page.
    pub id: &'static str,
    /// The CLI's long flag (`--batch-size`).
    pub flag: &'static str,
    /// A line under the input; empty for none.
    pub hint: &'static str,
}

impl Field {
    /// A field whose share key is also its CLI flag and whose page id is `id`.
    pub const fn new(key: &'static str, name: &'static str, label: &'static str, id: &'static str) -> Self {
        Self { key, name, label, id, flag: key, hint: "" }
    }

    pub const fn flag(self, flag: &'static str) -> Self {
        Self { flag, ..self }
    }

    pub const fn hint(self, hint: &'static str) -> Self {
        Self { hint, ..self }
    }
}

/// The text of every field of one form, in the order of its [`Field`] list.
#[derive(Clone, Debug, PartialEq)]
pub struct FormText {
    fields: &'static [Field],
    values: Vec<String>,
}

impl FormText {
    /// A form of `fields` with `values` in the same order.
    pub fn new(fields: &'static [Field], values: Vec<String>) -> Self {
        assert_eq!(fields.len(), values.len(), "one value per field");
        Self { fields, values }
    }

    pub fn fields(&self) -> &'static [Field] {
        self.fields
    }

    fn index(&self, key: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.key == key)
    }

    /// The text of field `key` (empty for an unknown key).
    pub fn get(&self, key: &str) -> &str {
        self.index(key).map_or("", |i| &self.values[i])
    }

    /// Sets field `key`; false when the form has no such field.
    pub fn set(&mut self, key: &str, value: impl Into<String>) -> bool {
        match self.index(key) {
            Some(i) => {
                self.values[i] = value.into();
                true
            }
            None => false,
        }
    }

    /// `(share key, text)` for every field, for a shared link.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        self.fields.iter().zip(&self.values).map(|(f, v)| (f.key, v.clone())).collect()
    }

    fn name(&self, key: &str) -> &'static str {
        self.index(key).map_or("setting", |i| self.fields[i].name)
    }

    /// Field `key` as a number, naming the field in the error.
    pub fn parse<T: std::str::FromStr>(&self, key: &str) -> Result<T, ConfigError> {
        parse_field(self.name(key), self.get(key))
    }

    /// Field `key` as an optional number: empty means `None`.
    pub fn parse_optional<T: std::str::FromStr>(&self, key: &str) -> Result<Option<T>, ConfigError> {
        parse_optional(self.name(key), self.get(key))
    }

    /// Field `key` as a comma-separated list of numbers (empty items skipped).
    pub fn parse_list<T: std::str::FromStr>(&self, key: &str) -> Result<Vec<T>, ConfigError> {
        let name = self.name(key);
        self.get(key).split(',').filter(|s| !s.trim().is_empty()).map(|s| parse_field(name, s)).collect()
    }
}

/// Parses text as a number, naming the field in the error.
pub fn parse_field<T: std::str::FromStr>(field: &'static str, text: &str) -> Result<T, ConfigError> {
    text.trim().parse().map_err(|_| ConfigError::NotANumber { field, text: text.to_string() })
}

/// Parses optional text: empty means `None`.
pub fn parse_optional<T: std::str::FromStr>(field: &'static str, text: &str) -> Result<Option<T>, ConfigError> {
    if text.trim().is_empty() { Ok(None) } else { parse_field(field, text).map(Some) }
}

/// A list as a form shows it: `500, 1000, 1500`.
pub fn list_text<T: ToString>(items: &[T]) -> String {
    items.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ")
}

/// An optional number as a form shows it: empty for `None`.
pub fn optional_text<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[Field] = &[
        Field::new("lr", "learning rate", "Learning rate", "lr"),
        Field::new("sizes", "sizes", "Sizes", "sizes").flag("train-sizes").hint("comma-separated"),
    ];

    #[test]
    fn fields_parse_or_name_the_field() {
        let mut form = FormText::new(FIELDS, vec![" 0.5 ".into(), "1, 2,,3".into()]);
        assert_eq!(form.parse::<f64>("lr"), Ok(0.5));
        assert_eq!(form.parse_list::<usize>("sizes"), Ok(vec![1, 2, 3]));
        assert!(form.set("lr", "ten") && !form.set("nope", "1"));
        assert_eq!(form.parse::<f64>("lr").unwrap_err().to_string(), "learning rate: \"ten\" is not a number");
        assert_eq!(form.pairs(), vec![("lr", "ten".to_string()), ("sizes", "1, 2,,3".to_string())]);
        assert_eq!(FIELDS[1].flag, "train-sizes");
        assert_eq!(parse_optional::<f64>("stop", ""), Ok(None));
        assert_eq!(parse_optional::<f64>("stop", "1e-4"), Ok(Some(1e-4)));
        assert_eq!(list_text(&[500, 1000]), "500, 1000");
        assert_eq!(optional_text(None::<f64>), "");
    }
}
