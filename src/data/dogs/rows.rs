//! `dogs.csv` read and checked row by row: what to load, and every refused row with its line.

use std::collections::BTreeMap;

use super::{COLUMNS, DogsError, PARTITIONS};

/// One row of `dogs.csv` that passed the row checks.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// 1-based line in dogs.csv (the header is line 1).
    pub line: usize,
    pub file: String,
    pub label: u8,
    /// Index into [`PARTITIONS`].
    pub partition: usize,
}

/// A refused row, named by its line and file so the user can find it.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub line: usize,
    pub file: String,
    pub message: String,
}

/// `dogs.csv` after the row checks: the rows to load and the rows refused.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckedCsv {
    pub rows: Vec<Row>,
    pub problems: Vec<Problem>,
    pub extra_columns: Vec<String>,
    /// Class names by numeric label.
    pub class_names: Vec<String>,
}

/// Reads `dogs.csv` and checks each row: a file name, a partition the labs know, an integer
/// label within the classes, and a label that agrees with its name (each label's name is the
/// one most of its rows give).
pub fn check_csv(text: &str) -> Result<CheckedCsv, DogsError> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(text.as_bytes());
    let header: Vec<String> =
        reader.headers().map_err(|e| DogsError::Csv(e.to_string()))?.iter().map(str::to_string).collect();
    let column = |name: &'static str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| DogsError::MissingColumn { missing: name, header: header.join(", ") })
    };
    let columns = [column(COLUMNS[0])?, column(COLUMNS[1])?, column(COLUMNS[2])?, column(COLUMNS[3])?];
    let extra_columns = header.iter().filter(|h| !COLUMNS.contains(&h.as_str())).cloned().collect();
    let (raws, mut problems) = read_rows(&mut reader, columns, header.len())?;
    let (names, class_names) = class_names(&raws);
    let mut rows = vec![];
    for raw in raws {
        match check_row(raw, &names, class_names.len()) {
            Ok(row) => rows.push(row),
            Err(problem) => problems.push(problem),
        }
    }
    problems.sort_by_key(|p| p.line);
    Ok(CheckedCsv { rows, problems, extra_columns, class_names })
}

/// A row of dogs.csv as read, before its label and name are checked against the others.
struct Raw {
    line: usize,
    file: String,
    label: Result<u8, String>,
    name: String,
    partition: Option<usize>,
    partition_text: String,
}

/// Every row of the file (`columns`: filename, label, name and partition's), and the rows
/// with fewer fields than the header's `width` as problems.
fn read_rows(
    reader: &mut csv::Reader<&[u8]>,
    [file_col, label_col, name_col, part_col]: [usize; 4],
    width: usize,
) -> Result<(Vec<Raw>, Vec<Problem>), DogsError> {
    let mut raws = vec![];
    let mut problems = vec![];
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| DogsError::Csv(e.to_string()))?;
        let line = record.position().map_or(i + 2, |p| p.line() as usize);
        let field = |c: usize| record.get(c).unwrap_or("").to_string();
        let file = field(file_col);
        if record.len() < width {
            let message = format!("has {} fields, the header has {width}", record.len());
            problems.push(Problem { line, file, message });
            continue;
        }
        let label_text = field(label_col);
        let label = label_text
            .parse::<i64>()
            .map_err(|_| format!("numeric_label `{label_text}` is not a whole number"))
            .and_then(|l| u8::try_from(l).map_err(|_| format!("numeric_label {l} is out of range")));
        let partition_text = field(part_col);
        let partition = PARTITIONS.iter().position(|p| *p == partition_text);
        raws.push(Raw { line, file, label, name: field(name_col), partition, partition_text });
    }
    Ok((raws, problems))
}

/// Each label's name, the one most rows agree on, and the classes' names in label order.
fn class_names(raws: &[Raw]) -> (BTreeMap<u8, String>, Vec<String>) {
    let mut pairs: BTreeMap<(u8, &str), usize> = BTreeMap::new();
    for r in raws {
        if let Ok(l) = r.label
            && !r.name.is_empty()
        {
            *pairs.entry((l, r.name.as_str())).or_default() += 1;
        }
    }
    let majority = |keep: &dyn Fn(&(u8, &str)) -> bool| {
        pairs.iter().filter(|(k, _)| keep(k)).max_by_key(|(_, n)| **n).map(|(k, _)| (k.0, k.1.to_string()))
    };
    let names: BTreeMap<u8, String> =
        pairs.keys().map(|k| k.0).filter_map(|l| majority(&|k| k.0 == l).map(|(_, n)| (l, n))).collect();
    let classes = names.values().collect::<std::collections::BTreeSet<_>>().len();
    let class_names =
        (0..classes).map(|l| names.get(&(l as u8)).cloned().unwrap_or_else(|| format!("class {l}"))).collect();
    (names, class_names)
}

