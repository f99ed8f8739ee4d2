//! Reading a file into records, each with the line it starts on. What cannot be read is
//! a problem of its line; reading goes on, so that one answer lists them all.

use crate::transfer::file::{Column, Record};
use crate::transfer::{Format, MAX_RECORDS, Problem};
use serde_json::value::RawValue;

/// The records of a file, and what could not be read.
#[derive(Debug, Default)]
pub struct Parsed {
    pub records: Vec<Record>,
    pub problems: Vec<Problem>,
}

impl Parsed {
    fn refuse(&mut self, line: u64, field: Option<&str>, message: String) {
        self.problems.push(Problem::bad_input(line, field, message));
    }

    /// Takes one more record, unless the file is over the limit (said once).
    fn push(&mut self, record: Record) -> bool {
        if self.records.len() >= MAX_RECORDS {
            self.refuse(
                record.line,
                None,
                format!("a file holds at most {MAX_RECORDS} records: split it and import the parts one by one"),
            );
            return false;
        }
        self.records.push(record);
        true
    }
}

/// The records of `content`, a file in `format`.
pub fn parse(format: Format, content: &str) -> Parsed {
    // Spreadsheets save CSV with a byte order mark; it is not part of the first column's name.
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    match format {
        Format::Csv => csv(content),
        Format::Json => json(content),
    }
}

fn csv(content: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let mut reader = ::csv::ReaderBuilder::new().flexible(true).from_reader(content.as_bytes());
    let header = match reader.headers() {
        Ok(header) => header.clone(),
        Err(error) => {
            parsed.refuse(1, None, format!("the header cannot be read: {error}"));
            return parsed;
        }
    };
    let mut columns = Vec::with_capacity(header.len());
    for name in &header {
        let column = Column::named(name.trim());
        match column {
            None => parsed.refuse(1, Some(name), unknown_column(name)),
            Some(c) if columns.contains(&Some(c)) => {
                parsed.refuse(1, Some(name), format!("the column `{name}` is there twice"))
            }
            Some(_) => {}
        }
        columns.push(column);
    }
    if !columns.contains(&Some(Column::Kind)) {
        parsed.refuse(1, Some("kind"), "the header needs a `kind` column: every record says what it is".into());
        return parsed;
    }
    for row in reader.records() {
        let row = match row {
            Ok(row) => row,
            Err(error) => {
                let line = error.position().map_or(0, |p| p.line());
                parsed.refuse(line, None, format!("this line cannot be read: {error}"));
                continue;
            }
        };
        let line = row.position().map_or(0, |p| p.line());
        if row.len() != columns.len() {
            let message = format!("this line has {} fields where the header names {}", row.len(), columns.len());
            parsed.refuse(line, None, message);
            continue;
        }
        let mut record = Record::at(line);
        for (column, value) in columns.iter().zip(&row) {
            if let Some(column) = column {
                record.set(*column, value);
            }
        }
        if !parsed.push(record) {
            break;
        }
    }
    parsed
}

fn unknown_column(name: &str) -> String {
    let names: Vec<&str> = Column::ALL.iter().map(|c| c.name()).collect();
    format!("there is no column `{name}`: the columns are {}", names.join(", "))
}

/// A JSON file: `{"version": 1, "records": [{"kind": "team", …}, …]}`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Document<'a> {
    version: u32,
    #[serde(borrow)]
    records: Vec<&'a RawValue>,
}

/// The file format's version that this server reads and writes.
pub const VERSION: u32 = 1;

fn json(content: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let document: Document<'_> = match serde_json::from_str(content) {
        Ok(document) => document,
        Err(error) => {
            let message = format!("this is not an OKR file in JSON: {error}");
            parsed.refuse(error.line() as u64, None, message);
            return parsed;
        }
    };
    if document.version != VERSION {
        let message = format!("this server reads version {VERSION} files, not version {}", document.version);
        parsed.refuse(1, Some("version"), message);
        return parsed;
    }
    let mut lines = Lines::new(content);
    for raw in document.records {
        let line = lines.of(raw.get());
        let Some(record) = record(&mut parsed, line, raw) else { continue };
        if !parsed.push(record) {
            break;
        }
    }
    parsed
}

fn record(parsed: &mut Parsed, line: u64, raw: &RawValue) -> Option<Record> {
    let fields: serde_json::Map<String, serde_json::Value> = match serde_json::from_str(raw.get()) {
        Ok(fields) => fields,
        Err(_) => {
            parsed.refuse(line, None, "a record is an object of columns and their values".into());
            return None;
        }
    };
    let mut record = Record::at(line);
    for (name, value) in fields {
        let Some(column) = Column::named(&name) else {
            parsed.refuse(line, Some(&name), unknown_column(&name));
            continue;
        };
        match value {
            serde_json::Value::String(text) => record.set(column, &text),
            serde_json::Value::Number(number) => record.set(column, &number.to_string()),
            serde_json::Value::Null => {}
            _ => parsed.refuse(line, Some(&name), format!("`{name}` must be a string or a number")),
        }
    }
    Some(record)
}

/// Line numbers of slices of one text, asked for in the order they appear: one pass over
/// the text in all.
struct Lines<'a> {
    text: &'a str,
    offset: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines { text, offset: 0, line: 1 }
    }

    /// The line `slice`, a part of the text at or after the last one asked for, starts on.
    fn of(&mut self, slice: &str) -> u64 {
        // A slice of the text: its distance from the text's start is its offset.
        let at = (slice.as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize).min(self.text.len());
        if at > self.offset {
            let between = self.text.as_bytes().get(self.offset..at).unwrap_or_default();
            self.line += between.iter().filter(|b| **b == b'\n').count() as u64;
            self.offset = at;
        }
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_records_know_their_lines_and_bad_lines_are_problems() {
        let text = "kind,title,colour\nobjective,\"Two\nlines\",x\nobjective,Next\nteam\n";
        let parsed = parse(Format::Csv, text);
        let lines: Vec<u64> = parsed.records.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2]);
        assert_eq!(parsed.records[0].get(Column::Title), Some("Two\nlines"));
        let problems: Vec<(u64, Option<&str>)> = parsed.problems.iter().map(|p| (p.line, p.field.as_deref())).collect();
        assert_eq!(problems, [(1, Some("colour")), (4, None), (5, None)]);
    }

    #[test]
    fn json_records_know_their_lines() {
        let text = "{\n \"version\": 1,\n \"records\": [\n  {\"kind\": \"team\", \"team\": \"A\"},\n\n  \
                    {\"kind\": \"check_in\", \"value\": 30.350000700000002, \"note\": null},\n  [1]\n ]\n}";
        let parsed = parse(Format::Json, text);
        let lines: Vec<u64> = parsed.records.iter().map(|r| r.line).collect();
        assert_eq!(lines, [4, 6]);
        assert_eq!(parsed.records[1].get(Column::Value), Some("30.350000700000002"));
        assert_eq!(parsed.records[1].get(Column::Note), None);
        assert_eq!(parsed.problems.len(), 1);
        assert_eq!(parsed.problems[0].line, 7);
    }

    #[test]
    fn a_broken_json_file_is_one_problem_on_its_line() {
        let parsed = parse(Format::Json, "{\n \"version\": 1,\n \"records\": [\n {\"kind\": }\n]}");
        assert!(parsed.records.is_empty());
        assert_eq!(parsed.problems[0].line, 4);
        assert_eq!(
            parse(Format::Json, "{\"version\": 2, \"records\": []}").problems[0].field.as_deref(),
            Some("version")
        );
    }
}