/// Row `r` checked: a filename, a known partition, a label of one of `classes` classes whose
/// name is the one most rows give it.
fn check_row(r: Raw, names: &BTreeMap<u8, String>, classes: usize) -> Result<Row, Problem> {
    let refuse = |message: String| Problem { line: r.line, file: r.file.clone(), message };
    if r.file.is_empty() {
        return Err(refuse("has no filename".to_string()));
    }
    let Some(partition) = r.partition else {
        return Err(refuse(format!("partition `{}` is not one of train, valid, test", r.partition_text)));
    };
    let label = match &r.label {
        Err(e) => return Err(refuse(e.clone())),
        Ok(l) if *l as usize >= classes => {
            return Err(refuse(format!(
                "numeric_label {l} is out of range: the file names {classes} classes (0 to {})",
                classes.saturating_sub(1)
            )));
        }
        Ok(l) if names.get(l) != Some(&r.name) => {
            return Err(refuse(format!(
                "numeric_label {l} is `{}` in most rows, but this row names it `{}`",
                names.get(l).map_or("", String::as_str),
                r.name
            )));
        }
        Ok(l) => *l,
    };
    Ok(Row { line: r.line, file: r.file, label, partition })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::dogs::tests_support::GOOD_CSV;

    #[test]
    fn a_good_csv_keeps_every_row_and_names_the_classes() {
        let csv = check_csv(GOOD_CSV).unwrap();
        assert_eq!(csv.rows.len(), 4);
        assert!(csv.problems.is_empty() && csv.extra_columns.is_empty());
        assert_eq!(csv.class_names, vec!["beagle", "poodle"]);
        assert_eq!(csv.rows[1], Row { line: 3, file: "b.jpg".into(), label: 1, partition: 1 });
    }

    #[test]
    fn missing_columns_are_named_and_extra_ones_reported() {
        let err = check_csv("filename,numeric_label,partition\na.jpg,0,train\n").unwrap_err();
        assert!(err.to_string().contains("no `semantic_label` column"), "{err}");
        assert!(err.to_string().contains("filename, numeric_label, partition"), "{err}");
        let csv = check_csv(&GOOD_CSV.replacen("partition\n", "partition,notes\n", 1).replace("train\n", "train,x\n"))
            .unwrap();
        assert_eq!(csv.extra_columns, vec!["notes"]);
        assert_eq!(check_csv(""), Err(DogsError::MissingColumn { missing: "filename", header: String::new() }));
    }

    #[test]
    fn every_bad_row_is_refused_with_its_line_and_reason() {
        let text = format!(
            "{GOOD_CSV}e.jpg,0,beagle,holdout\nf.jpg,x,beagle,train\ng.jpg,7,beagle,train\nh.jpg,1,beagle,train\n,0,beagle,train\ni.jpg,0\nj.jpg,-1,beagle,test\n"
        );
        let csv = check_csv(&text).unwrap();
        assert_eq!(csv.rows.len(), 4);
        let messages: Vec<(usize, &str)> = csv.problems.iter().map(|p| (p.line, p.message.as_str())).collect();
        let expect = [
            (6, "partition `holdout`"),
            (7, "`x` is not a whole number"),
            (8, "numeric_label 7 is out of range"),
            (9, "numeric_label 1 is `poodle` in most rows, but this row names it `beagle`"),
            (10, "has no filename"),
            (11, "has 2 fields"),
            (12, "numeric_label -1 is out of range"),
        ];
        assert_eq!(messages.len(), expect.len(), "{messages:?}");
        for ((line, message), (want_line, want)) in messages.iter().zip(expect) {
            assert_eq!(*line, want_line);
            assert!(message.contains(want), "line {line}: {message}");
        }
    }
}
